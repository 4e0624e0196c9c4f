/*
 * world.h - what the files of one account's CodeBuild world share (services/codebuild/ only):
 * the world itself (struct cbk_cb: builds, batches, projects, source credentials, idempotency
 * tokens, under one lock), its items and projects, and the helpers every resource family uses
 * (request members, errors, ids, configurations, idempotency). store.c owns the world and
 * dispatches each operation to the file of its resource family:
 *
 *   projects.c            CreateProject ... InvalidateProjectCache, webhooks
 *   builds.c              StartBuild, BatchGetBuilds, ListBuilds*, BatchDeleteBuilds, StopBuild,
 *                         RetryBuild; how a build renders from its lifecycle (lifecycle.c)
 *   batches.c             StartBuildBatch, BatchGetBuildBatches, StopBuildBatch,
 *                         RetryBuildBatch, DeleteBuildBatch, ListBuildBatches*
 *   source_credentials.c  Import/List/DeleteSourceCredentials
 *   logs.c                each build's CloudWatch Logs stream: its names (the `logs` member of
 *                         a build), the project's log settings, reading the streams of a group
 *
 * Every function here is called with cb->mu held unless it says otherwise; none fails except
 * by aborting on memory exhaustion (cbk_xmalloc).
 */
#ifndef CBK_CB_WORLD_H
#define CBK_CB_WORLD_H

#include "core/setup.h"
#include "core/buf.h"
#include "core/hmap.h"
#include "core/jsonw.h"
#include "core/rand.h"
#include "services/codebuild/lifecycle.h"
#include "services/codebuild/outcomes.h"
#include "services/codebuild/store.h"

#include <json-c/json.h>
#include <pthread.h>

/* AWS's quota of build projects per account and region. */
#define CB_MAX_PROJECTS 5000
/* Source credentials: one per server type, at most this many kinds. */
#define CB_MAX_CREDENTIALS 16
/* Page size of ListBuilds, ListBuildsForProject and ListProjects (AWS: 100). */
#define CB_PAGE 100
/* Distinct context strings kept for outcomes (beyond: the default context). */
#define CB_MAX_STRINGS 4096

struct tmpl;

/*
 * A part of a build's or batch's configuration (JSON members without braces), shared by every
 * item with the same text: the world's intern map owns the text, items hold references. An
 * item has two parts: its environment (environment variables differ from build to build) and
 * the rest (usually the same for every build of a project), so that builds that differ only
 * in their variables share the larger part.
 */
struct config {
    size_t refs, len;
    const char *s;      /* the intern map's key */
    uint64_t serial;    /* unique in the world, for life */
    struct tmpl *fresh; /* environment parts: how a just-queued build renders (lazy) */
};

/* A build or a batch. */
struct item {
    uint32_t hash; /* of the id */
    bool batch;
    uint16_t plen; /* the project's name is id[0..plen) */
    char *id;      /* "project:uuid", in the same allocation as the item */
    uint64_t seq;  /* creation order in this world */
    int64_t number;
    int64_t start_ms;
    int64_t stop_ms; /* -1: never stopped */
    uint64_t seed;
    struct cb_plan *plan; /* builds: how it goes (lifecycle.h); NULL: the default plan of its
                             seed and timeouts (cb_item_plan()), which most builds have */
    int32_t timeout_min, queued_min; /* the timeouts it runs with (in its configuration too) */
    char *source_version, *initiator;
    char *batch_arn;       /* a build of a batch: the batch's ARN */
    struct config *config; /* shared: the configuration but the environment */
    struct config *env;    /* shared: "environment":{...} */
    struct config *logs;   /* shared: log settings other than the default (logs.c), or NULL */
    struct config *output; /* shared: lines the BUILD phase prints ('\n'-separated), or NULL */
    struct batch *binfo;   /* a batch: its build groups (batches.c) */
    struct item *older, *newer;
};

/* A project. 'json' is the Project's members (no braces) except name, arn, created,
 * lastModified and webhook; NULL for a project the open world made up (its members are the
 * default ones, rendered when needed). */
struct project {
    char *json;
    struct json_object *webhook; /* the Webhook, or NULL */
    int64_t created_ms, modified_ms;
    uint64_t seq;                /* creation order */
    int64_t builds, batches;     /* numbers handed out so far */
    struct config *build_config; /* builds without overrides (lazy; dropped on update) */
    struct config *build_env;
    struct config *build_logs;           /* their log settings (NULL: the default) */
    int32_t build_timeout, build_queued; /* their timeouts in minutes (with build_config) */
};

struct credential {
    char *server_type, *auth_type, *resource;
};

