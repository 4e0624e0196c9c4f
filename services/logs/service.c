/*
 * service.c - CloudWatch Logs' behaviour: GetLogEvents and FilterLogEvents over the log streams
 * the mock's other behaviours write (CodeBuild writes one stream per build), as of the mock
 * clock. Stateless: every call gathers the events anew (struct cbk_svc_logs), so a stream grows
 * as the clock moves and costs nothing while nobody reads it. Every other operation of the Logs
 * spec is generated from its output shape by the engine.
 *
 * Groups and streams no behaviour writes: in the strict world ResourceNotFoundException with
 * AWS's wording; in the open world an empty stream, whose tokens come back unchanged, so that a
 * tailing client sees "nothing new" rather than made-up lines.
 */
#include "core/setup.h"
#include "services/logs/service.h"
#include "services/logs/events.h"
#include "core/alloc.h"
#include "core/jsonw.h"
#include "cbkit/mock.h"

#include <json-c/json.h>

#define TARGET_PREFIX  "Logs_20140328"
#define MAX_PAGE_BYTES ((size_t)1 << 20) /* a page holds at most 1 MB of events, as AWS says */
#define EVENT_OVERHEAD 26                /* bytes AWS counts per event beyond its message */
#define DEFAULT_LIMIT  10000

struct cbk_svc {
    int unused;
};

static struct cbk_svc *create(const struct cbk_svc_env *env, struct cbk_diags *diags)
{
    CBK_UNUSED(env);
    CBK_UNUSED(diags);
    return cbk_xcalloc(1, sizeof(struct cbk_svc));
}

static void destroy(struct cbk_svc *s)
{
    free(s);
}

static void fail(struct cbk_svc_result *res, const char *type, const char *msg)
{
    res->status = 400;
    res->error_type = type;
    snprintf(res->message, sizeof res->message, "%s", msg);
}

/* A string member of 'o', or NULL. */
static const char *str_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* An integer member of 'o', or 'dflt'. */
static int64_t int_of(struct json_object *o, const char *key, int64_t dflt)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return dflt;
    return json_object_get_int64(v);
}

