/*
 * sigv4.c - AWS Signature Version 4 signing and checking (see sigv4.h).
 */
#include "core/setup.h"
#include "wire/sigv4.h"
#include "core/alloc.h"
#include "core/crypto.h"
#include "core/timefmt.h"

#define SKEW_MS (15 * 60 * 1000)

static void hex(const unsigned char *d, size_t n, char *out)
{
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = h[d[i] >> 4];
        out[2 * i + 1] = h[d[i] & 15];
    }
    out[2 * n] = '\0';
}

void cbk_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    cbk_crypto()->sha256(data, len, md);
    hex(md, sizeof md, out);
}

static void hmac(const void *key, size_t klen, const void *msg, size_t mlen, unsigned char out[32])
{
    unsigned int n = 32;
    const struct cbk_crypto *C = cbk_crypto();
    C->hmac(C->evp_sha256(), key, (int)klen, msg, mlen, out, &n);
}

void cbk_amz_date(int64_t ms, char out[17])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* AWS URI encoding: unreserved characters kept, everything else %XX; '/' kept in paths. */
static void uri_encode(struct cbk_buf *b, const char *s, size_t n, bool keep_slash)
{
    static const char h[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            cbk_buf_addc(b, (char)c);
        } else {
            char e[3] = {'%', h[c >> 4], h[c & 15]};
            cbk_buf_add(b, e, 3);
        }
    }
}

/* Trimmed value with runs of spaces collapsed to one. */
static void canon_value(struct cbk_buf *b, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i] == '\t' ? ' ' : v[i];
        if (c == ' ') {
            if (!space)
                cbk_buf_addc(b, ' ');
            space = true;
        } else {
            cbk_buf_addc(b, c);
            space = false;
        }
    }
}

struct qpair {
    char *k, *v;
};

static int cmp_pair(const void *a, const void *b)
{
    const struct qpair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

static void canonical_query(struct cbk_buf *b, const char *q)
{
    if (!q || !*q)
        return;
    struct qpair *pairs = NULL;
    size_t n = 0, alloc = 0;
    const char *p = q;
    while (*p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        CBK_GROW(pairs, n + 1, alloc);
        struct cbk_buf k = CBK_BUF_INIT(1 << 16), v = CBK_BUF_INIT(1 << 16);
        uri_encode(&k, p, eq ? (size_t)(eq - p) : len, false);
        if (eq)
            uri_encode(&v, eq + 1, len - (size_t)(eq - p) - 1, false);
        pairs[n].k = cbk_buf_detach(&k, NULL);
        pairs[n].v = cbk_buf_detach(&v, NULL);
        n++;
        if (!amp)
            break;
        p = amp + 1;
    }
    qsort(pairs, n, sizeof *pairs, cmp_pair);
    for (size_t i = 0; i < n; i++) {
        cbk_buf_addf(b, "%s%s=%s", i ? "&" : "", pairs[i].k, pairs[i].v);
        free(pairs[i].k);
        free(pairs[i].v);
    }
    free(pairs);
}

void cbk_sigv4_signature(const struct cbk_http_req *req, const char *signed_headers,
                         const char *amz_date, const char *region, const char *service,
                         const char *secret, char sig[65], struct cbk_buf *canonical)
{
    struct cbk_buf c = CBK_BUF_INIT((size_t)1 << 26);
    cbk_buf_adds(&c, req->method);
    cbk_buf_addc(&c, '\n');
    uri_encode(&c, req->path, strlen(req->path), true);
    cbk_buf_addc(&c, '\n');
    canonical_query(&c, req->query);
    cbk_buf_addc(&c, '\n');
    /* canonical headers, in the order of the signed list (which is sorted) */
    const char *p = signed_headers;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        cbk_buf_add(&c, p, n);
        cbk_buf_addc(&c, ':');
        bool first = true;
        for (size_t i = 0; i < req->nheaders; i++) {
            const char *name = req->headers[i].name;
            if (strlen(name) == n && strncasecmp(name, p, n) == 0) {
                if (!first)
                    cbk_buf_addc(&c, ',');
                canon_value(&c, req->headers[i].value);
                first = false;
            }
        }
        cbk_buf_addc(&c, '\n');
        if (!semi)
            break;
        p = semi + 1;
    }
    cbk_buf_addc(&c, '\n');
    cbk_buf_adds(&c, signed_headers);
    cbk_buf_addc(&c, '\n');
    char body_hash[65];
    cbk_sha256_hex(req->body ? req->body : "", req->body_len, body_hash);
    cbk_buf_adds(&c, body_hash);
    if (canonical)
        cbk_buf_add(canonical, c.ptr, c.len);

    char creq_hash[65];
    cbk_sha256_hex(c.ptr, c.len, creq_hash);
    cbk_buf_release(&c);
    char date[9];
    memcpy(date, amz_date, 8);
    date[8] = '\0';
    struct cbk_buf sts = CBK_BUF_INIT(1 << 16);
    cbk_buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, date, region,
                 service, creq_hash);
    struct cbk_buf k = CBK_BUF_INIT(1 << 12);
    cbk_buf_addf(&k, "AWS4%s", secret);
    unsigned char kd[32], kr[32], ks[32], kk[32], out[32];
    hmac(k.ptr, k.len, date, 8, kd);
    hmac(kd, 32, region, strlen(region), kr);
    hmac(kr, 32, service, strlen(service), ks);
    hmac(ks, 32, "aws4_request", 12, kk);
    hmac(kk, 32, sts.ptr, sts.len, out);
    cbk_crypto()->cleanse(k.ptr, k.len);
    cbk_buf_release(&k);
    cbk_buf_release(&sts);
    hex(out, 32, sig);
}

