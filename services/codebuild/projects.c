/*
 * projects.c - build projects and their webhooks (see world.h): CreateProject (the defaults AWS
 * fills in), UpdateProject, UpdateProjectVisibility, DeleteProject, BatchGetProjects,
 * ListProjects (sorted, paged), InvalidateProjectCache, Create/Update/DeleteWebhook, and the
 * project a build runs in (the open world makes up the ones it does not know).
 *
 * A project keeps its members as JSON text (struct project.json), normalized: what the
 * request gave, and AWS's defaults for what it left out. A project the open world made up has
 * no text until it is read or changed (it costs a few bytes until then).
 */
#include "core/setup.h"
#include "services/codebuild/world.h"
#include "core/alloc.h"
#include "core/jsonq.h"

#include <ctype.h>

/* The members of a Project the text holds, in the model's order (name, arn, created,
 * lastModified and webhook are the project's own fields, rendered around the text). */
static const char *const member_order[] = {
    "description",
    "source",
    "secondarySources",
    "sourceVersion",
    "secondarySourceVersions",
    "artifacts",
    "secondaryArtifacts",
    "cache",
    "environment",
    "serviceRole",
    "timeoutInMinutes",
    "queuedTimeoutInMinutes",
    "encryptionKey",
    "tags",
    "vpcConfig",
    "badge",
    "logsConfig",
    "fileSystemLocations",
    "buildBatchConfig",
    "concurrentBuildLimit",
    "projectVisibility",
    "publicProjectAlias",
    "resourceAccessRole",
    "autoRetryLimit",
};

void cb_project_free(void *p)
{
    struct project *pr = p;
    if (!pr)
        return;
    free(pr->json);
    if (pr->webhook)
        json_object_put(pr->webhook);
    /* build_config: the world's configuration map is released with the world; a project
     * deleted alone drops its reference in drop_project() */
    free(pr);
}

struct project *cb_project_find(const struct cbk_cb *cb, const char *name)
{
    return cbk_hmap_get(&cb->projects, name, strlen(name));
}

const char *cb_project_name(const struct cbk_cb *cb, const char *name)
{
    return cbk_hmap_key(&cb->projects, name, strlen(name));
}

static struct project *add_project(struct cbk_cb *cb, const char *name, int64_t now)
{
    if (cb->projects.n >= CB_MAX_PROJECTS)
        return NULL;
    struct project *p = cbk_xcalloc(1, sizeof(*p));
    p->created_ms = p->modified_ms = now;
    p->seq = ++cb->seq;
    cbk_hmap_put(&cb->projects, name, strlen(name), p);
    return p;
}

struct project *cb_project_make(struct cbk_cb *cb, const char *name, int64_t now)
{
    struct project *p = cb_project_find(cb, name);
    return p ? p : add_project(cb, name, now);
}

static void quota_error(struct cbk_cb_result *res)
{
    res->answered_by = "state";
    cb_error(res, "AccountLimitExceededException",
             "Cannot have more than %d projects in an account and region", CB_MAX_PROJECTS);
}

struct project *cb_project_for_run(struct cbk_cb *cb, const struct cbk_cb_call *c, const char *name,
                                   struct cbk_cb_result *res)
{
    struct project *p = cb_project_find(cb, name);
    if (p)
        return p;
    if (c->world == CBK_WORLD_STRICT) {
        cb_project_not_found(cb, res, name);
        return NULL;
    }
    p = add_project(cb, name, c->now_ms);
    if (!p)
        quota_error(res);
    else
        res->answered_by = "generated"; /* the open world made the project up */
    return p;
}

/* ---- members ---------------------------------------------------------------------------- */

static struct json_object *jstr(const char *s)
{
    return json_object_new_string(s);
}

static void set(struct json_object *o, const char *key, struct json_object *v)
{
    json_object_object_add(o, key, v);
}

