/*
 * store.c - one account's builds and build batches, and the JSON AWS sends
 * for them (see store.h).
 *
 * A build is kept as a few lifecycle fields (status, current phase, times) plus its
 * configuration as a pre-rendered JSON fragment ("source":{...},"environment":{...},...);
 * phases, logs and the rest are rendered from the lifecycle fields and a per-build seed, so
 * the same build always renders the same way and a stopped build's phases end where it
 * stopped.
 */
#include "core/setup.h"
#include "core/jsonptr.h"
#include "services/codebuild/store.h"
#include "core/alloc.h"
#include "core/hmap.h"
#include "core/jsoncanon.h"
#include "core/jsonq.h"
#include "core/strtab.h"
#include "core/jsonscan.h"
#include "core/jsonw.h"

#include <json-c/json.h>
#include <pthread.h>

enum { ST_SUCCEEDED, ST_FAILED, ST_FAULT, ST_TIMED_OUT, ST_IN_PROGRESS, ST_STOPPED };
static const char *const status_names[] = {"SUCCEEDED", "FAILED",      "FAULT",
                                           "TIMED_OUT", "IN_PROGRESS", "STOPPED"};

enum {
    PH_SUBMITTED,
    PH_QUEUED,
    PH_PROVISIONING,
    PH_DOWNLOAD_SOURCE,
    PH_INSTALL,
    PH_PRE_BUILD,
    PH_BUILD,
    PH_POST_BUILD,
    PH_UPLOAD_ARTIFACTS,
    PH_FINALIZING,
    PH_COMPLETED,
    PH_COUNT
};
static const char *const phase_names[] = {
    "SUBMITTED", "QUEUED",     "PROVISIONING",     "DOWNLOAD_SOURCE", "INSTALL",  "PRE_BUILD",
    "BUILD",     "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING",      "COMPLETED"};
/* typical phase durations in seconds: [min, max] */
static const int phase_secs[PH_COUNT][2] = {{0, 0},    {1, 4}, {15, 40}, {2, 9}, {8, 45}, {1, 6},
                                            {30, 240}, {1, 8}, {1, 4},   {1, 3}, {0, 0}};

enum {
    BP_SUBMITTED,
    BP_DOWNLOAD_BATCHSPEC,
    BP_IN_PROGRESS,
    BP_COMBINE_ARTIFACTS,
    BP_SUCCEEDED,
    BP_FAILED,
    BP_STOPPED
};
static const char *const batch_phase_names[] = {
    "SUBMITTED", "DOWNLOAD_BATCHSPEC", "IN_PROGRESS", "COMBINE_ARTIFACTS", "SUCCEEDED", "FAILED",
    "STOPPED"};

/* A configuration fragment, shared by the builds that have it (refs change under cb->mu). */
struct tmpl;

struct config {
    size_t refs, len;
    struct tmpl *fresh; /* how a just-queued build with this configuration renders (lazy) */
    char s[];
};

static struct config *config_new(const char *s, size_t len)
{
    struct config *c = cbk_xmalloc(sizeof(*c) + len + 1);
    c->refs = 1;
    c->len = len;
    c->fresh = NULL;
    memcpy(c->s, s, len);
    c->s[len] = '\0';
    return c;
}

static struct config *config_ref(struct config *c)
{
    if (c)
        c->refs++;
    return c;
}

static void tmpl_free(struct tmpl *t);

static void config_unref(void *p)
{
    struct config *c = p;
    if (c && --c->refs == 0) {
        tmpl_free(c->fresh);
        free(c);
    }
}

struct item {
    bool batch;
    uint32_t hash;       /* of the id, for the index */
    char *id;            /* in the same allocation as the item */
    const char *project; /* the projects map's key */
    char *source_version, *initiator;
    int64_t number;
    int status;    /* ST_* */
    int phase;     /* builds: PH_* current; batches: BP_* current */
    int end_phase; /* builds: the phase in which a completed build ended */
    int64_t start_ms, end_ms;
    uint64_t seed;
    struct config *config; /* JSON members, without braces; shared between builds */
    struct item *older, *newer;
};

struct token {
    char *params; /* canonical request without the token */
    char *id;     /* the build or batch it created */
    int64_t at_ms;
};

struct project {
    int64_t builds, batches; /* numbers handed out so far */
};

struct cbk_cb {
    pthread_mutex_t mu;
    char *region, *account;
    size_t cap;
    /* id -> item: open addressing over item pointers (the ids live in the items) */
    struct item **slots;
    size_t mask, nitems;
    struct item *oldest, *newest;
    struct cbk_hmap tokens;   /* op NUL token -> struct token */
    struct cbk_hmap projects; /* name -> struct project */
    struct cbk_hmap defaults; /* project -> struct config: the default configuration */
};

/* ---- lifecycle of the store ------------------------------------------------------------- */

static void free_item(void *p)
{
    struct item *it = p;
    if (!it)
        return;
    free(it->source_version);
    free(it->initiator);
    config_unref(it->config);
    free(it);
}

static void free_token(void *p)
{
    struct token *t = p;
    if (!t)
        return;
    free(t->params);
    free(t->id);
    free(t);
}

struct cbk_cb *cbk_cb_new(const char *region, const char *account, size_t cap)
{
    struct cbk_cb *cb = cbk_xcalloc(1, sizeof(*cb));
    pthread_mutex_init(&cb->mu, NULL);
    cb->region = cbk_xstrdup(region);
    cb->account = cbk_xstrdup(account);
    cb->cap = cap ? cap : 10000;
    cbk_hmap_init(&cb->tokens);
    cbk_hmap_init(&cb->projects);
    cbk_hmap_init(&cb->defaults);
    return cb;
}

static void clear(struct cbk_cb *cb)
{
    for (struct item *it = cb->oldest; it;) {
        struct item *n = it->newer;
        free_item(it);
        it = n;
    }
    free(cb->slots);
    cb->slots = NULL;
    cb->mask = 0;
    cb->nitems = 0;
    cbk_hmap_release(&cb->tokens, free_token);
    cbk_hmap_release(&cb->projects, free);
    cbk_hmap_release(&cb->defaults, config_unref);
    cb->oldest = cb->newest = NULL;
}

void cbk_cb_free(struct cbk_cb *cb)
{
    if (!cb)
        return;
    clear(cb);
    free(cb->region);
    free(cb->account);
    pthread_mutex_destroy(&cb->mu);
    free(cb);
}

void cbk_cb_reset(struct cbk_cb *cb)
{
    pthread_mutex_lock(&cb->mu);
    clear(cb);
    pthread_mutex_unlock(&cb->mu);
}

size_t cbk_cb_build_count(struct cbk_cb *cb)
{
    pthread_mutex_lock(&cb->mu);
    size_t n = cb->nitems;
    pthread_mutex_unlock(&cb->mu);
    return n;
}

static struct project *project_get(struct cbk_cb *cb, const char *name)
{
    struct project *p = cbk_hmap_get(&cb->projects, name, strlen(name));
    if (!p) {
        p = cbk_xcalloc(1, sizeof(*p));
        cbk_hmap_put(&cb->projects, name, strlen(name), p);
    }
    return p;
}

static const char *project_name(struct cbk_cb *cb, const char *name)
{
    project_get(cb, name);
    return cbk_hmap_key(&cb->projects, name, strlen(name));
}

void cbk_cb_seed_project(struct cbk_cb *cb, const char *project)
{
    pthread_mutex_lock(&cb->mu);
    project_get(cb, project);
    pthread_mutex_unlock(&cb->mu);
}

/* ---- the item index: open addressing, linear probing, no tombstones ---------------------- */

static struct item *item_find_hashed(const struct cbk_cb *cb, const char *id, size_t len,
                                     uint32_t h)
{
    if (!cb->slots)
        return NULL;
    for (size_t i = h & cb->mask;; i = (i + 1) & cb->mask) {
        struct item *it = cb->slots[i];
        if (!it)
            return NULL;
        if (it->hash == h && strncmp(it->id, id, len) == 0 && it->id[len] == '\0')
            return it;
    }
}

