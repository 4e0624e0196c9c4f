/*
 * test_cb_store.c - one account's CodeBuild world without sockets (services/codebuild/store.c
 * and the files of its resource families): builds that move with the clock, outcome rules
 * read from YAML and matched, the admin outcome route, stops, the state cap, paging that
 * survives deletions, tokens that are not ours, and build logs read through cbk_cb_logs_read()
 * (the CodeBuild behaviour's logs_read hook): a log that grows with the clock and tells the
 * phases BatchGetBuilds shows, failed and stopped builds, a rule's and the admin route's output
 * lines (kept after the rules are freed), log settings, batch builds, output bounds.
 */
#include "core/setup.h"
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "cbkit/service.h"
#include "core/alloc.h"
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
    assert_int_equal(
        cbk_cb_set_outcome(w.cb, id, 2 /* FAULT */, -1, NULL, NULL, NULL, 0, w.now, &out), 200);
    cbk_buf_reset(&out);
    assert_int_equal(cbk_cb_set_outcome(w.cb, "app:nope", 1, -1, NULL, NULL, NULL, 0, w.now, &out),
                     404);
    cbk_buf_reset(&out);
    w.now += 3600 * 1000;
    struct json_object *g = get_build(&w, id);
    assert_string_equal(str_at(g, "/builds/0/buildStatus"), "FAULT");
    json_object_put(g);
    assert_int_equal(cbk_cb_set_outcome(w.cb, id, 0, -1, NULL, NULL, NULL, 0, w.now, &out), 409);
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

/* ---- build logs through cbk_cb_logs_read() (the CodeBuild behaviour's logs_read hook) ---- */

/* Collects events as "STREAM|TIME|message\n" (times relative to T0), checking each stream's
 * time order. */
struct logs {
    struct cbk_buf b;
    size_t n;
    char last_stream[256];
    int64_t last_ts;
};

static bool log_event(void *arg, const char *stream, int64_t ts, int64_t ingest, const char *msg,
                      size_t len)
{
    struct logs *l = arg;
    if (strcmp(stream, l->last_stream) == 0)
        assert_true(ts >= l->last_ts);
    snprintf(l->last_stream, sizeof l->last_stream, "%s", stream);
    l->last_ts = ts;
    assert_int_equal(ingest, ts);
    cbk_buf_addf(&l->b, "%s|%lld|%.*s\n", stream, (long long)(ts - T0), (int)len, msg);
    l->n++;
    return true;
}

/* The log of 'group' ('stream' or every stream) now into 'l' (release l->b); whether found. */
static bool read_log(struct world *w, const char *group, const char *stream, struct logs *l)
{
    memset(l, 0, sizeof *l);
    cbk_buf_init(&l->b, (size_t)16 << 20);
    struct cbk_svc_log_sink sink = {log_event, l};
    bool found = cbk_cb_logs_read(w->cb, group, stream, w->now, &sink);
    cbk_buf_addc(&l->b, '\0');
    return found;
}

/* Start a build with 'body'; its id, group and stream into the buffers (256 bytes each). */
static void start(struct world *w, const char *body, char *id, char *group, char *stream)
{
    struct json_object *b = ok(w, "StartBuild", body);
    snprintf(id, 256, "%s", str_at(b, "/build/id"));
    struct json_object *v = NULL;
    snprintf(group, 256, "%s",
             cbk_jsonq_get(b, "/build/logs/groupName", &v) ? json_object_get_string(v) : "");
    snprintf(stream, 256, "%s",
             cbk_jsonq_get(b, "/build/logs/streamName", &v) ? json_object_get_string(v) : "");
    json_object_put(b);
}

