/*
 * journal.c - the mock's bounded, thread-safe request journal (see journal.h).
 */
#include "core/setup.h"
#include "mock/journal.h"
#include "core/alloc.h"
#include "core/jsonscan.h"
#include "core/jsonw.h"
#include "recorder/redact.h"

#define MAX_VIOL_KEPT 50

static const char *const verdict_names[] = {"valid", "invalid", "rejected"};

const char *cbk_verdict_name(enum cbk_verdict v)
{
    return (unsigned)v < CBK_ARRAY_SIZE(verdict_names) ? verdict_names[v] : "?";
}

void cbk_journal_init(struct cbk_journal *j, size_t cap, size_t body_max)
{
    memset(j, 0, sizeof(*j));
    pthread_mutex_init(&j->mu, NULL);
    j->cap = cap ? cap : 1;
    j->ring = cbk_xcalloc(j->cap, sizeof(*j->ring));
    j->next_id = 1;
    j->body_max = body_max;
}

/* Free the entries kept: the newest 'count' ids. Only their slots are touched, so a journal of
 * 10,000 slots that saw a few requests does not page in its whole ring (2 MB) to be released. */
static void free_entries(struct cbk_journal *j)
{
    for (size_t k = 0; k < j->count; k++) {
        struct cbk_jentry *e = &j->ring[(j->next_id - 1 - k) % j->cap];
        free(e->block);
        memset(e, 0, sizeof(*e));
    }
    j->count = 0;
}

void cbk_journal_release(struct cbk_journal *j)
{
    free_entries(j);
    free(j->ring);
    j->ring = NULL;
    pthread_mutex_destroy(&j->mu);
}

void cbk_journal_reset(struct cbk_journal *j)
{
    pthread_mutex_lock(&j->mu);
    free_entries(j);
    memset(&j->stats, 0, sizeof(j->stats));
    pthread_mutex_unlock(&j->mu);
}

static size_t slen(const char *s)
{
    return s ? strlen(s) + 1 : 1;
}

static const char *scopy(char **p, const char *s)
{
    char *d = *p;
    size_t n = s ? strlen(s) : 0;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    *p += n + 1;
    return d;
}

uint64_t cbk_journal_add(struct cbk_journal *j, const struct cbk_jentry *e)
{
    size_t body_len = CBK_MIN(e->body_len, j->body_max);
    size_t nviol = CBK_MIN(e->nviol, (size_t)MAX_VIOL_KEPT);
    /* one block: violation array, then every string */
    size_t size = nviol * sizeof(struct cbk_jviol);
    size += slen(e->op) + slen(e->account) + slen(e->target) + slen(e->error_type) +
            slen(e->answered_by) + slen(e->fault) + slen(e->request_id) + slen(e->invocation_id) +
            slen(e->attempt) + slen(e->user_agent) + slen(e->note) + body_len + 1;
    for (size_t i = 0; i < nviol; i++)
        size += slen(e->viol[i].path) + slen(e->viol[i].rule) + slen(e->viol[i].message) +
                slen(e->viol[i].aws);
    char *block = cbk_xmalloc(size);
    struct cbk_jentry n = *e;
    n.viol = (struct cbk_jviol *)(void *)block;
    char *p = block + nviol * sizeof(struct cbk_jviol);
    n.op = scopy(&p, e->op);
    n.account = scopy(&p, e->account);
    n.target = scopy(&p, e->target);
    n.error_type = scopy(&p, e->error_type);
    n.answered_by = scopy(&p, e->answered_by);
    n.fault = scopy(&p, e->fault);
    n.request_id = scopy(&p, e->request_id);
    n.invocation_id = scopy(&p, e->invocation_id);
    n.attempt = scopy(&p, e->attempt);
    n.user_agent = scopy(&p, e->user_agent);
    n.note = scopy(&p, e->note);
    char *body = p;
    if (body_len)
        memcpy(body, e->body, body_len);
    body[body_len] = '\0';
    p += body_len + 1;
    n.body = body;
    n.body_len = body_len;
    n.body_truncated = e->body_truncated || e->body_len > body_len;
    for (size_t i = 0; i < nviol; i++) {
        n.viol[i].path = scopy(&p, e->viol[i].path);
        n.viol[i].rule = scopy(&p, e->viol[i].rule);
        n.viol[i].message = scopy(&p, e->viol[i].message);
        n.viol[i].aws = scopy(&p, e->viol[i].aws);
    }
    n.nviol = nviol;
    n.viol_total = e->viol_total ? e->viol_total : e->nviol;
    n.block = block;
    n.latency_us = -1;

    pthread_mutex_lock(&j->mu);
    n.id = j->next_id++;
    struct cbk_jentry *slot = &j->ring[n.id % j->cap];
    char *old = slot->block;
    if (old)
        j->stats.dropped++;
    *slot = n;
    if (j->count < j->cap)
        j->count++;
    j->stats.requests++;
    if (n.verdict == CBK_VERDICT_VALID)
        j->stats.valid++;
    else if (n.verdict == CBK_VERDICT_INVALID)
        j->stats.invalid++;
    else
        j->stats.rejected++;
    if (n.verdict == CBK_VERDICT_INVALID) /* contract violations, not malformed JSON */
        j->stats.violations += n.viol_total;
    pthread_mutex_unlock(&j->mu);
    free(old);
    return n.id;
}

