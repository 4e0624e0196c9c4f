/*
 * test_mock_route.c - the mock's request pipeline without sockets: struct cbk_http_req values
 * built here go straight into cbk_mock_handle() (docs/mock.md, "The wire").
 *
 *  - routing: target (missing, other service, no dot, unknown or miscased operation), method,
 *    path, Content-Type variants, empty body, body too large, malformed JSON;
 *  - the envelope of every answer: x-amzn-RequestId (a UUID) and Content-Type on every API
 *    answer; error answers carry x-amzn-ErrorType equal to the body's bare __type and a message;
 *  - every success answer generated for RetryBuild, StopBuild and StartBuildBatch, for 200 seeds
 *    and varied request bodies (every optional override set, partial bodies, tricky strings,
 *    nulls, seeded builds in every status), validates STRICTLY against the operation's output
 *    shape and contains no JSON null (structures never serialize null: Smithy null.smithy);
 *  - idempotency tokens (same token and parameters within five minutes -> same id, different
 *    parameters -> IdempotentParameterMismatchException, a fresh token after five minutes), with
 *    the virtual clock moved through the admin route POST /__cbkit/clock;
 *  - the strict world (ResourceNotFoundException for unknown builds and projects);
 *  - the journal counts what was handled (admin requests excluded);
 *  - the admin API refuses what a web page of another site can send (issue 9): a foreign
 *    Origin, Sec-Fetch-Site other than same-origin, a Host that is not a loopback name or the
 *    bound address (unless admin_remote); tokens; never the AWS API by Host.
 */
#include "core/setup.h"

#include <pthread.h>
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cbkit/cbkit.h"
#include "cbkit/scenario.h"
#include "cbkit/services.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/rand.h"
#include "mock/mock_internal.h"

#define CT_JSON11 "application/x-amz-json-1.1"
#define PREFIX    "CodeBuild_20161006."
/* A header value meaning "do not send this header". */
static const char NO_HEADER[] = "<none>";

#include "tests/unit/unit_spec.h"

/* ---- requests and answers ------------------------------------------------------------------ */

struct rq {
    const char *method; /* default POST */
    const char *path;   /* default "/" */
    const char *query;
    const char *target;     /* NULL: none */
    const char *ctype;      /* NULL: application/x-amz-json-1.1; NO_HEADER: none */
    const char *body;       /* NULL: empty */
    bool too_large;         /* the HTTP layer did not keep the body */
    size_t size;            /* its size when too large */
    const char *extra_name; /* one more header */
    const char *extra_value;
    bool remote; /* a non-loopback peer */
};

struct call {
    struct cbk_arena arena;
    struct cbk_http_answer ans;
    struct json_object *doc; /* the answer body, parsed (NULL when not JSON) */
};

static void call_done(struct call *c)
{
    json_object_put(c->doc);
    c->doc = NULL;
    cbk_arena_release(&c->arena);
}

static const char *ans_header(const struct cbk_http_answer *a, const char *name)
{
    for (size_t i = 0; i < a->nheaders; i++)
        if (strcasecmp(a->headers[i].name, name) == 0)
            return a->headers[i].value;
    return NULL;
}

static size_t count_header(const struct cbk_http_answer *a, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < a->nheaders; i++)
        if (strcasecmp(a->headers[i].name, name) == 0)
            n++;
    return n;
}