static void build_log_follows_the_phases(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 20000, 100); /* 20-second builds */
    char id[256], group[256], stream[256];
    start(&w, "{\"projectName\":\"app\"}", id, group, stream);
    assert_string_equal(group, "/aws/codebuild/app");
    assert_string_equal(stream, id + 4); /* the uuid */
    struct logs l;
    /* queued: the stream exists, empty */
    assert_true(read_log(&w, group, stream, &l));
    assert_int_equal(l.n, 0);
    cbk_buf_release(&l.b);
    /* every moment: the log extends the earlier one, and says what BatchGetBuilds says */
    char *prev = cbk_xstrdup("");
    for (int t = 0; t <= 25; t++) {
        w.now = T0 + t * 1000;
        assert_true(read_log(&w, group, stream, &l));
        assert_int_equal(strncmp(l.b.ptr, prev, strlen(prev)), 0);
        struct json_object *g = get_build(&w, id);
        struct json_object *phases = at(g, "/builds/0/phases");
        for (size_t i = 0; i < json_object_array_length(phases); i++) {
            struct json_object *ph = json_object_array_get_idx(phases, i), *st = NULL;
            const char *type = json_object_get_string(json_object_object_get(ph, "phaseType"));
            char want[128];
            if (!strcmp(type, "INSTALL") || !strcmp(type, "PRE_BUILD") || !strcmp(type, "BUILD") ||
                !strcmp(type, "POST_BUILD") || !strcmp(type, "UPLOAD_ARTIFACTS")) {
                snprintf(want, sizeof want, "Entering phase %s\n", type);
                assert_non_null(strstr(l.b.ptr, want));
                snprintf(want, sizeof want, "Phase complete: %s State: ", type);
                bool ended = json_object_object_get_ex(ph, "phaseStatus", &st);
                assert_true(ended == (strstr(l.b.ptr, want) != NULL));
            }
        }
        bool complete = json_object_get_boolean(at(g, "/builds/0/buildComplete"));
        assert_true(complete ==
                    (strstr(l.b.ptr, "Phase complete: FINALIZING State: SUCCEEDED\n") != NULL));
        json_object_put(g);
        free(prev);
        prev = cbk_xstrdup(l.b.ptr);
        cbk_buf_release(&l.b);
    }
    assert_non_null(strstr(prev, "Phase complete: BUILD State: SUCCEEDED\n"));
    free(prev);
    /* a second build: the group has both streams, the oldest first; other names are unknown */
    char id2[256], group2[256], stream2[256];
    start(&w, "{\"projectName\":\"app\"}", id2, group2, stream2);
    w.now += 25000;
    assert_true(read_log(&w, group, NULL, &l));
    char *first = strstr(l.b.ptr, stream), *second = strstr(l.b.ptr, stream2);
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
    cbk_buf_release(&l.b);
    assert_false(read_log(&w, group, "00000000-0000-4000-8000-000000000000", &l));
    cbk_buf_release(&l.b);
    assert_false(read_log(&w, "/aws/codebuild/ap", NULL, &l));
    cbk_buf_release(&l.b);
    assert_false(read_log(&w, "/aws/codebuild/other", NULL, &l));
    cbk_buf_release(&l.b);
    cbk_cb_free(w.cb);
}

