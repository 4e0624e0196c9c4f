/*
 * events.c - log events gathered from the behaviours that write them, filter patterns and
 * GetLogEvents' tokens (events.h).
 */
#include "core/setup.h"
#include "services/logs/events.h"
#include "core/alloc.h"

struct gather {
    struct lg_events *ev;
    const char *last_stream; /* for the per-stream place */
    size_t seq;
};

static bool gather_event(void *arg, const char *stream, int64_t ts, int64_t ingest, const char *msg,
                         size_t len)
{
    struct gather *g = arg;
    struct lg_events *ev = g->ev;
    if (!g->last_stream || strcmp(g->last_stream, stream) != 0)
        g->seq = 0;
    if (ev->n == LG_MAX_EVENTS) {
        ev->truncated = true; /* bounded: a mock's logs are small; the oldest are kept */
        return false;
    }
    if (ev->n == ev->cap) {
        ev->cap = ev->cap ? ev->cap * 2 : 64;
        ev->v = cbk_xrealloc(ev->v, ev->cap * sizeof *ev->v);
    }
    struct lg_event *e = &ev->v[ev->n++];
    e->stream = cbk_xstrdup(stream);
    e->msg = cbk_xmalloc(len + 1);
    memcpy(e->msg, msg, len);
    e->msg[len] = '\0';
    e->len = len;
    e->ts_ms = ts;
    e->ingest_ms = ingest;
    e->seq = g->seq++;
    g->last_stream = e->stream;
    return true;
}

bool lg_events_read(struct lg_events *ev, const struct cbk_svc_logs *logs, const char *account,
                    const char *group, const char *stream, int64_t now_ms)
{
    lg_events_free(ev);
    if (!logs)
        return false;
    struct gather g = {ev, NULL, 0};
    struct cbk_svc_log_sink sink = {gather_event, &g};
    return logs->read(logs, account, group, stream, now_ms, &sink);
}

void lg_events_free(struct lg_events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->v[i].stream);
        free(ev->v[i].msg);
    }
    free(ev->v);
    memset(ev, 0, sizeof *ev);
}

static int cmp_event(const void *a, const void *b)
{
    const struct lg_event *x = a, *y = b;
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms ? -1 : 1;
    int c = strcmp(x->stream, y->stream);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void lg_events_sort(struct lg_events *ev)
{
    if (ev->n > 1)
        qsort(ev->v, ev->n, sizeof *ev->v, cmp_event);
}

/* ---- filter patterns ---------------------------------------------------------------------- */

static void add_term(char ***v, size_t *n, const char *s, size_t len)
{
    *v = cbk_xrealloc(*v, (*n + 1) * sizeof **v);
    char *t = cbk_xmalloc(len + 1);
    memcpy(t, s, len);
    t[len] = '\0';
    (*v)[(*n)++] = t;
}

int lg_pattern_compile(struct lg_pattern *p, const char *text, const char **why)
{
    memset(p, 0, sizeof *p);
    const char *s = text ? text : "";
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '{' || *s == '[') {
        *why = "cbkit's CloudWatch Logs supports term filter patterns (words, \"phrases\", "
               "-excluded, ?optional), not JSON or space-delimited patterns";
        return -1;
    }
    while (*s) {
        char kind = 0;
        if (*s == '-' || *s == '?')
            kind = *s++;
        const char *t = s;
        size_t len;
        if (*s == '"') {
            t = ++s;
            while (*s && *s != '"')
                s++;
            if (!*s) {
                lg_pattern_free(p);
                *why = "the filter pattern has an unterminated quoted term";
                return -1;
            }
            len = (size_t)(s - t);
            s++;
        } else {
            while (*s && *s != ' ' && *s != '\t')
                s++;
            len = (size_t)(s - t);
        }
        if (len) {
            if (kind == '-')
                add_term(&p->none, &p->nnone, t, len);
            else if (kind == '?')
                add_term(&p->any, &p->nany, t, len);
            else
                add_term(&p->all, &p->nall, t, len);
        }
        while (*s == ' ' || *s == '\t')
            s++;
    }
    return 0;
}

/* Does msg[0..len) contain the NUL-terminated 'term'? */
static bool contains(const char *msg, size_t len, const char *term)
{
    size_t tl = strlen(term);
    if (tl > len)
        return false;
    for (size_t i = 0; i + tl <= len; i++)
        if (memcmp(msg + i, term, tl) == 0)
            return true;
    return false;
}

bool lg_pattern_match(const struct lg_pattern *p, const char *msg, size_t len)
{
    for (size_t i = 0; i < p->nall; i++)
        if (!contains(msg, len, p->all[i]))
            return false;
    for (size_t i = 0; i < p->nnone; i++)
        if (contains(msg, len, p->none[i]))
            return false;
    if (!p->nany)
        return true;
    for (size_t i = 0; i < p->nany; i++)
        if (contains(msg, len, p->any[i]))
            return true;
    return false;
}

void lg_pattern_free(struct lg_pattern *p)
{
    for (size_t i = 0; i < p->nall; i++)
        free(p->all[i]);
    for (size_t i = 0; i < p->nnone; i++)
        free(p->none[i]);
    for (size_t i = 0; i < p->nany; i++)
        free(p->any[i]);
    free(p->all);
    free(p->none);
    free(p->any);
    memset(p, 0, sizeof *p);
}

/* ---- tokens ------------------------------------------------------------------------------- */

void lg_token(char out[64], char dir, size_t pos)
{
    snprintf(out, 64, "%c/%056zu", dir, pos);
}

bool lg_token_parse(const char *s, char *dir, size_t *pos)
{
    if (!s || (s[0] != 'f' && s[0] != 'b') || s[1] != '/' || strlen(s) != 58)
        return false;
    size_t v = 0;
    for (size_t i = 2; i < 58; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        if (v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *dir = s[0];
    *pos = v;
    return true;
}
