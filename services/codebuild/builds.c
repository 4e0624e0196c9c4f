/*
 * builds.c - builds (see world.h): StartBuild with every override applied to the build it
 * returns and keeps, RetryBuild, StopBuild, BatchGetBuilds, ListBuilds, ListBuildsForProject
 * and BatchDeleteBuilds, and how a build renders at a moment: its phases, status and
 * completeness come from its plan and the mock clock (lifecycle.h), so a build nobody reads
 * costs nothing and moving the clock moves every build.
 *
 * A build keeps its configuration (source, environment, artifacts, ... as JSON members) in a
 * shared, interned fragment; the rest renders from its few own fields. The most common answer,
 * a build just queued, renders from a per-configuration template (tmpl_render()).
 */
#include "core/setup.h"
#include "services/codebuild/world.h"
#include "core/alloc.h"
#include "core/jsonq.h"
#include "core/jsonscan.h"

/* ---- configurations ------------------------------------------------------------------------- */

/* Members of 'base' replaced by the request's overrides: override key -> member key. */
struct override {
    const char *from, *to;
};

static void put(struct json_object *o, const char *key, struct json_object *v)
{
    json_object_object_add(o, key, json_object_get(v));
}

static void apply_overrides(struct json_object *o, struct json_object *rq,
                            const struct override *ov, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct json_object *v = cb_get(rq, ov[i].from);
        if (v)
            put(o, ov[i].to, v);
    }
}

/* The project's environment variables with the override's: same name replaced, new ones
 * appended; every variable has its type (PLAINTEXT unless given). A new array. */
static struct json_object *merge_env(struct json_object *base, struct json_object *over)
{
    struct json_object *out = json_object_new_array();
    struct json_object *lists[2] = {base, over};
    for (int l = 0; l < 2; l++) {
        struct json_object *list = lists[l];
        for (size_t i = 0; list && json_object_is_type(list, json_type_array) &&
                           i < json_object_array_length(list);
             i++) {
            struct json_object *v = json_object_array_get_idx(list, i);
            const char *name = cb_get_str(v, "name");
            if (!name)
                continue;
            struct json_object *nv = json_object_new_object();
            json_object_object_add(nv, "name", json_object_new_string(name));
            struct json_object *val = cb_get(v, "value");
            json_object_object_add(nv, "value",
                                   val ? json_object_get(val) : json_object_new_string(""));
            const char *type = cb_get_str(v, "type");
            json_object_object_add(nv, "type", json_object_new_string(type ? type : "PLAINTEXT"));
            size_t k = 0, nk = json_object_array_length(out);
            for (; k < nk; k++)
                if (strcmp(cb_get_str(json_object_array_get_idx(out, k), "name"), name) == 0)
                    break;
            if (k < nk)
                json_object_array_put_idx(out, k, nv);
            else
                json_object_array_add(out, nv);
        }
    }
    return out;
}

/* BuildArtifacts from ProjectArtifacts: S3 artifacts are named by their ARN. */
static void artifacts_from(struct cbk_jsonw *w, struct json_object *pa)
{
    cbk_jsonw_obj(w);
    const char *type = cb_get_str(pa, "type");
    const char *loc = cb_get_str(pa, "location");
    if (type && strcmp(type, "S3") == 0 && loc) {
        char buf[1024];
        const char *path = cb_get_str(pa, "path"), *name = cb_get_str(pa, "name");
        snprintf(buf, sizeof buf, "arn:aws:s3:::%s%s%s%s%s", loc, path && *path ? "/" : "",
                 path ? path : "", name && *name ? "/" : "", name ? name : "");
        cbk_jsonw_kstr(w, "location", buf);
    } else {
        cbk_jsonw_kstr(w, "location", "");
    }
    cb_copy_member(w, "overrideArtifactName", cb_get(pa, "overrideArtifactName"));
    cb_copy_member(w, "encryptionDisabled", cb_get(pa, "encryptionDisabled"));
    cb_copy_member(w, "artifactIdentifier", cb_get(pa, "artifactIdentifier"));
    cb_copy_member(w, "bucketOwnerAccess", cb_get(pa, "bucketOwnerAccess"));
    cbk_jsonw_end_obj(w);
}

static const struct override source_overrides[] = {
    {"sourceTypeOverride", "type"},
    {"sourceLocationOverride", "location"},
    {"gitCloneDepthOverride", "gitCloneDepth"},
    {"gitSubmodulesConfigOverride", "gitSubmodulesConfig"},
    {"buildspecOverride", "buildspec"},
    {"sourceAuthOverride", "auth"},
    {"buildStatusConfigOverride", "buildStatusConfig"},
    {"insecureSslOverride", "insecureSsl"},
};

static const struct override env_overrides[] = {
    {"environmentTypeOverride", "type"},
    {"imageOverride", "image"},
    {"computeTypeOverride", "computeType"},
    {"fleetOverride", "fleet"},
    {"privilegedModeOverride", "privilegedMode"},
    {"certificateOverride", "certificate"},
    {"registryCredentialOverride", "registryCredential"},
    {"imagePullCredentialsTypeOverride", "imagePullCredentialsType"},
};

