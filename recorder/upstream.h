/*
 * upstream.h - send one request to a live service with libcurl, re-signed with SigV4 for the
 * service's host (CURLOPT_AWS_SIGV4), and read the answer exactly as it came. Shared by the
 * forwarder (`cbkit record`, `cbkit mock --record-missing`) and replay (`cbkit replay`).
 */
#ifndef CBK_UPSTREAM_H
#define CBK_UPSTREAM_H

#include "core/setup.h"
#include "core/arena.h"
#include "cbkit/http.h"

#include "core/curl.h"

/* Where and how to send. Strings are borrowed for the duration of one call. */
struct cbk_upstream {
    const char *base;    /* "https://host[:port]" (cbk__upstream_base_ok() holds) */
    const char *region;  /* signing region; NULL: us-east-1 */
    const char *service; /* signing name; NULL: codebuild */
    const char *access_key, *secret_key, *session_token; /* NULL key or secret: unsigned */
    unsigned connect_timeout_ms, timeout_ms;             /* 0: no limit (libcurl defaults) */
    size_t max_response;                                 /* body bytes; 0: 64 MiB */
};

enum cbk_upstream_status {
    CBK_UPSTREAM_ANSWERED,  /* an HTTP answer came back (any status) */
    CBK_UPSTREAM_FAILED,    /* no answer: refused, reset, closed, not resolvable, TLS, ... */
    CBK_UPSTREAM_TIMEOUT,   /* no answer within the connect or total timeout */
    CBK_UPSTREAM_TOO_LARGE, /* the answer exceeded max_response and was abandoned */
};

/*
 * Whether 'url' may be the base every request is sent to: an http:// or https:// URL with a
 * host, an optional port, and nothing else (no user or password, no path but "/", no query, no
 * fragment, no spaces or control characters), as libcurl's URL API parses it. Requests only
 * ever add their path to it. When it may not, returns false and writes the reason ("... is not
 * an http:// or https:// URL", "... holds a user name or password", ...) to why[whylen]. This
 * is the first use of libcurl by every command that sends requests, and loads it
 * (core/curl.h); when it cannot be loaded the reason is "cannot be used: cannot load libcurl
 * ...".
 */
bool cbk__upstream_base_ok(const char *url, char *why, size_t whylen);

/*
 * Whether 'target' is an origin-form request-target (RFC 9112 section 3.2.1) that may be
 * forwarded: it starts with '/' but not with "//". Anything else ("@host/", "//host/",
 * absolute-form "http://host/", authority-form "host:port", "*") is refused, so that no request
 * can choose the host its signed copy goes to.
 */
bool cbk__upstream_origin_form(const char *target);

/*
 * A libcurl easy handle (libcurl is loaded and initialised once, thread-safely). Returns NULL
 * only if libcurl cannot be loaded or cannot make one. Free with cbk__upstream_handle_free().
 * One handle belongs to one thread at a time; reusing it keeps the connection to the service
 * open.
 */
CURL *cbk__upstream_handle(void);
/* Free a handle of cbk__upstream_handle() (closing its connections). Accepts NULL. */
void cbk__upstream_handle_free(CURL *h);

/*
 * Send 'req' on handle 'h' (reset first) to the URL made with libcurl's URL API from u->base's
 * scheme, host and port, req->path (percent-encoded where a path needs it) and req->query (its
 * '&'-separated parameters, percent-encoded) — never by joining strings, so the request cannot
 * change where it goes. A path that is not origin-form (cbk__upstream_origin_form()) or a base
 * that libcurl cannot parse is CBK_UPSTREAM_FAILED, with nothing sent. The request
 * headers are passed on except the hop-by-hop ones and those re-computed or re-signed (Host,
 * Authorization, X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, Content-Length, ...);
 * with credentials the request is signed for u->base's host, with the session token as
 * X-Amz-Security-Token. On CBK_UPSTREAM_ANSWERED, ans->status, ans->headers (hop-by-hop ones
 * left out, at most CBK_ANSWER_MAX_HEADERS - 2) and ans->body (arena 'a', exact bytes, never
 * decompressed) are set and the other fields of 'ans' are untouched. Otherwise 'ans' is
 * untouched and 'why' gets libcurl's reason. '*elapsed_us' (if not NULL) gets the time spent
 * in either case. Never fails in any other way (out of memory aborts).
 */
enum cbk_upstream_status cbk__upstream_send(CURL *h, const struct cbk_upstream *u,
                                            const struct cbk_http_req *req,
                                            struct cbk_http_answer *ans, struct cbk_arena *a,
                                            char *why, size_t why_len, int64_t *elapsed_us);

#endif
