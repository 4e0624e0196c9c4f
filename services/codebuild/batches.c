/*
 * batches.c - build batches (see world.h): StartBuildBatch, BatchGetBuildBatches,
 * StopBuildBatch, RetryBuildBatch, DeleteBuildBatch, ListBuildBatches and
 * ListBuildBatchesForProject.
 *
 * A batch runs build groups, read from the batch section of the buildspec override (a
 * build-list or build-graph: identifier, depend-on, ignore-failure, env variables), two
 * independent builds when there is none. Each group's build is a real build (BatchGetBuilds
 * sees it, with buildBatchArn) made when the batch starts, with its plan; it exists for clients
 * from its start on: once the batch spec is downloaded, or once the builds it depends on have
 * succeeded (never, when one of them failed). Like a build, a batch is computed from its
 * builds and the clock when it is read. Changes to a build that others wait for (a stop, the
 * admin API) move their starts; StopBuildBatch stops the running builds and cancels the rest;
 * RetryBuildBatch gives new builds to the failed groups (or to all), the old ones moving to
 * priorBuildSummaryList.
 */
#include "core/setup.h"
#include "services/codebuild/world.h"
#include "core/alloc.h"
#include "core/yaml.h"

/* A start time that never comes: the build never runs. */
#define NEVER (INT64_MAX / 4)
/* Groups a batch may have (the default restrictions.maximumBuildsAllowed). */
#define MAX_GROUPS 100
/* The far future, where every plan has ended. */
#define FAR (INT64_MAX / 8)

struct group {
    char *identifier;
    char **depends; /* identifiers */
    size_t ndepends;
    size_t *dep_index; /* the groups depended on */
    bool ignore_failure;
    char *vars;    /* the group's environment variables as a JSON array (or NULL) */
    char *current; /* its build's id (NULL: none yet) */
    char **prior;  /* earlier builds' ids, oldest first */
    size_t nprior;
};

struct batch {
    struct group *g;
    size_t n;
    size_t *order;               /* the groups in an order where dependencies come first */
    int64_t spec_end;            /* when DOWNLOAD_BATCHSPEC ends */
    int64_t run_from;            /* builds start no earlier (the spec's end, or a retry) */
    int64_t stop_ms;             /* -1: not stopped */
    struct json_object *request; /* the StartBuildBatch request (for the builds of retries) */
};

void cb_batch_free(struct batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        struct group *g = &b->g[i];
        free(g->identifier);
        for (size_t k = 0; k < g->ndepends; k++)
            free(g->depends[k]);
        free(g->depends);
        free(g->dep_index);
        free(g->vars);
        free(g->current);
        for (size_t k = 0; k < g->nprior; k++)
            free(g->prior[k]);
        free(g->prior);
    }
    free(b->g);
    free(b->order);
    if (b->request)
        json_object_put(b->request);
    free(b);
}

/* ---- the groups, from the buildspec ------------------------------------------------------- */

static void group_add(struct batch *b, const char *identifier)
{
    b->g = cbk_xreallocarray(b->g, b->n + 1, sizeof(*b->g));
    memset(&b->g[b->n], 0, sizeof(b->g[b->n]));
    b->g[b->n].identifier = cbk_xstrdup(identifier);
    b->n++;
}

/* The string of a YAML scalar (NULL when it is not one). */
static const char *scalar(const struct cbk_ynode *n)
{
    return n && n->kind == CBK_Y_SCALAR ? n->str : NULL;
}

/*
 * The groups of a buildspec's batch section (build-list or build-graph). Returns NULL when
 * there is none; sets *err for one that is not right.
 */
