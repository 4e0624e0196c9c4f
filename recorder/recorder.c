/*
 * recorder.c - `cbkit record`'s engine: the HTTP server (a thread per connection, since each
 * request waits for the upstream) in front of the forwarder, plus the drift report.
 */
#include "core/setup.h"
#include "cbkit/record.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "recorder/forward.h"
#include "recorder/upstream.h"
#include "server/httpd.h"
#include "wire/wire.h"

struct cbk_recorder {
    struct cbk_recorder_config cfg;
    struct cbk_forwarder fwd;
    struct cbk_httpd *httpd;
};

static void handle(void *ctx, const struct cbk_http_req *req, struct cbk_http_answer *ans,
                   struct cbk_arena *a)
{
    struct cbk_recorder *r = ctx;
    const struct cbk_operation *op = NULL;
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, "X-Amz-Target") == 0) {
            enum cbk_wire_target_err why;
            op = cbk_wire_resolve_target(r->cfg.spec, req->headers[i].value, &why);
        }
    if (req->body_too_large) {
        char msg[160];
        snprintf(msg, sizeof msg, "Request body of %zu bytes exceeds the recorder's limit",
                 req->body_size);
        cbk_wire_error_answer(ans, a, NULL, 413, "RequestEntityTooLargeException", msg);
    } else {
        cbk_forward(&r->fwd, op, req, ans, a);
    }
    /* the recorder's own answers (413, 502, 504, 500) get a request id like any AWS answer;
     * the upstream's keep theirs */
    for (size_t i = 0; i < ans->nheaders; i++)
        if (strcasecmp(ans->headers[i].name, "x-amzn-RequestId") == 0)
            return;
    if (ans->nheaders < CBK_ANSWER_MAX_HEADERS) {
        char *id = cbk_arena_alloc(a, 37);
        cbk_wire_request_id(id);
        ans->headers[ans->nheaders++] = (struct cbk_http_header){"x-amzn-RequestId", id};
    }
}

bool cbk_recorder_host_is_loopback(const char *host)
{
    return !host || cbk_httpd_host_is_loopback(host);
}

enum cbk_code cbk_recorder_new(const struct cbk_recorder_config *cfg, struct cbk_recorder **out,
                               struct cbk_diags *diags)
{
    *out = NULL;
    if (!cfg->upstream || !*cfg->upstream) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "the recorder needs an upstream URL");
        return CBK_E_USAGE;
    }
    char why[512];
    if (!cbk__upstream_base_ok(cfg->upstream, why, sizeof why)) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL, "upstream %s", why);
        return CBK_E_USAGE;
    }
    if (!cfg->allow_remote && !cbk_recorder_host_is_loopback(cfg->host)) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "'%s' is not a loopback address: the recorder would sign requests with "
                       "the operator's credentials for anyone who can reach it",
                       cfg->host);
        return CBK_E_USAGE;
    }
    const char *secrets[] = {cfg->secret_key, cfg->session_token};
    struct cbk_redact_rules rules = {cfg->redact_headers,
                                     cfg->nredact_headers,
                                     cfg->redact_pointers,
                                     cfg->nredact_pointers,
                                     cfg->redact_patterns,
                                     cfg->nredact_patterns,
                                     secrets,
                                     2};
    struct cbk_redactor *red = NULL;
    enum cbk_code rc = cbk_redactor_new(cfg->spec, &rules, &red, diags);
    if (rc != CBK_OK)
        return rc;
    struct cbk_cassette_writer *w = NULL;
    rc = cbk_cassette_writer_open(cfg->cassette, cfg->mode, cfg->spec, cfg->upstream, &w, diags);
    if (rc != CBK_OK) {
        cbk_redactor_free(red);
        return rc;
    }
    struct cbk_recorder *r = cbk_xcalloc(1, sizeof(*r));
    r->cfg = *cfg;
    struct cbk_forwarder_config fc;
    memset(&fc, 0, sizeof fc);
    fc.spec = cfg->spec;
    fc.upstream = cfg->upstream;
    fc.region = cfg->region;
    fc.access_key = cfg->access_key;
    fc.secret_key = cfg->secret_key;
    fc.session_token = cfg->session_token;
    fc.connect_timeout_ms = cfg->connect_timeout_ms;
    fc.timeout_ms = cfg->timeout_ms;
    cbk_forwarder_init(&r->fwd, &fc, w, red);
    r->fwd.log = cfg->log;
    r->fwd.log_ctx = cfg->log_ctx;
    /* the borrowed strings of cfg are not kept: only the forwarder's own copies are used */
    r->cfg.upstream = r->fwd.cfg.upstream;
    r->cfg.access_key = r->cfg.secret_key = r->cfg.session_token = NULL;
    r->cfg.redact_headers = r->cfg.redact_pointers = r->cfg.redact_patterns = NULL;
    r->cfg.cassette = NULL;
    *out = r;
    return CBK_OK;
}