static struct item *item_find(const struct cbk_cb *cb, const char *id, size_t len)
{
    return item_find_hashed(cb, id, len, cbk_hash(id, len));
}

static void slot_put(struct item **slots, size_t mask, struct item *it)
{
    size_t i = it->hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = it;
}

static void item_index_add(struct cbk_cb *cb, struct item *it)
{
    if ((cb->nitems + 1) * 2 > (cb->slots ? cb->mask + 1 : 0)) {
        size_t n = cb->slots ? (cb->mask + 1) * 2 : 64;
        struct item **slots = cbk_xcalloc(n, sizeof(*slots));
        for (size_t i = 0; cb->slots && i <= cb->mask; i++)
            if (cb->slots[i])
                slot_put(slots, n - 1, cb->slots[i]);
        free(cb->slots);
        cb->slots = slots;
        cb->mask = n - 1;
    }
    slot_put(cb->slots, cb->mask, it);
    cb->nitems++;
}

/* Remove by shifting the rest of the probe run back (keeps lookups correct without
 * tombstones). */
static void item_index_del(struct cbk_cb *cb, struct item *it)
{
    size_t i = it->hash & cb->mask;
    while (cb->slots[i] != it)
        i = (i + 1) & cb->mask;
    cb->slots[i] = NULL;
    for (size_t j = (i + 1) & cb->mask; cb->slots[j]; j = (j + 1) & cb->mask) {
        size_t home = cb->slots[j]->hash & cb->mask;
        /* move slots[j] into the hole when its home is not within (i, j] */
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            cb->slots[i] = cb->slots[j];
            cb->slots[j] = NULL;
            i = j;
        }
    }
    cb->nitems--;
}

/* A new item with its id (copied into the same allocation). */
static struct item *item_alloc(const char *id, size_t len)
{
    struct item *it = cbk_xcalloc(1, sizeof(*it) + len + 1);
    it->id = (char *)(it + 1);
    memcpy(it->id, id, len);
    it->id[len] = '\0';
    it->hash = cbk_hash(id, len);
    return it;
}

/* Link a new item as the newest; evict the oldest past the cap. Caller holds the lock. */
static struct item *item_find_hashed(const struct cbk_cb *cb, const char *id, size_t len,
                                     uint32_t h);

static void store(struct cbk_cb *cb, struct item *it)
{
    struct item *old = item_find_hashed(cb, it->id, strlen(it->id), it->hash);
    if (old) {
        item_index_del(cb, old);
        if (old->older)
            old->older->newer = old->newer;
        else
            cb->oldest = old->newer;
        if (old->newer)
            old->newer->older = old->older;
        else
            cb->newest = old->older;
        free_item(old);
    }
    item_index_add(cb, it);
    it->older = cb->newest;
    it->newer = NULL;
    if (cb->newest)
        cb->newest->newer = it;
    cb->newest = it;
    if (!cb->oldest)
        cb->oldest = it;
    while (cb->nitems > cb->cap && cb->oldest) {
        struct item *ev = cb->oldest;
        cb->oldest = ev->newer;
        if (cb->oldest)
            cb->oldest->older = NULL;
        else
            cb->newest = NULL;
        item_index_del(cb, ev);
        free_item(ev);
    }
}

/* The projects map's copy of 'name' (the project is created if new). */
static const char *project_name(struct cbk_cb *cb, const char *name);

/* ---- ids ---------------------------------------------------------------------------------- */

static void new_uuid(struct cbk_rng *rng, char out[37])
{
    uint64_t hi = cbk_rng_next(rng), lo = cbk_rng_next(rng);
    cbk_uuid_format(out, hi, lo);
}

/* The project of "project:uuid" or of "arn:aws:codebuild:r:a:build/project:uuid". */
static bool parse_build_id(const char *id, char *project, size_t psize, const char **bare)
{
    const char *s = id;
    if (strncmp(s, "arn:", 4) == 0) {
        const char *slash = strchr(s, '/');
        if (!slash)
            return false;
        s = slash + 1;
    }
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || !colon[1])
        return false;
    size_t n = (size_t)(colon - s);
    if (n >= psize)
        return false;
    memcpy(project, s, n);
    project[n] = '\0';
    if (bare)
        *bare = s;
    return true;
}

/* ---- JSON helpers ------------------------------------------------------------------------ */

static struct json_object *get(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v; /* NULL for a JSON null too */
}

static const char *get_str(struct json_object *o, const char *key)
{
    struct json_object *v = get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* The request as a document, parsed on first use (the caller's, if it had one). */
static struct json_object *call_doc(struct cbk_cb_call *c)
{
    if (!c->req)
        /* body_len bytes: the request body is not a C string (fuzz/fuzz_mock_request,
         * regress-api-body-unterminated) */
        c->req = c->body_len ? cbk_jsonq_parse(c->body, c->body_len) : json_object_new_object();
    return c->req;
}

/* A top-level string member of the request, without building a document. */
static const char *top_str(const struct cbk_cb_call *c, const char *key, struct cbk_buf *b)
{
    if (c->req)
        return get_str(c->req, key);
    return cbk_json_top_string(c->body, c->body_len, key, b) ? cbk_buf_str(b) : NULL;
}

/* top_str() for two members in one pass over the body: *a and *b get them (or NULL). */
static void top_str2(const struct cbk_cb_call *c, const char *ka, const char *kb,
                     struct cbk_buf bufs[2], const char **a, const char **b)
{
    if (c->req) {
        *a = get_str(c->req, ka);
        *b = get_str(c->req, kb);
        return;
    }
    const char *keys[2] = {ka, kb};
    bool found[2];
    cbk_json_top_strings(c->body, c->body_len, keys, 2, bufs, found);
    *a = found[0] ? cbk_buf_str(&bufs[0]) : NULL;
    *b = found[1] ? cbk_buf_str(&bufs[1]) : NULL;
}

/*
 * Write 'v' as JSON without its null members: a null member of a request means absent, and
 * AWS never serializes null in a structure (reference §2.1, Smithy null.smithy).
 */
static void copy_value(struct cbk_jsonw *w, struct json_object *v)
{
    if (json_object_is_type(v, json_type_object)) {
        cbk_jsonw_obj(w);
        json_object_object_foreach(v, k, m)
        {
            if (!m)
                continue;
            cbk_jsonw_key(w, k);
            copy_value(w, m);
        }
        cbk_jsonw_end_obj(w);
    } else if (json_object_is_type(v, json_type_array)) {
        cbk_jsonw_arr(w);
        for (size_t i = 0; i < json_object_array_length(v); i++)
            copy_value(w, json_object_array_get_idx(v, i));
        cbk_jsonw_end_arr(w);
    } else {
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        cbk_jsonw_raw(w, s, strlen(s));
    }
}

/* Write "key":<value of o.key as JSON> if present. */
static void copy_member(struct cbk_jsonw *w, const char *key, struct json_object *v)
{
    if (!v)
        return;
    cbk_jsonw_key(w, key);
    copy_value(w, v);
}

/* ---- configuration fragments ---------------------------------------------------------------- */

static void default_source(struct cbk_cb *cb, const char *project, struct cbk_jsonw *w)
{
    cbk_jsonw_key(w, "source");
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "type", "CODECOMMIT");
    char loc[512];
    snprintf(loc, sizeof loc, "https://git-codecommit.%s.amazonaws.com/v1/repos/%s", cb->region,
             project);
    cbk_jsonw_kstr(w, "location", loc);
    cbk_jsonw_kint(w, "gitCloneDepth", 1);
    cbk_jsonw_key(w, "gitSubmodulesConfig");
    cbk_jsonw_obj(w);
    cbk_jsonw_kbool(w, "fetchSubmodules", false);
    cbk_jsonw_end_obj(w);
    cbk_jsonw_kstr(w, "buildspec", "buildspec.yml");
    cbk_jsonw_kbool(w, "insecureSsl", false);
    cbk_jsonw_end_obj(w);
}

static void default_environment(struct cbk_jsonw *w)
{
    cbk_jsonw_key(w, "environment");
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "type", "LINUX_CONTAINER");
    cbk_jsonw_kstr(w, "image", "aws/codebuild/amazonlinux2-x86_64-standard:5.0");
    cbk_jsonw_kstr(w, "computeType", "BUILD_GENERAL1_SMALL");
    cbk_jsonw_key(w, "environmentVariables");
    cbk_jsonw_arr(w);
    cbk_jsonw_end_arr(w);
    cbk_jsonw_kbool(w, "privilegedMode", false);
    cbk_jsonw_kstr(w, "imagePullCredentialsType", "CODEBUILD");
    cbk_jsonw_end_obj(w);
}