static const struct override top_overrides[] = {
    {"secondarySourcesOverride", "secondarySources"},
    {"secondarySourcesVersionOverride", "secondarySourceVersions"},
    {"cacheOverride", "cache"},
    {"serviceRoleOverride", "serviceRole"},
    {"queuedTimeoutInMinutesOverride", "queuedTimeoutInMinutes"},
    {"encryptionKeyOverride", "encryptionKey"},
};

/* The members written between the braces of 'b', as one interned part. */
static struct config *intern_members(struct cbk_cb *cb, struct cbk_buf *b)
{
    return cb_config_intern(cb, b->ptr + 1, b->len >= 2 ? b->len - 2 : 0);
}

void cb_run_config(struct cbk_cb *cb, const char *name, const struct project *p,
                   struct json_object *rq, bool batch, struct item *it, int64_t *timeout,
                   int64_t *queued)
{
    struct json_object *o = cb_project_doc(cb, name, p);
    struct json_object *src = cb_get(o, "source");
    if (src && rq) {
        apply_overrides(src, rq, source_overrides, CBK_ARRAY_SIZE(source_overrides));
        struct json_object *rbs =
            cb_get(rq, batch ? "reportBuildBatchStatusOverride" : "reportBuildStatusOverride");
        if (rbs)
            put(src, "reportBuildStatus", rbs);
        const char *type = cb_get_str(src, "type");
        if (type && strcmp(type, "NO_SOURCE") == 0 && !cb_get(rq, "sourceLocationOverride"))
            json_object_object_del(src, "location");
    }
    struct json_object *env = cb_get(o, "environment");
    if (env && rq) {
        apply_overrides(env, rq, env_overrides, CBK_ARRAY_SIZE(env_overrides));
        struct json_object *vars = cb_get(rq, "environmentVariablesOverride");
        if (vars)
            json_object_object_add(env, "environmentVariables",
                                   merge_env(cb_get(env, "environmentVariables"), vars));
    }
    if (rq) {
        apply_overrides(o, rq, top_overrides, CBK_ARRAY_SIZE(top_overrides));
        struct json_object *v =
            cb_get(rq, batch ? "buildTimeoutInMinutesOverride" : "timeoutInMinutesOverride");
        if (v)
            put(o, "timeoutInMinutes", v);
        if ((v = cb_get(rq, "artifactsOverride")))
            put(o, "artifacts", v);
        if ((v = cb_get(rq, "secondaryArtifactsOverride")))
            put(o, "secondaryArtifacts", v);
        if ((v = cb_get(rq, "logsConfigOverride")))
            put(o, "logsConfig", v);
        if ((v = cb_get(rq, "buildBatchConfigOverride")))
            put(o, "buildBatchConfig", v);
    }
    *timeout = cb_get_int(o, "timeoutInMinutes", 60);
    *queued = cb_get_int(o, "queuedTimeoutInMinutes", 480);
    if (!batch)
        it->logs = cb_log_settings(cb, cb_get(o, "logsConfig"));

    struct cbk_buf b = CBK_BUF_INIT((size_t)8 << 20);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cb_copy_member(&w, "source", src);
    cb_copy_member(&w, "secondarySources", cb_get(o, "secondarySources"));
    cb_copy_member(&w, "secondarySourceVersions", cb_get(o, "secondarySourceVersions"));
    cbk_jsonw_key(&w, "artifacts");
    artifacts_from(&w, cb_get(o, "artifacts"));
    cbk_jsonw_key(&w, "secondaryArtifacts");
    cbk_jsonw_arr(&w);
    struct json_object *sa = cb_get(o, "secondaryArtifacts");
    for (size_t i = 0;
         sa && json_object_is_type(sa, json_type_array) && i < json_object_array_length(sa); i++)
        artifacts_from(&w, json_object_array_get_idx(sa, i));
    cbk_jsonw_end_arr(&w);
    cb_copy_member(&w, "cache", cb_get(o, "cache"));
    cb_copy_member(&w, "serviceRole", cb_get(o, "serviceRole"));
    if (batch) {
        cb_copy_member(&w, "logConfig", cb_get(o, "logsConfig"));
        cbk_jsonw_kint(&w, "buildTimeoutInMinutes", *timeout);
        cbk_jsonw_kint(&w, "queuedTimeoutInMinutes", *queued);
    } else {
        cbk_jsonw_kint(&w, "timeoutInMinutes", *timeout);
        cbk_jsonw_kint(&w, "queuedTimeoutInMinutes", *queued);
    }
    cb_copy_member(&w, "encryptionKey", cb_get(o, "encryptionKey"));
    cb_copy_member(&w, "vpcConfig", cb_get(o, "vpcConfig"));
    struct json_object *fs = cb_get(o, "fileSystemLocations");
    if (fs && json_object_is_type(fs, json_type_array) && json_object_array_length(fs))
        cb_copy_member(&w, "fileSystemLocations", fs);
    struct json_object *dbg = rq ? cb_get(rq, "debugSessionEnabled") : NULL;
    if (batch) {
        struct json_object *bbc = cb_get(o, "buildBatchConfig");
        if (bbc) {
            cb_copy_member(&w, "buildBatchConfig", bbc);
        } else {
            char arn[512];
            cbk_jsonw_key(&w, "buildBatchConfig");
            cbk_jsonw_obj(&w);
            cb_role_arn(cb, name, arn, sizeof arn);
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
        cb_copy_member(&w, "debugSessionEnabled", dbg);
    } else if (dbg && json_object_get_boolean(dbg)) {
        cbk_jsonw_key(&w, "debugSession");
        cbk_jsonw_obj(&w);
        cbk_jsonw_kbool(&w, "sessionEnabled", true);
        cbk_jsonw_end_obj(&w);
    }
    if (!batch && rq && cb_get(rq, "autoRetryLimitOverride")) {
        cbk_jsonw_key(&w, "autoRetryConfig");
        cbk_jsonw_obj(&w);
        cbk_jsonw_kint(&w, "autoRetryLimit", cb_get_int(rq, "autoRetryLimitOverride", 0));
        cbk_jsonw_kint(&w, "autoRetryNumber", 0);
        cbk_jsonw_end_obj(&w);
    }
    cbk_jsonw_end_obj(&w);
    it->config = intern_members(cb, &b);
    cbk_buf_reset(&b);
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cb_copy_member(&w, "environment", env);
    cbk_jsonw_end_obj(&w);
    it->env = intern_members(cb, &b);
    json_object_put(o);
    cbk_buf_release(&b);
}

void cb_project_build_config(struct cbk_cb *cb, const char *name, struct project *p,
                             struct item *it)
{
    if (!p->build_config) {
        int64_t t, q;
        struct item tmp;
        memset(&tmp, 0, sizeof tmp);
        cb_run_config(cb, name, p, NULL, false, &tmp, &t, &q);
        p->build_config = tmp.config;
        p->build_env = tmp.env;
        p->build_logs = tmp.logs;
        p->build_timeout = (int32_t)CBK_MIN(t, INT32_MAX);
        p->build_queued = (int32_t)CBK_MIN(q, INT32_MAX);
    }
    it->config = cb_config_ref(p->build_config);
    it->env = cb_config_ref(p->build_env);
    it->logs = cb_config_ref(p->build_logs);
}

void cb_write_config(struct cbk_jsonw *w, const struct item *it)
{
    if (it->config && it->config->len)
        cbk_jsonw_raw(w, it->config->s, it->config->len); /* members, comma-separated */
    if (it->env && it->env->len)
        cbk_jsonw_raw(w, it->env->s, it->env->len);
}

/* ---- plans ---------------------------------------------------------------------------------- */

void cb_build_plan(struct cbk_cb *cb, const struct cbk_cb_call *c, struct item *it,
                   const char *identifier, int64_t timeout, int64_t queued)
{
    it->timeout_min = (int32_t)CBK_MIN(timeout, INT32_MAX);
    it->queued_min = (int32_t)CBK_MIN(queued, INT32_MAX);
    free(it->plan);
    it->plan = NULL; /* the default: from the seed, the world's build length, the timeouts */
    cb_config_unref(cb, it->output);
    it->output = NULL;
    const struct cb_outcome_rule *r = NULL;
    if (c->outcomes && c->outcomes->n) {
        struct json_object *parsed = NULL, *env_vars = NULL;
        if (c->outcomes->uses_env && it->env) {
            /* the build's variables are in its configuration */
            struct cbk_buf b = CBK_BUF_INIT((size_t)16 << 20);
            cbk_buf_addc(&b, '{');
            cbk_buf_add(&b, it->env->s, it->env->len);
            cbk_buf_addc(&b, '}');
            parsed = cbk_jsonq_parse(b.ptr, b.len);
            cbk_buf_release(&b);
            env_vars = cb_get(cb_get(parsed, "environment"), "environmentVariables");
        }
        struct cb_build_facts f = {it->id,     it->plen, it->source_version,
                                   it->number, env_vars, identifier};
        r = cb_outcome_set_match(c->outcomes, &f);
        if (parsed)
            json_object_put(parsed);
    }
    if (!r)
        return;
    if (r->output)
        it->output = cb_config_intern(cb, r->output, r->output_len);
    bool own = r->total_ms > 0 || r->status != CB_ST_SUCCEEDED;
    for (int i = 0; i < CB_PH_COUNT; i++)
        own = own || r->dur_ms[i] >= 0;
    if (!own)
        return; /* the rule gives output only: the default plan */
    struct cb_plan *p = it->plan = cbk_xmalloc(sizeof(*it->plan));
    cb_plan_init(p, it->seed, r->total_ms > 0 ? r->total_ms : cb->build_ms);
    for (int i = 0; i < CB_PH_COUNT; i++)
        if (r->dur_ms[i] >= 0)
            p->dur_ms[i] = r->dur_ms[i];
    if (r->status != CB_ST_SUCCEEDED)
        cb_plan_set_outcome(p, r->status, r->phase, cb_intern(cb, r->ctx_code),
                            cb_intern(cb, r->ctx_message));
    cb_plan_apply_timeouts(p, timeout, queued);
}

/* ---- rendering ------------------------------------------------------------------------------ */

/* Did the build get its source (DOWNLOAD_SOURCE ended well)? */
static bool source_resolved(const struct cb_view *v)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->ph[i].type == CB_PH_DOWNLOAD_SOURCE)
            return v->ph[i].ended && v->ph[i].status == CB_ST_SUCCEEDED;
    return false;
}

