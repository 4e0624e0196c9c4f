/*
 * cbkit/service.h - what a service's behaviour gives the mock engine.
 *
 * The mock (mock/) is service-neutral: it routes, validates, runs scenarios, replays cassettes,
 * journals and generates answers from the spec. What a service *does* - CodeBuild's projects,
 * builds that walk their phases, batches, build logs - is a behaviour: a table of functions
 * (struct cbk_service) that the mock calls through this header only. Behaviours live in
 * services/<name>/ and reach the mock only through here; the mock never includes them. The
 * command (or any embedder) chooses the behaviours a mock has (cbk_services_builtin(), in
 * cbkit/services.h) and hands them to cbk_mock_new().
 *
 * A behaviour answers the operations of one or more target prefixes (CodeBuild's answers
 * CodeBuild_20161006 and, for build logs, Logs_20140328) when the mock serves a spec with that
 * prefix. It keeps state per account; the mock tells it the account of every request. It may
 * own scenario keys (CodeBuild: projects, builds, outcomes): the scenario loader hands
 * it those parts of a scenario file to check and keep, and the mock tells it when a scenario
 * with them is loaded, reset or unloaded. It may serve admin routes under /__cbkit/.
 *
 * Threads: every function may be called from any worker thread at once; a behaviour locks its
 * own state.
 */
#ifndef CBKIT_SERVICE_H
#define CBKIT_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cbkit/error.h"
#include "cbkit/http.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cbk_svc; /* a behaviour's instance (its state), opaque to the mock */
struct cbk_buf;
struct cbk_arena;
struct cbk_rng;
struct cbk_ynode;  /* a YAML node with its position (core/yaml.h) */
struct cbk_ycheck; /* where located YAML errors go (core/yaml.h) */
struct json_object;

/* What a mock tells a behaviour when it makes its instance. */
struct cbk_svc_env {
    const char *region;        /* "us-east-1" */
    const char *account;       /* the default account, for requests without a 12-digit key */
    int world;                 /* enum cbk_world of the command line (cbkit/mock.h) */
    size_t state_cap;          /* how many builds (and the like) to keep per account */
    uint64_t seed;             /* the mock's seed: a behaviour's random choices derive from it */
    bool virtual_clock;        /* the clock moves only when told (admin API) */
    int64_t build_duration_ms; /* CodeBuild: how long a default build lasts (0: realistic) */
    const struct cbk_spec *const *specs; /* every spec the mock serves */
    size_t nspecs;
};

/*
 * Log events a behaviour writes (CodeBuild writes each build's log to CloudWatch Logs), handed to
 * whoever reads them (the CloudWatch Logs behaviour), one event per call, each stream's events
 * in time order. 'stream' and 'msg' are borrowed for the call only. Return false to stop.
 */
struct cbk_svc_log_sink {
    bool (*event)(void *arg, const char *stream, int64_t timestamp_ms, int64_t ingestion_ms,
                  const char *msg, size_t len);
    void *arg;
};

/* Reading the log streams every behaviour of the mock writes (given to every call). */
struct cbk_svc_logs {
    /*
     * The events of log group 'group' of 'account' as of 'now_ms': of stream 'stream' only, or
     * of every stream of the group when 'stream' is NULL; to 'sink'. Returns false when no
     * behaviour writes that group (or that stream of it). Never fails otherwise.
     */
    bool (*read)(const struct cbk_svc_logs *l, const char *account, const char *group,
                 const char *stream, int64_t now_ms, const struct cbk_svc_log_sink *sink);
    const void *owner; /* the mock */
};

/* One API call the mock hands to a behaviour: a request that passed validation. */
struct cbk_svc_call {
    const struct cbk_spec *spec;    /* the spec of the request's service */
    const struct cbk_operation *op; /* the operation */
    const char *account;            /* the account of the request (12 digits) */
    int world;                      /* enum cbk_world in effect (command line or scenario) */
    int64_t now_ms;                 /* the mock clock when the request arrived */
    struct cbk_rng *rng;            /* this request's generator (deterministic under --seed) */
    const char *body;               /* the body (valid JSON; "{}" when empty) */
    size_t body_len;
    struct json_object *doc;         /* the body parsed, or NULL: cbk_svc_call_doc() parses it */
    struct cbk_buf *out;             /* the success body goes here */
    struct cbk_arena *arena;         /* memory that lives until the answer is sent */
    const struct cbk_svc_logs *logs; /* the log streams the mock's behaviours write */
};