static void role_arn(struct cbk_cb *cb, const char *project, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:iam::%s:role/service-role/codebuild-%s-service-role", cb->account,
             project);
}

static void kms_arn(struct cbk_cb *cb, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:kms:%s:%s:alias/aws/s3", cb->region, cb->account);
}

static char *render_default_config(struct cbk_cb *cb, const char *project);

/*
 * The configuration of a build of 'project' with no overrides (open world): rendered once per
 * project and shared. Returns a new reference. Caller holds cb->mu.
 */
static struct config *default_build_config(struct cbk_cb *cb, const char *project)
{
    size_t pl = strlen(project);
    struct config *c = cbk_hmap_get(&cb->defaults, project, pl);
    if (!c) {
        if (cb->defaults.n >= 10000) /* many projects: start over rather than grow */
            cbk_hmap_release(&cb->defaults, config_unref);
        char *s = render_default_config(cb, project);
        c = config_new(s, strlen(s));
        free(s);
        cbk_hmap_put(&cb->defaults, project, pl, c);
    }
    return config_ref(c);
}

static char *render_default_config(struct cbk_cb *cb, const char *project)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 20);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    default_source(cb, project, &w);
    cbk_jsonw_key(&w, "secondarySources");
    cbk_jsonw_arr(&w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "secondarySourceVersions");
    cbk_jsonw_arr(&w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "artifacts");
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "location", "");
    cbk_jsonw_end_obj(&w);
    cbk_jsonw_key(&w, "secondaryArtifacts");
    cbk_jsonw_arr(&w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "cache");
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "type", "NO_CACHE");
    cbk_jsonw_end_obj(&w);
    default_environment(&w);
    char arn[512];
    role_arn(cb, project, arn, sizeof arn);
    cbk_jsonw_kstr(&w, "serviceRole", arn);
    cbk_jsonw_kint(&w, "timeoutInMinutes", 60);
    cbk_jsonw_kint(&w, "queuedTimeoutInMinutes", 480);
    kms_arn(cb, arn, sizeof arn);
    cbk_jsonw_kstr(&w, "encryptionKey", arn);
    cbk_jsonw_end_obj(&w);
    /* keep the members without the braces */
    char *s = cbk_xstrndup(b.ptr + 1, b.len - 2);
    cbk_buf_release(&b);
    return s;
}

/* BuildArtifacts from a ProjectArtifacts override. */
static void artifacts_from(struct cbk_jsonw *w, struct json_object *pa)
{
    cbk_jsonw_obj(w);
    const char *type = get_str(pa, "type");
    const char *loc = get_str(pa, "location");
    if (type && strcmp(type, "S3") == 0 && loc) {
        char buf[1024];
        const char *path = get_str(pa, "path"), *name = get_str(pa, "name");
        snprintf(buf, sizeof buf, "arn:aws:s3:::%s%s%s%s%s", loc, path && *path ? "/" : "",
                 path ? path : "", name && *name ? "/" : "", name ? name : "");
        cbk_jsonw_kstr(w, "location", buf);
    } else {
        cbk_jsonw_kstr(w, "location", "");
    }
    copy_member(w, "overrideArtifactName", get(pa, "overrideArtifactName"));
    copy_member(w, "encryptionDisabled", get(pa, "encryptionDisabled"));
    copy_member(w, "artifactIdentifier", get(pa, "artifactIdentifier"));
    copy_member(w, "bucketOwnerAccess", get(pa, "bucketOwnerAccess"));
    cbk_jsonw_end_obj(w);
}

/*
 * The configuration of a batch started with the overrides of a StartBuildBatch request: what
 * the request names is echoed, the rest is the project's default.
 */
