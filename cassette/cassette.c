/*
 * cassette.c - read a cassette (docs/cassettes.md), index its exchanges, and find the
 * recorded answer to a request.
 *
 * A cassette is a YAML stream: a header document, then one document per exchange, each
 * closed by an explicit "..." end marker. The file is split into documents first, so that a
 * document a crashed recorder left without its end marker is recognised: at the tail it is
 * dropped with a warning; anywhere else it is damage and an error. Each document is then
 * parsed on its own (errors keep file-level line numbers).
 *
 * The index maps "operation + canonical request body" (JSON with sorted keys, volatile,
 * sensitive and ignored members left out) to the exchanges recorded for it, so a lookup costs
 * one canonicalisation and one hash probe whatever the cassette's size.
 */
#include "core/setup.h"
#include "cassette/cassette_internal.h"
#include "core/alloc.h"
#include "core/file.h"
#include "core/jsoncanon.h"
#include "core/jsonptr.h"
#include "core/jsonq.h"
#include "core/timefmt.h"
#include "core/yaml.h"
#include "core/yaml_json.h"

#include <json-c/json.h>

#define CASSETTE_MAX_BYTES ((size_t)4 << 30)
#define BASE64_INVALID     255

/* ---- reading documents ------------------------------------------------------------------------
 */

struct doc {
    size_t start, end; /* byte range, from the '---' line to the end of the '...' line */
    int line;          /* line of the '---' (1-based) */
    bool closed;       /* ended by '...' */
    bool ignored;      /* ended by the incomplete mark */
};

static bool line_is(const char *p, size_t n, const char *word)
{
    size_t wl = strlen(word);
    if (n < wl || memcmp(p, word, wl) != 0)
        return false;
    return n == wl || p[wl] == ' ' || p[wl] == '\t' || p[wl] == '\r';
}

/* Is the line more than blanks, a comment or a directive (which belongs to the next '---')? */
static bool has_content(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
        i++;
    return i < n && p[i] != '#' && p[i] != '%';
}

/* Split the text into documents. The first one (the header) may lack a '---'. */
static size_t split(const char *buf, size_t len, struct doc **out)
{
    struct doc *docs = NULL;
    size_t n = 0, alloc = 0;
    size_t pos = 0;
    int line = 1;
    struct doc *cur = NULL;
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (buf + pos)) : len - pos;
        size_t next = nl ? pos + ll + 1 : len;
        const char *p = buf + pos;
        if (line_is(p, ll, "---")) {
            if (cur && !cur->closed)
                cur->end = pos;
            CBK_GROW(docs, n + 1, alloc);
            cur = &docs[n++];
            memset(cur, 0, sizeof(*cur));
            cur->start = pos;
            cur->line = line;
        } else if (line_is(p, ll, "...")) {
            if (cur && !cur->closed) {
                cur->closed = true;
                cur->end = next;
                size_t ml = strlen(CBK_CASSETTE_INCOMPLETE_MARK);
                cur->ignored = ll >= ml && memcmp(p, CBK_CASSETTE_INCOMPLETE_MARK, ml) == 0;
            }
        } else if ((!cur || cur->closed) && has_content(p, ll)) {
            /* content before any '---' (a header without a start marker) or after a '...'
             * (a bare document: YAML allows it; a lost '---' must not lose an exchange, and a
             * '---' cut short by a crash is a cut tail) */
            CBK_GROW(docs, n + 1, alloc);
            cur = &docs[n++];
            memset(cur, 0, sizeof(*cur));
            cur->start = pos;
            cur->line = line;
        }
        pos = next;
        line++;
    }
    if (cur && !cur->closed)
        cur->end = len;
    *out = docs;
    return n;
}

/* Parse one document; diagnostics get file-level line numbers. */
static enum cbk_code parse_doc(const char *buf, const struct doc *d, const char *file,
                               struct cbk_ydoc **out, struct cbk_diags *diags)
{
    size_t first = diags->nr;
    enum cbk_code rc =
        cbk_yaml_parse(buf + d->start, d->end - d->start, file, 64, CBK_E_CASSETTE, out, diags);
    for (size_t i = first; i < diags->nr; i++)
        if (diags->v[i].line > 0)
            diags->v[i].line += d->line - 1;
    return rc;
}

