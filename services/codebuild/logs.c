/*
 * logs.c - build logs (see world.h): where each build writes its CloudWatch Logs stream (the
 * `logs` member BatchGetBuilds shows), the log settings a project's logsConfig and StartBuild's
 * logsConfigOverride give its builds, and reading the streams of a group for CloudWatch Logs'
 * GetLogEvents and FilterLogEvents (cbk_cb_logs_read()). A build's log is computed from its
 * plan, start and stop (build_log.c), the same that its phases are rendered from, under the
 * world's lock: the log and the phases agree at every clock time, and nothing is stored per
 * line.
 *
 * Log settings other than the default are kept as a shared, interned text (struct config) of
 * four NUL-separated fields: the CloudWatch status ("ENABLED" or "DISABLED"), the group name,
 * the stream name prefix (both empty when not configured) and the s3Logs object as JSON (empty:
 * the default, S3 logs disabled).
 */
#include "core/setup.h"
#include "services/codebuild/world.h"
#include "core/jsonq.h"
#include "services/codebuild/build_log.h"

#define DEFAULT_GROUP "/aws/codebuild/"

/* Log settings read back from their text. Strings point into the text. */
struct logset {
    bool enabled;
    const char *group, *prefix, *s3; /* "" when not configured */
};

static void logset_of(const struct config *c, struct logset *out)
{
    out->enabled = true;
    out->group = out->prefix = out->s3 = "";
    if (!c)
        return;
    const char *s = c->s, *e = c->s + c->len;
    out->enabled = strcmp(s, "DISABLED") != 0;
    const char **f[3] = {&out->group, &out->prefix, &out->s3};
    for (int i = 0; i < 3; i++) {
        s += strlen(s) + 1;
        if (s > e)
            return; /* never: the text was made by cb_log_settings() */
        *f[i] = s;
    }
}

/* Is 's3' (an S3LogsConfig) what every project has unless told: disabled, encrypted? */
static bool default_s3(struct json_object *s3)
{
    if (!s3)
        return true;
    const char *st = cb_get_str(s3, "status");
    struct json_object *enc = cb_get(s3, "encryptionDisabled");
    size_t n =
        json_object_is_type(s3, json_type_object) ? (size_t)json_object_object_length(s3) : 0;
    return st && strcmp(st, "DISABLED") == 0 &&
           (!enc ||
            (json_object_is_type(enc, json_type_boolean) && !json_object_get_boolean(enc))) &&
           n == (enc ? 2u : 1u);
}

struct config *cb_log_settings(struct cbk_cb *cb, struct json_object *lc)
{
    struct json_object *cw = cb_get(lc, "cloudWatchLogs"), *s3 = cb_get(lc, "s3Logs");
    const char *status = cb_get_str(cw, "status");
    const char *group = cb_get_str(cw, "groupName"), *prefix = cb_get_str(cw, "streamName");
    bool disabled = status && strcmp(status, "DISABLED") == 0;
    if (!disabled && (!group || !*group) && (!prefix || !*prefix) && default_s3(s3))
        return NULL;
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 20);
    cbk_buf_adds(&b, disabled ? "DISABLED" : "ENABLED");
    cbk_buf_addc(&b, '\0');
    cbk_buf_adds(&b, group ? group : "");
    cbk_buf_addc(&b, '\0');
    cbk_buf_adds(&b, prefix ? prefix : "");
    cbk_buf_addc(&b, '\0');
    if (s3 && !default_s3(s3)) {
        struct cbk_jsonw w;
        cbk_jsonw_init(&w, &b);
        cb_copy_value(&w, s3);
    }
    struct config *c = cb_config_intern(cb, b.ptr, b.len);
    cbk_buf_release(&b);
    return c;
}

/* The uuid part of a build's id ("project:uuid"). */
static const char *uuid_of(const struct item *it)
{
    return it->id[it->plen] ? it->id + it->plen + 1 : it->id;
}

void cb_log_names_of(const struct item *it, struct cb_log_names *out)
{
    struct logset ls;
    logset_of(it->logs, &ls);
    out->enabled = ls.enabled;
    if (*ls.group) {
        cb_cat(out->group, sizeof out->group, ls.group, (char *)NULL);
    } else {
        size_t dl = sizeof DEFAULT_GROUP - 1,
               pl = CBK_MIN((size_t)it->plen, sizeof out->group - dl - 1);
        memcpy(out->group, DEFAULT_GROUP, dl);
        memcpy(out->group + dl, it->id, pl);
        out->group[dl + pl] = '\0';
    }
    if (*ls.prefix)
        cb_cat(out->stream, sizeof out->stream, ls.prefix, "/", uuid_of(it), (char *)NULL);
    else
        cb_cat(out->stream, sizeof out->stream, uuid_of(it), (char *)NULL);
}

/* The S3 object of a build's log, as a part of a string: "LOCATION/UUID.gz". */
static void put_s3_object(struct cbk_jsonw *w, const char *location, const char *uuid)
{
    cbk_jsonw_str_part(w, location, strlen(location));
    CBK_JSONW_STR_LIT(w, "/");
    cbk_jsonw_str_part(w, uuid, strlen(uuid));
    CBK_JSONW_STR_LIT(w, ".gz");
}