static struct batch *groups_of_buildspec(const char *spec, const char **err)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ydoc *doc = NULL;
    struct batch *b = NULL;
    if (!spec ||
        cbk_yaml_parse(spec, strlen(spec), "buildspec", 64, CBK_E_INVALID, &doc, &d) != CBK_OK ||
        !doc->root)
        goto out;
    const struct cbk_ynode *batch = cbk_y_get(doc->root, "batch");
    const struct cbk_ynode *list = cbk_y_get(batch, "build-list");
    if (!list)
        list = cbk_y_get(batch, "build-graph");
    if (!list || list->kind != CBK_Y_SEQ)
        goto out;
    b = cbk_xcalloc(1, sizeof(*b));
    for (size_t i = 0; i < list->n && !*err; i++) {
        const struct cbk_ynode *e = list->items[i];
        const char *id = scalar(cbk_y_get(e, "identifier"));
        if (!id || !*id ||
            strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789_") != strlen(id)) {
            *err = "every build of the batch needs an identifier of letters, digits and '_'";
            break;
        }
        if (b->n >= MAX_GROUPS) {
            *err = "the batch has more builds than the 100 its restrictions allow";
            break;
        }
        group_add(b, id);
        struct group *g = &b->g[b->n - 1];
        const struct cbk_ynode *dep = cbk_y_get(e, "depend-on");
        for (size_t k = 0; dep && dep->kind == CBK_Y_SEQ && k < dep->n; k++) {
            const char *s = scalar(dep->items[k]);
            if (!s)
                continue;
            g->depends = cbk_xreallocarray(g->depends, g->ndepends + 1, sizeof(char *));
            g->depends[g->ndepends++] = cbk_xstrdup(s);
        }
        const char *ign = scalar(cbk_y_get(e, "ignore-failure"));
        g->ignore_failure = ign && strcmp(ign, "true") == 0;
        const struct cbk_ynode *vars = cbk_y_get(cbk_y_get(e, "env"), "variables");
        if (vars && vars->kind == CBK_Y_MAP && vars->n) {
            struct cbk_buf vb = CBK_BUF_INIT(1 << 20);
            struct cbk_jsonw w;
            cbk_jsonw_init(&w, &vb);
            cbk_jsonw_arr(&w);
            for (size_t k = 0; k < vars->n; k++) {
                if (!scalar(vars->items[k]))
                    continue;
                cbk_jsonw_obj(&w);
                cbk_jsonw_kstr(&w, "name", vars->keys[k]->str);
                cbk_jsonw_kstr(&w, "value", vars->items[k]->str);
                cbk_jsonw_kstr(&w, "type", "PLAINTEXT");
                cbk_jsonw_end_obj(&w);
            }
            cbk_jsonw_end_arr(&w);
            g->vars = cbk_xstrndup(vb.ptr, vb.len);
            cbk_buf_release(&vb);
        }
    }
out:
    cbk_ydoc_free(doc);
    cbk_diags_release(&d);
    if (b && !*err && b->n == 0)
        *err = "the batch section of the buildspec lists no build";
    return b;
}

/* Resolve depend-on and order the groups so that dependencies come first (Kahn). */
static const char *order_groups(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        for (size_t k = i + 1; k < b->n; k++)
            if (strcmp(b->g[i].identifier, b->g[k].identifier) == 0)
                return "two builds of the batch have the same identifier";
    size_t *indeg = cbk_xcalloc(b->n, sizeof(size_t));
    for (size_t i = 0; i < b->n; i++) {
        struct group *g = &b->g[i];
        g->dep_index = cbk_xcalloc(g->ndepends ? g->ndepends : 1, sizeof(size_t));
        for (size_t k = 0; k < g->ndepends; k++) {
            size_t j = 0;
            while (j < b->n && strcmp(b->g[j].identifier, g->depends[k]) != 0)
                j++;
            if (j == b->n) {
                free(indeg);
                return "a build of the batch depends on an identifier the batch does not have";
            }
            g->dep_index[k] = j;
            indeg[i]++;
        }
    }
    b->order = cbk_xcalloc(b->n, sizeof(size_t));
    size_t done = 0;
    bool *placed = cbk_xcalloc(b->n, sizeof(bool));
    while (done < b->n) {
        bool progress = false;
        for (size_t i = 0; i < b->n; i++) {
            if (placed[i])
                continue;
            bool ready = true;
            for (size_t k = 0; k < b->g[i].ndepends; k++)
                ready = ready && placed[b->g[i].dep_index[k]];
            if (ready) {
                placed[i] = true;
                b->order[done++] = i;
                progress = true;
            }
        }
        if (!progress)
            break;
    }
    free(placed);
    free(indeg);
    return done == b->n ? NULL : "the builds of the batch depend on each other in a cycle";
}

/* ---- time ------------------------------------------------------------------------------------ */

static struct item *batch_of(const struct cbk_cb *cb, const char *batch_arn)
{
    const char *slash = batch_arn ? strstr(batch_arn, ":build-batch/") : NULL;
    if (!slash)
        return NULL;
    const char *id = slash + strlen(":build-batch/");
    struct item *it = cb_item_find(cb, id, strlen(id));
    return it && it->batch && it->binfo ? it : NULL;
}