static size_t b64_decode(const char *s, size_t n, unsigned char *out, bool *ok)
{
    static unsigned char tab[256];
    static bool init;
    if (!init) {
        memset(tab, BASE64_INVALID, sizeof tab);
        const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; i < 64; i++)
            tab[(unsigned char)a[i]] = (unsigned char)i;
        init = true;
    }
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    *ok = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '=' || c == '\n' || c == ' ' || c == '\r')
            continue;
        if (tab[c] == BASE64_INVALID) {
            *ok = false;
            return 0;
        }
        acc = (acc << 6) | tab[c];
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

struct reader {
    struct cbk_cassette *c;
    struct cbk_ycheck ck;
    struct cbk_buf path;
};

/* A body: 'body' (text), 'bodyBase64' or 'json' (YAML structure). */
static int read_body(struct reader *r, const struct cbk_ynode *m, const char **out, size_t *len)
{
    *out = "";
    *len = 0;
    const struct cbk_ynode *b = cbk_y_get(m, "body"), *b64 = cbk_y_get(m, "bodyBase64"),
                           *js = cbk_y_get(m, "json");
    if (!!b + !!b64 + !!js > 1)
        return cbk_y_error(&r->ck, m, cbk_buf_str(&r->path),
                           "give one of body, bodyBase64 or json");
    if (b) {
        if (cbk_y_is_null(b))
            return 0;
        if (b->kind != CBK_Y_SCALAR)
            return cbk_y_error(&r->ck, b, cbk_buf_str(&r->path),
                               "body is text (use 'json' for a YAML structure)");
        *out = cbk_arena_strndup(&r->c->arena, b->str, b->len);
        *len = b->len;
        return 0;
    }
    if (b64) {
        if (b64->kind != CBK_Y_SCALAR)
            return cbk_y_error(&r->ck, b64, cbk_buf_str(&r->path), "bodyBase64 is text");
        unsigned char *d = cbk_arena_alloc(&r->c->arena, b64->len + 1);
        bool ok;
        size_t n = b64_decode(b64->str, b64->len, d, &ok);
        if (!ok)
            return cbk_y_error(&r->ck, b64, cbk_buf_str(&r->path), "bodyBase64 is not base64");
        d[n] = 0;
        *out = (const char *)d;
        *len = n;
        return 0;
    }
    if (js) {
        struct json_object *j = cbk_yaml_to_json(js);
        const char *s = j ? json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE)
                          : "null";
        *out = cbk_arena_strdup(&r->c->arena, s);
        *len = strlen(s);
        if (j)
            json_object_put(j);
    }
    return 0;
}

static int read_headers(struct reader *r, const struct cbk_ynode *m,
                        const struct cbk_http_header **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct cbk_ynode *h = cbk_y_get(m, "headers");
    if (!h || cbk_y_is_null(h))
        return 0;
    size_t mk = cbk_ypath_push(&r->path, "headers");
    int rc = cbk_y_expect(&r->ck, h, CBK_Y_MAP, cbk_buf_str(&r->path));
    if (rc == 0) {
        struct cbk_http_header *v = cbk_arena_alloc(&r->c->arena, (h->n ? h->n : 1) * sizeof(*v));
        for (size_t i = 0; i < h->n; i++) {
            const char *s;
            size_t mi = cbk_ypath_push(&r->path, h->keys[i]->str);
            if (cbk_y_str(&r->ck, h->items[i], cbk_buf_str(&r->path), &s) != 0) {
                rc = -1;
            } else {
                v[*n].name = cbk_arena_strdup(&r->c->arena, h->keys[i]->str);
                v[*n].value = cbk_arena_strndup(&r->c->arena, s, h->items[i]->len);
                (*n)++;
            }
            cbk_ypath_pop(&r->path, mi);
        }
        *out = v;
    }
    cbk_ypath_pop(&r->path, mk);
    return rc;
}

