/*
 * service.c - CodeBuild's behaviour as the mock engine sees it (cbkit/service.h): one world of
 * projects, builds and batches per account (services/codebuild/store.c), the scenario keys
 * CodeBuild owns (projects and builds that exist when a scenario loads, outcomes that decide
 * how builds end), the admin state, reset and outcome route. The engine calls only the
 * functions of cbk_service_codebuild.
 */
#include "core/setup.h"
#include "services/codebuild/service.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hmap.h"
#include "core/jsonq.h"
#include "core/jsonw.h"
#include "core/rand.h"
#include "core/timefmt.h"
#include "core/yaml.h"
#include "services/codebuild/store.h"

#include <ctype.h>
#include <json-c/json.h>
#include <pthread.h>

#define TARGET_PREFIX "CodeBuild_20161006"
/*
 * The largest buildNumber of a seeded build: 2^53 - 1, the largest integer every JSON reader
 * holds exactly. Later builds of the project are numbered one higher than the highest so far,
 * which overflowed an int64_t after INT64_MAX (regression input:
 * fuzz/corpus/fuzz_scenario/regress-build-number-max).
 */
#define BUILD_NUMBER_MAX ((INT64_C(1) << 53) - 1)
/* Accounts a mock keeps state for: beyond this the oldest-made is forgotten (bounded memory). */
#define MAX_ACCOUNTS 1024
/* A default build's length under the real clock: short, so that CI waits are short. */
#define REAL_CLOCK_BUILD_MS 3000

/* The scenario keys CodeBuild owns, in the order of CB_KEY_* (service.h). */
static const char *const scenario_keys[] = {"projects", "builds", "outcomes", NULL};

/* ---- scenario keys ----------------------------------------------------------------------------
 */

/* Parsing state: the checker and the dotted path of the node being read. */
struct pctx {
    const struct cbk_ycheck *ck;
    struct cbk_buf path;
};

static const char *P(struct pctx *c)
{
    return cbk_buf_str(&c->path);
}

static int str_at(struct pctx *c, const struct cbk_ynode *map, const char *key, char **out)
{
    const struct cbk_ynode *v = cbk_y_get(map, key);
    if (!v)
        return 0;
    size_t m = cbk_ypath_push(&c->path, key);
    const char *s = NULL;
    int rc = cbk_y_str(c->ck, v, P(c), &s);
    if (rc == 0) {
        free(*out);
        *out = cbk_xstrndup(s, v->len);
    }
    cbk_ypath_pop(&c->path, m);
    return rc;
}

static void free_projects(struct cb_projects_value *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->names[i]);
    free(p->names);
    free(p);
}

static void free_builds(struct cb_builds_value *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct cbk_cb_seed_build *sb = &b->v[i];
        free((char *)sb->id);
        free((char *)sb->project);
        free((char *)sb->status);
        free((char *)sb->phase);
        free((char *)sb->source_version);
        free((char *)sb->initiator);
    }
    free(b->v);
    free(b);
}

static struct cb_projects_value *parse_projects(struct pctx *c, const struct cbk_ynode *v)
{
    if (cbk_y_expect(c->ck, v, CBK_Y_SEQ, P(c)) != 0)
        return NULL;
    struct cb_projects_value *p = cbk_xcalloc(1, sizeof(*p));
    p->names = cbk_xcalloc(v->n ? v->n : 1, sizeof(char *));
    int rc = 0;
    for (size_t i = 0; i < v->n; i++) {
        size_t m = cbk_ypath_push_index(&c->path, i);
        const char *s;
        if (cbk_y_str(c->ck, v->items[i], P(c), &s) == 0)
            p->names[p->n++] = cbk_xstrndup(s, v->items[i]->len);
        else
            rc = -1;
        cbk_ypath_pop(&c->path, m);
    }
    if (rc) {
        free_projects(p);
        return NULL;
    }
    return p;
}

