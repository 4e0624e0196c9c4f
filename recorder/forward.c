/*
 * forward.c - forward, re-sign, validate, redact and record one exchange (see forward.h).
 */
#include "core/setup.h"
#include "recorder/forward.h"
#include "cbkit/validate.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "server/timer.h"
#include "wire/wire.h"

#include <curl/curl.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void free_handle(void *p)
{
    curl_easy_cleanup(p);
}

static char *dup0(const char *s)
{
    return s ? cbk_xstrdup(s) : NULL;
}

void cbk_forwarder_init(struct cbk_forwarder *f, const struct cbk_forwarder_config *cfg,
                        struct cbk_cassette_writer *writer, struct cbk_redactor *redactor)
{
    pthread_once(&curl_once, curl_init);
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
    CURL *h = pthread_getspecific(f->curl_key);
    if (h)
        curl_easy_cleanup(h);
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

/* Headers the proxy does not pass on: hop-by-hop, re-computed, or re-signed. */
static bool skip_request_header(const char *name)
{
    static const char *const skip[] = {
        "host",
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "proxy-authorization",
        "proxy-connection",
        "expect",
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(skip); i++)
        if (strcasecmp(name, skip[i]) == 0)
            return true;
    return false;
}

static bool skip_response_header(const char *name)
{
    static const char *const skip[] = {"content-length",    "connection", "keep-alive",
                                       "transfer-encoding", "upgrade",    "proxy-connection"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(skip); i++)
        if (strcasecmp(name, skip[i]) == 0)
            return true;
    return false;
}

struct resp {
    struct cbk_arena *a;
    struct cbk_http_header h[CBK_ANSWER_MAX_HEADERS];
    size_t nh;
    struct cbk_buf body;
    bool too_large;
};

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    struct resp *r = ctx;
    size_t len = size * n;
    const char *colon = memchr(data, ':', len);
    if (!colon || strncmp(data, "HTTP/", 5) == 0)
        return len;
    if (strncmp(data, "HTTP/", 5) == 0 || len < 3)
        return len;
    size_t nl = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t')) {
        v++;
        vl--;
    }
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    char *name = cbk_arena_strndup(r->a, data, nl);
    if (skip_response_header(name) || r->nh >= CBK_ANSWER_MAX_HEADERS - 2)
        return len;
    r->h[r->nh].name = name;
    r->h[r->nh].value = cbk_arena_strndup(r->a, v, vl);
    r->nh++;
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct resp *r = ctx;
    if (cbk_buf_add(&r->body, data, size * n) != CBK_OK) {
        r->too_large = true;
        return 0; /* abort the transfer */
    }
    return size * n;
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

