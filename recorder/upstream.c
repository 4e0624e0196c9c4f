/*
 * upstream.c - send one request to a live service with libcurl, re-signed with SigV4, and
 * read its answer unchanged (see upstream.h).
 */
#include "core/setup.h"
#include "recorder/upstream.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/curl.h"

#define UPSTREAM_MAX_RESPONSE ((size_t)64 << 20)

CURL *cbk__upstream_handle(void)
{
    const struct cbk_curl *C = cbk_curl_load(NULL, 0);
    return C ? C->easy_init() : NULL;
}

void cbk__upstream_handle_free(CURL *h)
{
    if (h) /* then libcurl is loaded */
        cbk_curl_load(NULL, 0)->easy_cleanup(h);
}

bool cbk__upstream_origin_form(const char *target)
{
    return target && target[0] == '/' && target[1] != '/';
}

/* Whether part 'what' of 'u' is set; its text (NULL when absent) goes to 'got' when not NULL
 * (libcurl's copy, freed with C->free()). */
static bool url_has(const struct cbk_curl *C, CURLU *u, CURLUPart what, char **got)
{
    char *part = NULL;
    bool set = C->url_get(u, what, &part, 0) == CURLUE_OK && part;
    if (got && set)
        *got = part;
    else
        C->free(part);
    return set;
}

