/*
 * admin.c - the mock's admin API under /__cbkit/ (docs/admin-api.md): health, the journal
 * (requests, violations), reset, the clock, the modelled CodeBuild state and scenarios.
 * Loopback-only unless --admin-remote (which needs a token); token-protected when a token is
 * set. A web page the developer visits can reach a loopback port too, so the admin API also
 * refuses requests a browser sends for another site: an Origin that is not the mock's own
 * (cross-site requests), and, unless --admin-remote, a Host that is not a loopback name or the
 * bound address (DNS rebinding). The AWS API is never restricted by Host: SDKs send whatever
 * endpoint name they were given. GET /__cbkit/health stays open to health checks that are
 * refused only for where they come from or for a missing token: they get {"status":"ok"}.
 */
#include "core/setup.h"
#include "mock/mock_internal.h"
#include "cbkit/cbkit.h"
#include "core/crypto.h"
#include "core/jsonq.h"
#include "core/jsonw.h"
#include "core/timefmt.h"
#include "mock/scenario_hook.h"
#include "report/report.h"
#include "wire/sigv4.h"

#include <json-c/json.h>

/* The page of GET /__cbkit/ui (mock/ui.html, embedded by CMake: generated/ui_page.c). */
extern const unsigned char cbk__ui_page[];
extern const size_t cbk__ui_page_len;

/* Serve the page: static, self-contained, allowed to talk to this origin only. */
static void ui(struct cbk_http_answer *ans)
{
    ans->status = 200;
    ans->body = (const char *)cbk__ui_page;
    ans->body_len = cbk__ui_page_len;
    cbk__answer_header(ans, "Content-Type", "text/html; charset=utf-8");
    cbk__answer_header(ans, "Content-Security-Policy",
                       "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                       "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
                       "frame-ancestors 'none'");
    cbk__answer_header(ans, "X-Frame-Options", "DENY");
    cbk__answer_header(ans, "X-Content-Type-Options", "nosniff");
    cbk__answer_header(ans, "Referrer-Policy", "no-referrer");
    cbk__answer_header(ans, "Cache-Control", "no-store");
}

static void json_error(struct cbk_http_answer *ans, struct cbk_arena *a, int status,
                       const char *message)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "error", message);
    cbk_jsonw_end_obj(&w);
    cbk__answer_json(ans, a, status, b.ptr, b.len);
    cbk_buf_release(&b);
}

static void health(struct cbk_mock *m, struct cbk_http_answer *ans, struct cbk_arena *a)
{
    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kstr(&w, "status", "ok");
    cbk_jsonw_kstr(&w, "version", cbk_version());
    cbk_jsonw_kstr(&w, "spec", cbk_spec_file(m->spec));
    cbk_jsonw_key(&w, "port");
    cbk_jsonw_uint(&w, m->port);
    cbk_jsonw_kstr(&w, "world", atomic_load(&m->world) == CBK_WORLD_STRICT ? "strict" : "open");
    cbk_jsonw_key(&w, "services");
    cbk_jsonw_arr(&w);
    for (size_t i = 0; i < m->nserved; i++) {
        cbk_jsonw_obj(&w);
        cbk_jsonw_kstr(&w, "name", m->served[i].name);
        cbk_jsonw_kstr(&w, "targetPrefix", m->served[i].prefix);
        cbk_jsonw_kstr(&w, "spec", cbk_spec_file(m->served[i].spec));
        cbk_jsonw_kstr(&w, "behaviour", m->served[i].beh ? m->served[i].beh->def->name : "");
        cbk_jsonw_end_obj(&w);
    }
    cbk_jsonw_end_arr(&w);
    cbk_jsonw_kepoch_ms(&w, "clock", cbk__mock_now_ms(m));
    cbk_jsonw_kbool(&w, "virtualClock", cbk__mock_clock_is_virtual(m));
    cbk_jsonw_key(&w, "requests");
    cbk_jsonw_uint(&w, st.requests);
    cbk_jsonw_key(&w, "valid");
    cbk_jsonw_uint(&w, st.valid);
    cbk_jsonw_key(&w, "invalid");
    cbk_jsonw_uint(&w, st.invalid);
    cbk_jsonw_key(&w, "rejected");
    cbk_jsonw_uint(&w, st.rejected);
    cbk_jsonw_key(&w, "violations");
    cbk_jsonw_uint(&w, st.violations);
    cbk_jsonw_key(&w, "faults");
    cbk_jsonw_uint(&w, st.faults);
    cbk_jsonw_key(&w, "dropped");
    cbk_jsonw_uint(&w, st.dropped);
    cbk_jsonw_key(&w, "journalCap");
    cbk_jsonw_uint(&w, m->cfg.journal_cap);
    cbk_jsonw_key(&w, "adminRefused");
    cbk_jsonw_uint(&w, atomic_load(&m->admin_refused));
    cbk_jsonw_end_obj(&w);
    cbk__answer_json(ans, a, 200, b.ptr, b.len);
    cbk_buf_release(&b);
}

