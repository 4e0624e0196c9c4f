/*
 * redact.c - secrets out of cassettes (see redact.h).
 */
#include "core/setup.h"
#include "core/regex.h"
#include "recorder/redact.h"
#include "spec/pointers.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonptr.h"
#include "core/jsonq.h"
#include "core/jsonscan.h"

#include <pthread.h>
#include <stdatomic.h>

/* Headers always redacted, whatever their value. */
static const char *const default_headers[] = {
    "authorization", "proxy-authorization", "x-amz-security-token", "cookie",
    "set-cookie",    "x-api-key",           "x-auth-token",
};

/* Parts of header names that say the header carries a credential (compared without case):
 * "X-Access-Token", "X-Vault-Token", "X-Client-Secret", "Api-Key", "X-Csrf-Token", ... */
static const char *const secret_name_parts[] = {
    "auth",    "token",  "secret",     "passw",   "apikey",    "api-key",
    "api_key", "cookie", "credential", "session", "signature", "private-key",
};

/* The sensitive members of one operation, worked out on first use (the whole CodeBuild model
 * has 59 operations; a mock or recorder uses a few, and starts faster without the rest). */
struct op_sets {
    atomic_bool ready;
    struct cbk_ptrpats in, out; /* sensitive members of input and output */
};

struct cbk_redactor {
    const struct cbk_spec *spec;
    char **headers;
    size_t nheaders;
    char **pointers;
    size_t npointers;
    struct cbk_regex **re;
    char **re_src; /* the patterns as given, for warnings */
    size_t nre;
    char **secrets;
    size_t nsecrets;
    struct op_sets *ops;     /* per operation, same order as the spec */
    pthread_mutex_t *ops_mu; /* taken to fill ops[i] the first time */
};

static char **strv_dup(const char *const *v, size_t n)
{
    char **out = cbk_xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        out[i] = cbk_xstrdup(v[i]);
    return out;
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void cbk_redactor_free(struct cbk_redactor *r)
{
    if (!r)
        return;
    strv_free(r->headers, r->nheaders);
    strv_free(r->pointers, r->npointers);
    for (size_t i = 0; i < r->nre; i++)
        cbk_regex_free(r->re[i]);
    free(r->re);
    strv_free(r->re_src, r->nre);
    strv_free(r->secrets, r->nsecrets);
    if (r->ops) {
        for (size_t i = 0; i < cbk_spec_op_count(r->spec); i++) {
            cbk_ptrpats_release(&r->ops[i].in);
            cbk_ptrpats_release(&r->ops[i].out);
        }
        free(r->ops);
    }
    if (r->ops_mu) {
        pthread_mutex_destroy(r->ops_mu);
        free(r->ops_mu);
    }
    free(r);
}

enum cbk_code cbk_redactor_new(const struct cbk_spec *spec, const struct cbk_redact_rules *rules,
                               struct cbk_redactor **out, struct cbk_diags *diags)
{
    *out = NULL;
    struct cbk_redactor *r = cbk_xcalloc(1, sizeof(*r));
    r->spec = spec;
    r->headers = strv_dup(rules->headers, rules->nheaders);
    r->nheaders = rules->nheaders;
    for (size_t i = 0; i < r->nheaders; i++)
        for (char *p = r->headers[i]; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    r->pointers = strv_dup(rules->pointers, rules->npointers);
    r->npointers = rules->npointers;
    size_t nsec = 0;
    r->secrets = cbk_xcalloc(rules->nsecrets ? rules->nsecrets : 1, sizeof(char *));
    for (size_t i = 0; i < rules->nsecrets; i++)
        if (rules->secrets[i] && strlen(rules->secrets[i]) >= 4) /* too short to be a secret */
            r->secrets[nsec++] = cbk_xstrdup(rules->secrets[i]);
    r->nsecrets = nsec;
    int rc = 0;
    for (size_t i = 0; i < rules->npointers; i++)
        if (!cbk_jsonq_pointer_valid(rules->pointers[i]) || !rules->pointers[i][0])
            rc = cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                                "'%s' is not a JSON pointer to redact (write "
                                "/member/*/field)",
                                rules->pointers[i]);
    r->re = cbk_xcalloc(rules->npatterns ? rules->npatterns : 1, sizeof(*r->re));
    r->re_src = cbk_xcalloc(rules->npatterns ? rules->npatterns : 1, sizeof(char *));
    for (size_t i = 0; i < rules->npatterns; i++) {
        char msg[256];
        size_t off = 0;
        /* bodies and headers need not be UTF-8: a secret next to a stray byte still counts */
        struct cbk_regex *re =
            cbk_regex_compile(rules->patterns[i], strlen(rules->patterns[i]),
                              CBK_RE_UTF | CBK_RE_MATCH_INVALID_UTF, msg, sizeof msg, &off);
        if (!re) {
            rc = cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, NULL, 0, 0, NULL,
                                "redaction pattern '%s': %s at offset %zu", rules->patterns[i], msg,
                                off);
            continue;
        }
        r->re_src[r->nre] = cbk_xstrdup(rules->patterns[i]);
        r->re[r->nre++] = re;
    }
    size_t nops = cbk_spec_op_count(spec);
    r->ops = cbk_xcalloc(nops ? nops : 1, sizeof(*r->ops));
    for (size_t i = 0; i < nops; i++)
        atomic_init(&r->ops[i].ready, false);
    r->ops_mu = cbk_xmalloc(sizeof(*r->ops_mu));
    pthread_mutex_init(r->ops_mu, NULL);
    if (rc) {
        cbk_redactor_free(r);
        return CBK_E_USAGE;
    }
    *out = r;
    return CBK_OK;
}

