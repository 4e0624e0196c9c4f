/*
 * lifecycle.c - a build's phases as a pure function of its plan and the clock (see lifecycle.h).
 * The path a build takes (which phases it runs, which one ends it and how) follows from the
 * plan's outcome; the times follow from the durations; a stop cuts the path where the clock was.
 */
#include "core/setup.h"
#include "services/codebuild/lifecycle.h"
#include "core/rand.h"

#define NAME(name)     #name,
#define NAME_LEN(name) sizeof #name - 1,
const char *const cb_phase_names[CB_PH_COUNT] = {CB_PHASE_LIST(NAME)};
const char *const cb_status_names[CB_ST_COUNT] = {CB_STATUS_LIST(NAME)};
static const uint8_t phase_name_len[CB_PH_COUNT] = {CB_PHASE_LIST(NAME_LEN)};
static const uint8_t status_name_len[CB_ST_COUNT] = {CB_STATUS_LIST(NAME_LEN)};
#undef NAME
#undef NAME_LEN

void cb_jsonw_phase(struct cbk_jsonw *w, int ph)
{
    cbk_jsonw_plain(w, cb_phase_names[ph], phase_name_len[ph]);
}

void cb_jsonw_status(struct cbk_jsonw *w, int st)
{
    cbk_jsonw_plain(w, cb_status_names[st], status_name_len[st]);
}

/* Typical phase lengths in seconds, [min, max] (what CodeBuild shows for a small project). */
static const int typical_secs[CB_PH_COUNT][2] = {
    {0, 0},    /* SUBMITTED: CodeBuild shows 0 seconds */
    {1, 4},    /* QUEUED */
    {15, 40},  /* PROVISIONING */
    {2, 9},    /* DOWNLOAD_SOURCE */
    {8, 45},   /* INSTALL */
    {1, 6},    /* PRE_BUILD */
    {30, 240}, /* BUILD */
    {1, 8},    /* POST_BUILD */
    {1, 4},    /* UPLOAD_ARTIFACTS */
    {1, 3},    /* FINALIZING */
    {0, 0},    /* COMPLETED */
};

int cb_phase_from_name(const char *name)
{
    for (int i = 0; i < CB_PH_COUNT; i++)
        if (strcmp(name, cb_phase_names[i]) == 0)
            return i;
    return -1;
}

int cb_status_from_name(const char *name)
{
    for (int i = 0; i < CB_ST_COUNT; i++)
        if (strcmp(name, cb_status_names[i]) == 0)
            return i;
    return -1;
}

void cb_plan_init(struct cb_plan *p, uint64_t seed, int64_t total_ms)
{
    memset(p, 0, sizeof(*p));
    struct cbk_rng r;
    cbk_rng_seed(&r, seed);
    int64_t sum = 0;
    for (int i = 0; i < CB_PH_COUNT; i++) {
        int lo = typical_secs[i][0], hi = typical_secs[i][1];
        int64_t ms = lo * 1000 + (int64_t)cbk_rng_below(&r, (uint64_t)(hi - lo) * 1000 + 1);
        p->dur_ms[i] = ms;
        sum += ms;
    }
    if (total_ms > 0 && sum > 0) {
        /* scale every phase; what rounding leaves over goes to BUILD, the longest */
        int64_t scaled = 0;
        for (int i = 0; i < CB_PH_COUNT; i++) {
            p->dur_ms[i] = p->dur_ms[i] * total_ms / sum;
            scaled += p->dur_ms[i];
        }
        p->dur_ms[CB_PH_BUILD] += total_ms - scaled;
    }
    p->outcome = CB_ST_SUCCEEDED;
    p->end_phase = CB_PH_COMPLETED;
}