/* Fill in what AWS fills in when a request leaves it out (CreateProject, UpdateProject). */
static void normalize(struct cbk_cb *cb, const char *name, struct json_object *o)
{
    char arn[512];
    struct json_object *src = cb_get(o, "source");
    if (!src) {
        src = json_object_new_object();
        set(src, "type", jstr("CODECOMMIT"));
        char loc[512];
        snprintf(loc, sizeof loc, "https://git-codecommit.%s.amazonaws.com/v1/repos/%s", cb->region,
                 name);
        set(src, "location", jstr(loc));
        set(src, "gitCloneDepth", json_object_new_int(1));
        struct json_object *sub = json_object_new_object();
        set(sub, "fetchSubmodules", json_object_new_boolean(false));
        set(src, "gitSubmodulesConfig", sub);
        set(src, "buildspec", jstr("buildspec.yml"));
        set(o, "source", src);
    }
    if (!cb_get(src, "insecureSsl"))
        set(src, "insecureSsl", json_object_new_boolean(false));
    static const char *const lists[] = {"secondarySources", "secondarySourceVersions",
                                        "secondaryArtifacts", "tags", "fileSystemLocations"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(lists); i++)
        if (!cb_get(o, lists[i]))
            set(o, lists[i], json_object_new_array());
    struct json_object *art = cb_get(o, "artifacts");
    if (!art) {
        art = json_object_new_object();
        set(art, "type", jstr("NO_ARTIFACTS"));
        set(o, "artifacts", art);
    }
    const char *at = cb_get_str(art, "type");
    if (at && strcmp(at, "S3") == 0 && !cb_get(art, "packaging"))
        set(art, "packaging", jstr("NONE"));
    if (!cb_get(o, "cache")) {
        struct json_object *cache = json_object_new_object();
        set(cache, "type", jstr("NO_CACHE"));
        set(o, "cache", cache);
    }
    struct json_object *env = cb_get(o, "environment");
    if (!env) {
        env = json_object_new_object();
        set(env, "type", jstr("LINUX_CONTAINER"));
        set(env, "image", jstr("aws/codebuild/amazonlinux2-x86_64-standard:5.0"));
        set(env, "computeType", jstr("BUILD_GENERAL1_SMALL"));
        set(o, "environment", env);
    }
    if (!cb_get(env, "environmentVariables"))
        set(env, "environmentVariables", json_object_new_array());
    struct json_object *vars = cb_get(env, "environmentVariables");
    for (size_t i = 0;
         json_object_is_type(vars, json_type_array) && i < json_object_array_length(vars); i++) {
        struct json_object *v = json_object_array_get_idx(vars, i);
        if (v && json_object_is_type(v, json_type_object) && !cb_get(v, "type"))
            set(v, "type", jstr("PLAINTEXT"));
    }
    if (!cb_get(env, "privilegedMode"))
        set(env, "privilegedMode", json_object_new_boolean(false));
    if (!cb_get(env, "imagePullCredentialsType"))
        set(env, "imagePullCredentialsType", jstr("CODEBUILD"));
    if (!cb_get(o, "serviceRole")) {
        cb_role_arn(cb, name, arn, sizeof arn);
        set(o, "serviceRole", jstr(arn));
    }
    if (!cb_get(o, "timeoutInMinutes"))
        set(o, "timeoutInMinutes", json_object_new_int(60));
    if (!cb_get(o, "queuedTimeoutInMinutes"))
        set(o, "queuedTimeoutInMinutes", json_object_new_int(480));
    if (!cb_get(o, "encryptionKey")) {
        cb_kms_arn(cb, arn, sizeof arn);
        set(o, "encryptionKey", jstr(arn));
    }
    if (!cb_get(o, "badge")) {
        struct json_object *b = json_object_new_object();
        set(b, "badgeEnabled", json_object_new_boolean(false));
        set(o, "badge", b);
    }
    if (!cb_get(o, "logsConfig")) {
        struct json_object *lc = json_object_new_object(), *cw = json_object_new_object(),
                           *s3 = json_object_new_object();
        set(cw, "status", jstr("ENABLED"));
        set(s3, "status", jstr("DISABLED"));
        set(s3, "encryptionDisabled", json_object_new_boolean(false));
        set(lc, "cloudWatchLogs", cw);
        set(lc, "s3Logs", s3);
        set(o, "logsConfig", lc);
    }
    if (!cb_get(o, "projectVisibility"))
        set(o, "projectVisibility", jstr("PRIVATE"));
}

