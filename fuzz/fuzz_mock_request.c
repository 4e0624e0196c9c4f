/*
 * fuzz_mock_request.c - libFuzzer target: the mock's request pipeline, cbk_mock_handle(), fed
 * with HTTP requests built from arbitrary bytes: routing by method, path and X-Amz-Target,
 * Content-Type, body limits, validation, the CodeBuild model (idempotency tokens, builds,
 * batches), the journal, and the admin API under /__cbkit/ (scenarios loaded from YAML
 * bodies, the clock, reset, state, journal queries).
 *
 * Input framing: up to MAX_REQUESTS requests, separated by a line holding only "%%":
 *
 *   [!]METHOD PATH[?QUERY]      the request line; a leading '!' means a non-loopback peer
 *   Name: Value                 zero or more headers (at most MAX_HEADERS are kept), up to
 *   ...                         the first empty line
 *                               (empty line)
 *   BODY                        everything up to the next "\n%%\n" or the end of the input
 *
 * Method, path, query and headers are C strings (cut at a NUL byte, as the HTTP layer hands
 * them over); the body is given as bytes with its length, in a buffer of exactly that size (no
 * terminating NUL), so a read past body_len is an ASan report. A body larger than the mock's
 * max_body is marked too large and not passed, as server/httpd.c does.
 *
 * One mock is created on the first input and kept for the whole run (reachable, so
 * LeakSanitizer ignores it); before each input it is put back in its initial state (no
 * scenarios, an empty journal with ids from 1, no builds, the clock at CLOCK0_MS, request
 * sequence 0), so an input replays the same way on its own. Checks on every answer: a status
 * in 200..599 unless it is a transport fault (reset, close, stall), named headers, a body
 * pointer whenever there is a body, admin answers that are JSON and are not journaled, API
 * answers that are journaled and, unless a scenario rule decided them (scenarios may send
 * HTML or malformed bodies on purpose), a JSON object body with the spec's Content-Type.
 */
#include "core/setup.h"
#include "fuzz/fuzz_common.h"
#include "cbkit/cbkit.h"
#include "cbkit/services.h"
#include "cbkit/mock.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "mock/mock_internal.h"
#include "mock/scenario_hook.h"

#include <json-c/json.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 8
#define MAX_HEADERS  12
#define CLOCK0_MS    1735689600000LL /* 2025-01-01T00:00:00Z */
#define MAX_BODY     2048            /* small, so that too-large bodies happen */
#define JOURNAL_CAP  16              /* small: the ring wraps within one input */
#define JOURNAL_BODY 256
#define STATE_CAP    4 /* small: builds, batches and tokens are evicted within one input */

/* Loaded and created once, kept for the whole run. */
static struct cbk_spec *spec;
static struct cbk_mock *mock;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    CBK_UNUSED(argc);
    CBK_UNUSED(argv);
    spec = fuzz_bundled_spec();
    return 0;
}

/* The mock, created on first use (aborts if it cannot be). */
static struct cbk_mock *get_mock(void)
{
    if (mock)
        return mock;
    struct cbk_mock_config cfg = CBK_MOCK_CONFIG_INIT;
    cfg.spec = spec;
    cfg.services = cbk_services_builtin(&cfg.nservices);
    cfg.has_seed = true;
    cfg.seed = 7;
    cfg.virtual_clock = true;
    cfg.clock_start_ms = CLOCK0_MS;
    cfg.max_body = MAX_BODY;
    cfg.journal_cap = JOURNAL_CAP;
    cfg.journal_body_max = JOURNAL_BODY;
    cfg.state_cap = STATE_CAP;
    struct cbk_diags d = CBK_DIAGS_INIT;
    if (cbk_mock_new(&cfg, &mock, &d) != CBK_OK) {
        fprintf(stderr, "fuzz_mock_request: cannot create the mock\n");
        abort();
    }
    cbk_diags_release(&d);
    return mock;
}

/*
 * Put the mock back in the state cbk_mock_new() left it in, so that every input starts from
 * the same state: scenarios unloaded (which gives the configured world back), the journal
 * emptied with ids from 1 again, the modelled builds forgotten, the clock and the request
 * sequence (which seeds generated ids) back at their start.
 */
