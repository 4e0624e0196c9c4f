/*
 * validate.c - walk a compiled shape along a stream of JSON events and report every
 * violation (docs/validation.md).
 *
 * The core (on_event) does not know where events come from: the streaming scanner
 * (cbk_validate_buffer) and a json-c document walk (cbk_validate_json) both feed it. State is
 * a stack of frames, one per open container; the JSON pointer grows and shrinks with it and
 * is copied out only when something is reported, so a valid document costs no allocation once
 * the report's scratch space has grown to fit.
 */
#include "core/setup.h"
#include "core/regex.h"
#include "cbkit/validate.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/jsonptr.h"
#include "core/jsonscan.h"
#include "core/strtab.h"

#include <json-c/json.h>
#include <math.h>

#define DEFAULT_MAX_DEPTH      64
#define DEFAULT_MAX_SIZE       ((size_t)8 << 20)
#define DEFAULT_MAX_VIOLATIONS 1000

static const char *const rule_names[] = {"syntax", "type",  "required", "unknown", "length",
                                         "range",  "items", "enum",     "pattern"};

const char *cbk_rule_name(enum cbk_rule r)
{
    if ((unsigned)r >= CBK_ARRAY_SIZE(rule_names))
        return "unknown-rule";
    return rule_names[r];
}

/* ---- reports --------------------------------------------------------------------------- */

enum fkind { F_STRUCT, F_LIST, F_MAP, F_SKIP };

struct vframe {
    enum fkind kind;
    bool in_struct;               /* this container is the value of a structure member */
    const struct cbk_member *m;   /* describes this container (NULL for F_SKIP) */
    size_t ptr_mark;              /* pointer length of the container itself */
    size_t count;                 /* members/items seen */
    size_t bits_off;              /* F_STRUCT: offset of its seen-bits in r->bits */
    const struct cbk_member *cur; /* F_STRUCT/F_MAP: member of the value being read */
    bool cur_skip;                /* F_STRUCT: the value being read is an unknown member */
    unsigned long seq;            /* event number of the container start */
    int line;                     /* container start position */
    size_t line_start, offset;
};

struct cbk_report {
    struct cbk_arena arena; /* strings of the findings */
    struct cbk_violation *v;
    unsigned long *seq;
    size_t n, alloc;
    size_t errors, warnings;
    bool truncated;
    bool malformed; /* the text was not JSON, or broke the size/depth limits */
    /* scratch kept between validations */
    struct cbk_ptr ptr;
    struct cbk_buf scratch;
    struct vframe *frames;
    size_t frames_alloc;
    uint64_t *bits;
    size_t bits_alloc;
};

struct cbk_report *cbk_report_new(void)
{
    struct cbk_report *r = cbk_xcalloc(1, sizeof(*r));
    cbk_arena_init(&r->arena, 4096);
    cbk_ptr_init(&r->ptr);
    cbk_buf_init(&r->scratch, DEFAULT_MAX_SIZE * 4);
    return r;
}

void cbk_report_clear(struct cbk_report *r)
{
    cbk_arena_reset(&r->arena);
    r->n = 0;
    r->errors = 0;
    r->warnings = 0;
    r->truncated = false;
    r->malformed = false;
}

void cbk_report_free(struct cbk_report *r)
{
    if (!r)
        return;
    cbk_arena_release(&r->arena);
    free(r->v);
    free(r->seq);
    cbk_ptr_release(&r->ptr);
    cbk_buf_release(&r->scratch);
    free(r->frames);
    free(r->bits);
    free(r);
}

size_t cbk_report_count(const struct cbk_report *r)
{
    return r->n;
}

const struct cbk_violation *cbk_report_at(const struct cbk_report *r, size_t i)
{
    return i < r->n ? &r->v[i] : NULL;
}

size_t cbk_report_error_count(const struct cbk_report *r)
{
    return r->errors;
}

size_t cbk_report_warning_count(const struct cbk_report *r)
{
    return r->warnings;
}

bool cbk_report_truncated(const struct cbk_report *r)
{
    return r->truncated;
}

bool cbk_report_malformed(const struct cbk_report *r)
{
    return r->malformed;
}

/* ---- validation context ------------------------------------------------------------------ */

struct vctx {
    const struct cbk_validate_opts *o;
    size_t max_violations;
    struct cbk_report *r;
    const char *doc; /* the text, for columns; NULL for json-c documents */
    size_t depth;
    size_t bits_used;
    unsigned long seq;
    struct cbk_member root;
    bool tolerant; /* responses without --strict */
};

static struct vframe *top(struct vctx *v)
{
    return v->depth ? &v->r->frames[v->depth - 1] : NULL;
}

/* Render a value for 'actual' fields and messages: strings quoted and shortened. */
static const char *render(struct vctx *v, const struct cbk_jevent *ev)
{
    struct cbk_arena *a = &v->r->arena;
    switch (ev->type) {
    case CBK_JEV_OBJ_START:
        return "an object";
    case CBK_JEV_ARR_START:
        return "an array";
    case CBK_JEV_STRING: {
        struct cbk_buf b = CBK_BUF_INIT(512);
        size_t n = ev->len;
        bool cut = false;
        if (ev->nchars > 64) {
            /* cut at 60 code points */
            size_t cp = 0, i = 0;
            for (; i < ev->len && cp < 60; i++)
                if (((unsigned char)ev->str[i] & 0xC0) != 0x80)
                    cp++;
            while (i < ev->len && ((unsigned char)ev->str[i] & 0xC0) == 0x80)
                i++;
            n = i;
            cut = true;
        }
        cbk_buf_add_json_str(&b, ev->str, n);
        if (cut) {
            cbk_buf_truncate(&b, b.len - 1);
            cbk_buf_adds(&b, "...\"");
        }
        char *s = cbk_arena_strndup(a, cbk_buf_str(&b), b.len);
        cbk_buf_release(&b);
        return s;
    }
    case CBK_JEV_NUMBER:
        if (ev->len > 64)
            return cbk_arena_printf(a, "%.60s...", ev->str);
        return cbk_arena_strndup(a, ev->str, ev->len);
    case CBK_JEV_TRUE:
        return "true";
    case CBK_JEV_FALSE:
        return "false";
    case CBK_JEV_NULL:
        return "null";
    default:
        return "?";
    }
}

