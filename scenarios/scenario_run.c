/*
 * scenario_run.c - scenarios at run time: the mock asks them for an answer (rules tried in
 * load order, counts and states updated under the mock's scenario lock), they shape it
 * (AWS errors, canned bodies, templates, faults, latency), and the admin API manages them.
 */
#include "core/setup.h"
#include "scenarios/scenario_internal.h"
#include "cbkit/validate.h"
#include "core/alloc.h"
#include "core/jsonq.h"
#include "core/jsonw.h"
#include "core/yaml.h"
#include "mock/mock_internal.h"
#include "mock/scenario_hook.h"
#include "wire/wire.h"

#include <json-c/json.h>

/* ---- templates ------------------------------------------------------------------------------ */

struct tctx {
    struct json_object *req;
    struct cbk_rng *rng;
    int64_t now_ms;
    uint64_t count, seq;
    const char *region, *account;
};

/* Write the value of one placeholder: as JSON when 'typed', as text otherwise. */
static void placeholder(const struct tctx *t, const char *name, size_t len, bool typed,
                        struct cbk_buf *out)
{
    char tmp[64];
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    if (len > 8 && strncmp(name, "request.", 8) == 0) {
        char ptr[512];
        size_t pl = CBK_MIN(len - 8, sizeof ptr - 1);
        memcpy(ptr, name + 8, pl);
        ptr[pl] = '\0';
        struct json_object *v = NULL;
        bool found = t->req ? cbk_jsonq_get(t->req, ptr, &v) : false;
        if (!t->req) {
            /* load-time check: a sample value */
            if (typed)
                cbk_jsonw_str(&w, "x");
            else
                cbk_buf_addc(out, 'x');
            return;
        }
        if (!found || !v) {
            if (typed)
                cbk_jsonw_null(&w);
            return;
        }
        if (!typed && json_object_is_type(v, json_type_string)) {
            cbk_buf_add(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
            return;
        }
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        cbk_buf_adds(out, s);
        return;
    }
#define IS(x) (len == sizeof(x) - 1 && strncmp(name, x, len) == 0)
    if (IS("uuid")) {
        char u[37];
        cbk_uuid_format(u, cbk_rng_next(t->rng), cbk_rng_next(t->rng));
        if (typed)
            cbk_jsonw_str(&w, u);
        else
            cbk_buf_adds(out, u);
    } else if (IS("now")) {
        cbk_jsonw_epoch_ms(&w, t->now_ms);
    } else if (IS("count") || IS("seq")) {
        snprintf(tmp, sizeof tmp, "%" PRIu64, IS("count") ? t->count : t->seq);
        cbk_buf_adds(out, tmp);
    } else if (IS("region") || IS("account")) {
        const char *s = IS("region") ? t->region : t->account;
        if (typed)
            cbk_jsonw_str(&w, s);
        else
            cbk_buf_adds(out, s);
    }
#undef IS
}

/* Placeholder names a template may use (request.* aside). */
static bool known_placeholder(const char *name, size_t len)
{
    static const char *const names[] = {"uuid", "now", "count", "seq", "region", "account"};
    if (len > 9 && strncmp(name, "request./", 9) == 0)
        return true;
    if (len == 8 && strncmp(name, "request.", 8) == 0)
        return false;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(names); i++)
        if (strlen(names[i]) == len && strncmp(name, names[i], len) == 0)
            return true;
    return false;
}