static void read_findings(struct reader *r, const struct cbk_ynode *v, bool *checked, bool *valid,
                          const struct cbk_cassette_finding **out, size_t *n)
{
    *checked = false;
    *valid = true;
    *out = NULL;
    *n = 0;
    if (!v)
        return;
    *checked = true;
    if (v->kind == CBK_Y_SCALAR) {
        *valid = strcmp(v->str, "valid") == 0;
        return;
    }
    const struct cbk_ynode *ok = cbk_y_get(v, "valid");
    bool b;
    if (ok && ok->kind == CBK_Y_SCALAR && cbk_y_bool(&r->ck, ok, cbk_buf_str(&r->path), &b) == 0)
        *valid = b;
    const struct cbk_ynode *list = cbk_y_get(v, "findings");
    if (!list || list->kind != CBK_Y_SEQ)
        return;
    struct cbk_cassette_finding *f =
        cbk_arena_calloc(&r->c->arena, (list->n ? list->n : 1) * sizeof(*f));
    for (size_t i = 0; i < list->n; i++) {
        const struct cbk_ynode *x = list->items[i];
        const struct cbk_ynode *p = cbk_y_get(x, "path"), *ru = cbk_y_get(x, "rule"),
                               *ms = cbk_y_get(x, "message"), *w = cbk_y_get(x, "warning");
        f[*n].path = p && p->kind == CBK_Y_SCALAR ? cbk_arena_strdup(&r->c->arena, p->str) : "";
        f[*n].rule = ru && ru->kind == CBK_Y_SCALAR ? cbk_arena_strdup(&r->c->arena, ru->str) : "";
        f[*n].message =
            ms && ms->kind == CBK_Y_SCALAR ? cbk_arena_strdup(&r->c->arena, ms->str) : "";
        f[*n].warning = w && w->kind == CBK_Y_SCALAR && strcmp(w->str, "true") == 0;
        (*n)++;
    }
    *out = f;
}

static const char *const header_keys[] = {"cbkit-cassette", "cbkit",       "spec", "created",
                                          "upstream",       "description", NULL};
static const char *const exchange_keys[] = {"exchange", "operation", "recorded",   "latencyMs",
                                            "request",  "response",  "validation", NULL};
static const char *const request_keys[] = {"headers", "body", "bodyBase64", "json", NULL};
static const char *const response_keys[] = {"status",     "headers", "body",
                                            "bodyBase64", "json",    NULL};

static int read_header(struct reader *r, const struct cbk_ynode *root)
{
    if (cbk_y_expect(&r->ck, root, CBK_Y_MAP, "") != 0)
        return -1;
    int rc = cbk_y_check_keys(&r->ck, root, "", header_keys);
    const struct cbk_ynode *v = cbk_y_require(&r->ck, root, "", "cbkit-cassette");
    int64_t ver;
    if (!v)
        return -1;
    if (cbk_y_int(&r->ck, v, "cbkit-cassette", 1, CBK_CASSETTE_VERSION, &ver) != 0)
        return -1;
    return rc;
}