/* 'v' as 'n' lower-case hex digits into 'out' (the low 4n bits, most significant first). */
static void hex_digits(char *out, uint64_t v, int n)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = n - 1; i >= 0; i--, v >>= 4)
        out[i] = hex[v & 15];
}

void cb_render_build(struct cbk_cb *cb, const struct item *it, int64_t now, struct cbk_jsonw *w)
{
    struct cb_view v;
    struct cb_plan tmp;
    cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, now, &v);
    cbk_jsonw_obj(w);
    CBK_JSONW_KSTR(w, "id", it->id);
    CBK_JSONW_KEY(w, "arn");
    cbk_jsonw_str_begin(w);
    CBK_JSONW_STR_LIT(w, "arn:aws:codebuild:");
    cbk_jsonw_str_part(w, cb->region, strlen(cb->region));
    CBK_JSONW_STR_LIT(w, ":");
    cbk_jsonw_str_part(w, cb->account, strlen(cb->account));
    CBK_JSONW_STR_LIT(w, ":build/");
    cbk_jsonw_str_part(w, it->id, strlen(it->id));
    cbk_jsonw_str_end(w);
    CBK_JSONW_KINT(w, "buildNumber", it->number);
    CBK_JSONW_KEPOCH(w, "startTime", it->start_ms);
    if (v.complete)
        CBK_JSONW_KEPOCH(w, "endTime", v.end_ms);
    CBK_JSONW_KEY(w, "currentPhase");
    cb_jsonw_phase(w, v.current);
    CBK_JSONW_KEY(w, "buildStatus");
    cb_jsonw_status(w, v.status);
    if (it->source_version)
        CBK_JSONW_KSTR(w, "sourceVersion", it->source_version);
    if (source_resolved(&v)) {
        /* a commit id made from the seed: 40 hex digits */
        uint64_t h = cbk_mix64(it->seed ^ 0x5eed), h2 = cbk_mix64(h);
        char commit[40];
        hex_digits(commit, h, 16);
        hex_digits(commit + 16, h2, 16);
        hex_digits(commit + 32, (uint32_t)cbk_mix64(h2), 8);
        CBK_JSONW_KEY(w, "resolvedSourceVersion");
        cbk_jsonw_plain(w, commit, sizeof commit);
    }
    CBK_JSONW_KEY(w, "projectName");
    cbk_jsonw_strn(w, it->id, it->plen);
    cb_view_write_phases(&v, w);
    cb_write_config(w, it);
    cb_write_build_logs(cb, it, w);
    CBK_JSONW_KBOOL(w, "buildComplete", v.complete);
    CBK_JSONW_KSTR(w, "initiator", it->initiator ? it->initiator : "cbkit-mock");
    if (it->batch_arn)
        CBK_JSONW_KSTR(w, "buildBatchArn", it->batch_arn);
    cbk_jsonw_end_obj(w);
}

