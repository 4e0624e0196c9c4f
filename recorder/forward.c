/*
 * forward.c - forward, re-sign, validate, redact and record one exchange (see forward.h).
 */
#include "core/setup.h"
#include "recorder/forward.h"
#include "cbkit/validate.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "recorder/upstream.h"
#include "wire/wire.h"

static void free_handle(void *p)
{
    cbk__upstream_handle_free(p);
}

static char *dup0(const char *s)
{
    return s ? cbk_xstrdup(s) : NULL;
}

void cbk_forwarder_init(struct cbk_forwarder *f, const struct cbk_forwarder_config *cfg,
                        struct cbk_cassette_writer *writer, struct cbk_redactor *redactor)
{
    memset(f, 0, sizeof(*f));
    f->cfg = *cfg;
    /* keep our own copies, without a trailing '/' on the upstream */
    char *up = cbk_xstrdup(cfg->upstream);
    size_t ul = strlen(up);
    while (ul && up[ul - 1] == '/')
        up[--ul] = '\0';
    f->cfg.upstream = up;
    f->cfg.region = dup0(cfg->region);
    f->cfg.access_key = dup0(cfg->access_key);
    f->cfg.secret_key = dup0(cfg->secret_key);
    f->cfg.session_token = dup0(cfg->session_token);
    if (!f->cfg.connect_timeout_ms)
        f->cfg.connect_timeout_ms = 5000;
    if (!f->cfg.timeout_ms)
        f->cfg.timeout_ms = 60000;
    if (!f->cfg.max_response)
        f->cfg.max_response = (size_t)64 << 20;
    f->writer = writer;
    f->redactor = redactor;
    pthread_key_create(&f->curl_key, free_handle);
    pthread_mutex_init(&f->mu, NULL);
}

void cbk_forwarder_release(struct cbk_forwarder *f)
{
    cbk__upstream_handle_free(pthread_getspecific(f->curl_key));
    pthread_setspecific(f->curl_key, NULL);
    pthread_key_delete(f->curl_key);
    cbk_cassette_writer_close(f->writer);
    cbk_redactor_free(f->redactor);
    for (size_t i = 0; i < f->ndrift; i++) {
        free(f->drift[i].operation);
        free(f->drift[i].path);
        free(f->drift[i].rule);
        free(f->drift[i].message);
    }
    free(f->drift);
    pthread_mutex_destroy(&f->mu);
    free((char *)f->cfg.upstream);
    free((char *)f->cfg.region);
    free((char *)f->cfg.access_key);
    free((char *)f->cfg.secret_key);
    free((char *)f->cfg.session_token);
}

static void logf_(struct cbk_forwarder *f, const char *fmt, ...) CBK_PRINTF(2, 3);