static const char *const build_keys[] = {"id",        "project",     "status",        "phase",
                                         "startTime", "buildNumber", "sourceVersion", "initiator",
                                         NULL};
static const char *const statuses[] = {"SUCCEEDED", "FAILED",      "FAULT",
                                       "TIMED_OUT", "IN_PROGRESS", "STOPPED"};
static const char *const phases[] = {
    "SUBMITTED", "QUEUED",     "PROVISIONING",     "DOWNLOAD_SOURCE", "INSTALL",  "PRE_BUILD",
    "BUILD",     "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING",      "COMPLETED"};

static bool in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* startTime: an ISO 8601 UTC time or epoch seconds. */
static int start_time(struct pctx *c, const struct cbk_ynode *st, int64_t *out)
{
    size_t mk = cbk_ypath_push(&c->path, "startTime");
    int64_t t;
    double d;
    int rc = 0;
    /* a number is tried quietly: one message for a bad startTime, not two */
    struct cbk_diags quiet = CBK_DIAGS_INIT;
    struct cbk_ycheck qck = *c->ck;
    qck.diags = &quiet;
    if (st->kind == CBK_Y_SCALAR && cbk_parse_iso8601_ms(st->str, &t) == 0)
        *out = t;
    /* epoch seconds within the years ISO 8601 names (0..CBK_TIME_MAX_MS): a larger number does
     * not fit an int64_t in milliseconds, a conversion with undefined behaviour
     * (fuzz/corpus/fuzz_scenario/regress-start-time-huge) */
    else if (st->kind == CBK_Y_SCALAR && st->plain && cbk_y_double(&qck, st, P(c), &d) == 0 &&
             d > 0 && d * 1000.0 <= (double)CBK_TIME_MAX_MS)
        *out = (int64_t)(d * 1000.0);
    else
        rc = cbk_y_error(c->ck, st, P(c),
                         "startTime is an ISO 8601 UTC time (2026-01-01T10:00:00Z) or epoch "
                         "seconds");
    cbk_diags_release(&quiet);
    cbk_ypath_pop(&c->path, mk);
    return rc;
}