/* The value as AWS quotes it in "Value '...' at": raw text, strings without quotes. */
static const char *aws_value(struct vctx *v, const struct cbk_jevent *ev)
{
    switch (ev->type) {
    case CBK_JEV_STRING:
        if (ev->len > 256) {
            /* cut at a character boundary so that the quote stays valid UTF-8 */
            size_t n = 250;
            while (n && ((unsigned char)ev->str[n] & 0xC0) == 0x80)
                n--;
            return cbk_arena_printf(&v->r->arena, "%.*s...", (int)n, ev->str);
        }
        return cbk_arena_strndup(&v->r->arena, ev->str, ev->len);
    case CBK_JEV_NULL:
        return NULL;
    case CBK_JEV_OBJ_START:
        return "{...}";
    case CBK_JEV_ARR_START:
        return "[...]";
    default:
        return render(v, ev);
    }
}

static const char *aws_path(struct vctx *v, const char *extra);

struct finding {
    enum cbk_rule rule;
    enum cbk_severity sev;
    const char *shape, *member;
    const char *expected, *actual, *aws_constraint, *aws_value;
    const char *extra_token; /* appended to the pointer (required: the missing member) */
    unsigned long seq;
    int line;
    size_t line_start, offset;
};

static void emit(struct vctx *v, const struct finding *f, const char *fmt, ...) CBK_PRINTF(3, 4);

static void emit(struct vctx *v, const struct finding *f, const char *fmt, ...)
{
    struct cbk_report *r = v->r;
    if (f->sev == CBK_SEV_ERROR)
        r->errors++;
    else
        r->warnings++;
    if (r->n >= v->max_violations) {
        r->truncated = true;
        return;
    }
    if (r->n == r->alloc) {
        size_t na = r->alloc ? r->alloc * 2 : 16;
        r->v = cbk_xreallocarray(r->v, na, sizeof(*r->v));
        r->seq = cbk_xreallocarray(r->seq, na, sizeof(*r->seq));
        r->alloc = na;
    }
    struct cbk_violation *x = &r->v[r->n];
    r->seq[r->n] = f->seq;
    r->n++;
    struct cbk_arena *a = &r->arena;
    x->rule = f->rule;
    x->severity = f->sev;
    if (f->extra_token) {
        struct cbk_buf b = CBK_BUF_INIT(1 << 20);
        cbk_buf_add(&b, cbk_ptr_str(&r->ptr), cbk_ptr_len(&r->ptr));
        cbk_buf_addc(&b, '/');
        cbk_ptr_escape(&b, f->extra_token, strlen(f->extra_token));
        x->pointer = cbk_arena_strndup(a, cbk_buf_str(&b), b.len);
        cbk_buf_release(&b);
    } else {
        x->pointer = cbk_arena_strndup(a, cbk_ptr_str(&r->ptr), cbk_ptr_len(&r->ptr));
    }
    x->shape = f->shape;
    x->member = f->member;
    x->expected = f->expected ? f->expected : "";
    x->actual = f->actual ? f->actual : "";
    x->aws_constraint = f->aws_constraint ? f->aws_constraint : "";
    x->aws_value = f->aws_value;
    x->aws_path = aws_path(v, f->extra_token);
    va_list ap;
    va_start(ap, fmt);
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    char *msg = cbk_arena_alloc(a, (size_t)(n > 0 ? n : 0) + 1);
    vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    va_end(ap);
    x->message = msg;
    if (v->doc && f->line) {
        x->line = f->line;
        x->column = cbk_json_column(v->doc, f->line_start, f->offset);
    } else {
        x->line = 0;
        x->column = 0;
    }
}

static void at_event(struct finding *f, const struct vctx *v, const struct cbk_jevent *ev)
{
    f->seq = v->seq;
    f->line = ev->line;
    f->line_start = ev->line_start;
    f->offset = ev->offset;
}

static const char *json_kind(const struct cbk_jevent *ev)
{
    switch (ev->type) {
    case CBK_JEV_OBJ_START:
        return "an object";
    case CBK_JEV_ARR_START:
        return "an array";
    case CBK_JEV_STRING:
        return "a string";
    case CBK_JEV_NUMBER:
        return "a number";
    case CBK_JEV_TRUE:
    case CBK_JEV_FALSE:
        return "a boolean";
    case CBK_JEV_NULL:
        return "null";
    default:
        return "something else";
    }
}

static const char *expected_kind(const struct cbk_shape *sh)
{
    switch (sh->type) {
    case CBK_TYPE_STRUCTURE:
    case CBK_TYPE_MAP:
        return "an object";
    case CBK_TYPE_LIST:
        return "an array";
    case CBK_TYPE_STRING:
        return "a string";
    case CBK_TYPE_INTEGER:
        return "an integer";
    case CBK_TYPE_LONG:
        return "an integer";
    case CBK_TYPE_BOOLEAN:
        return "a boolean";
    case CBK_TYPE_TIMESTAMP:
        if (sh->ts_format == CBK_TS_ISO8601)
            return "an ISO 8601 time string";
        if (sh->ts_format == CBK_TS_RFC822)
            return "an RFC 822 time string";
        return "a number of epoch seconds";
    case CBK_TYPE_DOUBLE:
    case CBK_TYPE_FLOAT:
        return "a number";
    case CBK_TYPE_BLOB:
        return "a base64 string";
    case CBK_TYPE_DOCUMENT:
        return "a JSON value";
    }
    return "a value";
}

/* ---- pushing and popping frames ------------------------------------------------------------ */