/* Validate one direction; the findings go into the exchange (arena). */
static void check(struct cbk_forwarder *f, const struct cbk_operation *op, bool response,
                  const char *body, size_t len, struct cbk_exchange *x, struct cbk_arena *a)
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
        fs[i].path = cbk_arena_strdup(a, v->pointer);
        fs[i].rule = cbk_rule_name(v->rule);
        fs[i].message = cbk_arena_strdup(a, v->message);
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
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    char msg[768];
    snprintf(msg, sizeof msg, "cbkit could not get an answer from the upstream %s: %s",
             f->cfg.upstream, why);
    cbk_wire_error_body(&b, type, msg);
    ans->status = status;
    ans->body = cbk_arena_strndup(a, b.ptr, b.len);
    ans->body_len = b.len;
    cbk_buf_release(&b);
    ans->headers[0] = (struct cbk_http_header){"x-amzn-ErrorType", type};
    ans->headers[1] = (struct cbk_http_header){"Content-Type", "application/x-amz-json-1.1"};
    ans->nheaders = 2;
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
    CURL *h = pthread_getspecific(f->curl_key);
    if (!h) {
        h = curl_easy_init();
        pthread_setspecific(f->curl_key, h);
    } else {
        curl_easy_reset(h);
    }
    char *url = cbk_arena_printf(a, "%s%s%s%s", f->cfg.upstream, req->path, req->query ? "?" : "",
                                 req->query ? req->query : "");
    struct curl_slist *hl = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (skip_request_header(req->headers[i].name))
            continue;
        char *line = cbk_arena_printf(a, "%s: %s", req->headers[i].name, req->headers[i].value);
        hl = curl_slist_append(hl, line);
    }
    hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
    if (f->cfg.session_token)
        hl = curl_slist_append(
            hl, cbk_arena_printf(a, "X-Amz-Security-Token: %s", f->cfg.session_token));
    struct resp r;
    memset(&r, 0, sizeof r);
    r.a = a;
    cbk_buf_init(&r.body, f->cfg.max_response);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body_len) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        }
    }
    if (f->cfg.access_key && f->cfg.secret_key) {
        char *prov =
            cbk_arena_printf(a, "aws:amz:%s:%s", f->cfg.region ? f->cfg.region : "us-east-1",
                             cbk_spec_metadata(f->cfg.spec)->signing_name
                                 ? cbk_spec_metadata(f->cfg.spec)->signing_name
                                 : "codebuild");
        curl_easy_setopt(h, CURLOPT_AWS_SIGV4, prov);
        curl_easy_setopt(h, CURLOPT_USERNAME, f->cfg.access_key);
        curl_easy_setopt(h, CURLOPT_PASSWORD, f->cfg.secret_key);
    }
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)f->cfg.connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)f->cfg.timeout_ms);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL); /* bodies exactly as sent */
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

    int64_t t0 = cbk_mono_us();
    CURLcode cc = curl_easy_perform(h);
    int64_t t1 = cbk_mono_us();
    curl_slist_free_all(hl);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK || status == 0) {
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
        if (r.too_large)
            why = "the answer is larger than the limit";
        bool timeout = cc == CURLE_OPERATION_TIMEDOUT;
        gateway_error(f, ans, a, timeout ? 504 : 502,
                      timeout ? "GatewayTimeoutException" : "BadGatewayException", why);
        pthread_mutex_lock(&f->mu);
        f->upstream_failures++;
        pthread_mutex_unlock(&f->mu);
        logf_(f, "upstream %s failed for %s: %s (answered %d)", f->cfg.upstream,
              op ? op->name : req->path, why, ans->status);
        cbk_buf_release(&r.body);
        return;
    }
    /* the upstream's answer, unchanged */
    ans->status = (int)status;
    ans->body = cbk_arena_strndup(a, cbk_buf_str(&r.body), r.body.len);
    ans->body_len = r.body.len;
    memcpy(ans->headers, r.h, r.nh * sizeof(r.h[0]));
    ans->nheaders = r.nh;
    cbk_buf_release(&r.body);

    if (!f->writer)
        return;
    struct cbk_exchange x;
    memset(&x, 0, sizeof x);
    x.operation = op ? op->name : "";
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    x.recorded_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    x.latency_ms = (t1 - t0) / 1000;
    check(f, op, false, req->body, req->body_len, &x, a);
    if (ans->status >= 200 && ans->status < 300)
        check(f, op, true, ans->body, ans->body_len, &x, a);
    /* redacted copies for the cassette */
    struct cbk_http_header *rh = cbk_arena_alloc(a, (req->nheaders + 1) * sizeof(*rh));
    size_t nrh = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *n = req->headers[i].name;
        if (strcasecmp(n, "content-length") == 0 || strcasecmp(n, "connection") == 0)
            continue;
        rh[nrh].name = n;
        rh[nrh].value = cbk_redact_header(f->redactor, n, req->headers[i].value, a);
        nrh++;
    }
    x.req_headers = rh;
    x.nreq_headers = nrh;
    struct cbk_http_header *sh = cbk_arena_alloc(a, (ans->nheaders + 1) * sizeof(*sh));
    for (size_t i = 0; i < ans->nheaders; i++) {
        sh[i].name = ans->headers[i].name;
        sh[i].value = cbk_redact_header(f->redactor, sh[i].name, ans->headers[i].value, a);
    }
    x.resp_headers = sh;
    x.nresp_headers = ans->nheaders;
    bool red;
    x.req_body =
        cbk_redact_body(f->redactor, op, false, req->body, req->body_len, &x.req_body_len, a, &red);
    x.resp_body =
        cbk_redact_body(f->redactor, op, true, ans->body, ans->body_len, &x.resp_body_len, a, &red);
    x.status = ans->status;
    if (cbk_cassette_append(f->writer, &x) != CBK_OK) {
        x.index = 0;
        add_drift(f, &x);
        int err = errno;
        char why[256];
        snprintf(why, sizeof why, "cannot write the cassette: %s", strerror(err));
        struct cbk_buf b = CBK_BUF_INIT(1 << 12);
        cbk_wire_error_body(&b, "InternalFailure", why);
        ans->status = 500;
        ans->body = cbk_arena_strndup(a, b.ptr, b.len);
        ans->body_len = b.len;
        cbk_buf_release(&b);
        ans->headers[0] = (struct cbk_http_header){"x-amzn-ErrorType", "InternalFailure"};
        ans->headers[1] = (struct cbk_http_header){"Content-Type", "application/x-amz-json-1.1"};
        ans->nheaders = 2;
        logf_(f, "%s", why);
        return;
    }
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
