/*
 * test_cb_lifecycle.c - a CodeBuild build's phases as a function of its plan and the clock
 * (services/codebuild/lifecycle.c): the path of every outcome, times that add up, timeouts,
 * stops, outcome changes that never rewrite the past, and the JSON of the phases.
 */
#include "core/setup.h"
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "core/buf.h"
#include "core/jsonw.h"
#include "services/codebuild/lifecycle.h"

#define T0 1700000000000LL

/* A plan whose phases last 1 s each (COMPLETED 0), so times are easy to reason about. */
static struct cb_plan plan_1s(void)
{
    struct cb_plan p;
    cb_plan_init(&p, 1, 0);
    for (int i = 0; i < CB_PH_COUNT; i++)
        p.dur_ms[i] = i == CB_PH_COMPLETED ? 0 : 1000;
    return p;
}

/* The phase types of a view as "A,B,C" with the status of ended ones: "BUILD:FAILED". */
static void path_of(const struct cb_view *v, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < v->n; i++) {
        int k = snprintf(out + n, cap - n, "%s%s%s%s", i ? "," : "", cb_phase_names[v->ph[i].type],
                         v->ph[i].ended && v->ph[i].status != CB_ST_SUCCEEDED ? ":" : "",
                         v->ph[i].ended && v->ph[i].status != CB_ST_SUCCEEDED
                             ? cb_status_names[v->ph[i].status]
                             : "");
        n += (size_t)k;
    }
}

static void succeeded_walks_every_phase(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    struct cb_view v;
    char path[512];
    cb_view_at(&p, T0, -1, T0, &v);
    assert_int_equal(v.n, 1);
    assert_int_equal(v.current, CB_PH_SUBMITTED);
    assert_int_equal(v.status, CB_ST_IN_PROGRESS);
    assert_false(v.complete);
    cb_view_at(&p, T0, -1, T0 + 6500, &v);
    assert_int_equal(v.current, CB_PH_BUILD);
    assert_int_equal(v.n, 7);
    assert_true(v.ph[5].ended);
    assert_false(v.ph[6].ended);
    assert_int_equal(v.ph[6].start_ms, T0 + 6000);
    cb_view_at(&p, T0, -1, T0 + 100000, &v);
    path_of(&v, path, sizeof path);
    assert_string_equal(path, "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE,INSTALL,PRE_BUILD,"
                              "BUILD,POST_BUILD,UPLOAD_ARTIFACTS,FINALIZING,COMPLETED");
    assert_true(v.complete);
    assert_int_equal(v.status, CB_ST_SUCCEEDED);
    assert_int_equal(v.current, CB_PH_COMPLETED);
    assert_int_equal(v.end_ms, T0 + 10000);
    assert_int_equal(cb_plan_end_ms(&p, T0), T0 + 10000);
    /* the moment it completes */
    cb_view_at(&p, T0, -1, T0 + 10000, &v);
    assert_true(v.complete);
    cb_view_at(&p, T0, -1, T0 + 9999, &v);
    assert_false(v.complete);
    assert_int_equal(v.current, CB_PH_FINALIZING);
}

