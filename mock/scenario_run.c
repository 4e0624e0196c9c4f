/*
 * scenario_run.c - scenarios at run time: the mock asks them for an answer (rules tried in
 * load order, counts and states updated under the mock's scenario lock), they shape it
 * (AWS errors, canned bodies, templates, faults, latency), and the admin API manages them.
 */
#include "core/setup.h"
#include "scenarios/scenario_model.h"
#include "cbkit/validate.h"
#include "core/alloc.h"
#include "core/jsonq.h"
#include "core/jsonw.h"
#include "core/yaml.h"
#include "mock/mock_internal.h"
#include "mock/scenario_hook.h"
#include "wire/wire.h"

#include <json-c/json.h>

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

static const char *decorated(const struct cbk_spec *spec, const struct cbk_respond *rs,
                             struct cbk_arena *a)
{
    if (!rs->decorate)
        return rs->error;
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    const char *svc = md->endpoint_prefix ? md->endpoint_prefix : "service";
    const char *ns = rs->decorate & 1 ? cbk_arena_printf(a, "com.amazonaws.%s#", svc) : "";
    const char *uri =
        rs->decorate & 2 ? ":http://internal.amazon.com/coral/com.amazon.coral.validate/" : "";
    return cbk_arena_printf(a, "%s%s%s", ns, rs->error, uri);
}