static void render_string(const struct tctx *t, const char *s, size_t n, struct cbk_buf *out)
{
    /* exactly one placeholder: typed value */
    if (n > 4 && s[0] == '{' && s[1] == '{' && s[n - 2] == '}' && s[n - 1] == '}' &&
        !memmem(s + 2, n - 4, "{{", 2) && !memmem(s + 2, n - 4, "}}", 2) &&
        known_placeholder(s + 2, n - 4)) {
        placeholder(t, s + 2, n - 4, true, out);
        return;
    }
    struct cbk_buf text = CBK_BUF_INIT((size_t)16 << 20);
    size_t i = 0;
    while (i < n) {
        const char *open = memmem(s + i, n - i, "{{", 2);
        if (!open) {
            cbk_buf_add(&text, s + i, n - i);
            break;
        }
        size_t o = (size_t)(open - s);
        const char *close = memmem(s + o + 2, n - o - 2, "}}", 2);
        if (!close) {
            cbk_buf_add(&text, s + i, n - i);
            break;
        }
        size_t c = (size_t)(close - s);
        cbk_buf_add(&text, s + i, o - i);
        if (known_placeholder(s + o + 2, c - o - 2))
            placeholder(t, s + o + 2, c - o - 2, false, &text);
        else
            cbk_buf_add(&text, s + o, c + 2 - o);
        i = c + 2;
    }
    cbk_buf_add_json_str(out, cbk_buf_str(&text), text.len);
    cbk_buf_release(&text);
}

static void render(const struct tctx *t, struct json_object *o, struct cbk_buf *out, int depth)
{
    if (depth > 64) {
        cbk_buf_adds(out, "null");
        return;
    }
    switch (o ? json_object_get_type(o) : json_type_null) {
    case json_type_object: {
        cbk_buf_addc(out, '{');
        bool first = true;
        json_object_object_foreach(o, key, val)
        {
            if (!first)
                cbk_buf_addc(out, ',');
            first = false;
            cbk_buf_add_json_str(out, key, strlen(key));
            cbk_buf_addc(out, ':');
            render(t, val, out, depth + 1);
        }
        cbk_buf_addc(out, '}');
        return;
    }
    case json_type_array:
        cbk_buf_addc(out, '[');
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            if (i)
                cbk_buf_addc(out, ',');
            render(t, json_object_array_get_idx(o, i), out, depth + 1);
        }
        cbk_buf_addc(out, ']');
        return;
    case json_type_string:
        render_string(t, json_object_get_string(o), (size_t)json_object_get_string_len(o), out);
        return;
    default:
        cbk_buf_adds(out, o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null");
        return;
    }
}

/* The first placeholder of the template that is not one of the known names, or NULL. */
static const char *unknown_in(struct json_object *o, struct cbk_buf *name, int depth)
{
    if (!o || depth > 64)
        return NULL;
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v)
        {
            (void)k;
            const char *u = unknown_in(v, name, depth + 1);
            if (u)
                return u;
        }
        return NULL;
    }
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            const char *u = unknown_in(json_object_array_get_idx(o, i), name, depth + 1);
            if (u)
                return u;
        }
        return NULL;
    }
    if (!json_object_is_type(o, json_type_string))
        return NULL;
    const char *s = json_object_get_string(o);
    size_t n = (size_t)json_object_get_string_len(o);
    for (const char *p = memmem(s, n, "{{", 2); p;
         p = memmem(p + 2, n - (size_t)(p + 2 - s), "{{", 2)) {
        const char *close = memmem(p + 2, n - (size_t)(p + 2 - s), "}}", 2);
        if (!close)
            break;
        if (!known_placeholder(p + 2, (size_t)(close - p - 2))) {
            cbk_buf_reset(name);
            cbk_buf_add(name, p, (size_t)(close + 2 - p));
            return cbk_buf_str(name);
        }
        if ((size_t)(close + 2 - s) >= n)
            break;
    }
    return NULL;
}

bool cbk__scen_template_unknown(struct json_object *tmpl, struct cbk_buf *name)
{
    return unknown_in(tmpl, name, 0) != NULL;
}

void cbk__scen_render_template(struct json_object *tmpl, struct json_object *req,
                               struct cbk_rng *rng, int64_t now_ms, uint64_t count, uint64_t seq,
                               const char *region, const char *account, struct cbk_buf *out)
{
    struct tctx t = {req, rng, now_ms, count, seq, region, account};
    render(&t, tmpl, out, 0);
}

/* ---- answering ------------------------------------------------------------------------------ */

static const char *html_page(int status)
{
    switch (status) {
    case 502:
        return "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
               "502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n";
    case 504:
        return "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center>"
               "<h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n";
    default:
        return "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
               "<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n"
               "</body>\r\n</html>\r\n";
    }
}

