/*
 * test_replay.c - replay (docs/replay.md) without a live endpoint.
 *
 *  (a) cbk_replay_compare_bodies(): equal bodies (member order, 5 vs 5.0, null as absent),
 *      per-call values (the spec's volatile and sensitive members, UUIDs inside strings,
 *      redacted values) compared only for presence and type, non-volatile value differences
 *      with their pointer and renderings, missing and extra members, type changes, list
 *      lengths, --ignore patterns ('*' is one token), error bodies (__type left out, message
 *      a note), bodies that are not JSON, pointer escaping, the difference limit;
 *  (b) cbk_replay_run() against a closed port: every exchange unanswered, the reports
 *      (text, JSON, JUnit) agree; option errors are CBK_E_USAGE with a reason.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cbkit/cbkit.h"
#include "cbkit/cassette.h"
#include "cbkit/replay.h"

#include "tests/unit/unit_spec.h"

/* Compare two bodies of 'op'; *out gets the differences (released by the caller). */
static size_t cmp_ign(const char *op, bool error_body, const char *rec, const char *live,
                      const char *const *ignore, size_t nignore, struct cbk_replay_diffs *out)
{
    cbk_replay_diffs_init(out, 0);
    return cbk_replay_compare_bodies(spec, op, error_body, rec, strlen(rec), live, strlen(live),
                                     ignore, nignore, out);
}

static size_t cmp(const char *op, const char *rec, const char *live, struct cbk_replay_diffs *out)
{
    return cmp_ign(op, false, rec, live, NULL, 0, out);
}

static void assert_diff(const struct cbk_replay_diffs *d, size_t i, enum cbk_replay_kind kind,
                        const char *pointer, const char *recorded, const char *live)
{
    assert_true(i < d->nr);
    const struct cbk_replay_diff *x = &d->v[i];
    if (x->kind != kind)
        fail_msg("difference %zu: kind %s, expected %s (%s: %s)", i, cbk_replay_kind_name(x->kind),
                 cbk_replay_kind_name(kind), x->pointer, x->message);
    assert_string_equal(x->pointer, pointer);
    if (recorded)
        assert_string_equal(x->recorded, recorded);
    if (live)
        assert_string_equal(x->live, live);
}

/* ---- (a) the body comparison ---------------------------------------------------------- */

static void equal_bodies(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    /* member order, whitespace and number spelling do not matter */
    assert_int_equal(cmp("StopBuild",
                         "{\"build\":{\"buildStatus\":\"STOPPED\",\"timeoutInMinutes\":60,"
                         "\"projectName\":\"my-app\",\"buildComplete\":true}}",
                         "{ \"build\" : {\"projectName\":\"my-app\",\"timeoutInMinutes\":60.0,"
                         "\"buildComplete\":true,\"buildStatus\":\"STOPPED\"} }",
                         &d),
                     0);
    assert_int_equal(d.nr, 0);
    cbk_replay_diffs_release(&d);
    /* a null member is an absent member, as SDKs read it */
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"projectName\":\"p\",\"initiator\":null}}",
                         "{\"build\":{\"projectName\":\"p\"}}", &d),
                     0);
    cbk_replay_diffs_release(&d);
    /* empty bodies are {} */
    assert_int_equal(cmp("StopBuild", "", "{}", &d), 0);
    assert_int_equal(cmp("StopBuild", "  \n", "", &d), 0);
    cbk_replay_diffs_release(&d);
}