static struct item *group_build(const struct cbk_cb *cb, const struct group *g)
{
    if (!g->current)
        return NULL;
    struct item *it = cb_item_find(cb, g->current, strlen(g->current));
    return it && !it->batch ? it : NULL;
}

/* How a build ends if nothing changes: its status and end time. */
static void final_of(const struct cbk_cb *cb, const struct item *it, int *status, int64_t *end)
{
    struct cb_plan tmp;
    struct cb_view v;
    cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, FAR, &v);
    *status = v.status;
    *end = v.end_ms;
}

/*
 * Give the builds that have not started at 'now' their start: when the batch may run builds
 * and every build they depend on has ended well (or with ignore-failure); never, when one did
 * not, or the batch is stopped.
 */
static void schedule(struct cbk_cb *cb, struct item *bi, int64_t now)
{
    struct batch *b = bi->binfo;
    for (size_t o = 0; o < b->n; o++) {
        struct group *g = &b->g[b->order[o]];
        struct item *it = group_build(cb, g);
        if (!it || it->start_ms <= now)
            continue; /* started: its own plan says how it goes */
        int64_t start = b->run_from;
        for (size_t k = 0; k < g->ndepends && start != NEVER; k++) {
            struct group *dg = &b->g[g->dep_index[k]];
            struct item *d = group_build(cb, dg);
            if (!d) {
                start = NEVER;
                break;
            }
            int st;
            int64_t end;
            if (d->start_ms >= NEVER) {
                start = NEVER;
                break;
            }
            final_of(cb, d, &st, &end);
            if (st != CB_ST_SUCCEEDED && !dg->ignore_failure)
                start = NEVER;
            else if (end > start)
                start = end;
        }
        if (b->stop_ms >= 0)
            start = NEVER;
        it->start_ms = start;
    }
}

void cb_batch_member_changed(struct cbk_cb *cb, const struct item *it, int64_t now)
{
    struct item *bi = batch_of(cb, it->batch_arn);
    if (bi)
        schedule(cb, bi, now);
}

/* A batch at one moment. */
struct batch_view {
    bool complete;
    int status; /* CB_ST_* */
    int64_t end_ms;
};

static void batch_view_at(const struct cbk_cb *cb, const struct item *bi, int64_t now,
                          struct batch_view *v)
{
    const struct batch *b = bi->binfo;
    v->complete = now >= b->spec_end || b->stop_ms >= 0;
    v->status = CB_ST_SUCCEEDED;
    v->end_ms = b->stop_ms >= 0 ? b->stop_ms : b->spec_end;
    bool failed = false;
    for (size_t i = 0; i < b->n; i++) {
        const struct group *g = &b->g[i];
        const struct item *it = group_build(cb, g);
        if (!it)
            continue; /* forgotten (the state cap): it ended long ago */
        if (it->start_ms >= NEVER) {
            failed = failed || b->stop_ms < 0; /* blocked by a failed dependency */
            continue;
        }
        if (it->start_ms > now) {
            v->complete = false;
            continue;
        }
        struct cb_plan tmp;
        struct cb_view bv;
        cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, now, &bv);
        if (!bv.complete) {
            v->complete = false;
            continue;
        }
        if (bv.end_ms > v->end_ms)
            v->end_ms = bv.end_ms;
        if (bv.status != CB_ST_SUCCEEDED && !g->ignore_failure)
            failed = true;
    }
    if (b->stop_ms >= 0)
        v->status = CB_ST_STOPPED;
    else if (failed)
        v->status = CB_ST_FAILED;
    if (!v->complete)
        v->status = CB_ST_IN_PROGRESS;
}

/* ---- rendering ------------------------------------------------------------------------------ */

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

static void write_summary(struct cbk_cb *cb, const struct item *it, int64_t now,
                          struct cbk_jsonw *w)
{
    char arn[1024];
    snprintf(arn, sizeof arn, "arn:aws:codebuild:%s:%s:build/%s", cb->region, cb->account, it->id);
    struct cb_plan tmp;
    struct cb_view v;
    cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, now, &v);
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "arn", arn);
    cbk_jsonw_kepoch_ms(w, "requestedOn", it->start_ms);
    cbk_jsonw_kstr(w, "buildStatus", cb_status_names[v.status]);
    cbk_jsonw_end_obj(w);
}