static const char *decorated(struct cbk_mock *m, const struct cbk_respond *rs, struct cbk_arena *a)
{
    if (!rs->decorate)
        return rs->error;
    const struct cbk_metadata *md = cbk_spec_metadata(m->spec);
    const char *svc = md->endpoint_prefix ? md->endpoint_prefix : "service";
    const char *ns = rs->decorate & 1 ? cbk_arena_printf(a, "com.amazonaws.%s#", svc) : "";
    const char *uri =
        rs->decorate & 2 ? ":http://internal.amazon.com/coral/com.amazon.coral.validate/" : "";
    return cbk_arena_printf(a, "%s%s%s", ns, rs->error, uri);
}

static void set_body(struct cbk_mock *m, struct cbk_http_answer *ans, struct cbk_arena *a,
                     int status, const char *body, size_t len)
{
    ans->status = status;
    ans->body = cbk_arena_strndup(a, body, len);
    ans->body_len = len;
    cbk__answer_header(ans, "Content-Type", cbk_spec_metadata(m->spec)->content_type);
}

static const char *fault_name(enum cbk_scen_fault f)
{
    static const char *const names[] = {"",         "reset",   "close", "stall",
                                        "truncate", "dribble", "html",  "malformed"};
    return names[f];
}

/*
 * Fill 'ans' for rule 'r' (which fired on this call). Returns CBK_SCEN_ANSWERED or
 * CBK_SCEN_CONTINUE. Called under the scenario lock.
 */