static void volatile_members_presence_and_type(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    /* ids, ARNs, build numbers, times: different values, same presence and type */
    const char *rec = "{\"build\":{\"id\":\"my-app:11111111-2222-4333-8444-555555555555\","
                      "\"arn\":\"arn:aws:codebuild:us-east-1:1:build/my-app:1\","
                      "\"buildNumber\":1,\"startTime\":1735689600.0,\"buildStatus\":\"STOPPED\","
                      "\"phases\":[{\"phaseType\":\"SUBMITTED\",\"startTime\":1.5,"
                      "\"durationInSeconds\":0}]}}";
    const char *live = "{\"build\":{\"id\":\"other:x\",\"arn\":\"arn:aws:codebuild:eu:2:build/o\","
                       "\"buildNumber\":42,\"startTime\":1800000000.123,"
                       "\"buildStatus\":\"STOPPED\",\"phases\":[{\"phaseType\":\"SUBMITTED\","
                       "\"startTime\":99,\"durationInSeconds\":17}]}}";
    assert_int_equal(cmp("StopBuild", rec, live, &d), 0);
    assert_int_equal(d.nr, 0);
    cbk_replay_diffs_release(&d);
    /* the type of a volatile member still counts */
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"buildNumber\":1}}",
                         "{\"build\":{\"buildNumber\":\"1\"}}", &d),
                     1);
    assert_diff(&d, 0, CBK_REPLAY_TYPE, "/build/buildNumber", "1", "\"1\"");
    assert_string_equal(d.v[0].message, "number 1 recorded, string \"1\" live");
    cbk_replay_diffs_release(&d);
    /* and so does its presence */
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"startTime\":1,\"buildStatus\":\"STOPPED\"}}",
                         "{\"build\":{\"buildStatus\":\"STOPPED\",\"endTime\":2}}", &d),
                     2);
    assert_diff(&d, 0, CBK_REPLAY_MISSING, "/build/startTime", "1", "");
    assert_diff(&d, 1, CBK_REPLAY_EXTRA, "/build/endTime", "", "2");
    cbk_replay_diffs_release(&d);
    /* the volatile members of another operation's output are not this one's */
    assert_int_equal(cmp("StartBuildBatch", "{\"buildBatch\":{\"id\":\"p:1\"}}",
                         "{\"buildBatch\":{\"id\":\"p:2\"}}", &d),
                     0);
    cbk_replay_diffs_release(&d);
}

static void uuids_and_redacted_values(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    /* a UUID anywhere in a string is a per-call value; the text around it is not */
    assert_int_equal(
        cmp("StopBuild",
            "{\"build\":{\"logs\":{\"streamName\":\"11111111-2222-4333-8444-555555555555\"},"
            "\"initiator\":\"req 003a4868-aab7-4288-867d-027c23a66c42 by me\"}}",
            "{\"build\":{\"logs\":{\"streamName\":\"AAAAAAAA-2222-4333-8444-555555555555\"},"
            "\"initiator\":\"req 9f1c0e7a-1d1b-4a59-b0a2-5a3b2c1d0e9f by me\"}}",
            &d),
        0);
    cbk_replay_diffs_release(&d);
    assert_int_equal(cmp("StopBuild",
                         "{\"build\":{\"initiator\":\"req 003a4868-aab7-4288-867d-027c23a66c42 "
                         "by me\"}}",
                         "{\"build\":{\"initiator\":\"req 9f1c0e7a-1d1b-4a59-b0a2-5a3b2c1d0e9f "
                         "by you\"}}",
                         &d),
                     1);
    assert_diff(&d, 0, CBK_REPLAY_VALUE, "/build/initiator", NULL, NULL);
    cbk_replay_diffs_release(&d);
    /* not a UUID: a hex run of the wrong shape */
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"initiator\":\"0123456789abcdef\"}}",
                         "{\"build\":{\"initiator\":\"0123456789abcdee\"}}", &d),
                     1);
    cbk_replay_diffs_release(&d);
    /* a value redacted when recorded: presence and type only */
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"initiator\":\"[REDACTED]\"}}",
                         "{\"build\":{\"initiator\":\"alice\"}}", &d),
                     0);
    cbk_replay_diffs_release(&d);
    /* the spec's sensitive members (redacted by the recorder) likewise */
    assert_int_equal(cmp("StopBuild",
                         "{\"build\":{\"environment\":{\"environmentVariables\":[{\"name\":\"T\","
                         "\"value\":\"[REDACTED]\"}]}}}",
                         "{\"build\":{\"environment\":{\"environmentVariables\":[{\"name\":\"T\","
                         "\"value\":\"s3cr3t\"}]}}}",
                         &d),
                     0);
    cbk_replay_diffs_release(&d);
}