static int parse_build(struct pctx *c, const struct cbk_ynode *b, struct cbk_cb_seed_build *sb)
{
    if (cbk_y_expect(c->ck, b, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(c->ck, b, P(c), build_keys);
    char *id = NULL, *project = NULL, *status = NULL, *phase = NULL, *sv = NULL, *init = NULL;
    rc |= str_at(c, b, "id", &id);
    rc |= str_at(c, b, "project", &project);
    rc |= str_at(c, b, "status", &status);
    rc |= str_at(c, b, "phase", &phase);
    rc |= str_at(c, b, "sourceVersion", &sv);
    rc |= str_at(c, b, "initiator", &init);
    sb->id = id;
    sb->project = project;
    sb->status = status;
    sb->phase = phase;
    sb->source_version = sv;
    sb->initiator = init;
    if (!id && !project)
        rc = cbk_y_error(c->ck, b, P(c), "a build needs an 'id' or a 'project'");
    if (id && (!strchr(id, ':') || id[0] == ':' || id[strlen(id) - 1] == ':'))
        rc = cbk_y_error(c->ck, cbk_y_get(b, "id"), P(c),
                         "a build id looks like 'project:uuid', not '%s'", id);
    if (id && project && (strncmp(id, project, strlen(project)) != 0 || id[strlen(project)] != ':'))
        rc = cbk_y_error(c->ck, cbk_y_get(b, "project"), P(c),
                         "the id '%s' belongs to another project than '%s'", id, project);
    if (status && !in_list(statuses, CBK_ARRAY_SIZE(statuses), status))
        rc = cbk_y_error(c->ck, cbk_y_get(b, "status"), P(c),
                         "unknown build status '%s' (expected SUCCEEDED, FAILED, FAULT, "
                         "TIMED_OUT, IN_PROGRESS or STOPPED)",
                         status);
    if (phase && !in_list(phases, CBK_ARRAY_SIZE(phases), phase))
        rc = cbk_y_error(c->ck, cbk_y_get(b, "phase"), P(c), "unknown build phase '%s'", phase);
    if (phase && !strcmp(phase, "COMPLETED") && (!status || !strcmp(status, "IN_PROGRESS")))
        rc = cbk_y_error(c->ck, cbk_y_get(b, "phase"), P(c),
                         "a build in phase COMPLETED needs a final status");
    const struct cbk_ynode *st = cbk_y_get(b, "startTime");
    if (st)
        rc |= start_time(c, st, &sb->start_ms);
    const struct cbk_ynode *nv = cbk_y_get(b, "buildNumber");
    if (nv) {
        size_t m = cbk_ypath_push(&c->path, "buildNumber");
        int64_t num = 0;
        if (cbk_y_int(c->ck, nv, P(c), 1, BUILD_NUMBER_MAX, &num) == 0)
            sb->number = num;
        else
            rc = -1;
        cbk_ypath_pop(&c->path, m);
    }
    return rc;
}

static struct cb_builds_value *parse_builds(struct pctx *c, const struct cbk_ynode *v)
{
    if (cbk_y_expect(c->ck, v, CBK_Y_SEQ, P(c)) != 0)
        return NULL;
    struct cb_builds_value *bv = cbk_xcalloc(1, sizeof(*bv));
    bv->v = cbk_xcalloc(v->n ? v->n : 1, sizeof(*bv->v));
    int rc = 0;
    for (size_t i = 0; i < v->n; i++) {
        size_t m = cbk_ypath_push_index(&c->path, i);
        rc |= parse_build(c, v->items[i], &bv->v[bv->n++]);
        cbk_ypath_pop(&c->path, m);
    }
    if (rc) {
        free_builds(bv);
        return NULL;
    }
    return bv;
}

static bool serves_codebuild(const struct cbk_spec *const *specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cbk_spec_metadata(specs[i])->target_prefix, TARGET_PREFIX) == 0)
            return true;
    return false;
}

static void *scenario_parse(const char *key, const struct cbk_ynode *node,
                            const struct cbk_ycheck *ck, const struct cbk_spec *const *specs,
                            size_t nspecs)
{
    struct pctx c = {ck, CBK_BUF_INIT(1 << 16)};
    cbk_ypath_push(&c.path, key);
    void *out = NULL;
    if (!serves_codebuild(specs, nspecs)) {
        cbk_y_error(ck, node, P(&c), "%s can be seeded only with the CodeBuild spec", key);
    } else if (strcmp(key, "projects") == 0) {
        out = parse_projects(&c, node);
    } else if (strcmp(key, "builds") == 0) {
        out = parse_builds(&c, node);
    } else if (strcmp(key, "outcomes") == 0) {
        out = cb_outcomes_parse(node, ck, &c.path);
    }
    cbk_buf_release(&c.path);
    return out;
}

static void scenario_free(const char *key, void *value)
{
    if (!value)
        return;
    if (strcmp(key, "projects") == 0)
        free_projects(value);
    else if (strcmp(key, "builds") == 0)
        free_builds(value);
    else if (strcmp(key, "outcomes") == 0)
        cb_outcomes_free(value);
}

/* ---- the instance: a store per account ---------------------------------------------------- */

/* A scenario's seeds, kept while it is loaded so that a reset can seed them again. */
struct seeds {
    uint64_t id;
    const struct cb_projects_value *projects; /* the scenario's (borrowed) */
    const struct cb_builds_value *builds;
    const struct cb_outcomes *outcomes;
    uint64_t seed;
    struct seeds *next;
};