static bool is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
            return false;
    }
    return true;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *jget(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

/*
 * Checks every API answer must pass (docs/mock.md): x-amzn-RequestId is a fresh UUID,
 * Content-Type is the spec's, the body is a JSON object; errors carry x-amzn-ErrorType equal to
 * the body's __type, a bare name (no '#', no ':'), and a message. Fails the test otherwise.
 */
static void check_envelope(const struct call *c)
{
    const struct cbk_http_answer *a = &c->ans;
    assert_true(is_uuid(ans_header(a, "x-amzn-RequestId")));
    assert_int_equal(count_header(a, "x-amzn-RequestId"), 1);
    const char *ct = ans_header(a, "Content-Type");
    assert_non_null(ct);
    assert_string_equal(ct, CT_JSON11);
    assert_int_equal(count_header(a, "Content-Type"), 1);
    assert_non_null(a->body);
    assert_non_null(c->doc);
    assert_true(json_object_is_type(c->doc, json_type_object));
    assert_true(a->journal_id > 0);
    if (a->status == 200) {
        assert_null(ans_header(a, "x-amzn-ErrorType"));
        assert_null(jget(c->doc, "__type"));
        return;
    }
    assert_true(a->status >= 400 && a->status < 600);
    const char *type = jstr(c->doc, "__type");
    const char *hdr = ans_header(a, "x-amzn-ErrorType");
    assert_non_null(type);
    assert_non_null(hdr);
    assert_string_equal(hdr, type);
    assert_null(strchr(type, '#'));
    assert_null(strchr(type, ':'));
    const char *msg = jstr(c->doc, "message");
    assert_non_null(msg);
    assert_true(msg[0] != '\0');
    /* {"__type","message"} and nothing else */
    assert_int_equal(json_object_object_length(c->doc), 2);
}

static void do_call(struct cbk_mock *m, const struct rq *q, struct call *c)
{
    struct cbk_http_header h[8];
    size_t n = 0;
    if (q->target)
        h[n++] = (struct cbk_http_header){"X-Amz-Target", q->target};
    if (q->ctype != NO_HEADER)
        h[n++] = (struct cbk_http_header){"Content-Type", q->ctype ? q->ctype : CT_JSON11};
    h[n++] = (struct cbk_http_header){"User-Agent", "test_mock_route"};
    if (q->extra_name)
        h[n++] = (struct cbk_http_header){q->extra_name, q->extra_value};
    struct cbk_http_req req;
    memset(&req, 0, sizeof req);
    req.method = q->method ? q->method : "POST";
    req.path = q->path ? q->path : "/";
    req.query = q->query;
    req.headers = h;
    req.nheaders = n;
    req.body = q->body ? q->body : "";
    req.body_len = q->body ? strlen(q->body) : 0;
    req.body_too_large = q->too_large;
    req.body_size = q->too_large ? q->size : req.body_len;
    if (q->too_large) {
        req.body = "";
        req.body_len = 0;
    }
    req.peer_is_loopback = !q->remote;
    cbk_arena_init(&c->arena, 8192);
    c->doc = NULL;
    cbk_mock_handle(m, &req, &c->ans, &c->arena);
    if (c->ans.body && c->ans.body_len) {
        struct json_tokener *tok = json_tokener_new();
        c->doc = json_tokener_parse_ex(tok, c->ans.body, (int)c->ans.body_len);
        if (json_tokener_get_error(tok) != json_tokener_success) {
            json_object_put(c->doc);
            c->doc = NULL;
        }
        json_tokener_free(tok);
    }
    bool admin = strncmp(req.path, "/__cbkit/", 9) == 0 || strcmp(req.path, "/__cbkit") == 0;
    if (!admin)
        check_envelope(c);
}

/* POST / with X-Amz-Target CodeBuild_20161006.<op> and 'body'; returns the status. */
static int api(struct cbk_mock *m, struct call *c, const char *op, const char *body)
{
    char target[128];
    snprintf(target, sizeof target, PREFIX "%s", op);
    struct rq q = {.target = target, .body = body};
    do_call(m, &q, c);
    return c->ans.status;
}

/* An admin request (loopback). */
static int admin(struct cbk_mock *m, struct call *c, const char *method, const char *path,
                 const char *body)
{
    struct rq q = {.method = method, .path = path, .body = body, .ctype = "application/json"};
    do_call(m, &q, c);
    const char *ct = ans_header(&c->ans, "Content-Type");
    assert_non_null(ct);
    assert_string_equal(ct, "application/json");
    assert_int_equal(c->ans.journal_id, 0); /* admin requests are not journaled */
    return c->ans.status;
}

static void advance_clock(struct cbk_mock *m, int64_t seconds)
{
    struct call c;
    char body[64];
    snprintf(body, sizeof body, "{\"advanceSeconds\": %" PRId64 "}", seconds);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", body), 200);
    call_done(&c);
}

/* Load the scenario text 'yaml' into 'm' (a fresh name each time): how builds and projects
 * are seeded, through the CodeBuild behaviour's scenario keys. */
static void seed_yaml(struct cbk_mock *m, const char *yaml)
{
    static unsigned n;
    char *text = cbk_xasprintf("scenario: seed-%u\n%s", ++n, yaml);
    struct cbk_scenario_env env;
    cbk_mock_scenario_env(m, &env);
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = NULL;
    enum cbk_code rc = cbk_scenario_load_buffer(&env, text, strlen(text), "seed.yaml", &s, &d);
    if (rc == CBK_OK)
        rc = cbk_mock_add_scenario_take(m, s, &d);
    for (size_t i = 0; i < d.nr; i++)
        print_error("%s:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].message);
    cbk_diags_release(&d);
    free(text);
    assert_int_equal(rc, CBK_OK);
}

static struct cbk_mock *new_mock(uint64_t seed, enum cbk_world world)
{
    struct cbk_mock_config cfg = CBK_MOCK_CONFIG_INIT;
    cfg.spec = spec;
    cfg.services = cbk_services_builtin(&cfg.nservices);
    cfg.has_seed = true;
    cfg.seed = seed;
    cfg.virtual_clock = true;
    cfg.clock_start_ms = 1735689600000LL; /* 2025-01-01T00:00:00Z */
    cfg.world = world;
    cfg.max_body = 1 << 20;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_mock *m = NULL;
    enum cbk_code rc = cbk_mock_new(&cfg, &m, &d);
    cbk_diags_release(&d);
    assert_int_equal(rc, CBK_OK);
    assert_non_null(m);
    return m;
}

static void expect_error(struct call *c, int status, const char *type, const char *needle)
{
    if (c->ans.status != status || !jstr(c->doc, "__type") ||
        strcmp(jstr(c->doc, "__type"), type) != 0 ||
        (needle && !strstr(jstr(c->doc, "message"), needle)))
        print_error("expected %d %s (%s), got %d %.*s\n", status, type, needle ? needle : "",
                    c->ans.status, (int)c->ans.body_len, c->ans.body);
    assert_int_equal(c->ans.status, status);
    assert_string_equal(jstr(c->doc, "__type"), type);
    if (needle)
        assert_non_null(strstr(jstr(c->doc, "message"), needle));
}

/* ---- routing ------------------------------------------------------------------------------- */

static void route_operations(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(1, CBK_WORLD_OPEN);
    struct call c;
    assert_int_equal(api(m, &c, "RetryBuild", "{\"id\":\"app:1b2c\"}"), 200);
    assert_non_null(jget(c.doc, "build"));
    call_done(&c);
    assert_int_equal(api(m, &c, "StopBuild", "{\"id\":\"app:1b2c\"}"), 200);
    assert_non_null(jget(c.doc, "build"));
    call_done(&c);
    assert_int_equal(api(m, &c, "StartBuildBatch", "{\"projectName\":\"app\"}"), 200);
    assert_non_null(jget(c.doc, "buildBatch"));
    call_done(&c);

    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.valid, 3);
    assert_int_equal(st.invalid + st.rejected + st.violations, 0);
    cbk_mock_free(m);
}

static void route_targets(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(2, CBK_WORLD_OPEN);
    static const struct {
        const char *target, *needle;
    } cases[] = {
        {NULL, "Missing X-Amz-Target"},
        {"", "Missing X-Amz-Target"},
        {"CodeBuild_20161006", "Unknown target"},
        {"CodeBuild_20161006.", "Unknown operation"},
        {"CodeBuild_20161006.NoSuchOperation", "Unknown operation 'CodeBuild_20161006.NoSuch"},
        {"CodeBuild_20161006.retrybuild", "Unknown operation"},
        {"CodeBuild_20161006.RetryBuild ", "Unknown operation"},
        {"codebuild_20161006.RetryBuild", "Unknown target"},
        {"CodeBuild_20161007.RetryBuild", "Unknown target"},
        {"DynamoDB_20120810.GetItem", "Unknown target 'DynamoDB_20120810.GetItem'"},
        {"CodeBuild_20161006RetryBuild", "Unknown target"},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        struct call c;
        struct rq q = {.target = cases[i].target, .body = "{\"id\":\"app:1\"}"};
        do_call(m, &q, &c);
        expect_error(&c, 400, "UnknownOperationException", cases[i].needle);
        call_done(&c);
    }
    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    assert_int_equal(st.requests, CBK_ARRAY_SIZE(cases));
    assert_int_equal(st.rejected, CBK_ARRAY_SIZE(cases));
    assert_int_equal(st.valid + st.invalid, 0);
    cbk_mock_free(m);
}

static void route_method_and_path(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(3, CBK_WORLD_OPEN);
    static const char *const methods[] = {"GET", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(methods); i++) {
        struct call c;
        struct rq q = {.method = methods[i], .target = PREFIX "RetryBuild", .body = "{}"};
        do_call(m, &q, &c);
        expect_error(&c, 405, "MethodNotAllowedException", methods[i]);
        const char *allow = ans_header(&c.ans, "Allow");
        assert_non_null(allow);
        assert_string_equal(allow, "POST");
        call_done(&c);
    }
    static const char *const paths[] = {"/nope", "//", "/RetryBuild", "/__cbkitx", "/index.html"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(paths); i++) {
        struct call c;
        struct rq q = {.path = paths[i], .target = PREFIX "RetryBuild", .body = "{}"};
        do_call(m, &q, &c);
        expect_error(&c, 404, "UnknownOperationException", paths[i]);
        call_done(&c);
    }
    /* the admin API is not an API request: not journaled, JSON errors of its own */
    struct call c;
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/health", NULL), 200);
    assert_string_equal(jstr(c.doc, "status"), "ok");
    call_done(&c);
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/nope", NULL), 404);
    assert_non_null(jstr(c.doc, "error"));
    call_done(&c);
    /* loopback only */
    struct rq remote = {.method = "GET", .path = "/__cbkit/requests", .remote = true};
    do_call(m, &remote, &c);
    assert_int_equal(c.ans.status, 403);
    call_done(&c);
    /* the health path stays open to them, with the status alone */
    remote.path = "/__cbkit/health";
    do_call(m, &remote, &c);
    assert_int_equal(c.ans.status, 200);
    assert_int_equal(c.ans.body_len, strlen("{\"status\":\"ok\"}"));
    assert_memory_equal(c.ans.body, "{\"status\":\"ok\"}", c.ans.body_len);
    call_done(&c);

    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    assert_int_equal(st.requests, CBK_ARRAY_SIZE(methods) + CBK_ARRAY_SIZE(paths));
    assert_int_equal(st.rejected, st.requests);
    cbk_mock_free(m);
}

static void route_content_types(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(4, CBK_WORLD_OPEN);
    static const struct {
        const char *ctype;
        bool ok;
    } cases[] = {
        {CT_JSON11, true},
        {"application/x-amz-json-1.1; charset=utf-8", true},
        {"application/x-amz-json-1.1;charset=UTF-8", true},
        {"application/x-amz-json-1.1 ; charset=utf-8", true},
        {"APPLICATION/X-AMZ-JSON-1.1", true},
        {" application/x-amz-json-1.1", true},
        {NO_HEADER, false},
        {"", false},
        {"application/json", false},
        {"application/x-amz-json-1.0", false},
        {"application/x-amz-json-1.10", false},
        {"application/x-amz-json-1.1x", false},
        {"text/plain", false},
        {"application/x-amz-json", false},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        struct call c;
        struct rq q = {
            .target = PREFIX "StopBuild", .ctype = cases[i].ctype, .body = "{\"id\":\"app:5\"}"};
        do_call(m, &q, &c);
        if (cases[i].ok) {
            if (c.ans.status != 200)
                print_error("Content-Type '%s': %d %s\n", cases[i].ctype, c.ans.status, c.ans.body);
            assert_int_equal(c.ans.status, 200);
        } else {
            expect_error(&c, 400, "SerializationException", "Unsupported Content-Type");
        }
        call_done(&c);
    }
    cbk_mock_free(m);
}

static void route_bodies(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(5, CBK_WORLD_OPEN);
    struct call c;

    /* an empty body is {}: RetryBuild's model accepts it, the service wants an id */
    assert_int_equal(api(m, &c, "RetryBuild", NULL), 400);
    expect_error(&c, 400, "InvalidInputException", "Build ID is required");
    call_done(&c);
    assert_int_equal(api(m, &c, "RetryBuild", "{}"), 400);
    expect_error(&c, 400, "InvalidInputException", "Build ID is required");
    call_done(&c);
    assert_int_equal(api(m, &c, "RetryBuild", "{\"id\":\"no-colon\"}"), 400);
    expect_error(&c, 400, "InvalidInputException", "Invalid build ID provided");
    call_done(&c);
    /* an empty body for StopBuild is {} without the required id: a contract violation */
    api(m, &c, "StopBuild", NULL);
    expect_error(&c, 400, "InvalidInputException",
                 "1 validation error detected: Value null at 'id' failed to satisfy constraint: "
                 "Member must not be null");
    call_done(&c);

    /* malformed JSON */
    static const char *const bad[] = {"{",   "{\"id\": ",      "{\"id\":\"a:1\",}", "{} x",
                                      "nul", "{\"id\":'a:1'}", "\xff\xfe"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(bad); i++) {
        api(m, &c, "RetryBuild", bad[i]);
        expect_error(&c, 400, "SerializationException", "Malformed JSON");
        call_done(&c);
    }
    api(m, &c, "RetryBuild", "{\n  \"id\": \"a:1\",\n  \"x\" 1}");
    expect_error(&c, 400, "SerializationException", "Malformed JSON at line 3, column");
    call_done(&c);
    /* JSON of the wrong type is a contract violation, not a syntax error */
    api(m, &c, "RetryBuild", "[]");
    expect_error(&c, 400, "InvalidInputException", "validation error");
    call_done(&c);
    api(m, &c, "RetryBuild", "null");
    expect_error(&c, 400, "InvalidInputException", "validation error");
    call_done(&c);

    /* too large: 413, before validation; the content type is checked first */
    struct rq big = {.target = PREFIX "StartBuildBatch", .too_large = true, .size = 2 << 20};
    do_call(m, &big, &c);
    expect_error(&c, 413, "RequestEntityTooLargeException", "2097152 bytes");
    call_done(&c);
    struct rq big_ct = {.target = PREFIX "StartBuildBatch",
                        .too_large = true,
                        .size = 2 << 20,
                        .ctype = "text/plain"};
    do_call(m, &big_ct, &c);
    expect_error(&c, 400, "SerializationException", "Unsupported Content-Type");
    call_done(&c);

    /* contract violations: every one named, in AWS's words */
    api(m, &c, "StartBuildBatch",
        "{\"projectName\":\"p\",\"buildTimeoutInMinutesOverride\":2161,"
        "\"environmentVariablesOverride\":[{\"name\":\"x\"}]}");
    expect_error(&c, 400, "InvalidInputException",
                 "2 validation errors detected: Value '2161' at 'buildTimeoutInMinutesOverride' "
                 "failed to satisfy constraint: Member must have value less than or equal to 2160; "
                 "Value null at 'environmentVariablesOverride.1.member.value' failed to satisfy "
                 "constraint: Member must not be null");
    call_done(&c);

    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    assert_int_equal(st.requests, 4 + CBK_ARRAY_SIZE(bad) + 1 + 2 + 2 + 1);
    assert_int_equal(st.valid, 3);           /* {} x2, no-colon */
    assert_int_equal(st.invalid, 1 + 2 + 1); /* StopBuild {}, [] , null, 2161 */
    assert_int_equal(st.rejected, CBK_ARRAY_SIZE(bad) + 1 + 2);
    /* contract violations only: malformed bodies are rejected, not counted as violations */
    assert_int_equal(st.violations, 1 + 1 + 1 + 2);
    cbk_mock_free(m);
}

/*
 * One request whose body is body[0..len), as struct cbk_http_req allows: with 'exact' in a
 * buffer of exactly len bytes (no NUL after it), else in place ('body' may go on past len).
 * 'target' NULL: an admin request. Fills 'c' (call_done() it).
 */
static void counted_call(struct cbk_mock *m, const char *path, const char *target, const char *body,
                         size_t len, bool exact, struct call *c)
{
    char *copy = exact ? malloc(len ? len : 1) : NULL;
    assert_true(!exact || copy);
    if (exact)
        memcpy(copy, body, len);
    struct cbk_http_header h[2] = {
        {"Content-Type", target ? CT_JSON11 : "application/json"},
        {"X-Amz-Target", target ? target : ""},
    };
    struct cbk_http_req req;
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = path;
    req.headers = h;
    req.nheaders = target ? 2 : 1;
    req.body = exact ? copy : body;
    req.body_len = len;
    req.body_size = len;
    req.peer_is_loopback = true;
    cbk_arena_init(&c->arena, 8192);
    c->doc = NULL;
    cbk_mock_handle(m, &req, &c->ans, &c->arena);
    free(copy);
    if (c->ans.body && c->ans.body_len)
        c->doc = json_tokener_parse(c->ans.body); /* answers are NUL-terminated */
    if (target)
        check_envelope(c);
}

/*
 * A request body is body_len bytes, not a C string: the admin routes that read JSON
 * (POST /__cbkit/clock, POST /__cbkit/scenarios/NAME/state) and the CodeBuild model read
 * nothing past it. They used json_tokener_parse(), which runs to a NUL: a prefix of a document
 * was read as the whole document, and a buffer without a NUL was read past its end. Found by
 * fuzz/fuzz_mock_request (fuzz/corpus/fuzz_mock_request/regress-*-body-unterminated). The
 * prefixes fail in every build, the exactly sized buffers under ASan (-DCBK_SANITIZE).
 */
static void bodies_are_counted(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(9, CBK_WORLD_OPEN);
    struct call c;
    static const char clock[] = "{\"advanceSeconds\": 60}";
    counted_call(m, "/__cbkit/clock", NULL, clock, 10, false, &c); /* {"advanceS */
    assert_int_equal(c.ans.status, 400);
    call_done(&c);
    counted_call(m, "/__cbkit/clock", NULL, clock, sizeof clock - 1, true, &c);
    assert_int_equal(c.ans.status, 200);
    call_done(&c);
    /* the prefix is not {"state": ...}: 400, before looking for the scenario (404) */
    static const char st[] = "{\"state\": \"Stopped\"}";
    counted_call(m, "/__cbkit/scenarios/none/state", NULL, st, 8, false, &c);
    assert_int_equal(c.ans.status, 400);
    call_done(&c);
    counted_call(m, "/__cbkit/scenarios/none/state", NULL, st, sizeof st - 1, true, &c);
    assert_int_equal(c.ans.status, 404);
    call_done(&c);
    /* the model parses a RetryBuild with a token in full: an exactly sized buffer */
    static const char retry[] = "{\"id\":\"my-app:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60\","
                                "\"idempotencyToken\":\"t-1\"}";
    counted_call(m, "/", PREFIX "RetryBuild", retry, sizeof retry - 1, true, &c);
    assert_int_equal(c.ans.status, 200);
    call_done(&c);
    cbk_mock_free(m);
}

/*
 * The admin clock moves only within the years 1970..9999: {"set": 1e300} was a double-to-int64
 * conversion out of range, and advancing by INT64_MAX wrapped the clock around so that the
 * model's token ages overflowed. Regression inputs: fuzz/corpus/fuzz_mock_request/
 * regress-clock-set-huge, regress-clock-advance-wrap.
 */
static void clock_stays_in_range(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(11, CBK_WORLD_OPEN);
    struct call c;
    static const char *const refused[] = {
        "{\"set\": 1e300}",        "{\"set\": -1}",
        "{\"set\": 253402300800}", "{\"advanceMillis\": 9223372036854775807}",
        "{\"advanceMillis\": -1}",
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(refused); i++) {
        assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", refused[i]), 400);
        call_done(&c);
    }
    /* the clock did not move */
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/clock", NULL), 200);
    assert_string_equal(jstr(c.doc, "iso8601"), "2025-01-01T00:00:00.000Z");
    call_done(&c);
    /* the last millisecond is reachable, one more is not */
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", "{\"set\": 253402300799}"), 200);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", "{\"advanceMillis\": 999}"), 200);
    assert_string_equal(jstr(c.doc, "iso8601"), "9999-12-31T23:59:59.999Z");
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", "{\"advanceMillis\": 1}"), 400);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", "{\"advanceSeconds\": 1}"), 400);
    call_done(&c);
    /* and the model works there */
    assert_int_equal(
        api(m, &c, "StartBuildBatch", "{\"projectName\":\"p\",\"idempotencyToken\":\"t\"}"), 200);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", "{\"set\": 0}"), 200);
    call_done(&c);
    assert_int_equal(
        api(m, &c, "StartBuildBatch", "{\"projectName\":\"p\",\"idempotencyToken\":\"t\"}"), 200);
    call_done(&c);
    cbk_mock_free(m);
}

/* Two threads advance the clock 1 ms at a time, 1,000 times each, from 1,500 ms before the
 * last millisecond of 9999: exactly 1,500 moves pass, because the range check and the move are
 * one atomic step (checked, then moved, both could pass near the end). No cmocka asserts in the
 * threads: they only count. */
struct clock_racer {
    struct cbk_mock *m;
    int moved;
};

static void *clock_racer_main(void *arg)
{
    struct clock_racer *r = arg;
    for (int i = 0; i < 1000; i++) {
        struct call c;
        struct rq q = {.method = "POST",
                       .path = "/__cbkit/clock",
                       .body = "{\"advanceMillis\": 1}",
                       .ctype = "application/json"};
        do_call(r->m, &q, &c);
        if (c.ans.status == 200)
            r->moved++;
        call_done(&c);
    }
    return NULL;
}