void cb_default_context(int outcome, int phase, const char **code, const char **message)
{
    *code = "";
    *message = "";
    switch (outcome) {
    case CB_ST_TIMED_OUT:
        *code = "BUILD_TIMED_OUT";
        *message =
            phase == CB_PH_QUEUED ? "Build has timed out while queued. " : "Build has timed out. ";
        return;
    case CB_ST_FAULT:
        *code = "INTERNAL_SERVICE_ERROR";
        *message = "CodeBuild encountered an internal error; retry the build";
        return;
    case CB_ST_FAILED:
        break;
    default:
        return;
    }
    switch (phase) {
    case CB_PH_PROVISIONING:
        *code = "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE";
        *message = "Unable to pull customer's container image. CannotPullContainerError: Error "
                   "response from daemon: pull access denied for build-image, repository does "
                   "not exist or may require 'docker login'";
        return;
    case CB_PH_DOWNLOAD_SOURCE:
        *code = "CLIENT_ERROR";
        *message = "authentication required for primary source and source version main";
        return;
    case CB_PH_INSTALL:
        *code = "COMMAND_EXECUTION_ERROR";
        *message = "Error while executing command: npm ci. Reason: exit status 1";
        return;
    case CB_PH_PRE_BUILD:
        *code = "COMMAND_EXECUTION_ERROR";
        *message = "Error while executing command: make lint. Reason: exit status 2";
        return;
    case CB_PH_POST_BUILD:
        *code = "COMMAND_EXECUTION_ERROR";
        *message = "Error while executing command: ./publish.sh. Reason: exit status 1";
        return;
    case CB_PH_UPLOAD_ARTIFACTS:
        *code = "CLIENT_ERROR";
        *message = "no matching artifact paths found";
        return;
    default:
        *code = "COMMAND_EXECUTION_ERROR";
        *message = "Error while executing command: make test. Reason: exit status 2";
        return;
    }
}

/* The phase an outcome may end in that is nearest to 'phase' (-1: the usual one). */
static int outcome_phase(int outcome, int phase)
{
    if (outcome == CB_ST_SUCCEEDED)
        return CB_PH_COMPLETED;
    if (phase < 0)
        phase = CB_PH_BUILD;
    int lo = outcome == CB_ST_TIMED_OUT ? CB_PH_QUEUED : CB_PH_PROVISIONING;
    if (phase < lo)
        phase = lo;
    if (phase > CB_PH_UPLOAD_ARTIFACTS)
        phase = CB_PH_UPLOAD_ARTIFACTS;
    return phase;
}

void cb_plan_set_outcome(struct cb_plan *p, int outcome, int phase, const char *ctx_code,
                         const char *ctx_message)
{
    if (outcome != CB_ST_FAILED && outcome != CB_ST_FAULT && outcome != CB_ST_TIMED_OUT)
        outcome = CB_ST_SUCCEEDED;
    p->outcome = (uint8_t)outcome;
    p->end_phase = (uint8_t)outcome_phase(outcome, phase);
    p->ctx_code = ctx_code;
    p->ctx_message = ctx_message;
}

/* ---- the path --------------------------------------------------------------------------- */

struct step {
    uint8_t phase, status;
    bool ctx;
};

/* The phases the plan runs, in order, COMPLETED last. Returns how many. */
static size_t plan_path(const struct cb_plan *p, struct step out[CB_PH_COUNT])
{
    size_t n = 0;
    if (p->outcome == CB_ST_SUCCEEDED) {
        for (int i = 0; i < CB_PH_COMPLETED; i++)
            out[n++] = (struct step){(uint8_t)i, CB_ST_SUCCEEDED, false};
        out[n++] = (struct step){CB_PH_COMPLETED, CB_ST_SUCCEEDED, false};
        return n;
    }
    int end = p->end_phase;
    for (int i = 0; i < end; i++)
        out[n++] = (struct step){(uint8_t)i, CB_ST_SUCCEEDED, false};
    out[n++] = (struct step){(uint8_t)end, p->outcome, true};
    if (end == CB_PH_QUEUED) {
        /* timed out in the queue: nothing was provisioned, nothing to finalize */
    } else if (p->outcome == CB_ST_FAILED && end == CB_PH_BUILD) {
        out[n++] = (struct step){CB_PH_POST_BUILD, CB_ST_SUCCEEDED, false};
        out[n++] = (struct step){CB_PH_UPLOAD_ARTIFACTS, CB_ST_SUCCEEDED, false};
        out[n++] = (struct step){CB_PH_FINALIZING, CB_ST_SUCCEEDED, false};
    } else if (p->outcome == CB_ST_FAILED && end == CB_PH_POST_BUILD) {
        out[n++] = (struct step){CB_PH_UPLOAD_ARTIFACTS, CB_ST_SUCCEEDED, false};
        out[n++] = (struct step){CB_PH_FINALIZING, CB_ST_SUCCEEDED, false};
    } else {
        out[n++] = (struct step){CB_PH_FINALIZING, CB_ST_SUCCEEDED, false};
    }
    out[n++] = (struct step){CB_PH_COMPLETED, p->outcome, false};
    return n;
}

int64_t cb_plan_end_ms(const struct cb_plan *p, int64_t start_ms)
{
    struct step path[CB_PH_COUNT];
    size_t n = plan_path(p, path);
    int64_t t = start_ms;
    for (size_t i = 0; i + 1 < n; i++)
        t += p->dur_ms[path[i].phase];
    return t;
}