static void build_log_of_failed_and_stopped_builds(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 20000, 100);
    struct cb_outcomes *o =
        rules_from("- match: {project: red}\n"
                   "  status: FAILED\n"
                   "  context: {statusCode: COMMAND_EXECUTION_ERROR,\n"
                   "            message: 'Error while executing command: go test ./.... Reason: "
                   "exit status 1'}\n"
                   "  output: [\"=== RUN   TestA\", \"--- FAIL: TestA (0.01s)\", FAIL]\n"
                   "- match: {project: green}\n"
                   "  output: |\n"
                   "    ok  example.com/app  0.5s\n"
                   "    done\n");
    const struct cb_outcome_set set = {(const struct cb_outcomes *const[]){o}, 1, false};
    w.outcomes = &set;
    char id[256], group[256], stream[256];
    start(&w, "{\"projectName\":\"red\"}", id, group, stream);
    char gid[256], ggroup[256], gstream[256];
    start(&w, "{\"projectName\":\"green\"}", gid, ggroup, gstream);
    /* the scenario goes: the builds keep their lines */
    w.outcomes = NULL;
    cb_outcomes_free(o);
    w.now = T0 + 3600 * 1000;
    struct logs l;
    assert_true(read_log(&w, group, stream, &l));
    const char *run = strstr(l.b.ptr, "Running command go test ./...\n");
    const char *a = strstr(l.b.ptr, "|=== RUN   TestA\n"), *b = strstr(l.b.ptr, "|--- FAIL");
    const char *c = strstr(l.b.ptr, "|FAIL\n");
    const char *failed = strstr(l.b.ptr, "Command did not exit successfully go test ./... exit "
                                         "status 1\n");
    const char *done = strstr(l.b.ptr, "Phase complete: BUILD State: FAILED\n");
    const char *ctx = strstr(l.b.ptr, "Phase context status code: COMMAND_EXECUTION_ERROR "
                                      "Message: Error while executing command: go test ./.... "
                                      "Reason: exit status 1\n");
    assert_true(run && a && b && c && failed && done && ctx);
    assert_true(run < a && a < b && b < c && c < failed && failed < done && done < ctx);
    cbk_buf_release(&l.b);
    assert_true(read_log(&w, ggroup, gstream, &l));
    assert_non_null(strstr(l.b.ptr, "|ok  example.com/app  0.5s\n"));
    const char *last = strstr(l.b.ptr, "|done\n");
    assert_non_null(last);
    /* the block's final newline ends its last line: no empty line follows */
    const char *next = strchr(last, '\n') + 1;
    assert_non_null(strstr(next, "[Container]"));
    assert_true(strstr(next, "[Container]") < strchr(next, '\n'));
    assert_non_null(strstr(l.b.ptr, "Phase complete: BUILD State: SUCCEEDED\n"));
    cbk_buf_release(&l.b);

    /* a build stopped in BUILD: STOPPED in the log, then nothing more of BUILD or after */
    start(&w, "{\"projectName\":\"app\"}", id, group, stream);
    struct json_object *g = NULL;
    for (;;) {
        g = get_build(&w, id);
        bool in_build = !strcmp(str_at(g, "/builds/0/currentPhase"), "BUILD");
        json_object_put(g);
        if (in_build)
            break;
        w.now += 500;
    }
    char body[300];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", id);
    json_object_put(ok(&w, "StopBuild", body));
    assert_true(read_log(&w, group, stream, &l));
    char *stopped = cbk_xstrdup(l.b.ptr);
    cbk_buf_release(&l.b);
    assert_non_null(strstr(stopped, "Phase complete: BUILD State: STOPPED\n"));
    assert_null(strstr(stopped, "POST_BUILD"));
    assert_non_null(strstr(stopped, "Phase complete: FINALIZING State: SUCCEEDED\n"));
    w.now += 3600 * 1000;
    assert_true(read_log(&w, group, stream, &l));
    assert_string_equal(l.b.ptr, stopped); /* complete: the log does not grow */
    cbk_buf_release(&l.b);
    free(stopped);
    cbk_cb_free(w.cb);
}