static void value_differences(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    assert_int_equal(cmp("StopBuild",
                         "{\"build\":{\"buildStatus\":\"STOPPED\",\"buildComplete\":true}}",
                         "{\"build\":{\"buildStatus\":\"FAILED\",\"buildComplete\":false}}", &d),
                     2);
    assert_diff(&d, 0, CBK_REPLAY_VALUE, "/build/buildStatus", "\"STOPPED\"", "\"FAILED\"");
    assert_string_equal(d.v[0].message, "\"STOPPED\" recorded, \"FAILED\" live");
    assert_false(d.v[0].note);
    assert_diff(&d, 1, CBK_REPLAY_VALUE, "/build/buildComplete", "true", "false");
    cbk_replay_diffs_release(&d);
    /* numbers by value */
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"timeoutInMinutes\":60}}",
                         "{\"build\":{\"timeoutInMinutes\":61}}", &d),
                     1);
    assert_diff(&d, 0, CBK_REPLAY_VALUE, "/build/timeoutInMinutes", "60", "61");
    cbk_replay_diffs_release(&d);
    /* long values are shortened */
    char rec[512], live[512];
    snprintf(rec, sizeof rec, "{\"build\":{\"sourceVersion\":\"%0200d\"}}", 1);
    snprintf(live, sizeof live, "{\"build\":{\"sourceVersion\":\"%0200d\"}}", 2);
    assert_int_equal(cmp("StopBuild", rec, live, &d), 1);
    assert_true(strlen(d.v[0].recorded) <= 64);
    assert_non_null(strstr(d.v[0].recorded, "..."));
    cbk_replay_diffs_release(&d);
}

static void missing_and_extra_members(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    assert_int_equal(
        cmp("StopBuild", "{\"build\":{\"projectName\":\"p\",\"logs\":{\"groupName\":\"g\"}}}",
            "{\"build\":{\"initiator\":\"me\",\"logs\":{\"groupName\":\"g\",\"x\":1}}}", &d),
        3);
    /* recorded members first, in recorded order, then the live extras */
    assert_diff(&d, 0, CBK_REPLAY_MISSING, "/build/projectName", "\"p\"", "");
    assert_string_equal(d.v[0].message, "missing from the live answer (recorded: \"p\")");
    assert_diff(&d, 1, CBK_REPLAY_EXTRA, "/build/logs/x", "", "1");
    assert_diff(&d, 2, CBK_REPLAY_EXTRA, "/build/initiator", "", "\"me\"");
    assert_string_equal(d.v[2].message, "not recorded (live: \"me\")");
    cbk_replay_diffs_release(&d);
    /* a whole missing structure is one difference */
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"projectName\":\"p\"}}", "{}", &d), 1);
    assert_diff(&d, 0, CBK_REPLAY_MISSING, "/build", "{\"projectName\":\"p\"}", "");
    cbk_replay_diffs_release(&d);
    /* member names are escaped in pointers */
    assert_int_equal(cmp(NULL, "{\"a/b\":{\"c~d\":1}}", "{\"a/b\":{}}", &d), 1);
    assert_diff(&d, 0, CBK_REPLAY_MISSING, "/a~1b/c~0d", "1", "");
    cbk_replay_diffs_release(&d);
}

static void type_changes(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    assert_int_equal(cmp("StopBuild",
                         "{\"build\":{\"timeoutInMinutes\":60,\"phases\":[],\"logs\":{}}}",
                         "{\"build\":{\"timeoutInMinutes\":\"60\",\"phases\":{},\"logs\":[]}}", &d),
                     3);
    assert_diff(&d, 0, CBK_REPLAY_TYPE, "/build/timeoutInMinutes", "60", "\"60\"");
    assert_diff(&d, 1, CBK_REPLAY_TYPE, "/build/phases", "[]", "{}");
    assert_string_equal(d.v[1].message, "array [] recorded, object {} live");
    assert_diff(&d, 2, CBK_REPLAY_TYPE, "/build/logs", "{}", "[]");
    cbk_replay_diffs_release(&d);
    /* a null list element is the value null */
    assert_int_equal(cmp(NULL, "[1,null]", "[1,2]", &d), 1);
    assert_diff(&d, 0, CBK_REPLAY_TYPE, "/1", "null", "2");
    cbk_replay_diffs_release(&d);
}

