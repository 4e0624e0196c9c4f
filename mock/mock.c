/*
 * mock.c - the mock's request logic as a pure function (cbk_mock_handle): route by
 * X-Amz-Target, validate the body against the operation's input, pick the answer (scenario
 * rules, then the CodeBuild model or a response generated from the spec), and journal it.
 * No sockets here: mock/http.c serves this over libmicrohttpd.
 */
#include "core/setup.h"
#include <ctype.h>
#include "mock/mock_internal.h"
#include "core/alloc.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "mock/gen.h"
#include "mock/scenario_hook.h"
#include "server/httpd.h"
#include "cbkit/cassette.h"
#include "recorder/forward.h"
#include "recorder/upstream.h"
#include "wire/sigv4.h"
#include "core/crypto.h"
#include "wire/wire.h"

#include <json-c/json.h>
#include <sys/time.h>

#define DEFAULT_MAX_BODY     ((size_t)1 << 20)
#define DEFAULT_JOURNAL_CAP  10000
#define DEFAULT_JOURNAL_BODY 4096

/* ---- clock ---------------------------------------------------------------------------------- */

int64_t cbk__mock_now_ms(struct cbk_mock *m)
{
    struct cbk_mock_clock *c = &m->clock;
    if (c->is_virtual)
        return atomic_load(&c->virtual_ms);
    return cbk_wall_ms() + atomic_load(&c->offset_ms);
}

bool cbk__mock_clock_advance(struct cbk_mock *m, int64_t ms, int64_t max_ms)
{
    struct cbk_mock_clock *c = &m->clock;
    atomic_int_fast64_t *v = c->is_virtual ? &c->virtual_ms : &c->offset_ms;
    int_fast64_t old = atomic_load(v);
    for (;;) {
        int64_t now = c->is_virtual ? old : cbk_wall_ms() + old;
        if (ms < 0 || now < 0 || now > max_ms || ms > max_ms - now)
            return false;
        /* on failure 'old' is reloaded: another move came first, check again */
        if (atomic_compare_exchange_weak(v, &old, old + ms))
            return true;
    }
}

void cbk__mock_clock_set(struct cbk_mock *m, int64_t epoch_ms)
{
    struct cbk_mock_clock *c = &m->clock;
    if (c->is_virtual)
        atomic_store(&c->virtual_ms, epoch_ms);
    else
        atomic_store(&c->offset_ms, epoch_ms - cbk_wall_ms());
}

bool cbk__mock_clock_is_virtual(struct cbk_mock *m)
{
    return m->clock.is_virtual;
}

/* ---- life cycle --------------------------------------------------------------------------- */

/* What each worker thread keeps between requests: a validation report and a JSON parser. */
struct tls {
    struct cbk_report *report;
    struct json_tokener *tok;
};

/* The largest answer body the mock renders (a BatchGetBuilds of 100 builds is about 270 KB). */
#define MAX_ANSWER ((size_t)16 << 20)

static void free_tls(void *p)
{
    struct tls *t = p;
    if (!t)
        return;
    cbk_report_free(t->report);
    json_tokener_free(t->tok);
    free(t);
}

static char *dup_or(const char *s, const char *def)
{
    return cbk_xstrdup(s && *s ? s : def);
}

/* "AKID:SECRET[:TOKEN]" strings into the mock's key list. */
static int parse_keys(struct cbk_mock *m, const struct cbk_mock_config *cfg,
                      struct cbk_diags *diags)
{
    if (!cfg->nsigv4_keys) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "signature checking needs at least one key (ACCESS_KEY:SECRET)");
        return -1;
    }
    size_t total = 0;
    for (size_t i = 0; i < cfg->nsigv4_keys; i++)
        total += strlen(cfg->sigv4_keys[i]) + 1;
    m->key_text = cbk_xmalloc(total);
    m->keys = cbk_xcalloc(cfg->nsigv4_keys, sizeof(*m->keys));
    char *p = m->key_text;
    for (size_t i = 0; i < cfg->nsigv4_keys; i++) {
        size_t n = strlen(cfg->sigv4_keys[i]);
        memcpy(p, cfg->sigv4_keys[i], n + 1);
        char *c1 = strchr(p, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c1 || c1 == p || !c1[1] || (c2 && !c2[1])) {
            cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                           "signature key #%zu is not ACCESS_KEY:SECRET or "
                           "ACCESS_KEY:SECRET:SESSION_TOKEN",
                           i + 1);
            return -1;
        }
        *c1 = '\0';
        if (c2)
            *c2 = '\0';
        m->keys[m->nkeys].access_key = p;
        m->keys[m->nkeys].secret_key = c1 + 1;
        m->keys[m->nkeys].session_token = c2 ? c2 + 1 : NULL;
        m->nkeys++;
        p += n + 1;
    }
    return 0;
}

/* The name a served spec goes by: its serviceId, else its target prefix. */
static const char *served_name(const struct cbk_spec *spec)
{
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    return md->service_id && *md->service_id ? md->service_id : md->target_prefix;
}

