/*
 * store.c - one account's CodeBuild world (see store.h, world.h): its lifetime and lock, the
 * index of builds and batches (newest kept, oldest forgotten past the cap), shared
 * configurations, idempotency tokens, the helpers of every resource family, the dispatch of
 * each operation to its family's file, seeding from scenarios and the admin state dump.
 */
#include "core/setup.h"
#include "services/codebuild/world.h"
#include "core/alloc.h"
#include "core/jsoncanon.h"
#include "core/jsonptr.h"
#include "core/jsonq.h"
#include "core/jsonscan.h"
#include "core/strtab.h"

struct token {
    char *params; /* canonical request without the token */
    char *id;     /* the build or batch it created */
    int64_t at_ms;
};

/* ---- errors ------------------------------------------------------------------------------ */

void cb_error(struct cbk_cb_result *res, const char *type, const char *fmt, ...)
{
    res->status = 400;
    res->error_type = type;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

void cb_project_not_found(struct cbk_cb *cb, struct cbk_cb_result *res, const char *name)
{
    res->answered_by = "state";
    cb_error(res, "ResourceNotFoundException",
             "Project cannot be found: arn:aws:codebuild:%s:%s:project/%.255s", cb->region,
             cb->account, name);
}

/* ---- request members ----------------------------------------------------------------------- */

struct json_object *cb_doc(struct cbk_cb_call *c)
{
    if (!c->req)
        /* body_len bytes: the request body is not a C string (fuzz/fuzz_mock_request,
         * regress-api-body-unterminated) */
        c->req = c->body_len ? cbk_jsonq_parse(c->body, c->body_len) : json_object_new_object();
    if (!c->req)
        c->req = json_object_new_object(); /* never for a validated request */
    return c->req;
}

struct json_object *cb_get(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v; /* NULL for a JSON null too */
}

const char *cb_get_str(struct json_object *o, const char *key)
{
    struct json_object *v = cb_get(o, key);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int64_t cb_get_int(struct json_object *o, const char *key, int64_t dflt)
{
    struct json_object *v = cb_get(o, key);
    return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : dflt;
}

const char *cb_top_str(const struct cbk_cb_call *c, const char *key, struct cbk_buf *b)
{
    if (c->req)
        return cb_get_str(c->req, key);
    return cbk_json_top_string(c->body, c->body_len, key, b) ? cbk_buf_str(b) : NULL;
}

void cb_strlist_get(struct cbk_cb_call *c, const char *key, struct cb_strlist *l)
{
    cbk_buf_init(&l->text, (size_t)16 << 20);
    l->v = NULL;
    l->n = 0;
    size_t n = 0;
    if (!c->req && cbk_json_top_string_list(c->body, c->body_len, key, &l->text, &n)) {
        l->v = cbk_xcalloc(n ? n : 1, sizeof(*l->v));
        for (const char *s = cbk_buf_str(&l->text); l->n < n; s += strlen(s) + 1)
            l->v[l->n++] = s;
        return;
    }
    struct json_object *list = cb_get(cb_doc(c), key);
    n = list && json_object_is_type(list, json_type_array) ? json_object_array_length(list) : 0;
    l->v = cbk_xcalloc(n ? n : 1, sizeof(*l->v));
    for (; l->n < n; l->n++) {
        struct json_object *e = json_object_array_get_idx(list, l->n);
        l->v[l->n] = e && json_object_is_type(e, json_type_string) ? json_object_get_string(e) : "";
    }
}

void cb_strlist_free(struct cb_strlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
    cbk_buf_release(&l->text);
}

void cb_copy_value(struct cbk_jsonw *w, struct json_object *v)
{
    if (json_object_is_type(v, json_type_object)) {
        cbk_jsonw_obj(w);
        json_object_object_foreach(v, k, m)
        {
            if (!m)
                continue;
            cbk_jsonw_key(w, k);
            cb_copy_value(w, m);
        }
        cbk_jsonw_end_obj(w);
    } else if (json_object_is_type(v, json_type_array)) {
        cbk_jsonw_arr(w);
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            struct json_object *e = json_object_array_get_idx(v, i);
            if (e)
                cb_copy_value(w, e);
            else
                cbk_jsonw_null(w);
        }
        cbk_jsonw_end_arr(w);
    } else if (json_object_is_type(v, json_type_string)) {
        cbk_jsonw_strn(w, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    } else {
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        cbk_jsonw_raw(w, s, strlen(s));
    }
}

void cb_copy_member(struct cbk_jsonw *w, const char *key, struct json_object *v)
{
    if (!v)
        return;
    cbk_jsonw_key(w, key);
    cb_copy_value(w, v);
}

void cb_empty_array(struct cbk_jsonw *w, const char *key)
{
    cbk_jsonw_key(w, key);
    cbk_jsonw_arr(w);
    cbk_jsonw_end_arr(w);
}

/* ---- ids and ARNs ------------------------------------------------------------------------ */

const char *cb_cat(char *buf, size_t cap, ...)
{
    va_list ap;
    va_start(ap, cap);
    size_t n = 0;
    const char *part;
    while ((part = va_arg(ap, const char *)) != NULL) {
        size_t l = CBK_MIN(strlen(part), cap - 1 - n);
        memcpy(buf + n, part, l);
        n += l;
    }
    va_end(ap);
    buf[n] = '\0';
    return buf;
}

void cb_new_uuid(struct cbk_rng *rng, char out[37])
{
    uint64_t hi = cbk_rng_next(rng), lo = cbk_rng_next(rng);
    cbk_uuid_format(out, hi, lo);
}

bool cb_parse_build_id(const char *id, char *project, size_t psize, const char **bare)
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

void cb_role_arn(struct cbk_cb *cb, const char *project, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:iam::%s:role/service-role/codebuild-%s-service-role", cb->account,
             project);
}

void cb_kms_arn(struct cbk_cb *cb, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:kms:%s:%s:alias/aws/s3", cb->region, cb->account);
}

void cb_project_arn(struct cbk_cb *cb, const char *project, char *out, size_t n)
{
    snprintf(out, n, "arn:aws:codebuild:%s:%s:project/%s", cb->region, cb->account, project);
}

/* ---- configurations ------------------------------------------------------------------------ */

struct config *cb_config_intern(struct cbk_cb *cb, const char *s, size_t len)
{
    struct config *c = cbk_hmap_get(&cb->configs, s, len);
    if (!c) {
        c = cbk_xcalloc(1, sizeof(*c));
        cbk_hmap_put(&cb->configs, s, len, c);
        c->s = cbk_hmap_key(&cb->configs, s, len);
        c->len = len;
        c->serial = ++cb->seq;
    }
    c->refs++;
    return c;
}

struct config *cb_config_ref(struct config *c)
{
    if (c)
        c->refs++;
    return c;
}

void cb_config_unref(struct cbk_cb *cb, struct config *c)
{
    if (!c || --c->refs > 0)
        return;
    cb_tmpl_free(c->fresh);
    cbk_hmap_del(&cb->configs, c->s, c->len);
    free(c);
}

const char *cb_intern(struct cbk_cb *cb, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    const char *k = cbk_hmap_key(&cb->strings, s, n);
    if (k)
        return k;
    if (cb->strings.n >= CB_MAX_STRINGS)
        return NULL;
    cbk_hmap_put(&cb->strings, s, n, (void *)1);
    return cbk_hmap_key(&cb->strings, s, n);
}

/* ---- the world's lifetime ------------------------------------------------------------------- */

void cb_item_free(struct item *it)
{
    if (!it)
        return;
    free(it->source_version);
    free(it->initiator);
    free(it->batch_arn);
    free(it->plan);
    cb_batch_free(it->binfo);
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

static void free_config(void *p)
{
    struct config *c = p;
    cb_tmpl_free(c->fresh);
    free(c);
}

struct cbk_cb *cbk_cb_new(const char *region, const char *account, size_t cap, int64_t build_ms)
{
    struct cbk_cb *cb = cbk_xcalloc(1, sizeof(*cb));
    pthread_mutex_init(&cb->mu, NULL);
    cb->region = cbk_xstrdup(region);
    cb->account = cbk_xstrdup(account);
    cb->cap = cap ? cap : 10000;
    cb->build_ms = build_ms > 0 ? build_ms : 0;
    cbk_hmap_init(&cb->tokens);
    cbk_hmap_init(&cb->projects);
    cbk_hmap_init(&cb->configs);
    cbk_hmap_init(&cb->strings);
    cbk_hmap_init(&cb->credentials);
    return cb;
}

static void clear(struct cbk_cb *cb)
{
    for (struct item *it = cb->oldest; it;) {
        struct item *n = it->newer;
        cb_item_free(it); /* configurations go with the map below */
        it = n;
    }
    free(cb->slots);
    cb->slots = NULL;
    cb->mask = 0;
    cb->nitems = 0;
    cb->oldest = cb->newest = NULL;
    cbk_hmap_release(&cb->tokens, free_token);
    cbk_hmap_release(&cb->projects, cb_project_free);
    cbk_hmap_release(&cb->configs, free_config);
    cbk_hmap_release(&cb->strings, NULL);
    cbk_hmap_release(&cb->credentials, cb_credential_free);
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

struct item *cb_item_find(const struct cbk_cb *cb, const char *id, size_t len)
{
    return item_find_hashed(cb, id, len, cbk_hash(id, len));
}

struct item *cb_build_find(const struct cbk_cb *cb, const char *id_or_arn)
{
    char project[256];
    const char *bare = NULL;
    if (!cb_parse_build_id(id_or_arn, project, sizeof project, &bare))
        return NULL;
    struct item *it = cb_item_find(cb, bare, strlen(bare));
    return it && !it->batch ? it : NULL;
}

static void slot_put(struct item **slots, size_t mask, struct item *it)
{
    size_t i = it->hash & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = it;
}

static void index_add(struct cbk_cb *cb, struct item *it)
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

/* Remove by shifting the rest of the probe run back (lookups stay right without tombstones). */
static void index_del(struct cbk_cb *cb, struct item *it)
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

const struct cb_plan *cb_item_plan(const struct cbk_cb *cb, const struct item *it,
                                   struct cb_plan *tmp)
{
    if (it->plan)
        return it->plan;
    cb_plan_init(tmp, it->seed, cb->build_ms);
    cb_plan_apply_timeouts(tmp, it->timeout_min, it->queued_min);
    return tmp;
}

struct cb_plan *cb_item_own_plan(struct cbk_cb *cb, struct item *it)
{
    if (!it->plan) {
        struct cb_plan tmp;
        const struct cb_plan *p = cb_item_plan(cb, it, &tmp);
        it->plan = cbk_xmalloc(sizeof(*it->plan));
        *it->plan = *p;
    }
    return it->plan;
}

struct item *cb_item_alloc(const char *id, size_t len)
{
    struct item *it = cbk_xcalloc(1, sizeof(*it) + len + 1);
    it->id = (char *)(it + 1);
    memcpy(it->id, id, len);
    it->id[len] = '\0';
    it->hash = cbk_hash(id, len);
    const char *colon = memrchr(it->id, ':', len);
    it->plen = (uint16_t)(colon ? (size_t)(colon - it->id) : len);
    it->stop_ms = -1;
    return it;
}

struct item *cb_item_new(struct cbk_cb *cb, bool batch, const char *project, struct cbk_rng *rng,
                         int64_t now)
{
    char uuid[37];
    cb_new_uuid(rng, uuid);
    char id[512];
    size_t pl = CBK_MIN(strlen(project), sizeof id - sizeof uuid - 1);
    memcpy(id, project, pl);
    id[pl] = ':';
    memcpy(id + pl + 1, uuid, sizeof uuid); /* with its NUL */
    struct item *it = cb_item_alloc(id, pl + sizeof uuid);
    it->batch = batch;
    it->start_ms = now;
    it->seed = cbk_rng_next(rng);
    (void)cb;
    return it;
}

static void unlink_item(struct cbk_cb *cb, struct item *it)
{
    index_del(cb, it);
    if (it->older)
        it->older->newer = it->newer;
    else
        cb->oldest = it->newer;
    if (it->newer)
        it->newer->older = it->older;
    else
        cb->newest = it->older;
}

void cb_item_touch(struct cbk_cb *cb, struct item *it)
{
    if (cb->newest == it)
        return;
    if (it->older)
        it->older->newer = it->newer;
    else
        cb->oldest = it->newer;
    it->newer->older = it->older; /* not the newest: it has a newer one */
    it->older = cb->newest;
    it->newer = NULL;
    cb->newest->newer = it;
    cb->newest = it;
}

void cb_item_remove(struct cbk_cb *cb, struct item *it)
{
    unlink_item(cb, it);
    cb_config_unref(cb, it->config);
    cb_config_unref(cb, it->env);
    cb_config_unref(cb, it->logs);
    cb_config_unref(cb, it->output);
    cb_item_free(it);
}

void cb_item_store(struct cbk_cb *cb, struct item *it)
{
    struct item *old = item_find_hashed(cb, it->id, strlen(it->id), it->hash);
    if (old)
        cb_item_remove(cb, old);
    it->seq = ++cb->seq;
    index_add(cb, it);
    it->older = cb->newest;
    it->newer = NULL;
    if (cb->newest)
        cb->newest->newer = it;
    cb->newest = it;
    if (!cb->oldest)
        cb->oldest = it;
    while (cb->nitems > cb->cap && cb->oldest && cb->oldest != it)
        cb_item_remove(cb, cb->oldest);
}

/* ---- idempotency ------------------------------------------------------------------------- */

static bool skip_token(const char *pointer, void *arg)
{
    CBK_UNUSED(arg);
    return strcmp(pointer, "/idempotencyToken") == 0;
}

void cb_token_key(const char *op, const char *token, struct json_object *doc, struct cbk_buf *key,
                  struct cbk_buf *params)
{
    cbk_json_canonical(doc, params, skip_token, NULL);
    cbk_buf_adds(key, op);
    cbk_buf_addc(key, '\0');
    cbk_buf_adds(key, token);
}

/* 0 = not seen (or expired), 1 = same parameters (*id gets the item's id), -1 = different. */
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

struct sweep {
    int64_t now;
    struct cbk_buf keys; /* expired keys, each after its length */
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

void cb_token_put(struct cbk_cb *cb, const struct cbk_buf *key, const struct cbk_buf *params,
                  const char *id, int64_t now)
{
    struct token *t = cbk_xcalloc(1, sizeof(*t));
    t->params = cbk_xstrdup(cbk_buf_str(params));
    t->id = cbk_xstrdup(id);
    t->at_ms = now;
    free_token(cbk_hmap_put(&cb->tokens, key->ptr, key->len, t));
    if (cb->tokens.n > cb->cap)
        sweep_tokens(cb, now);
}

bool cb_idempotent_answer(struct cbk_cb *cb, struct cbk_cb_call *c, const char *token,
                          const struct cbk_buf *key, const struct cbk_buf *params,
                          struct cbk_cb_result *res,
                          void (*render)(struct cbk_cb *cb, const struct item *it, int64_t now,
                                         struct cbk_buf *out))
{
    const char *prev = NULL;
    int tc = token_check(cb, key->ptr, key->len, cbk_buf_str(params), c->now_ms, &prev);
    if (tc < 0) {
        res->answered_by = "state";
        cb_error(res, CBK_CB_MISMATCH_ERROR,
                 "The idempotency token '%.200s' was already used within the last 5 minutes "
                 "with different parameters",
                 token);
        return true;
    }
    struct item *it = tc > 0 ? cb_item_find(cb, prev, strlen(prev)) : NULL;
    if (!it)
        return false;
    render(cb, it, c->now_ms, c->out);
    res->status = 200;
    res->answered_by = "state (idempotent retry)";
    return true;
}

/* ---- list paging ---------------------------------------------------------------------------- */

/* A token is "cbk1." then hex of "a.b.name": opaque to clients, as AWS's are. */
void cb_page_token(struct cbk_buf *out, int64_t a, int64_t b, const char *name)
{
    char head[64];
    snprintf(head, sizeof head, "%" PRId64 ".%" PRId64 ".", a, b);
    cbk_buf_adds(out, "cbk1.");
    static const char hex[] = "0123456789abcdef";
    for (const char *parts[2] = {head, name}, **p = parts; p < parts + 2; p++)
        for (const unsigned char *s = (const unsigned char *)*p; *s; s++) {
            cbk_buf_addc(out, hex[*s >> 4]);
            cbk_buf_addc(out, hex[*s & 15]);
        }
}

static int unhex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

bool cb_page_token_parse(const char *tok, int64_t *a, int64_t *b, char *name, size_t nsize)
{
    if (strncmp(tok, "cbk1.", 5) != 0)
        return false;
    tok += 5;
    size_t n = strlen(tok);
    if (n % 2 || n / 2 >= 1024)
        return false;
    char text[1024];
    for (size_t i = 0; i < n / 2; i++) {
        int hi = unhex(tok[2 * i]), lo = unhex(tok[2 * i + 1]);
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return false;
        text[i] = (char)(hi << 4 | lo);
    }
    text[n / 2] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(text, &end, 10);
    if (errno || end == text || *end != '.')
        return false;
    const char *p = end + 1;
    long long y = strtoll(p, &end, 10);
    if (errno || end == p || *end != '.')
        return false;
    if (strlen(end + 1) >= nsize)
        return false;
    *a = x;
    *b = y;
    snprintf(name, nsize, "%s", end + 1);
    return true;
}

/* ---- operations ------------------------------------------------------------------------------ */

struct op {
    const char *name;
    void (*fn)(struct cbk_cb *cb, struct cbk_cb_call *c, struct cbk_cb_result *res);
    bool starts_builds;
};

static const struct op ops[] = {
    {"BatchDeleteBuilds", cb_batch_delete_builds, false},
    {"BatchGetBuildBatches", cb_batch_get_build_batches, false},
    {"BatchGetBuilds", cb_batch_get_builds, false},
    {"BatchGetProjects", cb_batch_get_projects, false},
    {"CreateProject", cb_create_project, false},
    {"CreateWebhook", cb_create_webhook, false},
    {"DeleteBuildBatch", cb_delete_build_batch, false},
    {"DeleteProject", cb_delete_project, false},
    {"DeleteSourceCredentials", cb_delete_source_credentials, false},
    {"DeleteWebhook", cb_delete_webhook, false},
    {"ImportSourceCredentials", cb_import_source_credentials, false},
    {"InvalidateProjectCache", cb_invalidate_project_cache, false},
    {"ListBuildBatches", cb_list_build_batches, false},
    {"ListBuildBatchesForProject", cb_list_build_batches_for_project, false},
    {"ListBuilds", cb_list_builds, false},
    {"ListBuildsForProject", cb_list_builds_for_project, false},
    {"ListProjects", cb_list_projects, false},
    {"ListSourceCredentials", cb_list_source_credentials, false},
    {"RetryBuild", cb_retry_build, true},
    {"RetryBuildBatch", cb_retry_build_batch, true},
    {"StartBuild", cb_start_build, true},
    {"StartBuildBatch", cb_start_build_batch, true},
    {"StopBuild", cb_stop_build, false},
    {"StopBuildBatch", cb_stop_build_batch, false},
    {"UpdateProject", cb_update_project, false},
    {"UpdateProjectVisibility", cb_update_project_visibility, false},
    {"UpdateWebhook", cb_update_webhook, false},
};

static const struct op *find_op(const char *name)
{
    size_t lo = 0, hi = CBK_ARRAY_SIZE(ops);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, ops[mid].name);
        if (c == 0)
            return &ops[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

bool cbk_cb_handles(const char *op)
{
    return find_op(op) != NULL;
}

bool cbk_cb_starts_builds(const char *op)
{
    const struct op *o = find_op(op);
    return o && o->starts_builds;
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
        if (str_has_nul(cb_get(pa, keys[i]))) {
            cbk_buf_addf(ptr, "/%s", keys[i]);
            return true;
        }
    return false;
}

/* Strings in a list member of the request (ids, names) that hold a NUL. */
static bool list_nul(struct json_object *doc, const char *key, struct cbk_buf *ptr)
{
    struct json_object *list = cb_get(doc, key);
    for (size_t i = 0;
         list && json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
         i++)
        if (str_has_nul(json_object_array_get_idx(list, i))) {
            cbk_buf_addf(ptr, "/%s/%zu", key, i);
            return true;
        }
    return false;
}

/*
 * The JSON pointer (into 'ptr') of a string holding a NUL character among those the model
 * keeps as C strings: the request's top-level strings (ids, names, tokens, overrides), the
 * id and name lists, and the artifact locations. Strings the answer copies from the request
 * document (environment variables, auth, ...) keep their length and may hold NUL.
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
    if (list_nul(doc, "ids", ptr) || list_nul(doc, "names", ptr))
        return true;
    static const char *const arts[] = {"artifactsOverride", "artifacts"};
    for (size_t a = 0; a < CBK_ARRAY_SIZE(arts); a++) {
        struct json_object *pa = cb_get(doc, arts[a]);
        cbk_buf_addf(ptr, "/%s", arts[a]);
        if (pa && artifacts_nul(pa, ptr))
            return true;
        cbk_buf_truncate(ptr, 0);
    }
    static const char *const lists[] = {"secondaryArtifactsOverride", "secondaryArtifacts"};
    for (size_t l = 0; l < CBK_ARRAY_SIZE(lists); l++) {
        struct json_object *list = cb_get(doc, lists[l]);
        for (size_t i = 0; list && json_object_is_type(list, json_type_array) &&
                           i < json_object_array_length(list);
             i++) {
            cbk_buf_addf(ptr, "/%s/%zu", lists[l], i);
            if (artifacts_nul(json_object_array_get_idx(list, i), ptr))
                return true;
            cbk_buf_truncate(ptr, 0);
        }
    }
    return false;
}

void cbk_cb_call(struct cbk_cb *cb, const char *op, const struct cbk_cb_call *call,
                 struct cbk_cb_result *res)
{
    memset(res, 0, sizeof(*res));
    res->answered_by = "state";
    struct cbk_cb_call c = *call; /* its document may be parsed here */
    const struct op *o = find_op(op);
    /* The model keeps ids, names and tokens as C strings: a NUL would cut them short and the
     * answer would name another build. Such requests are refused, naming the member. */
    struct cbk_buf ptr = CBK_BUF_INIT(1 << 16);
    if (body_has_nul(c.body, c.body_len) && model_nul(cb_doc(&c), &ptr)) {
        cb_error(res, "InvalidInputException",
                 "Value at '%.200s' contains a NUL character (\\u0000), which cbkit's "
                 "CodeBuild model does not accept",
                 cbk_buf_str(&ptr));
    } else if (!o) {
        cb_error(res, "InternalFailure", "operation %s is not modelled", op);
    } else {
        pthread_mutex_lock(&cb->mu);
        o->fn(cb, &c, res);
        pthread_mutex_unlock(&cb->mu);
    }
    cbk_buf_release(&ptr);
    if (c.req && c.req != call->req)
        json_object_put(c.req);
}

/* ---- seeding -------------------------------------------------------------------------------- */

void cbk_cb_seed_project(struct cbk_cb *cb, const char *project, int64_t now_ms)
{
    pthread_mutex_lock(&cb->mu);
    cb_project_make(cb, project, now_ms);
    pthread_mutex_unlock(&cb->mu);
}

/*
 * The plan of a seeded build: a running one is in 'phase' now and stays there until its
 * timeout (the scenario said where it is, not when it moves on: StopBuild, the admin API or
 * the clock move it); a completed one ended in 'phase' with 'status', before now.
 */
static void seed_plan(struct cbk_cb *cb, struct item *it, int status, int phase, int64_t start_ms,
                      int64_t now_ms)
{
    struct cb_plan *plan = it->plan = cbk_xmalloc(sizeof(*it->plan));
    cb_plan_init(plan, it->seed, 0);
    it->timeout_min = 60;
    it->queued_min = 480;
    if (status == CB_ST_IN_PROGRESS) {
        if (phase < 0 || phase >= CB_PH_FINALIZING)
            phase = phase == CB_PH_FINALIZING ? CB_PH_FINALIZING : CB_PH_BUILD;
        int64_t before = 0;
        for (int i = 0; i < phase; i++)
            before += plan->dur_ms[i];
        int64_t start = start_ms ? start_ms : now_ms - before - plan->dur_ms[phase] / 2;
        if (start_ms && now_ms - start < before && before > 0) {
            /* started recently: the phases before 'phase' shrink to fit */
            int64_t room = now_ms > start ? now_ms - start : 0, used = 0;
            for (int i = 0; i < phase; i++) {
                plan->dur_ms[i] = plan->dur_ms[i] * room / before;
                used += plan->dur_ms[i];
            }
            before = used;
        }
        /* 'phase' lasts until the build times out */
        int64_t limit = phase == CB_PH_QUEUED ? it->queued_min : it->timeout_min;
        plan->dur_ms[phase] = limit * 60000 * 4;
        it->start_ms = start;
        cb_plan_apply_timeouts(plan, it->timeout_min, it->queued_min);
        return;
    }
    if (status == CB_ST_STOPPED) {
        if (phase < 0 || phase >= CB_PH_FINALIZING)
            phase = CB_PH_BUILD;
        int64_t t = 0;
        for (int i = 0; i < phase; i++)
            t += plan->dur_ms[i];
        t += plan->dur_ms[phase] / 2;
        plan->dur_ms[CB_PH_FINALIZING] = 0;
        it->start_ms = start_ms ? start_ms : now_ms - t;
        it->stop_ms = it->start_ms + t;
        return;
    }
    if (status != CB_ST_SUCCEEDED)
        cb_plan_set_outcome(plan, status, phase < 0 || phase >= CB_PH_FINALIZING ? -1 : phase, NULL,
                            NULL);
    int64_t total = cb_plan_end_ms(plan, 0);
    it->start_ms = start_ms ? start_ms : now_ms - total;
    (void)cb;
}

int cbk_cb_seed_build(struct cbk_cb *cb, const struct cbk_cb_seed_build *sb, struct cbk_rng *rng,
                      int64_t now_ms, const char **err)
{
    char project[256];
    const char *bare = NULL;
    char idbuf[512];
    if (sb->id) {
        if (!cb_parse_build_id(sb->id, project, sizeof project, &bare)) {
            *err = "a build id looks like 'project:uuid'";
            return -1;
        }
        if (sb->project && strcmp(sb->project, project) != 0) {
            *err = "the build id's project differs from 'project'";
            return -1;
        }
    } else {
        if (!sb->project || !*sb->project || strlen(sb->project) >= sizeof project) {
            *err = "a seeded build needs an 'id' or a 'project'";
            return -1;
        }
        snprintf(project, sizeof project, "%s", sb->project);
        char uuid[37];
        cb_new_uuid(rng, uuid);
        snprintf(idbuf, sizeof idbuf, "%s:%s", project, uuid);
        bare = idbuf;
    }
    int status = CB_ST_IN_PROGRESS;
    if (sb->status && (status = cb_status_from_name(sb->status)) < 0) {
        *err = "unknown build status (expected SUCCEEDED, FAILED, FAULT, TIMED_OUT, "
               "IN_PROGRESS or STOPPED)";
        return -1;
    }
    int phase = -1;
    if (sb->phase) {
        phase = cb_phase_from_name(sb->phase);
        if (phase < 0) {
            *err = "unknown build phase";
            return -1;
        }
        if (status == CB_ST_IN_PROGRESS && phase == CB_PH_COMPLETED) {
            *err = "a build IN_PROGRESS cannot be in phase COMPLETED";
            return -1;
        }
    }
    struct item *it = cb_item_alloc(bare, strlen(bare));
    it->seed = cbk_rng_next(rng);
    it->source_version = sb->source_version ? cbk_xstrdup(sb->source_version) : NULL;
    it->initiator = sb->initiator ? cbk_xstrdup(sb->initiator) : NULL;
    seed_plan(cb, it, status, phase, sb->start_ms, now_ms);
    pthread_mutex_lock(&cb->mu);
    struct project *p = cb_project_make(cb, project, now_ms);
    if (!p) {
        pthread_mutex_unlock(&cb->mu);
        cb_item_free(it);
        *err = "the account has as many projects as CodeBuild allows (5000)";
        return -1;
    }
    if (sb->number > 0) {
        it->number = sb->number;
        if (p->builds < sb->number)
            p->builds = sb->number;
    } else {
        it->number = ++p->builds;
    }
    cb_project_build_config(cb, project, p, it);
    cb_item_store(cb, it);
    pthread_mutex_unlock(&cb->mu);
    return 0;
}

/* ---- the admin API -------------------------------------------------------------------------- */

static void admin_error(struct cbk_buf *out, const char *fmt, ...) CBK_PRINTF(2, 3);

static void admin_error(struct cbk_buf *out, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "error", msg);
    cbk_jsonw_end_obj(&w);
}

int cbk_cb_set_outcome(struct cbk_cb *cb, const char *id, int status, int phase, const char *code,
                       const char *message, const char *output, size_t output_len, int64_t now_ms,
                       struct cbk_buf *out)
{
    pthread_mutex_lock(&cb->mu);
    int rc = 200;
    struct item *it = cb_build_find(cb, id);
    struct cb_view v;
    if (!it) {
        rc = 404;
        admin_error(out, "no build '%.300s' in account %s", id, cb->account);
        goto out;
    }
    struct cb_plan tmp;
    if (!cb_visible(it, now_ms)) {
        rc = 404;
        admin_error(out, "build '%.300s' of a batch has not started yet", id);
        goto out;
    }
    cb_view_at(cb_item_plan(cb, it, &tmp), it->start_ms, it->stop_ms, now_ms, &v);
    if (v.complete || v.status == CB_ST_STOPPED || v.current >= CB_PH_FINALIZING) {
        rc = 409;
        admin_error(out, "build '%.300s' is %s in phase %s: its outcome is decided", id,
                    cb_status_names[v.status], cb_phase_names[v.current]);
        goto out;
    }
    if (output && v.current >= CB_PH_BUILD) {
        /* what the log showed stays: the lines are spread over the BUILD phase */
        rc = 409;
        admin_error(out, "build '%.300s' is in phase %s: output can be given until BUILD begins",
                    id, cb_phase_names[v.current]);
        goto out;
    }
    struct cb_plan np = *cb_item_plan(cb, it, &tmp);
    if (!cb_plan_change_outcome(&np, it->start_ms, it->stop_ms, now_ms, status, phase,
                                cb_intern(cb, code), cb_intern(cb, message))) {
        rc = 409;
        admin_error(out, "build '%.300s' is already ending in phase %s: its outcome is decided", id,
                    cb_phase_names[v.current]);
        goto out;
    }
    /* the phase the build is in ends now: the test moves it on, the past stays */
    const struct cb_phase_view *cur = &v.ph[v.n - 1];
    if (cur->type < CB_PH_FINALIZING)
        np.dur_ms[cur->type] = now_ms - cur->start_ms;
    *cb_item_own_plan(cb, it) = np;
    if (output) {
        cb_config_unref(cb, it->output);
        it->output = cb_config_intern(cb, output, output_len);
    }
    cb_batch_member_changed(cb, it, now_ms);
    cb_render_build_output(cb, it, now_ms, out);
out:
    pthread_mutex_unlock(&cb->mu);
    return rc;
}

static void dump_project(const char *key, size_t klen, void *value, void *arg)
{
    CBK_UNUSED(klen);
    CBK_UNUSED(value);
    cbk_jsonw_str(arg, key);
}

static void dump_credential(const char *key, size_t klen, void *value, void *arg)
{
    CBK_UNUSED(klen);
    const struct credential *cr = value;
    struct cbk_jsonw *w = arg;
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "serverType", key);
    cbk_jsonw_kstr(w, "authType", cr->auth_type);
    cbk_jsonw_end_obj(w);
}

void cbk_cb_dump(struct cbk_cb *cb, int64_t now_ms, struct cbk_buf *out)
{
    pthread_mutex_lock(&cb->mu);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "builds");
    cbk_jsonw_arr(&w);
    for (struct item *it = cb->oldest; it; it = it->newer)
        if (!it->batch && cb_visible(it, now_ms))
            cb_render_build(cb, it, now_ms, &w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "buildBatches");
    cbk_jsonw_arr(&w);
    for (struct item *it = cb->oldest; it; it = it->newer)
        if (it->batch)
            cb_render_batch(cb, it, now_ms, &w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "projects");
    cbk_jsonw_arr(&w);
    cbk_hmap_each(&cb->projects, dump_project, &w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_key(&w, "sourceCredentials");
    cbk_jsonw_arr(&w);
    cbk_hmap_each(&cb->credentials, dump_credential, &w);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    pthread_mutex_unlock(&cb->mu);
}