struct cbk_svc {
    char *region, *account;
    size_t cap;
    int64_t build_ms; /* a default build's length (0: realistic) */
    /* Stores are used outside 'mu' (a request works on its account's store under that store's
     * own lock): 'life' is held for reading while one is, and for writing by whatever frees
     * stores (a reset, forgetting the least recently used account when there are too many,
     * seeding that may do that). Lock order: life, then mu, then rules_mu. */
    pthread_rwlock_t life;
    pthread_mutex_t mu;       /* the accounts map and the seeds list */
    struct cbk_hmap accounts; /* account id -> struct account (inline) */
    size_t naccounts;
    uint64_t tick;       /* stamps an account's 'used' at each lookup */
    struct seeds *seeds; /* in load order */
    /* the outcome rules of the loaded scenarios: read while a request starts builds, written
     * when a scenario is loaded or unloaded (its rules are freed only after) */
    pthread_rwlock_t rules_mu;
    const struct cb_outcomes **rules;
    struct cb_outcome_set active;
};

/* An account's entry in the map: its store, and when it was last looked up. */
struct account {
    struct cbk_cb *cb;
    uint64_t used;
};

static void free_store(void *p)
{
    struct account *a = p;
    cbk_cb_free(a->cb);
}

static struct cbk_svc *create(const struct cbk_svc_env *env, struct cbk_diags *diags)
{
    CBK_UNUSED(diags);
    struct cbk_svc *s = cbk_xcalloc(1, sizeof(*s));
    s->region = cbk_xstrdup(env->region);
    s->account = cbk_xstrdup(env->account);
    s->cap = env->state_cap;
    /* --build-duration: given; else a few seconds under the real clock (CI waits are short),
     * realistic under a virtual clock (the test moves time); -1: realistic */
    s->build_ms = env->build_duration_ms > 0    ? env->build_duration_ms
                  : env->build_duration_ms == 0 ? (env->virtual_clock ? 0 : REAL_CLOCK_BUILD_MS)
                                                : 0;
    pthread_rwlock_init(&s->life, NULL);
    pthread_mutex_init(&s->mu, NULL);
    pthread_rwlock_init(&s->rules_mu, NULL);
    cbk_hmap_init(&s->accounts);
    return s;
}

static void destroy(struct cbk_svc *s)
{
    if (!s)
        return;
    cbk_hmap_release(&s->accounts, free_store);
    while (s->seeds) {
        struct seeds *n = s->seeds->next;
        free(s->seeds);
        s->seeds = n;
    }
    pthread_mutex_destroy(&s->mu);
    pthread_rwlock_destroy(&s->rules_mu);
    pthread_rwlock_destroy(&s->life);
    free(s->rules);
    free(s->region);
    free(s->account);
    free(s);
}

/* Forget every account's store. Called with s->life held for writing and s->mu held. */
static void forget_all_locked(struct cbk_svc *s)
{
    cbk_hmap_release(&s->accounts, free_store);
    cbk_hmap_init(&s->accounts);
    s->naccounts = 0;
}

/* The store of 'account', made on first use, stamped as used now; NULL when it is new and the
 * map is full (nothing is freed here). Called with s->mu held. */
static struct cbk_cb *store_find_or_add(struct cbk_svc *s, const char *account)
{
    size_t len = strlen(account);
    struct account *a = cbk_hmap_get(&s->accounts, account, len);
    if (!a && s->naccounts < MAX_ACCOUNTS) {
        a = cbk_hmap_put_inline(&s->accounts, account, len, sizeof(*a));
        a->cb = cbk_cb_new(s->region, account, s->cap, s->build_ms);
        s->naccounts++;
    }
    if (!a)
        return NULL;
    a->used = ++s->tick;
    return a->cb;
}

struct lru {
    const char *keep; /* the default account: never forgotten */
    size_t keep_len;
    const char *oldest;
    size_t oldest_len;
    uint64_t used;
};

static void lru_one(const char *key, size_t klen, void *value, void *arg)
{
    struct lru *l = arg;
    const struct account *a = value;
    if ((klen != l->keep_len || memcmp(key, l->keep, klen) != 0) &&
        (!l->oldest || a->used < l->used)) {
        l->oldest = key;
        l->oldest_len = klen;
        l->used = a->used;
    }
}