static void clock_moves_are_atomic(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(12, CBK_WORLD_OPEN);
    struct call c;
    /* 9999-12-31T23:59:58.499Z */
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", "{\"set\": 253402300798}"), 200);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", "{\"advanceMillis\": 499}"), 200);
    call_done(&c);
    struct clock_racer r[2] = {{m, 0}, {m, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, clock_racer_main, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(r[0].moved + r[1].moved, 1500);
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/clock", NULL), 200);
    assert_string_equal(jstr(c.doc, "iso8601"), "9999-12-31T23:59:59.999Z");
    call_done(&c);
    cbk_mock_free(m);
}

/* A call of 'target' as 12-digit account 'acct' (its access key id); the caller ends 'c'. */
static void account_call(struct cbk_mock *m, long long acct, const char *target, const char *body,
                         struct call *c)
{
    char auth[256];
    snprintf(auth, sizeof auth,
             "AWS4-HMAC-SHA256 Credential=%012lld/20250101/us-east-1/codebuild/aws4_request, "
             "SignedHeaders=host;x-amz-date, Signature=00",
             acct);
    struct rq q = {
        .target = target, .body = body, .extra_name = "Authorization", .extra_value = auth};
    do_call(m, &q, c);
}

/*
 * Requests of many accounts while stores are freed: more accounts than the CodeBuild behaviour
 * keeps (1,024: each new one beyond makes it forget one) from two threads, and resets of every
 * account from a third. A request works on its account's store after looking it up, so a
 * store freed meanwhile was a use after free (found by the ASan build); now every request is
 * answered, each from a store that stays alive until it is done.
 */
struct account_racer {
    struct cbk_mock *m;
    int first, count; /* accounts first .. first + count - 1; count 0: the resetter */
    int ok;
};

static void *account_racer_main(void *arg)
{
    struct account_racer *r = arg;
    if (!r->count) {
        for (int i = 0; i < 200; i++) {
            struct call c;
            struct rq q = {.method = "POST",
                           .path = "/__cbkit/reset",
                           .query = "what=state",
                           .ctype = "application/json"};
            do_call(r->m, &q, &c);
            r->ok += c.ans.status == 200;
            call_done(&c);
        }
        return NULL;
    }
    for (int i = r->first; i < r->first + r->count; i++) {
        struct call c;
        account_call(r->m, 100000000 + i, PREFIX "StartBuild", "{\"projectName\": \"my-app\"}", &c);
        bool started = c.ans.status == 200 && jget(c.doc, "build");
        call_done(&c);
        account_call(r->m, 100000000 + i, PREFIX "ListBuilds", "{}", &c);
        r->ok += started && c.ans.status == 200;
        call_done(&c);
    }
    return NULL;
}

static void accounts_freed_while_in_use(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(13, CBK_WORLD_OPEN);
    struct account_racer r[3] = {{m, 0, 700, 0}, {m, 700, 700, 0}, {m, 0, 0, 0}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, account_racer_main, &r[i]), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(r[0].ok, 700);
    assert_int_equal(r[1].ok, 700);
    assert_int_equal(r[2].ok, 200);
    /* the admin API still answers after the churn */
    struct call c;
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/state", NULL), 200);
    call_done(&c);
    cbk_mock_free(m);
}

/* How many builds account 'acct' lists (-1: the call failed). */
static int account_builds(struct cbk_mock *m, long long acct)
{
    struct call c;
    account_call(m, acct, PREFIX "ListBuilds", "{}", &c);
    struct json_object *ids = jget(c.doc, "ids");
    int n = c.ans.status == 200 && ids ? (int)json_object_array_length(ids) : -1;
    call_done(&c);
    return n;
}

/*
 * Beyond 1,024 accounts the mock forgets the one used least recently: an account a test keeps
 * using keeps its builds through 1,100 newcomers, as does the default account (--account,
 * here through a key that is not 12 digits), while an account left alone is forgotten.
 */
static void accounts_beyond_the_limit_forget_the_least_recent(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(14, CBK_WORLD_OPEN);
    const long long busy = 111122223333LL, idle = 444455556666LL;
    const char *start = "{\"projectName\": \"my-app\"}";
    struct call c;
    account_call(m, busy, PREFIX "StartBuild", start, &c);
    assert_int_equal(c.ans.status, 200);
    call_done(&c);
    account_call(m, idle, PREFIX "StartBuild", start, &c);
    assert_int_equal(c.ans.status, 200);
    call_done(&c);
    struct rq q = {.target = PREFIX "StartBuild", .body = start}; /* the default account */
    do_call(m, &q, &c);
    assert_int_equal(c.ans.status, 200);
    call_done(&c);
    for (long long i = 0; i < 1100; i++) {
        account_call(m, 100000000LL + i, PREFIX "StartBuild", start, &c);
        assert_int_equal(c.ans.status, 200);
        call_done(&c);
        if (i % 100 == 0)
            assert_int_equal(account_builds(m, busy), 1); /* used, so kept */
    }
    assert_int_equal(account_builds(m, busy), 1);
    assert_int_equal(account_builds(m, idle), 0); /* forgotten: an empty account again */
    q = (struct rq){.target = PREFIX "ListBuilds", .body = "{}"};
    do_call(m, &q, &c);
    assert_int_equal(c.ans.status, 200);
    assert_int_equal(json_object_array_length(jget(c.doc, "ids")), 1);
    call_done(&c);
    /* the newest newcomers are all there; the first ones made room for the last */
    assert_int_equal(account_builds(m, 100000000LL + 1099), 1);
    assert_int_equal(account_builds(m, 100000000LL + 1098), 1);
    assert_int_equal(account_builds(m, 100000000LL + 0), 0);
    cbk_mock_free(m);
}

/* ---- generated answers are valid ------------------------------------------------------------ */

static const char *const source_types[] = {"CODECOMMIT", "CODEPIPELINE",        "GITHUB",
                                           "GITLAB",     "GITLAB_SELF_MANAGED", "S3",
                                           "BITBUCKET",  "GITHUB_ENTERPRISE",   "NO_SOURCE"};
static const char *const auth_types[] = {"OAUTH", "CODECONNECTIONS", "SECRETS_MANAGER"};
static const char *const artifact_types[] = {"CODEPIPELINE", "S3", "NO_ARTIFACTS"};
static const char *const namespaces[] = {"NONE", "BUILD_ID"};
static const char *const packagings[] = {"NONE", "ZIP"};
static const char *const owner_access[] = {"NONE", "READ_ONLY", "FULL"};
static const char *const env_var_types[] = {"PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"};
static const char *const env_types[] = {"WINDOWS_CONTAINER",
                                        "LINUX_CONTAINER",
                                        "LINUX_GPU_CONTAINER",
                                        "ARM_CONTAINER",
                                        "WINDOWS_SERVER_2019_CONTAINER",
                                        "WINDOWS_SERVER_2022_CONTAINER",
                                        "LINUX_LAMBDA_CONTAINER",
                                        "ARM_LAMBDA_CONTAINER",
                                        "LINUX_EC2",
                                        "ARM_EC2",
                                        "WINDOWS_EC2",
                                        "MAC_ARM"};
static const char *const compute_types[] = {
    "BUILD_GENERAL1_SMALL",  "BUILD_GENERAL1_MEDIUM",   "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE",  "BUILD_LAMBDA_1GB",
    "BUILD_LAMBDA_2GB",      "BUILD_LAMBDA_4GB",        "BUILD_LAMBDA_8GB",
    "BUILD_LAMBDA_10GB",     "ATTRIBUTE_BASED_COMPUTE", "CUSTOM_INSTANCE_TYPE"};
static const char *const cache_types[] = {"NO_CACHE", "S3", "LOCAL"};
static const char *const cache_modes[] = {"LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE",
                                          "LOCAL_CUSTOM_CACHE"};
static const char *const log_status[] = {"ENABLED", "DISABLED"};
static const char *const pull_types[] = {"CODEBUILD", "SERVICE_ROLE"};
static const char *const report_modes[] = {"REPORT_INDIVIDUAL_BUILDS", "REPORT_AGGREGATED_BATCH"};
/* strings of every kind: empty, escapes, non-ASCII, astral plane */
static const char *const strings[] = {"",
                                      "main",
                                      "refs/heads/feature/x",
                                      "a\"b\\c/d\n\t",
                                      "caf\xc3\xa9-\xe2\x98\x83",
                                      "\xf0\x9f\x98\x80 emoji",
                                      "<xml attr='1'>&amp;</xml>",
                                      "s3://bucket/key with spaces",
                                      "\x01\x1f control"};
static const char *const nonempty[] = {"x", "aws/codebuild/standard:7.0",
                                       "arn:aws:iam::123456789012:role/r", "caf\xc3\xa9",
                                       "\xf0\x9f\x98\x80"};
static const char *const identifiers[] = {"", "src1", "SRC_2", "a"};
static const char *const projects[] = {"app", "my-app_2", "p", "caf\xc3\xa9", "x:y", "a/b"};
static const char *const statuses[] = {"SUCCEEDED", "FAILED",      "FAULT",
                                       "TIMED_OUT", "IN_PROGRESS", "STOPPED"};
static const char *const phases[] = {
    "SUBMITTED", "QUEUED",     "PROVISIONING",     "DOWNLOAD_SOURCE", "INSTALL",  "PRE_BUILD",
    "BUILD",     "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING",      "COMPLETED"};

#define PICK(r, arr) ((arr)[cbk_rng_below((r), CBK_ARRAY_SIZE(arr))])

static bool coin(struct cbk_rng *r)
{
    return cbk_rng_below(r, 2) == 0;
}

static struct json_object *jstring(const char *s)
{
    return json_object_new_string(s);
}

/* An integer, sometimes written as an integral double (60.0 is an integer on the wire). */
static struct json_object *jint(struct cbk_rng *r, int64_t v)
{
    if (cbk_rng_below(r, 5) == 0)
        return json_object_new_double((double)v);
    return json_object_new_int64(v);
}

static struct json_object *jbool(struct cbk_rng *r)
{
    return json_object_new_boolean(coin(r));
}

/* Add 'key' when 'all' or by chance; optional members are sometimes null (= absent). */
static void put(struct cbk_rng *r, struct json_object *o, bool all, const char *key,
                struct json_object *v)
{
    if (all || coin(r)) {
        json_object_object_add(o, key, v);
    } else if (cbk_rng_below(r, 4) == 0) {
        json_object_put(v);
        json_object_object_add(o, key, NULL);
    } else {
        json_object_put(v);
    }
}

static struct json_object *source_auth(struct cbk_rng *r, bool all)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", jstring(PICK(r, auth_types)));
    put(r, o, all, "resource", jstring(PICK(r, strings)));
    return o;
}

static struct json_object *submodules(struct cbk_rng *r)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "fetchSubmodules", jbool(r));
    return o;
}

static struct json_object *project_source(struct cbk_rng *r, bool all)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", jstring(PICK(r, source_types)));
    put(r, o, all, "location", jstring(PICK(r, strings)));
    put(r, o, all, "gitCloneDepth", jint(r, (int64_t)cbk_rng_below(r, 100)));
    put(r, o, all, "gitSubmodulesConfig", submodules(r));
    put(r, o, all, "buildspec", jstring(PICK(r, strings)));
    put(r, o, all, "auth", source_auth(r, all));
    put(r, o, all, "reportBuildStatus", jbool(r));
    struct json_object *bsc = json_object_new_object();
    put(r, bsc, all, "context", jstring(PICK(r, strings)));
    put(r, bsc, all, "targetUrl", jstring(PICK(r, strings)));
    put(r, o, all, "buildStatusConfig", bsc);
    put(r, o, all, "insecureSsl", jbool(r));
    put(r, o, all, "sourceIdentifier", jstring(PICK(r, identifiers)));
    return o;
}

static struct json_object *project_artifacts(struct cbk_rng *r, bool all)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "type", jstring(PICK(r, artifact_types)));
    put(r, o, all, "location", jstring(PICK(r, strings)));
    put(r, o, all, "path", jstring(PICK(r, strings)));
    put(r, o, all, "namespaceType", jstring(PICK(r, namespaces)));
    put(r, o, all, "name", jstring(PICK(r, strings)));
    put(r, o, all, "packaging", jstring(PICK(r, packagings)));
    put(r, o, all, "overrideArtifactName", jbool(r));
    put(r, o, all, "encryptionDisabled", jbool(r));
    put(r, o, all, "artifactIdentifier", jstring(PICK(r, strings)));
    put(r, o, all, "bucketOwnerAccess", jstring(PICK(r, owner_access)));
    return o;
}

static struct json_object *list_of(struct cbk_rng *r, size_t max, bool all,
                                   struct json_object *(*fn)(struct cbk_rng *, bool))
{
    struct json_object *a = json_object_new_array();
    size_t n = all && coin(r) ? max : (size_t)cbk_rng_below(r, max + 1);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, fn(r, all));
    return a;
}