void cb_render_batch(struct cbk_cb *cb, const struct item *it, int64_t now, struct cbk_jsonw *w)
{
    const struct batch *b = it->binfo;
    struct batch_view v;
    batch_view_at(cb, it, now, &v);
    const char *final = cb_status_names[v.status];
    char buf[1024];
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "id", it->id);
    snprintf(buf, sizeof buf, "arn:aws:codebuild:%s:%s:build-batch/%s", cb->region, cb->account,
             it->id);
    cbk_jsonw_kstr(w, "arn", buf);
    cbk_jsonw_kepoch_ms(w, "startTime", it->start_ms);
    if (v.complete)
        cbk_jsonw_kepoch_ms(w, "endTime", v.end_ms);
    bool in_spec = now < b->spec_end && b->stop_ms < 0;
    cbk_jsonw_kstr(w, "currentPhase",
                   v.complete ? final
                   : in_spec  ? "DOWNLOAD_BATCHSPEC"
                              : "IN_PROGRESS");
    cbk_jsonw_kstr(w, "buildBatchStatus", final);
    if (it->source_version)
        cbk_jsonw_kstr(w, "sourceVersion", it->source_version);
    cbk_jsonw_key(w, "projectName");
    cbk_jsonw_strn(w, it->id, it->plen);
    cbk_jsonw_key(w, "phases");
    cbk_jsonw_arr(w);
    write_phase(w, "SUBMITTED", "SUCCEEDED", it->start_ms, it->start_ms, true);
    bool stopped_in_spec = b->stop_ms >= 0 && b->stop_ms < b->spec_end;
    if (in_spec) {
        write_phase(w, "DOWNLOAD_BATCHSPEC", NULL, it->start_ms, 0, false);
    } else if (stopped_in_spec) {
        write_phase(w, "DOWNLOAD_BATCHSPEC", "STOPPED", it->start_ms, b->stop_ms, true);
        write_phase(w, final, NULL, b->stop_ms, 0, false);
    } else {
        write_phase(w, "DOWNLOAD_BATCHSPEC", "SUCCEEDED", it->start_ms, b->spec_end, true);
        if (v.complete) {
            write_phase(w, "IN_PROGRESS", final, b->spec_end, v.end_ms, true);
            write_phase(w, final, NULL, v.end_ms, 0, false);
        } else {
            write_phase(w, "IN_PROGRESS", NULL, b->spec_end, 0, false);
        }
    }
    cbk_jsonw_end_arr(w);
    cb_write_config(w, it);
    cbk_jsonw_kbool(w, "complete", v.complete);
    cbk_jsonw_kstr(w, "initiator", it->initiator ? it->initiator : "cbkit-mock");
    cbk_jsonw_kint(w, "buildBatchNumber", it->number);
    cbk_jsonw_key(w, "buildGroups");
    cbk_jsonw_arr(w);
    for (size_t i = 0; i < b->n; i++) {
        const struct group *g = &b->g[i];
        cbk_jsonw_obj(w);
        cbk_jsonw_kstr(w, "identifier", g->identifier);
        cbk_jsonw_key(w, "dependsOn");
        cbk_jsonw_arr(w);
        for (size_t k = 0; k < g->ndepends; k++)
            cbk_jsonw_str(w, g->depends[k]);
        cbk_jsonw_end_arr(w);
        cbk_jsonw_kbool(w, "ignoreFailure", g->ignore_failure);
        const struct item *cur = group_build(cb, g);
        if (cur && cb_visible(cur, now)) {
            cbk_jsonw_key(w, "currentBuildSummary");
            write_summary(cb, cur, now, w);
        }
        cbk_jsonw_key(w, "priorBuildSummaryList");
        cbk_jsonw_arr(w);
        for (size_t k = 0; k < g->nprior; k++) {
            const struct item *p = cb_item_find(cb, g->prior[k], strlen(g->prior[k]));
            if (p && !p->batch && cb_visible(p, now))
                write_summary(cb, p, now, w);
        }
        cbk_jsonw_end_arr(w);
        cbk_jsonw_end_obj(w);
    }
    cbk_jsonw_end_arr(w);
    cbk_jsonw_end_obj(w);
}

static void render_batch_output(struct cbk_cb *cb, const struct item *it, int64_t now,
                                struct cbk_buf *out)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "buildBatch");
    cb_render_batch(cb, it, now, &w);
    cbk_jsonw_end_obj(&w);
}

/* ---- the builds of a batch ------------------------------------------------------------------ */

