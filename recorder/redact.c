/*
 * redact.c - secrets out of cassettes (see redact.h).
 */
#include "core/setup.h"
#include "core/regex.h"
#include "recorder/redact.h"
#include "cassette/cassette_internal.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonptr.h"
#include "core/jsonq.h"
#include "core/jsonscan.h"

static const char *const default_headers[] = {
    "authorization", "x-amz-security-token", "cookie", "set-cookie", "proxy-authorization",
};

struct op_sets {
    struct cbk_ignore_set in, out; /* sensitive members of input and output */
};

struct cbk_redactor {
    const struct cbk_spec *spec;
    char **headers;
    size_t nheaders;
    char **pointers;
    size_t npointers;
    struct cbk_regex **re;
    size_t nre;
    char **secrets;
    size_t nsecrets;
    struct op_sets *ops; /* per operation, same order as the spec */
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
    strv_free(r->secrets, r->nsecrets);
    if (r->ops) {
        for (size_t i = 0; i < cbk_spec_op_count(r->spec); i++) {
            cbk__ignore_release(&r->ops[i].in);
            cbk__ignore_release(&r->ops[i].out);
        }
        free(r->ops);
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
        r->re[r->nre++] = re;
    }
    size_t nops = cbk_spec_op_count(spec);
    r->ops = cbk_xcalloc(nops ? nops : 1, sizeof(*r->ops));
    for (size_t i = 0; i < nops; i++) {
        const struct cbk_operation *op = cbk_spec_op_at(spec, i);
        cbk__pointers_from_shape(&r->ops[i].in, op->input, false);
        cbk__pointers_from_shape(&r->ops[i].out, op->output, false);
    }
    if (rc) {
        cbk_redactor_free(r);
        return CBK_E_USAGE;
    }
    *out = r;
    return CBK_OK;
}

static bool value_secret(const struct cbk_redactor *r, const char *s, size_t n)
{
    for (size_t i = 0; i < r->nsecrets; i++)
        if (memmem(s, n, r->secrets[i], strlen(r->secrets[i])))
            return true;
    if (!r->nre)
        return false;
    /* an engine error is not proof that the value is clean: it counts as a hit */
    for (size_t i = 0; i < r->nre; i++)
        if (cbk_regex_match(r->re[i], s, n, NULL, 0) != CBK_RE_NOMATCH)
            return true;
    return false;
}

const char *cbk_redact_header(const struct cbk_redactor *r, const char *name, const char *value,
                              struct cbk_arena *a)
{
    (void)a;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(default_headers); i++)
        if (strcasecmp(name, default_headers[i]) == 0)
            return CBK_REDACTED;
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(name, r->headers[i]) == 0)
            return CBK_REDACTED;
    if (value && value_secret(r, value, strlen(value)))
        return CBK_REDACTED;
    return value;
}

/* ---- bodies -------------------------------------------------------------------------------- */

struct span {
    size_t start, end;
};

struct walk {
    const struct cbk_redactor *r;
    const struct cbk_ignore_set *sensitive;
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
    struct span *spans;
    size_t nspans, alloc;
};

static bool pointer_redacted(const struct walk *w)
{
    const char *p = cbk_buf_str(&w->ptr);
    for (size_t i = 0; i < w->sensitive->n; i++)
        if (cbk__ptr_pattern_match(w->sensitive->patterns[i], p))
            return true;
    for (size_t i = 0; i < w->r->npointers; i++)
        if (cbk__ptr_pattern_match(w->r->pointers[i], p))
            return true;
    return false;
}

static void add_span(struct walk *w, size_t start, size_t end)
{
    CBK_GROW(w->spans, w->nspans + 1, w->alloc);
    w->spans[w->nspans].start = start;
    w->spans[w->nspans].end = end;
    w->nspans++;
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
    case CBK_JEV_KEY:
        w->key_mark = w->ptr.len;
        cbk_buf_addc(&w->ptr, '/');
        cbk_ptr_escape(&w->ptr, ev->str, ev->len);
        w->have_key = true;
        return 0;
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
        return 0;
    }
    case CBK_JEV_OBJ_END:
    case CBK_JEV_ARR_END: {
        struct frame *f = &w->stack[--w->depth];
        if (f->redact_all)
            add_span(w, f->start, ev->offset + 1);
        cbk_buf_truncate(&w->ptr, f->mark);
        w->have_key = false;
        return 0;
    }
    default:
        break;
    }
    /* a scalar */
    enter_value(w);
    if (!inside_redacted(w) && ev->type != CBK_JEV_NULL) {
        size_t end = ev->type == CBK_JEV_STRING ? string_end(w->buf, w->len, ev->offset)
                                                : ev->offset + ev->len;
        bool hit = w->ptr.len && pointer_redacted(w);
        if (!hit && ev->type == CBK_JEV_STRING)
            hit = value_secret(w->r, ev->str, ev->len);
        if (hit)
            add_span(w, ev->offset, end);
    }
    leave_value(w);
    return 0;
}

static const char *splice(const char *body, size_t len, const struct span *s, size_t n,
                          size_t *out_len, struct cbk_arena *a)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 31);
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].start < pos)
            continue;
        cbk_buf_add(&b, body + pos, s[i].start - pos);
        cbk_buf_adds(&b, "\"" CBK_REDACTED "\"");
        pos = s[i].end;
    }
    cbk_buf_add(&b, body + pos, len - pos);
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

const char *cbk_redact_body(const struct cbk_redactor *r, const struct cbk_operation *op,
                            bool response, const char *body, size_t len, size_t *out_len,
                            struct cbk_arena *a, bool *redacted)
{
    *out_len = len;
    *redacted = false;
    if (!len)
        return body;
    static const struct cbk_ignore_set none;
    struct walk w;
    memset(&w, 0, sizeof w);
    w.r = r;
    w.sensitive = &none;
    if (op) {
        for (size_t i = 0; i < cbk_spec_op_count(r->spec); i++)
            if (cbk_spec_op_at(r->spec, i) == op)
                w.sensitive = response ? &r->ops[i].out : &r->ops[i].in;
    }
    w.buf = body;
    w.len = len;
    cbk_buf_init(&w.ptr, (size_t)1 << 24);
    struct cbk_buf scratch = CBK_BUF_INIT((size_t)1 << 30);
    struct cbk_json_error err;
    int rc = cbk_json_scan(body, len, CBK_JSON_MAX_DEPTH, &scratch, on_event, &w, &err);
    cbk_buf_release(&scratch);
    cbk_buf_release(&w.ptr);
    const char *out = body;
    if (rc != 0) {
        /* not JSON: no structure to go by; replace the whole body if it holds a secret */
        free(w.spans);
        if (value_secret(r, body, len)) {
            *redacted = true;
            *out_len = strlen(CBK_REDACTED);
            return CBK_REDACTED;
        }
        return body;
    }
    if (w.nspans) {
        qsort(w.spans, w.nspans, sizeof *w.spans, cmp_span);
        out = splice(body, len, w.spans, w.nspans, out_len, a);
        *redacted = true;
    }
    free(w.spans);
    return out;
}