static struct vframe *push(struct vctx *v, enum fkind kind, const struct cbk_member *m,
                           bool in_struct, const struct cbk_jevent *ev)
{
    struct cbk_report *r = v->r;
    CBK_GROW(r->frames, v->depth + 1, r->frames_alloc);
    struct vframe *f = &r->frames[v->depth++];
    f->kind = kind;
    f->in_struct = in_struct;
    f->m = m;
    f->ptr_mark = cbk_ptr_len(&r->ptr);
    f->count = 0;
    f->cur = NULL;
    f->cur_skip = false;
    f->seq = v->seq;
    f->line = ev->line;
    f->line_start = ev->line_start;
    f->offset = ev->offset;
    f->bits_off = v->bits_used;
    if (kind == F_STRUCT) {
        size_t words = (m->shape->member_count + 63) / 64;
        CBK_GROW(r->bits, v->bits_used + words + 1, r->bits_alloc);
        memset(r->bits + v->bits_used, 0, words * sizeof(uint64_t));
        v->bits_used += words;
    }
    return f;
}

/* A child value of the top frame is complete: pop its pointer token. */
static void child_done(struct vctx *v, bool was_null)
{
    struct vframe *f = top(v);
    if (!f)
        return;
    if (f->kind == F_STRUCT && f->cur && !f->cur_skip && !was_null) {
        unsigned i = f->cur->index;
        v->r->bits[f->bits_off + i / 64] |= (uint64_t)1 << (i % 64);
    }
    f->cur = NULL;
    f->cur_skip = false;
    f->count++;
    /* list items and member values both pushed exactly one token after ptr_mark */
    cbk_ptr_pop(&v->r->ptr, f->ptr_mark);
}

/* ---- AWS-style member paths ---------------------------------------------------------------- */

/*
 * The path AWS puts in "Value ... at 'PATH'": member names joined by '.', list items as their
 * 1-based index followed by ".member" (secondarySourcesOverride.1.member.type).
 */
static const char *aws_path(struct vctx *v, const char *extra)
{
    struct cbk_report *r = v->r;
    const char *p = cbk_ptr_str(&r->ptr);
    size_t plen = cbk_ptr_len(&r->ptr);
    struct cbk_buf b = CBK_BUF_INIT(1 << 20);
    for (size_t i = 0; i < v->depth; i++) {
        const struct vframe *f = &r->frames[i];
        size_t s = f->ptr_mark;
        size_t e = i + 1 < v->depth ? r->frames[i + 1].ptr_mark : plen;
        if (e <= s + 1)
            continue;
        const char *tok = p + s + 1; /* skip the '/' */
        size_t tl = e - s - 1;
        if (b.len)
            cbk_buf_addc(&b, '.');
        if (f->kind == F_LIST) {
            unsigned long idx = strtoul(tok, NULL, 10);
            cbk_buf_addf(&b, "%lu.member", idx + 1);
        } else {
            for (size_t k = 0; k < tl; k++) {
                if (tok[k] == '~' && k + 1 < tl) {
                    cbk_buf_addc(&b, tok[k + 1] == '1' ? '/' : '~');
                    k++;
                } else {
                    cbk_buf_addc(&b, tok[k]);
                }
            }
        }
    }
    if (extra) {
        if (b.len)
            cbk_buf_addc(&b, '.');
        cbk_buf_adds(&b, extra);
    }
    char *s = cbk_arena_strndup(&r->arena, cbk_buf_str(&b), b.len);
    cbk_buf_release(&b);
    return s;
}

/* The AWS wording of a constraint, prefixed for the mock: "Value 'x' at 'path' ...". The
 * validator stores the two halves; the wire layer joins them. */

/* ---- numbers ------------------------------------------------------------------------------ */

enum integral { INT_OK, INT_FRACTION, INT_OVERFLOW };

/*
 * Decide whether the JSON number text s[0..n) denotes an integer, exactly, and whether it
 * fits in an int64. "5", "5.0", "5e2" and "50E-1" are integers; "5.5" and "1e-1" are not.
 */
static enum integral parse_integral(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    const char *ip = s + i;
    size_t il = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        il++;
    }
    const char *fp = NULL;
    size_t fl = 0;
    if (i < n && s[i] == '.') {
        i++;
        fp = s + i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            fl++;
        }
    }
    long long e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) {
            eneg = s[i] == '-';
            i++;
        }
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (e < 100000000)
                e = e * 10 + (s[i] - '0');
            i++;
        }
        if (eneg)
            e = -e;
    }
    if (i != n || il == 0)
        return INT_FRACTION; /* not a plain JSON number: let the caller call it non-integral */
    /* digits D = ip fp, value = D * 10^(e - fl) */
    char digits[64];
    size_t nd = 0;
    bool big = false;
    size_t lead = 0;
    while (lead < il && ip[lead] == '0')
        lead++;
    long long scale = e - (long long)fl;
    for (size_t k = lead; k < il; k++) {
        if (nd < sizeof(digits))
            digits[nd++] = ip[k];
        else {
            big = true;
            scale++;
        }
    }
    size_t fk = 0;
    if (nd == 0)
        while (fk < fl && fp[fk] == '0')
            fk++;
    for (; fk < fl; fk++) {
        if (nd < sizeof(digits))
            digits[nd++] = fp[fk];
        else if (fp[fk] != '0')
            big = true; /* more than 64 significant digits with a non-zero tail: fraction */
        else
            scale++;
    }
    /* trailing zeros move into the scale */
    while (nd && digits[nd - 1] == '0') {
        nd--;
        scale++;
    }
    if (nd == 0) {
        *out = 0;
        return INT_OK;
    }
    if (scale < 0)
        return INT_FRACTION;
    if (big || (long long)nd + scale > 19)
        return INT_OVERFLOW;
    uint64_t val = 0;
    for (size_t k = 0; k < nd; k++)
        val = val * 10 + (uint64_t)(digits[k] - '0');
    for (long long k = 0; k < scale; k++) {
        if (val > UINT64_MAX / 10)
            return INT_OVERFLOW;
        val *= 10;
    }
    if (neg) {
        if (val > (uint64_t)INT64_MAX + 1)
            return INT_OVERFLOW;
        *out = val == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)val;
    } else {
        if (val > (uint64_t)INT64_MAX)
            return INT_OVERFLOW;
        *out = (int64_t)val;
    }
    return INT_OK;
}