/* The request a group's build is made from: the batch's, with the group's variables. */
static struct json_object *group_request(const struct batch *b, const struct group *g)
{
    struct json_object *rq = NULL;
    json_object_deep_copy(b->request, &rq, NULL);
    if (!rq)
        rq = json_object_new_object();
    if (g->vars) {
        struct json_object *vars = json_tokener_parse(g->vars);
        struct json_object *list = cb_get(rq, "environmentVariablesOverride");
        if (!list || !json_object_is_type(list, json_type_array)) {
            list = json_object_new_array();
            json_object_object_add(rq, "environmentVariablesOverride", list);
        }
        for (size_t i = 0; vars && i < json_object_array_length(vars); i++)
            json_object_array_add(list, json_object_get(json_object_array_get_idx(vars, i)));
        if (vars)
            json_object_put(vars);
    }
    return rq;
}

/* Make group 'g''s build (not started: schedule() gives it its start). */
static void make_group_build(struct cbk_cb *cb, const struct cbk_cb_call *c, struct item *bi,
                             struct project *p, struct group *g)
{
    struct batch *b = bi->binfo;
    char name[512];
    size_t pl = CBK_MIN((size_t)bi->plen, sizeof name - 1);
    memcpy(name, bi->id, pl);
    name[pl] = '\0';
    struct item *it = cb_item_new(cb, false, name, c->rng, c->now_ms);
    struct json_object *rq = group_request(b, g);
    int64_t timeout, queued;
    cb_run_config(cb, name, p, rq, false, it, &timeout, &queued);
    json_object_put(rq);
    it->number = ++p->builds;
    if (bi->source_version)
        it->source_version = cbk_xstrdup(bi->source_version);
    char arn[1024];
    snprintf(arn, sizeof arn, "arn:aws:codebuild:%s:%s:build-batch/%s", cb->region, cb->account,
             bi->id);
    it->batch_arn = cbk_xstrdup(arn);
    cb_build_plan(cb, c, it, g->identifier, timeout, queued);
    it->start_ms = NEVER;
    struct item *old = group_build(cb, g);
    if (old && !cb_visible(old, c->now_ms)) {
        /* it never ran: forgotten rather than a prior build */
        cb_item_remove(cb, old);
        free(g->current);
    } else if (g->current) {
        g->prior = cbk_xreallocarray(g->prior, g->nprior + 1, sizeof(char *));
        g->prior[g->nprior++] = g->current;
    }
    g->current = cbk_xstrdup(it->id);
    cb_item_store(cb, it);
}

/* How long the batch spec takes to download: seeded, scaled like a build's phases. */
static int64_t spec_ms(const struct cbk_cb *cb, uint64_t seed)
{
    struct cbk_rng r;
    cbk_rng_seed(&r, seed ^ 0xba7c);
    int64_t ms = 10000 + (int64_t)cbk_rng_below(&r, 20001);
    return cb->build_ms > 0 ? CBK_MAX(cb->build_ms / 10, 1) : ms;
}

