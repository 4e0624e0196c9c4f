/*
 * test_cb_store.c - one account's CodeBuild world without sockets (services/codebuild/store.c
 * and the files of its resource families): builds that move with the clock, outcome rules
 * read from YAML and matched, the admin outcome route, stops, the state cap, paging that
 * survives deletions, and tokens that are not ours.
 */
#include "core/setup.h"
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "core/buf.h"
#include "core/jsonq.h"
#include "core/rand.h"
#include "core/yaml.h"
#include "services/codebuild/outcomes.h"
#include "services/codebuild/store.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

struct world {
    struct cbk_cb *cb;
    struct cbk_rng rng;
    int64_t now;
    const struct cb_outcome_set *outcomes;
    enum cbk_world kind;
};

/* Call 'op' with 'body'; returns the answer parsed (put it), or NULL with *err set. */
static struct json_object *call(struct world *w, const char *op, const char *body, const char **err)
{
    struct cbk_buf out = CBK_BUF_INIT((size_t)16 << 20);
    struct cbk_cb_call c = {&w->rng, w->now, NULL, &out, body, strlen(body), w->kind, w->outcomes};
    struct cbk_cb_result r;
    cbk_cb_call(w->cb, op, &c, &r);
    struct json_object *doc = NULL;
    if (err)
        *err = r.error_type;
    if (!r.error_type)
        doc = cbk_jsonq_parse(out.ptr, out.len);
    cbk_buf_release(&out);
    return doc;
}

static struct json_object *ok(struct world *w, const char *op, const char *body)
{
    const char *err = NULL;
    struct json_object *d = call(w, op, body, &err);
    if (!d)
        fail_msg("%s %s: %s", op, body, err ? err : "not JSON");
    return d;
}

static struct json_object *at(struct json_object *o, const char *ptr)
{
    struct json_object *v = NULL;
    assert_true(cbk_jsonq_get(o, ptr, &v));
    return v;
}

static const char *str_at(struct json_object *o, const char *ptr)
{
    return json_object_get_string(at(o, ptr));
}

/* The build 'id' as BatchGetBuilds shows it now (put it). */
static struct json_object *get_build(struct world *w, const char *id)
{
    char body[1024];
    snprintf(body, sizeof body, "{\"ids\":[\"%s\"]}", id);
    return ok(w, "BatchGetBuilds", body);
}

static void world_init(struct world *w, int64_t build_ms, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->cb = cbk_cb_new("us-east-1", "123456789012", cap, build_ms);
    cbk_rng_seed(&w->rng, 7);
    w->now = T0;
}

/* Outcome rules from YAML text (the scenario key's value). */
static struct cb_outcomes *rules_from(const char *yaml)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ydoc *doc = NULL;
    assert_int_equal(cbk_yaml_parse(yaml, strlen(yaml), "t.yaml", 64, CBK_E_SCENARIO, &doc, &d),
                     CBK_OK);
    struct cbk_ycheck ck = {"t.yaml", &d, CBK_E_SCENARIO};
    struct cbk_buf path = CBK_BUF_INIT(1 << 12);
    cbk_ypath_push(&path, "outcomes");
    struct cb_outcomes *o = cb_outcomes_parse(doc->root, &ck, &path);
    if (!o)
        fail_msg("outcomes: %s", d.nr ? d.v[0].message : "?");
    cbk_buf_release(&path);
    cbk_ydoc_free(doc);
    cbk_diags_release(&d);
    return o;
}

static void builds_move_with_the_clock(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 10000, 100); /* 10-second builds */
    struct json_object *b = ok(&w, "StartBuild", "{\"projectName\":\"app\"}");
    char id[256];
    snprintf(id, sizeof id, "%s", str_at(b, "/build/id"));
    assert_string_equal(str_at(b, "/build/currentPhase"), "QUEUED");
    json_object_put(b);
    char prev[32] = "QUEUED";
    int changes = 0;
    for (int s = 0; s <= 12; s++) {
        w.now = T0 + s * 1000;
        struct json_object *g = get_build(&w, id);
        const char *phase = str_at(g, "/builds/0/currentPhase");
        changes += strcmp(phase, prev) != 0;
        snprintf(prev, sizeof prev, "%s", phase);
        if (s == 12) {
            assert_string_equal(phase, "COMPLETED");
            assert_string_equal(str_at(g, "/builds/0/buildStatus"), "SUCCEEDED");
            assert_true(json_object_get_boolean(at(g, "/builds/0/buildComplete")));
        }
        json_object_put(g);
    }
    assert_true(changes >= 4);
    cbk_cb_free(w.cb);
}