static void failure_paths_follow_codebuild(void **state)
{
    (void)state;
    static const struct {
        int outcome, phase;
        const char *path;
    } cases[] = {
        {CB_ST_FAILED, CB_PH_BUILD,
         "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE,INSTALL,PRE_BUILD,BUILD:FAILED,"
         "POST_BUILD,UPLOAD_ARTIFACTS,FINALIZING,COMPLETED"},
        {CB_ST_FAILED, CB_PH_POST_BUILD,
         "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE,INSTALL,PRE_BUILD,BUILD,"
         "POST_BUILD:FAILED,UPLOAD_ARTIFACTS,FINALIZING,COMPLETED"},
        {CB_ST_FAILED, CB_PH_INSTALL,
         "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE,INSTALL:FAILED,FINALIZING,COMPLETED"},
        {CB_ST_FAILED, CB_PH_PROVISIONING,
         "SUBMITTED,QUEUED,PROVISIONING:FAILED,FINALIZING,COMPLETED"},
        {CB_ST_FAULT, CB_PH_DOWNLOAD_SOURCE,
         "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE:FAULT,FINALIZING,COMPLETED"},
        {CB_ST_TIMED_OUT, CB_PH_BUILD,
         "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE,INSTALL,PRE_BUILD,BUILD:TIMED_OUT,"
         "FINALIZING,COMPLETED"},
        {CB_ST_TIMED_OUT, CB_PH_QUEUED, "SUBMITTED,QUEUED:TIMED_OUT,COMPLETED"},
        /* phases an outcome cannot happen in move to the nearest one that can */
        {CB_ST_FAILED, CB_PH_SUBMITTED,
         "SUBMITTED,QUEUED,PROVISIONING:FAILED,FINALIZING,COMPLETED"},
        {CB_ST_FAILED, CB_PH_COMPLETED,
         "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE,INSTALL,PRE_BUILD,BUILD,POST_BUILD,"
         "UPLOAD_ARTIFACTS:FAILED,FINALIZING,COMPLETED"},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        struct cb_plan p = plan_1s();
        cb_plan_set_outcome(&p, cases[i].outcome, cases[i].phase, NULL, NULL);
        struct cb_view v;
        char path[512];
        cb_view_at(&p, T0, -1, T0 + 3600000, &v);
        path_of(&v, path, sizeof path);
        if (strcmp(path, cases[i].path) != 0)
            fail_msg("case %zu: got %s", i, path);
        assert_true(v.complete);
        assert_int_equal(v.status, cases[i].outcome);
        /* still running until COMPLETED begins, whatever happened before */
        cb_view_at(&p, T0, -1, v.end_ms - 1, &v);
        assert_false(v.complete);
        assert_int_equal(v.status, CB_ST_IN_PROGRESS);
    }
}

static void contexts_of_the_failed_phase(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    cb_plan_set_outcome(&p, CB_ST_FAILED, CB_PH_BUILD, NULL, NULL);
    struct cb_view v;
    cb_view_at(&p, T0, -1, T0 + 60000, &v);
    assert_true(v.ph[6].has_ctx);
    assert_string_equal(v.ctx_code, "COMMAND_EXECUTION_ERROR");
    assert_string_equal(v.ctx_message,
                        "Error while executing command: make test. Reason: exit status 2");
    cb_plan_set_outcome(&p, CB_ST_FAILED, CB_PH_BUILD, "COMMAND_EXECUTION_ERROR",
                        "Error while executing command: npm test. Reason: exit status 1");
    cb_view_at(&p, T0, -1, T0 + 60000, &v);
    assert_string_equal(v.ctx_message,
                        "Error while executing command: npm test. Reason: exit status 1");

    struct cbk_buf b = CBK_BUF_INIT(1 << 20);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cb_view_write_phases(&v, &w);
    cbk_jsonw_end_obj(&w);
    struct json_object *doc = json_tokener_parse(cbk_buf_str(&b));
    assert_non_null(doc);
    struct json_object *phases = json_object_object_get(doc, "phases");
    assert_int_equal(json_object_array_length(phases), 11);
    struct json_object *build = json_object_array_get_idx(phases, 6);
    assert_string_equal(json_object_get_string(json_object_object_get(build, "phaseStatus")),
                        "FAILED");
    struct json_object *ctx =
        json_object_array_get_idx(json_object_object_get(build, "contexts"), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(ctx, "statusCode")),
                        "COMMAND_EXECUTION_ERROR");
    /* a succeeded phase from PROVISIONING on has an empty context; SUBMITTED has none */
    struct json_object *prov = json_object_array_get_idx(phases, 2);
    ctx = json_object_array_get_idx(json_object_object_get(prov, "contexts"), 0);
    assert_string_equal(json_object_get_string(json_object_object_get(ctx, "statusCode")), "");
    assert_null(json_object_object_get(json_object_array_get_idx(phases, 0), "contexts"));
    /* COMPLETED: a start time only */
    struct json_object *done = json_object_array_get_idx(phases, 10);
    assert_null(json_object_object_get(done, "endTime"));
    assert_null(json_object_object_get(done, "phaseStatus"));
    assert_int_equal(json_object_get_int(json_object_object_get(prov, "durationInSeconds")), 1);
    json_object_put(doc);
    cbk_buf_release(&b);
}