/*
 * Make room for a new account: forget the one used least recently, never the default one
 * (--account, which holds what scenarios seed). Bounded, as a mock is not a database
 * (docs/mock.md says so); the tests of other accounts in use go on. Called with s->life held
 * for writing (no store in use) and s->mu held.
 */
static void forget_oldest_locked(struct cbk_svc *s)
{
    struct lru l = {s->account, strlen(s->account), NULL, 0, 0};
    cbk_hmap_each(&s->accounts, lru_one, &l);
    if (!l.oldest)
        return; /* only the default account: the map is not full */
    struct cbk_cb *cb = ((struct account *)cbk_hmap_get(&s->accounts, l.oldest, l.oldest_len))->cb;
    cbk_hmap_del(&s->accounts, l.oldest, l.oldest_len); /* the entry and its key are gone */
    cbk_cb_free(cb);
    s->naccounts--;
}

/* The store of 'account', made on first use (making room when the map is full). Called with
 * s->life held for writing and s->mu held. */
static struct cbk_cb *store_locked(struct cbk_svc *s, const char *account)
{
    struct cbk_cb *cb = store_find_or_add(s, account);
    if (!cb) {
        forget_oldest_locked(s);
        cb = store_find_or_add(s, account);
    }
    return cb;
}

/*
 * The store of 'account' for use outside s->mu: returned with s->life held for reading, so
 * that nothing frees it until store_release(). Never fails.
 */
static struct cbk_cb *store_acquire(struct cbk_svc *s, const char *account)
{
    for (;;) {
        pthread_rwlock_rdlock(&s->life);
        pthread_mutex_lock(&s->mu);
        struct cbk_cb *cb = store_find_or_add(s, account);
        pthread_mutex_unlock(&s->mu);
        if (cb)
            return cb;
        /* a new account and the map is full: make room, with no store in use */
        pthread_rwlock_unlock(&s->life);
        pthread_rwlock_wrlock(&s->life);
        pthread_mutex_lock(&s->mu);
        if (!store_find_or_add(s, account))
            forget_oldest_locked(s);
        pthread_mutex_unlock(&s->mu);
        pthread_rwlock_unlock(&s->life);
    }
}

static void store_release(struct cbk_svc *s)
{
    pthread_rwlock_unlock(&s->life);
}

/* Seed a scenario's projects and builds into the default account. Called with s->life held
 * for writing and s->mu held. */
static void seed_locked(struct cbk_svc *s, const struct seeds *sd, int64_t now_ms,
                        struct cbk_diags *diags)
{
    struct cbk_cb *cb = store_locked(s, s->account);
    if (sd->projects)
        for (size_t i = 0; i < sd->projects->n; i++)
            cbk_cb_seed_project(cb, sd->projects->names[i], now_ms);
    if (!sd->builds)
        return;
    struct cbk_rng rng;
    cbk_rng_seed(&rng, cbk_mix64(sd->seed ^ 0xb1d5));
    for (size_t i = 0; i < sd->builds->n; i++) {
        const char *err = NULL;
        if (cbk_cb_seed_build(cb, &sd->builds->v[i], &rng, now_ms, &err) != 0 && diags)
            cbk_diags_addf(diags, CBK_E_SCENARIO, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                           "builds[%zu]: %s", i, err);
    }
}

/* Gather the loaded scenarios' outcome rules into the active set. Called with s->mu held. */
static void rebuild_rules(struct cbk_svc *s)
{
    pthread_rwlock_wrlock(&s->rules_mu);
    size_t n = 0;
    for (struct seeds *sd = s->seeds; sd; sd = sd->next)
        n += sd->outcomes != NULL;
    free(s->rules);
    s->rules = cbk_xcalloc(n ? n : 1, sizeof(*s->rules));
    s->active.n = 0;
    s->active.uses_env = false;
    for (struct seeds *sd = s->seeds; sd; sd = sd->next)
        if (sd->outcomes) {
            s->rules[s->active.n++] = sd->outcomes;
            s->active.uses_env = s->active.uses_env || sd->outcomes->uses_env;
        }
    s->active.v = s->rules;
    pthread_rwlock_unlock(&s->rules_mu);
}