void cb_plan_apply_timeouts(struct cb_plan *p, int64_t timeout_min, int64_t queued_timeout_min)
{
    if (queued_timeout_min > 0 && p->dur_ms[CB_PH_QUEUED] > queued_timeout_min * 60000) {
        p->dur_ms[CB_PH_QUEUED] = queued_timeout_min * 60000;
        cb_plan_set_outcome(p, CB_ST_TIMED_OUT, CB_PH_QUEUED, NULL, NULL);
        return;
    }
    if (timeout_min <= 0)
        return;
    int64_t limit = timeout_min * 60000, used = 0;
    int last = p->outcome == CB_ST_SUCCEEDED ? CB_PH_UPLOAD_ARTIFACTS : p->end_phase;
    for (int i = CB_PH_PROVISIONING; i <= last; i++) {
        if (used + p->dur_ms[i] > limit) {
            p->dur_ms[i] = limit - used;
            cb_plan_set_outcome(p, CB_ST_TIMED_OUT, i, NULL, NULL);
            return;
        }
        used += p->dur_ms[i];
    }
}

void cb_view_at(const struct cb_plan *p, int64_t start_ms, int64_t stop_ms, int64_t now_ms,
                struct cb_view *out)
{
    struct step path[CB_PH_COUNT];
    size_t n = plan_path(p, path);
    memset(out, 0, sizeof(*out));
    out->status = CB_ST_IN_PROGRESS;
    const char *code = p->ctx_code, *msg = p->ctx_message;
    if (!code || !msg) {
        const char *dc, *dm;
        cb_default_context(p->outcome, p->end_phase, &dc, &dm);
        code = code ? code : dc;
        msg = msg ? msg : dm;
    }
    bool stopped = false;
    int64_t t = start_ms;
    for (size_t i = 0; i < n; i++) {
        struct step s = path[i];
        int64_t end = t + p->dur_ms[s.phase];
        if (s.phase == CB_PH_COMPLETED)
            end = t;
        /* a stop before FINALIZING cuts the path: this phase is STOPPED, then FINALIZING */
        if (!stopped && stop_ms >= 0 && s.phase < CB_PH_FINALIZING && stop_ms < end) {
            stopped = true;
            end = stop_ms > t ? stop_ms : t;
            s.status = CB_ST_STOPPED;
            s.ctx = false;
            /* what comes after: FINALIZING then COMPLETED */
            path[i] = s;
            path[i + 1] = (struct step){CB_PH_FINALIZING, CB_ST_SUCCEEDED, false};
            path[i + 2] = (struct step){CB_PH_COMPLETED, CB_ST_STOPPED, false};
            n = i + 3;
        }
        if (t > now_ms && i > 0)
            break; /* not begun yet */
        struct cb_phase_view *v = &out->ph[out->n++];
        v->type = s.phase;
        v->start_ms = t;
        out->current = s.phase;
        if (s.phase == CB_PH_COMPLETED) {
            out->complete = true;
            out->end_ms = t;
            out->status = s.status;
            break;
        }
        if (end <= now_ms) {
            v->ended = true;
            v->end_ms = end;
            v->status = s.status;
            v->has_ctx = s.ctx;
        } else {
            break; /* the current phase */
        }
        t = end;
    }
    if (stopped && stop_ms <= now_ms)
        out->status = CB_ST_STOPPED; /* from the stop on, not only once complete */
    out->ctx_code = code;
    out->ctx_message = msg;
}

bool cb_plan_change_outcome(struct cb_plan *p, int64_t start_ms, int64_t stop_ms, int64_t now_ms,
                            int outcome, int phase, const char *ctx_code, const char *ctx_message)
{
    struct cb_view v;
    cb_view_at(p, start_ms, stop_ms, now_ms, &v);
    if (v.complete || v.status == CB_ST_STOPPED)
        return false;
    int cur = v.current;
    /* the outcome is decided once its phase has begun: the past is not rewritten */
    if (p->outcome != CB_ST_SUCCEEDED && cur >= p->end_phase)
        return false;
    if (cur >= CB_PH_FINALIZING)
        return false;
    if (outcome == CB_ST_SUCCEEDED) {
        cb_plan_set_outcome(p, outcome, -1, NULL, NULL);
        return true;
    }
    int ph = outcome_phase(outcome, phase);
    if (ph < cur)
        ph = outcome_phase(outcome, cur);
    if (ph < cur)
        return false; /* e.g. FAILED while still QUEUED is fine, but nothing fails in the past */
    cb_plan_set_outcome(p, outcome, ph, ctx_code, ctx_message);
    return true;
}