static void set_body(const struct cbk_spec *spec, struct cbk_http_answer *ans, struct cbk_arena *a,
                     int status, const char *body, size_t len)
{
    ans->status = status;
    ans->body = cbk_arena_strndup(a, body, len);
    ans->body_len = len;
    cbk__answer_header(ans, "Content-Type", cbk_spec_metadata(spec)->content_type);
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
        const char *type = decorated(op->spec, rs, a);
        const struct cbk_wire_common_error *ce = cbk_wire_common_error(rs->error);
        const char *msg = rs->message ? rs->message
                          : ce        ? ce->message
                               : cbk_arena_printf(a, "%s (injected by cbkit scenario %s, rule %s)",
                                                  rs->error, s->name, r->name);
        cbk__answer_aws_error(op->spec, ans, a, rs->status, type, msg);
        e->error_type = type;
        cbk_buf_addf(&fault, "%serror %s", fault.len ? ", " : "", rs->error);
        break;
    }
    case CBK_R_BODY:
        set_body(op->spec, ans, a, rs->status, rs->body, rs->body_len);
        break;
    case CBK_R_TEMPLATE: {
        struct cbk_buf b = CBK_BUF_INIT((size_t)16 << 20);
        struct cbk_rng rng;
        cbk_rng_seed(&rng, cbk_mix64(s->run_seed ^ cbk_mix64(r->fired) ^ (uintptr_t)r->name[0]));
        struct json_object *empty = doc ? NULL : json_object_new_object();
        /* {{count}}: this rule's call number, as its schedule counts (docs/scenarios.md) */
        cbk__scen_render_template(rs->tmpl, doc ? doc : empty, &rng, cbk__mock_now_ms(m),
                                  r->matched, atomic_load(&m->seq), m->region, e->account, &b);
        if (empty)
            json_object_put(empty);
        bool ok = true;
        if (rs->status >= 200 && rs->status < 300) {
            struct cbk_report *rep = cbk_report_new();
            struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
            vo.direction = CBK_RESPONSE;
            vo.strict = true;
            if (cbk_validate_buffer(op->spec, op->output, b.ptr, b.len, &vo, rep) != CBK_OK) {
                const struct cbk_violation *v = cbk_report_at(rep, 0);
                char *msg = cbk_xasprintf(
                    "scenario %s rule %s rendered an answer that breaks the contract: %s: %s",
                    s->name, r->name, v ? v->pointer : "", v ? v->message : "");
                cbk__answer_aws_error(op->spec, ans, a, 500, "InternalFailure", msg);
                free(msg);
                e->error_type = "InternalFailure";
                ok = false;
            }
            cbk_report_free(rep);
        }
        if (ok)
            set_body(op->spec, ans, a, rs->status, b.ptr, b.len);
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
        set_body(op->spec, ans, a, 200, bad, sizeof(bad) - 1);
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
    if (r->service && op->spec != r->service)
        return CBK_RE_NOMATCH;
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
static void engine_error(const struct cbk_operation *op, struct cbk_scenario *s,
                         struct cbk_scen_rule *r, const char *why, struct cbk_http_answer *ans,
                         struct cbk_arena *a, struct cbk_jentry *e)
{
    char *msg = cbk_xasprintf("cbkit scenario %s rule %s: %s; the request was not answered by "
                              "the scenario (simplify the pattern or shorten the value)",
                              s->name, r->name, why);
    cbk__answer_aws_error(op->spec, ans, a, 500, "InternalFailure", msg);
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
                engine_error(op, s, r, cbk_buf_str(&why), ans, a, e);
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
    atomic_store(&m->world, (int)w);
}

/* The instance of behaviour 'def' in this mock, or NULL when it answers no served spec. */
static struct cbk_svc *instance_of(struct cbk_mock *m, const struct cbk_service *def)
{
    for (size_t i = 0; i < m->nbehs; i++)
        if (m->behs[i].def == def)
            return m->behs[i].inst;
    return NULL;
}

/* Hand the parts of 's' that behaviours own (CodeBuild's projects and builds) to them. */
static void attach(struct cbk_mock *m, struct cbk_scenario *s, struct cbk_diags *diags)
{
    s->attach_id = ++m->scen_ids;
    int64_t now = cbk__mock_now_ms(m);
    for (size_t i = 0; i < s->nexts; i++) {
        struct cbk_svc *inst = instance_of(m, s->ext[i].svc);
        if (!inst)
            continue;
        struct cbk_diags d = CBK_DIAGS_INIT;
        s->ext[i].svc->scenario_attach(inst, s->attach_id, s->ext[i].values, now, s->run_seed, &d);
        for (size_t k = 0; diags && k < d.nr; k++) /* located at the scenario's file */
            cbk_diags_addf(diags, d.v[k].code, d.v[k].severity, s->file, d.v[k].line, d.v[k].column,
                           d.v[k].path, "%s", d.v[k].message);
        cbk_diags_release(&d);
    }
}

/* Take the parts of 's' back from the behaviours before it is freed. */
static void detach(struct cbk_mock *m, struct cbk_scenario *s)
{
    for (size_t i = 0; i < s->nexts; i++) {
        struct cbk_svc *inst = instance_of(m, s->ext[i].svc);
        if (inst)
            s->ext[i].svc->scenario_detach(inst, s->attach_id);
    }
}

static void unload(struct cbk_mock *m, struct cbk_scenario *s)
{
    detach(m, s);
    cbk_scenario_free(s);
}

void cbk_mock_scenario_env(const struct cbk_mock *m, struct cbk_scenario_env *out)
{
    out->specs = m->specs;
    out->nspecs = m->nserved;
    out->services = m->services;
    out->nservices = m->nservices;
}

enum cbk_code cbk_mock_add_scenario_take(struct cbk_mock *m, struct cbk_scenario *s,
                                         struct cbk_diags *diags)
{
    for (size_t i = 0; i < s->nspecs; i++) {
        bool served = false;
        for (size_t k = 0; k < m->nserved; k++)
            served = served || m->served[k].spec == s->specs[i];
        if (!served) {
            cbk_diags_addf(diags, CBK_E_SCENARIO, CBK_SEV_ERROR, s->file, 0, 0, NULL,
                           "scenario '%s' was compiled against a spec the mock does not serve",
                           s->name);
            cbk_scenario_free(s);
            return CBK_E_SCENARIO;
        }
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
            unload(m, old);
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
    attach(m, s, diags);
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
            unload(m, old);
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

void cbk__scenario_detach_all(struct cbk_mock *m)
{
    pthread_mutex_lock(&m->scen_mu);
    struct cbk_scenario *s = m->scenarios;
    while (s) {
        struct cbk_scenario *n = s->next;
        unload(m, s);
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
    struct cbk_scenario_env env;
    cbk_mock_scenario_env(m, &env);
    enum cbk_code rc =
        cbk_scenario_load_buffer(&env, req->body, req->body_len, name ? name : "<admin>", &s, &d);
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
