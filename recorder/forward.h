/*
 * forward.h - send a request on to the upstream with libcurl, re-signed with SigV4 for the
 * upstream's host (the client signed for the proxy's), and record the exchange: validated in
 * both directions, secrets redacted, appended to the cassette and made durable before the
 * answer goes back. Shared by `cbkit record` and `cbkit mock --record-missing`.
 */
#ifndef CBK_FORWARD_H
#define CBK_FORWARD_H

#include "core/setup.h"
#include "core/arena.h"
#include "cbkit/cassette.h"
#include "cbkit/http.h"
#include "cbkit/spec.h"
#include "recorder/redact.h"

#include <pthread.h>

struct cbk_forwarder_config {
    const struct cbk_spec *spec;
    const char *upstream; /* "https://codebuild.us-east-1.amazonaws.com" or "http://127.0.0.1:N" */
    const char *region;
    const char *access_key, *secret_key, *session_token; /* signing credentials */
    unsigned connect_timeout_ms, timeout_ms;
    size_t max_response; /* bytes */
};

/* One violation seen in live traffic (the drift report). */
struct cbk_drift {
    size_t exchange;
    bool response;
    char *operation, *path, *rule, *message;
    bool warning;
};

struct cbk_forwarder {
    struct cbk_forwarder_config cfg;    /* strings owned */
    struct cbk_cassette_writer *writer; /* may be NULL: forward without recording */
    struct cbk_redactor *redactor;
    pthread_key_t curl_key; /* a libcurl handle per thread: connections to the upstream are kept */
    pthread_mutex_t mu;
    struct cbk_drift *drift;
    size_t ndrift, drift_alloc;
    uint64_t exchanges, upstream_failures, request_violations, response_violations;
    /* last upstream failure, for logs */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
};

/* Set up (takes ownership of 'writer' and 'redactor'); libcurl is initialised once. */
void cbk_forwarder_init(struct cbk_forwarder *f, const struct cbk_forwarder_config *cfg,
                        struct cbk_cassette_writer *writer, struct cbk_redactor *redactor);
void cbk_forwarder_release(struct cbk_forwarder *f);

/*
 * Forward 'req' (operation 'op', NULL when unknown) and fill 'ans' with the upstream's answer
 * (status, headers and body unchanged) — or, when the upstream cannot be reached, a 502/504
 * AWS-style error naming the reason (and the log callback is told). The exchange is recorded
 * when a writer is set and the upstream answered. Everything lives in 'a'.
 */
void cbk_forward(struct cbk_forwarder *f, const struct cbk_operation *op,
                 const struct cbk_http_req *req, struct cbk_http_answer *ans, struct cbk_arena *a);
/* The same; when the exchange was recorded, *recorded (if not NULL) gets it (arena). */
void cbk_forward_record(struct cbk_forwarder *f, const struct cbk_operation *op,
                        const struct cbk_http_req *req, struct cbk_http_answer *ans,
                        struct cbk_arena *a, struct cbk_exchange **recorded);

#endif