static double to_double(const char *s, size_t n)
{
    char tmp[128];
    if (n >= sizeof(tmp)) {
        char *big = cbk_xstrndup(s, n);
        double d = strtod(big, NULL);
        free(big);
        return d;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return strtod(tmp, NULL);
}

/* ---- checks on values ------------------------------------------------------------------------ */

static enum cbk_severity sev_for_tolerated(const struct vctx *v)
{
    return v->tolerant ? CBK_SEV_WARNING : CBK_SEV_ERROR;
}

static void type_violation(struct vctx *v, const struct cbk_member *m, bool in_struct,
                           const struct cbk_jevent *ev, const char *why)
{
    struct finding f = {0};
    f.rule = CBK_RULE_TYPE;
    f.sev = CBK_SEV_ERROR;
    f.shape = m->shape->name;
    f.member = in_struct ? m->name : NULL;
    f.expected = expected_kind(m->shape);
    f.actual = render(v, ev);
    f.aws_constraint =
        cbk_arena_printf(&v->r->arena, "Member must be of type %s", cbk_type_name(m->shape->type));
    f.aws_value = aws_value(v, ev);
    at_event(&f, v, ev);
    /* 'expected' stays a short text (docs/validation.md); 'why' is the message */
    int64_t ignored;
    if (why && ev->type == CBK_JEV_NUMBER &&
        (m->shape->type == CBK_TYPE_INTEGER || m->shape->type == CBK_TYPE_LONG) &&
        parse_integral(ev->str, ev->len, &ignored) != INT_FRACTION) /* it does not fit */
        f.expected = m->shape->type == CBK_TYPE_INTEGER ? "a 32-bit integer" : "a 64-bit integer";
    if (why)
        emit(v, &f, "%s", why);
    else
        emit(v, &f, "expected %s, found %s", expected_kind(m->shape), json_kind(ev));
}

static void check_length(struct vctx *v, const struct cbk_member *m, bool in_struct,
                         const struct cbk_jevent *ev, uint64_t len, const char *unit)
{
    const struct cbk_constraints *c = &m->c;
    bool lo = c->has_min && (int64_t)len < c->min;
    bool hi = c->has_max && len > (uint64_t)c->max;
    if (!lo && !hi)
        return;
    struct finding f = {0};
    f.rule = CBK_RULE_LENGTH;
    f.sev = CBK_SEV_ERROR;
    f.shape = m->shape->name;
    f.member = in_struct ? m->name : NULL;
    struct cbk_arena *a = &v->r->arena;
    f.expected = lo ? cbk_arena_printf(a, "length >= %" PRId64, c->min)
                    : cbk_arena_printf(a, "length <= %" PRId64, c->max);
    f.actual = cbk_arena_printf(a, "length %" PRIu64, len);
    f.aws_constraint =
        lo ? cbk_arena_printf(a, "Member must have length greater than or equal to %" PRId64,
                              c->min)
           : cbk_arena_printf(a, "Member must have length less than or equal to %" PRId64, c->max);
    f.aws_value = aws_value(v, ev);
    at_event(&f, v, ev);
    if (lo)
        emit(v, &f, "%s %s%" PRIu64 " is less than the minimum %" PRId64, unit, "length ", len,
             c->min);
    else
        emit(v, &f, "%s %s%" PRIu64 " is greater than the maximum %" PRId64, unit, "length ", len,
             c->max);
}

static void check_string(struct vctx *v, const struct cbk_member *m, bool in_struct,
                         const struct cbk_jevent *ev)
{
    const struct cbk_constraints *c = &m->c;
    check_length(v, m, in_struct, ev, ev->nchars, "string");
    struct cbk_arena *a = &v->r->arena;
    if (c->enum_index && cbk_strtab_find(c->enum_index, ev->str, ev->len) < 0) {
        struct finding f = {0};
        f.rule = CBK_RULE_ENUM;
        f.sev = sev_for_tolerated(v);
        f.shape = m->shape->name;
        f.member = in_struct ? m->name : NULL;
        struct cbk_buf list = CBK_BUF_INIT(1 << 16);
        for (size_t i = 0; i < c->enum_count; i++)
            cbk_buf_addf(&list, "%s%s", i ? ", " : "", c->enum_values[i]);
        f.expected = cbk_arena_printf(a, "one of %s", cbk_buf_str(&list));
        f.actual = render(v, ev);
        f.aws_constraint =
            cbk_arena_printf(a, "Member must satisfy enum value set: [%s]", cbk_buf_str(&list));
        f.aws_value = aws_value(v, ev);
        at_event(&f, v, ev);
        if (c->enum_count <= 6)
            emit(v, &f, "value %s is not one of: %s", f.actual, cbk_buf_str(&list));
        else
            emit(v, &f, "value %s is not one of the %zu values of %s", f.actual, c->enum_count,
                 m->shape->name);
        cbk_buf_release(&list);
    }
    if (c->re) {
        char why[128];
        enum cbk_re_result rc = cbk_regex_match(c->re, ev->str, ev->len, why, sizeof why);
        if (rc != CBK_RE_MATCH) {
            struct finding f = {0};
            f.rule = CBK_RULE_PATTERN;
            f.sev = CBK_SEV_ERROR;
            f.shape = m->shape->name;
            f.member = in_struct ? m->name : NULL;
            f.expected = cbk_arena_printf(a, "matches %s", c->pattern);
            f.actual = render(v, ev);
            f.aws_constraint = cbk_arena_printf(
                a, "Member must satisfy regular expression pattern: %s", c->pattern);
            f.aws_value = aws_value(v, ev);
            at_event(&f, v, ev);
            if (rc == CBK_RE_NOMATCH)
                emit(v, &f, "value %s does not match the pattern %s", f.actual, c->pattern);
            else
                emit(v, &f, "value %s could not be matched against %s: %s", f.actual, c->pattern,
                     why);
        }
    }
}

static void range_violation(struct vctx *v, const struct cbk_member *m, bool in_struct,
                            const struct cbk_jevent *ev, bool low, const char *bound)
{
    struct finding f = {0};
    struct cbk_arena *a = &v->r->arena;
    f.rule = CBK_RULE_RANGE;
    f.sev = CBK_SEV_ERROR;
    f.shape = m->shape->name;
    f.member = in_struct ? m->name : NULL;
    f.expected = cbk_arena_printf(a, "%s %s", low ? ">=" : "<=", bound);
    f.actual = render(v, ev);
    f.aws_constraint = cbk_arena_printf(a, "Member must have value %s or equal to %s",
                                        low ? "greater than" : "less than", bound);
    f.aws_value = aws_value(v, ev);
    at_event(&f, v, ev);
    emit(v, &f, "value %s is %s the %s %s", f.actual, low ? "less than" : "greater than",
         low ? "minimum" : "maximum", bound);
}

static void check_integer(struct vctx *v, const struct cbk_member *m, bool in_struct,
                          const struct cbk_jevent *ev)
{
    int64_t x = 0;
    enum integral k = parse_integral(ev->str, ev->len, &x);
    bool is32 = m->shape->type == CBK_TYPE_INTEGER;
    if (k == INT_FRACTION) {
        type_violation(
            v, m, in_struct, ev,
            cbk_arena_printf(&v->r->arena, "expected an integer, found %s", render(v, ev)));
        return;
    }
    if (k == INT_OVERFLOW || (is32 && (x < INT32_MIN || x > INT32_MAX))) {
        type_violation(v, m, in_struct, ev,
                       cbk_arena_printf(&v->r->arena, "value %s does not fit in a %s integer",
                                        render(v, ev), is32 ? "32-bit" : "64-bit"));
        return;
    }
    const struct cbk_constraints *c = &m->c;
    char bound[32];
    if (c->has_min && x < c->min) {
        snprintf(bound, sizeof bound, "%" PRId64, c->min);
        range_violation(v, m, in_struct, ev, true, bound);
    } else if (c->has_max && x > c->max) {
        snprintf(bound, sizeof bound, "%" PRId64, c->max);
        range_violation(v, m, in_struct, ev, false, bound);
    }
}

static void check_double(struct vctx *v, const struct cbk_member *m, bool in_struct,
                         const struct cbk_jevent *ev, double d)
{
    const struct cbk_constraints *c = &m->c;
    char bound[40];
    if (isnan(d))
        return;
    if (c->has_min && d < c->dmin) {
        snprintf(bound, sizeof bound, "%g", c->dmin);
        range_violation(v, m, in_struct, ev, true, bound);
    } else if (c->has_max && d > c->dmax) {
        snprintf(bound, sizeof bound, "%g", c->dmax);
        range_violation(v, m, in_struct, ev, false, bound);
    }
}

/* Decoded length of base64 text, or -1 when it is not canonical padded base64. */
static long long base64_len(const char *s, size_t n)
{
    if (n % 4)
        return -1;
    size_t pad = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/';
        if (c == '=') {
            if (i < n - 2)
                return -1;
            pad++;
            continue;
        }
        if (!ok || pad)
            return -1;
    }
    return (long long)(n / 4 * 3 - pad);
}

