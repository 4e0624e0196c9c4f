/*
 * store.h - one account's CodeBuild world as the mock models it: the builds and build batches it
 * has answered for, their lifecycle (phases consistent with the status), idempotency tokens, and
 * the JSON AWS would send for them. Used for RetryBuild, StopBuild and StartBuildBatch when the
 * spec is CodeBuild's (targetPrefix CodeBuild_20161006). Thread-safe; bounded (oldest
 * builds are forgotten past the cap).
 */
#ifndef CBK_CB_STORE_H
#define CBK_CB_STORE_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/rand.h"
#include "cbkit/mock.h"

struct json_object;
struct cbk_cb;

/* Idempotency tokens are valid for five minutes (seed 000/003). */
#define CBK_CB_IDEMPOTENCY_MS (5 * 60 * 1000)
/* The error sent when a token is reused with different parameters (docs/mock.md). */
#define CBK_CB_MISMATCH_ERROR "IdempotentParameterMismatchException"

struct cbk_cb *cbk_cb_new(const char *region, const char *account, size_t cap);
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
    enum cbk_world world; /* strict: unknown builds and projects are not found */
};

/* Outcome of one call: status 200 and a body in call->out, or an error. */
struct cbk_cb_result {
    int status;
    const char *error_type; /* NULL on success */
    char message[512];
    const char *answered_by; /* "state" (a known build), "generated" (open world) */
};

/*
 * Is 'op' one of the operations this model answers? (RetryBuild, StopBuild, StartBuildBatch)
 */
bool cbk_cb_handles(const char *op);
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
/* Make 'project' known (strict world: StartBuildBatch needs known projects). */
void cbk_cb_seed_project(struct cbk_cb *cb, const char *project);
/* Append {"builds":[...],"buildBatches":[...],"projects":[...]} (full objects). */
void cbk_cb_dump(struct cbk_cb *cb, int64_t now_ms, struct cbk_buf *out);
size_t cbk_cb_build_count(struct cbk_cb *cb);

#endif
