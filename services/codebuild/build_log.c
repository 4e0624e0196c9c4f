/*
 * build_log.c - a build's CloudWatch Logs stream from its plan and the clock (build_log.h).
 */
#include "core/setup.h"
#include "services/codebuild/build_log.h"
#include "core/buf.h"

void cb_log_group(const char *project, char *out, size_t size)
{
    snprintf(out, size, "/aws/codebuild/%s", project);
}

struct writer {
    const struct cbk_svc_log_sink *sink;
    const char *stream;
    int64_t now_ms;
    bool stopped; /* the sink said stop */
    bool past;    /* an event lies after now: nothing later is written */
};

/* Write one "[Container] TIME text" line at 'ms', if its time has come. */
static void line(struct writer *w, int64_t ms, const char *fmt, ...) CBK_PRINTF(3, 4);

static void line(struct writer *w, int64_t ms, const char *fmt, ...)
{
    if (w->stopped || w->past)
        return;
    if (ms > w->now_ms) {
        w->past = true;
        return;
    }
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char text[1024];
    int n = snprintf(text, sizeof text, "[Container] %04d/%02d/%02d %02d:%02d:%02d.%06d ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (int)(ms % 1000) * 1000);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
    va_end(ap);
    if (!w->sink->event(w->sink->arg, w->stream, ms, ms, text, strlen(text)))
        w->stopped = true;
}

/* A raw output line (what a command printed, len bytes), no agent prefix. */
static void output(struct writer *w, int64_t ms, const char *s, size_t len)
{
    if (w->stopped || w->past)
        return;
    if (ms > w->now_ms) {
        w->past = true;
        return;
    }
    if (!w->sink->event(w->sink->arg, w->stream, ms, ms, s, len))
        w->stopped = true;
}

/* How many lines 'in' has for the BUILD phase. */
static size_t output_lines(const struct cb_log_input *in)
{
    if (!in->output)
        return 0;
    size_t n = 1;
    for (const char *p = in->output, *e = p + in->output_len;
         (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        n++;
    return n;
}

/*
 * The scenario's output lines of a BUILD phase that began at t0 and ends at 'end' (-1: still
 * running), spread evenly over the phase as planned; lines after a phase cut short are never
 * printed.
 */
static void build_output(struct writer *w, const struct cb_plan *p, int64_t t0, int64_t end,
                         const struct cb_log_input *in)
{
    size_t n = output_lines(in);
    int64_t span = p->dur_ms[CB_PH_BUILD];
    const char *s = in->output, *e = s ? s + in->output_len : NULL;
    for (size_t k = 0; k < n && !w->stopped && !w->past; k++) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);
        int64_t ms = t0 + span * (int64_t)(k + 1) / (int64_t)(n + 1);
        if (end >= 0 && ms > end)
            return;
        output(w, ms, s, len);
        s = nl ? nl + 1 : e;
    }
}

/* The command a phase runs (consistent with cb_default_context()'s messages). */
static const char *phase_command(int phase)
{
    switch (phase) {
    case CB_PH_INSTALL:
        return "npm ci";
    case CB_PH_PRE_BUILD:
        return "make lint";
    case CB_PH_BUILD:
        return "make test";
    case CB_PH_POST_BUILD:
        return "./publish.sh";
    default:
        return NULL;
    }
}

/*
 * From a context message "Error while executing command: CMD. Reason: WHY", the command and the
 * reason into cmd and why. False when the message is not of that form.
 */
static bool failed_command(const char *msg, char *cmd, size_t csize, char *why, size_t wsize)
{
    static const char head[] = "Error while executing command: ";
    if (!msg || strncmp(msg, head, sizeof head - 1) != 0)
        return false;
    const char *c = msg + sizeof head - 1;
    const char *r = strstr(c, ". Reason: ");
    if (!r)
        return false;
    snprintf(cmd, csize, "%.*s", (int)CBK_MIN((size_t)(r - c), (size_t)INT_MAX), c);
    snprintf(why, wsize, "%s", r + strlen(". Reason: "));
    return true;
}

bool cb_log_write(const struct cb_plan *p, int64_t start_ms, int64_t stop_ms, int64_t now_ms,
                  const struct cb_log_input *in, const struct cbk_svc_log_sink *sink)
{
    struct cb_view v;
    cb_view_at(p, start_ms, stop_ms, now_ms, &v);
    struct writer w = {sink, in->stream, now_ms, false, false};
    char src[64];
    snprintf(src, sizeof src, "/codebuild/output/src%llu/src",
             (unsigned long long)(in->src_id % 1000000000ULL));
    for (size_t i = 0; i < v.n && !w.stopped && !w.past; i++) {
        const struct cb_phase_view *ph = &v.ph[i];
        int ty = ph->type;
        int64_t t0 = ph->start_ms, t1 = ph->ended ? ph->end_ms : now_ms;
        const char *name = cb_phase_names[ty];
        const char *cmd = phase_command(ty);
        char fcmd[256], why[256];
        bool this_failed = ph->ended && ph->has_ctx && ph->status == CB_ST_FAILED;
        /* the command the phase runs is the one its failure names, from the phase's start on
         * (the log does not change what it showed once the phase fails) */
        if (p->outcome == CB_ST_FAILED && p->end_phase == ty &&
            failed_command(v.ctx_message, fcmd, sizeof fcmd, why, sizeof why))
            cmd = fcmd;
        switch (ty) {
        case CB_PH_SUBMITTED:
        case CB_PH_QUEUED:
        case CB_PH_COMPLETED:
            continue; /* before the container, or after it */
        case CB_PH_PROVISIONING:
            line(&w, t0, "Running on CodeBuild On-demand");
            line(&w, t0, "Waiting for agent ping");
            if (ph->ended && ph->status == CB_ST_SUCCEEDED)
                line(&w, ph->end_ms, "Waiting for DOWNLOAD_SOURCE");
            continue;
        case CB_PH_DOWNLOAD_SOURCE:
            line(&w, t0, "Phase is DOWNLOAD_SOURCE");
            line(&w, t0, "CODEBUILD_SRC_DIR=%s", src);
            line(&w, t0, "YAML location is %s/buildspec.yml", src);
            line(&w, t0, "Processing environment variables");
            line(&w, t0, "Moving to directory %s", src);
            break;
        case CB_PH_FINALIZING:
            line(&w, t0, "Phase complete: FINALIZING State: SUCCEEDED");
            continue;
        default:
            line(&w, t0, "Entering phase %s", name);
            if (cmd)
                line(&w, t0, "Running command %s", cmd);
            if (ty == CB_PH_BUILD)
                build_output(&w, p, t0, ph->ended ? ph->end_ms : -1, in);
            break;
        }
        if (!ph->ended)
            break;
        if (this_failed && cmd)
            line(&w, t1, "Command did not exit successfully %s %s", cmd,
                 failed_command(v.ctx_message, fcmd, sizeof fcmd, why, sizeof why)
                     ? why
                     : "exit status 1");
        const char *st = cb_status_names[ph->status];
        line(&w, t1, "Phase complete: %s State: %s", name, st);
        if (ph->has_ctx)
            line(&w, t1, "Phase context status code: %s Message: %s", v.ctx_code ? v.ctx_code : "",
                 v.ctx_message ? v.ctx_message : "");
        else
            line(&w, t1, "Phase context status code:  Message: ");
    }
    return !w.stopped;
}