bool cbk__upstream_base_ok(const char *url, char *why, size_t whylen)
{
    const char *problem = NULL; /* what follows "'URL' is not an http:// or https:// URL" */
    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
        problem = "";
    for (const char *p = url; !problem && *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            problem = ": it holds a space or a control character";
    const char *rest = problem ? NULL : strstr(url, "://") + 3;
    if (rest && (!*rest || *rest == '/' || *rest == ':')) /* libcurl reads "http:///x" as host x */
        problem = ": it has no host";
    else if (rest && strpbrk(rest, "?#"))
        problem = ": it has a query or a fragment; write scheme://host[:port]";
    char load_why[256] = "";
    const struct cbk_curl *C = problem ? NULL : cbk_curl_load(load_why, sizeof load_why);
    if (!problem && !C) { /* a broken installation: cbkit was built against it */
        if (why && whylen)
            snprintf(why, whylen, "cannot be used: %s", load_why);
        return false;
    }
    CURLU *u = problem ? NULL : C->url();
    if (!problem && !u)
        cbk_oom();
    char *path = NULL;
    if (!problem && C->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        problem = ": libcurl cannot parse it";
    else if (!problem && !url_has(C, u, CURLUPART_HOST, NULL))
        problem = ": it has no host";
    else if (!problem &&
             (url_has(C, u, CURLUPART_USER, NULL) || url_has(C, u, CURLUPART_PASSWORD, NULL)))
        problem = ": it holds a user name or password; write scheme://host[:port]";
    else if (!problem && url_has(C, u, CURLUPART_PATH, &path) && strcmp(path, "/") != 0)
        problem = ": it has a path; write scheme://host[:port] (each request brings its own path)";
    else if (!problem &&
             (url_has(C, u, CURLUPART_QUERY, NULL) || url_has(C, u, CURLUPART_FRAGMENT, NULL)))
        problem = ": it has a query or a fragment; write scheme://host[:port]";
    if (C) {
        C->free(path);
        C->url_cleanup(u);
    }
    if (problem && why && whylen)
        snprintf(why, whylen, "'%s' is not an http:// or https:// URL%s", url ? url : "", problem);
    return problem == NULL;
}

/*
 * The URL of one request, made with libcurl's URL API: scheme, host and port of 'base', then
 * 'path' and the '&'-separated parameters of 'query' (may be NULL), percent-encoded by libcurl.
 * Returns the handle (free with C->url_cleanup()), or NULL (with the reason in why[whylen])
 * when the path is not origin-form or the base does not parse.
 */
static CURLU *request_url(const struct cbk_curl *C, const char *base, const char *path,
                          const char *query, char *why, size_t whylen)
{
    if (!cbk__upstream_origin_form(path)) {
        if (why && whylen)
            snprintf(why, whylen, "the request-target is not a path starting with '/'");
        return NULL;
    }
    CURLU *u = C->url();
    if (!u)
        cbk_oom();
    if (C->url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
        C->url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
        C->url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
        C->url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
        C->url_set(u, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK ||
        C->url_set(u, CURLUPART_PATH, path, CURLU_URLENCODE) != CURLUE_OK) {
        if (why && whylen)
            snprintf(why, whylen, "the upstream URL cannot be used");
        C->url_cleanup(u);
        return NULL;
    }
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        char *param = n ? cbk_xstrndup(p, n) : NULL;
        CURLUcode rc =
            param ? C->url_set(u, CURLUPART_QUERY, param, CURLU_APPENDQUERY | CURLU_URLENCODE)
                  : CURLUE_OK;
        free(param);
        if (rc != CURLUE_OK) {
            if (why && whylen)
                snprintf(why, whylen, "the query string cannot be used");
            C->url_cleanup(u);
            return NULL;
        }
        p = amp ? amp + 1 : p + n;
    }
    return u;
}

/* Headers not passed on: hop-by-hop, re-computed, or re-signed. */
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
    if (!colon || len < 3 || strncmp(data, "HTTP/", 5) == 0)
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

enum cbk_upstream_status cbk__upstream_send(CURL *h, const struct cbk_upstream *u,
                                            const struct cbk_http_req *req,
                                            struct cbk_http_answer *ans, struct cbk_arena *a,
                                            char *why, size_t why_len, int64_t *elapsed_us)
{
    const struct cbk_curl *C = cbk_curl_load(NULL, 0); /* loaded: 'h' is one of its handles */
    C->easy_reset(h);
    if (elapsed_us)
        *elapsed_us = 0;
    CURLU *url = request_url(C, u->base, req->path, req->query, why, why_len);
    if (!url)
        return CBK_UPSTREAM_FAILED;
    struct curl_slist *hl = NULL;
    for (size_t i = 0; i < req->nheaders; i++) {
        if (skip_request_header(req->headers[i].name))
            continue;
        /* "Name:" would remove a header libcurl adds; "Name;" sends it empty */
        const char *v = req->headers[i].value ? req->headers[i].value : "";
        char *line = *v ? cbk_arena_printf(a, "%s: %s", req->headers[i].name, v)
                        : cbk_arena_printf(a, "%s;", req->headers[i].name);
        hl = C->slist_append(hl, line);
    }
    hl = C->slist_append(hl, "Expect:"); /* no 100-continue round trip */
    if (u->session_token)
        hl = C->slist_append(hl, cbk_arena_printf(a, "X-Amz-Security-Token: %s", u->session_token));
    struct resp r;
    memset(&r, 0, sizeof r);
    r.a = a;
    cbk_buf_init(&r.body, u->max_response ? u->max_response : UPSTREAM_MAX_RESPONSE);
    C->easy_setopt(h, CURLOPT_CURLU, url);
    C->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    C->easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    if (strcmp(req->method, "POST") == 0) {
        C->easy_setopt(h, CURLOPT_POST, 1L);
        C->easy_setopt(h, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
        C->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else {
        C->easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body_len) {
            C->easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
            C->easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        }
    }
    if (u->access_key && u->secret_key) {
        char *prov = cbk_arena_printf(a, "aws:amz:%s:%s", u->region ? u->region : "us-east-1",
                                      u->service ? u->service : "codebuild");
        C->easy_setopt(h, CURLOPT_AWS_SIGV4, prov);
        C->easy_setopt(h, CURLOPT_USERNAME, u->access_key);
        C->easy_setopt(h, CURLOPT_PASSWORD, u->secret_key);
    }
    C->easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    C->easy_setopt(h, CURLOPT_HEADERDATA, &r);
    C->easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    C->easy_setopt(h, CURLOPT_WRITEDATA, &r);
    if (u->connect_timeout_ms)
        C->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)u->connect_timeout_ms);
    if (u->timeout_ms)
        C->easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)u->timeout_ms);
    C->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL); /* bodies exactly as sent */
    char errbuf[CURL_ERROR_SIZE] = "";
    C->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

    int64_t t0 = cbk_mono_us();
    CURLcode cc = C->easy_perform(h);
    if (elapsed_us)
        *elapsed_us = cbk_mono_us() - t0;
    C->slist_free_all(hl);
    C->easy_setopt(h, CURLOPT_ERRORBUFFER, NULL); /* errbuf goes out of scope */
    C->easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    C->easy_setopt(h, CURLOPT_CURLU, NULL);
    C->url_cleanup(url);
    long status = 0;
    C->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (cc != CURLE_OK || status == 0) {
        enum cbk_upstream_status st = CBK_UPSTREAM_FAILED;
        const char *reason = errbuf[0] ? errbuf : C->easy_strerror(cc);
        if (r.too_large) {
            st = CBK_UPSTREAM_TOO_LARGE;
            reason = "the answer is larger than the limit";
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            st = CBK_UPSTREAM_TIMEOUT;
        }
        if (why && why_len)
            snprintf(why, why_len, "%s", reason);
        cbk_buf_release(&r.body);
        return st;
    }
    ans->status = (int)status;
    ans->body = cbk_arena_strndup(a, cbk_buf_str(&r.body), r.body.len);
    ans->body_len = r.body.len;
    memcpy(ans->headers, r.h, r.nh * sizeof(r.h[0]));
    ans->nheaders = r.nh;
    cbk_buf_release(&r.body);
    return CBK_UPSTREAM_ANSWERED;
}