struct cbk_cb {
    pthread_mutex_t mu;
    char *region, *account;
    size_t cap;
    int64_t build_ms; /* a build's length (0: realistic) */
    uint64_t seq;
    /* id -> item: open addressing over item pointers (the ids live in the items) */
    struct item **slots;
    size_t mask, nitems;
    struct item *oldest, *newest;
    struct cbk_hmap tokens;      /* op NUL token -> struct token */
    struct cbk_hmap projects;    /* name -> struct project */
    struct cbk_hmap configs;     /* configuration text -> struct config */
    struct cbk_hmap strings;     /* interned strings (outcome contexts) */
    struct cbk_hmap credentials; /* server type -> struct credential */
};

/* ---- errors and answers (store.c) ------------------------------------------------------- */

/* Set a 400 error of 'type' with a formatted message. */
void cb_error(struct cbk_cb_result *res, const char *type, const char *fmt, ...) CBK_PRINTF(3, 4);
/* "Project cannot be found: arn:aws:codebuild:R:A:project/NAME" (400 ResourceNotFound). */
void cb_project_not_found(struct cbk_cb *cb, struct cbk_cb_result *res, const char *name);

/* ---- request members (store.c) ------------------------------------------------------------ */

struct json_object *cb_doc(struct cbk_cb_call *c); /* the request parsed (kept in c->req) */
struct json_object *cb_get(struct json_object *o, const char *key);
const char *cb_get_str(struct json_object *o, const char *key);
/* An integer member, or 'dflt' when absent. */
int64_t cb_get_int(struct json_object *o, const char *key, int64_t dflt);
/* A top-level string member of the request without building a document ('b' holds it). */
const char *cb_top_str(const struct cbk_cb_call *c, const char *key, struct cbk_buf *b);
/*
 * The strings of top-level array member 'key' of the request ("ids", "names"): v[0..n), each
 * NUL-terminated ("" for an element that is not a string). Read without a document when the
 * request has not been parsed (BatchGetBuilds' path), else from it. cb_strlist_free() frees
 * what the list holds; the strings live until then (or the request's document is put).
 */
struct cb_strlist {
    const char **v;
    size_t n;
    struct cbk_buf text;
};
void cb_strlist_get(struct cbk_cb_call *c, const char *key, struct cb_strlist *l);
void cb_strlist_free(struct cb_strlist *l);
/* Write 'v' as JSON without its null members (AWS never serializes null in a structure). */
void cb_copy_value(struct cbk_jsonw *w, struct json_object *v);
/* "key":<v> when v is not NULL. */
void cb_copy_member(struct cbk_jsonw *w, const char *key, struct json_object *v);
/* An empty array under 'key'. */
void cb_empty_array(struct cbk_jsonw *w, const char *key);

/* ---- ids and ARNs (store.c) ---------------------------------------------------------------- */

/* Join strings (a NULL-terminated argument list) into buf[cap >= 1], cut short when they do
 * not fit; cheaper than snprintf() on BatchGetBuilds' path. Returns buf. */
const char *cb_cat(char *buf, size_t cap, ...);
void cb_new_uuid(struct cbk_rng *rng, char out[37]);
/* The project of "project:uuid" or "arn:aws:codebuild:r:a:build/project:uuid"; *bare gets
 * the "project:uuid" part. False for anything else. */
bool cb_parse_build_id(const char *id, char *project, size_t psize, const char **bare);
void cb_role_arn(struct cbk_cb *cb, const char *project, char *out, size_t n);
void cb_kms_arn(struct cbk_cb *cb, char *out, size_t n);
void cb_project_arn(struct cbk_cb *cb, const char *project, char *out, size_t n);

/* ---- items (store.c) ------------------------------------------------------------------------- */

struct item *cb_item_find(const struct cbk_cb *cb, const char *id, size_t len);
/* A build (not a batch) by id or ARN, or NULL. */
struct item *cb_build_find(const struct cbk_cb *cb, const char *id_or_arn);
/* A new item of 'project' with a fresh id "project:uuid", not stored yet. */
struct item *cb_item_new(struct cbk_cb *cb, bool batch, const char *project, struct cbk_rng *rng,
                         int64_t now);
/* An item with the given id (seeded and made-up builds), not stored yet. */
struct item *cb_item_alloc(const char *id, size_t len);
/* Store 'it' as the newest (replacing an item with its id; the oldest go past the cap). */
void cb_item_store(struct cbk_cb *cb, struct item *it);
/* The plan of build 'it': its own, or the default one computed into 'tmp'. */
const struct cb_plan *cb_item_plan(const struct cbk_cb *cb, const struct item *it,
                                   struct cb_plan *tmp);