static struct json_object *source_version(struct cbk_rng *r, bool all)
{
    (void)all;
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "sourceIdentifier", jstring(PICK(r, identifiers)));
    json_object_object_add(o, "sourceVersion", jstring(PICK(r, strings)));
    return o;
}

static struct json_object *env_var(struct cbk_rng *r, bool all)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "name", jstring(PICK(r, nonempty)));
    json_object_object_add(o, "value", jstring(PICK(r, strings)));
    put(r, o, all, "type", jstring(PICK(r, env_var_types)));
    return o;
}

static struct json_object *string_list(struct cbk_rng *r, const char *const *v, size_t n)
{
    struct json_object *a = json_object_new_array();
    size_t k = (size_t)cbk_rng_below(r, n + 1);
    for (size_t i = 0; i < k; i++)
        json_object_array_add(a, jstring(v[cbk_rng_below(r, n)]));
    return a;
}

/* A StartBuildBatch request: every optional override when 'all', a random subset otherwise. */
static char *batch_body(struct cbk_rng *r, const char *project, bool all)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "projectName", jstring(project));
    put(r, o, all, "secondarySourcesOverride", list_of(r, 12, all, project_source));
    put(r, o, all, "secondarySourcesVersionOverride", list_of(r, 12, all, source_version));
    put(r, o, all, "sourceVersion", jstring(PICK(r, strings)));
    put(r, o, all, "artifactsOverride", project_artifacts(r, all));
    put(r, o, all, "secondaryArtifactsOverride", list_of(r, 12, all, project_artifacts));
    put(r, o, all, "environmentVariablesOverride", list_of(r, 5, all, env_var));
    put(r, o, all, "sourceTypeOverride", jstring(PICK(r, source_types)));
    put(r, o, all, "sourceLocationOverride", jstring(PICK(r, strings)));
    put(r, o, all, "sourceAuthOverride", source_auth(r, all));
    static const int64_t depths[] = {0, 1, 25, 2147483647};
    put(r, o, all, "gitCloneDepthOverride", jint(r, PICK(r, depths)));
    put(r, o, all, "gitSubmodulesConfigOverride", submodules(r));
    put(r, o, all, "buildspecOverride", jstring(PICK(r, strings)));
    put(r, o, all, "insecureSslOverride", jbool(r));
    put(r, o, all, "reportBuildBatchStatusOverride", jbool(r));
    put(r, o, all, "environmentTypeOverride", jstring(PICK(r, env_types)));
    put(r, o, all, "imageOverride", jstring(PICK(r, nonempty)));
    put(r, o, all, "computeTypeOverride", jstring(PICK(r, compute_types)));
    put(r, o, all, "certificateOverride", jstring(PICK(r, strings)));
    struct json_object *cache = json_object_new_object();
    json_object_object_add(cache, "type", jstring(PICK(r, cache_types)));
    put(r, cache, all, "location", jstring(PICK(r, strings)));
    put(r, cache, all, "modes", string_list(r, cache_modes, CBK_ARRAY_SIZE(cache_modes)));
    put(r, cache, all, "cacheNamespace", jstring(PICK(r, strings)));
    put(r, o, all, "cacheOverride", cache);
    put(r, o, all, "serviceRoleOverride", jstring(PICK(r, nonempty)));
    put(r, o, all, "privilegedModeOverride", jbool(r));
    static const int64_t build_to[] = {5, 60, 120, 480, 2160};
    put(r, o, all, "buildTimeoutInMinutesOverride",
        jint(r, coin(r) ? PICK(r, build_to) : 5 + (int64_t)cbk_rng_below(r, 2156)));
    static const int64_t queued_to[] = {5, 60, 480};
    put(r, o, all, "queuedTimeoutInMinutesOverride",
        jint(r, coin(r) ? PICK(r, queued_to) : 5 + (int64_t)cbk_rng_below(r, 476)));
    put(r, o, all, "encryptionKeyOverride", jstring(PICK(r, nonempty)));
    char token[40];
    snprintf(token, sizeof token, "tok-%" PRIu64, cbk_rng_next(r));
    put(r, o, all, "idempotencyToken", jstring(token));
    struct json_object *logs = json_object_new_object();
    struct json_object *cw = json_object_new_object();
    json_object_object_add(cw, "status", jstring(PICK(r, log_status)));
    put(r, cw, all, "groupName", jstring(PICK(r, strings)));
    put(r, cw, all, "streamName", jstring(PICK(r, strings)));
    put(r, logs, all, "cloudWatchLogs", cw);
    struct json_object *s3 = json_object_new_object();
    json_object_object_add(s3, "status", jstring(PICK(r, log_status)));
    put(r, s3, all, "location", jstring(PICK(r, strings)));
    put(r, s3, all, "encryptionDisabled", jbool(r));
    put(r, s3, all, "bucketOwnerAccess", jstring(PICK(r, owner_access)));
    put(r, logs, all, "s3Logs", s3);
    put(r, o, all, "logsConfigOverride", logs);
    struct json_object *rc = json_object_new_object();
    json_object_object_add(rc, "credential", jstring(PICK(r, nonempty)));
    json_object_object_add(rc, "credentialProvider", jstring("SECRETS_MANAGER"));
    put(r, o, all, "registryCredentialOverride", rc);
    put(r, o, all, "imagePullCredentialsTypeOverride", jstring(PICK(r, pull_types)));
    struct json_object *bbc = json_object_new_object();
    put(r, bbc, all, "serviceRole", jstring(PICK(r, nonempty)));
    put(r, bbc, all, "combineArtifacts", jbool(r));
    struct json_object *restr = json_object_new_object();
    put(r, restr, all, "maximumBuildsAllowed", jint(r, (int64_t)cbk_rng_below(r, 200)));
    put(r, restr, all, "computeTypesAllowed",
        string_list(r, compute_types, CBK_ARRAY_SIZE(compute_types)));
    put(r, restr, all, "fleetsAllowed", string_list(r, nonempty, CBK_ARRAY_SIZE(nonempty)));
    put(r, bbc, all, "restrictions", restr);
    put(r, bbc, all, "timeoutInMins", jint(r, (int64_t)cbk_rng_below(r, 2000)));
    put(r, bbc, all, "batchReportMode", jstring(PICK(r, report_modes)));
    put(r, o, all, "buildBatchConfigOverride", bbc);
    put(r, o, all, "debugSessionEnabled", jbool(r));
    /* botocore's spacing or compact, as clients differ */
    int flags = coin(r) ? JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
    char *s = strdup(json_object_to_json_string_ext(o, flags | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return s;
}

/* Does 'o' contain a JSON null anywhere (as a member value or array element)? */
static bool has_null(struct json_object *o, struct cbk_buf *where)
{
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v)
        {
            if (!v || has_null(v, where)) {
                char tmp[256];
                snprintf(tmp, sizeof tmp, "/%s", k);
                struct cbk_buf b = CBK_BUF_INIT(1 << 16);
                cbk_buf_adds(&b, tmp);
                cbk_buf_adds(&b, cbk_buf_str(where));
                cbk_buf_reset(where);
                cbk_buf_adds(where, cbk_buf_str(&b));
                cbk_buf_release(&b);
                return true;
            }
        }
    } else if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            struct json_object *v = json_object_array_get_idx(o, i);
            if (!v || has_null(v, where))
                return true;
        }
    }
    return false;
}

struct gen_stats {
    size_t checked, bad;
    size_t per_op[3];
    struct cbk_report *r;
};

static int op_index(const char *op)
{
    return strcmp(op, "RetryBuild") == 0 ? 0 : strcmp(op, "StopBuild") == 0 ? 1 : 2;
}

/* Check a success answer of 'op' strictly against its output shape; record problems. */
static void check_generated(struct gen_stats *gs, uint64_t seed, const char *op,
                            const char *request, struct call *c)
{
    if (c->ans.status != 200) {
        gs->bad++;
        if (gs->bad <= 10)
            print_error("seed %" PRIu64 " %s: status %d for %s\n  -> %.*s\n", seed, op,
                        c->ans.status, request, (int)c->ans.body_len, c->ans.body);
        return;
    }
    gs->checked++;
    gs->per_op[op_index(op)]++;
    const struct cbk_operation *o = cbk_spec_op(spec, op);
    assert_non_null(o);
    struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
    vo.direction = CBK_RESPONSE;
    vo.strict = true;
    enum cbk_code rc =
        cbk_validate_buffer(spec, o->output, c->ans.body, c->ans.body_len, &vo, gs->r);
    struct cbk_buf where = CBK_BUF_INIT(1 << 16);
    bool nul = has_null(c->doc, &where);
    if (rc != CBK_OK || cbk_report_count(gs->r) || nul) {
        gs->bad++;
        if (gs->bad <= 10) {
            print_error("seed %" PRIu64 " %s: generated answer is not valid (strict)\n"
                        "  request: %s\n  answer: %.*s\n",
                        seed, op, request, (int)CBK_MIN(c->ans.body_len, (size_t)3000),
                        c->ans.body);
            for (size_t i = 0; i < cbk_report_count(gs->r) && i < 10; i++) {
                const struct cbk_violation *v = cbk_report_at(gs->r, i);
                print_error("  %s %s: %s\n", v->pointer, cbk_rule_name(v->rule), v->message);
            }
            if (nul)
                print_error("  null at %s\n", cbk_buf_str(&where));
        }
    }
    cbk_buf_release(&where);
    /* the ids and ARNs are what docs/mock.md promises */
    struct json_object *item = jget(c->doc, strcmp(op, "StartBuildBatch") ? "build" : "buildBatch");
    assert_non_null(item);
    const char *id = jstr(item, "id"), *arn = jstr(item, "arn"),
               *project = jstr(item, "projectName");
    assert_non_null(id);
    assert_non_null(arn);
    assert_non_null(project);
    size_t pl = strlen(project);
    assert_true(strncmp(id, project, pl) == 0 && id[pl] == ':');
    char want[1024];
    snprintf(want, sizeof want, "arn:aws:codebuild:us-east-1:123456789012:%s/%s",
             strcmp(op, "StartBuildBatch") ? "build" : "build-batch", id);
    assert_string_equal(arn, want);
}

static const char *const raw_batches[] = {
    "{\"projectName\":\"p\",\"sourceVersion\":\"\\ud83d\\ude00 \\u00e9\\/\\b\"}",
    /* NUL in a copied value (a NUL in a kept one is refused: model_refuses_nul) */
    "{\"projectName\":\"p\",\"sourceVersion\":\"a\\\\u0000b\",\"environmentVariablesOverride\":"
    "[{\"name\":\"N\",\"value\":\"a\\u0000b\"}]}",
    "{\"projectName\":\"p\",\"gitCloneDepthOverride\":5e2,\"buildTimeoutInMinutesOverride\":6.0e1,"
    "\"queuedTimeoutInMinutesOverride\":4.8E2}",
    "{\"projectName\":\"\\u0070\",\"gitCloneDepthOverride\":0e0,\"sourceVersion\":\"\"}",
    "{ \"projectName\" : \"p\" , \"cacheOverride\" : { \"type\" : \"LOCAL\" , \"modes\" : [ ] } }",
    "{\"projectName\":\"p\",\"sourceTypeOverride\":\"NO_SOURCE\",\"artifactsOverride\":"
    "{\"type\":\"S3\",\"location\":\"b\",\"path\":\"\",\"name\":\"\"}}",
};