static void restore(struct cbk_mock *m)
{
    cbk__scenario_detach_all(m);
    cbk_journal_release(&m->journal);
    cbk_journal_init(&m->journal, m->cfg.journal_cap, m->cfg.journal_body_max);
    for (size_t i = 0; i < m->nbehs; i++)
        if (m->behs[i].def->reset)
            m->behs[i].def->reset(m->behs[i].inst, NULL, CLOCK0_MS);
    cbk__mock_clock_set(m, CLOCK0_MS);
    atomic_store(&m->seq, 0);
}

/* ---- framing ----------------------------------------------------------------------------------
 */

/* A request cut out of the input; every pointer is owned (free with req_release()). */
struct freq {
    struct cbk_http_req req;
    struct cbk_http_header h[MAX_HEADERS];
    char *strings[3 + 2 * MAX_HEADERS]; /* method, path, query, header names and values */
    size_t nstrings;
    char *body;
};

/* A NUL-terminated copy of s[0..n), cut at a NUL byte, owned by 'f'. */
static char *own(struct freq *f, const char *s, size_t n)
{
    size_t len = strnlen(s, n); /* C strings: cut at a NUL byte */
    char *p = cbk_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    f->strings[f->nstrings++] = p;
    return p;
}

/* Free everything parse_request() allocated for 'f'. */
static void req_release(struct freq *f)
{
    for (size_t i = 0; i < f->nstrings; i++)
        free(f->strings[i]);
    free(f->body);
}

/* The line starting at *pos in s[0..end) (without its '\n'); advances *pos past it. */
static size_t next_line(const char *s, size_t end, size_t *pos, const char **line)
{
    *line = s + *pos;
    const char *nl = memchr(s + *pos, '\n', end - *pos);
    size_t len = nl ? (size_t)(nl - (s + *pos)) : end - *pos;
    *pos += nl ? len + 1 : len;
    return len;
}