/* The sensitive members of op's input or output (an empty set for NULL or a foreign op). */
static const struct cbk_ptrpats *sensitive_set(const struct cbk_redactor *r,
                                               const struct cbk_operation *op, bool response)
{
    static const struct cbk_ptrpats none;
    if (!op)
        return &none;
    /* the spec keeps its operations in one array: the index is the distance from the first */
    size_t n = cbk_spec_op_count(r->spec);
    const struct cbk_operation *first = cbk_spec_op_at(r->spec, 0);
    uintptr_t at = (uintptr_t)op, lo = (uintptr_t)first;
    size_t i = n;
    if (first && at >= lo && (at - lo) % sizeof(*op) == 0 && (at - lo) / sizeof(*op) < n)
        i = (size_t)((at - lo) / sizeof(*op));
    else if ((op = cbk_spec_op(r->spec, op->name)) != NULL)
        i = (size_t)(((uintptr_t)op - lo) / sizeof(*op));
    if (i >= n)
        return &none;
    struct op_sets *o = &r->ops[i];
    if (!atomic_load_explicit(&o->ready, memory_order_acquire)) {
        pthread_mutex_lock(r->ops_mu);
        if (!atomic_load_explicit(&o->ready, memory_order_relaxed)) {
            const struct cbk_operation *sop = cbk_spec_op_at(r->spec, i);
            cbk_ptrpats_from_shape(&o->in, sop->input, false);
            cbk_ptrpats_from_shape(&o->out, sop->output, false);
            atomic_store_explicit(&o->ready, true, memory_order_release);
        }
        pthread_mutex_unlock(r->ops_mu);
    }
    return response ? &o->out : &o->in;
}

bool cbk_redact_has_sensitive(const struct cbk_redactor *r, const struct cbk_operation *op,
                              bool response)
{
    return sensitive_set(r, op, response)->n > 0;
}

/* ---- what is a secret ------------------------------------------------------------------------ */