static char *batch_config_from(struct cbk_cb *cb, const char *project, struct json_object *rq)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 22);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);

    /* source */
    cbk_jsonw_key(&w, "source");
    cbk_jsonw_obj(&w);
    const char *stype = get_str(rq, "sourceTypeOverride");
    cbk_jsonw_kstr(&w, "type", stype ? stype : "CODECOMMIT");
    const char *sloc = get_str(rq, "sourceLocationOverride");
    char loc[512];
    snprintf(loc, sizeof loc, "https://git-codecommit.%s.amazonaws.com/v1/repos/%s", cb->region,
             project);
    if (!(stype && strcmp(stype, "NO_SOURCE") == 0) || sloc)
        cbk_jsonw_kstr(&w, "location", sloc ? sloc : loc);
    struct json_object *v = get(rq, "gitCloneDepthOverride");
    if (v)
        copy_member(&w, "gitCloneDepth", v);
    else
        cbk_jsonw_kint(&w, "gitCloneDepth", 1);
    copy_member(&w, "gitSubmodulesConfig", get(rq, "gitSubmodulesConfigOverride"));
    const char *bs = get_str(rq, "buildspecOverride");
    cbk_jsonw_kstr(&w, "buildspec", bs ? bs : "buildspec.yml");
    copy_member(&w, "auth", get(rq, "sourceAuthOverride"));
    copy_member(&w, "reportBuildStatus", get(rq, "reportBuildBatchStatusOverride"));
    v = get(rq, "insecureSslOverride");
    if (v)
        copy_member(&w, "insecureSsl", v);
    else
        cbk_jsonw_kbool(&w, "insecureSsl", false);
    cbk_jsonw_end_obj(&w);

    v = get(rq, "secondarySourcesOverride");
    if (v)
        copy_member(&w, "secondarySources", v);
    else {
        cbk_jsonw_key(&w, "secondarySources");
        cbk_jsonw_arr(&w);
        cbk_jsonw_end_arr(&w);
    }
    v = get(rq, "secondarySourcesVersionOverride");
    if (v)
        copy_member(&w, "secondarySourceVersions", v);
    else {
        cbk_jsonw_key(&w, "secondarySourceVersions");
        cbk_jsonw_arr(&w);
        cbk_jsonw_end_arr(&w);
    }

    cbk_jsonw_key(&w, "artifacts");
    v = get(rq, "artifactsOverride");
    if (v) {
        artifacts_from(&w, v);
    } else {
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "location", "");
        cbk_jsonw_end_obj(&w);
    }
    cbk_jsonw_key(&w, "secondaryArtifacts");
    cbk_jsonw_arr(&w);
    v = get(rq, "secondaryArtifactsOverride");
    if (v && json_object_is_type(v, json_type_array))
        for (size_t i = 0; i < json_object_array_length(v); i++)
            artifacts_from(&w, json_object_array_get_idx(v, i));
    cbk_jsonw_end_arr(&w);

    v = get(rq, "cacheOverride");
    if (v)
        copy_member(&w, "cache", v);
    else {
        cbk_jsonw_key(&w, "cache");
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "type", "NO_CACHE");
        cbk_jsonw_end_obj(&w);
    }

    /* environment */
    cbk_jsonw_key(&w, "environment");
    cbk_jsonw_obj(&w);
    const char *s = get_str(rq, "environmentTypeOverride");
    cbk_jsonw_kstr(&w, "type", s ? s : "LINUX_CONTAINER");
    s = get_str(rq, "imageOverride");
    cbk_jsonw_kstr(&w, "image", s ? s : "aws/codebuild/amazonlinux2-x86_64-standard:5.0");
    s = get_str(rq, "computeTypeOverride");
    cbk_jsonw_kstr(&w, "computeType", s ? s : "BUILD_GENERAL1_SMALL");
    v = get(rq, "environmentVariablesOverride");
    if (v)
        copy_member(&w, "environmentVariables", v);
    else {
        cbk_jsonw_key(&w, "environmentVariables");
        cbk_jsonw_arr(&w);
        cbk_jsonw_end_arr(&w);
    }
    v = get(rq, "privilegedModeOverride");
    if (v)
        copy_member(&w, "privilegedMode", v);
    else
        cbk_jsonw_kbool(&w, "privilegedMode", false);
    copy_member(&w, "certificate", get(rq, "certificateOverride"));
    copy_member(&w, "registryCredential", get(rq, "registryCredentialOverride"));
    s = get_str(rq, "imagePullCredentialsTypeOverride");
    cbk_jsonw_kstr(&w, "imagePullCredentialsType", s ? s : "CODEBUILD");
    cbk_jsonw_end_obj(&w);

    char arn[512];
    s = get_str(rq, "serviceRoleOverride");
    role_arn(cb, project, arn, sizeof arn);
    cbk_jsonw_kstr(&w, "serviceRole", s ? s : arn);

    v = get(rq, "logsConfigOverride");
    if (v) {
        copy_member(&w, "logConfig", v);
    } else {
        cbk_jsonw_key(&w, "logConfig");
        cbk_jsonw_obj(&w);
        cbk_jsonw_key(&w, "cloudWatchLogs");
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "status", "ENABLED");
        cbk_jsonw_end_obj(&w);
        cbk_jsonw_key(&w, "s3Logs");
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "status", "DISABLED");
        cbk_jsonw_kbool(&w, "encryptionDisabled", false);
        cbk_jsonw_end_obj(&w);
        cbk_jsonw_end_obj(&w);
    }
    v = get(rq, "buildTimeoutInMinutesOverride");
    if (v)
        copy_member(&w, "buildTimeoutInMinutes", v);
    else
        cbk_jsonw_kint(&w, "buildTimeoutInMinutes", 60);
    v = get(rq, "queuedTimeoutInMinutesOverride");
    if (v)
        copy_member(&w, "queuedTimeoutInMinutes", v);
    else
        cbk_jsonw_kint(&w, "queuedTimeoutInMinutes", 480);
    s = get_str(rq, "encryptionKeyOverride");
    kms_arn(cb, arn, sizeof arn);
    cbk_jsonw_kstr(&w, "encryptionKey", s ? s : arn);

    v = get(rq, "buildBatchConfigOverride");
    if (v) {
        copy_member(&w, "buildBatchConfig", v);
    } else {
        cbk_jsonw_key(&w, "buildBatchConfig");
        cbk_jsonw_obj(&w);
        role_arn(cb, project, arn, sizeof arn);
        cbk_jsonw_kstr(&w, "serviceRole", arn);
        cbk_jsonw_kbool(&w, "combineArtifacts", false);
        cbk_jsonw_key(&w, "restrictions");
        cbk_jsonw_obj(&w);
        cbk_jsonw_kint(&w, "maximumBuildsAllowed", 100);
        cbk_jsonw_end_obj(&w);
        cbk_jsonw_kint(&w, "timeoutInMins", 480);
        cbk_jsonw_kstr(&w, "batchReportMode", "REPORT_AGGREGATED_BATCH");
        cbk_jsonw_end_obj(&w);
    }
    copy_member(&w, "debugSessionEnabled", get(rq, "debugSessionEnabled"));
    cbk_jsonw_end_obj(&w);
    char *out = cbk_xstrndup(b.ptr + 1, b.len - 2);
    cbk_buf_release(&b);
    return out;
}

/* ---- rendering ------------------------------------------------------------------------------ */

/* Phase durations of a build, in milliseconds, from its seed. */
static void phase_durations(uint64_t seed, int64_t ms[PH_COUNT])
{
    struct cbk_rng r;
    cbk_rng_seed(&r, seed);
    for (int i = 0; i < PH_COUNT; i++) {
        int lo = phase_secs[i][0], hi = phase_secs[i][1];
        int64_t s = lo + (int64_t)cbk_rng_below(&r, (uint64_t)(hi - lo + 1));
        ms[i] = s * 1000 + (hi ? (int64_t)cbk_rng_below(&r, 1000) : 0);
    }
}

static void write_phase(struct cbk_jsonw *w, const char *type, const char *status, int64_t start,
                        int64_t end, bool ended)
{
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "phaseType", type);
    if (status)
        cbk_jsonw_kstr(w, "phaseStatus", status);
    cbk_jsonw_kepoch_ms(w, "startTime", start);
    if (ended) {
        cbk_jsonw_kepoch_ms(w, "endTime", end);
        cbk_jsonw_kint(w, "durationInSeconds", (end - start) / 1000);
    }
    cbk_jsonw_end_obj(w);
}

/*
 * Phases of a build: the completed ones SUCCEEDED with start/end/duration, the one it ended
 * in with the final status, then FINALIZING and COMPLETED for completed builds; the current
 * phase of a running build has a start time only.
 */
static void render_phases(const struct item *it, struct cbk_jsonw *w)
{
    int64_t d[PH_COUNT];
    phase_durations(it->seed, d);
    bool complete = it->status != ST_IN_PROGRESS;
    int last = complete ? it->end_phase : it->phase;
    int64_t t = it->start_ms;
    cbk_jsonw_key(w, "phases");
    cbk_jsonw_arr(w);
    for (int i = 0; i < last && i < PH_FINALIZING; i++) {
        int64_t e = t + d[i];
        if (complete && it->end_ms && e > it->end_ms)
            e = it->end_ms;
        write_phase(w, phase_names[i], "SUCCEEDED", t, e, true);
        t = e;
    }
    if (!complete) {
        write_phase(w, phase_names[last], NULL, t, 0, false);
    } else {
        int64_t end = it->end_ms ? it->end_ms : t + d[last];
        if (last < PH_FINALIZING) {
            const char *st = it->status == ST_SUCCEEDED ? "SUCCEEDED" : status_names[it->status];
            cbk_jsonw_obj(w);
            cbk_jsonw_kstr(w, "phaseType", phase_names[last]);
            cbk_jsonw_kstr(w, "phaseStatus", st);
            int64_t fin = end - 1000 > t ? end - 1000 : t;
            cbk_jsonw_kepoch_ms(w, "startTime", t);
            cbk_jsonw_kepoch_ms(w, "endTime", fin);
            cbk_jsonw_kint(w, "durationInSeconds", (fin - t) / 1000);
            if (it->status == ST_FAILED || it->status == ST_FAULT) {
                cbk_jsonw_key(w, "contexts");
                cbk_jsonw_arr(w);
                cbk_jsonw_obj(w);
                cbk_jsonw_kstr(w, "statusCode",
                               it->status == ST_FAILED ? "COMMAND_EXECUTION_ERROR"
                                                       : "CLIENT_ERROR");
                cbk_jsonw_kstr(w, "message",
                               it->status == ST_FAILED
                                   ? "Error while executing command: make test. "
                                     "Reason: exit status 2"
                                   : "internal service error");
                cbk_jsonw_end_obj(w);
                cbk_jsonw_end_arr(w);
            }
            cbk_jsonw_end_obj(w);
            t = fin;
        }
        write_phase(w, "FINALIZING", "SUCCEEDED", t, end, true);
        write_phase(w, "COMPLETED", NULL, end, 0, false);
    }
    cbk_jsonw_end_arr(w);
}

/* Join strings (NULL-terminated argument list) into buf; cheaper than snprintf on the hot path. */
static const char *cat(char *buf, size_t cap, ...)
{
    va_list ap;
    va_start(ap, cap);
    size_t n = 0;
    const char *part;
    while ((part = va_arg(ap, const char *)) != NULL) {
        size_t l = strlen(part);
        if (n + l >= cap)
            l = cap - n - 1;
        memcpy(buf + n, part, l);
        n += l;
    }
    va_end(ap);
    buf[n] = '\0';
    return buf;
}

