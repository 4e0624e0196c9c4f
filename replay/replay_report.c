/*
 * replay_report.c - render the results of a replay as text, one JSON document or JUnit XML
 * (docs/replay.md "Reports"). Everything is built in a bounded buffer; the caller decides
 * where it goes.
 */
#include "core/setup.h"
#include "replay/replay_internal.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonw.h"
#include "core/timefmt.h"
#include "report/report.h"

#define REPORT_MAX ((size_t)1 << 31)

/* ---- text ------------------------------------------------------------------------------ */

/* Text from the cassette or the target (pointers hold member names, messages quote values)
 * goes in escaped: it cannot start a line of its own or send terminal escapes. */
static void text_diff(struct cbk_buf *b, const struct cbk_replay_diff *d)
{
    cbk_buf_adds(b, d->note ? "  note: " : "  ");
    if (d->pointer[0]) {
        cbk_buf_add_printable(b, d->pointer, strlen(d->pointer));
        cbk_buf_adds(b, ": ");
    }
    cbk_buf_add_printable(b, d->message, strlen(d->message));
    cbk_buf_addc(b, '\n');
}

static void text_result(struct cbk_buf *b, const struct cbk_replay_result *x)
{
    cbk_buf_addf(b, "exchange %zu ", x->exchange);
    cbk_buf_add_printable(b, x->operation, strlen(x->operation));
    cbk_buf_addf(b, ": %s\n", x->matched ? "ok" : "MISMATCH");
    /* the differences first, then the notes */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < x->diffs.nr; i++)
            if (x->diffs.v[i].note == (pass == 1))
                text_diff(b, &x->diffs.v[i]);
    if (x->diffs.dropped)
        cbk_buf_addf(b, "  ... and %zu more difference%s not listed\n", x->diffs.dropped,
                     x->diffs.dropped == 1 ? "" : "s");
}

static void text_summary(struct cbk_buf *b, const struct cbk_replay *r)
{
    struct cbk_replay_summary s;
    cbk_replay_summary(r, &s);
    cbk_buf_addf(b, "replay: %zu exchange%s against %s: %zu ok, %zu mismatch", s.exchanges,
                 s.exchanges == 1 ? "" : "s", r->target, s.matched, s.mismatched);
    if (s.unanswered)
        cbk_buf_addf(b, " (%zu without an answer)", s.unanswered);
    cbk_buf_addc(b, '\n');
}

char *cbk_replay_result_text(const struct cbk_replay_result *result)
{
    struct cbk_buf b = CBK_BUF_INIT(REPORT_MAX);
    text_result(&b, result);
    return cbk_buf_detach(&b, NULL);
}

char *cbk_replay_summary_text(const struct cbk_replay *r)
{
    struct cbk_buf b = CBK_BUF_INIT(REPORT_MAX);
    text_summary(&b, r);
    return cbk_buf_detach(&b, NULL);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void json_str_or_null(struct cbk_jsonw *w, const char *key, const char *s)
{
    cbk_jsonw_key(w, key);
    if (s)
        cbk_jsonw_str(w, s);
    else
        cbk_jsonw_null(w);
}

static void json_diffs(struct cbk_jsonw *w, const struct cbk_replay_diffs *d, bool notes)
{
    cbk_jsonw_arr(w);
    for (size_t i = 0; i < d->nr; i++) {
        const struct cbk_replay_diff *x = &d->v[i];
        if (x->note != notes)
            continue;
        cbk_jsonw_obj(w);
        cbk_jsonw_kstr(w, "kind", cbk_replay_kind_name(x->kind));
        cbk_jsonw_kstr(w, "pointer", x->pointer);
        cbk_jsonw_kstr(w, "recorded", x->recorded);
        cbk_jsonw_kstr(w, "live", x->live);
        cbk_jsonw_kstr(w, "message", x->message);
        cbk_jsonw_end_obj(w);
    }
    cbk_jsonw_end_arr(w);
}

static void json_side(struct cbk_jsonw *w, const char *key, int status, const char *code)
{
    cbk_jsonw_key(w, key);
    cbk_jsonw_obj(w);
    cbk_jsonw_key(w, "status");
    if (status)
        cbk_jsonw_int(w, status);
    else
        cbk_jsonw_null(w);
    json_str_or_null(w, "errorCode", code);
    cbk_jsonw_end_obj(w);
}

static void json_report(struct cbk_buf *b, const struct cbk_replay *r)
{
    struct cbk_replay_summary s;
    cbk_replay_summary(r, &s);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, b);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "target", r->target);
    cbk_jsonw_kstr(&w, "cassette", r->cassette);
    cbk_jsonw_kepoch_ms(&w, "started", r->started_ms);
    cbk_jsonw_key(&w, "summary");
    cbk_jsonw_obj(&w);
    cbk_jsonw_kint(&w, "exchanges", (int64_t)s.exchanges);
    cbk_jsonw_kint(&w, "ok", (int64_t)s.matched);
    cbk_jsonw_kint(&w, "mismatch", (int64_t)s.mismatched);
    cbk_jsonw_kint(&w, "unanswered", (int64_t)s.unanswered);
    cbk_jsonw_kint(&w, "notes", (int64_t)s.notes);
    cbk_jsonw_key(&w, "seconds");
    cbk_jsonw_double(&w, s.seconds);
    cbk_jsonw_end_obj(&w);
    cbk_jsonw_key(&w, "exchanges");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < r->n; i++) {
        const struct cbk_replay_result *x = &r->v[i];
        cbk_jsonw_obj(&w);
        cbk_jsonw_kint(&w, "exchange", (int64_t)x->exchange);
        cbk_jsonw_kint(&w, "line", x->line);
        cbk_jsonw_kstr(&w, "operation", x->operation);
        cbk_jsonw_kstr(&w, "result", x->matched ? "ok" : "mismatch");
        cbk_jsonw_kbool(&w, "answered", x->answered);
        json_side(&w, "recorded", x->recorded_status, x->recorded_error);
        json_side(&w, "live", x->live_status, x->live_error);
        cbk_jsonw_key(&w, "seconds");
        cbk_jsonw_double(&w, x->seconds);
        cbk_jsonw_key(&w, "differences");
        json_diffs(&w, &x->diffs, false);
        cbk_jsonw_key(&w, "notes");
        json_diffs(&w, &x->diffs, true);
        cbk_jsonw_kint(&w, "unlisted", (int64_t)x->diffs.dropped);
        cbk_jsonw_end_obj(&w);
    }
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    cbk_buf_addc(b, '\n');
}