/* Start a value described by 'm' at event 'ev' (a scalar or a container start). */
static void value(struct vctx *v, const struct cbk_member *m, bool in_struct,
                  const struct cbk_jevent *ev)
{
    const struct cbk_shape *sh = m->shape;
    bool container = ev->type == CBK_JEV_OBJ_START || ev->type == CBK_JEV_ARR_START;
    if (ev->type == CBK_JEV_NULL) {
        if (in_struct) {
            child_done(v, true); /* null members count as absent */
            return;
        }
        type_violation(v, m, in_struct, ev,
                       v->depth ? "null is not allowed here (only members may be null)"
                                : "expected an object, found null");
        child_done(v, true);
        return;
    }
    switch (sh->type) {
    case CBK_TYPE_STRUCTURE:
        if (ev->type == CBK_JEV_OBJ_START) {
            push(v, F_STRUCT, m, in_struct, ev);
            return;
        }
        break;
    case CBK_TYPE_MAP:
        if (ev->type == CBK_JEV_OBJ_START) {
            push(v, F_MAP, m, in_struct, ev);
            return;
        }
        break;
    case CBK_TYPE_LIST:
        if (ev->type == CBK_JEV_ARR_START) {
            push(v, F_LIST, m, in_struct, ev);
            return;
        }
        break;
    case CBK_TYPE_STRING:
        if (ev->type == CBK_JEV_STRING) {
            check_string(v, m, in_struct, ev);
            child_done(v, false);
            return;
        }
        break;
    case CBK_TYPE_INTEGER:
    case CBK_TYPE_LONG:
        if (ev->type == CBK_JEV_NUMBER) {
            check_integer(v, m, in_struct, ev);
            child_done(v, false);
            return;
        }
        break;
    case CBK_TYPE_BOOLEAN:
        if (ev->type == CBK_JEV_TRUE || ev->type == CBK_JEV_FALSE) {
            child_done(v, false);
            return;
        }
        break;
    case CBK_TYPE_TIMESTAMP:
        /* iso8601 and rfc822 timestamps are strings; their text is not checked */
        if (ev->type == (sh->ts_format == CBK_TS_EPOCH_SECONDS ? CBK_JEV_NUMBER : CBK_JEV_STRING)) {
            child_done(v, false);
            return;
        }
        break;
    case CBK_TYPE_DOCUMENT:
        /* any JSON value: containers are skipped whole */
        if (container)
            push(v, F_SKIP, NULL, in_struct, ev);
        else
            child_done(v, false);
        return;
    case CBK_TYPE_DOUBLE:
    case CBK_TYPE_FLOAT:
        if (ev->type == CBK_JEV_NUMBER) {
            check_double(v, m, in_struct, ev, to_double(ev->str, ev->len));
            child_done(v, false);
            return;
        }
        if (ev->type == CBK_JEV_STRING && ((ev->len == 3 && !memcmp(ev->str, "NaN", 3)) ||
                                           (ev->len == 8 && !memcmp(ev->str, "Infinity", 8)) ||
                                           (ev->len == 9 && !memcmp(ev->str, "-Infinity", 9)))) {
            check_double(v, m, in_struct, ev, to_double(ev->str, ev->len));
            child_done(v, false);
            return;
        }
        break;
    case CBK_TYPE_BLOB:
        if (ev->type == CBK_JEV_STRING) {
            long long bl = base64_len(ev->str, ev->len);
            if (bl < 0)
                type_violation(v, m, in_struct, ev,
                               cbk_arena_printf(&v->r->arena, "value %s is not valid padded base64",
                                                render(v, ev)));
            else
                check_length(v, m, in_struct, ev, (uint64_t)bl, "blob");
            child_done(v, false);
            return;
        }
        break;
    }
    type_violation(v, m, in_struct, ev, NULL);
    if (container)
        push(v, F_SKIP, NULL, in_struct, ev);
    else
        child_done(v, false);
}