static void render_build(struct cbk_cb *cb, const struct item *it, struct cbk_jsonw *w)
{
    char buf[1024];
    const char *bare = it->id;
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "id", it->id);
    cbk_jsonw_kstr(w, "arn",
                   cat(buf, sizeof buf, "arn:aws:codebuild:", cb->region, ":", cb->account,
                       ":build/", bare, (char *)NULL));
    cbk_jsonw_kint(w, "buildNumber", it->number);
    cbk_jsonw_kepoch_ms(w, "startTime", it->start_ms);
    bool complete = it->status != ST_IN_PROGRESS;
    if (complete)
        cbk_jsonw_kepoch_ms(w, "endTime", it->end_ms);
    cbk_jsonw_kstr(w, "currentPhase", complete ? "COMPLETED" : phase_names[it->phase]);
    cbk_jsonw_kstr(w, "buildStatus", status_names[it->status]);
    if (it->source_version)
        cbk_jsonw_kstr(w, "sourceVersion", it->source_version);
    if ((complete ? it->end_phase : it->phase) > PH_DOWNLOAD_SOURCE) {
        uint64_t h = cbk_mix64(it->seed ^ 0x5eed), h2 = cbk_mix64(h);
        snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64 "%08" PRIx32, h, h2,
                 (uint32_t)cbk_mix64(h2));
        cbk_jsonw_kstr(w, "resolvedSourceVersion", buf);
    }
    cbk_jsonw_kstr(w, "projectName", it->project);
    render_phases(it, w);
    if (it->config && it->config->len)
        cbk_jsonw_raw(w, it->config->s, it->config->len); /* members, comma-separated */
    /* logs: per build */
    const char *colon = strrchr(it->id, ':');
    const char *stream = colon ? colon + 1 : it->id;
    cbk_jsonw_key(w, "logs");
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "groupName",
                   cat(buf, sizeof buf, "/aws/codebuild/", it->project, (char *)NULL));
    cbk_jsonw_kstr(w, "streamName", stream);
    cbk_jsonw_kstr(
        w, "deepLink",
        cat(buf, sizeof buf, "https://console.aws.amazon.com/cloudwatch/home?region=", cb->region,
            "#logEvent:group=/aws/codebuild/", it->project, ";stream=", stream, (char *)NULL));
    cbk_jsonw_kstr(w, "cloudWatchLogsArn",
                   cat(buf, sizeof buf, "arn:aws:logs:", cb->region, ":", cb->account,
                       ":log-group:/aws/codebuild/", it->project, ":log-stream:", stream,
                       (char *)NULL));
    cbk_jsonw_key(w, "cloudWatchLogs");
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "status", "ENABLED");
    cbk_jsonw_end_obj(w);
    cbk_jsonw_key(w, "s3Logs");
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "status", "DISABLED");
    cbk_jsonw_kbool(w, "encryptionDisabled", false);
    cbk_jsonw_end_obj(w);
    cbk_jsonw_end_obj(w);
    cbk_jsonw_kbool(w, "buildComplete", complete);
    cbk_jsonw_kstr(w, "initiator", it->initiator ? it->initiator : "cbkit-mock");
    cbk_jsonw_end_obj(w);
}

static void render_batch(struct cbk_cb *cb, const struct item *it, struct cbk_jsonw *w)
{
    char buf[1024];
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "id", it->id);
    snprintf(buf, sizeof buf, "arn:aws:codebuild:%s:%s:build-batch/%s", cb->region, cb->account,
             it->id);
    cbk_jsonw_kstr(w, "arn", buf);
    cbk_jsonw_kepoch_ms(w, "startTime", it->start_ms);
    bool complete = it->status != ST_IN_PROGRESS;
    if (complete)
        cbk_jsonw_kepoch_ms(w, "endTime", it->end_ms);
    cbk_jsonw_kstr(w, "currentPhase", batch_phase_names[it->phase]);
    cbk_jsonw_kstr(w, "buildBatchStatus", status_names[it->status]);
    if (it->source_version)
        cbk_jsonw_kstr(w, "sourceVersion", it->source_version);
    cbk_jsonw_kstr(w, "projectName", it->project);
    cbk_jsonw_key(w, "phases");
    cbk_jsonw_arr(w);
    write_phase(w, "SUBMITTED", "SUCCEEDED", it->start_ms, it->start_ms, true);
    if (!complete) {
        write_phase(w, batch_phase_names[it->phase], NULL, it->start_ms, 0, false);
    } else {
        write_phase(w, "DOWNLOAD_BATCHSPEC", it->status == ST_STOPPED ? "STOPPED" : "SUCCEEDED",
                    it->start_ms, it->end_ms, true);
        write_phase(w, batch_phase_names[it->phase], NULL, it->end_ms, 0, false);
    }
    cbk_jsonw_end_arr(w);
    if (it->config && it->config->len)
        cbk_jsonw_raw(w, it->config->s, it->config->len);
    cbk_jsonw_kbool(w, "complete", complete);
    cbk_jsonw_kstr(w, "initiator", it->initiator ? it->initiator : "cbkit-mock");
    cbk_jsonw_kint(w, "buildBatchNumber", it->number);
    cbk_jsonw_key(w, "buildGroups");
    cbk_jsonw_arr(w);
    cbk_jsonw_end_arr(w);
    cbk_jsonw_end_obj(w);
}

/*
 * The fast path for the most common answer, a build just queued by RetryBuild: its JSON is
 * the same for every build of one configuration except for the uuid, the build number and
 * the start time. The first such build is rendered with sentinel values, the text is cut at
 * the sentinels, and later builds are the pieces with their own values in between.
 */
enum hole { HOLE_UUID, HOLE_NUMBER, HOLE_TIME, HOLE_END };

struct tmpl {
    size_t n;
    struct piece {
        const char *text;
        size_t len;
        enum hole hole; /* what follows the text */
    } * p;
    char *buf;
};

#define SENTINEL_UUID        "f0f0f0f0-f0f0-4f0f-bf0f-f0f0f0f0f0f0"
#define SENTINEL_NUMBER      9007199254740993LL
#define SENTINEL_NUMBER_TEXT "9007199254740993"
#define SENTINEL_MS          1999999999999LL
#define SENTINEL_TIME_TEXT   "1999999999.999"

static void tmpl_free(struct tmpl *t)
{
    if (!t)
        return;
    free(t->p);
    free(t->buf);
    free(t);
}

static bool fresh_build(const struct item *it)
{
    return !it->batch && it->status == ST_IN_PROGRESS && it->phase == PH_QUEUED &&
           !it->source_version && !it->initiator && it->config;
}

static void render_output_slow(struct cbk_cb *cb, const struct item *it, struct cbk_buf *out);