/* ---- checking ---------------------------------------------------------------------------- */

static const char *header(const struct cbk_http_req *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

static void fail(struct cbk_sigv4_verdict *v, int status, const char *code, const char *fmt, ...)
    CBK_PRINTF(4, 5);

static void fail(struct cbk_sigv4_verdict *v, int status, const char *code, const char *fmt, ...)
{
    v->ok = false;
    v->status = status;
    v->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof v->message, fmt, ap);
    va_end(ap);
}

/* Find "name=" in the Authorization parameters; copy the value (up to ',') into out. */
static bool auth_param(const char *auth, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = auth;
    while ((p = strstr(p, name)) != NULL) {
        bool start = p == auth || p[-1] == ' ' || p[-1] == ',';
        if (start && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t n = strcspn(v, ", ");
            if (n >= cap)
                return false;
            memcpy(out, v, n);
            out[n] = '\0';
            return n > 0;
        }
        p += nl;
    }
    return false;
}

static int64_t parse_amz_date(const char *s)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
        sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    return cbk_utc_ms(y, mo, d, h, mi, se);
}

void cbk_sigv4_verify(const struct cbk_http_req *req, const struct cbk_sigv4_key *keys,
                      size_t nkeys, const char *region, const char *service, int64_t now_ms,
                      struct cbk_sigv4_verdict *v)
{
    memset(v, 0, sizeof(*v));
    const char *auth = header(req, "Authorization");
    if (!auth || !*auth) {
        fail(v, 403, "MissingAuthenticationToken", "Missing Authentication Token");
        return;
    }
    if (strncmp(auth, "AWS4-HMAC-SHA256 ", 17) != 0) {
        fail(v, 400, "IncompleteSignature",
             "Authorization header must start with 'AWS4-HMAC-SHA256' (Signature Version 4). "
             "Authorization=%.200s",
             auth);
        return;
    }
    char cred[512], signed_h[1024], sig[256];
    bool has_cred = auth_param(auth, "Credential", cred, sizeof cred);
    bool has_sh = auth_param(auth, "SignedHeaders", signed_h, sizeof signed_h);
    bool has_sig = auth_param(auth, "Signature", sig, sizeof sig);
    const char *amz_date = header(req, "X-Amz-Date");
    if (!has_cred || !has_sh || !has_sig || !amz_date) {
        char msg[512] = "";
        if (!has_cred)
            strncat(msg, "Authorization header requires 'Credential' parameter. ",
                    sizeof msg - strlen(msg) - 1);
        if (!has_sig)
            strncat(msg, "Authorization header requires 'Signature' parameter. ",
                    sizeof msg - strlen(msg) - 1);
        if (!has_sh)
            strncat(msg, "Authorization header requires 'SignedHeaders' parameter. ",
                    sizeof msg - strlen(msg) - 1);
        if (!amz_date)
            strncat(msg,
                    "Authorization header requires existence of either a 'X-Amz-Date' or a "
                    "'Date' header. ",
                    sizeof msg - strlen(msg) - 1);
        fail(v, 400, "IncompleteSignature", "%sAuthorization=%.200s", msg, auth);
        return;
    }
    /* Credential=AKID/DATE/REGION/SERVICE/aws4_request: exactly five parts */
    size_t slashes = 0;
    for (const char *p = cred; *p; p++)
        slashes += *p == '/';
    char *parts[5] = {0};
    size_t np = 0;
    char *save = cred;
    for (char *p = cred; np < 5; p++) {
        if (*p == '/' || *p == '\0') {
            bool end = *p == '\0';
            *p = '\0';
            parts[np++] = save;
            save = p + 1;
            if (end)
                break;
        }
    }
    if (slashes != 4 || np != 5 || strcmp(parts[4], "aws4_request") != 0 || strlen(parts[1]) != 8) {
        fail(v, 400, "IncompleteSignature",
             "Credential should be of the form 'ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request'");
        return;
    }
    const struct cbk_sigv4_key *key = NULL;
    for (size_t i = 0; i < nkeys; i++)
        if (strcmp(keys[i].access_key, parts[0]) == 0)
            key = &keys[i];
    if (!key) {
        fail(v, 400, "UnrecognizedClientException",
             "The security token included in the request is invalid.");
        return;
    }
    int64_t t = parse_amz_date(amz_date);
    if (t < 0) {
        fail(v, 400, "IncompleteSignature",
             "Date must be in ISO-8601 'basic format'. Got '%.40s'. See "
             "http://en.wikipedia.org/wiki/ISO_8601",
             amz_date);
        return;
    }
    if (strncmp(parts[1], amz_date, 8) != 0) {
        fail(v, 400, "InvalidSignatureException",
             "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
             "from HTTP: '%s' != '%.8s', from '%s'.",
             parts[1], amz_date, amz_date);
        return;
    }
    if (strcmp(parts[2], region) != 0) {
        fail(v, 400, "InvalidSignatureException",
             "Credential should be scoped to a valid region, not '%s'. ", parts[2]);
        return;
    }
    if (strcmp(parts[3], service) != 0) {
        fail(v, 400, "InvalidSignatureException",
             "Credential should be scoped to correct service: '%s'. ", service);
        return;
    }
    if (t < now_ms - SKEW_MS || t > now_ms + SKEW_MS) {
        char now_s[17], lim[17];
        cbk_amz_date(now_ms, now_s);
        cbk_amz_date(t < now_ms ? now_ms - SKEW_MS : now_ms + SKEW_MS, lim);
        fail(v, 400, "InvalidSignatureException",
             "Signature expired: %s is now %s than %s (%s %c 15 min.)", amz_date,
             t < now_ms ? "earlier" : "later", lim, now_s, t < now_ms ? '-' : '+');
        return;
    }
    /* signed headers: lowercase, ';'-separated, including host */
    bool has_host = false, lower = true;
    for (const char *p = signed_h; *p;) {
        size_t n = strcspn(p, ";");
        if (n == 4 && strncmp(p, "host", 4) == 0)
            has_host = true;
        for (size_t i = 0; i < n; i++)
            if (p[i] >= 'A' && p[i] <= 'Z')
                lower = false;
        p += n;
        if (*p == ';')
            p++;
    }
    if (!has_host || !lower) {
        fail(v, 400, "IncompleteSignature",
             "SignedHeaders must be lowercase and include 'host': SignedHeaders=%.200s", signed_h);
        return;
    }
    /* a key with a session token needs that token; a key without one takes none (a token
     * the service did not issue for this key is as invalid as a wrong one) */
    const char *token = header(req, "X-Amz-Security-Token");
    if (key->session_token ? !token || strcmp(token, key->session_token) != 0 : token != NULL) {
        fail(v, 403, "UnrecognizedClientException",
             "The security token included in the request is invalid.");
        return;
    }
    char want[65];
    cbk_sigv4_signature(req, signed_h, amz_date, region, service, key->secret_key, want, NULL);
    if (strlen(sig) != 64 || cbk_crypto()->memcmp(want, sig, 64) != 0) {
        fail(v, 400, "InvalidSignatureException",
             "The request signature we calculated does not match the signature you provided. "
             "Check your AWS Secret Access Key and signing method. Consult the service "
             "documentation for details.");
        return;
    }
    v->ok = true;
    v->status = 200;
}
