/*
 * cbkit/mock.h - an AWS JSON 1.1 endpoint for a spec: validates every request, answers from
 * scenarios, cassettes or responses generated from the spec, injects faults, journals
 * everything and serves an admin API under /__cbkit/.
 *
 * Two layers: cbk_mock_handle() is the whole request logic as a pure function of a request
 * (no sockets; used by tests and by the network layer), and cbk_mock_start() serves it over
 * HTTP with libmicrohttpd. One mock may serve many threads: its spec is read-only and its
 * mutable state (journal, builds, scenario state, clock) is locked internally.
 */
#ifndef CBKIT_MOCK_H
#define CBKIT_MOCK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

#include "cbkit/error.h"
#include "cbkit/http.h"
#include "cbkit/service.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cbk_scenario_set;
struct cbk_cassette;

enum cbk_world {
    CBK_WORLD_OPEN,   /* unknown build ids are accepted as if they existed (default) */
    CBK_WORLD_STRICT, /* unknown build ids get ResourceNotFoundException */
};

struct cbk_mock_config {
    const struct cbk_spec *spec; /* borrowed; must outlive the mock */
    const char *host;            /* address to bind (default "127.0.0.1") */
    unsigned port;               /* 0 picks a free port (default 4566 in the CLI) */
    const char *region;          /* default "us-east-1" */
    const char *account;         /* default "123456789012" */
    bool has_seed;               /* deterministic ids and numbers from 'seed' */
    uint64_t seed;
    size_t max_body;           /* request body limit in bytes (default 1 MiB) */
    unsigned client_timeout;   /* seconds before an idle/slow client is dropped (default 30) */
    unsigned threads;          /* worker threads (default: number of CPUs, at most 8) */
    unsigned connection_limit; /* concurrent connections (default 4096) */
    size_t journal_cap;        /* journal entries kept (default 10000); counts are never lost */
    size_t journal_body_max;   /* request body bytes kept per entry (default 4096) */
    const char *admin_token;   /* when set, the admin API needs X-Cbkit-Admin-Token */
    bool admin_remote;         /* allow the admin API from non-loopback peers and any Host (needs
                                * admin_token: cbk_mock_new() refuses it without) */
    bool virtual_clock;        /* the clock starts at clock_start_ms and moves only when told */
    int64_t clock_start_ms;    /* epoch milliseconds (virtual clock) */
    enum cbk_world world;
    size_t state_cap;              /* builds/batches remembered (default 10000) */
    bool sigv4;                    /* check request signatures (docs/mock.md, "Signatures") */
    const char *const *sigv4_keys; /* accepted credentials "AKID:SECRET" or "AKID:SECRET:TOKEN" */
    size_t nsigv4_keys;
    /* more specs served beside 'spec' (borrowed), routed by their X-Amz-Target prefix */
    const struct cbk_spec *const *more_specs;
    size_t nmore_specs;
    /* the behaviours the mock may use (cbkit/service.h; cbk_services_builtin() has cbkit's):
     * each answers the served specs whose target prefix it claims; none: every answer is
     * generated from the spec */
    const struct cbk_service *const *services;
    size_t nservices;
    int64_t build_duration_ms; /* CodeBuild: a default build's length (0: 3 s, or realistic
                                  under a virtual clock; -1: realistic) */
};
#define CBK_MOCK_CONFIG_INIT                                                                       \
    {                                                                                              \
        NULL, NULL, 0, NULL, NULL, false, 0, 0, 0, 0, 0, 0, 0, NULL, false, false, 0,              \
            CBK_WORLD_OPEN, 0, false, NULL, 0, NULL, 0, NULL, 0, 0                                 \
    }

struct cbk_mock;

/*
 * Create a mock for 'cfg' (copied; the spec is borrowed). On success returns CBK_OK and sets
 * *out (free with cbk_mock_free()). On failure *out is NULL and the reason is appended to
 * 'diags'.
 */
enum cbk_code cbk_mock_new(const struct cbk_mock_config *cfg, struct cbk_mock **out,
                           struct cbk_diags *diags);
/* Stop serving if started, then free everything. Accepts NULL. */
void cbk_mock_free(struct cbk_mock *m);

/*
 * Start serving HTTP on cfg->host:cfg->port. On success sets *port to the bound port and
 * returns CBK_OK; on failure returns CBK_E_HTTP (or CBK_E_USAGE for a bad host) with the
 * reason in 'diags'. Serving happens on internal threads until cbk_mock_stop().
 */
enum cbk_code cbk_mock_start(struct cbk_mock *m, unsigned *port, struct cbk_diags *diags);
/* Stop serving: pending delayed answers are released, connections closed. Idempotent. */
void cbk_mock_stop(struct cbk_mock *m);

/* ---- the request logic, without sockets ------------------------------------------------- */

struct cbk_arena;

/*
 * Decide the answer to 'req': validation, routing, scenario rules, cassette, generated
 * response, journal entry. Thread-safe. Everything 'ans' points to is allocated in 'arena'.
 */
void cbk_mock_handle(struct cbk_mock *m, const struct cbk_http_req *req,
                     struct cbk_http_answer *ans, struct cbk_arena *arena);
/* Tell the journal what was finally sent for entry 'id' (status 0: nothing was sent). */
void cbk_mock_complete(struct cbk_mock *m, uint64_t id, int status_sent, int64_t latency_us);

/* ---- replaying and recording ------------------------------------------------------------- */

struct cbk_cassette;

/*
 * Answer recorded requests from cassette 'c' (the mock owns it from now on): after the
 * scenarios, before the mock's own answers. A request the cassette lacks gets
 * 404 UnmatchedRequestException with the closest recorded request in the message and the
 * journal, unless cbk_mock_record_missing() was called. With 'replay_latency' the recorded
 * latency is reproduced.
 */
void cbk_mock_set_cassette_take(struct cbk_mock *m, struct cbk_cassette *c, bool replay_latency);

/*
 * Forward the requests the cassette lacks to 'upstream' (re-signed with the credentials)
 * and append what it answers to the cassette file 'path' (and to the loaded cassette).
 * Returns CBK_OK, or an error with the reason in 'diags'.
 */
enum cbk_code cbk_mock_record_missing(struct cbk_mock *m, const char *upstream, const char *path,
                                      const char *region, const char *access_key,
                                      const char *secret_key, const char *session_token,
                                      struct cbk_diags *diags);

/* ---- journal, reports --------------------------------------------------------------------- */

struct cbk_mock_stats {
    uint64_t requests;   /* API requests (admin requests excluded) */
    uint64_t valid;      /* requests that passed validation */
    uint64_t invalid;    /* requests with contract violations (InvalidInputException) */
    uint64_t rejected;   /* protocol errors: malformed JSON, unknown target, wrong method... */
    uint64_t violations; /* contract violations, summed over requests */
    uint64_t faults;     /* answers with an injected fault or scenario error */
    uint64_t dropped;    /* journal entries evicted by the cap (their counts remain) */
};
void cbk_mock_stats(struct cbk_mock *m, struct cbk_mock_stats *out);

/* Write the journal as a JSON report / JUnit XML (one test case per request). */
enum cbk_code cbk_mock_write_report(struct cbk_mock *m, FILE *f);
enum cbk_code cbk_mock_write_junit(struct cbk_mock *m, FILE *f);

#ifdef __cplusplus
}
#endif
#endif