/* What a behaviour answered. */
struct cbk_svc_result {
    int status;              /* 200 with a body in call->out, or the error's status */
    const char *error_type;  /* NULL on success; else static or in the call's arena */
    char message[512];       /* the error message */
    const char *answered_by; /* for the journal ("state", ...; static or in the arena) */
};

/* The parsed body of 'call' (parsed once, kept in call->doc; the mock puts it). NULL only when
 * the body is not JSON, which a validated request never is. */
struct json_object *cbk_svc_call_doc(struct cbk_svc_call *call);

/* An admin request under /__cbkit/ that a behaviour may answer. */
struct cbk_svc_admin {
    const char *route;              /* the path after "/__cbkit/" ("builds/ID/outcome") */
    const struct cbk_http_req *req; /* method, body, query */
    const char *account;            /* ?account= or the default */
    int64_t now_ms;
    struct cbk_buf *out; /* the JSON answer */
    int status;          /* set with the answer */
};

struct cbk_service {
    const char *name;                 /* "codebuild": in the journal and the admin API */
    const char *const *targets;       /* target prefixes answered (NULL-terminated) */
    const char *const *scenario_keys; /* top-level scenario keys owned (NULL-terminated) */

    /* Make an instance. NULL with the reason in 'diags' on failure. */
    struct cbk_svc *(*create)(const struct cbk_svc_env *env, struct cbk_diags *diags);
    void (*destroy)(struct cbk_svc *s);

    /*
     * Answer 'call' (an operation of 'target'). Returns false when the behaviour has nothing to
     * say about this operation: the mock then generates an answer from the spec.
     */
    bool (*call)(struct cbk_svc *s, const char *target, struct cbk_svc_call *call,
                 struct cbk_svc_result *res);

    /* Append this instance's state as one JSON object (account NULL: every account). NULL for
     * a behaviour without state of its own (left out of /__cbkit/state). */
    void (*dump)(struct cbk_svc *s, const char *account, int64_t now_ms, struct cbk_buf *out);
    /* Forget the state of 'account' (NULL: of every account); what loaded scenarios seed
     * exists again, as of 'now_ms'. May be NULL. */
    void (*reset)(struct cbk_svc *s, const char *account, int64_t now_ms);
    /* Answer an admin route; false when it is not one of this behaviour's. May be NULL. */
    bool (*admin)(struct cbk_svc *s, struct cbk_svc_admin *a);
    /*
     * The CloudWatch Logs streams this instance writes: as struct cbk_svc_logs' read(), for
     * this behaviour's streams only (false: it writes no such group or stream). May be NULL.
     */
    bool (*logs_read)(struct cbk_svc *s, const char *account, const char *group, const char *stream,
                      int64_t now_ms, const struct cbk_svc_log_sink *sink);

    /*
     * Scenario keys. scenario_parse() checks the key's node and keeps what it means (an
     * opaque value freed with scenario_free()); problems go to 'ck' with their position and
     * make it return NULL. 'specs' are those the scenario is loaded against.
     */
    void *(*scenario_parse)(const char *key, const struct cbk_ynode *node,
                            const struct cbk_ycheck *ck, const struct cbk_spec *const *specs,
                            size_t nspecs);
    void (*scenario_free)(const char *key, void *value);
    /*
     * A scenario holding parsed keys was loaded (in load order, 'id' unique per load), reset
     * (attach again after detach) or unloaded. 'values' are the scenario's values for each of
     * scenario_keys (NULL where it has none). Attach may fail with the reason in 'diags'.
     */
    enum cbk_code (*scenario_attach)(struct cbk_svc *s, uint64_t id, void *const *values,
                                     int64_t now_ms, uint64_t seed, struct cbk_diags *diags);
    void (*scenario_detach)(struct cbk_svc *s, uint64_t id);
};

#ifdef __cplusplus
}
#endif
#endif