static enum cbk_scen_outcome fire(struct cbk_mock *m, struct cbk_scenario *s,
                                  struct cbk_scen_rule *r, const struct cbk_operation *op,
                                  struct json_object *doc, struct cbk_http_answer *ans,
                                  struct cbk_arena *a, struct cbk_jentry *e)
{
    const struct cbk_respond *rs = &r->respond;
    struct cbk_buf fault = CBK_BUF_INIT(1 << 12);
    unsigned lat = cbk__scen_latency_ms(&r->latency, &r->lat_rng);
    if (lat || r->latency.kind != CBK_LAT_NONE) {
        ans->delay_ms = lat;
        cbk_buf_addf(&fault, "latency %ums", lat);
    }
    enum cbk_scen_outcome out = CBK_SCEN_ANSWERED;
    switch (rs->kind) {
    case CBK_R_ERROR: {
        const char *type = decorated(m, rs, a);
        const struct cbk_wire_common_error *ce = cbk_wire_common_error(rs->error);
        const char *msg = rs->message ? rs->message
                          : ce        ? ce->message
                               : cbk_arena_printf(a, "%s (injected by cbkit scenario %s, rule %s)",
                                                  rs->error, s->name, r->name);
        cbk__answer_aws_error(m, ans, a, rs->status, type, msg);
        e->error_type = type;
        cbk_buf_addf(&fault, "%serror %s", fault.len ? ", " : "", rs->error);
        break;
    }
    case CBK_R_BODY:
        set_body(m, ans, a, rs->status, rs->body, rs->body_len);
        break;
    case CBK_R_TEMPLATE: {
        struct cbk_buf b = CBK_BUF_INIT((size_t)16 << 20);
        struct cbk_rng rng;
        cbk_rng_seed(&rng, cbk_mix64(s->run_seed ^ cbk_mix64(r->fired) ^ (uintptr_t)r->name[0]));
        struct json_object *empty = doc ? NULL : json_object_new_object();
        /* {{count}}: this rule's call number, as its schedule counts (docs/scenarios.md) */
        cbk__scen_render_template(rs->tmpl, doc ? doc : empty, &rng, cbk__mock_now_ms(m),
                                  r->matched, atomic_load(&m->seq), m->region, m->account, &b);
        if (empty)
            json_object_put(empty);
        bool ok = true;
        if (rs->status >= 200 && rs->status < 300) {
            struct cbk_report *rep = cbk_report_new();
            struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
            vo.direction = CBK_RESPONSE;
            vo.strict = true;
            if (cbk_validate_buffer(m->spec, op->output, b.ptr, b.len, &vo, rep) != CBK_OK) {
                const struct cbk_violation *v = cbk_report_at(rep, 0);
                char *msg = cbk_xasprintf(
                    "scenario %s rule %s rendered an answer that breaks the contract: %s: %s",
                    s->name, r->name, v ? v->pointer : "", v ? v->message : "");
                cbk__answer_aws_error(m, ans, a, 500, "InternalFailure", msg);
                free(msg);
                e->error_type = "InternalFailure";
                ok = false;
            }
            cbk_report_free(rep);
        }
        if (ok)
            set_body(m, ans, a, rs->status, b.ptr, b.len);
        cbk_buf_release(&b);
        break;
    }
    case CBK_R_DEFAULT:
        out = CBK_SCEN_CONTINUE;
        break;
    }
    for (size_t i = 0; i < rs->nheaders; i++)
        cbk__answer_header(ans, cbk_arena_strdup(a, rs->hnames[i]),
                           cbk_arena_strdup(a, rs->hvalues[i]));
    switch (rs->fault) {
    case CBK_SF_NONE:
        break;
    case CBK_SF_RESET:
        ans->fault = CBK_FAULT_RESET;
        ans->status = 0;
        out = CBK_SCEN_ANSWERED;
        break;
    case CBK_SF_CLOSE:
        ans->fault = CBK_FAULT_CLOSE;
        ans->status = 0;
        out = CBK_SCEN_ANSWERED;
        break;
    case CBK_SF_STALL:
        ans->fault = CBK_FAULT_STALL;
        ans->stall_ms = rs->ms;
        ans->status = 0;
        out = CBK_SCEN_ANSWERED;
        break;
    case CBK_SF_TRUNCATE:
        ans->fault = CBK_FAULT_TRUNCATE;
        ans->truncate_at = rs->bytes; /* SIZE_MAX: half, decided when the body is known */
        break;
    case CBK_SF_DRIBBLE:
        ans->fault = CBK_FAULT_DRIBBLE;
        ans->chunks = rs->chunks;
        ans->dribble_ms = rs->ms;
        break;
    case CBK_SF_HTML: {
        const char *page = html_page(rs->status);
        ans->status = rs->status;
        ans->body = page;
        ans->body_len = strlen(page);
        cbk__answer_header(ans, "Content-Type", "text/html");
        out = CBK_SCEN_ANSWERED;
        break;
    }
    case CBK_SF_MALFORMED: {
        static const char bad[] = "{\"build\": {\"id\": \"malformed";
        set_body(m, ans, a, 200, bad, sizeof(bad) - 1);
        out = CBK_SCEN_ANSWERED;
        break;
    }
    }
    if (rs->fault != CBK_SF_NONE) {
        cbk_buf_addf(&fault, "%s%s", fault.len ? ", " : "", fault_name(rs->fault));
        if (rs->fault == CBK_SF_DRIBBLE)
            cbk_buf_addf(&fault, " %ux%ums", rs->chunks, rs->ms);
        else if (rs->fault == CBK_SF_STALL)
            cbk_buf_addf(&fault, " %ums", rs->ms);
        else if (rs->fault == CBK_SF_HTML)
            cbk_buf_addf(&fault, " %d", rs->status);
        else if (rs->fault == CBK_SF_TRUNCATE && rs->bytes != SIZE_MAX)
            cbk_buf_addf(&fault, " %zuB", rs->bytes);
    }
    if (fault.len)
        e->fault = cbk_arena_strndup(a, fault.ptr, fault.len);
    cbk_buf_release(&fault);
    if (r->then) {
        free(s->state);
        s->state = cbk_xstrdup(r->then);
    }
    return out;
}

/*
 * Does rule 'r' apply to this request? CBK_RE_MATCH or CBK_RE_NOMATCH; CBK_RE_ERROR when one
 * of its regex matchers could not decide (a PCRE2 engine limit), with which one and why
 * written to 'why'.
 */