void cb_write_build_logs(struct cbk_cb *cb, const struct item *it, struct cbk_jsonw *w)
{
    struct logset ls;
    logset_of(it->logs, &ls);
    struct cb_log_names n;
    cb_log_names_of(it, &n);
    const char *uuid = uuid_of(it);
    struct json_object *s3 = *ls.s3 ? cbk_jsonq_parse(ls.s3, strlen(ls.s3)) : NULL;
    const char *s3_status = cb_get_str(s3, "status"), *s3_loc = cb_get_str(s3, "location");
    bool s3_on = s3_status && strcmp(s3_status, "ENABLED") == 0 && s3_loc && *s3_loc;
    size_t glen = strlen(n.group), slen = strlen(n.stream), rlen = strlen(cb->region);
    CBK_JSONW_KEY(w, "logs");
    cbk_jsonw_obj(w);
    if (n.enabled) {
        CBK_JSONW_KEY(w, "groupName");
        cbk_jsonw_strn(w, n.group, glen);
        CBK_JSONW_KEY(w, "streamName");
        cbk_jsonw_strn(w, n.stream, slen);
        CBK_JSONW_KEY(w, "deepLink");
        cbk_jsonw_str_begin(w);
        CBK_JSONW_STR_LIT(w, "https://console.aws.amazon.com/cloudwatch/home?region=");
        cbk_jsonw_str_part(w, cb->region, rlen);
        CBK_JSONW_STR_LIT(w, "#logEvent:group=");
        cbk_jsonw_str_part(w, n.group, glen);
        CBK_JSONW_STR_LIT(w, ";stream=");
        cbk_jsonw_str_part(w, n.stream, slen);
        cbk_jsonw_str_end(w);
    }
    if (s3_on) {
        CBK_JSONW_KEY(w, "s3DeepLink");
        cbk_jsonw_str_begin(w);
        CBK_JSONW_STR_LIT(w, "https://s3.console.aws.amazon.com/s3/object/");
        put_s3_object(w, s3_loc, uuid);
        CBK_JSONW_STR_LIT(w, "?region=");
        cbk_jsonw_str_part(w, cb->region, rlen);
        cbk_jsonw_str_end(w);
    }
    if (n.enabled) {
        CBK_JSONW_KEY(w, "cloudWatchLogsArn");
        cbk_jsonw_str_begin(w);
        CBK_JSONW_STR_LIT(w, "arn:aws:logs:");
        cbk_jsonw_str_part(w, cb->region, rlen);
        CBK_JSONW_STR_LIT(w, ":");
        cbk_jsonw_str_part(w, cb->account, strlen(cb->account));
        CBK_JSONW_STR_LIT(w, ":log-group:");
        cbk_jsonw_str_part(w, n.group, glen);
        CBK_JSONW_STR_LIT(w, ":log-stream:");
        cbk_jsonw_str_part(w, n.stream, slen);
        cbk_jsonw_str_end(w);
    }
    if (s3_on) {
        CBK_JSONW_KEY(w, "s3LogsArn");
        cbk_jsonw_str_begin(w);
        CBK_JSONW_STR_LIT(w, "arn:aws:s3:::");
        put_s3_object(w, s3_loc, uuid);
        cbk_jsonw_str_end(w);
    }
    /* the configuration, as the project (or the override) gives it */
    CBK_JSONW_KEY(w, "cloudWatchLogs");
    cbk_jsonw_obj(w);
    CBK_JSONW_KEY(w, "status");
    if (ls.enabled)
        cbk_jsonw_plain(w, "ENABLED", 7);
    else
        cbk_jsonw_plain(w, "DISABLED", 8);
    if (*ls.group)
        CBK_JSONW_KSTR(w, "groupName", ls.group);
    if (*ls.prefix)
        CBK_JSONW_KSTR(w, "streamName", ls.prefix);
    cbk_jsonw_end_obj(w);
    CBK_JSONW_KEY(w, "s3Logs");
    if (s3) {
        cb_copy_value(w, s3);
    } else {
        static const char no_s3[] = "{\"status\":\"DISABLED\",\"encryptionDisabled\":false}";
        cbk_jsonw_raw(w, no_s3, sizeof no_s3 - 1);
    }
    cbk_jsonw_end_obj(w);
    if (s3)
        json_object_put(s3);
}

/* Could build 'it' (default settings) write to 'group'? Without formatting: most builds are
 * not of the group asked for. */
static bool default_group_is(const struct item *it, const char *group, size_t glen)
{
    size_t dl = sizeof DEFAULT_GROUP - 1;
    return glen == dl + it->plen && memcmp(group, DEFAULT_GROUP, dl) == 0 &&
           memcmp(group + dl, it->id, it->plen) == 0;
}

bool cbk_cb_logs_read(struct cbk_cb *cb, const char *group, const char *stream, int64_t now_ms,
                      const struct cbk_svc_log_sink *sink)
{
    size_t glen = strlen(group);
    bool found = false;
    pthread_mutex_lock(&cb->mu);
    for (const struct item *it = cb->oldest; it; it = it->newer) {
        if (it->batch || !cb_visible(it, now_ms))
            continue;
        if (!it->logs && !default_group_is(it, group, glen))
            continue;
        struct cb_log_names n;
        cb_log_names_of(it, &n);
        if (!n.enabled || strcmp(n.group, group) != 0 || (stream && strcmp(n.stream, stream) != 0))
            continue;
        found = true; /* the stream exists from the build's start, empty while it is queued */
        struct cb_plan tmp;
        const struct cb_plan *p = cb_item_plan(cb, it, &tmp);
        struct cb_log_input in = {n.stream, it->output ? it->output->s : NULL,
                                  it->output ? it->output->len : 0,
                                  cbk_mix64(it->seed ^ 0x5c0de) % 1000000000ULL};
        if (!cb_log_write(p, it->start_ms, it->stop_ms, now_ms, &in, sink) || stream)
            break; /* the sink has enough, or the one stream asked for is written */
    }
    pthread_mutex_unlock(&cb->mu);
    return found;
}