void cbk_journal_complete(struct cbk_journal *j, uint64_t id, int status_sent, int64_t latency_us)
{
    if (!id)
        return;
    pthread_mutex_lock(&j->mu);
    struct cbk_jentry *slot = &j->ring[id % j->cap];
    if (slot->block && slot->id == id) {
        slot->status_sent = status_sent;
        slot->latency_us = latency_us;
    }
    pthread_mutex_unlock(&j->mu);
}

void cbk_journal_stats(struct cbk_journal *j, struct cbk_mock_stats *out)
{
    pthread_mutex_lock(&j->mu);
    *out = j->stats;
    pthread_mutex_unlock(&j->mu);
}

void cbk_journal_count_fault(struct cbk_journal *j)
{
    pthread_mutex_lock(&j->mu);
    j->stats.faults++;
    pthread_mutex_unlock(&j->mu);
}

void cbk_journal_each(struct cbk_journal *j, void (*fn)(const struct cbk_jentry *e, void *arg),
                      void *arg)
{
    pthread_mutex_lock(&j->mu);
    uint64_t first = j->next_id - j->count;
    for (uint64_t id = first; id < j->next_id; id++) {
        const struct cbk_jentry *e = &j->ring[id % j->cap];
        if (e->block && e->id == id)
            fn(e, arg);
    }
    pthread_mutex_unlock(&j->mu);
}

/*
 * Write "key":"text" for bytes a client sent (body, headers): invalid UTF-8 becomes U+FFFD so
 * that the journal stays valid JSON whatever was received.
 */
static void kstr_received(struct cbk_jsonw *w, const char *key, const char *s, size_t len)
{
    cbk_jsonw_key(w, key);
    if (cbk_utf8_valid(s, len)) {
        cbk_jsonw_strn(w, s, len);
        return;
    }
    struct cbk_buf b = CBK_BUF_INIT(len * 3 + 16);
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC2 ? 2 : 0;
        if (n && (size_t)(end - p) >= n && cbk_utf8_valid((const char *)p, n)) {
            cbk_buf_add(&b, p, n);
            p += n;
        } else {
            cbk_buf_add(&b, "\xEF\xBF\xBD", 3);
            p++;
        }
    }
    cbk_jsonw_strn(w, b.ptr ? b.ptr : "", b.len);
    cbk_buf_release(&b);
}

const char *cbk_journal_body_shown(const struct cbk_journal *j, const struct cbk_jentry *e,
                                   size_t *len, struct cbk_arena *a)
{
    *len = e->body_len;
    const struct cbk_operation *op = e->operation;
    const struct cbk_redactor *red =
        op && j->redactor_for ? j->redactor_for(j->redactor_ctx, op) : NULL;
    if (!red || !e->body_len || !cbk_redact_has_sensitive(red, op, false))
        return e->body;
    return cbk_redact_body(red, op, false, e->body, e->body_len, len, a, NULL);
}

