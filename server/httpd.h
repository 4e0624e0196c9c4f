/*
 * httpd.h - cbkit's HTTP server: libmicrohttpd in front of a request handler that turns a
 * struct cbk_http_req into a struct cbk_http_answer (cbkit/http.h). Used by the mock and the
 * recorder. Delayed answers and dribbled bodies park the connection and a timer resumes it;
 * transport faults (reset, close, truncated body) are made at the socket.
 */
#ifndef CBK_HTTPD_H
#define CBK_HTTPD_H

#include "core/setup.h"
#include "core/arena.h"
#include "cbkit/error.h"
#include "cbkit/http.h"

struct cbk_httpd;

struct cbk_httpd_config {
    const char *host;           /* address to bind ("127.0.0.1") */
    unsigned port;              /* 0: a free port */
    unsigned threads;           /* worker threads (0: CPUs, at most 8) */
    bool thread_per_connection; /* handlers may block (the recorder) instead of a thread pool */
    size_t max_body;            /* request bodies larger than this are not kept */
    unsigned client_timeout;    /* seconds */
    unsigned connection_limit;
    /* Decide the answer; everything it points to lives in 'a' (freed after completion). */
    void (*handle)(void *ctx, const struct cbk_http_req *req, struct cbk_http_answer *ans,
                   struct cbk_arena *a);
    /*
     * Told when a request is finished: status_sent is 0 when nothing was sent (reset, close,
     * stall), negative when an answer was started but not completed. May be NULL.
     */
    void (*complete)(void *ctx, const struct cbk_http_answer *ans, int status_sent,
                     int64_t latency_us);
    void *ctx;
};

/*
 * Start serving. On success returns CBK_OK, sets *out (stop with cbk_httpd_stop()) and *port
 * (the bound port). On failure *out is NULL and the reason is in 'diags' (CBK_E_USAGE for a
 * bad host, CBK_E_HTTP otherwise).
 */
enum cbk_code cbk_httpd_start(const struct cbk_httpd_config *cfg, struct cbk_httpd **out,
                              unsigned *port, struct cbk_diags *diags);
/*
 * Whether every address 'host' resolves to (as cbk_httpd_start() resolves the address it binds)
 * is a loopback address: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. False when 'host' does not
 * resolve. ("0.0.0.0" and "::" mean every interface: not loopback.)
 */
bool cbk_httpd_host_is_loopback(const char *host);
/* Release parked answers, stop serving, close connections, free. Accepts NULL. */
void cbk_httpd_stop(struct cbk_httpd *h);

#endif