static enum cbk_re_result rule_applies(struct cbk_scenario *s, struct cbk_scen_rule *r,
                                       const struct cbk_operation *op,
                                       const struct cbk_http_req *req, bool valid,
                                       struct json_object *doc, struct cbk_buf *why)
{
    if (r->nops) {
        bool hit = false;
        for (size_t i = 0; i < r->nops; i++)
            hit = hit || r->ops[i] == op;
        if (!hit)
            return CBK_RE_NOMATCH;
    }
    if (r->nstates) {
        bool hit = false;
        for (size_t i = 0; i < r->nstates; i++)
            hit = hit || strcmp(r->states[i], s->state) == 0;
        if (!hit)
            return CBK_RE_NOMATCH;
    }
    if ((r->valid == CBK_VALID_TRUE && !valid) || (r->valid == CBK_VALID_FALSE && valid))
        return CBK_RE_NOMATCH;
    char reason[256] = "";
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct cbk_header_matcher *hm = &r->headers[i];
        enum cbk_re_result res =
            cbk__scen_header_matches(hm, cbk__http_header(req, hm->name), reason, sizeof reason);
        if (res == CBK_RE_ERROR)
            cbk_buf_addf(why, "the regex of header '%s' could not be matched: %s", hm->name,
                         reason);
        if (res != CBK_RE_MATCH)
            return res;
    }
    for (size_t i = 0; i < r->nbody; i++) {
        const struct cbk_body_matcher *bm = &r->body[i];
        enum cbk_re_result res = cbk__scen_body_matches(bm, doc, reason, sizeof reason);
        if (res == CBK_RE_ERROR)
            cbk_buf_addf(why, "the regex of body member '%s' could not be matched: %s", bm->pointer,
                         reason);
        if (res != CBK_RE_MATCH)
            return res;
    }
    return CBK_RE_MATCH;
}

/*
 * A rule's matcher failed in the regex engine: whether the rule applies is unknown, so the
 * request is answered 500 InternalFailure naming the scenario, the rule and the reason, and
 * journaled as such (never read as "the rule does not apply", which silently skipped it).
 */
static void engine_error(struct cbk_mock *m, struct cbk_scenario *s, struct cbk_scen_rule *r,
                         const char *why, struct cbk_http_answer *ans, struct cbk_arena *a,
                         struct cbk_jentry *e)
{
    char *msg = cbk_xasprintf("cbkit scenario %s rule %s: %s; the request was not answered by "
                              "the scenario (simplify the pattern or shorten the value)",
                              s->name, r->name, why);
    cbk__answer_aws_error(m, ans, a, 500, "InternalFailure", msg);
    e->error_type = "InternalFailure";
    e->note = cbk_arena_strdup(a, msg);
    free(msg);
}

enum cbk_scen_outcome cbk__scenario_answer(struct cbk_mock *m, const struct cbk_operation *op,
                                           const struct cbk_http_req *req, const char *body,
                                           size_t blen, bool valid, struct json_object **doc,
                                           struct cbk_http_answer *ans, struct cbk_arena *a,
                                           struct cbk_jentry *e, const char **label)
{
    if (atomic_load(&m->nscenarios) == 0)
        return CBK_SCEN_NONE;
    if (!*doc) {
        struct json_tokener *tok = json_tokener_new();
        *doc = json_tokener_parse_ex(tok, body, (int)CBK_MIN(blen, (size_t)INT_MAX));
        if (json_tokener_get_error(tok) != json_tokener_success && *doc) {
            json_object_put(*doc);
            *doc = NULL;
        }
        json_tokener_free(tok);
    }
    enum cbk_scen_outcome out = CBK_SCEN_NONE;
    struct cbk_buf why = CBK_BUF_INIT(1 << 12);
    pthread_mutex_lock(&m->scen_mu);
    for (struct cbk_scenario *s = m->scenarios; s && out == CBK_SCEN_NONE; s = s->next) {
        for (size_t i = 0; i < s->nrules; i++) {
            struct cbk_scen_rule *r = &s->rules[i];
            enum cbk_re_result applies = rule_applies(s, r, op, req, valid, *doc, &why);
            if (applies == CBK_RE_ERROR) {
                *label = cbk_arena_printf(a, "scenario %s/%s", s->name, r->name);
                engine_error(m, s, r, cbk_buf_str(&why), ans, a, e);
                out = CBK_SCEN_ANSWERED;
                break;
            }
            if (applies != CBK_RE_MATCH)
                continue;
            r->matched++;
            double draw = r->when.has_probability ? cbk_rng_double(&r->prob_rng) : 0.0;
            if (!cbk__scen_schedule_fires(&r->when, r->matched, draw))
                continue;
            r->fired++;
            *label = cbk_arena_printf(a, "scenario %s/%s", s->name, r->name);
            out = fire(m, s, r, op, *doc, ans, a, e);
            break;
        }
    }
    pthread_mutex_unlock(&m->scen_mu);
    cbk_buf_release(&why);
    return out;
}