static struct tmpl *tmpl_make(struct cbk_cb *cb, const struct item *it)
{
    struct item s = *it;
    size_t pl = strlen(it->project);
    s.id = cbk_xmalloc(pl + 1 + sizeof SENTINEL_UUID);
    memcpy(s.id, it->project, pl);
    s.id[pl] = ':';
    memcpy(s.id + pl + 1, SENTINEL_UUID, sizeof SENTINEL_UUID);
    s.number = SENTINEL_NUMBER;
    s.start_ms = SENTINEL_MS;
    struct cbk_buf b = CBK_BUF_INIT((size_t)16 << 20);
    render_output_slow(cb, &s, &b);
    free(s.id);
    struct tmpl *t = cbk_xcalloc(1, sizeof(*t));
    t->buf = cbk_buf_detach(&b, NULL);
    size_t alloc = 0;
    const char *p = t->buf;
    for (;;) {
        const char *u = strstr(p, SENTINEL_UUID), *nu = strstr(p, SENTINEL_NUMBER_TEXT),
                   *ti = strstr(p, SENTINEL_TIME_TEXT);
        const char *next = NULL;
        enum hole h = HOLE_END;
        size_t skip = 0;
        if (u && (!next || u < next)) {
            next = u;
            h = HOLE_UUID;
            skip = sizeof SENTINEL_UUID - 1;
        }
        if (nu && (!next || nu < next)) {
            next = nu;
            h = HOLE_NUMBER;
            skip = sizeof SENTINEL_NUMBER_TEXT - 1;
        }
        if (ti && (!next || ti < next)) {
            next = ti;
            h = HOLE_TIME;
            skip = sizeof SENTINEL_TIME_TEXT - 1;
        }
        CBK_GROW(t->p, t->n + 1, alloc);
        t->p[t->n].text = p;
        t->p[t->n].len = next ? (size_t)(next - p) : strlen(p);
        t->p[t->n].hole = h;
        t->n++;
        if (!next)
            break;
        p = next + skip;
    }
    return t;
}

static void tmpl_render(const struct tmpl *t, const struct item *it, struct cbk_buf *out)
{
    const char *colon = strrchr(it->id, ':');
    const char *uuid = colon ? colon + 1 : it->id;
    for (size_t i = 0; i < t->n; i++) {
        cbk_buf_add(out, t->p[i].text, t->p[i].len);
        char tmp[32];
        switch (t->p[i].hole) {
        case HOLE_UUID:
            cbk_buf_adds(out, uuid);
            break;
        case HOLE_NUMBER: {
            char *e = tmp + sizeof tmp, *q = e;
            uint64_t v = (uint64_t)it->number;
            do {
                *--q = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            cbk_buf_add(out, q, (size_t)(e - q));
            break;
        }
        case HOLE_TIME: {
            char *e = tmp + sizeof tmp, *q = e;
            uint64_t v = (uint64_t)it->start_ms;
            for (int k = 0; k < 3; k++) {
                *--q = (char)('0' + v % 10);
                v /= 10;
            }
            *--q = '.';
            do {
                *--q = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            cbk_buf_add(out, q, (size_t)(e - q));
            break;
        }
        case HOLE_END:
            break;
        }
    }
}

static void render_output(struct cbk_cb *cb, const struct item *it, struct cbk_buf *out)
{
    /* a uuid-shaped id, a positive number and time: what the template was cut for */
    const char *colon = strrchr(it->id, ':');
    if (fresh_build(it) && colon && strlen(colon + 1) == 36 && it->number > 0 &&
        it->start_ms >= 0) {
        if (!it->config->fresh)
            it->config->fresh = tmpl_make(cb, it); /* under cb->mu, like every render */
#ifndef NDEBUG
        size_t start = out->len;
#endif
        tmpl_render(it->config->fresh, it, out);
#ifndef NDEBUG
        /* debug builds (the sanitizer test run) check the fast path against the slow one */
        struct cbk_buf check = CBK_BUF_INIT((size_t)16 << 20);
        render_output_slow(cb, it, &check);
        assert(check.len == out->len - start &&
               memcmp(check.ptr, out->ptr + start, check.len) == 0);
        cbk_buf_release(&check);
#endif
        return;
    }
    render_output_slow(cb, it, out);
}

static void render_output_slow(struct cbk_cb *cb, const struct item *it, struct cbk_buf *out)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, it->batch ? "buildBatch" : "build");
    if (it->batch)
        render_batch(cb, it, &w);
    else
        render_build(cb, it, &w);
    cbk_jsonw_end_obj(&w);
}

/* ---- idempotency ------------------------------------------------------------------------- */

static bool skip_token(const char *pointer, void *arg)
{
    CBK_UNUSED(arg);
    return strcmp(pointer, "/idempotencyToken") == 0;
}

/*
 * Check a token: 0 = not seen (or expired), 1 = same parameters (*id gets the item id),
 * -1 = different parameters. Caller holds the lock. 'params' is the canonical request.
 */
static int token_check(struct cbk_cb *cb, const char *key, size_t klen, const char *params,
                       int64_t now, const char **id)
{
    struct token *t = cbk_hmap_get(&cb->tokens, key, klen);
    if (!t)
        return 0;
    if (now - t->at_ms >= CBK_CB_IDEMPOTENCY_MS || now < t->at_ms) {
        free_token(cbk_hmap_del(&cb->tokens, key, klen));
        return 0;
    }
    if (strcmp(t->params, params) != 0)
        return -1;
    *id = t->id;
    return 1;
}

static void sweep_tokens(struct cbk_cb *cb, int64_t now);

static void token_put(struct cbk_cb *cb, const char *key, size_t klen, const char *params,
                      const char *id, int64_t now)
{
    struct token *t = cbk_xcalloc(1, sizeof(*t));
    t->params = cbk_xstrdup(params);
    t->id = cbk_xstrdup(id);
    t->at_ms = now;
    free_token(cbk_hmap_put(&cb->tokens, key, klen, t));
    if (cb->tokens.n > cb->cap)
        sweep_tokens(cb, now);
}

struct sweep {
    int64_t now;
    struct cbk_buf keys; /* expired keys, each followed by its length */
};

static void sweep_cb(const char *key, size_t kl, void *value, void *arg)
{
    struct sweep *s = arg;
    struct token *t = value;
    if (s->now - t->at_ms < CBK_CB_IDEMPOTENCY_MS && s->now >= t->at_ms)
        return;
    cbk_buf_add(&s->keys, &kl, sizeof kl);
    cbk_buf_add(&s->keys, key, kl);
}

/* Forget expired tokens (the table stays bounded by what five minutes can hold). */
static void sweep_tokens(struct cbk_cb *cb, int64_t now)
{
    struct sweep s = {now, CBK_BUF_INIT((size_t)1 << 30)};
    cbk_hmap_each(&cb->tokens, sweep_cb, &s);
    for (size_t off = 0; off < s.keys.len;) {
        size_t kl;
        memcpy(&kl, s.keys.ptr + off, sizeof kl);
        off += sizeof kl;
        free_token(cbk_hmap_del(&cb->tokens, s.keys.ptr + off, kl));
        off += kl;
    }
    cbk_buf_release(&s.keys);
}

/* ---- operations --------------------------------------------------------------------------- */

static void result_error(struct cbk_cb_result *res, const char *type, const char *fmt, ...)
    CBK_PRINTF(3, 4);