/*
 * The fast path for the most common answer, a build just queued: its JSON is the same for
 * every build of one configuration except for the project's name, the uuid, the build number
 * and the start time (projects with the same members share a configuration).
 * The first such build is rendered with sentinel values, the text is cut at the sentinels,
 * and later builds are the pieces with their own values in between.
 */
enum hole { HOLE_PROJECT, HOLE_UUID, HOLE_NUMBER, HOLE_TIME, HOLE_END };

struct tmpl {
    size_t n;
    struct piece {
        const char *text;
        size_t len;
        enum hole hole; /* what follows the text */
    } * p;
    char *buf;
    uint64_t rest; /* the serial of the other part of the configuration it was cut with */
};

#define SENTINEL_PROJECT     "cbkSentinelProject0f0f0f0f"
#define SENTINEL_UUID        "f0f0f0f0-f0f0-4f0f-bf0f-f0f0f0f0f0f0"
#define SENTINEL_NUMBER      9007199254740993LL
#define SENTINEL_NUMBER_TEXT "9007199254740993"
#define SENTINEL_MS          1999999999999LL
#define SENTINEL_TIME_TEXT   "1999999999.999"

void cb_tmpl_free(struct tmpl *t)
{
    if (!t)
        return;
    free(t->p);
    free(t->buf);
    free(t);
}