/* ---- loading into a mock ------------------------------------------------------------------- */

/*
 * The world the mock is in: the command line's (--world), unless a loaded scenario says
 * otherwise; the last loaded one that says wins. Called with scen_mu held whenever the set of
 * scenarios changes, so removing a strict-world scenario gives the world back.
 */
static void settle_world(struct cbk_mock *m)
{
    enum cbk_world w = m->cfg.world;
    for (struct cbk_scenario *s = m->scenarios; s; s = s->next)
        if (s->has_world)
            w = s->world;
    cbk_cb_set_world(m->cb, w);
}

static void seed_world(struct cbk_mock *m, struct cbk_scenario *s, struct cbk_diags *diags)
{
    for (size_t i = 0; i < s->nprojects; i++)
        cbk_cb_seed_project(m->cb, s->projects[i]);
    struct cbk_rng rng;
    cbk_rng_seed(&rng, cbk_mix64(s->run_seed ^ 0xb1d5));
    int64_t now = cbk__mock_now_ms(m);
    for (size_t i = 0; i < s->nbuilds; i++) {
        const char *err = NULL;
        if (cbk_cb_seed_build(m->cb, &s->builds[i], &rng, now, &err) != 0 && diags)
            cbk_diags_addf(diags, CBK_E_SCENARIO, CBK_SEV_ERROR, s->file, 0, 0, NULL,
                           "builds[%zu]: %s", i, err);
    }
}

enum cbk_code cbk_mock_add_scenario_take(struct cbk_mock *m, struct cbk_scenario *s,
                                         struct cbk_diags *diags)
{
    if (s->spec != m->spec) {
        cbk_diags_addf(diags, CBK_E_SCENARIO, CBK_SEV_ERROR, s->file, 0, 0, NULL,
                       "scenario '%s' was compiled against another spec", s->name);
        cbk_scenario_free(s);
        return CBK_E_SCENARIO;
    }
    size_t before = cbk_diags_error_count(diags);
    pthread_mutex_lock(&m->scen_mu);
    cbk__scen_reset(s, m->seed);
    struct cbk_scenario **pp = &m->scenarios;
    bool replaced = false;
    while (*pp) {
        if (strcmp((*pp)->name, s->name) == 0) {
            struct cbk_scenario *old = *pp;
            s->next = old->next;
            *pp = s;
            cbk_scenario_free(old);
            replaced = true;
            break;
        }
        pp = &(*pp)->next;
    }
    if (!replaced) {
        s->next = NULL;
        *pp = s;
        atomic_fetch_add(&m->nscenarios, 1);
    }
    seed_world(m, s, diags);
    settle_world(m);
    pthread_mutex_unlock(&m->scen_mu);
    return cbk_diags_error_count(diags) > before ? CBK_E_SCENARIO : CBK_OK;
}