/* Append 'p' to an arena-grown array of strings. */
static void strs_push(const char ***v, size_t *n, size_t *alloc, const char *p, struct cbk_arena *a)
{
    if (*n == *alloc) {
        size_t na = *alloc ? *alloc * 2 : 8;
        const char **nv = cbk_arena_alloc(a, na * sizeof(*nv));
        if (*n)
            memcpy(nv, *v, *n * sizeof(*nv));
        *v = nv;
        *alloc = na;
    }
    (*v)[(*n)++] = p;
}

/* One spelling of a value: does it hold a credential or match a pattern? An engine error
 * counts as a match (fail closed) and is told to 'info'. */
static bool spelling_secret(const struct cbk_redactor *r, const char *s, size_t n,
                            struct cbk_redact_info *info, struct cbk_arena *a)
{
    for (size_t i = 0; i < r->nsecrets; i++)
        if (memmem(s, n, r->secrets[i], strlen(r->secrets[i])))
            return true;
    for (size_t i = 0; i < r->nre; i++) {
        char why[160];
        enum cbk_re_result rc = cbk_regex_match(r->re[i], s, n, why, sizeof why);
        if (rc == CBK_RE_NOMATCH)
            continue;
        if (rc == CBK_RE_ERROR && info) {
            if (!info->engine_errors++ && a)
                info->engine_why = cbk_arena_printf(a, "pattern '%s' could not be evaluated (%s)",
                                                    r->re_src[i], why);
        }
        return true;
    }
    return false;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append code point 'cp' as UTF-8. */
static void add_utf8(struct cbk_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cbk_buf_add(b, u, n);
}

/* The four hex digits at s[0..4) as a number, or -1. */
static long hex4(const char *s)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval((unsigned char)s[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* s[0..n) with JSON string escapes resolved ("\/" is "/", "\u0041" is "A"); anything that is
 * not an escape is kept as it is. */
static void json_unescape(const char *s, size_t n, struct cbk_buf *out)
{
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\' || i + 1 >= n) {
            cbk_buf_addc(out, s[i++]);
            continue;
        }
        char c = s[i + 1];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *simple = c ? strchr(from, c) : NULL;
        if (simple) {
            cbk_buf_addc(out, to[simple - from]);
            i += 2;
            continue;
        }
        long cp = c == 'u' && i + 6 <= n ? hex4(s + i + 2) : -1;
        if (cp < 0) {
            cbk_buf_addc(out, s[i++]);
            continue;
        }
        i += 6;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
            long lo = hex4(s + i + 2);
            if (lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
        }
        add_utf8(out, (uint32_t)cp);
    }
}

/* s[0..n) with percent escapes resolved ("%2F" is "/"); a '%' without two hex digits stays. */
static void percent_decode(const char *s, size_t n, struct cbk_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        int h1 = s[i] == '%' && i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
        int h2 = h1 >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
        if (h2 >= 0) {
            cbk_buf_addc(out, (char)(h1 * 16 + h2));
            i += 2;
        } else {
            cbk_buf_addc(out, s[i]);
        }
    }
}

/*
 * Does s[0..n) hold a credential or match a pattern, as it is, with its JSON escapes resolved
 * ("wJal\/..." in a body that is not JSON, or a JSON document inside a string), with its
 * percent escapes resolved (a URL or form body), or both?
 */
static bool value_secret(const struct cbk_redactor *r, const char *s, size_t n,
                         struct cbk_redact_info *info, struct cbk_arena *a)
{
    if (!r->nsecrets && !r->nre)
        return false;
    if (spelling_secret(r, s, n, info, a))
        return true;
    bool esc = memchr(s, '\\', n) != NULL, pct = memchr(s, '%', n) != NULL;
    if (!esc && !pct)
        return false;
    struct cbk_buf u = CBK_BUF_INIT(n + 16), p = CBK_BUF_INIT(n + 16);
    bool hit = false;
    if (esc) {
        json_unescape(s, n, &u);
        hit = spelling_secret(r, cbk_buf_str(&u), u.len, info, a);
    }
    if (!hit && pct) {
        percent_decode(s, n, &p);
        hit = spelling_secret(r, cbk_buf_str(&p), p.len, info, a);
    }
    if (!hit && esc && memchr(cbk_buf_str(&u), '%', u.len)) {
        cbk_buf_reset(&p);
        percent_decode(cbk_buf_str(&u), u.len, &p);
        hit = spelling_secret(r, cbk_buf_str(&p), p.len, info, a);
    }
    cbk_buf_release(&u);
    cbk_buf_release(&p);
    return hit;
}