static int read_exchange(struct reader *r, const struct cbk_ynode *root, struct cbk_exchange *x)
{
    if (cbk_y_expect(&r->ck, root, CBK_Y_MAP, "") != 0)
        return -1;
    int rc = cbk_y_check_keys(&r->ck, root, "", exchange_keys);
    const struct cbk_ynode *op = cbk_y_require(&r->ck, root, "", "operation");
    const char *s;
    if (op && cbk_y_str(&r->ck, op, "operation", &s) == 0) {
        x->operation = cbk_arena_strdup(&r->c->arena, s);
        if (!cbk_spec_op(r->c->spec, s))
            cbk_y_warn(&r->ck, op, "operation",
                       "operation '%s' is not in the spec; the exchange is never matched", s);
    } else {
        rc = -1;
    }
    const struct cbk_ynode *rec = cbk_y_get(root, "recorded");
    if (rec && rec->kind == CBK_Y_SCALAR && cbk_parse_iso8601_ms(rec->str, &x->recorded_ms) != 0)
        rc = cbk_y_error(&r->ck, rec, "recorded", "expected an ISO 8601 UTC time");
    const struct cbk_ynode *lat = cbk_y_get(root, "latencyMs");
    if (lat && cbk_y_int(&r->ck, lat, "latencyMs", 0, INT64_MAX, &x->latency_ms) != 0)
        rc = -1;
    const struct cbk_ynode *rq = cbk_y_require(&r->ck, root, "", "request");
    if (rq) {
        cbk_buf_reset(&r->path);
        cbk_ypath_push(&r->path, "request");
        if (cbk_y_expect(&r->ck, rq, CBK_Y_MAP, "request") == 0) {
            rc |= cbk_y_check_keys(&r->ck, rq, "request", request_keys);
            rc |= read_headers(r, rq, &x->req_headers, &x->nreq_headers);
            rc |= read_body(r, rq, &x->req_body, &x->req_body_len);
        } else {
            rc = -1;
        }
    } else {
        rc = -1;
    }
    const struct cbk_ynode *rs = cbk_y_require(&r->ck, root, "", "response");
    if (rs) {
        cbk_buf_reset(&r->path);
        cbk_ypath_push(&r->path, "response");
        if (cbk_y_expect(&r->ck, rs, CBK_Y_MAP, "response") == 0) {
            rc |= cbk_y_check_keys(&r->ck, rs, "response", response_keys);
            const struct cbk_ynode *st = cbk_y_require(&r->ck, rs, "response", "status");
            int64_t status;
            /* a final answer only: sent as is, a 1xx status is an interim response (101
             * Switching Protocols hands the connection over to another protocol) */
            if (!st || cbk_y_int(&r->ck, st, "response.status", INT_MIN, INT_MAX, &status) != 0)
                rc = -1;
            else if (status < 200 || status > 599)
                rc = cbk_y_error(&r->ck, st, "response.status",
                                 "status %" PRId64 " cannot be replayed: an answer's status is "
                                 "200..599",
                                 status);
            else
                x->status = (int)status;
            rc |= read_headers(r, rs, &x->resp_headers, &x->nresp_headers);
            rc |= read_body(r, rs, &x->resp_body, &x->resp_body_len);
        } else {
            rc = -1;
        }
    } else {
        rc = -1;
    }
    const struct cbk_ynode *val = cbk_y_get(root, "validation");
    if (val && val->kind == CBK_Y_MAP) {
        read_findings(r, cbk_y_get(val, "request"), &x->req_checked, &x->req_valid,
                      &x->req_findings, &x->nreq_findings);
        read_findings(r, cbk_y_get(val, "response"), &x->resp_checked, &x->resp_valid,
                      &x->resp_findings, &x->nresp_findings);
    }
    return rc ? -1 : 0;
}

static void free_seq(void *p);

static void free_ignore(void *p)
{
    struct cbk_ptrpats *set = p;
    cbk_ptrpats_release(set);
    free(set);
}

void cbk_cassette_free(struct cbk_cassette *c)
{
    if (!c)
        return;
    cbk_hmap_release(&c->index, free_seq);
    cbk_hmap_release(&c->ignores, free_ignore);
    cbk_arena_release(&c->arena);
    cbk_ptrpats_release(&c->user_ignore);
    pthread_mutex_destroy(&c->mu);
    free(c->x);
    free(c->file);
    free(c);
}

enum cbk_code cbk_cassette_load_buffer(const struct cbk_spec *spec, const char *buf, size_t len,
                                       const char *file, struct cbk_cassette **out,
                                       struct cbk_diags *diags)
{
    *out = NULL;
    if (!file)
        file = "<cassette>";
    struct cbk_cassette *c = cbk_xcalloc(1, sizeof(*c));
    cbk_arena_init(&c->arena, 1 << 16);
    c->file = cbk_xstrdup(file);
    c->spec = spec;
    c->repeat_last = true;
    pthread_mutex_init(&c->mu, NULL);
    cbk_hmap_init(&c->index);
    cbk_hmap_init(&c->ignores);

