/*
 * mock_report.c - the mock's journal written out at shutdown: a JSON report and JUnit XML
 * with one test case per request and one failure per contract violation.
 */
#include "core/setup.h"
#include "mock/mock_internal.h"
#include "cbkit/cbkit.h"
#include "core/jsonw.h"
#include "report/report.h"

static void summary(struct cbk_jsonw *w, const struct cbk_mock_stats *st)
{
    cbk_jsonw_key(w, "summary");
    cbk_jsonw_obj(w);
    cbk_jsonw_kint(w, "requests", (int64_t)st->requests);
    cbk_jsonw_kint(w, "valid", (int64_t)st->valid);
    cbk_jsonw_kint(w, "invalid", (int64_t)st->invalid);
    cbk_jsonw_kint(w, "rejected", (int64_t)st->rejected);
    cbk_jsonw_kint(w, "violations", (int64_t)st->violations);
    cbk_jsonw_kint(w, "faults", (int64_t)st->faults);
    cbk_jsonw_kint(w, "dropped", (int64_t)st->dropped);
    cbk_jsonw_end_obj(w);
}

struct rep_ctx {
    const struct cbk_journal *j;
    struct cbk_buf *b;
    size_t n;
};

static void entry_cb(const struct cbk_jentry *e, void *arg)
{
    struct rep_ctx *c = arg;
    if (c->n++)
        cbk_buf_addc(c->b, ',');
    cbk_journal_entry_json(c->j, e, c->b);
}

enum cbk_code cbk_mock_write_report(struct cbk_mock *m, FILE *f)
{
    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 31);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "tool", "cbkit mock");
    cbk_jsonw_kstr(&w, "version", cbk_version());
    cbk_jsonw_kstr(&w, "spec", cbk_spec_file(m->spec));
    cbk_jsonw_kepoch_ms(&w, "started", m->started_ms);
    cbk_jsonw_kepoch_ms(&w, "finished", cbk__mock_now_ms(m));
    summary(&w, &st);
    cbk_jsonw_key(&w, "requests");
    cbk_buf_addc(&b, '[');
    struct rep_ctx c = {&m->journal, &b, 0};
    cbk_journal_each(&m->journal, entry_cb, &c);
    cbk_buf_addc(&b, ']');
    cbk_buf_adds(&b, "}\n");
    enum cbk_code rc = cbk_write_all(f, &b);
    cbk_buf_release(&b);
    return rc;
}

struct junit_ctx {
    const struct cbk_journal *j;
    struct cbk_buf *b;
};

static void junit_case(const struct cbk_jentry *e, void *arg)
{
    struct junit_ctx *c = arg;
    char cls[160], name[256], ts[32];
    snprintf(cls, sizeof cls, "cbkit.mock.%s", e->op[0] ? e->op : "unknown");
    cbk_iso8601_ms(e->time_ms, ts);
    snprintf(name, sizeof name, "#%" PRIu64 " %s %s -> %d", e->id,
             e->op[0]       ? e->op
             : e->target[0] ? e->target
                            : "(no operation)",
             ts, e->status);
    double secs = e->latency_us > 0 ? (double)e->latency_us / 1e6 : 0.0;
    cbk_junit_case_begin(c->b, cls, name, secs);
    if (e->verdict == CBK_VERDICT_INVALID) {
        for (size_t i = 0; i < e->nviol; i++) {
            struct cbk_buf msg = CBK_BUF_INIT(1 << 16);
            cbk_buf_addf(&msg, "%s: %s", e->viol[i].path[0] ? e->viol[i].path : "(document)",
                         e->viol[i].message);
            cbk_junit_failure(c->b, e->viol[i].rule, cbk_buf_str(&msg), NULL);
            cbk_buf_release(&msg);
        }
        if (e->viol_total > e->nviol) {
            char more[96];
            snprintf(more, sizeof more, "%zu more violations not listed", e->viol_total - e->nviol);
            cbk_junit_failure(c->b, "more", more, NULL);
        }
    } else if (e->verdict == CBK_VERDICT_REJECTED) {
        char msg[300];
        snprintf(msg, sizeof msg, "request rejected with %s (HTTP %d)", e->error_type, e->status);
        cbk_junit_failure(c->b, "protocol", msg, NULL);
    }
    struct cbk_arena a = CBK_ARENA_INIT(1 << 12);
    size_t blen;
    const char *body = cbk_journal_body_shown(c->j, e, &blen, &a);
    cbk_junit_system_out(c->b, body, blen);
    cbk_arena_release(&a);
    cbk_junit_case_end(c->b);
}

struct count_ctx {
    size_t tests, failures;
};

static void count_case(const struct cbk_jentry *e, void *arg)
{
    struct count_ctx *c = arg;
    c->tests++;
    if (e->verdict != CBK_VERDICT_VALID)
        c->failures++;
}

enum cbk_code cbk_mock_write_junit(struct cbk_mock *m, FILE *f)
{
    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    struct count_ctx cc = {0, 0};
    cbk_journal_each(&m->journal, count_case, &cc);
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 31);
    char ts[32];
    cbk_iso8601_ms(m->started_ms, ts);
    double secs = (double)(cbk__mock_now_ms(m) - m->started_ms) / 1000.0;
    cbk_junit_begin(&b, "cbkit mock", cc.tests, cc.failures, secs < 0 ? 0 : secs, ts);
    char requests[32], dropped[32], violations[32];
    snprintf(requests, sizeof requests, "%" PRIu64, st.requests);
    snprintf(dropped, sizeof dropped, "%" PRIu64, st.dropped);
    snprintf(violations, sizeof violations, "%" PRIu64, st.violations);
    const char *kv[] = {
        "spec", cbk_spec_file(m->spec), "requests", requests, "violations", violations, "dropped",
        dropped};
    cbk_junit_properties(&b, kv, 4);
    struct junit_ctx c = {&m->journal, &b};
    cbk_journal_each(&m->journal, junit_case, &c);
    cbk_junit_end(&b);
    enum cbk_code rc = cbk_write_all(f, &b);
    cbk_buf_release(&b);
    return rc;
}