/* Does the header's name say that it carries a credential? */
static bool secret_header_name(const struct cbk_redactor *r, const char *name)
{
    for (size_t i = 0; i < CBK_ARRAY_SIZE(default_headers); i++)
        if (strcasecmp(name, default_headers[i]) == 0)
            return true;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(name, r->headers[i]) == 0)
            return true;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(secret_name_parts); i++)
        if (strcasestr(name, secret_name_parts[i]))
            return true;
    return false;
}

const char *cbk_redact_header(const struct cbk_redactor *r, const char *name, const char *value,
                              struct cbk_arena *a, struct cbk_redact_info *info)
{
    if (secret_header_name(r, name) || (value && value_secret(r, value, strlen(value), info, a))) {
        if (info)
            info->redacted = true;
        return CBK_REDACTED;
    }
    return value;
}

/* ---- bodies -------------------------------------------------------------------------------- */

struct span {
    size_t start, end;
};

struct walk {
    const struct cbk_redactor *r;
    const struct cbk_ptrpats *sensitive;
    const char *buf;
    size_t len;
    struct cbk_buf ptr;
    /* one frame per open container: pointer length, array index, is array */
    struct frame {
        size_t mark;
        size_t index;
        bool array;
        bool redact_all; /* the container itself is redacted: skip its contents */
        size_t start;
    } stack[CBK_JSON_MAX_DEPTH + 1];
    size_t depth;
    size_t key_mark; /* pointer length before the current member's key */
    bool have_key;
    size_t safe_end; /* where the last complete token ends: everything before it was seen */
    struct span *spans;
    size_t nspans, alloc;
    struct cbk_redact_info *info; /* the caller's, or a local one */
    struct cbk_arena *a;
};

/* Does pattern 'p' (with '*' tokens) match pointer 'ptr' or one of its ancestors? */
static bool pattern_covers(const char *p, const char *ptr)
{
    struct cbk_buf pre = CBK_BUF_INIT((size_t)1 << 24);
    bool hit = false;
    size_t n = strlen(ptr);
    for (size_t i = 1; i <= n && !hit; i++) {
        if (i < n && ptr[i] != '/')
            continue;
        cbk_buf_reset(&pre);
        cbk_buf_add(&pre, ptr, i);
        hit = cbk_ptrpat_match(p, cbk_buf_str(&pre));
    }
    cbk_buf_release(&pre);
    return hit;
}

/* Is 'ptr' a member the spec marks sensitive or a user pointer (or inside one, when 'inside')? */
static bool rule_covers(const struct cbk_redactor *r, const struct cbk_ptrpats *sensitive,
                        const char *ptr, bool inside)
{
    for (size_t i = 0; i < sensitive->n; i++)
        if (inside ? pattern_covers(sensitive->patterns[i], ptr)
                   : cbk_ptrpat_match(sensitive->patterns[i], ptr))
            return true;
    for (size_t i = 0; i < r->npointers; i++)
        if (inside ? pattern_covers(r->pointers[i], ptr) : cbk_ptrpat_match(r->pointers[i], ptr))
            return true;
    return false;
}

static bool pointer_redacted(const struct walk *w)
{
    return rule_covers(w->r, w->sensitive, cbk_buf_str(&w->ptr), false);
}

