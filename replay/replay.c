/*
 * replay.c - provider verification: send each request of a cassette, in order, to a live
 * endpoint (re-signed with SigV4 by the shared libcurl sender) and compare what comes back
 * with what was recorded: status, error code as botocore reads it, the live answer's validity
 * against the spec, and the body (replay_compare.c). See docs/replay.md.
 */
#include "core/setup.h"
#include "replay/replay_internal.h"
#include "cbkit/validate.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonq.h"
#include "recorder/upstream.h"
#include "core/clock.h"
#include "wire/wire.h"

/* When this many exchanges in a row, from the first, got no answer, the target is down. */
#define REPLAY_GIVE_UP_AFTER 3
#define REPLAY_MAX_DIFFS     100

/* The per-call pointers of one (operation, error code) pair, worked out once per replay. */
struct per_call_entry {
    const struct cbk_operation *op;
    char *error_code; /* NULL for success bodies */
    struct cbk_ptrpats set;
};

struct per_call_cache {
    struct per_call_entry *v;
    size_t n, alloc;
};

static const struct cbk_ptrpats *per_call_get(struct per_call_cache *c, const struct cbk_spec *spec,
                                              const struct cbk_operation *op, bool error_body,
                                              const char *code)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct per_call_entry *e = &c->v[i];
        if (e->op != op || !!e->error_code != error_body)
            continue;
        if (!error_body || strcmp(e->error_code, code) == 0)
            return &e->set;
    }
    CBK_GROW(c->v, c->n + 1, c->alloc);
    struct per_call_entry *e = &c->v[c->n++];
    memset(e, 0, sizeof(*e));
    e->op = op;
    e->error_code = error_body ? cbk_xstrdup(code) : NULL;
    cbk__replay_per_call(&e->set, spec, op, error_body, code);
    return &e->set;
}

static void per_call_release(struct per_call_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].error_code);
        cbk_ptrpats_release(&c->v[i].set);
    }
    free(c->v);
}