static enum cbk_code scenario_attach(struct cbk_svc *s, uint64_t id, void *const *values,
                                     int64_t now_ms, uint64_t seed, struct cbk_diags *diags)
{
    struct seeds *sd = cbk_xcalloc(1, sizeof(*sd));
    sd->id = id;
    sd->projects = values[CB_KEY_PROJECTS];
    sd->builds = values[CB_KEY_BUILDS];
    sd->outcomes = values[CB_KEY_OUTCOMES];
    sd->seed = seed;
    size_t before = cbk_diags_error_count(diags);
    pthread_rwlock_wrlock(&s->life);
    pthread_mutex_lock(&s->mu);
    struct seeds **pp = &s->seeds;
    while (*pp)
        pp = &(*pp)->next;
    *pp = sd;
    seed_locked(s, sd, now_ms, diags);
    rebuild_rules(s);
    pthread_mutex_unlock(&s->mu);
    pthread_rwlock_unlock(&s->life);
    return cbk_diags_error_count(diags) > before ? CBK_E_SCENARIO : CBK_OK;
}

static void scenario_detach(struct cbk_svc *s, uint64_t id)
{
    pthread_mutex_lock(&s->mu);
    for (struct seeds **pp = &s->seeds; *pp; pp = &(*pp)->next) {
        if ((*pp)->id == id) {
            struct seeds *old = *pp;
            *pp = old->next;
            free(old);
            break;
        }
    }
    rebuild_rules(s); /* the detached scenario's rules are not read after this */
    pthread_mutex_unlock(&s->mu);
}

static bool call(struct cbk_svc *s, const char *target, struct cbk_svc_call *c,
                 struct cbk_svc_result *res)
{
    if (strcmp(target, TARGET_PREFIX) != 0 || !cbk_cb_handles(c->op->name))
        return false;
    struct cbk_cb *cb = store_acquire(s, c->account);
    struct cbk_cb_call cc = {
        c->rng, c->now_ms, c->doc, c->out, c->body, c->body_len, (enum cbk_world)c->world, NULL};
    struct cbk_cb_result r;
    /* operations that start builds read the outcome rules, held still meanwhile */
    bool rules = cbk_cb_starts_builds(c->op->name);
    if (rules) {
        pthread_rwlock_rdlock(&s->rules_mu);
        cc.outcomes = &s->active;
    }
    cbk_cb_call(cb, c->op->name, &cc, &r);
    if (rules)
        pthread_rwlock_unlock(&s->rules_mu);
    store_release(s);
    res->status = r.status;
    res->error_type = r.error_type;
    memcpy(res->message, r.message, sizeof res->message);
    res->answered_by = r.answered_by;
    return true;
}

struct dump_ctx {
    struct cbk_buf *out;
    int64_t now_ms;
    bool first;
};

static void dump_one(const char *key, size_t klen, void *value, void *arg)
{
    struct dump_ctx *d = arg;
    if (!d->first)
        cbk_buf_addc(d->out, ',');
    d->first = false;
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, d->out);
    cbk_jsonw_strn(&w, key, klen);
    cbk_buf_addc(d->out, ':');
    cbk_cb_dump(((struct account *)value)->cb, d->now_ms, d->out);
}