/* Replace body[start..end) and remember the pointer of what it was. */
static void add_span(struct walk *w, size_t start, size_t end)
{
    CBK_GROW(w->spans, w->nspans + 1, w->alloc);
    w->spans[w->nspans].start = start;
    w->spans[w->nspans].end = end;
    w->nspans++;
    struct cbk_redact_info *in = w->info;
    strs_push(&in->pointers, &in->npointers, &in->pointers_alloc,
              cbk_arena_strndup(w->a, cbk_buf_str(&w->ptr), w->ptr.len), w->a);
}

/* Where the JSON string token starting at 'off' (its quote) ends (after the closing quote). */
static size_t string_end(const char *buf, size_t len, size_t off)
{
    size_t i = off + 1;
    while (i < len) {
        if (buf[i] == '\\')
            i += 2;
        else if (buf[i] == '"')
            return i + 1;
        else
            i++;
    }
    return len;
}

static bool inside_redacted(const struct walk *w)
{
    for (size_t i = 0; i < w->depth; i++)
        if (w->stack[i].redact_all)
            return true;
    return false;
}

/* Enter a value: push its pointer token (array index or the pending key). */
static void enter_value(struct walk *w)
{
    if (w->depth && w->stack[w->depth - 1].array) {
        struct frame *f = &w->stack[w->depth - 1];
        w->key_mark = w->ptr.len;
        cbk_buf_addf(&w->ptr, "/%zu", f->index++);
        w->have_key = true;
    }
}

static void leave_value(struct walk *w)
{
    if (w->have_key) {
        cbk_buf_truncate(&w->ptr, w->key_mark);
        w->have_key = false;
    }
}

static int on_event(void *ctx, const struct cbk_jevent *ev)
{
    struct walk *w = ctx;
    switch (ev->type) {
    case CBK_JEV_KEY: {
        w->key_mark = w->ptr.len;
        cbk_buf_addc(&w->ptr, '/');
        cbk_ptr_escape(&w->ptr, ev->str, ev->len);
        w->have_key = true;
        size_t end = string_end(w->buf, w->len, ev->offset);
        w->safe_end = end;
        /* a secret used as a member name: the name goes, the value is judged on its own */
        if (!inside_redacted(w) && value_secret(w->r, ev->str, ev->len, w->info, w->a)) {
            add_span(w, ev->offset, end);
            strs_push(&w->info->keys, &w->info->nkeys, &w->info->keys_alloc,
                      cbk_arena_strndup(w->a, ev->str, ev->len), w->a);
        }
        return 0;
    }
    case CBK_JEV_OBJ_START:
    case CBK_JEV_ARR_START: {
        enter_value(w);
        struct frame *f = &w->stack[w->depth++];
        f->mark = w->have_key ? w->key_mark : w->ptr.len;
        f->index = 0;
        f->array = ev->type == CBK_JEV_ARR_START;
        f->start = ev->offset;
        f->redact_all = false; /* the slot may still hold a closed sibling's flag */
        f->redact_all = !inside_redacted(w) && w->ptr.len && pointer_redacted(w);
        w->have_key = false;
        w->safe_end = ev->offset + 1;
        return 0;
    }
    case CBK_JEV_OBJ_END:
    case CBK_JEV_ARR_END: {
        struct frame *f = &w->stack[--w->depth];
        if (f->redact_all) /* w->ptr is still the container's own pointer */
            add_span(w, f->start, ev->offset + 1);
        cbk_buf_truncate(&w->ptr, f->mark);
        w->have_key = false;
        w->safe_end = ev->offset + 1;
        return 0;
    }
    default:
        break;
    }
    /* a scalar */
    enter_value(w);
    size_t end =
        ev->type == CBK_JEV_STRING ? string_end(w->buf, w->len, ev->offset) : ev->offset + ev->len;
    if (!inside_redacted(w) && ev->type != CBK_JEV_NULL) {
        bool hit = w->ptr.len && pointer_redacted(w);
        if (!hit && ev->type == CBK_JEV_STRING)
            hit = value_secret(w->r, ev->str, ev->len, w->info, w->a);
        if (hit)
            add_span(w, ev->offset, end);
    }
    w->safe_end = end;
    leave_value(w);
    return 0;
}