/* Build a request from s[0..end) (see the framing at the top of the file). */
static void parse_request(const char *s, size_t end, struct freq *f)
{
    memset(f, 0, sizeof(*f));
    size_t pos = 0;
    const char *line;
    size_t n = next_line(s, end, &pos, &line);
    if (n && line[n - 1] == '\r')
        n--;
    bool remote = n && line[0] == '!';
    if (remote) {
        line++;
        n--;
    }
    const char *sp = memchr(line, ' ', n);
    size_t mlen = sp ? (size_t)(sp - line) : n;
    f->req.method = own(f, line, mlen);
    const char *target = sp ? sp + 1 : line + n;
    size_t tlen = sp ? n - mlen - 1 : 0;
    const char *q = memchr(target, '?', tlen);
    size_t plen = q ? (size_t)(q - target) : tlen;
    f->req.path = own(f, target, plen);
    f->req.query = q ? own(f, q + 1, tlen - plen - 1) : NULL;
    /* headers up to the first empty line */
    size_t nh = 0;
    while (pos < end) {
        n = next_line(s, end, &pos, &line);
        if (n && line[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        if (nh == MAX_HEADERS)
            continue;
        const char *colon = memchr(line, ':', n);
        size_t nlen = colon ? (size_t)(colon - line) : n;
        const char *v = colon ? colon + 1 : line + n;
        size_t vlen = colon ? n - nlen - 1 : 0;
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        f->h[nh].name = own(f, line, nlen);
        f->h[nh].value = own(f, v, vlen);
        nh++;
    }
    f->req.headers = f->h;
    f->req.nheaders = nh;
    /* the body: exactly its bytes, no terminating NUL */
    size_t blen = end - pos;
    f->req.peer_is_loopback = !remote;
    f->req.body_size = blen;
    if (blen > MAX_BODY) {
        f->req.body_too_large = true;
        f->req.body = "";
        f->req.body_len = 0;
        return;
    }
    f->body = cbk_xmalloc(blen ? blen : 1);
    if (blen)
        memcpy(f->body, s + pos, blen);
    f->req.body = f->body;
    f->req.body_len = blen;
}

/* ---- checks ---------------------------------------------------------------------------------- */

/* Is body[0..len) one JSON object, as json-c reads it in strict mode? */
static bool is_json(const char *body, size_t len, bool want_object)
{
    if (len > INT_MAX)
        return false;
    struct json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    bool ok = json_tokener_get_error(tok) == json_tokener_success &&
              json_tokener_get_parse_end(tok) == len &&
              (!want_object || json_object_is_type(o, json_type_object));
    json_tokener_free(tok);
    json_object_put(o);
    return ok;
}

struct find_entry {
    uint64_t id;
    bool found;
    bool by_scenario; /* a scenario rule fired for this request */
};

/* cbk_journal_each() callback: note whether the entry is f->id and who answered it. */
static void find_entry_cb(const struct cbk_jentry *e, void *arg)
{
    struct find_entry *f = arg;
    if (e->id != f->id)
        return;
    f->found = true;
    f->by_scenario = strncmp(e->answered_by, "scenario ", 9) == 0;
}

/* The value of the answer's header 'name' (case-insensitive), borrowed, or NULL. */
static const char *ans_header(const struct cbk_http_answer *a, const char *name)
{
    for (size_t i = 0; i < a->nheaders; i++)
        if (strcasecmp(a->headers[i].name, name) == 0)
            return a->headers[i].value;
    return NULL;
}

/* The checks every answer to 'req' must pass (the file's comment); abort() otherwise. */
static void check_answer(struct cbk_mock *m, const struct cbk_http_req *req,
                         const struct cbk_http_answer *ans)
{
    bool transport = ans->fault == CBK_FAULT_RESET || ans->fault == CBK_FAULT_CLOSE ||
                     ans->fault == CBK_FAULT_STALL;
    if (transport)
        CHECK(ans->status == 0 || (ans->status >= 200 && ans->status <= 599));
    else
        CHECK(ans->status >= 200 && ans->status <= 599);
    CHECK(ans->body_len == 0 || ans->body != NULL);
    CHECK(ans->nheaders <= CBK_ANSWER_MAX_HEADERS);
    for (size_t i = 0; i < ans->nheaders; i++)
        CHECK(ans->headers[i].name != NULL && ans->headers[i].value != NULL);
    bool admin = strncmp(req->path, "/__cbkit/", 9) == 0 || strcmp(req->path, "/__cbkit") == 0;
    if (admin) {
        CHECK(ans->journal_id == 0);
        CHECK(ans->fault == CBK_FAULT_NONE);
        CHECK(ans->body != NULL && is_json(ans->body, ans->body_len, true));
        return;
    }
    CHECK(ans->journal_id > 0);
    struct find_entry fe = {ans->journal_id, false, false};
    cbk_journal_each(&m->journal, find_entry_cb, &fe);
    CHECK(fe.found); /* the newest entry is always kept */
    if (fe.by_scenario)
        return;
    /* the mock's own answers: AWS JSON, errors and successes alike */
    CHECK(ans->fault == CBK_FAULT_NONE);
    CHECK(ans->body != NULL && is_json(ans->body, ans->body_len, true));
    const char *ct = ans_header(ans, "Content-Type");
    CHECK(ct != NULL && strcmp(ct, cbk_spec_metadata(spec)->content_type) == 0);
    CHECK(ans_header(ans, "x-amzn-RequestId") != NULL);
    if (ans->status >= 300)
        CHECK(ans_header(ans, "x-amzn-ErrorType") != NULL);
}

/* ---- the target -------------------------------------------------------------------------------
 */

/* Frame s[0..n) as one request, send it through the pipeline, check the answer, free it all. */
static void handle(struct cbk_mock *m, const char *s, size_t n)
{
    struct freq f;
    parse_request(s, n, &f);
    struct cbk_arena arena;
    cbk_arena_init(&arena, 8192);
    struct cbk_http_answer ans;
    cbk_mock_handle(m, &f.req, &ans, &arena);
    check_answer(m, &f.req, &ans);
    if (ans.journal_id)
        cbk_mock_complete(m, ans.journal_id, ans.fault == CBK_FAULT_NONE ? ans.status : 0, 500);
    cbk_arena_release(&arena);
    req_release(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cbk_mock *m = get_mock();
    restore(m);
    const char *s = (const char *)data;
    size_t pos = 0;
    for (int k = 0; k < MAX_REQUESTS && (pos < size || k == 0); k++) {
        const char *sep = memmem(s + pos, size - pos, "\n%%\n", 4);
        size_t end = sep ? (size_t)(sep - s) : size;
        handle(m, s + pos, end - pos);
        pos = sep ? end + 4 : size;
    }
    return 0;
}