static void build_log_settings(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 20000, 100);
    char id[256], group[256], stream[256];
    /* a group and stream prefix of the override: the build writes there, and says so */
    start(&w,
          "{\"projectName\":\"app\",\"logsConfigOverride\":{\"cloudWatchLogs\":{\"status\":"
          "\"ENABLED\",\"groupName\":\"ci-logs\",\"streamName\":\"app/main\"}}}",
          id, group, stream);
    assert_string_equal(group, "ci-logs");
    char want[600];
    snprintf(want, sizeof want, "app/main/%s", id + 4);
    assert_string_equal(stream, want);
    struct json_object *g = get_build(&w, id);
    snprintf(want, sizeof want,
             "arn:aws:logs:us-east-1:123456789012:log-group:ci-logs:log-stream:app/main/%s",
             id + 4);
    assert_string_equal(str_at(g, "/builds/0/logs/cloudWatchLogsArn"), want);
    assert_string_equal(str_at(g, "/builds/0/logs/cloudWatchLogs/groupName"), "ci-logs");
    assert_string_equal(str_at(g, "/builds/0/logs/cloudWatchLogs/streamName"), "app/main");
    json_object_put(g);
    w.now += 30000;
    struct logs l;
    assert_true(read_log(&w, "ci-logs", stream, &l));
    assert_non_null(strstr(l.b.ptr, "Entering phase BUILD"));
    cbk_buf_release(&l.b);
    assert_false(read_log(&w, "/aws/codebuild/app", NULL, &l));
    cbk_buf_release(&l.b);
    /* disabled: no stream, no group in the build's logs */
    start(&w,
          "{\"projectName\":\"app\",\"logsConfigOverride\":{\"cloudWatchLogs\":{\"status\":"
          "\"DISABLED\"}}}",
          id, group, stream);
    assert_string_equal(group, "");
    assert_string_equal(stream, "");
    g = get_build(&w, id);
    assert_string_equal(str_at(g, "/builds/0/logs/cloudWatchLogs/status"), "DISABLED");
    struct json_object *v = NULL;
    assert_false(cbk_jsonq_get(g, "/builds/0/logs/deepLink", &v));
    assert_false(cbk_jsonq_get(g, "/builds/0/logs/cloudWatchLogsArn", &v));
    json_object_put(g);
    w.now += 30000;
    assert_false(read_log(&w, "/aws/codebuild/app", NULL, &l));
    cbk_buf_release(&l.b);
    /* a project's own settings go to builds without overrides, and to its retries */
    json_object_put(
        ok(&w, "CreateProject",
           "{\"name\":\"proj\",\"source\":{\"type\":\"NO_SOURCE\",\"buildspec\":\"x\"},"
           "\"artifacts\":{\"type\":\"NO_ARTIFACTS\"},\"serviceRole\":\"r\","
           "\"environment\":{\"type\":\"LINUX_CONTAINER\",\"image\":\"i\","
           "\"computeType\":\"BUILD_GENERAL1_SMALL\"},\"logsConfig\":{"
           "\"cloudWatchLogs\":{\"status\":\"ENABLED\",\"groupName\":\"proj-logs\"}}}"));
    start(&w, "{\"projectName\":\"proj\"}", id, group, stream);
    assert_string_equal(group, "proj-logs");
    assert_string_equal(stream, id + 5);
    snprintf(want, sizeof want, "{\"id\":\"%s\"}", id);
    struct json_object *r = ok(&w, "RetryBuild", want);
    assert_string_equal(str_at(r, "/build/logs/groupName"), "proj-logs");
    json_object_put(r);
    w.now += 30000;
    assert_true(read_log(&w, "proj-logs", NULL, &l));
    assert_non_null(strstr(l.b.ptr, stream));
    cbk_buf_release(&l.b);
    cbk_cb_free(w.cb);
}

static void build_log_of_batch_builds_and_admin_output(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 20000, 100);
    struct json_object *b = ok(&w, "StartBuildBatch", "{\"projectName\":\"app\"}");
    json_object_put(b);
    struct logs l;
    /* the batch's builds start once its spec is downloaded (2 s: a tenth of a build) */
    assert_false(read_log(&w, "/aws/codebuild/app", NULL, &l));
    cbk_buf_release(&l.b);
    w.now += 60000;
    assert_true(read_log(&w, "/aws/codebuild/app", NULL, &l));
    const char *p = l.b.ptr;
    size_t finals = 0;
    while ((p = strstr(p, "Phase complete: FINALIZING")) != NULL) {
        finals++;
        p++;
    }
    assert_int_equal(finals, 2); /* build1 and build2, complete */
    cbk_buf_release(&l.b);

    /* the admin outcome route gives output until BUILD begins */
    char id[256], group[256], stream[256];
    start(&w, "{\"projectName\":\"adm\"}", id, group, stream);
    struct cbk_buf out = CBK_BUF_INIT(1 << 24);
    const char lines[] = "make: *** [test] Error 2\nexit 2";
    assert_int_equal(cbk_cb_set_outcome(w.cb, id, 1 /* FAILED */, -1, NULL, NULL, lines,
                                        sizeof lines - 1, w.now, &out),
                     200);
    cbk_buf_reset(&out);
    w.now += 3600 * 1000;
    assert_true(read_log(&w, group, stream, &l));
    const char *x = strstr(l.b.ptr, "|make: *** [test] Error 2\n"),
               *y = strstr(l.b.ptr, "|exit 2\n");
    assert_true(x && y && x < y);
    assert_non_null(strstr(l.b.ptr, "Phase complete: BUILD State: FAILED\n"));
    cbk_buf_release(&l.b);
    start(&w, "{\"projectName\":\"adm\"}", id, group, stream);
    for (;;) {
        struct json_object *g = get_build(&w, id);
        bool in_build = !strcmp(str_at(g, "/builds/0/currentPhase"), "BUILD");
        json_object_put(g);
        if (in_build)
            break;
        w.now += 500;
    }
    assert_int_equal(
        cbk_cb_set_outcome(w.cb, id, 1, -1, NULL, NULL, lines, sizeof lines - 1, w.now, &out), 409);
    assert_non_null(strstr(out.ptr, "output can be given until BUILD begins"));
    cbk_buf_release(&out);
    cbk_cb_free(w.cb);
}