static const char *header(const struct cbk_http_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (h[i].name && strcasecmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

/* The error code botocore reads from an answer, in 'a'; NULL for a success (< 300). */
static const char *error_code(struct cbk_arena *a, int status, const char *body, size_t len,
                              const struct cbk_http_header *h, size_t nh)
{
    if (status < 300)
        return NULL;
    struct cbk_buf code = CBK_BUF_INIT(1 << 16), msg = CBK_BUF_INIT(1 << 20);
    cbk_wire_parse_error(CBK_WIRE_BOTOCORE, status, body ? body : "", body ? len : 0,
                         header(h, nh, "x-amzn-ErrorType"), &code, &msg);
    const char *s = cbk_arena_strdup(a, cbk_buf_str(&code));
    cbk_buf_release(&code);
    cbk_buf_release(&msg);
    return s;
}

/* The request as recorded, ready to send: secrets left out, routing headers ensured. */
static void build_request(const struct cbk_spec *spec, const struct cbk_exchange *x,
                          struct cbk_arena *a, struct cbk_http_req *req)
{
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    struct cbk_http_header *h = cbk_arena_alloc(a, (x->nreq_headers + 2) * sizeof(*h));
    size_t n = 0;
    bool has_target = false, has_ct = false;
    for (size_t i = 0; i < x->nreq_headers; i++) {
        const struct cbk_http_header *src = &x->req_headers[i];
        if (!src->name || !src->value)
            continue;
        /* a redacted header (a cookie, a token) cannot be sent; the signature is made again */
        if (strcmp(src->value, CBK_REPLAY_REDACTED_MARK) == 0)
            continue;
        /* the answer is compared byte for byte: never ask for a compressed one */
        if (strcasecmp(src->name, "accept-encoding") == 0)
            continue;
        if (strcasecmp(src->name, "x-amz-target") == 0)
            has_target = true;
        if (strcasecmp(src->name, "content-type") == 0)
            has_ct = true;
        h[n++] = *src;
    }
    /* hand-written cassettes may leave the routing headers out */
    if (!has_target)
        h[n++] = (struct cbk_http_header){
            "X-Amz-Target", cbk_arena_printf(a, "%s.%s", md->target_prefix ? md->target_prefix : "",
                                             x->operation ? x->operation : "")};
    if (!has_ct)
        h[n++] = (struct cbk_http_header){
            "Content-Type", md->content_type ? md->content_type : "application/x-amz-json-1.1"};
    memset(req, 0, sizeof(*req));
    req->method = "POST";
    req->path = "/";
    req->headers = h;
    req->nheaders = n;
    req->body = x->req_body ? x->req_body : "";
    req->body_len = x->req_body_len;
}

/* Findings of the validator on the live answer: errors are mismatches, warnings notes. */
static void check_spec(const struct cbk_spec *spec, const struct cbk_operation *op,
                       const char *body, size_t len, struct cbk_report *rep,
                       struct cbk_replay_diffs *d)
{
    struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
    vo.direction = CBK_RESPONSE;
    vo.strict = false;
    bool empty = true;
    for (size_t i = 0; i < len && empty; i++)
        empty = body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n';
    if (empty)
        cbk_validate_buffer(spec, op->output, "{}", 2, &vo, rep);
    else
        cbk_validate_buffer(spec, op->output, body, len, &vo, rep);
    for (size_t i = 0; i < cbk_report_count(rep); i++) {
        const struct cbk_violation *v = cbk_report_at(rep, i);
        bool warn = v->severity == CBK_SEV_WARNING;
        cbk__replay_diff_add(d, CBK_REPLAY_SPEC, warn, v->pointer, v->expected, v->actual,
                             "%s: %s [%s]",
                             warn ? "tolerated by clients" : "the live answer breaks the spec",
                             v->message, cbk_rule_name(v->rule));
    }
}

/* Status, error code, body and spec of an answered exchange. */
static void compare_answer(const struct cbk_spec *spec, const struct cbk_operation *op,
                           const struct cbk_exchange *x, const struct cbk_http_answer *ans,
                           const struct cbk_replay_opts *opts, struct per_call_cache *cache,
                           struct cbk_report *rep, struct cbk_replay_result *res)
{
    struct cbk_replay_diffs *d = &res->diffs;
    if (x->status != ans->status) {
        char rs[16], ls[16];
        snprintf(rs, sizeof rs, "%d", x->status);
        snprintf(ls, sizeof ls, "%d", ans->status);
        cbk__replay_diff_add(d, CBK_REPLAY_STATUS, false, "", rs, ls, "status %d recorded, %d live",
                             x->status, ans->status);
    }
    const char *rc = res->recorded_error, *lc = res->live_error;
    if ((rc || lc) && (!rc || !lc || strcmp(rc, lc) != 0))
        cbk__replay_diff_add(d, CBK_REPLAY_ERROR_CODE, false, "", rc ? rc : "", lc ? lc : "",
                             "error code %s recorded, %s live", rc ? rc : "(none: success)",
                             lc ? lc : "(none: success)");
    /* a success against an error: the status and code say it all; bodies would only add noise */
    if (!!rc == !!lc) {
        bool error_body = rc != NULL;
        struct cbk__replay_cmp cmp = {
            op ? per_call_get(cache, spec, op, error_body, rc) : NULL,
            opts->ignore,
            opts->nignore,
            error_body,
        };
        cbk__replay_compare(&cmp, x->resp_body, x->resp_body_len, ans->body, ans->body_len, d);
    }
    if (op && !lc && ans->status >= 200 && ans->status < 300)
        check_spec(spec, op, ans->body, ans->body_len, rep, d);
}

static char *trim_target(const char *t)
{
    char *s = cbk_xstrdup(t);
    size_t n = strlen(s);
    while (n && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static int64_t wall_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

enum cbk_code cbk_replay_run(const struct cbk_spec *spec, const struct cbk_cassette *cassette,
                             const struct cbk_replay_opts *opts, struct cbk_replay **out,
                             struct cbk_diags *diags)
{
    *out = NULL;
    char bad[512];
    if (!cbk__upstream_base_ok(opts->target, bad, sizeof bad)) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL, "target %s", bad);
        return CBK_E_USAGE;
    }
    for (size_t i = 0; i < opts->nignore; i++) {
        if (!cbk_jsonq_pointer_valid(opts->ignore[i])) {
            cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                           "'%s' is not a JSON pointer (\"\" or /member/...; '*' matches any "
                           "one token)",
                           opts->ignore[i]);
            return CBK_E_USAGE;
        }
    }
    CURL *h = cbk__upstream_handle();
    if (!h) {
        cbk_diags_addf(diags, CBK_E_UPSTREAM, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "libcurl cannot create a handle");
        return CBK_E_UPSTREAM;
    }
    struct cbk_replay *r = cbk_xcalloc(1, sizeof(*r));
    r->target = trim_target(opts->target);
    r->cassette = cbk_xstrdup(cbk_cassette_file(cassette) ? cbk_cassette_file(cassette) : "");
    cbk_arena_init(&r->strs, 1 << 16);
    r->n = cbk_cassette_count(cassette);
    r->v = cbk_xcalloc(r->n ? r->n : 1, sizeof(*r->v));
    r->started_ms = wall_ms();
    int64_t t0 = cbk_mono_us();

    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    struct cbk_upstream u = {
        .base = r->target,
        .region = opts->region,
        .service = md->signing_name ? md->signing_name : "codebuild",
        .access_key = opts->access_key,
        .secret_key = opts->secret_key,
        .session_token = opts->session_token,
        .connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : 5000,
        .timeout_ms = opts->timeout_ms ? opts->timeout_ms : 60000,
        .max_response = opts->max_response,
    };
    struct per_call_cache cache = {NULL, 0, 0};
    struct cbk_report *rep = cbk_report_new();
    struct cbk_arena a = CBK_ARENA_INIT(1 << 16);
    size_t unanswered_in_row = 0;
    bool any_answer = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct cbk_exchange *x = cbk_cassette_at(cassette, i);
        struct cbk_replay_result *res = &r->v[i];
        cbk_replay_diffs_init(&res->diffs, opts->max_diffs ? opts->max_diffs : REPLAY_MAX_DIFFS);
        res->exchange = x->index;
        res->line = x->line;
        res->operation = cbk_arena_strdup(&r->strs, x->operation ? x->operation : "");
        res->recorded_status = x->status;
        res->recorded_error = error_code(&r->strs, x->status, x->resp_body, x->resp_body_len,
                                         x->resp_headers, x->nresp_headers);
        const struct cbk_operation *op = cbk_spec_op(spec, res->operation);
        if (!op)
            cbk__replay_diff_add(&res->diffs, CBK_REPLAY_UNKNOWN_OP, true, "", NULL, NULL,
                                 "operation '%s' is not in the spec: nothing is taken as "
                                 "per-call and the answer is not validated",
                                 res->operation);
        if (x->req_body && x->req_body_len &&
            memmem(x->req_body, x->req_body_len, CBK_REPLAY_REDACTED_MARK,
                   strlen(CBK_REPLAY_REDACTED_MARK)))
            cbk__replay_diff_add(&res->diffs, CBK_REPLAY_REDACTED, true, "", NULL, NULL,
                                 "request contains redacted values (sent as recorded)");
        if (!any_answer && unanswered_in_row >= REPLAY_GIVE_UP_AFTER) {
            cbk__replay_diff_add(&res->diffs, CBK_REPLAY_UNREACHABLE, false, "", NULL, NULL,
                                 "not sent: the target did not answer the first %d exchanges",
                                 REPLAY_GIVE_UP_AFTER);
        } else {
            struct cbk_http_req req;
            build_request(spec, x, &a, &req);
            struct cbk_http_answer ans;
            memset(&ans, 0, sizeof ans);
            char why[CURL_ERROR_SIZE + 64] = "";
            int64_t us = 0;
            enum cbk_upstream_status st =
                cbk__upstream_send(h, &u, &req, &ans, &a, why, sizeof why, &us);
            res->seconds = (double)us / 1e6;
            if (st == CBK_UPSTREAM_ANSWERED) {
                any_answer = true;
                unanswered_in_row = 0;
                res->answered = true;
                res->live_status = ans.status;
                res->live_error = error_code(&r->strs, ans.status, ans.body, ans.body_len,
                                             ans.headers, ans.nheaders);
                compare_answer(spec, op, x, &ans, opts, &cache, rep, res);
            } else {
                unanswered_in_row++;
                cbk__replay_diff_add(&res->diffs, CBK_REPLAY_UNREACHABLE, false, "", NULL, why,
                                     "no answer from %s%s: %s", r->target,
                                     st == CBK_UPSTREAM_TIMEOUT ? " in time" : "", why);
            }
        }
        res->matched = res->answered && res->diffs.mismatches == 0;
        if (opts->progress)
            opts->progress(opts->progress_ctx, res);
        cbk_arena_reset(&a);
    }
    cbk_arena_release(&a);
    cbk_report_free(rep);
    per_call_release(&cache);
    cbk__upstream_handle_free(h);
    r->seconds = (double)(cbk_mono_us() - t0) / 1e6;
    *out = r;
    return CBK_OK;
}

void cbk_replay_free(struct cbk_replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        cbk_replay_diffs_release(&r->v[i].diffs);
    free(r->v);
    cbk_arena_release(&r->strs);
    free(r->target);
    free(r->cassette);
    free(r);
}

size_t cbk_replay_count(const struct cbk_replay *r)
{
    return r->n;
}

const struct cbk_replay_result *cbk_replay_at(const struct cbk_replay *r, size_t i)
{
    return i < r->n ? &r->v[i] : NULL;
}

void cbk_replay_summary(const struct cbk_replay *r, struct cbk_replay_summary *out)
{
    memset(out, 0, sizeof(*out));
    out->exchanges = r->n;
    out->seconds = r->seconds;
    for (size_t i = 0; i < r->n; i++) {
        const struct cbk_replay_result *x = &r->v[i];
        if (x->matched)
            out->matched++;
        if (!x->answered)
            out->unanswered++;
        for (size_t k = 0; k < x->diffs.nr; k++)
            if (x->diffs.v[k].note)
                out->notes++;
    }
    out->mismatched = out->exchanges - out->matched;
}