/* A project name the template may insert as it is: JSON needs no escape for it, in a string or
 * in the deep link's URL fragment (AWS's names: letters, digits, '-', '_'). */
static bool plain_name(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
            return false;
    return n > 0;
}

/* Is 'it' at 'now' a build just queued (SUBMITTED over at once, QUEUED running), with nothing
 * of its own but its project, id, number and start? */
static bool fresh_build(const struct cbk_cb *cb, const struct item *it, int64_t now)
{
    struct cb_plan tmp;
    const struct cb_plan *p = cb_item_plan(cb, it, &tmp);
    return !it->batch && plain_name(it->id, it->plen) && it->stop_ms < 0 && !it->source_version &&
           !it->initiator && !it->batch_arn && !it->logs && it->config && it->env &&
           p->dur_ms[CB_PH_SUBMITTED] == 0 && now >= it->start_ms &&
           now - it->start_ms < p->dur_ms[CB_PH_QUEUED];
}

static void render_output_slow(struct cbk_cb *cb, const struct item *it, int64_t now,
                               struct cbk_buf *out)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "build");
    cb_render_build(cb, it, now, &w);
    cbk_jsonw_end_obj(&w);
}

static struct tmpl *tmpl_make(struct cbk_cb *cb, const struct item *it)
{
    struct item s = *it;
    size_t pl = sizeof SENTINEL_PROJECT - 1;
    s.id = cbk_xmalloc(pl + 1 + sizeof SENTINEL_UUID);
    memcpy(s.id, SENTINEL_PROJECT, pl);
    s.id[pl] = ':';
    memcpy(s.id + pl + 1, SENTINEL_UUID, sizeof SENTINEL_UUID);
    s.plen = (uint16_t)pl;
    s.number = SENTINEL_NUMBER;
    s.start_ms = SENTINEL_MS;
    struct cbk_buf b = CBK_BUF_INIT((size_t)16 << 20);
    render_output_slow(cb, &s, SENTINEL_MS, &b);
    free(s.id);
    struct tmpl *t = cbk_xcalloc(1, sizeof(*t));
    t->buf = cbk_buf_detach(&b, NULL);
    t->rest = it->config->serial;
    size_t alloc = 0;
    const char *p = t->buf;
    for (;;) {
        const char *u = strstr(p, SENTINEL_UUID), *nu = strstr(p, SENTINEL_NUMBER_TEXT),
                   *ti = strstr(p, SENTINEL_TIME_TEXT), *pr = strstr(p, SENTINEL_PROJECT);
        const char *next = NULL;
        enum hole h = HOLE_END;
        size_t skip = 0;
        if (pr) {
            next = pr;
            h = HOLE_PROJECT;
            skip = sizeof SENTINEL_PROJECT - 1;
        }
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
    const char *uuid = it->id + it->plen + 1;
    for (size_t i = 0; i < t->n; i++) {
        cbk_buf_add(out, t->p[i].text, t->p[i].len);
        char tmp[32];
        switch (t->p[i].hole) {
        case HOLE_PROJECT:
            cbk_buf_add(out, it->id, it->plen);
            break;
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

void cb_render_build_output(struct cbk_cb *cb, const struct item *it, int64_t now,
                            struct cbk_buf *out)
{
    /* a uuid-shaped id, a positive number and time: what the template was cut for */
    /* a configuration of one build gets no template: it would double its memory for nothing
     * (a template pays off from the second build of a configuration: retries, builds without
     * overrides) */
    struct config *e = it->env;
    if (fresh_build(cb, it, now) &&
        (e->fresh ? e->fresh->rest == it->config->serial : e->refs >= 2) &&
        strlen(it->id) == (size_t)it->plen + 37 && it->number > 0 && it->start_ms >= 0) {
        if (!e->fresh)
            e->fresh = tmpl_make(cb, it); /* under cb->mu, like every render */
#ifndef NDEBUG
        size_t start = out->len;
#endif
        tmpl_render(e->fresh, it, out);
#ifndef NDEBUG
        /* debug builds (the sanitizer test run) check the fast path against the slow one */
        struct cbk_buf check = CBK_BUF_INIT((size_t)16 << 20);
        render_output_slow(cb, it, now, &check);
        assert(check.len == out->len - start &&
               memcmp(check.ptr, out->ptr + start, check.len) == 0);
        cbk_buf_release(&check);
#endif
        return;
    }
    render_output_slow(cb, it, now, out);
}

/* ---- StartBuild, RetryBuild, StopBuild ------------------------------------------------------ */

struct item *cb_run_new(struct cbk_cb *cb, struct cbk_cb_call *c, const char *name,
                        struct json_object *rq, bool batch, struct project **pp, int64_t *timeout,
                        int64_t *queued, struct cbk_cb_result *res)
{
    struct project *p = cb_project_for_run(cb, c, name, res);
    if (!p)
        return NULL;
    struct item *it = cb_item_new(cb, batch, name, c->rng, c->now_ms);
    cb_run_config(cb, name, p, rq, batch, it, timeout, queued);
    it->number = batch ? ++p->batches : ++p->builds;
    *pp = p;
    return it;
}

/*
 * The end of StartBuild and RetryBuild: plan the new build 'it' (taken: the store owns it
 * then), keep it, remember the idempotency token (when given) with its 'key' and 'params',
 * and answer {"build": ...} with status 200. Never fails.
 */
static void start_planned(struct cbk_cb *cb, struct cbk_cb_call *c, struct item *it,
                          int64_t timeout, int64_t queued, const char *token,
                          const struct cbk_buf *key, const struct cbk_buf *params,
                          struct cbk_cb_result *res)
{
    cb_build_plan(cb, c, it, NULL, timeout, queued);
    cb_item_store(cb, it);
    if (token)
        cb_token_put(cb, key, params, it->id, c->now_ms);
    cb_render_build_output(cb, it, c->now_ms, c->out);
    res->status = 200;
}

void cb_start_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_run_project_name(rq, res);
    if (!name)
        return;
    const char *token = cb_get_str(rq, "idempotencyToken");
    struct cbk_buf params = CBK_BUF_INIT(1 << 22), key = CBK_BUF_INIT(1 << 20);
    if (token) {
        cb_token_key("StartBuild", token, rq, &key, &params);
        if (cb_idempotent_answer(cb, c, token, &key, &params, res, cb_render_build_output))
            goto out;
    }
    struct project *p;
    int64_t timeout, queued;
    struct item *it = cb_run_new(cb, c, name, rq, false, &p, &timeout, &queued, res);
    if (!it)
        goto out;
    const char *sv = cb_get_str(rq, "sourceVersion");
    struct json_object *pdoc = NULL;
    if (!sv) {
        pdoc = cb_project_doc(cb, name, p);
        sv = cb_get_str(pdoc, "sourceVersion");
    }
    if (sv && *sv)
        it->source_version = cbk_xstrdup(sv);
    if (pdoc)
        json_object_put(pdoc);
    start_planned(cb, c, it, timeout, queued, token, &key, &params, res);
out:
    cbk_buf_release(&params);
    cbk_buf_release(&key);
}

void cb_retry_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cbk_buf idtok[2] = {CBK_BUF_INIT(1 << 20), CBK_BUF_INIT(1 << 20)};
    const char *id = NULL, *token = NULL;
    if (c->req) {
        id = cb_get_str(c->req, "id");
        token = cb_get_str(c->req, "idempotencyToken");
    } else {
        const char *keys[2] = {"id", "idempotencyToken"};
        bool found[2];
        cbk_json_top_strings(c->body, c->body_len, keys, 2, idtok, found);
        id = found[0] ? cbk_buf_str(&idtok[0]) : NULL;
        token = found[1] ? cbk_buf_str(&idtok[1]) : NULL;
    }
    char project[256];
    const char *bare = NULL;
    struct cbk_buf params = CBK_BUF_INIT(1 << 22), key = CBK_BUF_INIT(1 << 20);
    if (!id) {
        cb_error(res, "InvalidInputException", "Build ID is required");
        goto out;
    }
    if (!cb_parse_build_id(id, project, sizeof project, &bare)) {
        cb_error(res, "InvalidInputException", "Invalid build ID provided");
        goto out;
    }
    if (token) {
        cb_token_key("RetryBuild", token, cb_doc(c), &key, &params);
        if (cb_idempotent_answer(cb, c, token, &key, &params, res, cb_render_build_output))
            goto out;
    }
    struct item *orig = cb_item_find(cb, bare, strlen(bare));
    if (orig && (orig->batch || !cb_visible(orig, c->now_ms)))
        orig = NULL;
    if (!orig && c->world == CBK_WORLD_STRICT) {
        cb_error(res, "ResourceNotFoundException", "Build %.300s does not exist", id);
        goto out;
    }
    struct project *p = cb_project_for_run(cb, c, project, res);
    if (!p)
        goto out;
    struct item *it = cb_item_new(cb, false, project, c->rng, c->now_ms);
    it->number = ++p->builds;
    int64_t timeout, queued;
    if (orig) {
        if (orig->number >= it->number)
            it->number = p->builds = orig->number + 1;
        it->config = cb_config_ref(orig->config);
        it->env = cb_config_ref(orig->env);
        it->logs = cb_config_ref(orig->logs);
        it->source_version = orig->source_version ? cbk_xstrdup(orig->source_version) : NULL;
        timeout = orig->timeout_min;
        queued = orig->queued_min;
        res->answered_by = "state";
    } else {
        cb_project_build_config(cb, project, p, it);
        timeout = p->build_timeout;
        queued = p->build_queued;
        res->answered_by = "generated";
    }
    start_planned(cb, c, it, timeout, queued, token, &key, &params, res);
out:
    cbk_buf_release(&params);
    cbk_buf_release(&key);
    cbk_buf_release(&idtok[0]);
    cbk_buf_release(&idtok[1]);
}

/* The open world's answer for a build it never saw: it existed, running in BUILD. */
static struct item *made_up_build(struct cbk_cb *cb, struct cbk_cb_call *c, const char *bare,
                                  const char *project, struct project *p)
{
    struct item *it = cb_item_alloc(bare, strlen(bare));
    it->number = ++p->builds;
    it->seed = cbk_rng_next(c->rng);
    it->plan = cbk_xmalloc(sizeof(*it->plan));
    cb_plan_init(it->plan, it->seed, 0); /* realistic: it has been building for a while */
    it->timeout_min = 60;
    it->queued_min = 480;
    int64_t before = 0;
    for (int i = 0; i < CB_PH_BUILD; i++)
        before += it->plan->dur_ms[i];
    it->start_ms = c->now_ms - before - 1000 - (int64_t)cbk_rng_below(c->rng, 5000);
    cb_project_build_config(cb, project, p, it);
    cb_item_store(cb, it);
    return it;
}

void cb_stop_build(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cbk_buf idb = CBK_BUF_INIT(1 << 20);
    const char *id = cb_top_str(c, "id", &idb);
    char project[256];
    const char *bare = NULL;
    if (!id || !cb_parse_build_id(id, project, sizeof project, &bare)) {
        cb_error(res, "InvalidInputException", "Invalid build ID provided");
        goto out;
    }
    struct item *it = cb_item_find(cb, bare, strlen(bare));
    if (it && (it->batch || !cb_visible(it, c->now_ms)))
        it = NULL;
    if (!it) {
        if (c->world == CBK_WORLD_STRICT) {
            cb_error(res, "ResourceNotFoundException", "Build %.300s does not exist", id);
            goto out;
        }
        struct project *p = cb_project_for_run(cb, c, project, res);
        if (!p)
            goto out;
        it = made_up_build(cb, c, bare, project, p);
        res->answered_by = "generated";
    }
    struct cb_view v;
    struct cb_plan tmp;
    cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, c->now_ms, &v);
    if (!v.complete && it->stop_ms < 0 && v.current < CB_PH_FINALIZING) {
        /* the phase it is in is STOPPED now; FINALIZING takes no time after a stop, so the
         * answer shows the build complete, as CodeBuild's does */
        it->stop_ms = c->now_ms > it->start_ms ? c->now_ms : it->start_ms;
        cb_item_own_plan(cb, it)->dur_ms[CB_PH_FINALIZING] = 0;
        cb_batch_member_changed(cb, it, c->now_ms);
    }
    cb_render_build_output(cb, it, c->now_ms, c->out);
    res->status = 200;
out:
    cbk_buf_release(&idb);
}

/* ---- BatchGetBuilds, BatchDeleteBuilds -------------------------------------------------- */

/* The strings of request list 'key' (at most 'max'; the validator bounds them). */
void cb_batch_get_builds(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cb_strlist ids;
    cb_strlist_get(c, "ids", &ids);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    CBK_JSONW_KEY(&w, "builds");
    cbk_jsonw_arr(&w);
    size_t missing = 0;
    for (size_t i = 0; i < ids.n; i++) {
        const struct item *it = cb_build_find(cb, ids.v[i]);
        if (it && cb_visible(it, c->now_ms))
            cb_render_build(cb, it, c->now_ms, &w);
        else
            missing++;
    }
    cbk_jsonw_end_arr(&w);
    if (missing) {
        CBK_JSONW_KEY(&w, "buildsNotFound");
        cbk_jsonw_arr(&w);
        for (size_t i = 0; i < ids.n; i++) {
            const struct item *it = cb_build_find(cb, ids.v[i]);
            if (!it || !cb_visible(it, c->now_ms))
                cbk_jsonw_str(&w, ids.v[i]);
        }
        cbk_jsonw_end_arr(&w);
    }
    cbk_jsonw_end_obj(&w);
    cb_strlist_free(&ids);
    res->status = 200;
}

void cb_batch_delete_builds(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cb_strlist ids;
    cb_strlist_get(c, "ids", &ids);
    struct cbk_buf deleted = CBK_BUF_INIT((size_t)4 << 20), kept = CBK_BUF_INIT((size_t)4 << 20);
    struct cbk_jsonw wd, wk;
    cbk_jsonw_init(&wd, &deleted);
    cbk_jsonw_init(&wk, &kept);
    cbk_jsonw_arr(&wd);
    cbk_jsonw_arr(&wk);
    size_t nd = 0;
    for (size_t i = 0; i < ids.n; i++) {
        const char *id = ids.v[i];
        struct item *it = cb_build_find(cb, id);
        if (it && !cb_visible(it, c->now_ms))
            it = NULL;
        char arn[1024], project[256];
        const char *bare = NULL;
        bool parsed = cb_parse_build_id(id, project, sizeof project, &bare);
        snprintf(arn, sizeof arn, "arn:aws:codebuild:%s:%s:build/%s", cb->region, cb->account,
                 parsed ? bare : id);
        const char *code = NULL;
        if (it) {
            struct cb_view v;
            struct cb_plan tmp;
            cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, c->now_ms, &v);
            if (!v.complete)
                code = "BUILD_IN_PROGRESS";
        } else if (c->world == CBK_WORLD_STRICT || !parsed) {
            code = "BUILD_NOT_FOUND";
        }
        if (code) {
            cbk_jsonw_obj(&wk);
            cbk_jsonw_kstr(&wk, "id", arn);
            cbk_jsonw_kstr(&wk, "statusCode", code);
            cbk_jsonw_end_obj(&wk);
            continue;
        }
        if (it)
            cb_item_remove(cb, it);
        cbk_jsonw_str(&wd, arn);
        nd++;
    }
    cbk_jsonw_end_arr(&wd);
    cbk_jsonw_end_arr(&wk);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    if (nd) {
        cbk_jsonw_key(&w, "buildsDeleted");
        cbk_jsonw_raw(&w, deleted.ptr, deleted.len);
    }
    cbk_jsonw_key(&w, "buildsNotDeleted");
    cbk_jsonw_raw(&w, kept.ptr, kept.len);
    cbk_jsonw_end_obj(&w);
    cbk_buf_release(&deleted);
    cbk_buf_release(&kept);
    cb_strlist_free(&ids);
    res->status = 200;
}