/* ---- JSON --------------------------------------------------------------------------------- */

static void write_context(struct cbk_jsonw *w, const char *code, const char *msg)
{
    CBK_JSONW_KEY(w, "contexts");
    cbk_jsonw_arr(w);
    cbk_jsonw_obj(w);
    cbk_jsonw_kstr(w, "statusCode", code);
    cbk_jsonw_kstr(w, "message", msg);
    cbk_jsonw_end_obj(w);
    cbk_jsonw_end_arr(w);
}

/* Phase 'ph' with its context through the writer: the path for a phase that failed, whose
 * context holds text from a scenario. */
static void write_phase_slow(const struct cb_view *v, const struct cb_phase_view *ph,
                             struct cbk_jsonw *w)
{
    cbk_jsonw_obj(w);
    CBK_JSONW_KEY(w, "phaseType");
    cb_jsonw_phase(w, ph->type);
    CBK_JSONW_KEY(w, "phaseStatus");
    cb_jsonw_status(w, ph->status);
    CBK_JSONW_KEPOCH(w, "startTime", ph->start_ms);
    CBK_JSONW_KEPOCH(w, "endTime", ph->end_ms);
    CBK_JSONW_KINT(w, "durationInSeconds", (ph->end_ms - ph->start_ms) / 1000);
    write_context(w, v->ctx_code, v->ctx_message);
    cbk_jsonw_end_obj(w);
}

/* Copy string literal 'lit' to 'p'; the end of the copy. */
#define PUT_LIT(p, lit) ((char *)memcpy((p), (lit), sizeof(lit) - 1) + sizeof(lit) - 1)

/* Epoch text of 'ms' at 'p', formatted once for the phase boundary both phases share. */
struct epoch_memo {
    int64_t ms;
    size_t n; /* 0: nothing formatted yet */
    char text[CBK_EPOCH_MS_MAX];
};

static char *put_epoch(char *p, struct epoch_memo *memo, int64_t ms)
{
    if (!memo->n || memo->ms != ms) {
        memo->n = cbk_fmt_epoch_ms(memo->text, ms);
        memo->ms = ms;
    }
    memcpy(p, memo->text, memo->n);
    return p + memo->n;
}

void cb_view_write_phases(const struct cb_view *v, struct cbk_jsonw *w)
{
    /* Every phase but a failed one is names, times and fixed text: each is put together in a
     * local buffer and written as one value. */
    CBK_JSONW_KEY(w, "phases");
    cbk_jsonw_arr(w);
    struct epoch_memo memo = {0, 0, {0}};
    for (size_t i = 0; i < v->n; i++) {
        const struct cb_phase_view *ph = &v->ph[i];
        if (ph->ended && ph->has_ctx) {
            write_phase_slow(v, ph, w);
            continue;
        }
        char text[320]; /* names at most 16 bytes, times at most 24, an integer at most 20 */
        char *p = PUT_LIT(text, "{\"phaseType\":\"");
        p = (char *)memcpy(p, cb_phase_names[ph->type], phase_name_len[ph->type]) +
            phase_name_len[ph->type];
        if (ph->ended) {
            p = PUT_LIT(p, "\",\"phaseStatus\":\"");
            p = (char *)memcpy(p, cb_status_names[ph->status], status_name_len[ph->status]) +
                status_name_len[ph->status];
        }
        p = PUT_LIT(p, "\",\"startTime\":");
        p = put_epoch(p, &memo, ph->start_ms);
        if (ph->ended) {
            p = PUT_LIT(p, ",\"endTime\":");
            p = put_epoch(p, &memo, ph->end_ms);
            p = PUT_LIT(p, ",\"durationInSeconds\":");
            p += cbk_fmt_int(p, (ph->end_ms - ph->start_ms) / 1000);
            /* CodeBuild gives every ended phase from PROVISIONING on a context, empty unless
             * the phase failed */
            if (ph->type >= CB_PH_PROVISIONING && ph->type <= CB_PH_FINALIZING)
                p = PUT_LIT(p, ",\"contexts\":[{\"statusCode\":\"\",\"message\":\"\"}]");
        }
        *p++ = '}';
        cbk_jsonw_raw(w, text, (size_t)(p - text));
    }
    cbk_jsonw_end_arr(w);
}