static void result_error(struct cbk_cb_result *res, const char *type, const char *fmt, ...)
{
    res->status = 400;
    res->error_type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

/* A new running build or batch of 'project', with a fresh id. Caller holds cb->mu. */
static struct item *new_item(struct cbk_cb *cb, bool batch, const char *project,
                             struct cbk_rng *rng, int64_t now)
{
    char uuid[37];
    new_uuid(rng, uuid);
    char id[512];
    size_t pl = CBK_MIN(strlen(project), sizeof id - sizeof uuid - 1);
    memcpy(id, project, pl);
    id[pl] = ':';
    memcpy(id + pl + 1, uuid, sizeof uuid); /* with its NUL */
    struct item *it = item_alloc(id, pl + sizeof uuid);
    it->batch = batch;
    it->project = project_name(cb, project);
    it->status = ST_IN_PROGRESS;
    it->phase = batch ? BP_DOWNLOAD_BATCHSPEC : PH_QUEUED;
    it->start_ms = now;
    it->seed = cbk_rng_next(rng);
    return it;
}

/* The idempotency key of a request: operation, NUL, token into 'key'; the canonical request
 * without its token (the parameters the token must keep) into 'params'. */
static void token_key(const char *op, const char *token, struct json_object *doc,
                      struct cbk_buf *key, struct cbk_buf *params)
{
    cbk_json_canonical(doc, params, skip_token, NULL);
    cbk_buf_adds(key, op);
    cbk_buf_addc(key, '\0');
    cbk_buf_adds(key, token);
}

/*
 * The idempotency rule of RetryBuild and StartBuildBatch, with cb->mu held: true when 'res'
 * is decided by it (the parameter-mismatch error, or the build or batch the token made, still
 * remembered); false when the request goes on to make a new one.
 */
static bool idempotent_answer(struct cbk_cb *cb, struct cbk_cb_call *c, const char *token,
                              const struct cbk_buf *key, const struct cbk_buf *params,
                              struct cbk_cb_result *res)
{
    const char *prev = NULL;
    int tc = token_check(cb, key->ptr, key->len, cbk_buf_str(params), c->now_ms, &prev);
    if (tc < 0) {
        res->answered_by = "state";
        result_error(res, CBK_CB_MISMATCH_ERROR,
                     "The idempotency token '%.200s' was already used within the last 5 "
                     "minutes with different parameters",
                     token);
        return true;
    }
    struct item *it = tc > 0 ? item_find(cb, prev, strlen(prev)) : NULL;
    if (!it)
        return false;
    render_output(cb, it, c->out);
    res->status = 200;
    res->answered_by = "state (idempotent retry)";
    return true;
}

static void retry_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cbk_buf idtok[2] = {CBK_BUF_INIT(1 << 20), CBK_BUF_INIT(1 << 20)};
    const char *id = NULL, *token = NULL;
    top_str2(c, "id", "idempotencyToken", idtok, &id, &token);
    char project[256];
    const char *bare = NULL;
    struct cbk_buf params = CBK_BUF_INIT(1 << 22), key = CBK_BUF_INIT(1 << 20);
    bool locked = false;
    if (!id) {
        result_error(res, "InvalidInputException", "Build ID is required");
        goto out;
    }
    if (!parse_build_id(id, project, sizeof project, &bare)) {
        result_error(res, "InvalidInputException", "Invalid build ID provided");
        goto out;
    }
    if (token) {
        token_key("RetryBuild", token, call_doc(c), &key, &params);
    }
    pthread_mutex_lock(&cb->mu);
    locked = true;
    if (token && idempotent_answer(cb, c, token, &key, &params, res))
        goto out;
    struct item *orig = item_find(cb, bare, strlen(bare));
    if (orig && orig->batch)
        orig = NULL;
    if (!orig && c->world == CBK_WORLD_STRICT) {
        res->status = 400;
        res->error_type = "ResourceNotFoundException";
        res->answered_by = "state";
        snprintf(res->message, sizeof res->message, "Build %.300s does not exist", id);
        goto out;
    }
    struct project *p = project_get(cb, project);
    struct item *it = new_item(cb, false, project, c->rng, c->now_ms);
    it->number = ++p->builds;
    if (orig) {
        if (orig->number >= it->number)
            it->number = p->builds = orig->number + 1;
        it->config = config_ref(orig->config);
        it->source_version = orig->source_version ? cbk_xstrdup(orig->source_version) : NULL;
        res->answered_by = "state";
    } else {
        it->config = default_build_config(cb, project);
        res->answered_by = "generated";
    }
    store(cb, it);
    if (token)
        token_put(cb, key.ptr, key.len, cbk_buf_str(&params), it->id, c->now_ms);
    render_output(cb, it, c->out);
    res->status = 200;
out:
    if (locked)
        pthread_mutex_unlock(&cb->mu);
    cbk_buf_release(&params);
    cbk_buf_release(&key);
    cbk_buf_release(&idtok[0]);
    cbk_buf_release(&idtok[1]);
}

static void stop_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cbk_buf idb = CBK_BUF_INIT(1 << 20);
    const char *id = top_str(c, "id", &idb);
    char project[256];
    const char *bare = NULL;
    if (!id || !parse_build_id(id, project, sizeof project, &bare)) {
        result_error(res, "InvalidInputException", "Invalid build ID provided");
        cbk_buf_release(&idb);
        return;
    }
    pthread_mutex_lock(&cb->mu);
    struct item *it = item_find(cb, bare, strlen(bare));
    if (it && it->batch)
        it = NULL;
    if (!it) {
        if (c->world == CBK_WORLD_STRICT) {
            res->status = 400;
            res->error_type = "ResourceNotFoundException";
            res->answered_by = "state";
            res->answered_by = "state";
            snprintf(res->message, sizeof res->message, "Build %.300s does not exist", id);
            pthread_mutex_unlock(&cb->mu);
            cbk_buf_release(&idb);
            return;
        }
        /* open world: the build existed, running; it is now stopped */
        it = item_alloc(bare, strlen(bare));
        it->project = project_name(cb, project);
        struct project *p = project_get(cb, project);
        it->number = ++p->builds;
        it->seed = cbk_rng_next(c->rng);
        int64_t d[PH_COUNT];
        phase_durations(it->seed, d);
        it->phase = PH_BUILD;
        it->start_ms = c->now_ms;
        for (int i = 0; i < PH_BUILD; i++)
            it->start_ms -= d[i];
        it->start_ms -= 1000 + (int64_t)cbk_rng_below(c->rng, 5000);
        it->status = ST_IN_PROGRESS;
        it->config = default_build_config(cb, project);
        store(cb, it);
        res->answered_by = "generated";
    } else {
        res->answered_by = "state";
    }
    if (it->status == ST_IN_PROGRESS) {
        it->status = ST_STOPPED;
        it->end_phase = it->phase;
        it->phase = PH_COMPLETED;
        it->end_ms = c->now_ms > it->start_ms ? c->now_ms : it->start_ms;
    }
    render_output(cb, it, c->out);
    res->status = 200;
    pthread_mutex_unlock(&cb->mu);
    cbk_buf_release(&idb);
}

static void start_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    call_doc(c);
    const char *project = get_str(c->req, "projectName");
    if (!project || !*project) {
        result_error(res, "InvalidInputException", "Project name is required");
        return;
    }
    if (strlen(project) > 255) {
        result_error(res, "InvalidInputException", "Invalid project name");
        return;
    }
    const char *token = get_str(c->req, "idempotencyToken");
    struct cbk_buf params = CBK_BUF_INIT(1 << 22), key = CBK_BUF_INIT(1 << 20);
    if (token) {
        token_key("StartBuildBatch", token, c->req, &key, &params);
    }
    char *config = batch_config_from(cb, project, c->req);
    pthread_mutex_lock(&cb->mu);
    if (token && idempotent_answer(cb, c, token, &key, &params, res))
        goto out;
    if (c->world == CBK_WORLD_STRICT && !cbk_hmap_get(&cb->projects, project, strlen(project))) {
        res->status = 400;
        res->error_type = "ResourceNotFoundException";
        res->answered_by = "state";
        snprintf(res->message, sizeof res->message,
                 "Project cannot be found: arn:aws:codebuild:%s:%s:project/%.255s", cb->region,
                 cb->account, project);
        goto out;
    }
    struct project *p = project_get(cb, project);
    struct item *it = new_item(cb, true, project, c->rng, c->now_ms);
    it->number = ++p->batches;
    it->config = config_new(config, strlen(config));
    const char *sv = get_str(c->req, "sourceVersion");
    if (sv && *sv)
        it->source_version = cbk_xstrdup(sv);
    store(cb, it);
    if (token)
        token_put(cb, key.ptr, key.len, cbk_buf_str(&params), it->id, c->now_ms);
    render_output(cb, it, c->out);
    res->status = 200;
    res->answered_by = "generated";
out:
    pthread_mutex_unlock(&cb->mu);
    free(config);
    cbk_buf_release(&params);
    cbk_buf_release(&key);
}

bool cbk_cb_handles(const char *op)
{
    return strcmp(op, "RetryBuild") == 0 || strcmp(op, "StopBuild") == 0 ||
           strcmp(op, "StartBuildBatch") == 0;
}

/*
 * Does the (valid JSON) body hold the escape \u0000 in a string? In valid JSON a backslash
 * only occurs inside strings, always starting an escape, so a left-to-right scan that skips
 * each escaped character cannot be fooled by "\\u0000" (an escaped backslash, then text).
 */