/* The members of 'o' in the model's order, comma-separated, without braces. Caller frees. */
static char *members_text(struct json_object *o)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)8 << 20);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    for (size_t i = 0; i < CBK_ARRAY_SIZE(member_order); i++)
        cb_copy_member(&w, member_order[i], cb_get(o, member_order[i]));
    cbk_jsonw_end_obj(&w);
    char *s = cbk_xstrndup(b.ptr + 1, b.len >= 2 ? b.len - 2 : 0);
    cbk_buf_release(&b);
    return s;
}

/* The project's text, made from the defaults for a project the open world made up. */
static const char *project_text(struct cbk_cb *cb, const char *name, struct project *p)
{
    if (!p->json) {
        struct json_object *o = json_object_new_object();
        normalize(cb, name, o);
        p->json = members_text(o);
        json_object_put(o);
    }
    return p->json;
}

struct json_object *cb_project_doc(struct cbk_cb *cb, const char *name, const struct project *p)
{
    struct project *mp = (struct project *)p; /* the lazily made text only */
    const char *text = project_text(cb, name, mp);
    size_t n = strlen(text);
    char *s = cbk_xmalloc(n + 3);
    s[0] = '{';
    memcpy(s + 1, text, n);
    s[n + 1] = '}';
    s[n + 2] = '\0';
    struct json_object *o = cbk_jsonq_parse(s, n + 2);
    free(s);
    return o ? o : json_object_new_object();
}

/* A project changed: new members text, a new lastModified, builds use the new members. */
static void set_members(struct cbk_cb *cb, const char *name, struct project *p,
                        struct json_object *o, int64_t now)
{
    normalize(cb, name, o);
    free(p->json);
    p->json = members_text(o);
    p->modified_ms = now;
    cb_config_unref(cb, p->build_config);
    cb_config_unref(cb, p->build_env);
    cb_config_unref(cb, p->build_logs);
    p->build_config = p->build_env = p->build_logs = NULL;
}

/* The request's members over 'o' (CreateProject, UpdateProject): name stays, badgeEnabled
 * becomes the badge. */
static void apply_request(struct cbk_cb *cb, const char *name, struct json_object *o,
                          struct json_object *rq)
{
    json_object_object_foreach(rq, k, v)
    {
        if (!v || strcmp(k, "name") == 0 || strcmp(k, "badgeEnabled") == 0)
            continue;
        set(o, k, json_object_get(v));
    }
    struct json_object *be = cb_get(rq, "badgeEnabled");
    if (be) {
        struct json_object *b = json_object_new_object();
        bool on = json_object_get_boolean(be);
        set(b, "badgeEnabled", json_object_new_boolean(on));
        if (on) {
            char url[1024];
            snprintf(url, sizeof url,
                     "https://codebuild.%s.amazonaws.com/badges?uuid=eyJlbmNyeXB0ZWREYXRh&"
                     "sourceVersion=%s",
                     cb->region, "main");
            set(b, "badgeRequestUrl", jstr(url));
        }
        set(o, "badge", b);
    }
    (void)name;
}

/* A webhook as AWS writes it (lastModifiedSecret is kept in milliseconds). */
static void write_hook_members(struct cbk_jsonw *w, struct json_object *h)
{
    json_object_object_foreach(h, k, v)
    {
        if (!v)
            continue;
        if (strcmp(k, "lastModifiedSecret") == 0) {
            cbk_jsonw_key(w, k);
            cbk_jsonw_epoch_ms(w, json_object_get_int64(v));
        } else {
            cb_copy_member(w, k, v);
        }
    }
}