/* Does behaviour 'svc' claim target prefix 'prefix'? */
static bool claims(const struct cbk_service *svc, const char *prefix)
{
    for (size_t i = 0; svc->targets && svc->targets[i]; i++)
        if (strcmp(svc->targets[i], prefix) == 0)
            return true;
    return false;
}

/*
 * Serve cfg->spec and cfg->more_specs: one entry per spec (two with one target prefix is a
 * usage error), its redactor, and the behaviour instance that answers it (one instance per
 * behaviour, shared by every spec it claims). Returns 0, or -1 with the reason in 'diags'.
 */
static int serve_specs(struct cbk_mock *m, const struct cbk_mock_config *cfg,
                       struct cbk_diags *diags)
{
    size_t n = 1 + cfg->nmore_specs;
    m->served = cbk_xcalloc(n, sizeof(*m->served));
    m->specs = cbk_xcalloc(n, sizeof(*m->specs));
    m->services = cbk_xcalloc(cfg->nservices ? cfg->nservices : 1, sizeof(*m->services));
    for (size_t i = 0; i < cfg->nservices; i++)
        m->services[m->nservices++] = cfg->services[i];
    m->behs = cbk_xcalloc(cfg->nservices ? cfg->nservices : 1, sizeof(*m->behs));
    for (size_t i = 0; i < n; i++) {
        const struct cbk_spec *spec = i ? cfg->more_specs[i - 1] : cfg->spec;
        const char *prefix = cbk_spec_metadata(spec)->target_prefix;
        for (size_t k = 0; k < m->nserved; k++) {
            if (strcmp(m->served[k].prefix, prefix) == 0) {
                cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, cbk_spec_file(spec), 0, 0, NULL,
                               "two specs with the target prefix '%s' (%s and %s): the mock "
                               "routes requests by it",
                               prefix, cbk_spec_file(m->served[k].spec), cbk_spec_file(spec));
                return -1;
            }
        }
        struct cbk_served *sv = &m->served[m->nserved++];
        m->specs[i] = spec;
        sv->spec = spec;
        sv->prefix = prefix;
        sv->name = served_name(spec);
        /* the spec's sensitive members only (no rules: it cannot fail) */
        struct cbk_redact_rules none;
        memset(&none, 0, sizeof none);
        if (cbk_redactor_new(spec, &none, &sv->redactor, diags) != CBK_OK)
            return -1;
    }
    struct cbk_svc_env env;
    memset(&env, 0, sizeof env);
    env.region = m->region;
    env.account = m->account;
    env.world = (int)cfg->world;
    env.state_cap = cfg->state_cap ? cfg->state_cap : 10000;
    env.seed = m->seed;
    env.virtual_clock = cfg->virtual_clock;
    env.build_duration_ms = cfg->build_duration_ms;
    env.specs = m->specs;
    env.nspecs = m->nserved;
    for (size_t i = 0; i < m->nservices; i++) {
        const struct cbk_service *def = m->services[i];
        struct cbk_behaviour *beh = NULL;
        for (size_t k = 0; k < m->nserved; k++) {
            if (m->served[k].beh || !claims(def, m->served[k].prefix))
                continue;
            if (!beh) {
                struct cbk_svc *inst = def->create(&env, diags);
                if (!inst)
                    return -1;
                beh = &m->behs[m->nbehs++];
                beh->def = def;
                beh->inst = inst;
            }
            m->served[k].beh = beh;
        }
    }
    return 0;
}

/* The journal's redactor of operation 'op' (by the spec it belongs to). */
static const struct cbk_redactor *journal_redactor(const void *ctx, const struct cbk_operation *op)
{
    const struct cbk_served *sv = cbk__mock_served_of(ctx, op);
    return sv ? sv->redactor : NULL;
}

const struct cbk_served *cbk__mock_served_of(const struct cbk_mock *m,
                                             const struct cbk_operation *op)
{
    for (size_t i = 0; i < m->nserved; i++)
        if (m->served[i].spec == op->spec)
            return &m->served[i];
    return NULL;
}

const char *cbk__mock_account(const struct cbk_mock *m, const struct cbk_http_req *req,
                              struct cbk_arena *a)
{
    /* Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/codebuild/... */
    const char *auth = cbk__http_header(req, "Authorization");
    const char *cred = auth ? strstr(auth, "Credential=") : NULL;
    if (!cred)
        return m->account;
    cred += strlen("Credential=");
    size_t n = 0;
    while (cred[n] >= '0' && cred[n] <= '9')
        n++;
    if (n != 12 || cred[n] != '/')
        return m->account;
    return cbk_arena_strndup(a, cred, 12);
}