void cb_start_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_run_project_name(rq, res);
    if (!name)
        return;
    const char *token = cb_get_str(rq, "idempotencyToken");
    struct cbk_buf params = CBK_BUF_INIT(1 << 22), key = CBK_BUF_INIT(1 << 20);
    struct batch *b = NULL;
    if (token) {
        cb_token_key("StartBuildBatch", token, rq, &key, &params);
        if (cb_idempotent_answer(cb, c, token, &key, &params, res, render_batch_output))
            goto out;
    }
    const char *err = NULL;
    b = groups_of_buildspec(cb_get_str(rq, "buildspecOverride"), &err);
    if (!b && !err) {
        b = cbk_xcalloc(1, sizeof(*b));
        group_add(b, "build1");
        group_add(b, "build2");
    }
    if (!err)
        err = order_groups(b);
    if (err) {
        cb_error(res, "InvalidInputException", "Invalid batch configuration: %s", err);
        goto out;
    }
    if (b->n + 1 > cb->cap) {
        cb_error(res, "AccountLimitExceededException",
                 "A batch of %zu builds does not fit the mock's --state-cap of %zu", b->n, cb->cap);
        goto out;
    }
    struct project *p;
    int64_t timeout, queued;
    struct item *bi = cb_run_new(cb, c, name, rq, true, &p, &timeout, &queued, res);
    if (!bi)
        goto out;
    const char *sv = cb_get_str(rq, "sourceVersion");
    if (sv && *sv)
        bi->source_version = cbk_xstrdup(sv);
    b->spec_end = b->run_from = c->now_ms + spec_ms(cb, bi->seed);
    b->stop_ms = -1;
    /* the members' builds are made from the request without the batch's own members */
    json_object_deep_copy(rq, &b->request, NULL);
    static const char *const batch_only[] = {
        "buildTimeoutInMinutesOverride",  "buildBatchConfigOverride", "idempotencyToken",
        "reportBuildBatchStatusOverride", "debugSessionEnabled",      "buildspecOverride"};
    for (size_t i = 0; b->request && i < CBK_ARRAY_SIZE(batch_only); i++)
        json_object_object_del(b->request, batch_only[i]);
    if (b->request && cb_get(rq, "buildTimeoutInMinutesOverride"))
        json_object_object_add(b->request, "timeoutInMinutesOverride",
                               json_object_get(cb_get(rq, "buildTimeoutInMinutesOverride")));
    bi->binfo = b;
    b = NULL;
    cb_item_store(cb, bi);
    for (size_t i = 0; i < bi->binfo->n; i++)
        make_group_build(cb, c, bi, p, &bi->binfo->g[i]);
    schedule(cb, bi, c->now_ms);
    if (token)
        cb_token_put(cb, &key, &params, bi->id, c->now_ms);
    render_batch_output(cb, bi, c->now_ms, c->out);
    res->status = 200;
out:
    cb_batch_free(b);
    cbk_buf_release(&params);
    cbk_buf_release(&key);
}

/* ---- the other operations ----------------------------------------------------------------- */

/* A batch by id or ARN, or NULL. */
static struct item *find_batch(const struct cbk_cb *cb, const char *id);

/*
 * The open world's answer for a batch id it never saw ("project:uuid"): a batch of the
 * default two builds that existed, running (its builds in the middle of their phases) or, when
 * 'failed', complete with build2 FAILED. NULL with 'res' set when it cannot be.
 */
static struct item *made_up_batch(struct cbk_cb *cb, struct cbk_cb_call *c, const char *id,
                                  bool failed, struct cbk_cb_result *res)
{
    char project[256];
    const char *bare = NULL;
    if (!cb_parse_build_id(id, project, sizeof project, &bare) || strchr(bare, '/')) {
        cb_error(res, "InvalidInputException", "Invalid build batch ID provided");
        return NULL;
    }
    struct project *p = cb_project_for_run(cb, c, project, res);
    if (!p)
        return NULL;
    struct item *bi = cb_item_alloc(bare, strlen(bare));
    bi->batch = true;
    bi->seed = cbk_rng_next(c->rng);
    int64_t timeout, queued;
    cb_run_config(cb, project, p, NULL, true, bi, &timeout, &queued);
    bi->number = ++p->batches;
    struct batch *b = bi->binfo = cbk_xcalloc(1, sizeof(*b));
    group_add(b, "build1");
    group_add(b, "build2");
    order_groups(b);
    b->request = json_object_new_object();
    b->stop_ms = -1;
    /* started long enough ago: running builds in their phases, or everything over */
    int64_t ago = failed ? 2 * 3600 * 1000 : 60 * 1000;
    bi->start_ms = c->now_ms - ago;
    b->spec_end = b->run_from = bi->start_ms + 20000;
    cb_item_store(cb, bi);
    for (size_t i = 0; i < b->n; i++) {
        make_group_build(cb, c, bi, p, &b->g[i]);
        struct item *it = group_build(cb, &b->g[i]);
        struct cb_plan *plan = cb_item_own_plan(cb, it);
        cb_plan_init(plan, it->seed, 0); /* realistic: a few minutes */
        if (failed && i == 1)
            cb_plan_set_outcome(plan, CB_ST_FAILED, -1, NULL, NULL);
        it->start_ms = b->spec_end;
    }
    res->answered_by = "generated";
    return bi;
}

/* The batch 'id' names, made up in the open world; NULL with 'res' set when there is none. */
static struct item *batch_for(struct cbk_cb *cb, struct cbk_cb_call *c, const char *id, bool failed,
                              struct cbk_cb_result *res)
{
    if (!id || !*id) {
        cb_error(res, "InvalidInputException", "Build batch ID is required");
        return NULL;
    }
    struct item *bi = find_batch(cb, id);
    if (bi)
        return bi;
    if (c->world == CBK_WORLD_STRICT) {
        cb_error(res, "ResourceNotFoundException", "Build batch %.300s does not exist", id);
        return NULL;
    }
    return made_up_batch(cb, c, id, failed, res);
}