static void generated_answers_are_valid(void **state)
{
    (void)state;
    struct gen_stats gs = {0, 0, {0, 0, 0}, cbk_report_new()};
    for (uint64_t seed = 0; seed < 200; seed++) {
        struct cbk_mock *m = new_mock(seed, CBK_WORLD_OPEN);
        struct cbk_rng r;
        cbk_rng_seed(&r, cbk_mix64(seed + 0x7e57));
        struct call c;
        char body[4096];
        const char *project = PICK(&r, projects);

        /* StartBuildBatch: minimal, every override, random subsets */
        snprintf(body, sizeof body, "{\"projectName\":\"%s\"}", project);
        api(m, &c, "StartBuildBatch", body);
        check_generated(&gs, seed, "StartBuildBatch", body, &c);
        call_done(&c);
        for (int k = 0; k < 4; k++) {
            char *b = batch_body(&r, project, k < 2);
            api(m, &c, "StartBuildBatch", b);
            check_generated(&gs, seed, "StartBuildBatch", b, &c);
            call_done(&c);
            free(b);
        }

        /* requests as text: escapes, integral numbers in other notations, embedded NUL */
        for (size_t k = 0; k < CBK_ARRAY_SIZE(raw_batches); k++) {
            api(m, &c, "StartBuildBatch", raw_batches[k]);
            check_generated(&gs, seed, "StartBuildBatch", raw_batches[k], &c);
            call_done(&c);
        }

        /* RetryBuild of a build the mock never saw (open world), then of the one it made */
        snprintf(body, sizeof body, "{\"id\":\"%s:%08" PRIx64 "-0000-4000-8000-000000000000\"}",
                 project, cbk_rng_next(&r) & 0xffffffffu);
        api(m, &c, "RetryBuild", body);
        check_generated(&gs, seed, "RetryBuild", body, &c);
        char made[512];
        snprintf(made, sizeof made, "%s", jstr(jget(c.doc, "build"), "id"));
        int64_t number = json_object_get_int64(jget(jget(c.doc, "build"), "buildNumber"));
        call_done(&c);
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"idempotencyToken\":\"t%" PRIu64 "\"}", made,
                 seed);
        api(m, &c, "RetryBuild", body);
        check_generated(&gs, seed, "RetryBuild", body, &c);
        assert_int_equal(json_object_get_int64(jget(jget(c.doc, "build"), "buildNumber")),
                         number + 1);
        char retried[512];
        snprintf(retried, sizeof retried, "%s", jstr(jget(c.doc, "build"), "id"));
        call_done(&c);
        /* less than a minute: a build with realistic phases (a virtual clock) still runs */
        advance_clock(m, (int64_t)cbk_rng_below(&r, 55));

        /* StopBuild: a running build, again (completed: unchanged), an unknown one, by ARN */
        snprintf(body, sizeof body, "{\"id\":\"%s\"}", retried);
        for (int k = 0; k < 2; k++) {
            api(m, &c, "StopBuild", body);
            check_generated(&gs, seed, "StopBuild", body, &c);
            assert_string_equal(jstr(jget(c.doc, "build"), "buildStatus"), "STOPPED");
            call_done(&c);
        }
        snprintf(body, sizeof body,
                 "{\"id\":\"arn:aws:codebuild:us-east-1:123456789012:build/%s:%" PRIx64 "\"}",
                 project, cbk_rng_next(&r));
        api(m, &c, "StopBuild", body);
        check_generated(&gs, seed, "StopBuild", body, &c);
        call_done(&c);
        api(m, &c, "RetryBuild", body);
        check_generated(&gs, seed, "RetryBuild", body, &c);
        call_done(&c);

        /* builds in every status and phase, as scenarios seed them; retried and stopped */
        for (size_t k = 0; k < CBK_ARRAY_SIZE(statuses); k++) {
            struct {
                const char *id, *status, *phase, *source_version, *initiator;
                int64_t start_ms, number;
            } sb;
            memset(&sb, 0, sizeof sb);
            char sid[256];
            snprintf(sid, sizeof sid, "%s:seeded-%zu-%" PRIx64, project, k, cbk_rng_next(&r));
            sb.id = sid;
            sb.status = statuses[k];
            const char *ph = PICK(&r, phases);
            if (strcmp(sb.status, "IN_PROGRESS") == 0 && strcmp(ph, "COMPLETED") == 0)
                ph = "BUILD";
            sb.phase = coin(&r) ? ph : NULL;
            sb.start_ms = coin(&r) ? 0 : 1735689600000LL - (int64_t)cbk_rng_below(&r, 86400000);
            sb.number = coin(&r) ? 0 : 1 + (int64_t)cbk_rng_below(&r, 1000);
            sb.source_version = coin(&r) ? "refs/heads/main" : NULL;
            sb.initiator = coin(&r) ? "codepipeline/x" : NULL;
            struct cbk_buf y = CBK_BUF_INIT(1 << 16);
            cbk_buf_addf(&y, "builds:\n  - id: \"%s\"\n    status: %s\n", sb.id, sb.status);
            if (sb.phase)
                cbk_buf_addf(&y, "    phase: %s\n", sb.phase);
            if (sb.start_ms)
                cbk_buf_addf(&y, "    startTime: %" PRId64 ".%03d\n", sb.start_ms / 1000,
                             (int)(sb.start_ms % 1000));
            if (sb.number)
                cbk_buf_addf(&y, "    buildNumber: %" PRId64 "\n", sb.number);
            if (sb.source_version)
                cbk_buf_addf(&y, "    sourceVersion: %s\n", sb.source_version);
            if (sb.initiator)
                cbk_buf_addf(&y, "    initiator: %s\n", sb.initiator);
            seed_yaml(m, cbk_buf_str(&y));
            cbk_buf_release(&y);
            snprintf(body, sizeof body, "{\"id\":\"%s\"}", sid);
            const char *first = coin(&r) ? "RetryBuild" : "StopBuild";
            api(m, &c, first, body);
            check_generated(&gs, seed, first, body, &c);
            call_done(&c);
            const char *second = strcmp(first, "RetryBuild") ? "RetryBuild" : "StopBuild";
            api(m, &c, second, body);
            check_generated(&gs, seed, second, body, &c);
            call_done(&c);
        }

        /* a batch id is not a build: RetryBuild takes it as an unknown build */
        snprintf(body, sizeof body, "{\"projectName\":\"%s\",\"sourceVersion\":\"v1\"}", project);
        api(m, &c, "StartBuildBatch", body);
        char batch[512];
        snprintf(batch, sizeof batch, "%s", jstr(jget(c.doc, "buildBatch"), "id"));
        check_generated(&gs, seed, "StartBuildBatch", body, &c);
        call_done(&c);
        snprintf(body, sizeof body, "{\"id\":\"%s\"}", batch);
        api(m, &c, "RetryBuild", body);
        check_generated(&gs, seed, "RetryBuild", body, &c);
        call_done(&c);
        cbk_mock_free(m);
    }
    cbk_report_free(gs.r);
    print_message("generated answers checked: %zu (RetryBuild %zu, StopBuild %zu, "
                  "StartBuildBatch %zu), invalid: %zu\n",
                  gs.checked, gs.per_op[0], gs.per_op[1], gs.per_op[2], gs.bad);
    assert_int_equal(gs.bad, 0);
    assert_true(gs.per_op[0] >= 200 * 8);
    assert_true(gs.per_op[1] >= 200 * 9);
    assert_true(gs.per_op[2] >= 200 * (6 + CBK_ARRAY_SIZE(raw_batches)));
}

/* ---- the model: echo, lifecycle ----------------------------------------------------------- */

/* A NUL (\u0000) in a string the model keeps would cut an id or name short and the answer
 * would name another build: such requests are refused naming the member; an escaped backslash
 * followed by "u0000" is ordinary text. */
/*
 * Answers generated from a spec other than CodeBuild's: strings whose pattern the realistic
 * value does not match (an account id of 12 digits, an S3 URI, digits only) still get a value
 * that matches; a union carries exactly one member; documents and timestamps written as strings
 * have the right JSON kind. Every answer validates strictly.
 */
static void generated_fits_patterns_and_kinds(void **state)
{
    (void)state;
    static const char text[] =
        "cbkit-spec: 1\n"
        "metadata: {apiVersion: \"1\", protocol: json, jsonVersion: \"1.1\", "
        "targetPrefix: CodeBuild_20161006}\n"
        "operations:\n"
        "  GetThing: {input: In, output: Out}\n"
        "shapes:\n"
        "  In: {type: structure}\n"
        "  Out:\n"
        "    type: structure\n"
        "    required: [ownerAccountId, destinationIdentifier, choice, doc, when, whenHttp, code,\n"
        "               many, tags, colors]\n"
        "    members:\n"
        "      ownerAccountId: {shape: AccountId}\n"
        "      destinationIdentifier: {shape: S3Uri}\n"
        "      choice: {shape: Choice}\n"
        "      doc: {shape: Doc}\n"
        "      when: {shape: IsoTime}\n"
        "      whenHttp: {shape: HttpTime}\n"
        "      code: {shape: Code}\n"
        "      many: {shape: Many}\n"
        "      tags: {shape: Tags}\n"
        "      colors: {shape: ByColor}\n"
        "  Many: {type: list, member: {shape: Code}, min: 20, max: 30}\n"
        "  Tags: {type: map, key: {shape: Code}, value: {shape: Code}, min: 3}\n"
        "  ByColor: {type: map, key: {shape: Color}, value: {shape: Doc}, min: 2}\n"
        "  Color: {type: string, enum: [red, green]}\n"
        "  AccountId: {type: string, min: 12, max: 12, pattern: \"^\\\\d{12}$\"}\n"
        "  S3Uri: {type: string, pattern: "
        "\"s3://[a-z0-9][\\\\.\\\\-a-z0-9]{1,61}[a-z0-9](/.*)?\"}\n"
        "  Code: {type: string, min: 6, max: 6, pattern: \"^[0-9]+$\"}\n"
        "  Choice: {type: structure, union: true, members: {a: {shape: AccountId}, b: {shape: "
        "Code}}}\n"
        "  Doc: {type: document}\n"
        "  IsoTime: {type: timestamp, timestampFormat: iso8601}\n"
        "  HttpTime: {type: timestamp, timestampFormat: rfc822}\n";
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *own = NULL;
    assert_int_equal(cbk_spec_load_buffer(text, strlen(text), "gen.yaml", &own, &d), CBK_OK);
    cbk_diags_release(&d);
    struct cbk_spec *bundled = spec;
    spec = own; /* new_mock() serves 'spec' */
    struct cbk_report *r = cbk_report_new();
    const struct cbk_operation *op = cbk_spec_op(own, "GetThing");
    for (uint64_t seed = 1; seed <= 50; seed++) {
        struct cbk_mock *m = new_mock(seed, CBK_WORLD_OPEN);
        struct call c;
        assert_int_equal(api(m, &c, "GetThing", "{}"), 200);
        struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
        vo.direction = CBK_RESPONSE;
        vo.strict = true;
        enum cbk_code rc = cbk_validate_buffer(own, op->output, c.ans.body, c.ans.body_len, &vo, r);
        if (rc != CBK_OK)
            print_error("seed %" PRIu64 ": %.*s\n  %s: %s\n", seed, (int)c.ans.body_len, c.ans.body,
                        cbk_report_at(r, 0)->pointer, cbk_report_at(r, 0)->message);
        assert_int_equal(rc, CBK_OK);
        assert_string_equal(jstr(c.doc, "ownerAccountId"), "123456789012");
        assert_int_equal(json_object_object_length(jget(c.doc, "choice")), 1);
        assert_int_equal(json_object_array_length(jget(c.doc, "many")), 20); /* min > 16 */
        assert_int_equal(json_object_object_length(jget(c.doc, "tags")), 3); /* distinct keys */
        assert_int_equal(json_object_object_length(jget(c.doc, "colors")), 2);
        assert_true(json_object_is_type(jget(c.doc, "doc"), json_type_object));
        assert_non_null(jstr(c.doc, "when"));
        assert_non_null(jstr(c.doc, "whenHttp"));
        call_done(&c);
        cbk_mock_free(m);
    }
    cbk_report_free(r);
    spec = bundled;
    cbk_spec_free(own);
}

/* A call of operation 'op' of the Widgets spec below. */
static int widgets(struct cbk_mock *m, struct call *c, const char *op, const char *body)
{
    char target[128];
    snprintf(target, sizeof target, "Widgets_20200101.%s", op);
    struct rq q = {.target = target, .body = body};
    do_call(m, &q, c);
    return c->ans.status;
}

/* The answer in c is 200 and valid, strictly, for the output of 'op' of 'sp'. */
static void valid_answer(const struct cbk_spec *sp, const char *op, struct call *c)
{
    struct cbk_report *r = cbk_report_new();
    struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
    vo.direction = CBK_RESPONSE;
    vo.strict = true;
    enum cbk_code rc =
        cbk_validate_buffer(sp, cbk_spec_op(sp, op)->output, c->ans.body, c->ans.body_len, &vo, r);
    if (c->ans.status != 200 || rc != CBK_OK)
        print_error("%s: %d %.*s\n", op, c->ans.status, (int)c->ans.body_len, c->ans.body);
    assert_int_equal(c->ans.status, 200);
    assert_int_equal(rc, CBK_OK);
    cbk_report_free(r);
}

/*
 * Generated answers of a service that is not CodeBuild (the engine knows no service): ARNs
 * name the spec's signing name, the region and the account; names and nested values the
 * request carries are echoed; a BatchGet-like request's names give one item each, and its
 * list of failures is empty (left out when its shape needs an item); a BatchDelete-like answer
 * lists the request's names; ids of a structure naming its owner are owner:uuid; a listing
 * pages by the paginator (page size, the request's limit, tokens, refused tokens); an answer
 * without a paginator has no next token. Every answer validates strictly.
 */