void cbk_journal_entry_json(const struct cbk_journal *j, const struct cbk_jentry *e,
                            struct cbk_buf *out)
{
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "id");
    cbk_jsonw_uint(&w, e->id);
    cbk_jsonw_kepoch_ms(&w, "time", e->time_ms);
    cbk_jsonw_kstr(&w, "service", e->service ? e->service : "");
    cbk_jsonw_kstr(&w, "account", e->account ? e->account : "");
    cbk_jsonw_kstr(&w, "operation", e->op);
    kstr_received(&w, "target", e->target, strlen(e->target));
    cbk_jsonw_kstr(&w, "verdict", cbk_verdict_name(e->verdict));
    cbk_jsonw_key(&w, "violations");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < e->nviol; i++) {
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "path", e->viol[i].path);
        cbk_jsonw_kstr(&w, "rule", e->viol[i].rule);
        cbk_jsonw_kstr(&w, "message", e->viol[i].message);
        cbk_jsonw_kstr(&w, "awsMessage", e->viol[i].aws);
        cbk_jsonw_end_obj(&w);
    }
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_kint(&w, "violationCount", (int64_t)e->viol_total);
    cbk_jsonw_kstr(&w, "answeredBy", e->answered_by);
    cbk_jsonw_kstr(&w, "fault", e->fault);
    cbk_jsonw_kstr(&w, "errorType", e->error_type);
    cbk_jsonw_kint(&w, "status", e->status);
    cbk_jsonw_kint(&w, "statusSent", e->status_sent);
    cbk_jsonw_key(&w, "latencyMicros");
    if (e->latency_us >= 0)
        cbk_jsonw_int(&w, e->latency_us);
    else
        cbk_jsonw_null(&w);
    cbk_jsonw_kstr(&w, "requestId", e->request_id);
    kstr_received(&w, "invocationId", e->invocation_id, strlen(e->invocation_id));
    kstr_received(&w, "sdkRequest", e->attempt, strlen(e->attempt));
    kstr_received(&w, "userAgent", e->user_agent, strlen(e->user_agent));
    struct cbk_arena a = CBK_ARENA_INIT(1 << 12);
    size_t blen;
    const char *body = cbk_journal_body_shown(j, e, &blen, &a);
    kstr_received(&w, "body", body, blen);
    cbk_arena_release(&a);
    cbk_jsonw_kbool(&w, "bodyTruncated", e->body_truncated);
    cbk_jsonw_kstr(&w, "note", e->note ? e->note : ""); /* docs/cassettes.md: the near miss */
    cbk_jsonw_end_obj(&w);
}

struct list_ctx {
    const struct cbk_journal *j;
    const struct cbk_jfilter *f;
    struct cbk_buf *out;
    size_t n, skip;
};

static bool matches(const struct cbk_jfilter *f, const struct cbk_jentry *e)
{
    if (f->op && strcmp(f->op, e->op) != 0)
        return false;
    if (f->service && strcmp(f->service, e->service ? e->service : "") != 0)
        return false;
    if (f->verdict >= 0 && (int)e->verdict != f->verdict)
        return false;
    return e->id > f->since_id;
}

static void count_cb(const struct cbk_jentry *e, void *arg)
{
    struct list_ctx *c = arg;
    if (matches(c->f, e))
        c->n++;
}

static void list_cb(const struct cbk_jentry *e, void *arg)
{
    struct list_ctx *c = arg;
    if (!matches(c->f, e))
        return;
    if (c->skip) {
        c->skip--;
        return;
    }
    if (c->n++)
        cbk_buf_addc(c->out, ',');
    cbk_journal_entry_json(c->j, e, c->out);
}

void cbk_journal_json(struct cbk_journal *j, const struct cbk_jfilter *f, struct cbk_buf *out)
{
    struct list_ctx c = {j, f, out, 0, 0};
    if (f->limit) {
        /* keep the newest 'limit' matches */
        cbk_journal_each(j, count_cb, &c);
        c.skip = c.n > f->limit ? c.n - f->limit : 0;
        c.n = 0;
    }
    cbk_buf_addc(out, '[');
    cbk_journal_each(j, list_cb, &c);
    cbk_buf_addc(out, ']');
}

struct viol_ctx {
    struct cbk_buf *out;
    size_t n;
};

static void viol_cb(const struct cbk_jentry *e, void *arg)
{
    struct viol_ctx *c = arg;
    if (e->verdict != CBK_VERDICT_INVALID)
        return; /* contract violations only (a malformed body's finding stays in its entry) */
    for (size_t i = 0; i < e->nviol; i++) {
        if (c->n++)
            cbk_buf_addc(c->out, ',');
        struct cbk_jsonw w;
        cbk_jsonw_init(&w, c->out);
        cbk_jsonw_obj(&w);
        cbk_jsonw_key(&w, "id");
        cbk_jsonw_uint(&w, e->id);
        cbk_jsonw_kstr(&w, "service", e->service ? e->service : "");
        cbk_jsonw_kstr(&w, "operation", e->op);
        cbk_jsonw_kstr(&w, "path", e->viol[i].path);
        cbk_jsonw_kstr(&w, "rule", e->viol[i].rule);
        cbk_jsonw_kstr(&w, "message", e->viol[i].message);
        cbk_jsonw_kstr(&w, "awsMessage", e->viol[i].aws);
        cbk_jsonw_end_obj(&w);
    }
}

void cbk_journal_violations_json(struct cbk_journal *j, struct cbk_buf *out)
{
    struct viol_ctx c = {out, 0};
    cbk_buf_addc(out, '[');
    cbk_journal_each(j, viol_cb, &c);
    cbk_buf_addc(out, ']');
}