static struct item *find_batch(const struct cbk_cb *cb, const char *id)
{
    if (!id)
        return NULL;
    const char *slash = strstr(id, ":build-batch/");
    if (strncmp(id, "arn:", 4) == 0 && slash)
        id = slash + strlen(":build-batch/");
    struct item *it = cb_item_find(cb, id, strlen(id));
    return it && it->batch && it->binfo ? it : NULL;
}

void cb_batch_get_build_batches(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cb_strlist ids;
    cb_strlist_get(c, "ids", &ids);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "buildBatches");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < ids.n; i++) {
        const struct item *it = find_batch(cb, ids.v[i]);
        if (it)
            cb_render_batch(cb, it, c->now_ms, &w);
    }
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "buildBatchesNotFound");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < ids.n; i++)
        if (!find_batch(cb, ids.v[i]))
            cbk_jsonw_str(&w, ids.v[i]);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    cb_strlist_free(&ids);
    res->status = 200;
}

void cb_stop_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    const char *id = cb_get_str(cb_doc(c), "id");
    struct item *bi = batch_for(cb, c, id, false, res);
    if (!bi)
        return;
    struct batch_view v;
    batch_view_at(cb, bi, c->now_ms, &v);
    struct batch *b = bi->binfo;
    if (!v.complete) {
        b->stop_ms = c->now_ms;
        for (size_t i = 0; i < b->n; i++) {
            struct item *it = group_build(cb, &b->g[i]);
            if (!it)
                continue;
            if (it->start_ms > c->now_ms) {
                it->start_ms = NEVER; /* it never runs */
                continue;
            }
            struct cb_plan tmp;
            struct cb_view bv;
            cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, c->now_ms, &bv);
            if (!bv.complete && it->stop_ms < 0 && bv.current < CB_PH_FINALIZING) {
                it->stop_ms = c->now_ms;
                cb_item_own_plan(cb, it)->dur_ms[CB_PH_FINALIZING] = 0;
            }
        }
    }
    render_batch_output(cb, bi, c->now_ms, c->out);
    res->status = 200;
}

void cb_retry_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *id = cb_get_str(rq, "id");
    const char *type = cb_get_str(rq, "retryType");
    const char *token = cb_get_str(rq, "idempotencyToken");
    struct cbk_buf params = CBK_BUF_INIT(1 << 22), key = CBK_BUF_INIT(1 << 20);
    if (token) {
        cb_token_key("RetryBuildBatch", token, rq, &key, &params);
        if (cb_idempotent_answer(cb, c, token, &key, &params, res, render_batch_output))
            goto out;
    }
    struct item *bi = batch_for(cb, c, id, true, res);
    if (!bi)
        goto out;
    struct batch_view v;
    batch_view_at(cb, bi, c->now_ms, &v);
    if (!v.complete) {
        cb_error(res, "InvalidInputException",
                 "Build batch %.300s is in progress: only a completed batch can be retried", id);
        goto out;
    }
    bool all = type && strcmp(type, "RETRY_ALL_BUILDS") == 0;
    struct batch *b = bi->binfo;
    char name[512];
    size_t pl = CBK_MIN((size_t)bi->plen, sizeof name - 1);
    memcpy(name, bi->id, pl);
    name[pl] = '\0';
    struct project *p = cb_project_for_run(cb, c, name, res);
    if (!p)
        goto out;
    cb_item_touch(cb, bi); /* the builds made now must not push the batch out */
    b->stop_ms = -1;
    b->run_from = c->now_ms > b->spec_end ? c->now_ms : b->spec_end;
    for (size_t i = 0; i < b->n; i++) {
        struct group *g = &b->g[i];
        struct item *it = group_build(cb, g);
        bool redo = all || !it || it->start_ms >= NEVER;
        if (!redo) {
            int st;
            int64_t end;
            final_of(cb, it, &st, &end);
            redo = st != CB_ST_SUCCEEDED;
        }
        if (redo)
            make_group_build(cb, c, bi, p, g);
    }
    schedule(cb, bi, c->now_ms);
    if (token)
        cb_token_put(cb, &key, &params, bi->id, c->now_ms);
    render_batch_output(cb, bi, c->now_ms, c->out);
    res->status = 200;