static void generated_answers_of_any_service(void **state)
{
    (void)state;
    static const char text[] =
        "cbkit-spec: 1\n"
        "metadata: {apiVersion: \"2020-01-01\", protocol: json, jsonVersion: \"1.1\", "
        "targetPrefix: Widgets_20200101, serviceId: Widgets, endpointPrefix: widgets-api, "
        "signingName: widgets}\n"
        "operations:\n"
        "  CreateWidget: {input: CreateIn, output: CreateOut}\n"
        "  BatchGetWidgets: {input: BatchIn, output: BatchOut}\n"
        "  ListWidgets: {input: ListIn, output: ListOut}\n"
        "  ListParts: {input: PartsIn, output: PartsOut}\n"
        "  DescribeThing: {input: ListIn, output: ThingOut}\n"
        "  BatchDeleteWidgets: {input: BatchIn, output: DeleteOut}\n"
        "paginators:\n"
        "  ListWidgets: {inputToken: nextToken, outputToken: nextToken, limitKey: maxResults,\n"
        "                resultKeys: [widgets], pageSize: 10}\n"
        "  ListParts: {inputToken: nextToken, outputToken: nextToken, resultKeys: [parts]}\n"
        "shapes:\n"
        "  Name: {type: string, min: 2, max: 40, pattern: \"^[a-z][a-z0-9-]*$\"}\n"
        "  Names: {type: list, member: {shape: Name}, min: 1, max: 10}\n"
        "  Color: {type: string, enum: [red, green]}\n"
        "  Config: {type: structure, members: {size: {shape: Int}, color: {shape: Color}}}\n"
        "  Int: {type: integer, min: 1, max: 9}\n"
        "  Time: {type: timestamp}\n"
        "  Str: {type: string}\n"
        "  Widget:\n"
        "    type: structure\n"
        "    members:\n"
        "      name: {shape: Name}\n"
        "      arn: {shape: Str}\n"
        "      config: {shape: Config}\n"
        "      created: {shape: Time}\n"
        "      color: {shape: Color}\n"
        "      roleArn: {shape: Str}\n"
        "  Part:\n"
        "    type: structure\n"
        "    members: {id: {shape: Str}, widgetName: {shape: Name}, arn: {shape: Str}}\n"
        "  Widgets: {type: list, member: {shape: Widget}}\n"
        "  CreateIn:\n"
        "    type: structure\n"
        "    required: [name]\n"
        "    members: {name: {shape: Name}, config: {shape: Config}, color: {shape: Color}}\n"
        "  CreateOut: {type: structure, members: {widget: {shape: Widget}}}\n"
        "  BatchIn: {type: structure, required: [names], members: {names: {shape: Names}}}\n"
        "  BatchOut:\n"
        "    type: structure\n"
        "    members: {widgets: {shape: Widgets}, widgetsNotFound: {shape: Names}}\n"
        "  ListIn:\n"
        "    type: structure\n"
        "    members: {nextToken: {shape: Str}, maxResults: {shape: Max}}\n"
        "  Max: {type: integer, min: 1, max: 25}\n"
        "  ListOut:\n"
        "    type: structure\n"
        "    members: {widgets: {shape: Names25}, nextToken: {shape: Str}}\n"
        "  Names25: {type: list, member: {shape: Name}, max: 25}\n"
        "  PartsIn:\n"
        "    type: structure\n"
        "    required: [widgetName]\n"
        "    members: {widgetName: {shape: Name}, nextToken: {shape: Str}}\n"
        "  PartsOut:\n"
        "    type: structure\n"
        "    members: {parts: {shape: Parts}, nextToken: {shape: Str}}\n"
        "  Parts: {type: list, member: {shape: Part}}\n"
        "  DeleteOut:\n"
        "    type: structure\n"
        "    members: {widgetsDeleted: {shape: Names}, widgetsNotDeleted: {shape: Failures}}\n"
        "  Failures: {type: list, member: {shape: Name}}\n"
        "  ThingOut:\n"
        "    type: structure\n"
        "    members: {thing: {shape: Str}, nextToken: {shape: Str}}\n";
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *own = NULL;
    assert_int_equal(cbk_spec_load_buffer(text, strlen(text), "widgets.yaml", &own, &d), CBK_OK);
    cbk_diags_release(&d);
    struct cbk_spec *bundled = spec;
    spec = own; /* new_mock() serves 'spec' */
    struct cbk_mock *m = new_mock(21, CBK_WORLD_OPEN);
    struct call c;

    /* echo, ARNs of the spec's signing name in the mock's region and account, the clock */
    widgets(m, &c, "CreateWidget",
            "{\"name\":\"w-1\",\"config\":{\"size\":3,\"color\":\"green\"},\"color\":\"red\"}");
    valid_answer(own, "CreateWidget", &c);
    struct json_object *w = jget(c.doc, "widget");
    assert_string_equal(jstr(w, "name"), "w-1");
    assert_string_equal(jstr(w, "arn"), "arn:aws:widgets:us-east-1:123456789012:widget/w-1");
    assert_string_equal(jstr(w, "color"), "red");
    assert_string_equal(json_object_to_json_string_ext(jget(w, "config"), JSON_C_TO_STRING_PLAIN),
                        "{\"size\":3,\"color\":\"green\"}");
    assert_int_equal(json_object_get_int64(jget(w, "created")), 1735689600);
    assert_true(strncmp(jstr(w, "roleArn"), "arn:aws:iam::123456789012:role/", 31) == 0);
    call_done(&c);

    /* one item per name asked for, in order; nothing not found */
    widgets(m, &c, "BatchGetWidgets", "{\"names\":[\"a1\",\"b2\",\"c3\"]}");
    valid_answer(own, "BatchGetWidgets", &c);
    struct json_object *items = jget(c.doc, "widgets");
    assert_int_equal(json_object_array_length(items), 3);
    assert_string_equal(jstr(json_object_array_get_idx(items, 2), "name"), "c3");
    assert_string_equal(jstr(json_object_array_get_idx(items, 1), "arn"),
                        "arn:aws:widgets:us-east-1:123456789012:widget/b2");
    assert_null(jget(c.doc, "widgetsNotFound")); /* min 1: left out rather than invented */
    call_done(&c);

    /* a list of the same strings as the request's is the request's; failures are empty */
    widgets(m, &c, "BatchDeleteWidgets", "{\"names\":[\"a1\",\"b2\"]}");
    valid_answer(own, "BatchDeleteWidgets", &c);
    assert_string_equal(
        json_object_to_json_string_ext(jget(c.doc, "widgetsDeleted"), JSON_C_TO_STRING_PLAIN),
        "[\"a1\",\"b2\"]");
    assert_int_equal(json_object_array_length(jget(c.doc, "widgetsNotDeleted")), 0);
    call_done(&c);

    /* pages of pageSize (10), or of the request's limit; tokens until the last page */
    char *token = NULL;
    size_t total = 0, pages = 0;
    for (;;) {
        char body[256];
        if (token)
            snprintf(body, sizeof body, "{\"nextToken\":\"%s\"}", token);
        else
            snprintf(body, sizeof body, "{}");
        widgets(m, &c, "ListWidgets", body);
        valid_answer(own, "ListWidgets", &c);
        size_t n = json_object_array_length(jget(c.doc, "widgets"));
        assert_true(n >= 1 && n <= 10);
        total += n;
        pages++;
        free(token);
        token = jstr(c.doc, "nextToken") ? cbk_xstrdup(jstr(c.doc, "nextToken")) : NULL;
        if (token)
            assert_int_equal(n, 10);
        call_done(&c);
        if (!token)
            break;
        assert_true(pages < 10);
    }
    assert_true(total > 10 && total <= 30 && pages >= 2);
    size_t total2 = 0;
    for (;;) {
        char body[256];
        snprintf(body, sizeof body, "{\"maxResults\":3%s%s%s}", token ? ",\"nextToken\":\"" : "",
                 token ? token : "", token ? "\"" : "");
        widgets(m, &c, "ListWidgets", body);
        valid_answer(own, "ListWidgets", &c);
        size_t n = json_object_array_length(jget(c.doc, "widgets"));
        assert_true(n >= 1 && n <= 3);
        total2 += n;
        free(token);
        token = jstr(c.doc, "nextToken") ? cbk_xstrdup(jstr(c.doc, "nextToken")) : NULL;
        call_done(&c);
        if (!token)
            break;
    }
    assert_int_equal(total2, total); /* the same listing, whatever the page size */
    widgets(m, &c, "ListWidgets", "{\"nextToken\":\"cbk00000001deadbeefdeadbeef\"}");
    expect_error(&c, 400, "InvalidInputException", "Invalid nextToken provided");
    call_done(&c);

    /* the items of a listing of one owner are that owner's: ids owner:uuid */
    widgets(m, &c, "ListParts", "{\"widgetName\":\"w-9\"}");
    valid_answer(own, "ListParts", &c);
    struct json_object *part = json_object_array_get_idx(jget(c.doc, "parts"), 0);
    assert_string_equal(jstr(part, "widgetName"), "w-9");
    const char *pid = jstr(part, "id");
    assert_non_null(pid);
    assert_true(strncmp(pid, "w-9:", 4) == 0);
    assert_true(is_uuid(pid + 4));
    static const char arn_head[] = "arn:aws:widgets:us-east-1:123456789012:part/";
    const char *parn = jstr(part, "arn");
    assert_non_null(parn);
    assert_memory_equal(parn, arn_head, strlen(arn_head));
    assert_string_equal(parn + strlen(arn_head), pid);
    call_done(&c);

    /* no paginator: no next page */
    widgets(m, &c, "DescribeThing", "{}");
    valid_answer(own, "DescribeThing", &c);
    assert_null(jget(c.doc, "nextToken"));
    call_done(&c);

    cbk_mock_free(m);
    spec = bundled;
    cbk_spec_free(own);
}

static void model_refuses_nul(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(9, CBK_WORLD_OPEN);
    struct call c;
    api(m, &c, "StopBuild", "{\"id\":\"app:ab\\u0000cd\"}");
    expect_error(&c, 400, "InvalidInputException", "Value at '/id' contains a NUL character");
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"app\",\"sourceVersion\":\"a\\u0000b\"}");
    expect_error(&c, 400, "InvalidInputException", "'/sourceVersion'");
    call_done(&c);
    api(m, &c, "StartBuildBatch",
        "{\"projectName\":\"app\",\"secondaryArtifactsOverride\":[{\"type\":\"S3\","
        "\"location\":\"bucket\",\"name\":\"a\\u0000b\"}]}");
    expect_error(&c, 400, "InvalidInputException", "'/secondaryArtifactsOverride/0/name'");
    call_done(&c);
    /* a value the answer copies from the request keeps its NUL */
    api(m, &c, "StartBuildBatch",
        "{\"projectName\":\"app\",\"environmentVariablesOverride\":"
        "[{\"name\":\"A\",\"value\":\"x\\u0000y\"}]}");
    assert_int_equal(c.ans.status, 200);
    struct json_object *var = json_object_array_get_idx(
        jget(jget(jget(c.doc, "buildBatch"), "environment"), "environmentVariables"), 0);
    assert_int_equal(json_object_get_string_len(jget(var, "value")), 3);
    assert_memory_equal(json_object_get_string(jget(var, "value")), "x\0y", 3);
    call_done(&c);
    api(m, &c, "StopBuild", "{\"id\":\"app:ab\\\\u0000cd\"}");
    assert_int_equal(c.ans.status, 200);
    assert_string_equal(jstr(jget(c.doc, "build"), "id"), "app:ab\\u0000cd");
    call_done(&c);
    cbk_mock_free(m);
}

static void model_echo_and_lifecycle(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(9, CBK_WORLD_OPEN);
    struct call c;
    api(m, &c, "StartBuildBatch",
        "{\"projectName\":\"app\",\"buildTimeoutInMinutesOverride\":120,"
        "\"queuedTimeoutInMinutesOverride\":60,\"computeTypeOverride\":\"BUILD_GENERAL1_LARGE\","
        "\"sourceVersion\":\"refs/heads/dev\","
        "\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"b\",\"type\":\"PLAINTEXT\"}]"
        "}");
    assert_int_equal(c.ans.status, 200);
    struct json_object *bb = jget(c.doc, "buildBatch");
    assert_int_equal(json_object_get_int(jget(bb, "buildTimeoutInMinutes")), 120);
    assert_int_equal(json_object_get_int(jget(bb, "queuedTimeoutInMinutes")), 60);
    assert_string_equal(jstr(bb, "sourceVersion"), "refs/heads/dev");
    assert_string_equal(jstr(bb, "buildBatchStatus"), "IN_PROGRESS");
    assert_string_equal(jstr(bb, "currentPhase"), "DOWNLOAD_BATCHSPEC");
    struct json_object *env = jget(bb, "environment");
    assert_string_equal(jstr(env, "computeType"), "BUILD_GENERAL1_LARGE");
    struct json_object *vars = jget(env, "environmentVariables");
    assert_int_equal(json_object_array_length(vars), 1);
    assert_string_equal(jstr(json_object_array_get_idx(vars, 0), "value"), "b");
    assert_int_equal(json_object_get_int64(jget(bb, "buildBatchNumber")), 1);
    call_done(&c);

    api(m, &c, "RetryBuild", "{\"id\":\"app:00000000-0000-4000-8000-000000000001\"}");
    struct json_object *b = jget(c.doc, "build");
    assert_string_equal(jstr(b, "buildStatus"), "IN_PROGRESS");
    assert_string_equal(jstr(b, "currentPhase"), "QUEUED");
    assert_false(json_object_get_boolean(jget(b, "buildComplete")));
    assert_null(jget(b, "endTime"));
    char id[256];
    snprintf(id, sizeof id, "%s", jstr(b, "id"));
    assert_string_not_equal(id, "app:00000000-0000-4000-8000-000000000001");
    call_done(&c);

    char body[512];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", id);
    api(m, &c, "StopBuild", body);
    b = jget(c.doc, "build");
    assert_string_equal(jstr(b, "id"), id);
    assert_string_equal(jstr(b, "buildStatus"), "STOPPED");
    assert_string_equal(jstr(b, "currentPhase"), "COMPLETED");
    assert_true(json_object_get_boolean(jget(b, "buildComplete")));
    assert_non_null(jget(b, "endTime"));
    /* the phase it was in (QUEUED) is STOPPED, then FINALIZING and COMPLETED */
    struct json_object *ph = jget(b, "phases");
    size_t n = json_object_array_length(ph);
    assert_true(n >= 3);
    assert_string_equal(jstr(json_object_array_get_idx(ph, n - 1), "phaseType"), "COMPLETED");
    assert_string_equal(jstr(json_object_array_get_idx(ph, n - 2), "phaseType"), "FINALIZING");
    assert_string_equal(jstr(json_object_array_get_idx(ph, n - 3), "phaseType"), "QUEUED");
    assert_string_equal(jstr(json_object_array_get_idx(ph, n - 3), "phaseStatus"), "STOPPED");
    char first_stop[8192];
    snprintf(first_stop, sizeof first_stop, "%.*s", (int)c.ans.body_len, c.ans.body);
    call_done(&c);
    /* stopping a completed build returns it unchanged */
    advance_clock(m, 90);
    api(m, &c, "StopBuild", body);
    assert_string_equal(c.ans.body, first_stop);
    call_done(&c);
    cbk_mock_free(m);
}