    struct doc *docs = NULL;
    size_t nd = split(buf, len, &docs);
    c->documents = nd ? nd - 1 : 0; /* the first document is the header */
    size_t errors_before = cbk_diags_error_count(diags);
    struct reader r;
    r.c = c;
    r.ck.file = c->file;
    r.ck.diags = diags;
    r.ck.code = CBK_E_CASSETTE;
    cbk_buf_init(&r.path, 1 << 12);
    if (nd == 0) {
        cbk_diags_addf(diags, CBK_E_CASSETTE, CBK_SEV_ERROR, file, 1, 1, NULL,
                       "not a cassette: no 'cbkit-cassette: 1' header");
    }
    for (size_t i = 0; i < nd && cbk_diags_error_count(diags) == errors_before; i++) {
        const struct doc *d = &docs[i];
        if (d->ignored) {
            cbk_diags_addf(diags, CBK_E_CASSETTE, CBK_SEV_WARNING, file, d->line, 1, NULL,
                           "the exchange starting here was cut short when recorded and is "
                           "ignored");
            continue;
        }
        if (!d->closed) {
            if (i == nd - 1 && i > 0) {
                cbk_diags_addf(diags, CBK_E_CASSETTE, CBK_SEV_WARNING, file, d->line, 1, NULL,
                               "the last exchange (from line %d to the end) was cut short, "
                               "probably by a crash while recording; it was dropped",
                               d->line);
                break;
            }
            cbk_diags_addf(diags, CBK_E_CASSETTE, CBK_SEV_ERROR, file, d->line, 1, NULL,
                           i == 0 ? "the header document has no end marker '...'"
                                  : "this exchange has no end marker '...' before the next "
                                    "one: the cassette is damaged here");
            break;
        }
        struct cbk_ydoc *yd = NULL;
        if (parse_doc(buf, d, file, &yd, diags) != CBK_OK)
            break;
        /* node lines are relative to the document: shift them for messages */
        size_t first_diag = diags->nr;
        if (i == 0) {
            if (!yd->root)
                cbk_diags_addf(diags, CBK_E_CASSETTE, CBK_SEV_ERROR, file, d->line, 1, NULL,
                               "the header document is empty");
            else
                read_header(&r, yd->root);
        } else if (yd->root) {
            CBK_GROW(c->x, c->n + 1, c->alloc);
            struct cbk_exchange *x = cbk_arena_calloc(&c->arena, sizeof(*x));
            c->x[c->n] = x;
            x->line = d->line;
            if (read_exchange(&r, yd->root, x) == 0) {
                x->index = i; /* its document's place: ignored ones keep their numbers */
                c->n++;
            }
        }
        for (size_t k = first_diag; k < diags->nr; k++)
            if (diags->v[k].line > 0)
                diags->v[k].line += d->line - 1;
        cbk_ydoc_free(yd);
    }
    cbk_buf_release(&r.path);
    free(docs);
    if (cbk_diags_error_count(diags) > errors_before) {
        cbk_cassette_free(c);
        return CBK_E_CASSETTE;
    }
    *out = c;
    return CBK_OK;
}

enum cbk_code cbk_cassette_load_file(const struct cbk_spec *spec, const char *path,
                                     struct cbk_cassette **out, struct cbk_diags *diags)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    enum cbk_code rc = cbk_file_read(path, CASSETTE_MAX_BYTES, "cassette", &buf, &len, diags);
    if (rc == CBK_OK)
        rc = cbk_cassette_load_buffer(spec, buf, len, path, out, diags);
    free(buf);
    return rc;
}

size_t cbk_cassette_count(const struct cbk_cassette *c)
{
    return c->n;
}

const struct cbk_exchange *cbk_cassette_at(const struct cbk_cassette *c, size_t i)
{
    return i < c->n ? c->x[i] : NULL;
}

const char *cbk_cassette_file(const struct cbk_cassette *c)
{
    return c->file;
}

void cbk_cassette_ignore(struct cbk_cassette *c, const char *pointer)
{
    pthread_mutex_lock(&c->mu);
    cbk_ptrpats_add(&c->user_ignore, pointer);
    c->indexed = false;
    pthread_mutex_unlock(&c->mu);
}