static int parse_verdict(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "valid") == 0)
        return CBK_VERDICT_VALID;
    if (strcmp(s, "invalid") == 0)
        return CBK_VERDICT_INVALID;
    if (strcmp(s, "rejected") == 0)
        return CBK_VERDICT_REJECTED;
    return -2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || *s == '-')
        return false;
    *out = v;
    return true;
}

static void requests(struct cbk_mock *m, const struct cbk_http_req *req,
                     struct cbk_http_answer *ans, struct cbk_arena *a)
{
    struct cbk_jfilter f = {.verdict = -1};
    f.op = cbk__http_query(req, "operation", a);
    f.service = cbk__http_query(req, "service", a);
    const char *v = cbk__http_query(req, "verdict", a);
    f.verdict = parse_verdict(v);
    if (f.verdict == -2) {
        json_error(ans, a, 400, "verdict must be valid, invalid or rejected");
        return;
    }
    uint64_t n;
    const char *s = cbk__http_query(req, "since", a);
    if (s) {
        if (!parse_u64(s, &n)) {
            json_error(ans, a, 400, "since must be a request id (a non-negative integer)");
            return;
        }
        f.since_id = n;
    }
    s = cbk__http_query(req, "limit", a);
    if (s) {
        if (!parse_u64(s, &n) || n == 0) {
            json_error(ans, a, 400, "limit must be a positive integer");
            return;
        }
        f.limit = (size_t)n;
    }
    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    cbk_buf_addf(&b, "{\"total\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"requests\":", st.requests,
                 st.dropped);
    cbk_journal_json(&m->journal, &f, &b);
    cbk_buf_addc(&b, '}');
    cbk__answer_json(ans, a, 200, b.ptr, b.len);
    cbk_buf_release(&b);
}

static void violations(struct cbk_mock *m, struct cbk_http_answer *ans, struct cbk_arena *a)
{
    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    cbk_buf_addf(&b, "{\"total\":%" PRIu64 ",\"violations\":", st.violations);
    cbk_journal_violations_json(&m->journal, &b);
    cbk_buf_addc(&b, '}');
    cbk__answer_json(ans, a, 200, b.ptr, b.len);
    cbk_buf_release(&b);
}

static void clock_info(struct cbk_mock *m, struct cbk_http_answer *ans, struct cbk_arena *a)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 12);
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, &b);
    int64_t now = cbk__mock_now_ms(m);
    char iso[32];
    cbk_iso8601_ms(now, iso);
    cbk_jsonw_obj(&w);
    cbk_jsonw_kepoch_ms(&w, "now", now);
    cbk_jsonw_kstr(&w, "iso8601", iso);
    cbk_jsonw_kbool(&w, "virtual", cbk__mock_clock_is_virtual(m));
    cbk_jsonw_end_obj(&w);
    cbk__answer_json(ans, a, 200, b.ptr, b.len);
    cbk_buf_release(&b);
}