static void end_container(struct vctx *v, const struct cbk_jevent *ev)
{
    struct vframe *f = top(v);
    struct cbk_arena *a = &v->r->arena;
    if (f->kind == F_STRUCT) {
        const struct cbk_shape *sh = f->m->shape;
        if (sh->required_count) {
            for (size_t i = 0; i < sh->member_count; i++) {
                const struct cbk_member *mm = &sh->members[i];
                if (!mm->required)
                    continue;
                if (v->r->bits[f->bits_off + i / 64] & ((uint64_t)1 << (i % 64)))
                    continue;
                struct finding fi = {0};
                fi.rule = CBK_RULE_REQUIRED;
                fi.sev = CBK_SEV_ERROR;
                fi.shape = sh->name;
                fi.member = mm->name;
                fi.expected = cbk_arena_printf(a, "member '%s'", mm->name);
                fi.actual = "absent";
                fi.aws_constraint = "Member must not be null";
                fi.aws_value = NULL;
                fi.extra_token = mm->name;
                fi.seq = v->seq;
                fi.line = f->line;
                fi.line_start = f->line_start;
                fi.offset = f->offset;
                emit(v, &fi, "missing required member '%s'", mm->name);
            }
        }
        v->bits_used = f->bits_off;
    } else if (f->kind == F_LIST || f->kind == F_MAP) {
        const struct cbk_constraints *c = &f->m->c;
        bool lo = c->has_min && (int64_t)f->count < c->min;
        bool hi = c->has_max && f->count > (uint64_t)c->max;
        if (lo || hi) {
            struct finding fi = {0};
            fi.rule = CBK_RULE_ITEMS;
            fi.sev = CBK_SEV_ERROR;
            fi.shape = f->m->shape->name;
            fi.member = f->in_struct ? f->m->name : NULL;
            fi.expected = lo ? cbk_arena_printf(a, ">= %" PRId64 " items", c->min)
                             : cbk_arena_printf(a, "<= %" PRId64 " items", c->max);
            fi.actual = cbk_arena_printf(a, "%zu items", f->count);
            fi.aws_constraint =
                lo ? cbk_arena_printf(
                         a, "Member must have length greater than or equal to %" PRId64, c->min)
                   : cbk_arena_printf(a, "Member must have length less than or equal to %" PRId64,
                                      c->max);
            fi.aws_value = cbk_arena_printf(a, "[%zu items]", f->count);
            fi.seq = f->seq;
            fi.line = f->line;
            fi.line_start = f->line_start;
            fi.offset = f->offset;
            emit(v, &fi, "%zu %s %s the %s %" PRId64, f->count,
                 f->count == 1 ? "item is" : "items are", lo ? "fewer than" : "more than",
                 lo ? "minimum" : "maximum", lo ? c->min : c->max);
        }
    }
    CBK_UNUSED(ev);
    v->depth--;
    child_done(v, false);
}

