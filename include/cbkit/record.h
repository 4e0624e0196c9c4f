/*
 * cbkit/record.h - the recorder: a reverse proxy on loopback that forwards each request to
 * the real service (re-signed with SigV4), returns the answer unchanged, validates both
 * directions, and appends every exchange to a cassette with secrets redacted.
 */
#ifndef CBKIT_RECORD_H
#define CBKIT_RECORD_H

#include <stddef.h>
#include <stdio.h>

#include "cbkit/cassette.h"
#include "cbkit/error.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cbk_recorder_config {
    const struct cbk_spec *spec;                         /* borrowed */
    const char *host;                                    /* default 127.0.0.1; see allow_remote */
    unsigned port;                                       /* 0: a free port */
    const char *upstream;                                /* base URL of the real service */
    const char *region;                                  /* signing region */
    const char *access_key, *secret_key, *session_token; /* signing credentials */
    const char *cassette;
    enum cbk_cassette_mode mode;
    unsigned connect_timeout_ms, timeout_ms; /* upstream (default 5 s, 60 s) */
    size_t max_body;                         /* client request bodies (default 1 MiB) */
    unsigned client_timeout;                 /* seconds (default 30) */
    const char *const *redact_headers;       /* extra header names to redact */
    size_t nredact_headers;
    const char *const *redact_pointers; /* JSON pointers ('*' = any token) to redact */
    size_t nredact_pointers;
    const char *const *redact_patterns; /* PCRE2 patterns on values to redact */
    size_t nredact_patterns;
    /* upstream failures, refused request-targets, values redacted because a pattern could not
     * be evaluated, bodies cut where they stop being JSON; may be NULL. 'msg' is one line and
     * may hold text a client sent (a path): escape it before printing it. */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
    /* Listen on a 'host' that is not loopback (cbk_recorder_host_is_loopback()): whoever can
     * reach it gets requests signed with the operator's credentials. Refused unless true. */
    bool allow_remote;
};

struct cbk_recorder;

/*
 * Whether every address 'host' resolves to is a loopback address (127.0.0.0/8, ::1); NULL is
 * the default 127.0.0.1: true. "0.0.0.0", "::", other addresses and names that do not resolve:
 * false.
 */
bool cbk_recorder_host_is_loopback(const char *host);

/*
 * Open the cassette (per 'mode') and compile the redaction rules. CBK_E_USAGE, with the reason
 * in 'diags', for an upstream that is not scheme://host[:port] (no user, path, query) and for
 * a host that is not loopback unless cfg->allow_remote.
 */
enum cbk_code cbk_recorder_new(const struct cbk_recorder_config *cfg, struct cbk_recorder **out,
                               struct cbk_diags *diags);
/* Serve on loopback; *port gets the bound port. */
enum cbk_code cbk_recorder_start(struct cbk_recorder *r, unsigned *port, struct cbk_diags *diags);
void cbk_recorder_stop(struct cbk_recorder *r);
void cbk_recorder_free(struct cbk_recorder *r);

struct cbk_recorder_stats {
    uint64_t exchanges;           /* recorded */
    uint64_t upstream_failures;   /* requests the upstream did not answer */
    uint64_t request_violations;  /* requests that broke the contract */
    uint64_t response_violations; /* answers that broke it (drift) */
    size_t findings;              /* findings in the drift report */
};
void cbk_recorder_stats(struct cbk_recorder *r, struct cbk_recorder_stats *out);
/* The drift report: every finding of live traffic, as text lines or a JSON document. */
enum cbk_code cbk_recorder_write_drift_text(struct cbk_recorder *r, FILE *f);
enum cbk_code cbk_recorder_write_drift_json(struct cbk_recorder *r, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
