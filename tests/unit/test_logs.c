/*
 * test_logs.c - build logs and reading them: a CodeBuild build's log stream as a function of its
 * plan and the clock (services/codebuild/build_log.c), and CloudWatch Logs' tokens, filter
 * patterns and event ordering (services/logs/events.c).
 */
#include "core/setup.h"
#include <setjmp.h>
#include <cmocka.h>
#include "core/buf.h"
#include "services/codebuild/build_log.h"
#include "services/codebuild/outcomes.h"
#include "services/logs/events.h"

#define T0 1700000000000LL

static struct cb_plan plan_1s(void)
{
    struct cb_plan p;
    cb_plan_init(&p, 1, 0);
    for (int i = 0; i < CB_PH_COUNT; i++)
        p.dur_ms[i] = i == CB_PH_COMPLETED ? 0 : 1000;
    return p;
}

/* Collects events as "TIME|message\n" (times relative to T0), checking their order. */
struct collect {
    struct cbk_buf b;
    int64_t last;
    size_t n;
    size_t stop_after; /* 0: never stop */
};

static bool collect(void *arg, const char *stream, int64_t ts, int64_t ingest, const char *msg,
                    size_t len)
{
    struct collect *c = arg;
    assert_string_equal(stream, "s1");
    assert_true(ts >= c->last); /* time order */
    assert_true(ingest >= ts);
    c->last = ts;
    cbk_buf_addf(&c->b, "%lld|%.*s\n", (long long)(ts - T0), (int)len, msg);
    c->n++;
    return !(c->stop_after && c->n >= c->stop_after);
}

static void log_at(const struct cb_plan *p, int64_t stop, int64_t now, const char *const *out,
                   size_t nout, struct collect *c)
{
    cbk_buf_init(&c->b, 1 << 20);
    c->last = 0;
    c->n = 0;
    /* the lines as a build keeps them: '\n'-separated */
    struct cbk_buf lines = CBK_BUF_INIT(1 << 20);
    size_t n = 0;
    char why[128];
    for (size_t i = 0; i < nout; i++)
        assert_int_equal(cb_output_add(&lines, &n, out[i], strlen(out[i]), why, sizeof why), 0);
    assert_int_equal(n, nout);
    struct cb_log_input in = {"s1", nout ? (lines.ptr ? lines.ptr : "") : NULL, lines.len, 42};
    struct cbk_svc_log_sink sink = {collect, c};
    cb_log_write(p, T0, stop, now, &in, &sink);
    cbk_buf_addc(&c->b, '\0');
    cbk_buf_release(&lines);
}

static void build_log_grows_with_the_clock(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    struct collect c = {0};
    /* while queued: nothing (the container has not started) */
    log_at(&p, -1, T0 + 1500, NULL, 0, &c);
    assert_int_equal(c.n, 0);
    cbk_buf_release(&c.b);
    /* PROVISIONING starts at 2 s */
    log_at(&p, -1, T0 + 2000, NULL, 0, &c);
    assert_int_equal(c.n, 2);
    assert_non_null(strstr(c.b.ptr, "2000|[Container] 2023/11/14 22:13:22.000000 Running on "
                                    "CodeBuild On-demand\n"));
    size_t early = c.n;
    cbk_buf_release(&c.b);
    /* later: a superset, the earlier lines first and unchanged */
    log_at(&p, -1, T0 + 6500, NULL, 0, &c);
    assert_true(c.n > early);
    assert_non_null(strstr(c.b.ptr, "Entering phase BUILD"));
    assert_non_null(strstr(c.b.ptr, "Phase complete: PRE_BUILD State: SUCCEEDED"));
    assert_null(strstr(c.b.ptr, "Phase complete: BUILD"));
    assert_non_null(strstr(c.b.ptr, "CODEBUILD_SRC_DIR=/codebuild/output/src42/src"));
    cbk_buf_release(&c.b);
    /* complete: every phase complete, FINALIZING last */
    log_at(&p, -1, T0 + 3600000, NULL, 0, &c);
    assert_non_null(strstr(c.b.ptr, "Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED"));
    assert_non_null(strstr(c.b.ptr, "Phase complete: FINALIZING State: SUCCEEDED\n"));
    const char *fin = strstr(c.b.ptr, "FINALIZING");
    assert_null(strstr(fin + 1, "Entering"));
    cbk_buf_release(&c.b);
}