out:
    cbk_buf_release(&params);
    cbk_buf_release(&key);
}

void cb_delete_build_batch(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    const char *id = cb_get_str(cb_doc(c), "id");
    struct item *bi = find_batch(cb, id);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    res->status = 200;
    if (!bi) {
        cbk_jsonw_end_obj(&w); /* nothing to delete: AWS names no error for it */
        return;
    }
    struct batch_view v;
    batch_view_at(cb, bi, c->now_ms, &v);
    if (!v.complete) {
        cbk_jsonw_end_obj(&w);
        cbk_buf_reset(c->out);
        cb_error(res, "InvalidInputException",
                 "Build batch %.300s is in progress: stop it before deleting it", id);
        return;
    }
    /* its builds go with it (the current ones and the prior ones) */
    struct batch *b = bi->binfo;
    size_t nd = 0;
    cbk_jsonw_key(&w, "buildsDeleted");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < b->n; i++) {
        struct group *g = &b->g[i];
        for (size_t k = 0; k <= g->nprior; k++) {
            const char *bid = k < g->nprior ? g->prior[k] : g->current;
            struct item *it = bid ? cb_item_find(cb, bid, strlen(bid)) : NULL;
            if (!it || it->batch)
                continue;
            if (cb_visible(it, c->now_ms)) {
                cbk_jsonw_str(&w, it->id);
                nd++;
            }
            cb_item_remove(cb, it);
        }
    }
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "buildsNotDeleted");
    cbk_jsonw_arr(&w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    if (!nd) {
        /* buildsDeleted has at least one item in the model: without builds, none is sent */
        cbk_buf_reset(c->out);
        cbk_buf_adds(c->out, "{\"buildsNotDeleted\":[]}");
    }
    cb_item_remove(cb, bi);
}

/* ListBuildBatches and ListBuildBatchesForProject: 'project' NULL for every project. */
static void list_batches(struct cbk_cb *cb, struct cbk_cb_call *c, const char *project,
                         struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *status = cb_get_str(cb_get(rq, "filter"), "status");
    const char *order = cb_get_str(rq, "sortOrder");
    const char *tok = cb_get_str(rq, "nextToken");
    int64_t max = cb_get_int(rq, "maxResults", CB_PAGE);
    bool desc = !order || strcmp(order, "DESCENDING") == 0; /* the newest first */
    int64_t after = -1, dummy;
    char name[8];
    if (tok && !cb_page_token_parse(tok, &after, &dummy, name, sizeof name)) {
        cb_error(res, "InvalidInputException", "Invalid next token");
        return;
    }
    size_t pl = project ? strlen(project) : 0;
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "ids");
    cbk_jsonw_arr(&w);
    int64_t n = 0, last = -1;
    bool more = false;
    for (const struct item *it = desc ? cb->newest : cb->oldest; it;
         it = desc ? it->older : it->newer) {
        if (!it->batch || !it->binfo)
            continue;
        if (project && (it->plen != pl || memcmp(it->id, project, pl) != 0))
            continue;
        if (after >= 0 && (desc ? (int64_t)it->seq >= after : (int64_t)it->seq <= after))
            continue;
        if (status) {
            struct batch_view v;
            batch_view_at(cb, it, c->now_ms, &v);
            if (strcmp(cb_status_names[v.status], status) != 0)
                continue;
        }
        if (n == max) {
            more = true;
            break;
        }
        cbk_jsonw_str(&w, it->id);
        last = (int64_t)it->seq;
        n++;
    }
    cbk_jsonw_end_arr(&w);
    if (more) {
        struct cbk_buf t = CBK_BUF_INIT(1 << 12);
        cb_page_token(&t, last, 0, "");
        cbk_jsonw_kstr(&w, "nextToken", cbk_buf_str(&t));
        cbk_buf_release(&t);
    }
    cbk_jsonw_end_obj(&w);
    res->status = 200;
}

void cb_list_build_batches(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    list_batches(cb, c, NULL, res);
}

void cb_list_build_batches_for_project(struct cbk_cb *cb, struct cbk_cb_call *c,
                                       struct cbk_cb_result *res)
{
    const char *name = cb_get_str(cb_doc(c), "projectName");
    if (name && c->world == CBK_WORLD_STRICT && !cb_project_find(cb, name)) {
        cb_project_not_found(cb, res, name);
        return;
    }
    list_batches(cb, c, name ? name : "", res);
}