static void list_lengths(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    assert_int_equal(cmp("StopBuild",
                         "{\"build\":{\"phases\":[{\"phaseType\":\"SUBMITTED\"},"
                         "{\"phaseType\":\"QUEUED\"}]}}",
                         "{\"build\":{\"phases\":[{\"phaseType\":\"SUBMITTED\"},"
                         "{\"phaseType\":\"PROVISIONING\"},{\"phaseType\":\"BUILD\"}]}}",
                         &d),
                     2);
    assert_diff(&d, 0, CBK_REPLAY_LENGTH, "/build/phases", "2", "3");
    assert_string_equal(d.v[0].message, "2 items recorded, 3 live");
    /* then element by element over the common part */
    assert_diff(&d, 1, CBK_REPLAY_VALUE, "/build/phases/1/phaseType", "\"QUEUED\"",
                "\"PROVISIONING\"");
    cbk_replay_diffs_release(&d);
    assert_int_equal(cmp("StopBuild", "{\"build\":{\"reportArns\":[\"a\"]}}",
                         "{\"build\":{\"reportArns\":[]}}", &d),
                     1);
    assert_diff(&d, 0, CBK_REPLAY_LENGTH, "/build/reportArns", "1", "0");
    assert_string_equal(d.v[0].message, "1 item recorded, 0 live");
    cbk_replay_diffs_release(&d);
}

static void ignore_patterns(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    const char *rec = "{\"build\":{\"phases\":[{\"phaseType\":\"A\",\"phaseStatus\":\"SUCCEEDED\"},"
                      "{\"phaseType\":\"B\",\"phaseStatus\":\"FAILED\"}],\"initiator\":\"me\"}}";
    const char *live = "{\"build\":{\"phases\":[{\"phaseType\":\"A\",\"phaseStatus\":\"FAILED\"},"
                       "{\"phaseType\":\"B\"}],\"currentPhase\":\"X\"}}";
    assert_int_equal(cmp("StopBuild", rec, live, &d), 4);
    cbk_replay_diffs_release(&d);
    /* '*' matches any one token; ignored members count neither for value nor presence */
    const char *ign[] = {"/build/phases/*/phaseStatus", "/build/initiator", "/build/currentPhase"};
    assert_int_equal(cmp_ign("StopBuild", false, rec, live, ign, 3, &d), 0);
    cbk_replay_diffs_release(&d);
    /* ... exactly one token */
    const char *one[] = {"/build/*/phaseStatus"};
    assert_int_equal(cmp_ign("StopBuild", false, rec, live, one, 1, &d), 4);
    cbk_replay_diffs_release(&d);
    /* a whole subtree */
    const char *tree[] = {"/build"};
    assert_int_equal(cmp_ign("StopBuild", false, rec, live, tree, 1, &d), 0);
    cbk_replay_diffs_release(&d);
}

static void error_bodies(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    /* __type is compared as the error code (by the caller); the message is a note */
    assert_int_equal(cmp_ign("StopBuild", true,
                             "{\"__type\":\"InvalidInputException\",\"message\":\"Invalid build "
                             "ID provided\"}",
                             "{\"__type\":\"com.amazonaws.codebuild#InvalidInputException\","
                             "\"message\":\"Build ID is required\"}",
                             NULL, 0, &d),
                     0);
    assert_int_equal(d.nr, 1);
    assert_diff(&d, 0, CBK_REPLAY_MESSAGE, "/message", "\"Invalid build ID provided\"",
                "\"Build ID is required\"");
    assert_true(d.v[0].note);
    assert_int_equal(d.mismatches, 0);
    cbk_replay_diffs_release(&d);
    /* Message (capital M) too, and its absence */
    assert_int_equal(cmp_ign("StopBuild", true, "{\"__type\":\"X\",\"Message\":\"m\"}",
                             "{\"__type\":\"X\"}", NULL, 0, &d),
                     0);
    assert_int_equal(d.nr, 1);
    assert_true(d.v[0].note);
    cbk_replay_diffs_release(&d);
    /* other members of an error body are compared as usual */
    assert_int_equal(cmp_ign("StopBuild", true, "{\"__type\":\"X\",\"message\":\"m\"}",
                             "{\"__type\":\"X\",\"message\":\"m\",\"reason\":\"r\"}", NULL, 0, &d),
                     1);
    assert_diff(&d, 0, CBK_REPLAY_EXTRA, "/reason", "", "\"r\"");
    cbk_replay_diffs_release(&d);
    /* as success bodies, __type and message are ordinary members */
    assert_int_equal(cmp("StopBuild", "{\"__type\":\"X\",\"message\":\"m\"}",
                         "{\"__type\":\"Y\",\"message\":\"n\"}", &d),
                     2);
    cbk_replay_diffs_release(&d);
}