static bool body_has_nul(const char *body, size_t len)
{
    const char *p = body, *end = body + len;
    while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
        if (end - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
            return true;
        p += 2; /* the backslash and the character it escapes */
        if (p >= end)
            break;
    }
    return false;
}

static bool str_has_nul(struct json_object *v)
{
    return v && json_object_is_type(v, json_type_string) &&
           memchr(json_object_get_string(v), 0, (size_t)json_object_get_string_len(v)) != NULL;
}

/* An artifacts override's strings that go into the answer's S3 ARN. */
static bool artifacts_nul(struct json_object *pa, struct cbk_buf *ptr)
{
    static const char *const keys[] = {"location", "path", "name"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(keys); i++)
        if (str_has_nul(get(pa, keys[i]))) {
            cbk_buf_addf(ptr, "/%s", keys[i]);
            return true;
        }
    return false;
}

/*
 * The JSON pointer (into 'ptr') of a string holding a NUL character among those the model
 * keeps as C strings: the request's top-level strings (ids, names, tokens, overrides) and the
 * artifact locations. Strings the answer copies from the request document (environment
 * variables, auth, ...) keep their length and may hold NUL.
 */
static bool model_nul(struct json_object *doc, struct cbk_buf *ptr)
{
    if (!doc || !json_object_is_type(doc, json_type_object))
        return false;
    json_object_object_foreach(doc, k, m)
    {
        if (str_has_nul(m)) {
            cbk_buf_addc(ptr, '/');
            cbk_ptr_escape(ptr, k, strlen(k));
            return true;
        }
    }
    struct json_object *pa = get(doc, "artifactsOverride");
    cbk_buf_adds(ptr, "/artifactsOverride");
    if (pa && artifacts_nul(pa, ptr))
        return true;
    cbk_buf_truncate(ptr, 0);
    struct json_object *list = get(doc, "secondaryArtifactsOverride");
    for (size_t i = 0;
         list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
         i++) {
        cbk_buf_addf(ptr, "/secondaryArtifactsOverride/%zu", i);
        if (artifacts_nul(json_object_array_get_idx(list, i), ptr))
            return true;
        cbk_buf_truncate(ptr, 0);
    }
    return false;
}

void cbk_cb_call(struct cbk_cb *cb, const char *op, const struct cbk_cb_call *call,
                 struct cbk_cb_result *res)
{
    memset(res, 0, sizeof(*res));
    res->answered_by = "generated";
    struct cbk_cb_call c = *call; /* its document may be parsed here */
    /* The model keeps ids, names and tokens as C strings: a NUL would cut them short and the
     * answer would name another build. Such requests are refused, naming the member. */
    struct cbk_buf ptr = CBK_BUF_INIT(1 << 16);
    if (body_has_nul(c.body, c.body_len) && model_nul(call_doc(&c), &ptr)) {
        res->answered_by = "state";
        result_error(res, "InvalidInputException",
                     "Value at '%.200s' contains a NUL character (\\u0000), which cbkit's "
                     "CodeBuild model does not accept",
                     cbk_buf_str(&ptr));
    } else if (strcmp(op, "RetryBuild") == 0)
        retry_build(cb, &c, res);
    else if (strcmp(op, "StopBuild") == 0)
        stop_build(cb, &c, res);
    else if (strcmp(op, "StartBuildBatch") == 0)
        start_build_batch(cb, &c, res);
    else
        result_error(res, "InternalFailure", "operation %s is not modelled", op);
    cbk_buf_release(&ptr);
    if (c.req && c.req != call->req)
        json_object_put(c.req);
}

/* ---- seeding and dumping ------------------------------------------------------------------ */

static int index_of(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

int cbk_cb_seed_build(struct cbk_cb *cb, const struct cbk_cb_seed_build *sb, struct cbk_rng *rng,
                      int64_t now_ms, const char **err)
{
    char project[256];
    const char *bare = NULL;
    char idbuf[512];
    if (sb->id) {
        if (!parse_build_id(sb->id, project, sizeof project, &bare)) {
            *err = "a build id looks like 'project:uuid'";
            return -1;
        }
        if (sb->project && strcmp(sb->project, project) != 0) {
            *err = "the build id's project differs from 'project'";
            return -1;
        }
    } else {
        if (!sb->project || !*sb->project) {
            *err = "a seeded build needs an 'id' or a 'project'";
            return -1;
        }
        snprintf(project, sizeof project, "%s", sb->project);
        char uuid[37];
        new_uuid(rng, uuid);
        snprintf(idbuf, sizeof idbuf, "%s:%s", project, uuid);
        bare = idbuf;
    }
    int status = ST_IN_PROGRESS;
    if (sb->status) {
        status = index_of(status_names, CBK_ARRAY_SIZE(status_names), sb->status);
        if (status < 0) {
            *err = "unknown build status (expected SUCCEEDED, FAILED, FAULT, TIMED_OUT, "
                   "IN_PROGRESS or STOPPED)";
            return -1;
        }
    }
    int phase = PH_BUILD; /* running builds are building; failed ones failed there */
    if (sb->phase) {
        phase = index_of(phase_names, CBK_ARRAY_SIZE(phase_names), sb->phase);
        if (phase < 0) {
            *err = "unknown build phase";
            return -1;
        }
        if (status == ST_IN_PROGRESS && phase == PH_COMPLETED) {
            *err = "a build IN_PROGRESS cannot be in phase COMPLETED";
            return -1;
        }
    }
    if (status == ST_SUCCEEDED)
        phase = PH_FINALIZING;
    struct item *it = item_alloc(bare, strlen(bare));
    it->status = status;
    it->seed = cbk_rng_next(rng);
    it->start_ms = sb->start_ms ? sb->start_ms : now_ms;
    it->source_version = sb->source_version ? cbk_xstrdup(sb->source_version) : NULL;
    it->initiator = sb->initiator ? cbk_xstrdup(sb->initiator) : NULL;
    int64_t d[PH_COUNT];
    phase_durations(it->seed, d);
    if (status == ST_IN_PROGRESS) {
        it->phase = phase;
    } else {
        it->end_phase = phase == PH_COMPLETED ? PH_FINALIZING : phase;
        it->phase = PH_COMPLETED;
        int64_t t = it->start_ms;
        for (int i = 0; i <= it->end_phase && i < PH_COMPLETED; i++)
            t += d[i];
        it->end_ms = t;
    }
    pthread_mutex_lock(&cb->mu);
    it->project = project_name(cb, project);
    struct project *p = project_get(cb, project);
    if (sb->number > 0) {
        it->number = sb->number;
        if (p->builds < sb->number)
            p->builds = sb->number;
    } else {
        it->number = ++p->builds;
    }
    it->config = default_build_config(cb, project);
    store(cb, it);
    pthread_mutex_unlock(&cb->mu);
    return 0;
}

struct dump_ctx {
    struct cbk_cb *cb;
    struct cbk_jsonw *w;
};

static void dump_project(const char *key, size_t klen, void *value, void *arg)
{
    CBK_UNUSED(klen);
    CBK_UNUSED(value);
    struct dump_ctx *d = arg;
    cbk_jsonw_str(d->w, key);
}

void cbk_cb_dump(struct cbk_cb *cb, int64_t now_ms, struct cbk_buf *out)
{
    CBK_UNUSED(now_ms);
    pthread_mutex_lock(&cb->mu);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "builds");
    cbk_jsonw_arr(&w);
    for (struct item *it = cb->oldest; it; it = it->newer)
        if (!it->batch)
            render_build(cb, it, &w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "buildBatches");
    cbk_jsonw_arr(&w);
    for (struct item *it = cb->oldest; it; it = it->newer)
        if (it->batch)
            render_batch(cb, it, &w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "projects");
    cbk_jsonw_arr(&w);
    struct dump_ctx d = {cb, &w};
    cbk_hmap_each(&cb->projects, dump_project, &d);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    pthread_mutex_unlock(&cb->mu);
}
