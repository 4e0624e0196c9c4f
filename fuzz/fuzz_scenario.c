/*
 * fuzz_scenario.c - libFuzzer target: load arbitrary bytes as a scenario with
 * cbk_scenario_load_buffer() against the bundled CodeBuild spec (loaded once) and check the
 * loader's contract (a scenario xor at least one error; every diagnostic has a message and
 * names the file). A scenario that loads is given to a fresh mock (fixed seed, virtual clock,
 * small journal and state caps; never started, so no sockets) and a fixed series of requests
 * goes through the in-process pipeline cbk_mock_handle(): RetryBuild, StopBuild and
 * StartBuildBatch (valid, invalid and malformed bodies), the journal and the modelled state
 * (GET /__cbkit/requests, /__cbkit/state, /__cbkit/scenarios), a reset, a clock move and the
 * scenario's removal. Every answer must be sane: a status in 200..599 unless it is a transport
 * fault, a body pointer whenever there is a body, named headers, and admin answers that are
 * JSON.
 */
#include "core/setup.h"
#include "fuzz/fuzz_common.h"
#include "cbkit/cbkit.h"
#include "cbkit/services.h"
#include "cbkit/mock.h"
#include "cbkit/scenario.h"
#include "core/alloc.h"
#include "core/arena.h"

#include <json-c/json.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CT_JSON11 "application/x-amz-json-1.1"
#define PREFIX    "CodeBuild_20161006."
#define CLOCK0_MS 1735689600000LL /* 2025-01-01T00:00:00Z */

/* Loaded once and kept for the whole run (reachable, so LeakSanitizer ignores it). */
static struct cbk_spec *spec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    CBK_UNUSED(argc);
    CBK_UNUSED(argv);
    spec = fuzz_bundled_spec();
    return 0;
}

/* One fixed request: an API call (op set) or an admin call (path under /__cbkit/). */
struct fixed_req {
    const char *method;
    const char *path;
    const char *query;
    const char *op; /* X-Amz-Target operation; NULL for admin calls */
    const char *body;
    const char *user_agent;
};

static const struct fixed_req api_calls[] = {
    {"POST", "/", NULL, "RetryBuild", "{\"id\":\"my-app:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60\"}",
     "Boto3/1.34.0 md/Botocore#1.34.0"},
    {"POST", "/", NULL, "RetryBuild",
     "{\"id\":\"my-app:11111111-2222-4333-8444-555555555555\","
     "\"idempotencyToken\":\"tok-1\"}",
     "aws-cli/2.15.0"},
    {"POST", "/", NULL, "StopBuild", "{\"id\":\"my-app:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60\"}",
     "Boto3/1.34.0"},
    {"POST", "/", NULL, "StopBuild", "{\"id\":\"other:66666666-7777-4888-9999-000000000000\"}",
     "fuzz"},
    {"POST", "/", NULL, "StartBuildBatch", "{\"projectName\":\"my-app\"}", "Boto3/1.34.0"},
    {"POST", "/", NULL, "StartBuildBatch",
     "{\"projectName\":\"my-app\",\"sourceVersion\":\"refs/heads/main\","
     "\"buildTimeoutInMinutesOverride\":60,\"idempotencyToken\":\"tok-2\"}",
     "Boto3/1.34.0"},
    /* a contract violation and a malformed body: rules with valid: false / any */
    {"POST", "/", NULL, "StartBuildBatch",
     "{\"projectName\":\"\",\"buildTimeoutInMinutesOverride\":99999}", "fuzz"},
    {"POST", "/", NULL, "RetryBuild", "{\"id\":", "fuzz"},
    {"POST", "/", NULL, "RetryBuild", NULL, "fuzz"},
};

static const struct fixed_req admin_reads[] = {
    {"GET", "/__cbkit/requests", NULL, NULL, NULL, NULL},
    {"GET", "/__cbkit/requests", "verdict=invalid&limit=2", NULL, NULL, NULL},
    {"GET", "/__cbkit/state", NULL, NULL, NULL, NULL},
    {"GET", "/__cbkit/scenarios", NULL, NULL, NULL, NULL},
    {"GET", "/__cbkit/violations", NULL, NULL, NULL, NULL},
    {"GET", "/__cbkit/health", NULL, NULL, NULL, NULL},
};

static const struct fixed_req admin_moves[] = {
    {"POST", "/__cbkit/clock", NULL, NULL, "{\"advanceSeconds\": 400}", NULL},
    {"POST", "/__cbkit/reset", NULL, NULL, NULL, NULL},
};

/* Is body[0..len) one JSON document, as json-c reads it in strict mode? */
/* The environment scenarios are loaded against here: 'sp' and cbkit's behaviours. */
static const struct cbk_scenario_env *env_of(const struct cbk_spec *sp)
{
    static const struct cbk_spec *one[1];
    static struct cbk_scenario_env env;
    one[0] = sp;
    env.specs = one;
    env.nspecs = 1;
    env.services = cbk_services_builtin(&env.nservices);
    return &env;
}

static bool is_json(const char *body, size_t len)
{
    if (len > INT_MAX)
        return false;
    struct json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    bool ok = json_tokener_get_error(tok) == json_tokener_success &&
              json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    json_object_put(o);
    return ok;
}