static void render_project(struct cbk_cb *cb, const char *name, struct project *p,
                           struct cbk_jsonw *w)
{
    char arn[512];
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "name", name);
    cb_project_arn(cb, name, arn, sizeof arn);
    cbk_jsonw_kstr(w, "arn", arn);
    const char *text = project_text(cb, name, p);
    if (*text)
        cbk_jsonw_raw(w, text, strlen(text)); /* members, comma-separated */
    cbk_jsonw_kepoch_ms(w, "created", p->created_ms);
    cbk_jsonw_kepoch_ms(w, "lastModified", p->modified_ms);
    if (p->webhook) {
        cbk_jsonw_key(w, "webhook");
        cbk_jsonw_obj(w);
        write_hook_members(w, p->webhook);
        cbk_jsonw_end_obj(w);
    }
    cbk_jsonw_end_obj(w);
}

static void answer_project(struct cbk_cb *cb, struct cbk_cb_call *c, const char *name,
                           struct project *p, struct cbk_cb_result *res)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "project");
    render_project(cb, name, p, &w);
    cbk_jsonw_end_obj(&w);
    res->status = 200;
}

static void answer_empty(struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    cbk_buf_adds(c->out, "{}");
    res->status = 200;
}

/* ---- operations ------------------------------------------------------------------------------ */

/* AWS's name rule, on the whole name: a letter or digit, then 1 to 149 letters, digits, '-'
 * or '_' (the model's pattern is not anchored, so the validator finds it in longer names). */
static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 150 || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

void cb_create_project(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_get_str(rq, "name");
    if (!name || !*name) {
        cb_error(res, "InvalidInputException", "Project name is required");
        return;
    }
    if (!valid_name(name)) {
        cb_error(res, "InvalidInputException",
                 "1 validation error detected: Value '%.200s' at 'name' failed to satisfy "
                 "constraint: Member must satisfy regular expression pattern: "
                 "[A-Za-z0-9][A-Za-z0-9\\-_]{1,149}",
                 name);
        return;
    }
    if (cb_project_find(cb, name)) {
        char arn[512];
        cb_project_arn(cb, name, arn, sizeof arn);
        cb_error(res, "ResourceAlreadyExistsException", "Project already exists: %.400s", arn);
        return;
    }
    struct project *p = add_project(cb, name, c->now_ms);
    if (!p) {
        quota_error(res);
        return;
    }
    struct json_object *o = json_object_new_object();
    apply_request(cb, name, o, rq);
    set_members(cb, name, p, o, c->now_ms);
    json_object_put(o);
    answer_project(cb, c, cb_project_name(cb, name), p, res);
}

const char *cb_run_project_name(struct json_object *rq, struct cbk_cb_result *res)
{
    const char *name = cb_get_str(rq, "projectName");
    if (!name || !*name) {
        cb_error(res, "InvalidInputException", "Project name is required");
        return NULL;
    }
    if (strlen(name) > 255) {
        cb_error(res, "InvalidInputException", "Invalid project name");
        return NULL;
    }
    return name;
}

/* The project named by a request that changes it: known, or made up in the open world. */
static struct project *project_to_change(struct cbk_cb *cb, struct cbk_cb_call *c, const char *name,
                                         struct cbk_cb_result *res)
{
    if (!name || !*name) {
        cb_error(res, "InvalidInputException", "Project name is required");
        return NULL;
    }
    return cb_project_for_run(cb, c, name, res);
}

void cb_update_project(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_get_str(rq, "name");
    struct project *p = project_to_change(cb, c, name, res);
    if (!p)
        return;
    struct json_object *o = cb_project_doc(cb, name, p);
    apply_request(cb, name, o, rq);
    set_members(cb, name, p, o, c->now_ms);
    json_object_put(o);
    answer_project(cb, c, cb_project_name(cb, name), p, res);
}

/* The project name in "arn:aws:codebuild:REGION:ACCOUNT:project/NAME" (or a bare name). */
static bool name_of_arn(struct cbk_cb *cb, const char *s, char *name, size_t n)
{
    if (strncmp(s, "arn:", 4) != 0) {
        if (strlen(s) >= n)
            return false;
        snprintf(name, n, "%s", s);
        return true;
    }
    char prefix[256];
    snprintf(prefix, sizeof prefix, "arn:aws:codebuild:%s:%s:project/", cb->region, cb->account);
    size_t pl = strlen(prefix);
    if (strncmp(s, prefix, pl) != 0 || !s[pl] || strlen(s + pl) >= n)
        return false;
    snprintf(name, n, "%s", s + pl);
    return true;
}