static void logf_(struct cbk_forwarder *f, const char *fmt, ...)
{
    if (!f->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = cbk_xvasprintf(fmt, ap);
    va_end(ap);
    f->log(f->log_ctx, msg);
    free(msg);
}

/*
 * Validate one direction; the findings go into the exchange (arena), redacted as the body was
 * ('info': what cbk_redact_body() did to it), so that no message quotes what the cassette hides.
 */
static void check(struct cbk_forwarder *f, const struct cbk_operation *op, bool response,
                  const char *body, size_t len, const struct cbk_redact_info *info,
                  struct cbk_exchange *x, struct cbk_arena *a)
{
    if (!op)
        return;
    struct cbk_report *r = cbk_report_new();
    struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
    vo.direction = response ? CBK_RESPONSE : CBK_REQUEST;
    const char *b = len ? body : "{}";
    size_t bl = len ? len : 2;
    enum cbk_code rc =
        cbk_validate_buffer(f->cfg.spec, response ? op->output : op->input, b, bl, &vo, r);
    size_t n = cbk_report_count(r);
    struct cbk_cassette_finding *fs = cbk_arena_calloc(a, (n ? n : 1) * sizeof(*fs));
    for (size_t i = 0; i < n; i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        const char *path, *msg;
        cbk_redact_finding(f->redactor, op, response, info, v->pointer, v->actual, v->message, a,
                           &path, &msg);
        fs[i].path = cbk_arena_strdup(a, path);
        fs[i].rule = cbk_rule_name(v->rule);
        fs[i].message = cbk_arena_strdup(a, msg);
        fs[i].warning = v->severity == CBK_SEV_WARNING;
    }
    if (response) {
        x->resp_checked = true;
        x->resp_valid = rc == CBK_OK;
        x->resp_findings = fs;
        x->nresp_findings = n;
    } else {
        x->req_checked = true;
        x->req_valid = rc == CBK_OK;
        x->req_findings = fs;
        x->nreq_findings = n;
    }
    if (rc != CBK_OK) {
        pthread_mutex_lock(&f->mu);
        if (response)
            f->response_violations++;
        else
            f->request_violations++;
        pthread_mutex_unlock(&f->mu);
    }
    cbk_report_free(r);
}

/* Warn about what had to be redacted without proof that it was secret (fail closed). */
static void warn_redaction(struct cbk_forwarder *f, const struct cbk_exchange *x, const char *what,
                           const struct cbk_redact_info *info)
{
    char ex[64] = "";
    if (x->index)
        snprintf(ex, sizeof ex, "exchange %zu ", x->index);
    const char *op = x->operation && *x->operation ? x->operation : "(unknown operation)";
    if (info->engine_errors)
        logf_(f, "%s%s %s: %zu value%s redacted to be safe: redaction %s", ex, op, what,
              info->engine_errors, info->engine_errors == 1 ? "" : "s",
              info->engine_why ? info->engine_why : "pattern could not be evaluated");
    if (info->cut)
        logf_(f,
              "%s%s %s: the body is not JSON from byte %zu on; everything from there was "
              "redacted",
              ex, op, what, info->cut_at);
}

/* Add the findings of exchange 'x' to the drift report. */
static void add_drift(struct cbk_forwarder *f, const struct cbk_exchange *x)
{
    pthread_mutex_lock(&f->mu);
    for (int dir = 0; dir < 2; dir++) {
        const struct cbk_cassette_finding *fs = dir ? x->resp_findings : x->req_findings;
        size_t n = dir ? x->nresp_findings : x->nreq_findings;
        for (size_t i = 0; i < n; i++) {
            CBK_GROW(f->drift, f->ndrift + 1, f->drift_alloc);
            struct cbk_drift *d = &f->drift[f->ndrift++];
            d->exchange = x->index;
            d->response = dir == 1;
            d->operation = cbk_xstrdup(x->operation);
            d->path = cbk_xstrdup(fs[i].path);
            d->rule = cbk_xstrdup(fs[i].rule);
            d->message = cbk_xstrdup(fs[i].message);
            d->warning = fs[i].warning;
        }
    }
    pthread_mutex_unlock(&f->mu);
}

static void gateway_error(const struct cbk_forwarder *f, struct cbk_http_answer *ans,
                          struct cbk_arena *a, int status, const char *type, const char *why)
{
    char msg[768];
    snprintf(msg, sizeof msg, "cbkit could not get an answer from the upstream %s: %s",
             f->cfg.upstream, why);
    cbk_wire_error_answer(ans, a, NULL, status, type, msg);
}

/* Request headers worth keeping in a cassette: not the hop-by-hop ones, not Content-Length
 * (the body says it) and not Host (the recorder's own address, meaningless on replay). */
static bool keep_request_header(const char *name)
{
    static const char *const skip[] = {"content-length",    "connection", "host", "keep-alive",
                                       "transfer-encoding", "expect",     "te",   "upgrade"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(skip); i++)
        if (strcasecmp(name, skip[i]) == 0)
            return false;
    return true;
}

void cbk_forward(struct cbk_forwarder *f, const struct cbk_operation *op,
                 const struct cbk_http_req *req, struct cbk_http_answer *ans, struct cbk_arena *a)
{
    cbk_forward_record(f, op, req, ans, a, NULL);
}

void cbk_forward_record(struct cbk_forwarder *f, const struct cbk_operation *op,
                        const struct cbk_http_req *req, struct cbk_http_answer *ans,
                        struct cbk_arena *a, struct cbk_exchange **recorded)
{
    if (recorded)
        *recorded = NULL;
    if (!cbk__upstream_origin_form(req->path)) {
        /* "@evil/", "//evil/", "http://evil/", "evil:443", "*": a signed copy must never go
         * anywhere but the configured upstream */
        cbk_wire_error_answer(ans, a, NULL, 400, "BadRequestException",
                              "cbkit forwards only origin-form request-targets (a path that "
                              "starts with '/', not '//'); this request was not sent upstream");
        logf_(f,
              "refused to forward %s '%s': not an origin-form request-target (a path that "
              "starts with '/', not '//'); nothing was sent upstream",
              req->method, req->path);
        return;
    }
    CURL *h = pthread_getspecific(f->curl_key);
    if (!h) {
        h = cbk__upstream_handle();
        pthread_setspecific(f->curl_key, h);
    }
    const struct cbk_metadata *md = cbk_spec_metadata(f->cfg.spec);
    struct cbk_upstream u = {
        .base = f->cfg.upstream,
        .region = f->cfg.region,
        .service = md->signing_name ? md->signing_name : "codebuild",
        .access_key = f->cfg.access_key,
        .secret_key = f->cfg.secret_key,
        .session_token = f->cfg.session_token,
        .connect_timeout_ms = f->cfg.connect_timeout_ms,
        .timeout_ms = f->cfg.timeout_ms,
        .max_response = f->cfg.max_response,
    };
    char reason[CURL_ERROR_SIZE + 64] = "libcurl cannot create a handle";
    int64_t elapsed_us = 0;
    enum cbk_upstream_status st = CBK_UPSTREAM_FAILED;
    if (h)
        st = cbk__upstream_send(h, &u, req, ans, a, reason, sizeof reason, &elapsed_us);
    if (st != CBK_UPSTREAM_ANSWERED) {
        bool timeout = st == CBK_UPSTREAM_TIMEOUT;
        gateway_error(f, ans, a, timeout ? 504 : 502,
                      timeout ? "GatewayTimeoutException" : "BadGatewayException", reason);
        pthread_mutex_lock(&f->mu);
        f->upstream_failures++;
        pthread_mutex_unlock(&f->mu);
        logf_(f, "upstream %s failed for %s: %s (answered %d)", f->cfg.upstream,
              op ? op->name : req->path, reason, ans->status);
        return;
    }
    /* the upstream's answer, unchanged (cbk__upstream_send filled 'ans') */
    if (!f->writer)
        return;
    struct cbk_exchange x;
    memset(&x, 0, sizeof x);
    x.operation = op ? op->name : "";
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    x.recorded_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    x.latency_ms = elapsed_us / 1000;
    /* redacted copies for the cassette; the findings are redacted like the bodies */
    struct cbk_redact_info hinfo, qinfo, sinfo;
    memset(&hinfo, 0, sizeof hinfo);
    memset(&qinfo, 0, sizeof qinfo);
    memset(&sinfo, 0, sizeof sinfo);
    struct cbk_http_header *rh = cbk_arena_alloc(a, (req->nheaders + 1) * sizeof(*rh));
    size_t nrh = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *n = req->headers[i].name;
        if (!keep_request_header(n))
            continue;
        rh[nrh].name = n;
        rh[nrh].value = cbk_redact_header(f->redactor, n, req->headers[i].value, a, &hinfo);
        nrh++;
    }
    x.req_headers = rh;
    x.nreq_headers = nrh;
    struct cbk_http_header *sh = cbk_arena_alloc(a, (ans->nheaders + 1) * sizeof(*sh));
    for (size_t i = 0; i < ans->nheaders; i++) {
        sh[i].name = ans->headers[i].name;
        sh[i].value = cbk_redact_header(f->redactor, sh[i].name, ans->headers[i].value, a, &hinfo);
    }
    x.resp_headers = sh;
    x.nresp_headers = ans->nheaders;
    x.req_body = cbk_redact_body(f->redactor, op, false, req->body, req->body_len, &x.req_body_len,
                                 a, &qinfo);
    x.resp_body = cbk_redact_body(f->redactor, op, true, ans->body, ans->body_len, &x.resp_body_len,
                                  a, &sinfo);
    check(f, op, false, req->body, req->body_len, &qinfo, &x, a);
    if (ans->status >= 200 && ans->status < 300)
        check(f, op, true, ans->body, ans->body_len, &sinfo, &x, a);
    x.status = ans->status;
    struct cbk_diags wd = CBK_DIAGS_INIT;
    enum cbk_code arc = cbk_cassette_append(f->writer, &x, &wd);
    if (arc != CBK_OK)
        x.index = 0;
    warn_redaction(f, &x, "headers", &hinfo);
    warn_redaction(f, &x, "request", &qinfo);
    warn_redaction(f, &x, "response", &sinfo);
    if (arc != CBK_OK) {
        add_drift(f, &x);
        const char *why = wd.nr ? wd.v[0].message : "cannot write the cassette";
        cbk_wire_error_answer(ans, a, NULL, 500, "InternalFailure", why);
        logf_(f, "%s", why);
        cbk_diags_release(&wd);
        return;
    }
    cbk_diags_release(&wd);
    add_drift(f, &x);
    pthread_mutex_lock(&f->mu);
    f->exchanges++;
    pthread_mutex_unlock(&f->mu);
    if (recorded) {
        struct cbk_exchange *copy = cbk_arena_alloc(a, sizeof(*copy));
        *copy = x;
        *recorded = copy;
    }
}