static bool bool_of(struct json_object *o, const char *key)
{
    struct json_object *v;
    return o && json_object_object_get_ex(o, key, &v) &&
           json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

/*
 * The log group a request names: logGroupName, or logGroupIdentifier (a name or an ARN
 * "arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]"), written into 'out'. NULL with the error
 * set when it names none or both.
 */
static const char *group_of(struct json_object *req, char *out, size_t size,
                            struct cbk_svc_result *res)
{
    const char *name = str_of(req, "logGroupName");
    const char *id = str_of(req, "logGroupIdentifier");
    if (name && id) {
        fail(res, "InvalidParameterException",
             "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
        return NULL;
    }
    if (!name && !id) {
        fail(res, "InvalidParameterException",
             "Either logGroupName or logGroupIdentifier must be specified.");
        return NULL;
    }
    if (!name) {
        const char *lg = strstr(id, ":log-group:");
        name = strncmp(id, "arn:", 4) == 0 && lg ? lg + strlen(":log-group:") : id;
    }
    size_t n = strlen(name);
    if (n >= 2 && strcmp(name + n - 2, ":*") == 0)
        n -= 2;
    if (n >= size)
        n = size - 1;
    memcpy(out, name, n);
    out[n] = '\0';
    return out;
}

/* The strict world's answer for a group or stream no behaviour writes. */
static bool not_found(const struct cbk_svc_call *c, const char *group, struct cbk_svc_result *res)
{
    struct lg_events probe = {0};
    bool group_known = lg_events_read(&probe, c->logs, c->account, group, NULL, c->now_ms);
    lg_events_free(&probe);
    fail(res, "ResourceNotFoundException",
         group_known ? "The specified log stream does not exist."
                     : "The specified log group does not exist.");
    return true;
}

static void write_event(struct cbk_jsonw *w, const struct lg_event *e, bool filter)
{
    cbk_jsonw_obj(w);
    if (filter)
        cbk_jsonw_kstr(w, "logStreamName", e->stream);
    cbk_jsonw_kint(w, "timestamp", e->ts_ms);
    cbk_jsonw_key(w, "message");
    cbk_jsonw_strn(w, e->msg, e->len);
    cbk_jsonw_kint(w, "ingestionTime", e->ingest_ms);
    if (filter) {
        /* 56 digits, as AWS's: the time, the stream's hash and the place in the stream */
        uint64_t h = 1469598103934665603ULL;
        for (const char *p = e->stream; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        char id[64];
        snprintf(id, sizeof id, "%020lld%016llu%020zu", (long long)e->ts_ms,
                 (unsigned long long)(h % 10000000000000000ULL), e->seq);
        cbk_jsonw_kstr(w, "eventId", id);
    }
    cbk_jsonw_end_obj(w);
}

/* The events of [from, to) that fit in one page of 'limit' events and 1 MB, from 'from' on
 * (forward) or ending at 'to' (backward). Sets *lo and *hi. */
static void page(const struct lg_events *ev, const size_t *idx, size_t from, size_t to,
                 size_t limit, bool backward, size_t *lo, size_t *hi)
{
    size_t bytes = 0, n = 0;
    if (!backward) {
        size_t i = from;
        while (i < to && n < limit) {
            size_t b = ev->v[idx[i]].len + EVENT_OVERHEAD;
            if (n && bytes + b > MAX_PAGE_BYTES)
                break;
            bytes += b;
            n++;
            i++;
        }
        *lo = from;
        *hi = i;
    } else {
        size_t i = to;
        while (i > from && n < limit) {
            size_t b = ev->v[idx[i - 1]].len + EVENT_OVERHEAD;
            if (n && bytes + b > MAX_PAGE_BYTES)
                break;
            bytes += b;
            n++;
            i--;
        }
        *lo = i;
        *hi = to;
    }
}

/* The positions of the events within [startTime, endTime) (all when not given). Caller frees. */
static size_t *in_window(const struct lg_events *ev, struct json_object *req, size_t *n)
{
    int64_t start = int_of(req, "startTime", INT64_MIN);
    int64_t end = int_of(req, "endTime", INT64_MAX);
    size_t *idx = cbk_xmalloc((ev->n ? ev->n : 1) * sizeof *idx);
    *n = 0;
    for (size_t i = 0; i < ev->n; i++)
        if (ev->v[i].ts_ms >= start && ev->v[i].ts_ms < end)
            idx[(*n)++] = i;
    return idx;
}

static bool get_log_events(struct cbk_svc_call *c, struct cbk_svc_result *res)
{
    struct json_object *req = cbk_svc_call_doc(c);
    char group[1024];
    if (!group_of(req, group, sizeof group, res))
        return true;
    const char *stream = str_of(req, "logStreamName");
    const char *token = str_of(req, "nextToken");
    char dir = 'f';
    size_t pos = 0;
    if (token && !lg_token_parse(token, &dir, &pos)) {
        fail(res, "InvalidParameterException", "The specified nextToken is invalid.");
        return true;
    }
    struct lg_events ev = {0};
    if (!lg_events_read(&ev, c->logs, c->account, group, stream, c->now_ms) &&
        c->world == CBK_WORLD_STRICT) {
        lg_events_free(&ev);
        return not_found(c, group, res);
    }
    size_t n;
    size_t *idx = in_window(&ev, req, &n);
    size_t limit = (size_t)int_of(req, "limit", DEFAULT_LIMIT);
    if (pos > n)
        pos = n; /* a token from a wider window: the end of this one */
    size_t lo, hi;
    if (!token && !bool_of(req, "startFromHead"))
        page(&ev, idx, 0, n, limit, true, &lo, &hi); /* the newest events */
    else if (!token)
        page(&ev, idx, 0, n, limit, false, &lo, &hi);
    else if (dir == 'f')
        page(&ev, idx, pos, n, limit, false, &lo, &hi);
    else
        page(&ev, idx, 0, pos, limit, true, &lo, &hi);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "events");
    cbk_jsonw_arr(&w);
    for (size_t i = lo; i < hi; i++)
        write_event(&w, &ev.v[idx[i]], false);
    cbk_jsonw_end_arr(&w);
    char t[64];
    /* nothing new: the token the client sent comes back (tailing clients stop on it) */
    lg_token(t, 'f', hi);
    cbk_jsonw_kstr(&w, "nextForwardToken", t);
    lg_token(t, 'b', lo);
    cbk_jsonw_kstr(&w, "nextBackwardToken", t);
    cbk_jsonw_end_obj(&w);
    free(idx);
    lg_events_free(&ev);
    res->status = 200;
    res->answered_by = "logs";
    return true;
}

/* FilterLogEvents' nextToken: the position in the filtered, sorted events. */
static void filter_token(char out[64], size_t pos)
{
    snprintf(out, 64, "cbk1/%zu", pos);
}

static bool filter_token_parse(const char *s, size_t *pos)
{
    if (strncmp(s, "cbk1/", 5) != 0 || !s[5] || strlen(s) > 25)
        return false;
    size_t v = 0;
    for (const char *p = s + 5; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (size_t)(*p - '0');
    }
    *pos = v;
    return true;
}

/* Is 'stream' one the request asks for (logStreamNames, logStreamNamePrefix)? */
static bool stream_wanted(struct json_object *names, const char *prefix, const char *stream)
{
    if (prefix && strncmp(stream, prefix, strlen(prefix)) != 0)
        return false;
    if (!names)
        return true;
    size_t n = json_object_array_length(names);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_object_get_string(json_object_array_get_idx(names, i));
        if (s && strcmp(s, stream) == 0)
            return true;
    }
    return false;
}

static bool filter_log_events(struct cbk_svc_call *c, struct cbk_svc_result *res)
{
    struct json_object *req = cbk_svc_call_doc(c);
    char group[1024];
    if (!group_of(req, group, sizeof group, res))
        return true;
    struct json_object *names = NULL;
    if (req && json_object_object_get_ex(req, "logStreamNames", &names) &&
        !json_object_is_type(names, json_type_array))
        names = NULL;
    const char *prefix = str_of(req, "logStreamNamePrefix");
    if (names && prefix) {
        fail(res, "InvalidParameterException",
             "logStreamNames and logStreamNamePrefix are mutually exclusive.");
        return true;
    }
    const char *token = str_of(req, "nextToken");
    size_t pos = 0;
    if (token && !filter_token_parse(token, &pos)) {
        fail(res, "InvalidParameterException", "The specified nextToken is invalid.");
        return true;
    }
    struct lg_pattern pat;
    const char *why = NULL;
    if (lg_pattern_compile(&pat, str_of(req, "filterPattern"), &why) != 0) {
        fail(res, "InvalidParameterException", why);
        return true;
    }
    struct lg_events ev = {0};
    if (!lg_events_read(&ev, c->logs, c->account, group, NULL, c->now_ms) &&
        c->world == CBK_WORLD_STRICT) {
        lg_events_free(&ev);
        lg_pattern_free(&pat);
        fail(res, "ResourceNotFoundException", "The specified log group does not exist.");
        return true;
    }
    lg_events_sort(&ev);
    size_t n;
    size_t *idx = in_window(&ev, req, &n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lg_event *e = &ev.v[idx[i]];
        if (stream_wanted(names, prefix, e->stream) && lg_pattern_match(&pat, e->msg, e->len))
            idx[k++] = idx[i];
    }
    n = k;
    if (pos > n)
        pos = n;
    size_t limit = (size_t)int_of(req, "limit", DEFAULT_LIMIT);
    size_t lo, hi;
    page(&ev, idx, pos, n, limit, false, &lo, &hi);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, c->out);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "events");
    cbk_jsonw_arr(&w);
    for (size_t i = lo; i < hi; i++)
        write_event(&w, &ev.v[idx[i]], true);
    cbk_jsonw_end_arr(&w);
    if (hi < n) {
        char t[64];
        filter_token(t, hi);
        cbk_jsonw_kstr(&w, "nextToken", t);
    }
    cbk_jsonw_end_obj(&w);
    free(idx);
    lg_events_free(&ev);
    lg_pattern_free(&pat);
    res->status = 200;
    res->answered_by = "logs";
    return true;
}

static bool call(struct cbk_svc *s, const char *target, struct cbk_svc_call *c,
                 struct cbk_svc_result *res)
{
    CBK_UNUSED(s);
    if (strcmp(target, TARGET_PREFIX) != 0)
        return false;
    if (strcmp(c->op->name, "GetLogEvents") == 0)
        return get_log_events(c, res);
    if (strcmp(c->op->name, "FilterLogEvents") == 0)
        return filter_log_events(c, res);
    return false;
}

static const char *const targets[] = {TARGET_PREFIX, NULL};
static const char *const no_keys[] = {NULL};

const struct cbk_service cbk_service_logs = {
    .name = "logs",
    .targets = targets,
    .scenario_keys = no_keys,
    .create = create,
    .destroy = destroy,
    .call = call,
};