void cb_update_project_visibility(struct cbk_cb *cb, struct cbk_cb_call *c,
                                  struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *parn = cb_get_str(rq, "projectArn");
    const char *vis = cb_get_str(rq, "projectVisibility");
    char name[256];
    if (!parn || !name_of_arn(cb, parn, name, sizeof name)) {
        cb_error(res, "InvalidInputException", "Invalid project ARN: %.300s", parn ? parn : "");
        return;
    }
    struct project *p = project_to_change(cb, c, name, res);
    if (!p)
        return;
    struct json_object *o = cb_project_doc(cb, name, p);
    set(o, "projectVisibility", jstr(vis ? vis : "PRIVATE"));
    const char *role = cb_get_str(rq, "resourceAccessRole");
    if (role)
        set(o, "resourceAccessRole", jstr(role));
    if (vis && strcmp(vis, "PUBLIC_READ") == 0) {
        if (!cb_get(o, "publicProjectAlias")) {
            char uuid[37];
            cb_new_uuid(c->rng, uuid);
            set(o, "publicProjectAlias", jstr(uuid));
        }
    } else {
        json_object_object_del(o, "publicProjectAlias");
    }
    set_members(cb, name, p, o, c->now_ms);
    char arn[512];
    cb_project_arn(cb, name, arn, sizeof arn);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "projectArn", arn);
    const char *alias = cb_get_str(o, "publicProjectAlias");
    if (alias)
        cbk_jsonw_kstr(&w, "publicProjectAlias", alias);
    cbk_jsonw_kstr(&w, "projectVisibility", vis ? vis : "PRIVATE");
    cbk_jsonw_end_obj(&w);
    json_object_put(o);
    res->status = 200;
}

static void drop_project(struct cbk_cb *cb, const char *name)
{
    struct project *p = cbk_hmap_del(&cb->projects, name, strlen(name));
    if (!p)
        return;
    cb_config_unref(cb, p->build_config);
    cb_config_unref(cb, p->build_env);
    cb_config_unref(cb, p->build_logs);
    cb_project_free(p);
}

void cb_delete_project(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    /* AWS answers {} whether or not the project existed (DeleteProject has no
     * ResourceNotFoundException); its builds stay */
    const char *name = cb_get_str(cb_doc(c), "name");
    if (name)
        drop_project(cb, name);
    answer_empty(c, res);
}

void cb_batch_get_projects(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct cb_strlist names;
    cb_strlist_get(c, "names", &names);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "projects");
    cbk_jsonw_arr(&w);
    size_t missing = 0;
    for (size_t i = 0; i < names.n; i++) {
        const char *s = names.v[i];
        char name[256];
        struct project *p =
            name_of_arn(cb, s, name, sizeof name) ? cb_project_find(cb, name) : NULL;
        if (p)
            render_project(cb, cb_project_name(cb, name), p, &w);
        else
            missing++;
    }
    cbk_jsonw_end_arr(&w);
    if (missing) {
        cbk_jsonw_key(&w, "projectsNotFound");
        cbk_jsonw_arr(&w);
        for (size_t i = 0; i < names.n; i++) {
            const char *s = names.v[i];
            char name[256];
            if (!name_of_arn(cb, s, name, sizeof name) || !cb_project_find(cb, name))
                cbk_jsonw_str(&w, s);
        }
        cbk_jsonw_end_arr(&w);
    }
    cbk_jsonw_end_obj(&w);
    cb_strlist_free(&names);
    res->status = 200;
}

/* ---- ListProjects ------------------------------------------------------------------------------
 */

struct prow {
    const char *name;
    int64_t key; /* the time sorted by (0 for NAME) */
    uint64_t seq;
};

struct collect {
    struct prow *v;
    size_t n;
    int by; /* 0 NAME, 1 CREATED_TIME, 2 LAST_MODIFIED_TIME */
};