/*
 * Move the clock by 'ms' >= 0 if it stays within 1970..9999 (0..CBK_TIME_MAX_MS, as --clock
 * reads times); false if not. Beyond, the clock wrapped around and the CodeBuild model's time
 * arithmetic (token ages, durations) overflowed an int64_t
 * (fuzz/corpus/fuzz_mock_request/regress-clock-*).
 */
static bool clock_advance(struct cbk_mock *m, int64_t ms)
{
    return cbk__mock_clock_advance(m, ms, CBK_TIME_MAX_MS);
}

/* POST /__cbkit/clock {"advanceSeconds": N} | {"advanceMillis": N} | {"set": EPOCH_SECONDS} */
static void clock_post(struct cbk_mock *m, const struct cbk_http_req *req,
                       struct cbk_http_answer *ans, struct cbk_arena *a)
{
    /* the body is body_len bytes, not a C string: nothing past it is read (found by
     * fuzz/fuzz_mock_request, regress-clock-body-unterminated) */
    struct json_object *doc = req->body_len ? cbk_jsonq_parse(req->body, req->body_len) : NULL;
    struct json_object *v = NULL;
    bool ok = false;
    if (doc && json_object_is_type(doc, json_type_object)) {
        if (json_object_object_get_ex(doc, "advanceSeconds", &v) &&
            (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))) {
            double s = json_object_get_double(v);
            ok = s >= 0 && s < 1e10 && clock_advance(m, (int64_t)(s * 1000.0));
        } else if (json_object_object_get_ex(doc, "advanceMillis", &v) &&
                   json_object_is_type(v, json_type_int)) {
            ok = clock_advance(m, json_object_get_int64(v));
        } else if (json_object_object_get_ex(doc, "set", &v) &&
                   (json_object_is_type(v, json_type_int) ||
                    json_object_is_type(v, json_type_double))) {
            /* range first: a double beyond int64_t does not convert (undefined behaviour) */
            double s = json_object_get_double(v);
            if (s >= 0 && s * 1000.0 <= (double)CBK_TIME_MAX_MS) {
                cbk__mock_clock_set(m, (int64_t)(s * 1000.0));
                ok = true;
            }
        }
    }
    if (doc)
        json_object_put(doc);
    if (!ok) {
        json_error(ans, a, 400,
                   "expected {\"advanceSeconds\": N}, {\"advanceMillis\": N} or {\"set\": "
                   "EPOCH_SECONDS} with N >= 0, the clock staying within the years 1970 to 9999");
        return;
    }
    clock_info(m, ans, a);
}

/* ?account=: an account id, "all" (NULL: every account), or absent (the mock's --account). */
static const char *account_param(struct cbk_mock *m, const struct cbk_http_req *req,
                                 struct cbk_arena *a, bool *bad)
{
    *bad = false;
    const char *acc = cbk__http_query(req, "account", a);
    if (!acc)
        return m->account;
    if (strcmp(acc, "all") == 0)
        return NULL;
    size_t n = strlen(acc);
    *bad = n != 12 || strspn(acc, "0123456789") != 12;
    return acc;
}

/*
 * The state the behaviours keep for an account: with one behaviour its own object (CodeBuild:
 * {"builds":[...],"buildBatches":[...],"projects":[...]}), with several one member per
 * behaviour; {} with none.
 */
static void state(struct cbk_mock *m, const struct cbk_http_req *req, struct cbk_http_answer *ans,
                  struct cbk_arena *a)
{
    bool bad;
    const char *account = account_param(m, req, a, &bad);
    if (bad) {
        json_error(ans, a, 400, "account is a 12-digit account id or all");
        return;
    }
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    int64_t now = cbk__mock_now_ms(m);
    /* behaviours without state of their own (dump NULL) are left out; one alone is the answer */
    size_t ndump = 0, only = 0;
    for (size_t i = 0; i < m->nbehs; i++)
        if (m->behs[i].def->dump) {
            ndump++;
            only = i;
        }
    if (ndump == 1) {
        m->behs[only].def->dump(m->behs[only].inst, account, now, &b);
    } else {
        cbk_buf_addc(&b, '{');
        bool first = true;
        for (size_t i = 0; i < m->nbehs; i++) {
            if (!m->behs[i].def->dump)
                continue;
            struct cbk_jsonw w;
            cbk_jsonw_init(&w, &b);
            if (!first)
                cbk_buf_addc(&b, ',');
            first = false;
            cbk_jsonw_str(&w, m->behs[i].def->name);
            cbk_buf_addc(&b, ':');
            m->behs[i].def->dump(m->behs[i].inst, account, now, &b);
        }
        cbk_buf_addc(&b, '}');
    }
    cbk__answer_json(ans, a, 200, b.ptr, b.len);
    cbk_buf_release(&b);
}