void cbk_cassette_repeat_last(struct cbk_cassette *c, bool repeat)
{
    pthread_mutex_lock(&c->mu);
    c->repeat_last = repeat;
    pthread_mutex_unlock(&c->mu);
}

/* ---- the index
 * ----------------------------------------------------------------------------------- */

struct skip_ctx {
    const struct cbk_ptrpats *spec_set, *user_set;
};

static bool skip_member(const char *pointer, void *arg)
{
    const struct skip_ctx *s = arg;
    for (size_t i = 0; i < s->spec_set->n; i++)
        if (cbk_ptrpat_match(s->spec_set->patterns[i], pointer))
            return true;
    for (size_t i = 0; i < s->user_set->n; i++)
        if (cbk_ptrpat_match(s->user_set->patterns[i], pointer))
            return true;
    return false;
}

/* The spec's volatile and sensitive members of an operation's input, computed once. */
static const struct cbk_ptrpats *op_ignores(struct cbk_cassette *c, const struct cbk_operation *op)
{
    size_t kl = strlen(op->name);
    struct cbk_ptrpats *set = cbk_hmap_get(&c->ignores, op->name, kl);
    if (!set) {
        set = cbk_xcalloc(1, sizeof(*set));
        cbk_ptrpats_from_shape(set, op->input, true);
        cbk_hmap_put(&c->ignores, op->name, kl, set);
    }
    return set;
}

/* "Op\n" + canonical body into 'key'; false when the body is not JSON. */
static bool request_key(struct cbk_cassette *c, const struct cbk_operation *op, const char *body,
                        size_t len, struct cbk_buf *key, struct json_object **doc_out)
{
    struct json_object *doc = NULL;
    if (len) {
        struct json_tokener *tok = json_tokener_new();
        doc = json_tokener_parse_ex(tok, body, (int)CBK_MIN(len, (size_t)INT_MAX));
        bool ok = json_tokener_get_error(tok) == json_tokener_success;
        json_tokener_free(tok);
        if (!ok) {
            if (doc)
                json_object_put(doc);
            return false;
        }
    } else {
        doc = json_object_new_object(); /* an empty body is {} */
    }
    struct skip_ctx s = {op_ignores(c, op), &c->user_ignore};
    cbk_buf_adds(key, op->name);
    cbk_buf_addc(key, '\n');
    cbk_json_canonical(doc, key, skip_member, &s);
    if (doc_out)
        *doc_out = doc;
    else
        json_object_put(doc);
    return true;
}

/* Sequences point at their exchanges directly: a lookup touches as little memory as it can. */
static void seq_add(struct cbk_seq *s, struct cbk_exchange *x)
{
    if (s->n == 0) {
        s->one = x;
    } else {
        if (s->n == 1) {
            CBK_GROW(s->more, 2, s->alloc);
            s->more[0] = s->one;
        }
        CBK_GROW(s->more, s->n + 1, s->alloc);
        s->more[s->n] = x;
    }
    s->n++;
}

static struct cbk_exchange *seq_at(const struct cbk_seq *s, size_t i)
{
    return s->n == 1 ? s->one : s->more[i];
}

/* The index's values are sequences kept inline in its entries: only their lists are freed. */
static void free_seq(void *p)
{
    struct cbk_seq *s = p;
    if (s)
        free(s->more);
}

static void build_index(struct cbk_cassette *c)
{
    cbk_hmap_release(&c->index, free_seq);
    struct cbk_buf key = CBK_BUF_INIT((size_t)1 << 30);
    for (size_t i = 0; i < c->n; i++) {
        const struct cbk_operation *op = cbk_spec_op(c->spec, c->x[i]->operation);
        if (!op)
            continue;
        cbk_buf_reset(&key);
        if (!request_key(c, op, c->x[i]->req_body, c->x[i]->req_body_len, &key, NULL))
            continue;
        struct cbk_seq *s = cbk_hmap_get(&c->index, key.ptr, key.len);
        if (!s)
            s = cbk_hmap_put_inline(&c->index, key.ptr, key.len, sizeof(*s));
        seq_add(s, c->x[i]);
    }
    cbk_buf_release(&key);
    c->indexed = true;
}