static void collect_project(const char *key, size_t klen, void *value, void *arg)
{
    CBK_UNUSED(klen);
    struct collect *cl = arg;
    const struct project *p = value;
    struct prow *r = &cl->v[cl->n++];
    r->name = key;
    r->key = cl->by == 1 ? p->created_ms : cl->by == 2 ? p->modified_ms : 0;
    r->seq = p->seq;
}

static int prow_cmp(const struct prow *a, const struct prow *b)
{
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int prow_asc(const void *a, const void *b)
{
    return prow_cmp(a, b);
}

static int prow_desc(const void *a, const void *b)
{
    return prow_cmp(b, a);
}

void cb_list_projects(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *by = cb_get_str(rq, "sortBy"), *order = cb_get_str(rq, "sortOrder");
    const char *tok = cb_get_str(rq, "nextToken");
    struct collect cl = {cbk_xcalloc(cb->projects.n + 1, sizeof(struct prow)), 0, 0};
    if (by && strcmp(by, "CREATED_TIME") == 0)
        cl.by = 1;
    else if (by && strcmp(by, "LAST_MODIFIED_TIME") == 0)
        cl.by = 2;
    /* no sortOrder: ascending by name, descending by time (the newest first) */
    bool desc = order ? strcmp(order, "DESCENDING") == 0 : cl.by != 0;
    cbk_hmap_each(&cb->projects, collect_project, &cl);
    qsort(cl.v, cl.n, sizeof *cl.v, desc ? prow_desc : prow_asc);
    size_t from = 0;
    if (tok) {
        struct prow after = {NULL, 0, 0};
        int64_t seq;
        char name[256];
        if (!cb_page_token_parse(tok, &after.key, &seq, name, sizeof name)) {
            free(cl.v);
            cb_error(res, "InvalidInputException", "Invalid next token");
            return;
        }
        after.name = name;
        while (from < cl.n &&
               (desc ? prow_cmp(&cl.v[from], &after) >= 0 : prow_cmp(&cl.v[from], &after) <= 0))
            from++;
    }
    size_t to = CBK_MIN(cl.n, from + CB_PAGE);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "projects");
    cbk_jsonw_arr(&w);
    for (size_t i = from; i < to; i++)
        cbk_jsonw_str(&w, cl.v[i].name);
    cbk_jsonw_end_arr(&w);
    if (to < cl.n) {
        struct cbk_buf t = CBK_BUF_INIT(1 << 12);
        cb_page_token(&t, cl.v[to - 1].key, 0, cl.v[to - 1].name);
        cbk_jsonw_kstr(&w, "nextToken", cbk_buf_str(&t));
        cbk_buf_release(&t);
    }
    cbk_jsonw_end_obj(&w);
    free(cl.v);
    res->status = 200;
}

void cb_invalidate_project_cache(struct cbk_cb *cb, struct cbk_cb_call *c,
                                 struct cbk_cb_result *res)
{
    const char *name = cb_get_str(cb_doc(c), "projectName");
    if (name && !cb_project_find(cb, name) && c->world == CBK_WORLD_STRICT) {
        cb_project_not_found(cb, res, name);
        return;
    }
    answer_empty(c, res);
}

/* ---- webhooks ------------------------------------------------------------------------------- */

/* "https://api.github.com/repos/OWNER/REPO/hooks/N" for a GitHub location, else the payload
 * URL. */
static void hook_url(struct cbk_cb *cb, struct json_object *src, const char *payload,
                     struct cbk_rng *rng, char *out, size_t n)
{
    const char *loc = cb_get_str(src, "location");
    const char *gh = "https://github.com/";
    if (loc && strncmp(loc, gh, strlen(gh)) == 0) {
        char repo[512];
        snprintf(repo, sizeof repo, "%s", loc + strlen(gh));
        size_t rl = strlen(repo);
        if (rl > 4 && strcmp(repo + rl - 4, ".git") == 0)
            repo[rl - 4] = '\0';
        snprintf(out, n, "https://api.github.com/repos/%s/hooks/%" PRIu64, repo,
                 100000000 + cbk_rng_below(rng, 900000000));
        return;
    }
    snprintf(out, n, "%s", payload);
    (void)cb;
}