static void reset(struct cbk_mock *m, const struct cbk_http_req *req, struct cbk_http_answer *ans,
                  struct cbk_arena *a)
{
    const char *what = cbk__http_query(req, "what", a);
    bool all = !what || strcmp(what, "all") == 0;
    bool journal = all || strcmp(what, "journal") == 0;
    bool st = all || strcmp(what, "state") == 0;
    bool scen = all || strcmp(what, "scenarios") == 0;
    if (!journal && !st && !scen) {
        json_error(ans, a, 400, "what must be all, journal, state or scenarios");
        return;
    }
    bool bad;
    const char *account =
        cbk__http_query(req, "account", a) ? account_param(m, req, a, &bad) : NULL;
    if (account && bad) {
        json_error(ans, a, 400, "account is a 12-digit account id or all");
        return;
    }
    if (journal)
        cbk_journal_reset(&m->journal);
    if (st) /* back to the world the loaded scenarios describe */
        for (size_t i = 0; i < m->nbehs; i++)
            if (m->behs[i].def->reset)
                m->behs[i].def->reset(m->behs[i].inst, account, cbk__mock_now_ms(m));
    if (scen)
        cbk__scenario_reset_state(m);
    static const char ok[] = "{\"reset\":true}";
    cbk__answer_json(ans, a, 200, ok, sizeof(ok) - 1);
}

/* ---- who may use the admin API ---------------------------------------------------------- */

/*
 * The host part of a Host header or of an Origin's authority: "[::1]:7766" -> "[::1]",
 * "localhost:7766" -> "localhost", "example" -> "example". Sets *len; NULL when malformed.
 */
static const char *host_part(const char *s, size_t n, size_t *len)
{
    if (n && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return NULL;
        size_t hl = (size_t)(close - s) + 1;
        if (hl < n && s[hl] != ':')
            return NULL;
        *len = hl;
        return s;
    }
    const char *colon = memchr(s, ':', n);
    *len = colon ? (size_t)(colon - s) : n;
    if (colon && memchr(colon + 1, ':', n - *len - 1))
        return NULL; /* an IPv6 address without brackets */
    return *len ? s : NULL;
}

/* Is h[0..n) the name 'name', ignoring case (host names are case-insensitive)? */
static bool name_is(const char *h, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(h, name, n) == 0;
}

/* Is 'h' (n bytes, "[...]" for IPv6) a loopback name or the address the mock is bound to? */
static bool own_host(const struct cbk_mock *m, const char *h, size_t n)
{
    if (name_is(h, n, "localhost") || name_is(h, n, "127.0.0.1") || name_is(h, n, "[::1]"))
        return true;
    const char *b = m->host;
    size_t bl = strlen(b);
    if (strchr(b, ':')) /* an IPv6 bound address appears in brackets */
        return n == bl + 2 && h[0] == '[' && h[n - 1] == ']' && strncasecmp(h + 1, b, bl) == 0;
    return name_is(h, n, b);
}

/* Host: a loopback name or the bound address, any port (ssh -L and container port maps change
 * it). A request without Host (HTTP/1.0, which browsers never send) passes. */
static bool host_allowed(const struct cbk_mock *m, const char *host)
{
    size_t n;
    const char *h = host_part(host, strlen(host), &n);
    return h && own_host(m, h, n);
}