static void bodies_that_are_not_json(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    assert_int_equal(cmp(NULL, "<html>503</html>", "<html>503</html>", &d), 0);
    cbk_replay_diffs_release(&d);
    assert_int_equal(cmp(NULL, "<html>503</html>", "<html>502</html>", &d), 1);
    assert_diff(&d, 0, CBK_REPLAY_NOT_JSON, "", "\"<html>503</html>\"", "\"<html>502</html>\"");
    cbk_replay_diffs_release(&d);
    assert_int_equal(cmp("StopBuild", "{\"build\":{}}", "{\"build\":", &d), 1);
    assert_diff(&d, 0, CBK_REPLAY_NOT_JSON, "", NULL, NULL);
    assert_string_equal(d.v[0].message, "the live body is not JSON: \"{\\\"build\\\":\"");
    cbk_replay_diffs_release(&d);
    /* trailing text after a JSON value is not JSON */
    assert_int_equal(cmp(NULL, "{}", "{} x", &d), 1);
    cbk_replay_diffs_release(&d);
}

static void unknown_operation_nothing_volatile(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    assert_int_equal(cmp("NoSuchOperation", "{\"build\":{\"buildNumber\":1}}",
                         "{\"build\":{\"buildNumber\":2}}", &d),
                     1);
    cbk_replay_diffs_release(&d);
    assert_int_equal(
        cmp(NULL, "{\"build\":{\"buildNumber\":1}}", "{\"build\":{\"buildNumber\":2}}", &d), 1);
    cbk_replay_diffs_release(&d);
}

static void difference_limit(void **state)
{
    (void)state;
    struct cbk_replay_diffs d;
    cbk_replay_diffs_init(&d, 2);
    const char *rec = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}";
    const char *live = "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0}";
    assert_int_equal(cbk_replay_compare_bodies(spec, NULL, false, rec, strlen(rec), live,
                                               strlen(live), NULL, 0, &d),
                     5);
    assert_int_equal(d.nr, 2);
    assert_int_equal(d.dropped, 3);
    assert_int_equal(d.mismatches, 5);
    cbk_replay_diffs_release(&d);
    assert_int_equal(d.max, 2);
    assert_int_equal(d.nr, 0);
    cbk_replay_diffs_release(NULL);
}

/* ---- (b) a replay with no endpoint ----------------------------------------------------- */

static const char cassette_text[] =
    "cbkit-cassette: 1\n"
    "...\n"
    "---\n"
    "exchange: 1\n"
    "operation: StopBuild\n"
    "request:\n"
    "  body: '{\"id\": \"my-app:1\"}'\n"
    "response:\n"
    "  status: 200\n"
    "  body: '{\"build\":{\"buildStatus\":\"STOPPED\"}}'\n"
    "...\n"
    "---\n"
    "exchange: 2\n"
    "operation: StartBuildBatch\n"
    "request:\n"
    "  json: {projectName: p, environmentVariablesOverride: [{name: T, value: '[REDACTED]'}]}\n"
    "response:\n"
    "  status: 400\n"
    "  body: '{\"__type\":\"InvalidInputException\",\"message\":\"no\"}'\n"
    "...\n";