static int on_event(void *ctx, const struct cbk_jevent *ev)
{
    struct vctx *v = ctx;
    v->seq++;
    struct vframe *f = top(v);
    if (f && f->kind == F_SKIP) {
        if (ev->type == CBK_JEV_OBJ_START || ev->type == CBK_JEV_ARR_START) {
            push(v, F_SKIP, NULL, false, ev);
        } else if (ev->type == CBK_JEV_OBJ_END || ev->type == CBK_JEV_ARR_END) {
            v->depth--;
            struct vframe *p = top(v);
            if (p && p->kind != F_SKIP)
                child_done(v, false);
        }
        return 0;
    }
    switch (ev->type) {
    case CBK_JEV_OBJ_END:
    case CBK_JEV_ARR_END:
        end_container(v, ev);
        return 0;
    case CBK_JEV_KEY: {
        cbk_ptr_push_key(&v->r->ptr, ev->str, ev->len);
        if (f->kind == F_MAP) {
            /* keys are checked as strings of the key shape, at the entry's pointer */
            const struct cbk_member *km = f->m->shape->key;
            struct cbk_jevent kev = *ev;
            kev.type = CBK_JEV_STRING;
            check_string(v, km, false, &kev);
            f->cur = f->m->shape->value;
            return 0;
        }
        const struct cbk_shape *sh = f->m->shape;
        const struct cbk_member *mm = cbk_shape_member(sh, ev->str, ev->len);
        if (!mm) {
            struct finding fi = {0};
            fi.rule = CBK_RULE_UNKNOWN;
            fi.sev = sev_for_tolerated(v);
            fi.shape = sh->name;
            fi.member = NULL;
            fi.expected = cbk_arena_printf(&v->r->arena, "a member of %s", sh->name);
            struct cbk_jevent kev = *ev;
            kev.type = CBK_JEV_STRING;
            fi.actual = render(v, &kev);
            fi.aws_constraint = cbk_arena_printf(
                &v->r->arena, "Member must not be present (it is not a member of %s)", sh->name);
            fi.aws_value = NULL;
            at_event(&fi, v, ev);
            emit(v, &fi, "unknown member %s in %s", fi.actual, sh->name);
            f->cur = NULL;
            f->cur_skip = true;
            return 0;
        }
        if (v->r->bits[f->bits_off + mm->index / 64] & ((uint64_t)1 << (mm->index % 64))) {
            struct finding fi = {0};
            fi.rule = CBK_RULE_SYNTAX;
            fi.sev = CBK_SEV_ERROR;
            fi.shape = sh->name;
            fi.member = mm->name;
            fi.expected = "each member once";
            fi.actual = "a repeated member";
            fi.aws_constraint = "Member must not be repeated";
            at_event(&fi, v, ev);
            emit(v, &fi, "member '%s' appears more than once", mm->name);
        }
        f->cur = mm;
        f->cur_skip = false;
        return 0;
    }
    default:
        break;
    }
    /* a value: scalar or container start */
    if (!f) {
        value(v, &v->root, false, ev);
        return 0;
    }
    if (f->kind == F_LIST) {
        cbk_ptr_push_index(&v->r->ptr, f->count);
        value(v, f->m->shape->member, false, ev);
        return 0;
    }
    if (f->cur_skip || !f->cur) {
        if (ev->type == CBK_JEV_OBJ_START || ev->type == CBK_JEV_ARR_START)
            push(v, F_SKIP, NULL, false, ev);
        else
            child_done(v, false);
        return 0;
    }
    value(v, f->cur, f->kind == F_STRUCT, ev);
    return 0;
}

/* ---- entry points -------------------------------------------------------------------------- */

static void setup(struct vctx *v, const struct cbk_shape *root, const struct cbk_validate_opts *o,
                  struct cbk_report *r, const char *doc)
{
    static const struct cbk_validate_opts defaults = CBK_VALIDATE_OPTS_INIT;
    if (!o)
        o = &defaults;
    memset(v, 0, sizeof(*v));
    v->o = o;
    v->r = r;
    v->doc = doc;
    v->max_violations = o->max_violations ? o->max_violations : DEFAULT_MAX_VIOLATIONS;
    v->tolerant = o->direction == CBK_RESPONSE && !o->strict;
    v->root.name = "";
    v->root.shape = root;
    v->root.c = root->c;
    cbk_report_clear(r);
    cbk_ptr_pop(&r->ptr, 0);
}

/* Findings arrive nearly in order; a stable insertion sort by event number finishes it. */
static void sort_findings(struct cbk_report *r)
{
    for (size_t i = 1; i < r->n; i++) {
        unsigned long s = r->seq[i];
        if (r->seq[i - 1] <= s)
            continue;
        struct cbk_violation x = r->v[i];
        size_t j = i;
        while (j > 0 && r->seq[j - 1] > s) {
            r->v[j] = r->v[j - 1];
            r->seq[j] = r->seq[j - 1];
            j--;
        }
        r->v[j] = x;
        r->seq[j] = s;
    }
}

static void syntax_finding(struct vctx *v, int line, int column, const char *msg)
{
    struct finding f = {0};
    f.rule = CBK_RULE_SYNTAX;
    f.sev = CBK_SEV_ERROR;
    f.expected = "valid JSON";
    f.actual = "malformed JSON";
    f.aws_constraint = "Member must be valid JSON";
    f.seq = v->seq + 1;
    /* the pointer is where the scan stopped; keep it for context */
    size_t saved = v->max_violations;
    if (v->r->n >= v->max_violations)
        v->max_violations = v->r->n + 1; /* always record the syntax error */
    emit(v, &f, "%s", msg);
    v->max_violations = saved;
    struct cbk_violation *x = &v->r->v[v->r->n - 1];
    x->line = line;
    x->column = column;
    v->r->malformed = true;
}

static enum cbk_code finish(struct vctx *v)
{
    sort_findings(v->r);
    cbk_ptr_pop(&v->r->ptr, 0);
    return v->r->errors ? CBK_E_INVALID : CBK_OK;
}

enum cbk_code cbk_validate_buffer(const struct cbk_spec *spec, const struct cbk_shape *root,
                                  const char *buf, size_t len, const struct cbk_validate_opts *opts,
                                  struct cbk_report *report)
{
    CBK_UNUSED(spec);
    struct vctx v;
    setup(&v, root, opts, report, buf);
    size_t max_size = v.o->max_size ? v.o->max_size : DEFAULT_MAX_SIZE;
    size_t max_depth = v.o->max_depth ? v.o->max_depth : DEFAULT_MAX_DEPTH;
    if (len > max_size) {
        char msg[128];
        snprintf(msg, sizeof msg, "document is larger than the limit of %zu bytes", max_size);
        syntax_finding(&v, 0, 0, msg);
        return finish(&v);
    }
    struct cbk_json_error err;
    int rc = cbk_json_scan(buf, len, max_depth, &report->scratch, on_event, &v, &err);
    if (rc < 0) {
        /* drop the findings of the unfinished containers' required checks: none were made */
        v.depth = 0;
        syntax_finding(&v, err.line, err.column, err.message);
    }
    return finish(&v);
}