static const char *const hook_members[] = {"branchFilter",       "filterGroups",
                                           "buildType",          "manualCreation",
                                           "scopeConfiguration", "pullRequestBuildPolicy"};

/*
 * Make or change the webhook of 'p' from request 'rq'. The answer carries the secret when the
 * webhook is made by hand (manualCreation) or its secret rotated; what the project keeps never
 * does (BatchGetProjects shows no secret).
 */
static void write_webhook(struct cbk_cb *cb, struct cbk_cb_call *c, const char *name,
                          struct project *p, struct json_object *rq, bool rotate)
{
    struct json_object *h = p->webhook ? p->webhook : json_object_new_object();
    p->webhook = h;
    if (!cb_get(h, "url")) {
        char token[40], payload[512], url[1024];
        cb_new_uuid(c->rng, token);
        snprintf(payload, sizeof payload, "https://codebuild.%s.amazonaws.com/webhooks?t=%s&v=1",
                 cb->region, token);
        struct json_object *doc = cb_project_doc(cb, name, p);
        hook_url(cb, cb_get(doc, "source"), payload, c->rng, url, sizeof url);
        json_object_put(doc);
        set(h, "url", jstr(url));
        set(h, "payloadUrl", jstr(payload));
        rotate = true;
    }
    for (size_t i = 0; i < CBK_ARRAY_SIZE(hook_members); i++) {
        struct json_object *v = cb_get(rq, hook_members[i]);
        if (v)
            set(h, hook_members[i], json_object_get(v));
    }
    if (!cb_get(h, "buildType"))
        set(h, "buildType", jstr("BUILD"));
    if (!cb_get(h, "branchFilter") && !cb_get(h, "filterGroups"))
        set(h, "branchFilter", jstr(""));
    if (rotate)
        set(h, "lastModifiedSecret", json_object_new_int64(c->now_ms));
    set(h, "status", jstr("ACTIVE"));
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "webhook");
    cbk_jsonw_obj(&w);
    write_hook_members(&w, h);
    struct json_object *manual = cb_get(h, "manualCreation");
    if (rotate && manual && json_object_get_boolean(manual)) {
        char secret[40];
        cb_new_uuid(c->rng, secret);
        cbk_jsonw_kstr(&w, "secret", secret);
    }
    cbk_jsonw_end_obj(&w);
    cbk_jsonw_end_obj(&w);
    p->modified_ms = c->now_ms;
}

void cb_create_webhook(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_get_str(rq, "projectName");
    struct project *p = project_to_change(cb, c, name, res);
    if (!p)
        return;
    if (p->webhook) {
        cb_error(res, "ResourceAlreadyExistsException",
                 "A webhook already exists for the project %.255s", name);
        return;
    }
    write_webhook(cb, c, name, p, rq, true);
    res->status = 200;
}

void cb_update_webhook(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    struct json_object *rq = cb_doc(c);
    const char *name = cb_get_str(rq, "projectName");
    struct project *p = project_to_change(cb, c, name, res);
    if (!p)
        return;
    if (!p->webhook && c->world == CBK_WORLD_STRICT) {
        cb_error(res, "ResourceNotFoundException", "The project %.255s has no webhook", name);
        return;
    }
    struct json_object *rot = cb_get(rq, "rotateSecret");
    write_webhook(cb, c, name, p, rq, rot && json_object_get_boolean(rot));
    res->status = 200;
}

void cb_delete_webhook(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res)
{
    const char *name = cb_get_str(cb_doc(c), "projectName");
    struct project *p = name ? cb_project_find(cb, name) : NULL;
    if (c->world == CBK_WORLD_STRICT && !p) {
        cb_project_not_found(cb, res, name ? name : "");
        return;
    }
    if (c->world == CBK_WORLD_STRICT && !p->webhook) {
        cb_error(res, "ResourceNotFoundException", "The project %.255s has no webhook", name);
        return;
    }
    if (p && p->webhook) {
        json_object_put(p->webhook);
        p->webhook = NULL;
        p->modified_ms = c->now_ms;
    }
    answer_empty(c, res);
}