/* What every answer must look like, whoever decided it. */
static void check_answer(const struct cbk_http_answer *ans, bool admin)
{
    if (ans->fault == CBK_FAULT_RESET || ans->fault == CBK_FAULT_CLOSE ||
        ans->fault == CBK_FAULT_STALL)
        CHECK(ans->status == 0 || (ans->status >= 200 && ans->status <= 599));
    else
        CHECK(ans->status >= 200 && ans->status <= 599);
    CHECK(ans->body_len == 0 || ans->body != NULL);
    CHECK(ans->nheaders <= CBK_ANSWER_MAX_HEADERS);
    for (size_t i = 0; i < ans->nheaders; i++)
        CHECK(ans->headers[i].name != NULL && ans->headers[i].value != NULL);
    if (admin) {
        /* admin answers are the mock's own JSON, never journaled */
        CHECK(ans->fault == CBK_FAULT_NONE);
        CHECK(ans->journal_id == 0);
        CHECK(ans->body != NULL && is_json(ans->body, ans->body_len));
    } else {
        CHECK(ans->journal_id > 0);
    }
}

/* Send one fixed request through the pipeline and check the answer; frees what it made. */
static void send(struct cbk_mock *m, const struct fixed_req *q)
{
    char target[96];
    struct cbk_http_header h[4];
    size_t nh = 0;
    if (q->op) {
        snprintf(target, sizeof target, PREFIX "%s", q->op);
        h[nh++] = (struct cbk_http_header){"X-Amz-Target", target};
        h[nh++] = (struct cbk_http_header){"Content-Type", CT_JSON11};
    } else {
        h[nh++] = (struct cbk_http_header){"Content-Type", "application/json"};
    }
    if (q->user_agent)
        h[nh++] = (struct cbk_http_header){"User-Agent", q->user_agent};
    struct cbk_http_req req;
    memset(&req, 0, sizeof req);
    req.method = q->method;
    req.path = q->path;
    req.query = q->query;
    req.headers = h;
    req.nheaders = nh;
    req.body = q->body ? q->body : "";
    req.body_len = strlen(req.body);
    req.body_size = req.body_len;
    req.peer_is_loopback = true;
    struct cbk_arena arena;
    cbk_arena_init(&arena, 8192);
    struct cbk_http_answer ans;
    cbk_mock_handle(m, &req, &ans, &arena);
    check_answer(&ans, q->op == NULL);
    if (ans.journal_id)
        cbk_mock_complete(m, ans.journal_id, ans.status, 1000);
    cbk_arena_release(&arena);
}

/* send() each of v[0..n), in order. */
static void send_all(struct cbk_mock *m, const struct fixed_req *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        send(m, &v[i]);
}

/* Give the scenario (owned from here on) to a fresh mock and push the fixed requests. */
static void exercise(struct cbk_scenario *s)
{
    struct cbk_mock_config cfg = CBK_MOCK_CONFIG_INIT;
    cfg.spec = spec;
    cfg.services = cbk_services_builtin(&cfg.nservices);
    cfg.has_seed = true;
    cfg.seed = 42;
    cfg.virtual_clock = true;
    cfg.clock_start_ms = CLOCK0_MS;
    cfg.journal_cap = 8; /* small: the ring wraps within one input */
    cfg.state_cap = 4;   /* small: seeded and created builds are evicted */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_mock *m = NULL;
    CHECK(cbk_mock_new(&cfg, &m, &d) == CBK_OK);
    CHECK(d.nr == 0);
    char *name = cbk_xstrdup(cbk_scenario_name(s));
    enum cbk_code rc = cbk_mock_add_scenario_take(m, s, &d);
    /* refused only for a world the mock cannot hold, always with a reason */
    CHECK(rc == CBK_OK || (rc == CBK_E_SCENARIO && cbk_diags_error_count(&d) > 0));
    for (size_t i = 0; i < d.nr; i++)
        CHECK(d.v[i].message && d.v[i].message[0]);
    cbk_diags_release(&d);
    send_all(m, api_calls, CBK_ARRAY_SIZE(api_calls));
    send_all(m, admin_reads, CBK_ARRAY_SIZE(admin_reads));
    /* later calls under the rules' schedules and states, then after a clock move and a reset */
    send_all(m, api_calls, 5);
    send_all(m, admin_moves, CBK_ARRAY_SIZE(admin_moves));
    send_all(m, api_calls, 3);
    send_all(m, admin_reads, 3);
    /* the scenario can be removed once; then the mock answers on its own */
    enum cbk_code rm = cbk_mock_remove_scenario(m, name);
    CHECK(rm == CBK_OK || (rc != CBK_OK && rm == CBK_E_NOT_FOUND));
    CHECK(cbk_mock_remove_scenario(m, name) == CBK_E_NOT_FOUND);
    send_all(m, api_calls, 3);
    send_all(m, admin_reads, 3);
    free(name);
    cbk_mock_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 64);
    struct cbk_scenario *s = (struct cbk_scenario *)&d; /* must be reset */
    enum cbk_code rc =
        cbk_scenario_load_buffer(env_of(spec), (const char *)data, size, "fuzz.yaml", &s, &d);
    for (size_t i = 0; i < d.nr; i++) {
        CHECK(d.v[i].message && d.v[i].message[0]);
        CHECK(d.v[i].file && strcmp(d.v[i].file, "fuzz.yaml") == 0);
        CHECK(d.v[i].path != NULL);
        CHECK(d.v[i].line >= 0 && d.v[i].column >= 0);
    }
    if (rc == CBK_OK) {
        CHECK(s != NULL);
        CHECK(cbk_diags_error_count(&d) == 0);
        const char *name = cbk_scenario_name(s);
        CHECK(name != NULL && name[0]);
        exercise(s);
    } else {
        CHECK(s == NULL);
        CHECK(rc == CBK_E_SCENARIO || rc == CBK_E_LIMIT);
        CHECK(cbk_diags_error_count(&d) > 0);
    }
    cbk_diags_release(&d);
    return 0;
}