/* The plan of 'it' as its own, to change (the default one copied first). */
struct cb_plan *cb_item_own_plan(struct cbk_cb *cb, struct item *it);
/* Make 'it' the newest item (the last the cap forgets). */
void cb_item_touch(struct cbk_cb *cb, struct item *it);
/* Forget 'it' (BatchDeleteBuilds). */
void cb_item_remove(struct cbk_cb *cb, struct item *it);
void cb_item_free(struct item *it);

/* ---- configurations (store.c) -------------------------------------------------------------- */

/* The shared configuration with this text (a new reference). */
struct config *cb_config_intern(struct cbk_cb *cb, const char *s, size_t len);
struct config *cb_config_ref(struct config *c);
void cb_config_unref(struct cbk_cb *cb, struct config *c);
/* A string kept as long as the world (NULL when the table is full or s is NULL). */
const char *cb_intern(struct cbk_cb *cb, const char *s);

/* ---- idempotency (store.c) ---------------------------------------------------------------------
 */

/* The key (op NUL token) and the canonical request without its token. */
void cb_token_key(const char *op, const char *token, struct json_object *doc, struct cbk_buf *key,
                  struct cbk_buf *params);
/*
 * RetryBuild's rule: true when 'res' is decided (the parameter-mismatch error, or the item the
 * token made, rendered by 'render' into c->out); false when the request makes a new one.
 */
bool cb_idempotent_answer(struct cbk_cb *cb, struct cbk_cb_call *c, const char *token,
                          const struct cbk_buf *key, const struct cbk_buf *params,
                          struct cbk_cb_result *res,
                          void (*render)(struct cbk_cb *cb, const struct item *it, int64_t now,
                                         struct cbk_buf *out));
void cb_token_put(struct cbk_cb *cb, const struct cbk_buf *key, const struct cbk_buf *params,
                  const char *id, int64_t now);

/* ---- projects (projects.c) ----------------------------------------------------------------------
 */

struct project *cb_project_find(const struct cbk_cb *cb, const char *name);
/* The map's copy of a known project's name. */
const char *cb_project_name(const struct cbk_cb *cb, const char *name);
/* A project the open world makes up (the default members), or the known one; NULL past the
 * quota. */
struct project *cb_project_make(struct cbk_cb *cb, const char *name, int64_t now);
/*
 * The project a build or batch of 'name' runs in: the known one; in the open world a made-up
 * one; else NULL with 'res' set (ResourceNotFoundException, or the quota).
 */
struct project *cb_project_for_run(struct cbk_cb *cb, const struct cbk_cb_call *c, const char *name,
                                   struct cbk_cb_result *res);
/*
 * The `projectName` of a StartBuild or StartBuildBatch request 'rq' (borrowed from it); NULL
 * with 'res' set (InvalidInputException) when it is missing, empty or longer than 255 bytes.
 */
const char *cb_run_project_name(struct json_object *rq, struct cbk_cb_result *res);
/* The Project's members parsed (a new json-c reference: put it). */
struct json_object *cb_project_doc(struct cbk_cb *cb, const char *name, const struct project *p);
void cb_project_free(void *p);