/* ---- idempotency ----------------------------------------------------------------------------- */

static char *answer_id(struct call *c, const char *member)
{
    const char *id = jstr(jget(c->doc, member), "id");
    assert_non_null(id);
    return strdup(id);
}

static void idempotency_tokens(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(11, CBK_WORLD_OPEN);
    struct call c;
    static const char r1[] = "{\"id\":\"app:11111111-0000-4000-8000-000000000000\","
                             "\"idempotencyToken\":\"T\"}";
    static const char r1_reordered[] = "{ \"idempotencyToken\" : \"T\", "
                                       "\"id\" : \"app:11111111-0000-4000-8000-000000000000\" }";
    static const char r2[] = "{\"id\":\"app:22222222-0000-4000-8000-000000000000\","
                             "\"idempotencyToken\":\"T\"}";

    assert_int_equal(api(m, &c, "RetryBuild", r1), 200);
    char *a = answer_id(&c, "build");
    char *a_body = strndup(c.ans.body, c.ans.body_len);
    call_done(&c);
    /* same token, same parameters: the same build, not a new one */
    assert_int_equal(api(m, &c, "RetryBuild", r1), 200);
    char *a2 = answer_id(&c, "build");
    assert_string_equal(a2, a);
    assert_string_equal(c.ans.body, a_body);
    free(a2);
    call_done(&c);
    /* the same parameters written differently are the same parameters */
    assert_int_equal(api(m, &c, "RetryBuild", r1_reordered), 200);
    a2 = answer_id(&c, "build");
    assert_string_equal(a2, a);
    free(a2);
    call_done(&c);
    /* same token, different parameters */
    api(m, &c, "RetryBuild", r2);
    expect_error(&c, 400, "IdempotentParameterMismatchException",
                 "The idempotency token 'T' was already used within the last 5 minutes with "
                 "different parameters");
    call_done(&c);
    /* the token is per operation */
    assert_int_equal(
        api(m, &c, "StartBuildBatch", "{\"projectName\":\"app\",\"idempotencyToken\":\"T\"}"), 200);
    call_done(&c);
    /* 4:59 later: still the same build */
    advance_clock(m, 299);
    assert_int_equal(api(m, &c, "RetryBuild", r1), 200);
    a2 = answer_id(&c, "build");
    assert_string_equal(a2, a);
    free(a2);
    call_done(&c);
    /* six minutes after the first use: the token is fresh; different parameters are fine */
    advance_clock(m, 61);
    assert_int_equal(api(m, &c, "RetryBuild", r2), 200);
    char *b = answer_id(&c, "build");
    assert_string_not_equal(b, a);
    call_done(&c);
    /* and now the token belongs to r2's parameters */
    api(m, &c, "RetryBuild", r1);
    expect_error(&c, 400, "IdempotentParameterMismatchException", "'T'");
    call_done(&c);
    assert_int_equal(api(m, &c, "RetryBuild", r2), 200);
    a2 = answer_id(&c, "build");
    assert_string_equal(a2, b);
    free(a2);
    call_done(&c);
    free(a);
    free(b);
    free(a_body);

    /* StartBuildBatch */
    static const char s1[] = "{\"projectName\":\"app\",\"idempotencyToken\":\"B\"}";
    static const char s2[] = "{\"projectName\":\"app\",\"idempotencyToken\":\"B\","
                             "\"sourceVersion\":\"v2\"}";
    assert_int_equal(api(m, &c, "StartBuildBatch", s1), 200);
    a = answer_id(&c, "buildBatch");
    call_done(&c);
    assert_int_equal(api(m, &c, "StartBuildBatch", s1), 200);
    a2 = answer_id(&c, "buildBatch");
    assert_string_equal(a2, a);
    free(a2);
    call_done(&c);
    api(m, &c, "StartBuildBatch", s2);
    expect_error(&c, 400, "IdempotentParameterMismatchException", "'B'");
    call_done(&c);
    advance_clock(m, 360);
    assert_int_equal(api(m, &c, "StartBuildBatch", s1), 200);
    a2 = answer_id(&c, "buildBatch");
    assert_string_not_equal(a2, a);
    free(a2);
    call_done(&c);
    free(a);
    /* without a token every call makes a new batch */
    assert_int_equal(api(m, &c, "StartBuildBatch", "{\"projectName\":\"app\"}"), 200);
    a = answer_id(&c, "buildBatch");
    call_done(&c);
    assert_int_equal(api(m, &c, "StartBuildBatch", "{\"projectName\":\"app\"}"), 200);
    a2 = answer_id(&c, "buildBatch");
    assert_string_not_equal(a2, a);
    free(a2);
    free(a);
    call_done(&c);
    cbk_mock_free(m);
}

/* ---- the strict world -------------------------------------------------------------------------
 */

static void strict_world(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(13, CBK_WORLD_STRICT);
    struct call c;
    static const char unknown[] = "{\"id\":\"app:99999999-0000-4000-8000-000000000000\"}";
    api(m, &c, "RetryBuild", unknown);
    expect_error(&c, 400, "ResourceNotFoundException", "app:99999999-0000-4000-8000-000000000000");
    call_done(&c);
    api(m, &c, "StopBuild", unknown);
    expect_error(&c, 400, "ResourceNotFoundException", "does not exist");
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"app\"}");
    expect_error(&c, 400, "ResourceNotFoundException",
                 "arn:aws:codebuild:us-east-1:123456789012:project/app");
    call_done(&c);
    /* the protocol and contract checks come first */
    api(m, &c, "StopBuild", "{}");
    expect_error(&c, 400, "InvalidInputException", "'id'");
    call_done(&c);

    /* a known project and a known build */
    seed_yaml(m, "projects: [app]\n");
    assert_int_equal(api(m, &c, "StartBuildBatch", "{\"projectName\":\"app\"}"), 200);
    char *batch = answer_id(&c, "buildBatch");
    call_done(&c);
    struct {
        const char *id;
    } sb = {"app:5eed0000-0000-4000-8000-000000000000"};
    seed_yaml(m, "builds:\n  - id: app:5eed0000-0000-4000-8000-000000000000\n"
                 "    status: SUCCEEDED\n    buildNumber: 41\n");
    char body[256];
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", sb.id);
    assert_int_equal(api(m, &c, "RetryBuild", body), 200);
    struct json_object *b = jget(c.doc, "build");
    assert_string_equal(jstr(b, "projectName"), "app");
    assert_int_equal(json_object_get_int64(jget(b, "buildNumber")), 42);
    call_done(&c);
    assert_int_equal(api(m, &c, "StopBuild", body), 200);
    b = jget(c.doc, "build");
    assert_string_equal(jstr(b, "id"), sb.id);
    assert_string_equal(jstr(b, "buildStatus"), "SUCCEEDED"); /* completed: unchanged */
    call_done(&c);
    /* a batch id is not a build id */
    snprintf(body, sizeof body, "{\"id\":\"%s\"}", batch);
    api(m, &c, "StopBuild", body);
    expect_error(&c, 400, "ResourceNotFoundException", batch);
    call_done(&c);
    free(batch);

    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    assert_int_equal(st.requests, 8);
    assert_int_equal(st.invalid, 1);
    assert_int_equal(st.valid, 7);
    cbk_mock_free(m);
}

/* The journal entry of the last API request, through the admin API. */
static void journal_entries(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(17, CBK_WORLD_OPEN);
    struct call c;
    struct rq q = {.target = PREFIX "StopBuild",
                   .body = "{\"id\":\"app:1\"}",
                   .extra_name = "amz-sdk-invocation-id",
                   .extra_value = "51bc4d8a-c898-4abd-b58a-9540106d3df9"};
    do_call(m, &q, &c);
    uint64_t jid = c.ans.journal_id;
    char rid[64];
    snprintf(rid, sizeof rid, "%s", ans_header(&c.ans, "x-amzn-RequestId"));
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"\"}");
    call_done(&c);
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/requests", NULL), 200);
    struct json_object *reqs = jget(c.doc, "requests");
    assert_int_equal(json_object_array_length(reqs), 2);
    assert_int_equal(json_object_get_int(jget(c.doc, "total")), 2);
    struct json_object *e = json_object_array_get_idx(reqs, 0);
    assert_int_equal(json_object_get_int64(jget(e, "id")), (int64_t)jid);
    assert_string_equal(jstr(e, "operation"), "StopBuild");
    assert_string_equal(jstr(e, "verdict"), "valid");
    assert_string_equal(jstr(e, "requestId"), rid);
    assert_string_equal(jstr(e, "invocationId"), "51bc4d8a-c898-4abd-b58a-9540106d3df9");
    assert_string_equal(jstr(e, "body"), "{\"id\":\"app:1\"}");
    assert_int_equal(json_object_get_int(jget(e, "status")), 200);
    e = json_object_array_get_idx(reqs, 1);
    assert_string_equal(jstr(e, "verdict"), "invalid");
    struct json_object *v = json_object_array_get_idx(jget(e, "violations"), 0);
    assert_string_equal(jstr(v, "path"), "/projectName");
    assert_string_equal(jstr(v, "rule"), "length");
    /* what the client read from AWS's message, for this finding */
    assert_string_equal(jstr(v, "awsMessage"), "Value '' at 'projectName' failed to satisfy "
                                               "constraint: Member must have length greater "
                                               "than or equal to 1");
    call_done(&c);
    /* a sensitive member's value never shows, in AWS's words either */
    api(m, &c, "StartBuild",
        "{\"projectName\":\"p\",\"environmentVariablesOverride\":[{\"name\":\"K\","
        "\"value\":987654321}]}");
    call_done(&c);
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/violations", NULL), 200);
    assert_null(strstr(c.ans.body, "987654321"));
    assert_non_null(strstr(c.ans.body, "Value '[REDACTED]' at 'environmentVariablesOverride.1."
                                       "member.value'"));
    call_done(&c);
    cbk_mock_free(m);
}

/* The journal's ring wraps; a reset and the release free exactly the entries kept (touching
 * only their slots), whatever the position of the ring: every slot is empty after a reset, and
 * the ASan build reports any entry left unfreed. */
static void journal_wraps_resets_and_frees(void **state)
{
    (void)state;
    for (size_t n = 0; n < 13; n++) {
        struct cbk_journal j;
        cbk_journal_init(&j, 5, 64);
        struct cbk_jentry e;
        memset(&e, 0, sizeof e);
        e.op = "StopBuild";
        e.body = "{\"id\":\"x:1\"}";
        e.body_len = strlen(e.body);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(cbk_journal_add(&j, &e), i + 1);
        assert_int_equal(j.count, CBK_MIN(n, (size_t)5));
        cbk_journal_reset(&j);
        assert_int_equal(j.count, 0);
        for (size_t i = 0; i < j.cap; i++)
            assert_null(j.ring[i].block);
        struct cbk_mock_stats st;
        cbk_journal_stats(&j, &st);
        assert_int_equal(st.requests, 0);
        for (size_t i = 0; i < n % 7; i++) /* ids go on after a reset */
            assert_int_equal(cbk_journal_add(&j, &e), n + i + 1);
        cbk_journal_release(&j);
    }
}

/* ---- the admin API and other sites -------------------------------------------------------- */