enum cbk_code cbk_mock_remove_scenario(struct cbk_mock *m, const char *name)
{
    enum cbk_code rc = CBK_E_NOT_FOUND;
    pthread_mutex_lock(&m->scen_mu);
    for (struct cbk_scenario **pp = &m->scenarios; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->name, name) == 0) {
            struct cbk_scenario *old = *pp;
            *pp = old->next;
            cbk_scenario_free(old);
            atomic_fetch_sub(&m->nscenarios, 1);
            rc = CBK_OK;
            break;
        }
    }
    settle_world(m);
    pthread_mutex_unlock(&m->scen_mu);
    return rc;
}

void cbk_mock_reset_scenarios(struct cbk_mock *m)
{
    pthread_mutex_lock(&m->scen_mu);
    for (struct cbk_scenario *s = m->scenarios; s; s = s->next)
        cbk__scen_reset(s, m->seed);
    pthread_mutex_unlock(&m->scen_mu);
}

void cbk__scenario_reset_state(struct cbk_mock *m)
{
    cbk_mock_reset_scenarios(m);
}

void cbk__scenario_reseed_world(struct cbk_mock *m)
{
    pthread_mutex_lock(&m->scen_mu);
    for (struct cbk_scenario *s = m->scenarios; s; s = s->next)
        seed_world(m, s, NULL);
    settle_world(m);
    pthread_mutex_unlock(&m->scen_mu);
}

void cbk__scenario_detach_all(struct cbk_mock *m)
{
    pthread_mutex_lock(&m->scen_mu);
    struct cbk_scenario *s = m->scenarios;
    while (s) {
        struct cbk_scenario *n = s->next;
        cbk_scenario_free(s);
        s = n;
    }
    m->scenarios = NULL;
    atomic_store(&m->nscenarios, 0);
    settle_world(m);
    pthread_mutex_unlock(&m->scen_mu);
}

/* ---- admin routes -------------------------------------------------------------------------- */

static void json_answer(struct cbk_http_answer *ans, struct cbk_arena *a, int status,
                        const struct cbk_buf *b)
{
    cbk__answer_json(ans, a, status, cbk_buf_str(b), b->len);
}

static void list(struct cbk_mock *m, struct cbk_http_answer *ans, struct cbk_arena *a)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 26);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cbk_jsonw_key(&w, "scenarios");
    cbk_jsonw_arr(&w);
    pthread_mutex_lock(&m->scen_mu);
    for (struct cbk_scenario *s = m->scenarios; s; s = s->next) {
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "name", s->name);
        cbk_jsonw_kstr(&w, "file", s->file);
        cbk_jsonw_kstr(&w, "state", s->state);
        cbk_jsonw_kstr(&w, "initialState", s->initial_state);
        cbk_jsonw_key(&w, "rules");
        cbk_jsonw_arr(&w);
        for (size_t i = 0; i < s->nrules; i++) {
            cbk_jsonw_obj(&w);
            cbk_jsonw_kstr(&w, "name", s->rules[i].name);
            cbk_jsonw_key(&w, "matched");
            cbk_jsonw_uint(&w, s->rules[i].matched);
            cbk_jsonw_key(&w, "fired");
            cbk_jsonw_uint(&w, s->rules[i].fired);
            cbk_jsonw_end_obj(&w);
        }
        cbk_jsonw_end_arr(&w);
        cbk_jsonw_end_obj(&w);
    }
    pthread_mutex_unlock(&m->scen_mu);
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_end_obj(&w);
    json_answer(ans, a, 200, &b);
    cbk_buf_release(&b);
}

static void error_answer(struct cbk_http_answer *ans, struct cbk_arena *a, int status,
                         const char *msg)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "error", msg);
    cbk_jsonw_end_obj(&w);
    json_answer(ans, a, status, &b);
    cbk_buf_release(&b);
}