enum cbk_code cbk_recorder_start(struct cbk_recorder *r, unsigned *port, struct cbk_diags *diags)
{
    struct cbk_httpd_config hc;
    memset(&hc, 0, sizeof hc);
    hc.host = r->cfg.host ? r->cfg.host : "127.0.0.1";
    hc.port = r->cfg.port;
    hc.thread_per_connection = true;
    hc.max_body = r->cfg.max_body ? r->cfg.max_body : ((size_t)1 << 20);
    hc.client_timeout = r->cfg.client_timeout ? r->cfg.client_timeout : 30;
    hc.connection_limit = 1024;
    hc.handle = handle;
    hc.ctx = r;
    r->cfg.host = NULL;
    return cbk_httpd_start(&hc, &r->httpd, port, diags);
}

void cbk_recorder_stop(struct cbk_recorder *r)
{
    if (r && r->httpd) {
        cbk_httpd_stop(r->httpd);
        r->httpd = NULL;
    }
}

void cbk_recorder_free(struct cbk_recorder *r)
{
    if (!r)
        return;
    cbk_recorder_stop(r);
    cbk_forwarder_release(&r->fwd);
    free(r);
}

void cbk_recorder_stats(struct cbk_recorder *r, struct cbk_recorder_stats *out)
{
    pthread_mutex_lock(&r->fwd.mu);
    out->exchanges = r->fwd.exchanges;
    out->upstream_failures = r->fwd.upstream_failures;
    out->request_violations = r->fwd.request_violations;
    out->response_violations = r->fwd.response_violations;
    out->findings = r->fwd.ndrift;
    pthread_mutex_unlock(&r->fwd.mu);
}

static enum cbk_code write_buf(FILE *f, struct cbk_buf *b)
{
    enum cbk_code rc = CBK_OK;
    if (b->len && fwrite(b->ptr, 1, b->len, f) != b->len)
        rc = CBK_E_IO;
    if (fflush(f) != 0)
        rc = CBK_E_IO;
    cbk_buf_release(b);
    return rc;
}

enum cbk_code cbk_recorder_write_drift_text(struct cbk_recorder *r, FILE *f)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    pthread_mutex_lock(&r->fwd.mu);
    cbk_buf_addf(&b,
                 "drift report: %" PRIu64 " exchanges recorded, %zu findings (%" PRIu64
                 " requests and %" PRIu64 " answers broke the contract), %" PRIu64
                 " upstream failures\n",
                 r->fwd.exchanges, r->fwd.ndrift, r->fwd.request_violations,
                 r->fwd.response_violations, r->fwd.upstream_failures);
    for (size_t i = 0; i < r->fwd.ndrift; i++) {
        const struct cbk_drift *d = &r->fwd.drift[i];
        /* the path holds member names and the message quotes values: escaped */
        cbk_buf_addf(&b, "  exchange %zu %s %s: %s", d->exchange, d->operation,
                     d->response ? "response" : "request", d->warning ? "warning: " : "");
        if (d->path[0]) {
            cbk_buf_add_printable(&b, d->path, strlen(d->path));
            cbk_buf_adds(&b, ": ");
        }
        cbk_buf_add_printable(&b, d->message, strlen(d->message));
        cbk_buf_addf(&b, " [%s]\n", d->rule);
    }
    pthread_mutex_unlock(&r->fwd.mu);
    return write_buf(f, &b);
}

enum cbk_code cbk_recorder_write_drift_json(struct cbk_recorder *r, FILE *f)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    pthread_mutex_lock(&r->fwd.mu);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "upstream", r->fwd.cfg.upstream);
    cbk_jsonw_key(&w, "exchanges");
    cbk_jsonw_uint(&w, r->fwd.exchanges);
    cbk_jsonw_key(&w, "upstreamFailures");
    cbk_jsonw_uint(&w, r->fwd.upstream_failures);
    cbk_jsonw_key(&w, "requestViolations");
    cbk_jsonw_uint(&w, r->fwd.request_violations);
    cbk_jsonw_key(&w, "responseViolations");
    cbk_jsonw_uint(&w, r->fwd.response_violations);
    cbk_jsonw_key(&w, "findings");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < r->fwd.ndrift; i++) {
        const struct cbk_drift *d = &r->fwd.drift[i];
        cbk_jsonw_obj(&w);
        cbk_jsonw_key(&w, "exchange");
        cbk_jsonw_uint(&w, d->exchange);
        cbk_jsonw_kstr(&w, "operation", d->operation);
        cbk_jsonw_kstr(&w, "direction", d->response ? "response" : "request");
        cbk_jsonw_kstr(&w, "path", d->path);
        cbk_jsonw_kstr(&w, "rule", d->rule);
        cbk_jsonw_kstr(&w, "message", d->message);
        cbk_jsonw_kbool(&w, "warning", d->warning);
        cbk_jsonw_end_obj(&w);
    }
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    pthread_mutex_unlock(&r->fwd.mu);
    cbk_buf_addc(&b, '\n');
    return write_buf(f, &b);
}