/* ---- ListBuilds, ListBuildsForProject ----------------------------------------------------- */

struct brow {
    const struct item *it;
    int64_t key; /* build number (ListBuildsForProject) or 0 */
    int64_t seq;
};

static int brow_cmp(const struct brow *a, const struct brow *b)
{
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int brow_asc(const void *a, const void *b)
{
    return brow_cmp(a, b);
}

static int brow_desc(const void *a, const void *b)
{
    return brow_cmp(b, a);
}

/* Answer one page of 'rows' (sorted by 'desc') after the request's nextToken. */
static void list_page(struct cbk_cb_call *c, struct brow *rows, size_t n, bool desc,
                      struct cbk_cb_result *res)
{
    qsort(rows, n, sizeof *rows, desc ? brow_desc : brow_asc);
    const char *tok = cb_get_str(cb_doc(c), "nextToken");
    size_t from = 0;
    if (tok) {
        struct brow after = {NULL, 0, 0};
        char name[8];
        if (!cb_page_token_parse(tok, &after.key, &after.seq, name, sizeof name)) {
            cb_error(res, "InvalidInputException", "Invalid next token");
            return;
        }
        while (from < n &&
               (desc ? brow_cmp(&rows[from], &after) >= 0 : brow_cmp(&rows[from], &after) <= 0))
            from++;
    }
    size_t to = CBK_MIN(n, from + CB_PAGE);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "ids");
    cbk_jsonw_arr(&w);
    for (size_t i = from; i < to; i++)
        cbk_jsonw_str(&w, rows[i].it->id);
    cbk_jsonw_end_arr(&w);
    if (to < n) {
        struct cbk_buf t = CBK_BUF_INIT(1 << 12);
        cb_page_token(&t, rows[to - 1].key, rows[to - 1].seq, "");
        cbk_jsonw_kstr(&w, "nextToken", cbk_buf_str(&t));
        cbk_buf_release(&t);
    }
    cbk_jsonw_end_obj(&w);
    res->status = 200;
}