static void durations_are_seeded_and_scaled(void **state)
{
    (void)state;
    struct cb_plan a, b, c;
    cb_plan_init(&a, 42, 0);
    cb_plan_init(&b, 42, 0);
    cb_plan_init(&c, 43, 0);
    assert_memory_equal(a.dur_ms, b.dur_ms, sizeof a.dur_ms);
    assert_memory_not_equal(a.dur_ms, c.dur_ms, sizeof a.dur_ms);
    /* typical: a minute or more, BUILD the longest phase */
    int64_t total = cb_plan_end_ms(&a, 0);
    assert_true(total >= 60000 && total <= 400000);
    for (int i = 0; i < CB_PH_COUNT; i++)
        assert_true(a.dur_ms[CB_PH_BUILD] >= a.dur_ms[i]);
    /* scaled to exactly 3 s, same proportions */
    struct cb_plan s;
    cb_plan_init(&s, 42, 3000);
    assert_int_equal(cb_plan_end_ms(&s, T0), T0 + 3000);
    assert_true(s.dur_ms[CB_PH_BUILD] > s.dur_ms[CB_PH_QUEUED]);
}

static void timeouts_are_honoured(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    p.dur_ms[CB_PH_BUILD] = 90 * 60000; /* 90 minutes of BUILD against a 60-minute timeout */
    cb_plan_apply_timeouts(&p, 60, 480);
    assert_int_equal(p.outcome, CB_ST_TIMED_OUT);
    assert_int_equal(p.end_phase, CB_PH_BUILD);
    /* PROVISIONING..PRE_BUILD took 4 s: BUILD runs for the rest of the hour */
    assert_int_equal(p.dur_ms[CB_PH_BUILD], 60 * 60000 - 4000);
    struct cb_view v;
    cb_view_at(&p, T0, -1, T0 + 2 * 3600000, &v);
    assert_int_equal(v.status, CB_ST_TIMED_OUT);
    assert_string_equal(v.ctx_code, "BUILD_TIMED_OUT");

    p = plan_1s();
    p.dur_ms[CB_PH_QUEUED] = 10 * 60000;
    cb_plan_apply_timeouts(&p, 60, 5);
    assert_int_equal(p.end_phase, CB_PH_QUEUED);
    cb_view_at(&p, T0, -1, T0 + 3600000, &v);
    assert_int_equal(v.n, 3); /* SUBMITTED, QUEUED:TIMED_OUT, COMPLETED */
    assert_int_equal(v.end_ms, T0 + 1000 + 5 * 60000);

    /* within the limits nothing changes */
    p = plan_1s();
    cb_plan_apply_timeouts(&p, 5, 5);
    assert_int_equal(p.outcome, CB_ST_SUCCEEDED);
    /* a build that fails before the timeout keeps failing */
    p = plan_1s();
    p.dur_ms[CB_PH_POST_BUILD] = 3600000;
    cb_plan_set_outcome(&p, CB_ST_FAILED, CB_PH_INSTALL, NULL, NULL);
    cb_plan_apply_timeouts(&p, 5, 5);
    assert_int_equal(p.outcome, CB_ST_FAILED);
}