void cbk_cassette_rewind(struct cbk_cassette *c)
{
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->index.nbuckets; i++)
        for (struct cbk_hmap_entry *e = c->index.buckets[i]; e; e = e->next)
            ((struct cbk_seq *)e->value)->next = 0;
    pthread_mutex_unlock(&c->mu);
}

/* ---- near misses
 * --------------------------------------------------------------------------------- */

struct diff_ctx {
    struct cbk_buf *out;
    size_t count;
    struct skip_ctx skip;
};

static void diff(struct diff_ctx *d, struct json_object *a, struct json_object *b,
                 struct cbk_buf *ptr, int depth)
{
    if (depth > 32 || d->count > 50)
        return;
    if (ptr->len && skip_member(cbk_buf_str(ptr), &d->skip))
        return;
    bool ao = a && json_object_is_type(a, json_type_object);
    bool bo = b && json_object_is_type(b, json_type_object);
    if (ao && bo) {
        json_object_object_foreach(a, k, va)
        {
            size_t mark = ptr->len;
            cbk_buf_addc(ptr, '/');
            cbk_ptr_escape(ptr, k, strlen(k));
            struct json_object *vb = NULL;
            json_object_object_get_ex(b, k, &vb);
            diff(d, va, vb, ptr, depth + 1);
            cbk_buf_truncate(ptr, mark);
        }
        json_object_object_foreach(b, k2, vb2)
        {
            struct json_object *va2 = NULL;
            if (json_object_object_get_ex(a, k2, &va2))
                continue;
            size_t mark = ptr->len;
            cbk_buf_addc(ptr, '/');
            cbk_ptr_escape(ptr, k2, strlen(k2));
            diff(d, NULL, vb2, ptr, depth + 1);
            cbk_buf_truncate(ptr, mark);
        }
        return;
    }
    bool aa = a && json_object_is_type(a, json_type_array);
    bool ba = b && json_object_is_type(b, json_type_array);
    if (aa && ba && json_object_array_length(a) == json_object_array_length(b)) {
        for (size_t i = 0; i < json_object_array_length(a); i++) {
            size_t mark = ptr->len;
            cbk_buf_addf(ptr, "/%zu", i);
            diff(d, json_object_array_get_idx(a, i), json_object_array_get_idx(b, i), ptr,
                 depth + 1);
            cbk_buf_truncate(ptr, mark);
        }
        return;
    }
    if (cbk_jsonq_equal(a, b))
        return;
    if (d->out) {
        if (d->count)
            cbk_buf_adds(d->out, ", ");
        const char *av = a ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN) : "absent";
        const char *bv = b ? json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN) : "absent";
        cbk_buf_addf(d->out, "%s: %.60s recorded, %.60s now",
                     ptr->len ? cbk_buf_str(ptr) : "(body)", bv, av);
    }
    d->count++;
}

static char *near_miss_report(struct cbk_cassette *c, const struct cbk_operation *op,
                              struct json_object *doc)
{
    size_t best = SIZE_MAX, best_i = 0;
    const size_t max_candidates = 20000;
    size_t seen = 0;
    struct skip_ctx skip = {op_ignores(c, op), &c->user_ignore};
    for (size_t i = 0; i < c->n && seen < max_candidates; i++) {
        if (strcmp(c->x[i]->operation, op->name) != 0)
            continue;
        seen++;
        struct json_object *rec = c->x[i]->req_body_len
                                      ? cbk_jsonq_parse(c->x[i]->req_body, c->x[i]->req_body_len)
                                      : json_object_new_object();
        struct cbk_buf ptr = CBK_BUF_INIT(1 << 16);
        struct diff_ctx d = {NULL, 0, skip};
        diff(&d, doc, rec, &ptr, 0);
        cbk_buf_release(&ptr);
        if (rec)
            json_object_put(rec);
        if (d.count < best) {
            best = d.count;
            best_i = i;
        }
    }
    if (best == SIZE_MAX)
        return cbk_xasprintf("no exchange of %s was recorded", op->name);
    const struct cbk_exchange *x = c->x[best_i];
    struct json_object *rec =
        x->req_body_len ? cbk_jsonq_parse(x->req_body, x->req_body_len) : json_object_new_object();
    struct cbk_buf out = CBK_BUF_INIT(1 << 20), ptr = CBK_BUF_INIT(1 << 16);
    cbk_buf_addf(&out, "closest recorded %s: exchange %zu (line %d); differs at ", op->name,
                 x->index, x->line);
    struct diff_ctx d = {&out, 0, skip};
    diff(&d, doc, rec, &ptr, 0);
    if (d.count == 0)
        cbk_buf_adds(&out, "nothing (its recordings were all used)");
    cbk_buf_release(&ptr);
    if (rec)
        json_object_put(rec);
    return cbk_buf_detach(&out, NULL);
}