void cb_list_builds(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    const char *order = cb_get_str(cb_doc(c), "sortOrder");
    struct brow *rows = cbk_xcalloc(cb->nitems + 1, sizeof(*rows));
    size_t n = 0;
    for (const struct item *it = cb->oldest; it; it = it->newer)
        if (!it->batch && cb_visible(it, c->now_ms))
            rows[n++] = (struct brow){it, 0, (int64_t)it->seq};
    /* no sortOrder: the newest first */
    list_page(c, rows, n, !order || strcmp(order, "DESCENDING") == 0, res);
    free(rows);
}

void cb_list_builds_for_project(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_get_str(rq, "projectName"), *order = cb_get_str(rq, "sortOrder");
    if (!name)
        name = "";
    size_t nl = strlen(name);
    struct brow *rows = cbk_xcalloc(cb->nitems + 1, sizeof(*rows));
    size_t n = 0;
    for (const struct item *it = cb->oldest; it; it = it->newer)
        if (!it->batch && it->plen == nl && memcmp(it->id, name, nl) == 0 &&
            cb_visible(it, c->now_ms))
            rows[n++] = (struct brow){it, it->number, (int64_t)it->seq};
    if (!n && c->world == CBK_WORLD_STRICT && !cb_project_find(cb, name)) {
        free(rows);
        cb_project_not_found(cb, res, name);
        return;
    }
    /* no sortOrder: descending by build number, as documented */
    list_page(c, rows, n, !order || strcmp(order, "DESCENDING") == 0, res);
    free(rows);
}