static void stop_marks_the_current_phase(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    struct cb_view v;
    char path[512];
    int64_t stop = T0 + 6500; /* in BUILD */
    cb_view_at(&p, T0, stop, stop, &v);
    assert_int_equal(v.status, CB_ST_STOPPED);
    assert_false(v.complete);
    assert_int_equal(v.current, CB_PH_FINALIZING);
    cb_view_at(&p, T0, stop, T0 + 100000, &v);
    path_of(&v, path, sizeof path);
    assert_string_equal(path, "SUBMITTED,QUEUED,PROVISIONING,DOWNLOAD_SOURCE,INSTALL,PRE_BUILD,"
                              "BUILD:STOPPED,FINALIZING,COMPLETED");
    assert_true(v.complete);
    assert_int_equal(v.status, CB_ST_STOPPED);
    assert_int_equal(v.ph[6].end_ms, stop);
    assert_int_equal(v.end_ms, stop + 1000);
    /* before the stop the build looked as if it would run on */
    cb_view_at(&p, T0, stop, T0 + 5000, &v);
    assert_int_equal(v.status, CB_ST_IN_PROGRESS);
    assert_int_equal(v.current, CB_PH_PRE_BUILD);
    /* a stop once FINALIZING began changes nothing */
    cb_view_at(&p, T0, T0 + 9500, T0 + 100000, &v);
    assert_int_equal(v.status, CB_ST_SUCCEEDED);
    /* a stop of a build that failed earlier changes nothing either */
    cb_plan_set_outcome(&p, CB_ST_FAILED, CB_PH_INSTALL, NULL, NULL);
    cb_view_at(&p, T0, T0 + 5500, T0 + 100000, &v); /* INSTALL failed at 5 s: FINALIZING */
    assert_int_equal(v.status, CB_ST_FAILED);
}

static void outcome_changes_never_rewrite_the_past(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    struct cb_view before, after;
    int64_t now = T0 + 4500; /* in INSTALL */
    cb_view_at(&p, T0, -1, now, &before);
    assert_true(cb_plan_change_outcome(&p, T0, -1, now, CB_ST_FAILED, CB_PH_BUILD, NULL, NULL));
    cb_view_at(&p, T0, -1, now, &after);
    assert_int_equal(before.n, after.n);
    assert_memory_equal(before.ph, after.ph, sizeof(before.ph[0]) * before.n);
    cb_view_at(&p, T0, -1, T0 + 100000, &after);
    assert_int_equal(after.status, CB_ST_FAILED);
    assert_int_equal(after.ph[6].status, CB_ST_FAILED);

    /* a phase already passed: the build fails in the phase it is in now */
    p = plan_1s();
    assert_true(
        cb_plan_change_outcome(&p, T0, -1, now, CB_ST_FAILED, CB_PH_PROVISIONING, NULL, NULL));
    assert_int_equal(p.end_phase, CB_PH_INSTALL);
    /* once the failure happened, or the build completed, it is too late */
    assert_false(cb_plan_change_outcome(&p, T0, -1, T0 + 4500, CB_ST_SUCCEEDED, -1, NULL, NULL));
    p = plan_1s();
    assert_false(cb_plan_change_outcome(&p, T0, -1, T0 + 100000, CB_ST_FAILED, -1, NULL, NULL));
    /* nor on a stopped build */
    assert_false(
        cb_plan_change_outcome(&p, T0, T0 + 2500, T0 + 3000, CB_ST_FAILED, -1, NULL, NULL));
    /* back to success before the failure happened */
    p = plan_1s();
    cb_plan_set_outcome(&p, CB_ST_FAILED, CB_PH_BUILD, NULL, NULL);
    assert_true(cb_plan_change_outcome(&p, T0, -1, T0 + 2500, CB_ST_SUCCEEDED, -1, NULL, NULL));
    cb_view_at(&p, T0, -1, T0 + 100000, &after);
    assert_int_equal(after.status, CB_ST_SUCCEEDED);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < CB_PH_COUNT; i++)
        assert_int_equal(cb_phase_from_name(cb_phase_names[i]), i);
    for (int i = 0; i < CB_ST_COUNT; i++)
        assert_int_equal(cb_status_from_name(cb_status_names[i]), i);
    assert_int_equal(cb_phase_from_name("build"), -1);
    assert_int_equal(cb_status_from_name("DONE"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(succeeded_walks_every_phase),
        cmocka_unit_test(failure_paths_follow_codebuild),
        cmocka_unit_test(contexts_of_the_failed_phase),
        cmocka_unit_test(durations_are_seeded_and_scaled),
        cmocka_unit_test(timeouts_are_honoured),
        cmocka_unit_test(stop_marks_the_current_phase),
        cmocka_unit_test(outcome_changes_never_rewrite_the_past),
        cmocka_unit_test(names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