enum cbk_code cbk_mock_new(const struct cbk_mock_config *cfg, struct cbk_mock **out,
                           struct cbk_diags *diags)
{
    *out = NULL;
    if (!cfg || !cfg->spec) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "the mock needs a spec");
        return CBK_E_USAGE;
    }
    if (cfg->admin_remote && (!cfg->admin_token || !*cfg->admin_token)) {
        /* anyone who can reach the port could reset, read and rewrite the mock */
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "an admin API open to remote clients needs a token");
        return CBK_E_USAGE;
    }
    char why[600];
    if ((cfg->sigv4 || cfg->admin_token) && !cbk_crypto_load(why, sizeof why)) {
        /* signatures and the token are checked with it: refuse to start rather than fail open */
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL, "%s%s: %s",
                       cfg->sigv4 ? "--sigv4" : "the admin token",
                       cfg->sigv4 && cfg->admin_token ? " and the admin token" : "", why);
        return CBK_E_USAGE;
    }
    struct cbk_mock *m = cbk_xcalloc(1, sizeof(*m));
    m->cfg = *cfg;
    m->host = dup_or(cfg->host, "127.0.0.1");
    m->region = dup_or(cfg->region, "us-east-1");
    m->account = dup_or(cfg->account, "123456789012");
    m->admin_token = cfg->admin_token ? cbk_xstrdup(cfg->admin_token) : NULL;
    m->cfg.host = m->host;
    m->cfg.region = m->region;
    m->cfg.account = m->account;
    m->cfg.admin_token = m->admin_token;
    if (!m->cfg.max_body)
        m->cfg.max_body = DEFAULT_MAX_BODY;
    if (!m->cfg.journal_cap)
        m->cfg.journal_cap = DEFAULT_JOURNAL_CAP;
    if (!m->cfg.journal_body_max)
        m->cfg.journal_body_max = DEFAULT_JOURNAL_BODY;
    if (!m->cfg.client_timeout)
        m->cfg.client_timeout = 30;
    if (!m->cfg.connection_limit)
        m->cfg.connection_limit = 4096;
    m->spec = cfg->spec;
    atomic_init(&m->world, (int)cfg->world);
    cbk_journal_init(&m->journal, m->cfg.journal_cap, m->cfg.journal_body_max);
    m->clock.is_virtual = cfg->virtual_clock;
    atomic_init(&m->clock.virtual_ms, cfg->clock_start_ms);
    atomic_init(&m->clock.offset_ms, 0);
    m->seed = cfg->has_seed ? cfg->seed : cbk_random_seed();
    atomic_init(&m->seq, 0);
    pthread_key_create(&m->tls_report, free_tls);
    pthread_mutex_init(&m->scen_mu, NULL);
    m->started_ms = cbk__mock_now_ms(m);
    if (serve_specs(m, cfg, diags) != 0) {
        cbk_mock_free(m);
        return CBK_E_USAGE;
    }
    m->journal.redactor_for = journal_redactor;
    m->journal.redactor_ctx = m;
    if (cfg->sigv4 && parse_keys(m, cfg, diags) != 0) {
        cbk_mock_free(m);
        return CBK_E_USAGE;
    }
    m->cfg.sigv4_keys = NULL;
    m->cfg.more_specs = NULL;
    m->cfg.services = NULL;
    *out = m;
    return CBK_OK;
}

void cbk_mock_free(struct cbk_mock *m)
{
    if (!m)
        return;
    cbk_mock_stop(m);
    cbk__scenario_detach_all(m);
    cbk_journal_release(&m->journal);
    for (size_t i = 0; i < m->nbehs; i++)
        m->behs[i].def->destroy(m->behs[i].inst);
    free(m->behs);
    for (size_t i = 0; i < m->nserved; i++)
        cbk_redactor_free(m->served[i].redactor);
    free(m->served);
    free(m->specs);
    free(m->services);
    /* this thread's state (other threads' state goes with their threads) */
    free_tls(pthread_getspecific(m->tls_report));
    pthread_setspecific(m->tls_report, NULL);
    pthread_key_delete(m->tls_report);
    pthread_mutex_destroy(&m->scen_mu);
    if (m->fwd) {
        cbk_forwarder_release(m->fwd);
        free(m->fwd);
    }
    cbk_cassette_free(m->cassette);
    free(m->keys);
    if (m->key_text)
        memset(m->key_text, 0, strlen(m->key_text)); /* secrets do not linger */
    free(m->key_text);
    free(m->host);
    free(m->region);
    free(m->account);
    free(m->admin_token);
    free(m);
}

/* ---- small helpers ------------------------------------------------------------------------ */