static void dump(struct cbk_svc *s, const char *account, int64_t now_ms, struct cbk_buf *out)
{
    if (account) {
        cbk_cb_dump(store_acquire(s, account), now_ms, out);
        store_release(s);
        return;
    }
    /* {"accounts":{"123456789012":{...},...}}; no store is freed while 'mu' is held */
    pthread_mutex_lock(&s->mu);
    cbk_buf_adds(out, "{\"accounts\":{");
    struct dump_ctx d = {out, now_ms, true};
    cbk_hmap_each(&s->accounts, dump_one, &d);
    cbk_buf_adds(out, "}}");
    pthread_mutex_unlock(&s->mu);
}

static void reset(struct cbk_svc *s, const char *account, int64_t now_ms)
{
    pthread_rwlock_wrlock(&s->life);
    pthread_mutex_lock(&s->mu);
    if (account)
        cbk_cb_reset(store_locked(s, account));
    else
        forget_all_locked(s);
    /* the loaded scenarios' projects and builds exist again */
    if (!account || strcmp(account, s->account) == 0)
        for (struct seeds *sd = s->seeds; sd; sd = sd->next)
            seed_locked(s, sd, now_ms, NULL);
    pthread_mutex_unlock(&s->mu);
    pthread_rwlock_unlock(&s->life);
}

/* Decode %XX escapes of a path segment into out[n] (a build id's ':' may come as %3A). */
static bool unescape(const char *s, size_t len, char *out, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '%' && i + 2 < len && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            ch = (char)strtol(hex, NULL, 16);
            i += 2;
        }
        if (ch == '\0' || k + 1 >= n)
            return false;
        out[k++] = ch;
    }
    out[k] = '\0';
    return k > 0;
}

static void admin_json_error(struct cbk_svc_admin *a, int status, const char *msg)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, a->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "error", msg);
    cbk_jsonw_end_obj(&w);
    a->status = status;
}

/*
 * POST /__cbkit/codebuild/builds/ID/outcome {"status": "FAILED", "phase": "BUILD",
 * "statusCode": "...", "message": "..."}: how a running build of ?account= ends
 * (docs/admin-api.md).
 */