/* Operations of projects.c. */
void cb_create_project(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_update_project(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_update_project_visibility(struct cbk_cb *cb, struct cbk_cb_call *c,
                                  struct cbk_cb_result *res);
void cb_delete_project(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_batch_get_projects(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_list_projects(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_invalidate_project_cache(struct cbk_cb *cb, struct cbk_cb_call *c,
                                 struct cbk_cb_result *res);
void cb_create_webhook(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_update_webhook(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_delete_webhook(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);

/* ---- builds (builds.c)
 * --------------------------------------------------------------------------- */

/*
 * Give 'it' the configuration of a build (batch false) or batch (true) of project 'name' with
 * the overrides of request 'rq' (NULL: none): the project's members, each override applied.
 * '*timeout' and '*queued' get the timeouts in minutes it runs with.
 */
void cb_run_config(struct cbk_cb *cb, const char *name, const struct project *p,
                   struct json_object *rq, bool batch, struct item *it, int64_t *timeout,
                   int64_t *queued);
/*
 * A new build (batch false) or batch (true) of project 'name' started by request 'rq': the
 * project found (or made up in the open world: cb_project_for_run()) into '*pp', the item made
 * with the request's configuration (cb_run_config()) and the project's next number. NULL with
 * 'res' set when there is no such project. The caller plans and stores the item.
 */
struct item *cb_run_new(struct cbk_cb *cb, struct cbk_cb_call *c, const char *name,
                        struct json_object *rq, bool batch, struct project **pp, int64_t *timeout,
                        int64_t *queued, struct cbk_cb_result *res);
/* Give 'it' the configuration of builds of 'p' without overrides (shared with them). */
void cb_project_build_config(struct cbk_cb *cb, const char *name, struct project *p,
                             struct item *it);
/* Write an item's configuration members (both parts) into an object being written. */
void cb_write_config(struct cbk_jsonw *w, const struct item *it);
/* Plan a new build: durations from its seed, the outcome a scenario chooses (a build of a batch
 * is matched by its 'identifier' too; NULL otherwise), the timeouts. */
void cb_build_plan(struct cbk_cb *cb, const struct cbk_cb_call *c, struct item *it,
                   const char *identifier, int64_t timeout, int64_t queued);
/* {"build":{...}} of a build at 'now'. */
void cb_render_build_output(struct cbk_cb *cb, const struct item *it, int64_t now,
                            struct cbk_buf *out);
void cb_render_build(struct cbk_cb *cb, const struct item *it, int64_t now, struct cbk_jsonw *w);
void cb_tmpl_free(struct tmpl *t);

void cb_start_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_batch_get_builds(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_list_builds(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_list_builds_for_project(struct cbk_cb *cb, struct cbk_cb_call *c,
                                struct cbk_cb_result *res);
void cb_batch_delete_builds(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_stop_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_retry_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);

/* Does build 'it' exist at 'now'? A build of a batch exists once it has started (its
 * dependencies end first); every other one from when it was made. */
static inline bool cb_visible(const struct item *it, int64_t now)
{
    return !it->batch_arn || it->start_ms <= now;
}

/* ---- batches (batches.c) ----------------------------------------------------------------------
 */

void cb_render_batch(struct cbk_cb *cb, const struct item *it, int64_t now, struct cbk_jsonw *w);
void cb_start_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_batch_get_build_batches(struct cbk_cb *cb, struct cbk_cb_call *c,
                                struct cbk_cb_result *res);
void cb_stop_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_retry_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_delete_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_list_build_batches(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
void cb_list_build_batches_for_project(struct cbk_cb *cb, struct cbk_cb_call *c,
                                       struct cbk_cb_result *res);
/* Free a batch's groups (with its item). */
void cb_batch_free(struct batch *b);
/* A build of a batch changed how it ends (StopBuild, the admin API) at 'now': the builds that
 * wait for it start when it ends, or never. */
void cb_batch_member_changed(struct cbk_cb *cb, const struct item *it, int64_t now);

/* ---- build logs (logs.c) ------------------------------------------------------------------ */

/* Where a build writes its log: CloudWatch Logs group and stream (none when not enabled). */
struct cb_log_names {
    bool enabled;      /* logsConfig.cloudWatchLogs.status is not DISABLED */
    char group[1024];  /* "/aws/codebuild/PROJECT" or the configured group */
    char stream[1024]; /* the id's uuid, after "PREFIX/" when a stream name is configured */
};

/*
 * The log settings of a build from a project's LogsConfig with the overrides applied ('lc', may
 * be NULL): NULL for the default (CloudWatch enabled in the project's group, no S3 logs), else a
 * new reference to the shared settings.
 */
struct config *cb_log_settings(struct cbk_cb *cb, struct json_object *lc);
/* Where build 'it' writes its log. */
void cb_log_names_of(const struct item *it, struct cb_log_names *out);
/* Write "logs":{...} of build 'it' (AWS's LogsLocation) into an object being written. */
void cb_write_build_logs(struct cbk_cb *cb, const struct item *it, struct cbk_jsonw *w);

/* ---- source credentials (source_credentials.c) ---------------------------------------------- */

void cb_credential_free(void *p);
void cb_import_source_credentials(struct cbk_cb *cb, struct cbk_cb_call *c,
                                  struct cbk_cb_result *res);
void cb_list_source_credentials(struct cbk_cb *cb, struct cbk_cb_call *c,
                                struct cbk_cb_result *res);
void cb_delete_source_credentials(struct cbk_cb *cb, struct cbk_cb_call *c,
                                  struct cbk_cb_result *res);

/* ---- list paging (store.c) ------------------------------------------------------------------- */

/* A page token naming the last item of a page by its sort key (two integers and a name). */
void cb_page_token(struct cbk_buf *out, int64_t a, int64_t b, const char *name);
/* Read a token back; false when it is not one of ours. 'name' gets at most nsize-1 bytes. */
bool cb_page_token_parse(const char *tok, int64_t *a, int64_t *b, char *name, size_t nsize);

#endif