/*
 * Origin: the mock's own, i.e. a page the mock served. That is the request's own origin
 * ("http://" + its Host: a same-origin fetch() from /__cbkit/ui), or http://NAME:PORT with NAME
 * a loopback name or the bound address and PORT the port the mock listens on. "null" (a
 * sandboxed frame, a file: page), other schemes and other hosts or ports are foreign.
 */
static bool origin_allowed(const struct cbk_mock *m, const struct cbk_http_req *req,
                           const char *origin)
{
    static const char scheme[] = "http://";
    if (strncasecmp(origin, scheme, sizeof scheme - 1) != 0)
        return false;
    const char *auth = origin + sizeof scheme - 1;
    size_t al = strlen(auth);
    if (!al || strpbrk(auth, "/?#@ "))
        return false;
    const char *host = cbk__http_header(req, "Host");
    if (host && strlen(host) == al && strncasecmp(host, auth, al) == 0)
        return true;
    size_t hn;
    const char *h = host_part(auth, al, &hn);
    if (!h || !own_host(m, h, hn) || !m->port)
        return false;
    char port[16];
    snprintf(port, sizeof port, ":%u", m->port);
    return strcmp(auth + hn, port) == 0;
}

/* Does 'given' equal the token? In constant time: digests of both are compared with
 * libcrypto's CRYPTO_memcmp, so neither the content nor the length of the token leaks through
 * timing. */
static bool token_matches(const char *given, const char *token)
{
    char a[65], b[65];
    cbk_sha256_hex(given, strlen(given), a);
    cbk_sha256_hex(token, strlen(token), b);
    return cbk_crypto()->memcmp(a, b, 64) == 0; /* loaded by cbk_mock_new() with the token */
}

/* Refuse with 'status' and a JSON error; refusals are counted (health: adminRefused). */
static bool refuse(struct cbk_mock *m, struct cbk_http_answer *ans, struct cbk_arena *a, int status,
                   const char *message)
{
    atomic_fetch_add(&m->admin_refused, 1);
    json_error(ans, a, status, message);
    return false;
}

/*
 * Why the admin API refuses 'req', or NULL when it may use it: *status gets 401 or 403 and
 * *open (may the open health answer be given instead?) whether the refusal is about where the
 * request comes from or a missing token — not a web page of another origin, not a wrong
 * token. The message is in arena 'a' or static.
 */
static const char *refusal(const struct cbk_mock *m, const struct cbk_http_req *req,
                           struct cbk_arena *a, int *status, bool *open)
{
    *status = 403;
    *open = false;
    const char *origin = cbk__http_header(req, "Origin");
    if (origin && !origin_allowed(m, req, origin))
        return cbk_arena_printf(a,
                                "the admin API refuses requests from web pages of other "
                                "origins (Origin '%.100s' is not the mock's own)",
                                origin);
    /* without Origin (a GET from another page: <img>, <script>, a no-cors fetch), the
     * browser still says where it comes from */
    const char *site = cbk__http_header(req, "Sec-Fetch-Site");
    if (!origin && site && strcasecmp(site, "same-origin") != 0 && strcasecmp(site, "none") != 0)
        return cbk_arena_printf(a,
                                "the admin API refuses requests from web pages of other "
                                "origins (Sec-Fetch-Site '%.32s')",
                                site);
    *open = true;
    if (!req->peer_is_loopback && !m->cfg.admin_remote)
        return "the admin API answers loopback clients only (start the mock with "
               "--admin-remote and a token to allow others)";
    const char *host = cbk__http_header(req, "Host");
    if (host && !m->cfg.admin_remote && !host_allowed(m, host))
        return cbk_arena_printf(a,
                                "the admin API answers requests for a loopback name "
                                "(localhost, 127.0.0.1, [::1]) or the address it is bound "
                                "to only, not for Host '%.100s' (a web page on another "
                                "site may be reaching the mock through DNS rebinding)",
                                host);
    if (m->admin_token) {
        const char *t = cbk__http_header(req, "X-Cbkit-Admin-Token");
        *status = 401;
        *open = !t;
        if (!t || !token_matches(t, m->admin_token))
            return "missing or wrong X-Cbkit-Admin-Token";
    }
    return NULL;
}