const struct cbk_exchange *cbk_cassette_lookup(struct cbk_cassette *c,
                                               const struct cbk_operation *op, const char *body,
                                               size_t len, char **near_miss)
{
    if (near_miss)
        *near_miss = NULL;
    struct cbk_buf key = CBK_BUF_INIT((size_t)1 << 30);
    struct json_object *doc = NULL;
    const struct cbk_exchange *found = NULL;
    pthread_mutex_lock(&c->mu);
    if (!c->indexed)
        build_index(c);
    if (request_key(c, op, body, len, &key, &doc)) {
        struct cbk_seq *s = cbk_hmap_get(&c->index, key.ptr, key.len);
        if (s && s->n) {
            if (s->next < s->n)
                found = seq_at(s, s->next++);
            else if (c->repeat_last)
                found = seq_at(s, s->n - 1);
        }
        if (!found && near_miss)
            *near_miss = near_miss_report(c, op, doc);
    } else if (near_miss) {
        *near_miss = cbk_xstrdup("the request body is not JSON");
    }
    pthread_mutex_unlock(&c->mu);
    if (doc)
        json_object_put(doc);
    cbk_buf_release(&key);
    return found;
}

/* Copy a string into the cassette's arena. */
static const char *keep(struct cbk_cassette *c, const char *s, size_t n)
{
    return s ? cbk_arena_strndup(&c->arena, s, n) : "";
}

void cbk_cassette_add(struct cbk_cassette *c, const struct cbk_exchange *src, bool used)
{
    pthread_mutex_lock(&c->mu);
    struct cbk_exchange *x = cbk_arena_calloc(&c->arena, sizeof(*x));
    *x = *src;
    x->operation = keep(c, src->operation, strlen(src->operation ? src->operation : ""));
    x->req_body = keep(c, src->req_body, src->req_body_len);
    x->resp_body = keep(c, src->resp_body, src->resp_body_len);
    struct cbk_http_header *h = cbk_arena_alloc(&c->arena, (src->nresp_headers + 1) * sizeof(*h));
    for (size_t i = 0; i < src->nresp_headers; i++) {
        h[i].name = keep(c, src->resp_headers[i].name, strlen(src->resp_headers[i].name));
        h[i].value = keep(c, src->resp_headers[i].value, strlen(src->resp_headers[i].value));
    }
    x->resp_headers = h;
    x->req_headers = NULL;
    x->nreq_headers = 0;
    x->req_findings = x->resp_findings = NULL;
    x->nreq_findings = x->nresp_findings = 0;
    CBK_GROW(c->x, c->n + 1, c->alloc);
    c->x[c->n++] = x;
    const struct cbk_operation *op = cbk_spec_op(c->spec, x->operation);
    if (c->indexed && op) {
        struct cbk_buf key = CBK_BUF_INIT((size_t)1 << 30);
        if (request_key(c, op, x->req_body, x->req_body_len, &key, NULL)) {
            struct cbk_seq *sq = cbk_hmap_get(&c->index, key.ptr, key.len);
            if (!sq)
                sq = cbk_hmap_put_inline(&c->index, key.ptr, key.len, sizeof(*sq));
            seq_add(sq, x);
            if (used && sq->next == sq->n - 1)
                sq->next = sq->n;
        }
        cbk_buf_release(&key);
    }
    pthread_mutex_unlock(&c->mu);
}