static void failed_build_logs_its_command_and_context(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    cb_plan_set_outcome(&p, CB_ST_FAILED, CB_PH_BUILD, "COMMAND_EXECUTION_ERROR",
                        "Error while executing command: go test ./.... Reason: exit status 1");
    const char *out[] = {"=== RUN TestA", "--- FAIL: TestA (0.00s)"};
    struct collect c = {0};
    log_at(&p, -1, T0 + 3600000, out, 2, &c);
    assert_non_null(strstr(c.b.ptr, "Running command go test ./...\n"));
    assert_non_null(strstr(c.b.ptr, "|=== RUN TestA\n"));
    assert_non_null(strstr(c.b.ptr, "|--- FAIL: TestA (0.00s)\n"));
    assert_non_null(
        strstr(c.b.ptr, "Command did not exit successfully go test ./... exit status 1"));
    assert_non_null(strstr(c.b.ptr, "Phase complete: BUILD State: FAILED\n"));
    assert_non_null(
        strstr(c.b.ptr, "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while "
                        "executing command: go test ./.... Reason: exit status 1\n"));
    /* the output lies inside the BUILD phase (6 s .. 7 s) */
    assert_non_null(strstr(c.b.ptr, "6333|=== RUN TestA"));
    /* UPLOAD_ARTIFACTS still runs after a failed BUILD, as CodeBuild does */
    assert_non_null(strstr(c.b.ptr, "Entering phase UPLOAD_ARTIFACTS"));
    cbk_buf_release(&c.b);
    /* a sink that says stop gets nothing more */
    c.stop_after = 3;
    log_at(&p, -1, T0 + 3600000, out, 2, &c);
    assert_int_equal(c.n, 3);
    cbk_buf_release(&c.b);
}

static void stopped_build_log(void **state)
{
    (void)state;
    struct cb_plan p = plan_1s();
    struct collect c = {0};
    log_at(&p, T0 + 6500, T0 + 3600000, NULL, 0, &c);
    assert_non_null(strstr(c.b.ptr, "Phase complete: BUILD State: STOPPED\n"));
    assert_null(strstr(c.b.ptr, "POST_BUILD"));
    assert_non_null(strstr(c.b.ptr, "FINALIZING"));
    cbk_buf_release(&c.b);
    char g[64];
    cb_log_group("my-app", g, sizeof g);
    assert_string_equal(g, "/aws/codebuild/my-app");
}

static void tokens_round_trip(void **state)
{
    (void)state;
    char t[64];
    lg_token(t, 'f', 17);
    assert_string_equal(t, "f/00000000000000000000000000000000000000000000000000000017");
    char dir;
    size_t pos;
    assert_true(lg_token_parse(t, &dir, &pos));
    assert_int_equal(dir, 'f');
    assert_int_equal(pos, 17);
    lg_token(t, 'b', 0);
    assert_true(lg_token_parse(t, &dir, &pos));
    assert_int_equal(dir, 'b');
    assert_int_equal(pos, 0);
    assert_false(lg_token_parse("x/000", &dir, &pos));
    assert_false(lg_token_parse("f/17", &dir, &pos));
    assert_false(
        lg_token_parse("f/0000000000000000000000000000000000000000000000000000001x", &dir, &pos));
    /* 56 nines do not fit: refused, not wrapped */
    assert_false(
        lg_token_parse("f/99999999999999999999999999999999999999999999999999999999", &dir, &pos));
    assert_false(lg_token_parse(NULL, &dir, &pos));
}

static bool pm(const char *pattern, const char *msg)
{
    struct lg_pattern p;
    const char *why = NULL;
    assert_int_equal(lg_pattern_compile(&p, pattern, &why), 0);
    bool r = lg_pattern_match(&p, msg, strlen(msg));
    lg_pattern_free(&p);
    return r;
}

static void filter_patterns(void **state)
{
    (void)state;
    assert_true(pm("", "anything"));
    assert_true(pm(NULL, "anything"));
    assert_true(pm("ERROR", "an ERROR here"));
    assert_false(pm("ERROR", "an error here")); /* case-sensitive, as CloudWatch Logs */
    assert_true(pm("ERROR make", "ERROR in make"));
    assert_false(pm("ERROR make", "ERROR in npm"));
    assert_true(pm("\"exit status 2\"", "Reason: exit status 2"));
    assert_false(pm("\"exit status 2\"", "exit 2 status"));
    assert_false(pm("ERROR -test", "ERROR in test"));
    assert_true(pm("?FAIL ?ERROR", "an ERROR"));
    assert_false(pm("?FAIL ?ERROR", "all fine"));
    struct lg_pattern p;
    const char *why = NULL;
    assert_int_equal(lg_pattern_compile(&p, "{ $.level = \"error\" }", &why), -1);
    assert_non_null(strstr(why, "term filter patterns"));
    assert_int_equal(lg_pattern_compile(&p, "\"open", &why), -1);
    assert_non_null(strstr(why, "unterminated"));
}

static void events_sort_by_time_stream_place(void **state)
{
    (void)state;
    struct lg_events ev = {0};
    struct lg_event v[3] = {
        {"b", "x", 1, 5, 5, 0},
        {"a", "y", 1, 5, 5, 1},
        {"a", "z", 1, 4, 4, 0},
    };
    ev.v = v;
    ev.n = 3;
    lg_events_sort(&ev);
    assert_string_equal(ev.v[0].msg, "z");
    assert_string_equal(ev.v[1].msg, "y");
    assert_string_equal(ev.v[2].msg, "x");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_log_grows_with_the_clock),
        cmocka_unit_test(failed_build_logs_its_command_and_context),
        cmocka_unit_test(stopped_build_log),
        cmocka_unit_test(tokens_round_trip),
        cmocka_unit_test(filter_patterns),
        cmocka_unit_test(events_sort_by_time_stream_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