static bool admin(struct cbk_svc *s, struct cbk_svc_admin *a)
{
    static const char prefix[] = "codebuild/builds/", suffix[] = "/outcome";
    const char *route = a->route;
    size_t rl = strlen(route), pl = sizeof prefix - 1, sl = sizeof suffix - 1;
    if (strncmp(route, prefix, pl) != 0 || rl <= pl + sl || strcmp(route + rl - sl, suffix) != 0)
        return false;
    if (strcmp(a->req->method, "POST") != 0) {
        admin_json_error(a, 405, "use POST for /__cbkit/codebuild/builds/ID/outcome");
        return true;
    }
    char id[1024];
    if (!unescape(route + pl, rl - pl - sl, id, sizeof id)) {
        admin_json_error(a, 400, "the route names no build id");
        return true;
    }
    struct json_object *body =
        a->req->body_len ? cbk_jsonq_parse(a->req->body, a->req->body_len) : NULL;
    if (!body || !json_object_is_type(body, json_type_object)) {
        if (body)
            json_object_put(body);
        admin_json_error(a, 400,
                         "the body is a JSON object: {\"status\": \"FAILED\", \"phase\": "
                         "\"BUILD\", \"statusCode\": \"...\", \"message\": \"...\"}");
        return true;
    }
    struct json_object *v;
    const char *status =
        json_object_object_get_ex(body, "status", &v) && json_object_is_type(v, json_type_string)
            ? json_object_get_string(v)
            : NULL;
    const char *phase =
        json_object_object_get_ex(body, "phase", &v) && json_object_is_type(v, json_type_string)
            ? json_object_get_string(v)
            : NULL;
    const char *code = json_object_object_get_ex(body, "statusCode", &v) &&
                               json_object_is_type(v, json_type_string)
                           ? json_object_get_string(v)
                           : NULL;
    const char *msg =
        json_object_object_get_ex(body, "message", &v) && json_object_is_type(v, json_type_string)
            ? json_object_get_string(v)
            : NULL;
    /* output: a list of lines or one string of lines, as a scenario's */
    struct cbk_buf outb = CBK_BUF_INIT((size_t)(CB_OUTPUT_MAX_LINE + 1) * CB_OUTPUT_MAX_LINES);
    size_t nout = 0;
    char why[160] = "";
    bool has_output = json_object_object_get_ex(body, "output", &v);
    if (has_output && json_object_is_type(v, json_type_string)) {
        cb_output_add(&outb, &nout, json_object_get_string(v),
                      (size_t)json_object_get_string_len(v), why, sizeof why);
    } else if (has_output && json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v) && !*why; i++) {
            struct json_object *line = json_object_array_get_idx(v, i);
            size_t len = line ? (size_t)json_object_get_string_len(line) : 0;
            if (!line || !json_object_is_type(line, json_type_string))
                snprintf(why, sizeof why, "output[%zu] is not a string", i);
            else
                cb_output_add(&outb, &nout, len ? json_object_get_string(line) : "\n",
                              len ? len : 1, why, sizeof why);
        }
    } else if (has_output) {
        snprintf(why, sizeof why, "output is a list of lines or a string");
    }
    int st = status ? cb_status_from_name(status) : -1;
    int ph = phase ? cb_phase_from_name(phase) : -1;
    int lo = st == CB_ST_TIMED_OUT ? CB_PH_QUEUED : CB_PH_PROVISIONING;
    if (*why)
        admin_json_error(a, 400, why);
    else if (st != CB_ST_SUCCEEDED && st != CB_ST_FAILED && st != CB_ST_FAULT &&
             st != CB_ST_TIMED_OUT)
        admin_json_error(a, 400, "status is SUCCEEDED, FAILED, FAULT or TIMED_OUT");
    else if (phase && (ph < lo || ph > CB_PH_UPLOAD_ARTIFACTS || st == CB_ST_SUCCEEDED))
        admin_json_error(a, 400,
                         "phase is where a FAILED, FAULT or TIMED_OUT build ends: PROVISIONING "
                         "to UPLOAD_ARTIFACTS (QUEUED too for TIMED_OUT)");
    else {
        a->status = cbk_cb_set_outcome(store_acquire(s, a->account), id, st, ph, code, msg,
                                       nout ? (outb.ptr ? outb.ptr : "") : NULL, outb.len,
                                       a->now_ms, a->out);
        store_release(s);
    }
    cbk_buf_release(&outb);
    json_object_put(body);
    return true;
}

/* The build logs of 'account' (cbk_cb_logs_read()); an account never used has none. s->life
 * is held for reading meanwhile, so that no reset frees the world being read. */
static bool logs_read(struct cbk_svc *s, const char *account, const char *group, const char *stream,
                      int64_t now_ms, const struct cbk_svc_log_sink *sink)
{
    pthread_rwlock_rdlock(&s->life);
    pthread_mutex_lock(&s->mu);
    struct account *a = cbk_hmap_get(&s->accounts, account, strlen(account));
    struct cbk_cb *cb = NULL;
    if (a) { /* a client tailing a build's log is using its account */
        a->used = ++s->tick;
        cb = a->cb;
    }
    pthread_mutex_unlock(&s->mu);
    bool found = cb && cbk_cb_logs_read(cb, group, stream, now_ms, sink);
    pthread_rwlock_unlock(&s->life);
    return found;
}

static const char *const targets[] = {TARGET_PREFIX, NULL};

const struct cbk_service cbk_service_codebuild = {
    .name = "codebuild",
    .targets = targets,
    .scenario_keys = scenario_keys,
    .create = create,
    .destroy = destroy,
    .call = call,
    .dump = dump,
    .reset = reset,
    .admin = admin,
    .logs_read = logs_read,
    .scenario_parse = scenario_parse,
    .scenario_free = scenario_free,
    .scenario_attach = scenario_attach,
    .scenario_detach = scenario_detach,
};