/* Routes of the behaviours (CodeBuild: builds/ID/outcome, ...): false when none has it. */
static bool behaviour_admin(struct cbk_mock *m, const char *route, const struct cbk_http_req *req,
                            struct cbk_http_answer *ans, struct cbk_arena *a)
{
    bool bad;
    const char *account = account_param(m, req, a, &bad);
    for (size_t i = 0; i < m->nbehs; i++) {
        const struct cbk_service *def = m->behs[i].def;
        if (!def->admin)
            continue;
        struct cbk_buf b = CBK_BUF_INIT((size_t)64 << 20);
        struct cbk_svc_admin ad = {route, req, account ? account : m->account, cbk__mock_now_ms(m),
                                   &b,    0};
        if (bad) {
            cbk_buf_release(&b);
            json_error(ans, a, 400, "account is a 12-digit account id");
            return true;
        }
        if (def->admin(m->behs[i].inst, &ad)) {
            cbk__answer_json(ans, a, ad.status ? ad.status : 200, b.ptr, b.len);
            cbk_buf_release(&b);
            return true;
        }
        cbk_buf_release(&b);
    }
    return false;
}

void cbk__mock_admin(struct cbk_mock *m, const struct cbk_http_req *req,
                     struct cbk_http_answer *ans, struct cbk_arena *a)
{
    const char *route = req->path + strlen("/__cbkit");
    if (*route == '/')
        route++;
    bool get = strcmp(req->method, "GET") == 0;
    int status;
    bool open;
    const char *why = refusal(m, req, a, &status, &open);
    if (get && strcmp(route, "ui") == 0 && (!why || (open && status == 401))) {
        /* the page holds no data: it asks for the token it needs to read the rest */
        ui(ans);
        return;
    }
    if (why && open && get && strcmp(route, "health") == 0) {
        /* health checks (a container's, a load balancer's) stay open: status only */
        static const char ok[] = "{\"status\":\"ok\"}";
        cbk__answer_json(ans, a, 200, ok, sizeof(ok) - 1);
        return;
    }
    if (why) {
        refuse(m, ans, a, status, why);
        return;
    }
    if (req->body_too_large) {
        /* the server kept none of it: a route must never read it as an empty body (a scenario
         * POST over the limit was "the scenario is empty") */
        char msg[160];
        snprintf(msg, sizeof msg,
                 "request body of %zu bytes exceeds the limit of %zu bytes (--max-body)",
                 req->body_size, m->cfg.max_body);
        json_error(ans, a, 413, msg);
        return;
    }
    bool post = strcmp(req->method, "POST") == 0;
    bool del = strcmp(req->method, "DELETE") == 0;
    if (strcmp(route, "health") == 0 && get)
        health(m, ans, a);
    else if (strcmp(route, "requests") == 0 && get)
        requests(m, req, ans, a);
    else if (strcmp(route, "violations") == 0 && get)
        violations(m, ans, a);
    else if (strcmp(route, "reset") == 0 && (post || del))
        reset(m, req, ans, a);
    else if (strcmp(route, "clock") == 0 && get)
        clock_info(m, ans, a);
    else if (strcmp(route, "clock") == 0 && post)
        clock_post(m, req, ans, a);
    else if (strcmp(route, "state") == 0 && get)
        state(m, req, ans, a);
    else if (cbk__scenario_admin(m, route, req, ans, a))
        ;
    else if (behaviour_admin(m, route, req, ans, a))
        ;
    else {
        struct cbk_buf b = CBK_BUF_INIT(1 << 12);
        cbk_buf_addf(&b,
                     "no admin route '%.16s /__cbkit/%.100s' (see docs/admin-api.md: health, "
                     "requests, violations, reset, clock, state, scenarios, ui)",
                     req->method, route);
        json_error(ans, a, 404, cbk_buf_str(&b));
        cbk_buf_release(&b);
    }
}