/* ---- JUnit ----------------------------------------------------------------------------- */

static void junit_report(struct cbk_buf *b, const struct cbk_replay *r)
{
    struct cbk_replay_summary s;
    cbk_replay_summary(r, &s);
    char ts[32];
    cbk_iso8601_ms(r->started_ms, ts);
    cbk_junit_begin(b, "cbkit replay", s.exchanges, s.mismatched, s.seconds, ts);
    const char *kv[] = {"cassette", r->cassette, "target", r->target};
    cbk_junit_properties(b, kv, 2);
    struct cbk_buf name = CBK_BUF_INIT(1 << 16), msg = CBK_BUF_INIT(1 << 20),
                   notes = CBK_BUF_INIT(REPORT_MAX);
    for (size_t i = 0; i < r->n; i++) {
        const struct cbk_replay_result *x = &r->v[i];
        cbk_buf_reset(&name);
        cbk_buf_reset(&notes);
        char *cls = cbk_xasprintf("cbkit.replay.%s", x->operation[0] ? x->operation : "unknown");
        cbk_buf_addf(&name, "exchange %zu %s (line %d)", x->exchange, x->operation, x->line);
        cbk_junit_case_begin(b, cls, cbk_buf_str(&name), x->seconds);
        free(cls);
        for (size_t k = 0; k < x->diffs.nr; k++) {
            const struct cbk_replay_diff *d = &x->diffs.v[k];
            if (d->note) {
                text_diff(&notes, d);
                continue;
            }
            cbk_buf_reset(&msg);
            if (d->pointer[0])
                cbk_buf_addf(&msg, "%s: ", d->pointer);
            cbk_buf_adds(&msg, d->message);
            cbk_junit_failure(b, cbk_replay_kind_name(d->kind), cbk_buf_str(&msg), NULL);
        }
        if (x->diffs.dropped) {
            cbk_buf_reset(&msg);
            cbk_buf_addf(&msg, "%zu more differences not listed", x->diffs.dropped);
            cbk_junit_failure(b, "more", cbk_buf_str(&msg), NULL);
        }
        if (notes.len)
            cbk_junit_system_out(b, notes.ptr, notes.len);
        cbk_junit_case_end(b);
    }
    cbk_buf_release(&name);
    cbk_buf_release(&msg);
    cbk_buf_release(&notes);
    cbk_junit_end(b);
}

/* ---- entry points ---------------------------------------------------------------------- */

static void build(const struct cbk_replay *r, enum cbk_replay_format format, struct cbk_buf *b)
{
    switch (format) {
    case CBK_REPLAY_JSON:
        json_report(b, r);
        return;
    case CBK_REPLAY_JUNIT:
        junit_report(b, r);
        return;
    case CBK_REPLAY_TEXT:
        break;
    }
    for (size_t i = 0; i < r->n; i++)
        text_result(b, &r->v[i]);
    text_summary(b, r);
}

char *cbk_replay_format(const struct cbk_replay *r, enum cbk_replay_format format, size_t *len)
{
    struct cbk_buf b = CBK_BUF_INIT(REPORT_MAX);
    build(r, format, &b);
    return cbk_buf_detach(&b, len);
}

enum cbk_code cbk_replay_write(const struct cbk_replay *r, enum cbk_replay_format format, FILE *f)
{
    struct cbk_buf b = CBK_BUF_INIT(REPORT_MAX);
    build(r, format, &b);
    enum cbk_code rc = cbk_write_all(f, &b);
    cbk_buf_release(&b);
    return rc;
}