/* Copy body[0..len) with the spans replaced by "[REDACTED]" (as a JSON string), then 'tail'. */
static const char *splice(const char *body, size_t len, const struct span *s, size_t n,
                          const char *tail, size_t *out_len, struct cbk_arena *a)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 31);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].start < pos || s[i].start >= len)
            continue;
        cbk_buf_add(&b, body + pos, s[i].start - pos);
        cbk_buf_adds(&b, "\"" CBK_REDACTED "\"");
        pos = CBK_MIN(s[i].end, len);
    }
    cbk_buf_add(&b, body + pos, len - pos);
    if (tail)
        cbk_buf_adds(&b, tail);
    const char *out = cbk_arena_strndup(a, cbk_buf_str(&b), b.len);
    *out_len = b.len;
    cbk_buf_release(&b);
    return out;
}

static int cmp_span(const void *x, const void *y)
{
    const struct span *a = x, *b = y;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* Does the body try to be JSON (its first byte that is not white space opens a container)? */
static bool looks_like_json(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
        i++;
    return i < len && (body[i] == '{' || body[i] == '[');
}

const char *cbk_redact_body(const struct cbk_redactor *r, const struct cbk_operation *op,
                            bool response, const char *body, size_t len, size_t *out_len,
                            struct cbk_arena *a, struct cbk_redact_info *info)
{
    struct cbk_redact_info local;
    if (!info) {
        memset(&local, 0, sizeof local);
        info = &local;
    }
    *out_len = len;
    if (!len)
        return body;
    struct walk *w = cbk_xcalloc(1, sizeof(*w)); /* about 40 KiB: not on the stack */
    w->r = r;
    w->sensitive = sensitive_set(r, op, response);
    w->buf = body;
    w->len = len;
    w->info = info;
    w->a = a;
    cbk_buf_init(&w->ptr, (size_t)1 << 24);
    struct cbk_buf scratch = CBK_BUF_INIT((size_t)1 << 30);
    struct cbk_json_error err;
    int rc = cbk_json_scan(body, len, CBK_JSON_MAX_DEPTH, &scratch, on_event, w, &err);
    cbk_buf_release(&scratch);
    const char *out = body;
    size_t cut = SIZE_MAX;
    if (rc != 0 && !looks_like_json(body, len)) {
        /* not JSON at all: no structure to go by; replace the whole body if it holds a secret */
        w->nspans = 0;
        if (value_secret(r, body, len, info, a)) {
            info->redacted = info->whole = true;
            *out_len = strlen(CBK_REDACTED);
            out = CBK_REDACTED;
        }
        goto done;
    }
    if (rc != 0) {
        /* JSON up to w->safe_end, then not: what follows cannot be placed, so it goes when the
         * rules need the structure (sensitive members, user pointers) or when it holds a
         * secret; a redacted container still open goes from its start */
        if (w->sensitive->n || r->npointers ||
            value_secret(r, body + w->safe_end, len - w->safe_end, info, a))
            cut = w->safe_end;
        for (size_t i = 0; i < w->depth; i++)
            if (w->stack[i].redact_all) {
                cut = CBK_MIN(cut, w->stack[i].start);
                break;
            }
    }
    if (cut != SIZE_MAX) {
        info->cut = true;
        info->cut_at = cut;
    }
    if (w->nspans || cut != SIZE_MAX) {
        if (w->nspans)
            qsort(w->spans, w->nspans, sizeof *w->spans, cmp_span);
        out = splice(body, cut != SIZE_MAX ? cut : len, w->spans, w->nspans,
                     cut != SIZE_MAX ? CBK_REDACTED : NULL, out_len, a);
        info->redacted = true;
    }
done:
    cbk_buf_release(&w->ptr);
    free(w->spans);
    free(w);
    return out;
}

/* ---- findings ------------------------------------------------------------------------------ */

/* Is 'ptr' the pointer 'p' or inside it? */
static bool at_or_under(const char *p, const char *ptr)
{
    size_t n = strlen(p);
    return strncmp(ptr, p, n) == 0 && (ptr[n] == '\0' || ptr[n] == '/' || n == 0);
}

/* Replace every occurrence of 'what' in 's' by 'with'; the result in 'a'. */
static const char *replace_all(const char *s, const char *what, const char *with,
                               struct cbk_arena *a)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    size_t wl = strlen(what);
    const char *p = s, *q;
    while ((q = strstr(p, what)) != NULL) {
        cbk_buf_add(&b, p, (size_t)(q - p));
        cbk_buf_adds(&b, with);
        p = q + wl;
    }
    cbk_buf_adds(&b, p);
    const char *out = cbk_arena_strndup(a, cbk_buf_str(&b), b.len);
    cbk_buf_release(&b);
    return out;
}