static void outcome_rules_decide(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 10000, 100);
    struct cb_outcomes *o =
        rules_from("- match: {project: app, environment: {RUN_TESTS: {regex: '^(1|yes)$'}}}\n"
                   "  status: FAILED\n"
                   "  phase: INSTALL\n"
                   "  context: {statusCode: COMMAND_EXECUTION_ERROR, message: boom}\n"
                   "- match: {buildNumber: [2]}\n"
                   "  status: FAULT\n");
    const struct cb_outcomes *list[] = {o};
    struct cb_outcome_set set = {list, 1, o->uses_env};
    w.outcomes = &set;
    assert_true(o->uses_env);
    struct json_object *a = ok(&w, "StartBuild",
                               "{\"projectName\":\"app\",\"environmentVariablesOverride\":"
                               "[{\"name\":\"RUN_TESTS\",\"value\":\"yes\"}]}");
    struct json_object *b = ok(&w, "StartBuild", "{\"projectName\":\"app\"}"); /* number 2 */
    struct json_object *c = ok(&w, "StartBuild", "{\"projectName\":\"app\"}");
    char ids[3][256];
    snprintf(ids[0], 256, "%s", str_at(a, "/build/id"));
    snprintf(ids[1], 256, "%s", str_at(b, "/build/id"));
    snprintf(ids[2], 256, "%s", str_at(c, "/build/id"));
    json_object_put(a);
    json_object_put(b);
    json_object_put(c);
    /* a retry of the first is matched again: its variables are kept */
    char body[512];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", ids[0]);
    struct json_object *r = ok(&w, "RetryBuild", body);
    char retried[256];
    snprintf(retried, sizeof retried, "%s", str_at(r, "/build/id"));
    json_object_put(r);
    w.now = T0 + 3600 * 1000;
    static const char *const want[] = {"FAILED", "FAULT", "SUCCEEDED"};
    for (int i = 0; i < 3; i++) {
        struct json_object *g = get_build(&w, ids[i]);
        assert_string_equal(str_at(g, "/builds/0/buildStatus"), want[i]);
        json_object_put(g);
    }
    struct json_object *g = get_build(&w, ids[0]);
    assert_string_equal(str_at(g, "/builds/0/phases/4/phaseType"), "INSTALL");
    assert_string_equal(str_at(g, "/builds/0/phases/4/contexts/0/message"), "boom");
    json_object_put(g);
    g = get_build(&w, retried);
    assert_string_equal(str_at(g, "/builds/0/buildStatus"), "FAILED");
    json_object_put(g);
    w.outcomes = NULL;
    cb_outcomes_free(o);
    cbk_cb_free(w.cb);
}

static void admin_outcome_and_stop(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0, 100); /* realistic: minutes */
    struct json_object *b = ok(&w, "StartBuild", "{\"projectName\":\"app\"}");
    char id[256];
    snprintf(id, sizeof id, "%s", str_at(b, "/build/id"));
    json_object_put(b);
    w.now = T0 + 20000;
    struct cbk_buf out = CBK_BUF_INIT(1 << 24);
    assert_int_equal(cbk_cb_set_outcome(w.cb, id, 2 /* FAULT */, -1, NULL, NULL, w.now, &out), 200);
    cbk_buf_reset(&out);
    assert_int_equal(cbk_cb_set_outcome(w.cb, "app:nope", 1, -1, NULL, NULL, w.now, &out), 404);
    cbk_buf_reset(&out);
    w.now += 3600 * 1000;
    struct json_object *g = get_build(&w, id);
    assert_string_equal(str_at(g, "/builds/0/buildStatus"), "FAULT");
    json_object_put(g);
    assert_int_equal(cbk_cb_set_outcome(w.cb, id, 0, -1, NULL, NULL, w.now, &out), 409);
    cbk_buf_release(&out);

    /* a stop: STOPPED at once, complete, the same when stopped again */
    b = ok(&w, "StartBuild", "{\"projectName\":\"app\"}");
    snprintf(id, sizeof id, "%s", str_at(b, "/build/id"));
    json_object_put(b);
    w.now += 30000;
    char body[300];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", id);
    struct json_object *s1 = ok(&w, "StopBuild", body);
    assert_string_equal(str_at(s1, "/build/buildStatus"), "STOPPED");
    assert_true(json_object_get_boolean(at(s1, "/build/buildComplete")));
    w.now += 60000;
    struct json_object *s2 = ok(&w, "StopBuild", body);
    assert_true(cbk_jsonq_equal(at(s1, "/build/phases"), at(s2, "/build/phases")));
    json_object_put(s1);
    json_object_put(s2);
    cbk_cb_free(w.cb);
}

