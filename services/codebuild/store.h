/*
 * store.h - one account's CodeBuild world as the mock models it: its projects (with webhooks),
 * source credentials, builds and build batches, idempotency tokens, and the JSON AWS would send
 * for them. A build's state is computed from its plan and the mock clock when it is read
 * (lifecycle.h): nothing runs per build. The operations are answered by the file of their
 * resource family (world.h lists them). Thread-safe (one lock per world); bounded (the oldest
 * builds are forgotten past the cap, projects stop at AWS's quota).
 */
#ifndef CBK_CB_STORE_H
#define CBK_CB_STORE_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/rand.h"
#include "cbkit/mock.h"

struct json_object;
struct cbk_svc_log_sink;
struct cbk_cb;
struct cb_outcome_set;

/* Idempotency tokens are valid for five minutes (seed 000/003). */
#define CBK_CB_IDEMPOTENCY_MS (5 * 60 * 1000)
/* The error sent when a token is reused with different parameters (docs/mock.md). */
#define CBK_CB_MISMATCH_ERROR "IdempotentParameterMismatchException"

/* A new, empty world of 'account'. 'build_ms' is how long a build lasts when no scenario says
 * otherwise (0: realistic, a few minutes). */
struct cbk_cb *cbk_cb_new(const char *region, const char *account, size_t cap, int64_t build_ms);
void cbk_cb_free(struct cbk_cb *cb);
/* Forget every build, batch, project and token. */
void cbk_cb_reset(struct cbk_cb *cb);

/* Inputs of one call. */
struct cbk_cb_call {
    struct cbk_rng *rng;     /* per-request generator (deterministic under --seed) */
    int64_t now_ms;          /* the mock clock */
    struct json_object *req; /* the (valid) request body parsed, or NULL: parsed when needed */
    struct cbk_buf *out;     /* success body goes here */
    const char *body;        /* the (valid) request body as text */
    size_t body_len;
    enum cbk_world world;                  /* strict: unknown builds and projects are not found */
    const struct cb_outcome_set *outcomes; /* how new builds end (scenarios); NULL: none */
};

/* Outcome of one call: status 200 and a body in call->out, or an error. */
struct cbk_cb_result {
    int status;
    const char *error_type; /* NULL on success */
    char message[512];
    const char *answered_by; /* "state" (a known build), "generated" (open world) */
};

/* Is 'op' one of the operations this model answers? (docs/mock.md lists them) */
bool cbk_cb_handles(const char *op);
/* Does 'op' start builds (the caller then hands in the outcome rules, held still)? */
bool cbk_cb_starts_builds(const char *op);
/* Answer a valid request of 'op'. */
void cbk_cb_call(struct cbk_cb *cb, const char *op, const struct cbk_cb_call *call,
                 struct cbk_cb_result *res);

/* ---- seeding and inspection (scenarios, admin API) ---------------------------------------- */

/* A build to put into the world, as a scenario describes it. */
struct cbk_cb_seed_build {
    const char *id;             /* "project:uuid"; generated when NULL */
    const char *project;        /* from the id when NULL */
    const char *status;         /* StatusType; default IN_PROGRESS */
    const char *phase;          /* BuildPhaseType; default from the status */
    int64_t start_ms;           /* default: now */
    int64_t number;             /* 0: next for the project */
    const char *source_version; /* optional */
    const char *initiator;      /* optional */
};
/* Add (or replace) a build. Returns -1 and sets *err (static) for invalid fields. */
int cbk_cb_seed_build(struct cbk_cb *cb, const struct cbk_cb_seed_build *sb, struct cbk_rng *rng,
                      int64_t now_ms, const char **err);
/* Make 'project' known with the default members, created at 'now_ms' (scenarios). */
void cbk_cb_seed_project(struct cbk_cb *cb, const char *project, int64_t now_ms);
/*
 * Set how the running build 'id' ends (the admin API): 'status' (SUCCEEDED, FAILED, FAULT or
 * TIMED_OUT, lifecycle.h) in 'phase' (-1: the usual one) with the context code and message
 * (NULL: CodeBuild's usual ones), and the lines its BUILD phase prints ('output', '\n'-separated
 * as cb_output_add() makes them; NULL: unchanged). The phase the build is in ends now; its past
 * is unchanged. Returns 200 with {"build":{...}} in 'out', 404 for an unknown build, 409 for a
 * build that is complete, stopped or already finalizing, or one given output once its BUILD
 * phase has begun (a message in 'out' as {"error":...}).
 */
int cbk_cb_set_outcome(struct cbk_cb *cb, const char *id, int status, int phase, const char *code,
                       const char *message, const char *output, size_t output_len, int64_t now_ms,
                       struct cbk_buf *out);
/*
 * The CloudWatch Logs events of the builds that write to log group 'group' at 'now_ms' (of
 * stream 'stream' only, unless NULL; each stream in time order, the oldest build first) to
 * 'sink' (cbkit/service.h). Returns whether a build writes that group (stream); a build's
 * stream exists from its start. Takes the world's lock.
 */
bool cbk_cb_logs_read(struct cbk_cb *cb, const char *group, const char *stream, int64_t now_ms,
                      const struct cbk_svc_log_sink *sink);
/* Append {"builds":[...],"buildBatches":[...],"projects":[...],"sourceCredentials":[...]}. */
void cbk_cb_dump(struct cbk_cb *cb, int64_t now_ms, struct cbk_buf *out);
size_t cbk_cb_build_count(struct cbk_cb *cb);

#endif