static struct cbk_cassette *load_cassette(void)
{
    struct cbk_cassette *c = NULL;
    struct cbk_diags d = CBK_DIAGS_INIT;
    enum cbk_code rc =
        cbk_cassette_load_buffer(spec, cassette_text, strlen(cassette_text), "unit.yaml", &c, &d);
    for (size_t i = 0; i < d.nr; i++)
        print_message("%s:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].message);
    cbk_diags_release(&d);
    assert_int_equal(rc, CBK_OK);
    assert_int_equal(cbk_cassette_count(c), 2);
    return c;
}

struct seen {
    size_t n;
};

static void on_result(void *ctx, const struct cbk_replay_result *x)
{
    struct seen *s = ctx;
    s->n++;
    assert_int_equal(x->exchange, s->n);
}

static void run_without_target(void **state)
{
    (void)state;
    struct cbk_cassette *c = load_cassette();
    struct cbk_replay_opts o = CBK_REPLAY_OPTS_INIT;
    o.target = "http://127.0.0.1:1/"; /* nothing listens on port 1 */
    o.access_key = "AKIDEXAMPLE";
    o.secret_key = "secret";
    o.connect_timeout_ms = 2000;
    struct seen seen = {0};
    o.progress = on_result;
    o.progress_ctx = &seen;
    struct cbk_replay *r = NULL;
    struct cbk_diags d = CBK_DIAGS_INIT;
    assert_int_equal(cbk_replay_run(spec, c, &o, &r, &d), CBK_OK);
    cbk_diags_release(&d);
    assert_int_equal(seen.n, 2);
    assert_int_equal(cbk_replay_count(r), 2);
    assert_null(cbk_replay_at(r, 2));
    const struct cbk_replay_result *x = cbk_replay_at(r, 1);
    assert_false(x->answered);
    assert_false(x->matched);
    assert_int_equal(x->recorded_status, 400);
    assert_string_equal(x->recorded_error, "InvalidInputException");
    assert_int_equal(x->live_status, 0);
    assert_null(x->live_error);
    /* the redaction note, then the reason */
    assert_int_equal(x->diffs.nr, 2);
    assert_int_equal(x->diffs.v[0].kind, CBK_REPLAY_REDACTED);
    assert_true(x->diffs.v[0].note);
    assert_int_equal(x->diffs.v[1].kind, CBK_REPLAY_UNREACHABLE);
    assert_non_null(strstr(x->diffs.v[1].message, "no answer from http://127.0.0.1:1: "));
    struct cbk_replay_summary s;
    cbk_replay_summary(r, &s);
    assert_int_equal(s.exchanges, 2);
    assert_int_equal(s.matched, 0);
    assert_int_equal(s.mismatched, 2);
    assert_int_equal(s.unanswered, 2);
    assert_int_equal(s.notes, 1);

    /* text */
    char *text = cbk_replay_format(r, CBK_REPLAY_TEXT, NULL);
    assert_non_null(strstr(text, "exchange 1 StopBuild: MISMATCH\n  no answer from "));
    assert_non_null(strstr(text, "exchange 2 StartBuildBatch: MISMATCH\n  no answer from "));
    assert_non_null(strstr(text, "  note: request contains redacted values (sent as recorded)\n"));
    assert_non_null(strstr(text, "replay: 2 exchanges against http://127.0.0.1:1: 0 ok, 2 "
                                 "mismatch (2 without an answer)\n"));
    char *one = cbk_replay_result_text(cbk_replay_at(r, 0));
    assert_non_null(strstr(text, one));
    char *sum = cbk_replay_summary_text(r);
    assert_non_null(strstr(text, sum));
    free(one);
    free(sum);
    free(text);

    /* JSON */
    size_t len = 0;
    char *js = cbk_replay_format(r, CBK_REPLAY_JSON, &len);
    assert_int_equal(strlen(js), len);
    struct json_object *doc = json_tokener_parse(js);
    assert_non_null(doc);
    struct json_object *v, *ex, *x1;
    assert_true(json_object_object_get_ex(doc, "target", &v));
    assert_string_equal(json_object_get_string(v), "http://127.0.0.1:1");
    assert_true(json_object_object_get_ex(doc, "summary", &v));
    assert_true(json_object_object_get_ex(v, "unanswered", &v));
    assert_int_equal(json_object_get_int(v), 2);
    assert_true(json_object_object_get_ex(doc, "exchanges", &ex));
    assert_int_equal(json_object_array_length(ex), 2);
    x1 = json_object_array_get_idx(ex, 1);
    assert_true(json_object_object_get_ex(x1, "result", &v));
    assert_string_equal(json_object_get_string(v), "mismatch");
    assert_true(json_object_object_get_ex(x1, "recorded", &v));
    assert_true(json_object_object_get_ex(v, "errorCode", &v));
    assert_string_equal(json_object_get_string(v), "InvalidInputException");
    assert_true(json_object_object_get_ex(x1, "differences", &v));
    assert_int_equal(json_object_array_length(v), 1);
    assert_true(json_object_object_get_ex(x1, "notes", &v));
    assert_int_equal(json_object_array_length(v), 1);
    json_object_put(doc);
    free(js);

    /* JUnit */
    char *xml = cbk_replay_format(r, CBK_REPLAY_JUNIT, NULL);
    assert_non_null(strstr(xml, "<testsuites name=\"cbkit replay\" tests=\"2\" failures=\"2\""));
    assert_non_null(strstr(xml, "name=\"exchange 2 StartBuildBatch (line 12)\""));
    assert_non_null(strstr(xml, "<failure type=\"unreachable\" message=\"no answer from "));
    assert_non_null(strstr(xml, "<system-out>  note: request contains redacted values"));
    free(xml);

    /* FILE * */
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(cbk_replay_write(r, CBK_REPLAY_TEXT, f), CBK_OK);
    assert_true(ftell(f) > 0);
    fclose(f);

    cbk_replay_free(r);
    cbk_replay_free(NULL);
    cbk_cassette_free(c);
}

static void run_option_errors(void **state)
{
    (void)state;
    struct cbk_cassette *c = load_cassette();
    struct cbk_replay_opts o = CBK_REPLAY_OPTS_INIT;
    struct cbk_replay *r = (struct cbk_replay *)1;
    struct cbk_diags d = CBK_DIAGS_INIT;
    /* not http(s), no host, spaces; and (issue 9) anything but scheme://host[:port]: a user
     * name or password would move the host ("http://h:1@evil"), a path, a query, a fragment */
    static const char *const bad_targets[] = {
        "127.0.0.1:1",     "ftp://x",         "http://",        "http:///x",
        "http://a b",      "http://h:1@evil", "http://u:p@h:1", "http://h:1/prefix",
        "http://h:1/?q=1", "http://h:1#frag", "http://h:1?",    "https://h\r\n:1"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(bad_targets); i++) {
        o.target = bad_targets[i];
        assert_int_equal(cbk_replay_run(spec, c, &o, &r, &d), CBK_E_USAGE);
        assert_null(r);
        assert_int_equal(d.nr, 1);
        assert_non_null(strstr(d.v[0].message, "is not an http:// or https:// URL"));
        cbk_diags_release(&d);
    }
    o.target = "https://codebuild.us-east-1.amazonaws.com";
    const char *ign[] = {"/build/id", "build/id"};
    o.ignore = ign;
    o.nignore = 2;
    assert_int_equal(cbk_replay_run(spec, c, &o, &r, &d), CBK_E_USAGE);
    assert_null(r);
    assert_int_equal(d.nr, 1);
    assert_non_null(strstr(d.v[0].message, "'build/id' is not a JSON pointer"));
    cbk_diags_release(&d);
    cbk_cassette_free(c);
}

static void kind_names(void **state)
{
    (void)state;
    assert_string_equal(cbk_replay_kind_name(CBK_REPLAY_STATUS), "status");
    assert_string_equal(cbk_replay_kind_name(CBK_REPLAY_ERROR_CODE), "errorCode");
    assert_string_equal(cbk_replay_kind_name(CBK_REPLAY_UNKNOWN_OP), "unknownOperation");
    assert_string_equal(cbk_replay_kind_name((enum cbk_replay_kind)999), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(equal_bodies),
        cmocka_unit_test(volatile_members_presence_and_type),
        cmocka_unit_test(uuids_and_redacted_values),
        cmocka_unit_test(value_differences),
        cmocka_unit_test(missing_and_extra_members),
        cmocka_unit_test(type_changes),
        cmocka_unit_test(list_lengths),
        cmocka_unit_test(ignore_patterns),
        cmocka_unit_test(error_bodies),
        cmocka_unit_test(bodies_that_are_not_json),
        cmocka_unit_test(unknown_operation_nothing_volatile),
        cmocka_unit_test(difference_limit),
        cmocka_unit_test(run_without_target),
        cmocka_unit_test(run_option_errors),
        cmocka_unit_test(kind_names),
    };
    return cmocka_run_group_tests(tests, load_spec, free_spec);
}