static void load(struct cbk_mock *m, const struct cbk_http_req *req, struct cbk_http_answer *ans,
                 struct cbk_arena *a)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 100);
    struct cbk_scenario *s = NULL;
    const char *name = cbk__http_query(req, "file", a);
    enum cbk_code rc = cbk_scenario_load_buffer(m->spec, req->body, req->body_len,
                                                name ? name : "<admin>", &s, &d);
    if (rc == CBK_OK)
        rc = cbk_mock_add_scenario_take(m, s, &d);
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 24);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    if (rc == CBK_OK) {
        cbk_jsonw_kbool(&w, "loaded", true);
    } else {
        cbk_jsonw_kstr(&w, "error",
                       rc == CBK_E_LIMIT && d.nr ? d.v[0].message : "the scenario is not valid");
        cbk_jsonw_key(&w, "errors");
        cbk_jsonw_arr(&w);
        for (size_t i = 0; i < d.nr; i++) {
            if (d.v[i].severity != CBK_SEV_ERROR)
                continue;
            cbk_jsonw_obj(&w);
            cbk_jsonw_kint(&w, "line", d.v[i].line);
            cbk_jsonw_kint(&w, "column", d.v[i].column);
            cbk_jsonw_kstr(&w, "path", d.v[i].path);
            cbk_jsonw_kstr(&w, "message", d.v[i].message);
            cbk_jsonw_end_obj(&w);
        }
        cbk_jsonw_end_arr(&w);
    }
    cbk_jsonw_end_obj(&w);
    /* a scenario over its own size limit (when --max-body allows more) is too large too */
    json_answer(ans, a, rc == CBK_OK ? 200 : rc == CBK_E_LIMIT ? 413 : 400, &b);
    cbk_buf_release(&b);
    cbk_diags_release(&d);
}

static void set_state(struct cbk_mock *m, const char *name, const struct cbk_http_req *req,
                      struct cbk_http_answer *ans, struct cbk_arena *a)
{
    /* body_len bytes, not a C string (as in clock_post(), mock/admin.c) */
    struct json_object *doc = req->body_len ? cbk_jsonq_parse(req->body, req->body_len) : NULL;
    struct json_object *v = NULL;
    const char *state = NULL;
    if (doc && json_object_object_get_ex(doc, "state", &v) &&
        json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
        state = json_object_get_string(v);
    if (!state) {
        if (doc)
            json_object_put(doc);
        error_answer(ans, a, 400, "expected {\"state\": \"NAME\"}");
        return;
    }
    bool found = false;
    pthread_mutex_lock(&m->scen_mu);
    for (struct cbk_scenario *s = m->scenarios; s; s = s->next)
        if (strcmp(s->name, name) == 0) {
            free(s->state);
            s->state = cbk_xstrdup(state);
            found = true;
        }
    pthread_mutex_unlock(&m->scen_mu);
    json_object_put(doc);
    if (!found) {
        error_answer(ans, a, 404, "no scenario of that name is loaded");
        return;
    }
    list(m, ans, a);
}

bool cbk__scenario_admin(struct cbk_mock *m, const char *route, const struct cbk_http_req *req,
                         struct cbk_http_answer *ans, struct cbk_arena *a)
{
    if (strncmp(route, "scenarios", 9) != 0 || (route[9] && route[9] != '/'))
        return false;
    const char *rest = route[9] ? route + 10 : "";
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST"),
         del = !strcmp(req->method, "DELETE");
    if (!*rest && get) {
        list(m, ans, a);
    } else if (!*rest && post) {
        load(m, req, ans, a);
    } else if (!strcmp(rest, "reset") && post) {
        cbk_mock_reset_scenarios(m);
        list(m, ans, a);
    } else if (*rest && del && !strchr(rest, '/')) {
        if (cbk_mock_remove_scenario(m, rest) != CBK_OK)
            error_answer(ans, a, 404, "no scenario of that name is loaded");
        else
            list(m, ans, a);
    } else if (*rest && post && strlen(rest) > 6 && !strcmp(rest + strlen(rest) - 6, "/state")) {
        char *name = cbk_arena_strndup(a, rest, strlen(rest) - 6);
        set_state(m, name, req, ans, a);
    } else {
        error_answer(ans, a, 404,
                     "scenario routes: GET/POST /__cbkit/scenarios, POST /__cbkit/scenarios/reset, "
                     "DELETE /__cbkit/scenarios/NAME, POST /__cbkit/scenarios/NAME/state");
    }
    return true;
}