const char *cbk__http_header(const struct cbk_http_req *req, const char *name)
{
    unsigned char first = (unsigned char)tolower((unsigned char)name[0]);
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *h = req->headers[i].name;
        /* the first letter rules out most headers before the full comparison */
        if ((unsigned char)tolower((unsigned char)h[0]) == first && strcasecmp(h, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

const char *cbk__http_query(const struct cbk_http_req *req, const char *name, struct cbk_arena *a)
{
    if (!req->query)
        return NULL;
    size_t nl = strlen(name);
    const char *p = req->query;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
            return cbk_arena_strndup(a, p + nl + 1, len - nl - 1);
        if (len == nl && strncmp(p, name, nl) == 0)
            return "";
        if (!amp)
            break;
        p = amp + 1;
    }
    return NULL;
}

void cbk__answer_header(struct cbk_http_answer *ans, const char *name, const char *value)
{
    if (ans->nheaders < CBK_ANSWER_MAX_HEADERS) {
        ans->headers[ans->nheaders].name = name;
        ans->headers[ans->nheaders].value = value;
        ans->nheaders++;
    }
}

void cbk__answer_json(struct cbk_http_answer *ans, struct cbk_arena *a, int status,
                      const char *body, size_t len)
{
    ans->status = status;
    ans->body = cbk_arena_strndup(a, body, len);
    ans->body_len = len;
    cbk__answer_header(ans, "Content-Type", "application/json");
}

void cbk__answer_aws_error(const struct cbk_spec *spec, struct cbk_http_answer *ans,
                           struct cbk_arena *a, int status, const char *type, const char *message)
{
    cbk_wire_error_answer(ans, a, cbk_spec_metadata(spec)->content_type, status, type, message);
}

struct json_object *cbk_svc_call_doc(struct cbk_svc_call *call)
{
    if (!call->doc) {
        struct json_tokener *tok = json_tokener_new();
        call->doc =
            json_tokener_parse_ex(tok, call->body, (int)CBK_MIN(call->body_len, (size_t)INT_MAX));
        if (json_tokener_get_error(tok) != json_tokener_success && call->doc) {
            json_object_put(call->doc);
            call->doc = NULL;
        }
        json_tokener_free(tok);
    }
    return call->doc;
}

static struct tls *thread_state(struct cbk_mock *m)
{
    struct tls *t = pthread_getspecific(m->tls_report);
    if (!t) {
        t = cbk_xcalloc(1, sizeof(*t));
        t->report = cbk_report_new();
        t->tok = json_tokener_new();
        pthread_setspecific(m->tls_report, t);
    }
    return t;
}

static struct cbk_report *thread_report(struct cbk_mock *m)
{
    return thread_state(m)->report;
}

/* Parse a body already known to be valid JSON, with this thread's parser. */
static struct json_object *parse_valid(struct cbk_mock *m, const char *body, size_t len)
{
    struct json_tokener *tok = thread_state(m)->tok;
    json_tokener_reset(tok);
    struct json_object *doc = json_tokener_parse_ex(tok, body, (int)CBK_MIN(len, (size_t)INT_MAX));
    if (json_tokener_get_error(tok) != json_tokener_success) {
        if (doc)
            json_object_put(doc);
        doc = NULL;
    }
    return doc;
}

/* ---- the request pipeline -------------------------------------------------------------------- */

struct pipeline {
    struct cbk_mock *m;
    const struct cbk_http_req *req;
    struct cbk_http_answer *ans;
    struct cbk_arena *a;
    struct cbk_jentry e;
    struct cbk_rng rng;
    char request_id[37];
    const struct cbk_served *sv; /* the spec the request is for (the first until routed) */
    const char *scen_label;      /* a scenario rule that fired (it may keep the mock's answer) */
    const char *body;            /* the request body ("{}" when empty) */
    size_t body_len;
};

static void reject(struct pipeline *p, int status, const char *type, const char *message)
{
    p->e.verdict = CBK_VERDICT_REJECTED;
    p->e.error_type = type;
    p->e.answered_by = "protocol";
    cbk__answer_aws_error(p->sv->spec, p->ans, p->a, status, type, message);
}

/* Copy the report's findings about a request of 'op' into the journal entry (arena strings),
 * with what they quote of members the spec marks sensitive redacted. */
static void keep_violations(struct pipeline *p, const struct cbk_operation *op,
                            const struct cbk_report *r)
{
    const struct cbk_redactor *red = p->sv->redactor;
    bool sensitive = cbk_redact_has_sensitive(red, op, false);
    size_t n = cbk_report_error_count(r);
    p->e.viol_total = n;
    size_t kept = CBK_MIN(cbk_report_count(r), (size_t)50);
    struct cbk_jviol *v = cbk_arena_alloc(p->a, (kept ? kept : 1) * sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; i < cbk_report_count(r) && k < kept; i++) {
        const struct cbk_violation *x = cbk_report_at(r, i);
        if (x->severity != CBK_SEV_ERROR)
            continue;
        const char *path = x->pointer, *message = x->message;
        /* AWS's wording, as the client read it (not for malformed JSON) */
        struct cbk_buf aws = CBK_BUF_INIT(1 << 16);
        if (x->aws_constraint && x->aws_path)
            cbk_wire_violation_phrase(&aws, x, NULL, NULL);
        const char *aws_message = cbk_buf_str(&aws);
        if (sensitive) {
            const char *ignored;
            cbk_redact_finding(red, op, false, NULL, x->pointer, x->actual, x->message, p->a, &path,
                               &message);
            cbk_redact_finding(red, op, false, NULL, x->pointer, x->aws_value, aws_message, p->a,
                               &ignored, &aws_message);
        }
        v[k].path = cbk_arena_strdup(p->a, path);
        v[k].rule = cbk_rule_name(x->rule);
        v[k].message = cbk_arena_strdup(p->a, message);
        v[k].aws = cbk_arena_strdup(p->a, aws_message);
        cbk_buf_release(&aws);
        k++;
    }
    p->e.viol = v;
    p->e.nviol = k;
}

static void finish(struct pipeline *p)
{
    if (p->scen_label && p->e.answered_by != p->scen_label)
        p->e.answered_by = cbk_arena_printf(p->a, "%s (%s)", p->scen_label,
                                            p->e.answered_by ? p->e.answered_by : "");
    struct cbk_http_answer *ans = p->ans;
    const char *upstream_id = NULL; /* a forwarded answer (--record-missing) keeps its own */
    for (size_t i = 0; i < ans->nheaders && !upstream_id; i++)
        if ((ans->headers[i].name[0] | 0x20) == 'x' &&
            strcasecmp(ans->headers[i].name, "x-amzn-RequestId") == 0)
            upstream_id = ans->headers[i].value;
    if (!upstream_id)
        cbk__answer_header(ans, "x-amzn-RequestId", cbk_arena_strdup(p->a, p->request_id));
    p->e.status = ans->status;
    if (!p->e.error_type)
        p->e.error_type = "";
    if (!p->e.answered_by)
        p->e.answered_by = "";
    if (!p->e.fault)
        p->e.fault = "";
    if (!p->e.op)
        p->e.op = "";
    if (!p->e.note)
        p->e.note = "";
    p->e.request_id = upstream_id ? upstream_id : p->request_id;
    ans->journal_id = cbk_journal_add(&p->m->journal, &p->e);
    if (*p->e.fault)
        cbk_journal_count_fault(&p->m->journal);
}

/* struct cbk_svc_logs' read(): ask every behaviour that writes log streams. */
static bool logs_read(const struct cbk_svc_logs *l, const char *account, const char *group,
                      const char *stream, int64_t now_ms, const struct cbk_svc_log_sink *sink)
{
    const struct cbk_mock *m = l->owner;
    bool found = false;
    for (size_t i = 0; i < m->nbehs; i++)
        if (m->behs[i].def->logs_read &&
            m->behs[i].def->logs_read(m->behs[i].inst, account, group, stream, now_ms, sink))
            found = true;
    return found;
}

/*
 * Answer a valid request: the behaviour of its service when it has one and answers the
 * operation, else a response generated from the spec. *doc is the parsed body or NULL (parsed
 * here when needed); the caller puts it.
 */
static void answer_valid(struct pipeline *p, const struct cbk_operation *op,
                         struct json_object **doc)
{
    struct cbk_mock *m = p->m;
    const struct cbk_served *sv = p->sv;
    /* rendered into memory the request's arena kept from an earlier answer, and sent from
     * there: no copy, and no fresh pages for every big answer */
    struct cbk_buf out = CBK_BUF_INIT(MAX_ANSWER), *outp = &out;
    cbk_arena_lend_buf(p->a, outp);
    int64_t now = p->e.time_ms; /* the mock clock when the request arrived */
    bool answered = false;
    if (sv->beh) {
        struct cbk_svc_logs logs = {logs_read, m};
        struct cbk_svc_call call = {
            .spec = sv->spec,
            .op = op,
            .account = p->e.account,
            .world = atomic_load_explicit(&m->world, memory_order_relaxed),
            .now_ms = now,
            .rng = &p->rng,
            .body = p->body,
            .body_len = p->body_len,
            .doc = *doc,
            .out = outp,
            .arena = p->a,
            .logs = &logs,
        };
        struct cbk_svc_result res;
        memset(&res, 0, sizeof res);
        answered = sv->beh->def->call(sv->beh->inst, sv->prefix, &call, &res);
        *doc = call.doc; /* parsed by the behaviour, perhaps */
        if (answered) {
            p->e.answered_by = res.answered_by ? res.answered_by : sv->beh->def->name;
            if (res.error_type) {
                p->e.error_type = res.error_type;
                cbk__answer_aws_error(sv->spec, p->ans, p->a, res.status, res.error_type,
                                      res.message);
                cbk_arena_take_buf(p->a, outp, NULL); /* kept for the next answer */
                return;
            }
        }
    }
    if (!answered) {
        if (!*doc)
            *doc = parse_valid(m, p->body, p->body_len);
        struct cbk_gen g = {
            .rng = &p->rng,
            .now_ms = now,
            .region = m->region,
            .account = p->e.account,
            .service = cbk_gen_arn_service(cbk_spec_metadata(sv->spec)),
            .seed = m->seed,
            .req = *doc,
        };
        struct cbk_jsonw w;
        cbk_jsonw_init(&w, outp);
        struct cbk_gen_error err;
        p->e.answered_by = "generated";
        if (!cbk_gen_answer(&g, op, &w, &err)) {
            p->e.error_type = err.type;
            cbk__answer_aws_error(sv->spec, p->ans, p->a, 400, err.type, err.message);
            cbk_arena_take_buf(p->a, outp, NULL);
            return;
        }
    }
    p->ans->status = 200;
    p->ans->body = cbk_arena_take_buf(p->a, outp, &p->ans->body_len);
    cbk__answer_header(p->ans, "Content-Type", cbk_spec_metadata(sv->spec)->content_type);
}

static bool skip_replayed_header(const char *name)
{
    static const char *const skip[] = {"content-length", "x-amzn-requestid",  "date",
                                       "connection",     "transfer-encoding", "keep-alive"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(skip); i++)
        if (strcasecmp(name, skip[i]) == 0)
            return true;
    return false;
}

/*
 * Answer from the cassette; on a miss, record from the upstream (--record-missing) or send
 * UnmatchedRequestException with the near-miss report. Returns false when the mock should
 * answer itself (never, once a cassette is loaded).
 */
static bool answer_from_cassette(struct pipeline *p, const struct cbk_operation *op,
                                 const char *body, size_t blen)
{
    struct cbk_mock *m = p->m;
    char *near = NULL;
    const struct cbk_exchange *x = cbk_cassette_lookup(m->cassette, op, body, blen, &near);
    if (x) {
        struct cbk_http_answer *ans = p->ans;
        ans->status = x->status;
        ans->body = x->resp_body;
        ans->body_len = x->resp_body_len;
        for (size_t i = 0; i < x->nresp_headers; i++)
            if (!skip_replayed_header(x->resp_headers[i].name))
                cbk__answer_header(ans, x->resp_headers[i].name, x->resp_headers[i].value);
        if (m->replay_latency && x->latency_ms > 0)
            ans->delay_ms = (unsigned)CBK_MIN(x->latency_ms, 600000);
        p->e.answered_by =
            cbk_arena_printf(p->a, "cassette %s#%zu", cbk_cassette_file(m->cassette), x->index);
        if (x->status >= 300) {
            for (size_t i = 0; i < x->nresp_headers; i++)
                if (strcasecmp(x->resp_headers[i].name, "x-amzn-ErrorType") == 0)
                    p->e.error_type = x->resp_headers[i].value;
        }
        free(near);
        return true;
    }
    if (m->fwd) {
        struct cbk_exchange *rec = NULL;
        cbk_forward_record(m->fwd, op, p->req, p->ans, p->a, &rec);
        if (rec) {
            cbk_cassette_add(m->cassette, rec, true);
            p->e.answered_by = cbk_arena_printf(p->a, "upstream (recorded as #%zu)", rec->index);
        } else {
            p->e.answered_by = "upstream (not recorded)";
        }
        p->e.note = near ? cbk_arena_strdup(p->a, near) : "";
        free(near);
        return true;
    }
    char *msg = cbk_xasprintf("cbkit: no recorded exchange matches this %s request (cassette "
                              "%s); %s",
                              op->name, cbk_cassette_file(m->cassette), near ? near : "");
    cbk__answer_aws_error(p->sv->spec, p->ans, p->a, 404, "UnmatchedRequestException", msg);
    p->e.error_type = "UnmatchedRequestException";
    p->e.answered_by = "cassette (no match)";
    p->e.note = cbk_arena_strdup(p->a, near ? near : "");
    free(msg);
    free(near);
    return true;
}

/*
 * The served spec whose target prefix 'target' has, and its operation: NULL with *why when
 * the target is missing, names no served prefix or no operation of it. *sv is the spec the
 * target named, else the first (errors are answered in its protocol).
 */
static const struct cbk_operation *route(struct cbk_mock *m, const char *target,
                                         const struct cbk_served **sv,
                                         enum cbk_wire_target_err *why)
{
    *sv = &m->served[0];
    for (size_t i = 0; i < m->nserved; i++) {
        const struct cbk_operation *op = cbk_wire_resolve_target(m->served[i].spec, target, why);
        if (op || *why != CBK_WIRE_TARGET_WRONG_PREFIX) {
            if (*why != CBK_WIRE_TARGET_MISSING)
                *sv = &m->served[i];
            return op;
        }
    }
    return NULL;
}

void cbk_mock_handle(struct cbk_mock *m, const struct cbk_http_req *req,
                     struct cbk_http_answer *ans, struct cbk_arena *a)
{
    memset(ans, 0, sizeof(*ans));
    if (strncmp(req->path, "/__cbkit/", 9) == 0 || strcmp(req->path, "/__cbkit") == 0) {
        cbk__mock_admin(m, req, ans, a);
        return;
    }
    struct pipeline p;
    memset(&p, 0, sizeof(p));
    p.m = m;
    p.sv = &m->served[0];
    p.req = req;
    p.ans = ans;
    p.a = a;
    uint64_t seq = atomic_fetch_add(&m->seq, 1) + 1;
    cbk_rng_seed(&p.rng, cbk_mix64(m->seed ^ cbk_mix64(seq)));
    cbk_uuid_format(p.request_id, cbk_rng_next(&p.rng), cbk_rng_next(&p.rng));
    p.e.time_ms = cbk__mock_now_ms(m);
    p.e.account = cbk__mock_account(m, req, a);
    const char *target = cbk__http_header(req, "X-Amz-Target");
    p.e.target = target ? target : "";
    const char *s = cbk__http_header(req, "amz-sdk-invocation-id");
    p.e.invocation_id = s ? s : "";
    s = cbk__http_header(req, "amz-sdk-request");
    p.e.attempt = s ? s : "";
    s = cbk__http_header(req, "User-Agent");
    p.e.user_agent = s ? s : "";
    p.e.body = req->body;
    p.e.body_len = req->body_too_large ? 0 : req->body_len;
    p.e.body_truncated = req->body_too_large;

    struct cbk_buf msg = CBK_BUF_INIT(1 << 16);
    /* 1. method and path */
    if (strcmp(req->path, "/") != 0) {
        cbk_buf_addf(&msg,
                     "cbkit serves the AWS JSON 1.1 API at POST /; '%.16s %.200s' is not a route "
                     "(the admin API is under /__cbkit/)",
                     req->method, req->path);
        reject(&p, 404, "UnknownOperationException", cbk_buf_str(&msg));
        goto done;
    }
    if (strcmp(req->method, "POST") != 0) {
        cbk_buf_addf(&msg, "Method '%.16s' is not allowed: AWS JSON 1.1 requests use POST /",
                     req->method);
        reject(&p, 405, "MethodNotAllowedException", cbk_buf_str(&msg));
        cbk__answer_header(ans, "Allow", "POST");
        goto done;
    }
    /* 2. the service, by the target's prefix: it names the signing service */
    enum cbk_wire_target_err why;
    const struct cbk_operation *op = route(m, target, &p.sv, &why);
    p.e.service = op ? p.sv->name : "";
    /* 3. the signature, as AWS checks it before anything else */
    if (m->nkeys) {
        struct cbk_sigv4_verdict sig;
        const struct cbk_metadata *md = cbk_spec_metadata(p.sv->spec);
        /* clients sign with the real time, whatever the mock clock says */
        cbk_sigv4_verify(req, m->keys, m->nkeys, m->region,
                         md->signing_name ? md->signing_name : md->endpoint_prefix, cbk_wall_ms(),
                         &sig);
        if (!sig.ok) {
            reject(&p, sig.status, sig.code, sig.message);
            goto done;
        }
    }
    /* 4. the operation */
    if (!op) {
        reject(&p, 400, "UnknownOperationException", cbk_wire_target_message(why, target, &msg));
        goto done;
    }
    p.e.op = op->name;
    p.e.operation = op;
    /* 5. content type and size */
    const char *ct = cbk__http_header(req, "Content-Type");
    if (!cbk_wire_content_type_ok(p.sv->spec, ct)) {
        cbk_buf_addf(&msg, "Unsupported Content-Type '%.100s': expected %s", ct ? ct : "(none)",
                     cbk_spec_metadata(p.sv->spec)->content_type);
        reject(&p, 400, "SerializationException", cbk_buf_str(&msg));
        goto done;
    }
    if (req->body_too_large) {
        cbk_buf_addf(&msg, "Request body of %zu bytes exceeds the limit of %zu bytes",
                     req->body_size, m->cfg.max_body);
        reject(&p, 413, "RequestEntityTooLargeException", cbk_buf_str(&msg));
        goto done;
    }
    /* 6. validation: an empty body is {} */
    const char *body = req->body_len ? req->body : "{}";
    size_t blen = req->body_len ? req->body_len : 2;
    struct cbk_report *r = thread_report(m);
    struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
    vo.max_size = m->cfg.max_body;
    enum cbk_code vrc = cbk_validate_buffer(p.sv->spec, op->input, body, blen, &vo, r);
    bool malformed = vrc != CBK_OK && cbk_report_malformed(r);
    if (malformed) {
        const struct cbk_violation *v = cbk_report_at(r, cbk_report_count(r) - 1);
        if (v->line)
            cbk_buf_addf(&msg, "Malformed JSON at line %d, column %d: %s", v->line, v->column,
                         v->message);
        else
            cbk_buf_addf(&msg, "Malformed JSON: %s", v->message);
        keep_violations(&p, op, r);
        reject(&p, 400, "SerializationException", cbk_buf_str(&msg));
        goto done;
    }
    p.e.verdict = vrc == CBK_OK ? CBK_VERDICT_VALID : CBK_VERDICT_INVALID;
    if (vrc != CBK_OK)
        keep_violations(&p, op, r);
    /* 7. scenario rules */
    struct json_object *doc = NULL;
    enum cbk_scen_outcome so = cbk__scenario_answer(m, op, req, body, blen, vrc == CBK_OK, &doc,
                                                    ans, a, &p.e, &p.scen_label);
    if (so == CBK_SCEN_ANSWERED) {
        p.e.answered_by = p.scen_label;
        if (doc)
            json_object_put(doc);
        goto done;
    }
    /* 8. the cassette (of the first spec): recorded answers, even to invalid requests */
    if (m->cassette && op->spec == m->spec && answer_from_cassette(&p, op, body, blen))
        goto done;
    /* 9. contract violations: what AWS says */
    if (vrc != CBK_OK) {
        cbk_wire_validation_message(&msg, r);
        p.e.error_type = "InvalidInputException";
        p.e.answered_by = "validator";
        cbk__answer_aws_error(p.sv->spec, ans, a, 400, "InvalidInputException", cbk_buf_str(&msg));
        if (doc)
            json_object_put(doc);
        goto done;
    }
    /* 10. the service's behaviour or the generator */
    p.body = body;
    p.body_len = blen;
    answer_valid(&p, op, &doc);
    json_object_put(doc);
done:
    cbk_buf_release(&msg);
    finish(&p);
}

void cbk_mock_complete(struct cbk_mock *m, uint64_t id, int status_sent, int64_t latency_us)
{
    cbk_journal_complete(&m->journal, id, status_sent, latency_us);
}

void cbk_mock_stats(struct cbk_mock *m, struct cbk_mock_stats *out)
{
    cbk_journal_stats(&m->journal, out);
}

/* ---- serving ------------------------------------------------------------------------------ */

static void http_handle(void *ctx, const struct cbk_http_req *req, struct cbk_http_answer *ans,
                        struct cbk_arena *a)
{
    cbk_mock_handle(ctx, req, ans, a);
}

static void http_complete(void *ctx, const struct cbk_http_answer *ans, int status_sent,
                          int64_t latency_us)
{
    if (ans->journal_id)
        cbk_mock_complete(ctx, ans->journal_id, status_sent, latency_us);
}

enum cbk_code cbk_mock_start(struct cbk_mock *m, unsigned *port, struct cbk_diags *diags)
{
    if (m->httpd) {
        *port = m->port;
        return CBK_OK;
    }
    struct cbk_httpd_config hc;
    memset(&hc, 0, sizeof hc);
    hc.host = m->host;
    hc.port = m->cfg.port;
    hc.threads = m->cfg.threads;
    hc.max_body = m->cfg.max_body;
    hc.client_timeout = m->cfg.client_timeout;
    hc.connection_limit = m->cfg.connection_limit;
    hc.handle = http_handle;
    hc.complete = http_complete;
    hc.ctx = m;
    enum cbk_code rc = cbk_httpd_start(&hc, &m->httpd, port, diags);
    if (rc == CBK_OK)
        m->port = *port;
    return rc;
}

void cbk_mock_stop(struct cbk_mock *m)
{
    if (!m || !m->httpd)
        return;
    cbk_httpd_stop(m->httpd);
    m->httpd = NULL;
}

/* ---- replay and recording --------------------------------------------------------------- */

void cbk_mock_set_cassette_take(struct cbk_mock *m, struct cbk_cassette *c, bool replay_latency)
{
    cbk_cassette_free(m->cassette);
    m->cassette = c;
    m->replay_latency = replay_latency;
}

enum cbk_code cbk_mock_record_missing(struct cbk_mock *m, const char *upstream, const char *path,
                                      const char *region, const char *access_key,
                                      const char *secret_key, const char *session_token,
                                      struct cbk_diags *diags)
{
    if (!m->cassette) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                       "recording what is missing needs a cassette");
        return CBK_E_USAGE;
    }
    char why[512];
    if (!cbk__upstream_base_ok(upstream, why, sizeof why)) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL, "upstream %s", why);
        return CBK_E_USAGE;
    }
    const char *secrets[] = {secret_key, session_token};
    struct cbk_redact_rules rules;
    memset(&rules, 0, sizeof rules);
    rules.secrets = secrets;
    rules.nsecrets = 2;
    struct cbk_redactor *red = NULL;
    enum cbk_code rc = cbk_redactor_new(m->spec, &rules, &red, diags);
    if (rc != CBK_OK)
        return rc;
    struct cbk_cassette_writer *w = NULL;
    /* the writer re-reads the file it appends to; its warnings (a cut tail) are those of the
     * load that gave m->cassette, already reported: pass on only its errors */
    struct cbk_diags wd = CBK_DIAGS_INIT;
    rc = cbk_cassette_writer_open(path, CBK_CASSETTE_APPEND, m->spec, upstream, &w, &wd);
    for (size_t i = 0; i < wd.nr; i++)
        if (wd.v[i].severity == CBK_SEV_ERROR)
            cbk_diags_addf(diags, wd.v[i].code, wd.v[i].severity, wd.v[i].file, wd.v[i].line,
                           wd.v[i].column, wd.v[i].path, "%s", wd.v[i].message);
    cbk_diags_release(&wd);
    if (rc != CBK_OK) {
        cbk_redactor_free(red);
        return rc;
    }
    struct cbk_forwarder_config fc;
    memset(&fc, 0, sizeof fc);
    fc.spec = m->spec;
    fc.upstream = upstream;
    fc.region = region ? region : m->region;
    fc.access_key = access_key;
    fc.secret_key = secret_key;
    fc.session_token = session_token;
    m->fwd = cbk_xcalloc(1, sizeof(*m->fwd));
    cbk_forwarder_init(m->fwd, &fc, w, red);
    return CBK_OK;
}