bool cbk_redact_finding(const struct cbk_redactor *r, const struct cbk_operation *op, bool response,
                        const struct cbk_redact_info *info, const char *path, const char *actual,
                        const char *message, struct cbk_arena *a, const char **out_path,
                        const char **out_message)
{
    *out_path = path;
    *out_message = message;
    struct cbk_redact_info scratch; /* engine errors here were told when the body was redacted */
    memset(&scratch, 0, sizeof scratch);
    /* the pointer: tokens that are redacted keys or hold a secret */
    struct cbk_buf np = CBK_BUF_INIT((size_t)1 << 24), tok = CBK_BUF_INIT((size_t)1 << 24);
    bool key_hit = false, last_key_hit = false;
    for (const char *p = path; *p == '/';) {
        const char *e = strchr(p + 1, '/');
        size_t tl = e ? (size_t)(e - p - 1) : strlen(p + 1);
        cbk_buf_reset(&tok);
        for (size_t i = 0; i < tl; i++) { /* RFC 6901: "~1" is '/', "~0" is '~' */
            char c = p[1 + i];
            if (c == '~' && i + 1 < tl && (p[2 + i] == '0' || p[2 + i] == '1')) {
                c = p[2 + i] == '1' ? '/' : '~';
                i++;
            }
            cbk_buf_addc(&tok, c);
        }
        bool hit = false;
        for (size_t k = 0; info && k < info->nkeys && !hit; k++)
            hit = strcmp(info->keys[k], cbk_buf_str(&tok)) == 0;
        if (!hit)
            hit = value_secret(r, cbk_buf_str(&tok), tok.len, &scratch, NULL);
        cbk_buf_addc(&np, '/');
        if (hit)
            cbk_buf_adds(&np, CBK_REDACTED);
        else
            cbk_buf_add(&np, p + 1, tl);
        key_hit = key_hit || hit;
        last_key_hit = hit;
        p += 1 + tl;
    }
    if (key_hit)
        *out_path = cbk_arena_strndup(a, cbk_buf_str(&np), np.len);
    cbk_buf_release(&np);
    cbk_buf_release(&tok);
    /* the value: redacted in the body, or covered by a rule */
    bool value_hit = info && info->whole;
    for (size_t i = 0; info && i < info->npointers && !value_hit; i++)
        value_hit = at_or_under(info->pointers[i], path);
    if (!value_hit)
        value_hit = rule_covers(r, sensitive_set(r, op, response), path, true);
    if ((value_hit || last_key_hit) && actual && *actual && strstr(message, actual))
        *out_message = replace_all(message, actual,
                                   actual[0] == '"' ? "\"" CBK_REDACTED "\"" : CBK_REDACTED, a);
    /* whatever else it quotes */
    if (value_secret(r, *out_message, strlen(*out_message), &scratch, NULL))
        *out_message = CBK_REDACTED " (the message quoted a secret)";
    return *out_path != path || *out_message != message;
}