static void cap_and_paging(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1000, 150); /* the newest 150 builds are kept */
    for (int i = 0; i < 250; i++)
        json_object_put(ok(&w, "StartBuild", "{\"projectName\":\"p\"}"));
    assert_int_equal(cbk_cb_build_count(w.cb), 150);
    struct json_object *p1 = ok(&w, "ListBuildsForProject", "{\"projectName\":\"p\"}");
    assert_int_equal(json_object_array_length(at(p1, "/ids")), 100);
    /* the newest first: numbers 250 down */
    struct json_object *g = get_build(&w, json_object_get_string(at(p1, "/ids/0")));
    assert_int_equal(json_object_get_int64(at(g, "/builds/0/buildNumber")), 250);
    json_object_put(g);
    /* delete the first item of the next page: paging goes on after the last one seen */
    w.now += 60000; /* every build is complete */
    char body[512];
    struct json_object *p2 = NULL;
    snprintf(body, sizeof body, "{\"projectName\":\"p\",\"nextToken\":\"%s\"}",
             str_at(p1, "/nextToken"));
    p2 = ok(&w, "ListBuildsForProject", body);
    char first2[256];
    snprintf(first2, sizeof first2, "%s", str_at(p2, "/ids/0"));
    json_object_put(p2);
    char del[400];
    snprintf(del, sizeof del, "{\"ids\":[\"%s\"]}", first2);
    struct json_object *d = ok(&w, "BatchDeleteBuilds", del);
    assert_int_equal(json_object_array_length(at(d, "/buildsDeleted")), 1);
    json_object_put(d);
    p2 = ok(&w, "ListBuildsForProject", body);
    assert_int_equal(json_object_array_length(at(p2, "/ids")), 49);
    struct json_object *tok = NULL;
    assert_false(cbk_jsonq_get(p2, "/nextToken", &tok)); /* the last page */
    json_object_put(p2);
    json_object_put(p1);
    /* tokens that are not ours */
    const char *err = NULL;
    assert_null(call(&w, "ListBuilds", "{\"nextToken\":\"cbk1.zz\"}", &err));
    assert_string_equal(err, "InvalidInputException");
    assert_null(call(&w, "ListProjects", "{\"nextToken\":\"abc\"}", &err));
    assert_string_equal(err, "InvalidInputException");
    cbk_cb_free(w.cb);
}

static void strict_world_needs_projects(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1000, 100);
    w.kind = CBK_WORLD_STRICT;
    const char *err = NULL;
    assert_null(call(&w, "StartBuild", "{\"projectName\":\"ghost\"}", &err));
    assert_string_equal(err, "ResourceNotFoundException");
    cbk_cb_seed_project(w.cb, "ghost", w.now);
    json_object_put(ok(&w, "StartBuild", "{\"projectName\":\"ghost\"}"));
    struct json_object *p = ok(&w, "BatchGetProjects", "{\"names\":[\"ghost\",\"other\"]}");
    assert_string_equal(str_at(p, "/projects/0/arn"),
                        "arn:aws:codebuild:us-east-1:123456789012:project/ghost");
    assert_string_equal(str_at(p, "/projectsNotFound/0"), "other");
    json_object_put(p);
    cbk_cb_free(w.cb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_move_with_the_clock),  cmocka_unit_test(outcome_rules_decide),
        cmocka_unit_test(admin_outcome_and_stop),      cmocka_unit_test(cap_and_paging),
        cmocka_unit_test(strict_world_needs_projects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