/* The first error of outcome rules that do not load. */
static void rules_error(const char *yaml, char *msg, size_t size)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ydoc *doc = NULL;
    assert_int_equal(cbk_yaml_parse(yaml, strlen(yaml), "t.yaml", 64, CBK_E_SCENARIO, &doc, &d),
                     CBK_OK);
    struct cbk_ycheck ck = {"t.yaml", &d, CBK_E_SCENARIO};
    struct cbk_buf path = CBK_BUF_INIT(1 << 12);
    cbk_ypath_push(&path, "outcomes");
    assert_null(cb_outcomes_parse(doc->root, &ck, &path));
    assert_true(d.nr > 0);
    snprintf(msg, size, "%d:%d %s %s", d.v[0].line, d.v[0].column, d.v[0].path ? d.v[0].path : "",
             d.v[0].message);
    cbk_buf_release(&path);
    cbk_ydoc_free(doc);
    cbk_diags_release(&d);
}

static void output_is_bounded(void **state)
{
    (void)state;
    char msg[512];
    rules_error("- output: {a: 1}\n", msg, sizeof msg);
    assert_non_null(strstr(msg, "1:11 outcomes[0].output "));
    struct cbk_buf y = CBK_BUF_INIT((size_t)1 << 24);
    cbk_buf_adds(&y, "- output:\n");
    for (int i = 0; i < CB_OUTPUT_MAX_LINES + 1; i++)
        cbk_buf_addf(&y, "  - line %d\n", i);
    rules_error(cbk_buf_str(&y), msg, sizeof msg);
    assert_non_null(strstr(msg, "output has at most 1000 lines"));
    cbk_buf_reset(&y);
    cbk_buf_adds(&y, "- status: FAILED\n  output: [ok, \"");
    for (int i = 0; i < CB_OUTPUT_MAX_LINE + 1; i++)
        cbk_buf_addc(&y, 'x');
    cbk_buf_adds(&y, "\"]\n");
    rules_error(cbk_buf_str(&y), msg, sizeof msg);
    assert_non_null(strstr(msg, "2:16 outcomes[0].output[1] "));
    assert_non_null(strstr(msg, "a line of output has at most 8192 bytes, not 8193"));
    cbk_buf_release(&y);
    /* at the limits: fine */
    struct cb_outcomes *o = rules_from("- output: \"\"\n- output: []\n- output: [\"\", a]\n");
    assert_null(o->v[0].output);
    assert_null(o->v[1].output);
    assert_int_equal(o->v[2].output_len, 2);
    assert_memory_equal(o->v[2].output, "\na", 2);
    cb_outcomes_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_move_with_the_clock),
        cmocka_unit_test(outcome_rules_decide),
        cmocka_unit_test(admin_outcome_and_stop),
        cmocka_unit_test(cap_and_paging),
        cmocka_unit_test(strict_world_needs_projects),
        cmocka_unit_test(build_log_follows_the_phases),
        cmocka_unit_test(build_log_of_failed_and_stopped_builds),
        cmocka_unit_test(build_log_settings),
        cmocka_unit_test(build_log_of_batch_builds_and_admin_output),
        cmocka_unit_test(output_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