struct guard_case {
    const char *method, *path;
    const char *host, *origin, *site, *token; /* NULL: header absent */
    bool remote;
    int want; /* status, or OPEN */
};
/* want: a health check the admin API's rules refuse: 200 with {"status":"ok"} alone */
#define OPEN 1200

static int guard_call(struct cbk_mock *m, const struct guard_case *g, struct call *c)
{
    struct cbk_http_header h[8];
    size_t n = 0;
    h[n++] = (struct cbk_http_header){"Content-Type", "application/json"};
    if (g->host)
        h[n++] = (struct cbk_http_header){"Host", g->host};
    if (g->origin)
        h[n++] = (struct cbk_http_header){"Origin", g->origin};
    if (g->site)
        h[n++] = (struct cbk_http_header){"Sec-Fetch-Site", g->site};
    if (g->token)
        h[n++] = (struct cbk_http_header){"X-Cbkit-Admin-Token", g->token};
    struct cbk_http_req req;
    memset(&req, 0, sizeof req);
    req.method = g->method;
    req.path = g->path;
    req.headers = h;
    req.nheaders = n;
    req.body = "";
    req.peer_is_loopback = !g->remote;
    cbk_arena_init(&c->arena, 8192);
    c->doc = NULL;
    cbk_mock_handle(m, &req, &c->ans, &c->arena);
    struct json_tokener *tok = json_tokener_new();
    c->doc = json_tokener_parse_ex(tok, c->ans.body, (int)c->ans.body_len);
    json_tokener_free(tok);
    return c->ans.status;
}

static void check_guard(struct cbk_mock *m, const struct guard_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct guard_case *g = &cases[i];
        struct call c;
        int st = guard_call(m, g, &c);
        int want = g->want == OPEN ? 200 : g->want;
        if (st != want)
            print_error("case %zu: %s %s Host=%s Origin=%s Sec-Fetch-Site=%s remote=%d: %d %.*s\n",
                        i, g->method, g->path, g->host ? g->host : "-", g->origin ? g->origin : "-",
                        g->site ? g->site : "-", g->remote, st, (int)c.ans.body_len, c.ans.body);
        assert_int_equal(st, want);
        assert_int_equal(c.ans.journal_id, 0); /* admin requests, refused or not: no journal */
        assert_non_null(c.doc);
        if (st == 200 && strcmp(g->path, "/__cbkit/health") == 0) {
            /* the details need the admin API's rules; the open answer is the status alone */
            assert_string_equal(jstr(c.doc, "status"), "ok");
            assert_int_equal(json_object_object_length(c.doc) == 1, g->want == OPEN);
        }
        if (st == 403) {
            const char *e = jstr(c.doc, "error");
            assert_non_null(e);
            assert_true(strstr(e, "other origins") || strstr(e, "DNS rebinding") ||
                        strstr(e, "loopback clients only"));
        }
        call_done(&c);
    }
}

/*
 * Issue 9: any web page could load a scenario (a text/plain POST with Origin
 * https://evil.example) and, through DNS rebinding (Host: attacker.example), read the journal.
 */
static void admin_refuses_other_sites(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(20, CBK_WORLD_OPEN);
    m->port = 7766; /* as if serving: the mock's own origins name its port */
    static const struct guard_case cases[] = {
        /* curl, SDKs, scripts: no Origin */
        {"GET", "/__cbkit/health", "127.0.0.1:7766", NULL, NULL, NULL, false, 200},
        {"GET", "/__cbkit/health", "localhost:7766", NULL, NULL, NULL, false, 200},
        {"GET", "/__cbkit/health", "LOCALHOST", NULL, NULL, NULL, false, 200},
        {"GET", "/__cbkit/health", "[::1]:7766", NULL, NULL, NULL, false, 200},
        {"GET", "/__cbkit/health", NULL, NULL, NULL, NULL, false, 200},
        /* a port forward (ssh -L 9000:localhost:7766) changes the port, not the name */
        {"GET", "/__cbkit/requests", "localhost:9000", NULL, NULL, NULL, false, 200},
        /* DNS rebinding: a name that is not loopback's */
        {"GET", "/__cbkit/requests", "attacker.example", NULL, NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "attacker.example:7766", NULL, NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "localhost.attacker.example", NULL, NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "127.0.0.1.nip.io:7766", NULL, NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "", NULL, NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "[::1", NULL, NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "::1", NULL, NULL, NULL, false, 403},
        /* cross-site requests */
        {"POST", "/__cbkit/scenarios", "127.0.0.1:7766", "https://evil.example", NULL, NULL, false,
         403},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "null", NULL, NULL, false, 403},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "http://localhost:3000", NULL, NULL, false,
         403},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "https://127.0.0.1:7766", NULL, NULL, false,
         403},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "http://127.0.0.1:7766.evil.example", NULL,
         NULL, false, 403},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "http://127.0.0.1:7766/", NULL, NULL, false,
         403},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "http://user@127.0.0.1:7766", NULL, NULL,
         false, 403},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "", NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "127.0.0.1:7766", NULL, "cross-site", NULL, false, 403},
        {"GET", "/__cbkit/requests", "127.0.0.1:7766", NULL, "same-site", NULL, false, 403},
        /* the mock's own pages (/__cbkit/ui): same origin, or a loopback name and its port */
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "http://127.0.0.1:7766", "same-origin", NULL,
         false, 200},
        {"POST", "/__cbkit/reset", "localhost:9000", "http://localhost:9000", NULL, NULL, false,
         200},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "http://localhost:7766", NULL, NULL, false,
         200},
        {"POST", "/__cbkit/reset", "[::1]:7766", "http://[::1]:7766", NULL, NULL, false, 200},
        {"POST", "/__cbkit/reset", "127.0.0.1:7766", "HTTP://LOCALHOST:7766", NULL, NULL, false,
         200},
        {"GET", "/__cbkit/requests", "127.0.0.1:7766", NULL, "same-origin", NULL, false, 200},
        {"GET", "/__cbkit/requests", "127.0.0.1:7766", NULL, "none", NULL, false, 200},
        /* a remote peer, whatever it says */
        {"GET", "/__cbkit/requests", "127.0.0.1:7766", NULL, NULL, NULL, true, 403},
        /* health checks from anywhere but a web page of another site: the open answer */
        {"GET", "/__cbkit/health", "attacker.example:7766", NULL, NULL, NULL, false, OPEN},
        {"GET", "/__cbkit/health", "127.0.0.1:7766", NULL, NULL, NULL, true, OPEN},
        {"GET", "/__cbkit/health", "mock:7766", "https://evil.example", NULL, NULL, true, 403},
        {"GET", "/__cbkit/health", "mock:7766", NULL, "cross-site", NULL, true, 403},
    };
    check_guard(m, cases, CBK_ARRAY_SIZE(cases));
    /* the AWS API is never restricted by Host or Origin: SDKs name the endpoint as told */
    static const char *const hosts[] = {"attacker.example", "codebuild.us-east-1.amazonaws.com",
                                        "mock:7766"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(hosts); i++) {
        struct call c;
        struct rq q = {.target = PREFIX "StopBuild",
                       .body = "{\"id\":\"p:1\"}",
                       .extra_name = "Host",
                       .extra_value = hosts[i]};
        do_call(m, &q, &c);
        assert_int_equal(c.ans.status, 200);
        call_done(&c);
    }
    /* refusals are counted in health */
    struct call c;
    struct guard_case hg = {"GET", "/__cbkit/health", "localhost", NULL, NULL, NULL, false, 200};
    assert_int_equal(guard_call(m, &hg, &c), 200);
    size_t refused = 0;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++)
        refused += cases[i].want == 403;
    struct json_object *v = NULL;
    assert_true(json_object_object_get_ex(c.doc, "adminRefused", &v));
    assert_int_equal(json_object_get_int64(v), (int64_t)refused);
    call_done(&c);
    cbk_mock_free(m);

    /* bound to another address: that address is the mock's own too */
    struct cbk_mock_config cfg = CBK_MOCK_CONFIG_INIT;
    cfg.spec = spec;
    cfg.services = cbk_services_builtin(&cfg.nservices);
    cfg.host = "::1";
    struct cbk_diags d = CBK_DIAGS_INIT;
    assert_int_equal(cbk_mock_new(&cfg, &m, &d), CBK_OK);
    m->port = 8000;
    static const struct guard_case v6[] = {
        {"GET", "/__cbkit/health", "[::1]:8000", NULL, NULL, NULL, false, 200},
        {"POST", "/__cbkit/reset", "[::1]:8000", "http://[::1]:8000", NULL, NULL, false, 200},
        {"POST", "/__cbkit/reset", "127.0.0.1:8000", "http://[::1]:8000", NULL, NULL, false, 200},
        {"POST", "/__cbkit/reset", "[::1]:8000", "http://[::1]:8001", NULL, NULL, false, 403},
        {"GET", "/__cbkit/requests", "[::2]:8000", NULL, NULL, NULL, false, 403},
    };
    check_guard(m, v6, CBK_ARRAY_SIZE(v6));
    cbk_mock_free(m);
    cbk_diags_release(&d);
}

/*
 * --admin-remote: any peer and any Host, but only with the token, compared in constant time;
 * a foreign Origin is still refused. Without a token the mock is not created.
 */
static void admin_remote_needs_a_token(void **state)
{
    (void)state;
    struct cbk_mock_config cfg = CBK_MOCK_CONFIG_INIT;
    cfg.spec = spec;
    cfg.services = cbk_services_builtin(&cfg.nservices);
    cfg.admin_remote = true;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_mock *m = (struct cbk_mock *)&d;
    assert_int_equal(cbk_mock_new(&cfg, &m, &d), CBK_E_USAGE);
    assert_null(m);
    assert_int_equal(d.nr, 1);
    assert_string_equal(d.v[0].message, "an admin API open to remote clients needs a token");
    cbk_diags_release(&d);
    cfg.admin_token = "";
    assert_int_equal(cbk_mock_new(&cfg, &m, &d), CBK_E_USAGE);
    cbk_diags_release(&d);

    cfg.admin_token = "s3cret-token";
    assert_int_equal(cbk_mock_new(&cfg, &m, &d), CBK_OK);
    m->port = 7766;
    static const struct guard_case cases[] = {
        {"GET", "/__cbkit/health", "mock.internal:7766", NULL, NULL, "s3cret-token", true, 200},
        {"GET", "/__cbkit/health", "10.0.0.5:7766", NULL, NULL, "s3cret-token", true, 200},
        {"GET", "/__cbkit/requests", "mock.internal:7766", NULL, NULL, NULL, true, 401},
        {"GET", "/__cbkit/health", "mock.internal:7766", NULL, NULL, NULL, true, OPEN},
        {"GET", "/__cbkit/health", "mock.internal:7766", NULL, NULL, "s3cret-toke", true, 401},
        {"GET", "/__cbkit/health", "mock.internal:7766", NULL, NULL, "s3cret-token!", true, 401},
        {"GET", "/__cbkit/health", "mock.internal:7766", NULL, NULL, "", true, 401},
        {"GET", "/__cbkit/requests", "localhost", NULL, NULL, NULL, false, 401},
        {"GET", "/__cbkit/health", "localhost", NULL, NULL, NULL, false, OPEN},
        /* a page served by the mock itself, at its remote name */
        {"POST", "/__cbkit/reset", "mock.internal:7766", "http://mock.internal:7766", "same-origin",
         "s3cret-token", true, 200},
        /* another site, even with a token a page could not know */
        {"POST", "/__cbkit/reset", "mock.internal:7766", "https://evil.example", NULL,
         "s3cret-token", true, 403},
    };
    check_guard(m, cases, CBK_ARRAY_SIZE(cases));
    cbk_mock_free(m);
    cbk_diags_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_operations),
        cmocka_unit_test(route_targets),
        cmocka_unit_test(route_method_and_path),
        cmocka_unit_test(route_content_types),
        cmocka_unit_test(route_bodies),
        cmocka_unit_test(bodies_are_counted),
        cmocka_unit_test(clock_stays_in_range),
        cmocka_unit_test(clock_moves_are_atomic),
        cmocka_unit_test(accounts_freed_while_in_use),
        cmocka_unit_test(accounts_beyond_the_limit_forget_the_least_recent),
        cmocka_unit_test(generated_answers_are_valid),
        cmocka_unit_test(generated_fits_patterns_and_kinds),
        cmocka_unit_test(generated_answers_of_any_service),
        cmocka_unit_test(model_echo_and_lifecycle),
        cmocka_unit_test(model_refuses_nul),
        cmocka_unit_test(idempotency_tokens),
        cmocka_unit_test(strict_world),
        cmocka_unit_test(journal_entries),
        cmocka_unit_test(journal_wraps_resets_and_frees),
        cmocka_unit_test(admin_refuses_other_sites),
        cmocka_unit_test(admin_remote_needs_a_token),
    };
    return cmocka_run_group_tests(tests, load_spec, free_spec);
}