/* Emit the events of a json-c value. Returns -1 when the depth limit was hit. */
static int walk(struct vctx *v, struct json_object *o, size_t depth, size_t max_depth,
                struct cbk_buf *num)
{
    struct cbk_jevent ev;
    memset(&ev, 0, sizeof(ev));
    enum json_type t = o ? json_object_get_type(o) : json_type_null;
    switch (t) {
    case json_type_null:
        ev.type = CBK_JEV_NULL;
        ev.str = "null";
        ev.len = 4;
        on_event(v, &ev);
        return 0;
    case json_type_boolean:
        ev.type = json_object_get_boolean(o) ? CBK_JEV_TRUE : CBK_JEV_FALSE;
        ev.str = ev.type == CBK_JEV_TRUE ? "true" : "false";
        ev.len = strlen(ev.str);
        on_event(v, &ev);
        return 0;
    case json_type_int: {
        /* decimal text of the value, as "%" PRId64 / "%" PRIu64 print it (without printf) */
        char digits[24];
        char *e = digits + sizeof(digits), *d = e;
        int64_t i64 = json_object_get_int64(o);
        uint64_t mag;
        if (i64 == INT64_MAX && json_object_get_uint64(o) > INT64_MAX)
            mag = json_object_get_uint64(o);
        else
            mag = i64 < 0 ? (uint64_t)0 - (uint64_t)i64 : (uint64_t)i64;
        do {
            *--d = (char)('0' + mag % 10);
            mag /= 10;
        } while (mag);
        if (i64 < 0)
            *--d = '-';
        ev.type = CBK_JEV_NUMBER;
        ev.str = d;
        ev.len = (size_t)(e - d);
        on_event(v, &ev);
        return 0;
    }
    case json_type_double: {
        double d = json_object_get_double(o);
        const char *text = json_object_get_string(o); /* the original text when parsed */
        const char *digits = text && text[0] == '-' ? text + 1 : text;
        cbk_buf_reset(num);
        if (!isfinite(d) && !(digits && *digits >= '0' && *digits <= '9')) {
            /*
             * json-c accepts NaN/Infinity literals; JSON has no such numbers: use AWS's string
             * form. A parsed number beyond the double range (1e400) keeps its text, as in
             * cbk_validate_buffer().
             */
            ev.type = CBK_JEV_STRING;
            cbk_buf_adds(num, isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
            ev.str = cbk_buf_str(num);
            ev.len = num->len;
            ev.nchars = num->len;
            on_event(v, &ev);
            return 0;
        }
        cbk_buf_adds(num, text);
        ev.type = CBK_JEV_NUMBER;
        ev.str = cbk_buf_str(num);
        ev.len = num->len;
        on_event(v, &ev);
        return 0;
    }
    case json_type_string:
        ev.type = CBK_JEV_STRING;
        ev.str = json_object_get_string(o);
        ev.len = (size_t)json_object_get_string_len(o);
        ev.nchars = cbk_utf8_count(ev.str, ev.len);
        on_event(v, &ev);
        return 0;
    case json_type_object: {
        if (depth >= max_depth)
            return -1;
        ev.type = CBK_JEV_OBJ_START;
        on_event(v, &ev);
        json_object_object_foreach(o, key, val)
        {
            struct cbk_jevent kev;
            memset(&kev, 0, sizeof(kev));
            kev.type = CBK_JEV_KEY;
            kev.str = key;
            kev.len = strlen(key);
            kev.nchars = cbk_utf8_count(key, kev.len);
            on_event(v, &kev);
            if (walk(v, val, depth + 1, max_depth, num) != 0)
                return -1;
        }
        ev.type = CBK_JEV_OBJ_END;
        on_event(v, &ev);
        return 0;
    }
    case json_type_array: {
        if (depth >= max_depth)
            return -1;
        ev.type = CBK_JEV_ARR_START;
        on_event(v, &ev);
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++)
            if (walk(v, json_object_array_get_idx(o, i), depth + 1, max_depth, num) != 0)
                return -1;
        ev.type = CBK_JEV_ARR_END;
        on_event(v, &ev);
        return 0;
    }
    }
    return 0;
}

enum cbk_code cbk_validate_json(const struct cbk_spec *spec, const struct cbk_shape *root,
                                struct json_object *doc, const struct cbk_validate_opts *opts,
                                struct cbk_report *report)
{
    CBK_UNUSED(spec);
    struct vctx v;
    setup(&v, root, opts, report, NULL);
    size_t max_depth = v.o->max_depth ? v.o->max_depth : DEFAULT_MAX_DEPTH;
    struct cbk_buf num = CBK_BUF_INIT(4096);
    if (walk(&v, doc, 0, max_depth, &num) != 0) {
        v.depth = 0;
        char msg[96];
        snprintf(msg, sizeof msg, "nesting deeper than %zu levels", max_depth);
        syntax_finding(&v, 0, 0, msg);
    }
    cbk_buf_release(&num);
    return finish(&v);
}

static const struct cbk_shape *op_root(const struct cbk_spec *spec, const char *op,
                                       const struct cbk_validate_opts *opts)
{
    const struct cbk_operation *o = cbk_spec_op(spec, op);
    if (!o)
        return NULL;
    return opts && opts->direction == CBK_RESPONSE ? o->output : o->input;
}

enum cbk_code cbk_validate_op_buffer(const struct cbk_spec *spec, const char *op, const char *buf,
                                     size_t len, const struct cbk_validate_opts *opts,
                                     struct cbk_report *report)
{
    const struct cbk_shape *root = op_root(spec, op, opts);
    if (!root) {
        cbk_report_clear(report);
        return CBK_E_NOT_FOUND;
    }
    return cbk_validate_buffer(spec, root, buf, len, opts, report);
}

enum cbk_code cbk_validate_op_json(const struct cbk_spec *spec, const char *op,
                                   struct json_object *doc, const struct cbk_validate_opts *opts,
                                   struct cbk_report *report)
{
    const struct cbk_shape *root = op_root(spec, op, opts);
    if (!root) {
        cbk_report_clear(report);
        return CBK_E_NOT_FOUND;
    }
    return cbk_validate_json(spec, root, doc, opts, report);
}
