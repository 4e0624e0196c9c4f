/*
 * jsonscan.c - strict streaming JSON scanner (see jsonscan.h).
 *
 * A single forward pass with an explicit container stack (one bit per level: object or
 * array). Plain strings are handed out as slices of the input; only strings with escapes are
 * copied (decoded) into the caller's scratch buffer.
 */
#include "core/setup.h"
#include "core/jsonscan.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct scan {
    const unsigned char *buf, *p, *end;
    int line;
    size_t line_start;
    struct cbk_buf *scratch;
    struct cbk_json_error *err;
};

static size_t off(const struct scan *s, const unsigned char *p)
{
    return (size_t)(p - s->buf);
}

int cbk_json_column(const char *buf, size_t line_start, size_t offset)
{
    int col = 1;
    for (size_t i = line_start; i < offset; i++)
        if (((unsigned char)buf[i] & 0xC0) != 0x80)
            col++;
    return col;
}

static int fail(struct scan *s, const unsigned char *at, const char *fmt, ...) CBK_PRINTF(3, 4);

static int fail(struct scan *s, const unsigned char *at, const char *fmt, ...)
{
    if (at > s->end)
        at = s->end;
    s->err->offset = off(s, at);
    s->err->line = s->line;
    s->err->column = cbk_json_column((const char *)s->buf, s->line_start, off(s, at));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err->message, sizeof(s->err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* Describe the byte at 'p' for messages: "'x'", "end of input", "byte 0x01". */
static const char *what(const struct scan *s, const unsigned char *p, char *tmp, size_t n)
{
    if (p >= s->end)
        return "end of input";
    if (*p >= 0x20 && *p < 0x7f)
        snprintf(tmp, n, "'%c'", *p);
    else
        snprintf(tmp, n, "byte 0x%02x", *p);
    return tmp;
}

static void skip_ws(struct scan *s)
{
    const unsigned char *p = s->p, *end = s->end;
    while (p < end) {
        unsigned char c = *p;
        if (c == ' ' || c == '\t' || c == '\r') {
            p++;
        } else if (c == '\n') {
            p++;
            s->line++;
            s->line_start = off(s, p);
        } else {
            break;
        }
    }
    s->p = p;
}

/* Length of the UTF-8 sequence at p (valid, within end), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        if (end - p < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && p[1] >= 0x90)
            return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

bool cbk_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = utf8_seq(p, end);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

size_t cbk_utf8_count(const char *s, size_t len)
{
    size_t n = 0, i = 0;
    /* 8 bytes at a time: every byte but a continuation byte (10xxxxxx) starts a code point */
    for (; len - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t cont = (w & ~(w << 1) & 0x8080808080808080ull) >> 7; /* 1 per such byte */
        n += 8 - (size_t)((cont * 0x0101010101010101ull) >> 56);      /* their sum */
    }
    for (; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void put_utf8(struct cbk_buf *b, unsigned cp)
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

/*
 * Scan a string starting at s->p (the opening quote). Fills ev->str/len/nchars; advances
 * s->p past the closing quote. Returns 0 or -1 (error set).
 */
static int scan_string(struct scan *s, struct cbk_jevent *ev)
{
    const unsigned char *start = s->p + 1, *p = start, *end = s->end;
    size_t nchars = 0;
    /* fast path: no escapes */
    for (;;) {
        /*
         * Skip plain bytes (not '"', '\\', a control or a non-ASCII byte) a block at a time,
         * up to the first byte the loop below must look at.
         */
#ifdef __SSE2__
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            /* the signed compare flags the controls and every byte >= 0x80 */
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                                  _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                     _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
            unsigned mask = (unsigned)_mm_movemask_epi8(m);
            if (mask) {
                unsigned k = (unsigned)__builtin_ctz(mask);
                p += k;
                nchars += k;
                break;
            }
            p += 16;
            nchars += 16;
        }
#endif
        while (end - p >= 8) {
            const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            uint64_t w, q, bs;
            memcpy(&w, p, 8);
            q = w ^ (ones * '"');
            bs = w ^ (ones * '\\');
            uint64_t special =
                (w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & highs;
            if (special) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* the lowest flag is exact: borrows only run towards higher bytes */
                unsigned k = (unsigned)__builtin_ctzll(special) / 8;
                p += k;
                nchars += k;
#endif
                break;
            }
            p += 8;
            nchars += 8;
        }
        if (CBK_UNLIKELY(p >= end))
            return fail(s, s->p, "unterminated string");
        unsigned char c = *p;
        if (c == '"') {
            ev->str = (const char *)start;
            ev->len = (size_t)(p - start);
            ev->nchars = nchars;
            s->p = p + 1;
            return 0;
        }
        if (c == '\\')
            break;
        if (c < 0x20)
            return fail(s, p, "control character U+%04X must be escaped in a string", c);
        if (c < 0x80) {
            p++;
        } else {
            size_t n = utf8_seq(p, end);
            if (!n)
                return fail(s, p, "invalid UTF-8 in string");
            p += n;
        }
        nchars++;
    }
    /* slow path: copy what we have, then decode the rest */
    struct cbk_buf *b = s->scratch;
    cbk_buf_reset(b);
    if (cbk_buf_add(b, start, (size_t)(p - start)) != CBK_OK)
        return fail(s, p, "string too long");
    for (;;) {
        if (p >= end)
            return fail(s, s->p, "unterminated string");
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c == '\\') {
            if (end - p < 2)
                return fail(s, s->p, "unterminated string");
            unsigned char e = p[1];
            char out = 0;
            switch (e) {
            case '"':
                out = '"';
                break;
            case '\\':
                out = '\\';
                break;
            case '/':
                out = '/';
                break;
            case 'b':
                out = '\b';
                break;
            case 'f':
                out = '\f';
                break;
            case 'n':
                out = '\n';
                break;
            case 'r':
                out = '\r';
                break;
            case 't':
                out = '\t';
                break;
            case 'u': {
                unsigned cp;
                if (end - p < 6 || hex4(p + 2, &cp) != 0)
                    return fail(s, p, "invalid \\u escape (expected 4 hex digits)");
                const unsigned char *q = p + 6;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) != 0 ||
                        lo < 0xDC00 || lo > 0xDFFF)
                        return fail(s, p, "lone surrogate \\u%04X in string", cp);
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    q += 6;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return fail(s, p, "lone surrogate \\u%04X in string", cp);
                }
                put_utf8(b, cp);
                nchars++;
                p = q;
                continue;
            }
            default: {
                char tmp[16];
                return fail(s, p, "invalid escape '\\%s' in string",
                            e >= 0x20 && e < 0x7f ? (snprintf(tmp, sizeof tmp, "%c", e), tmp)
                                                  : "?");
            }
            }
            cbk_buf_addc(b, out);
            nchars++;
            p += 2;
            continue;
        }
        if (c < 0x20)
            return fail(s, p, "control character U+%04X must be escaped in a string", c);
        if (c < 0x80) {
            /* copy a run of plain ASCII bytes at once */
            const unsigned char *q = p + 1;
            while (q < end && *q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
                q++;
            size_t run = (size_t)(q - p);
            if (cbk_buf_add(b, p, run) != CBK_OK)
                return fail(s, p + (b->max - b->len), "string too long"); /* the first byte over */
            p = q;
            nchars += run;
            continue;
        }
        size_t n = utf8_seq(p, end);
        if (!n)
            return fail(s, p, "invalid UTF-8 in string");
        if (cbk_buf_add(b, p, n) != CBK_OK)
            return fail(s, p, "string too long");
        p += n;
        nchars++;
    }
    ev->str = b->ptr ? b->ptr : "";
    ev->len = b->len;
    ev->nchars = nchars;
    s->p = p + 1;
    return 0;
}

static int scan_number(struct scan *s, struct cbk_jevent *ev)
{
    const unsigned char *p = s->p, *end = s->end, *start = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return fail(s, p, "invalid number: expected a digit");
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return fail(s, start, "invalid number: leading zeros are not allowed");
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail(s, p, "invalid number: expected a digit after '.'");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return fail(s, p, "invalid number: expected a digit in the exponent");
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    ev->str = (const char *)start;
    ev->len = (size_t)(p - start);
    s->p = p;
    return 0;
}

static int literal(struct scan *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) {
        return fail(s, s->p, "invalid literal (expected '%s')", word);
    }
    s->p += n;
    return 0;
}

int cbk_json_scan(const char *buf, size_t len, size_t max_depth, struct cbk_buf *scratch,
                  cbk_json_cb cb, void *ctx, struct cbk_json_error *err)
{
    struct scan s;
    s.buf = (const unsigned char *)(buf ? buf : ""); /* (NULL, 0): an empty body */
    s.p = s.buf;
    s.end = s.buf + len;
    s.line = 1;
    s.line_start = 0;
    s.scratch = scratch;
    s.err = err;
    memset(err, 0, sizeof(*err));
    if (max_depth == 0 || max_depth > CBK_JSON_MAX_DEPTH)
        max_depth = CBK_JSON_MAX_DEPTH;

    uint64_t stack[CBK_JSON_MAX_DEPTH / 64 + 1]; /* bit set: object; clear: array */
    size_t depth = 0;
    char tmp[16];
    struct cbk_jevent ev;

    /* states: expecting a value / after a value / expecting a key (or '}' if first) */
    enum { S_VALUE, S_AFTER, S_KEY_OR_END, S_KEY, S_VALUE_OR_END } st = S_VALUE;

    for (;;) {
        skip_ws(&s);
        ev.offset = off(&s, s.p);
        ev.line = s.line;
        ev.line_start = s.line_start;
        ev.nchars = 0;
        if (st == S_AFTER) {
            if (depth == 0) {
                if (s.p != s.end)
                    return fail(&s, s.p, "unexpected %s after the end of the document",
                                what(&s, s.p, tmp, sizeof tmp));
                return 0;
            }
            bool obj = (stack[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                st = obj ? S_KEY : S_VALUE;
                continue;
            }
            if (s.p < s.end && *s.p == (obj ? '}' : ']')) {
                s.p++;
                depth--;
                ev.type = obj ? CBK_JEV_OBJ_END : CBK_JEV_ARR_END;
                ev.str = NULL;
                ev.len = 0;
                if (cb(ctx, &ev))
                    return 1;
                st = S_AFTER;
                continue;
            }
            return fail(&s, s.p, "unexpected %s, expected ',' or '%c'",
                        what(&s, s.p, tmp, sizeof tmp), obj ? '}' : ']');
        }
        if (st == S_KEY || st == S_KEY_OR_END) {
            if (s.p < s.end && *s.p == '}' && st == S_KEY_OR_END) {
                s.p++;
                depth--;
                ev.type = CBK_JEV_OBJ_END;
                ev.str = NULL;
                ev.len = 0;
                if (cb(ctx, &ev))
                    return 1;
                st = S_AFTER;
                continue;
            }
            if (s.p >= s.end || *s.p != '"')
                return fail(&s, s.p, "unexpected %s, expected a member name in double quotes%s",
                            what(&s, s.p, tmp, sizeof tmp), st == S_KEY_OR_END ? " or '}'" : "");
            if (scan_string(&s, &ev) != 0)
                return -1;
            ev.type = CBK_JEV_KEY;
            skip_ws(&s);
            if (s.p >= s.end || *s.p != ':')
                return fail(&s, s.p, "unexpected %s, expected ':' after the member name",
                            what(&s, s.p, tmp, sizeof tmp));
            s.p++;
            if (cb(ctx, &ev))
                return 1;
            st = S_VALUE;
            continue;
        }
        /* S_VALUE or S_VALUE_OR_END */
        if (s.p >= s.end)
            return fail(&s, s.p,
                        depth || st == S_VALUE_OR_END
                            ? "unexpected end of input"
                            : "unexpected end of input, expected a JSON value");
        unsigned char c = *s.p;
        if (c == ']' && st == S_VALUE_OR_END) {
            s.p++;
            depth--;
            ev.type = CBK_JEV_ARR_END;
            ev.str = NULL;
            ev.len = 0;
            if (cb(ctx, &ev))
                return 1;
            st = S_AFTER;
            continue;
        }
        switch (c) {
        case '{':
        case '[':
            if (depth >= max_depth)
                return fail(&s, s.p, "nesting deeper than %zu levels", max_depth);
            if (c == '{')
                stack[depth / 64] |= (uint64_t)1 << (depth % 64);
            else
                stack[depth / 64] &= ~((uint64_t)1 << (depth % 64));
            depth++;
            s.p++;
            ev.type = c == '{' ? CBK_JEV_OBJ_START : CBK_JEV_ARR_START;
            ev.str = NULL;
            ev.len = 0;
            if (cb(ctx, &ev))
                return 1;
            st = c == '{' ? S_KEY_OR_END : S_VALUE_OR_END;
            continue;
        case '"':
            if (scan_string(&s, &ev) != 0)
                return -1;
            ev.type = CBK_JEV_STRING;
            break;
        case 't':
            if (literal(&s, "true", 4) != 0)
                return -1;
            ev.type = CBK_JEV_TRUE;
            ev.str = "true";
            ev.len = 4;
            break;
        case 'f':
            if (literal(&s, "false", 5) != 0)
                return -1;
            ev.type = CBK_JEV_FALSE;
            ev.str = "false";
            ev.len = 5;
            break;
        case 'n':
            if (literal(&s, "null", 4) != 0)
                return -1;
            ev.type = CBK_JEV_NULL;
            ev.str = "null";
            ev.len = 4;
            break;
        default:
            if (c == '-' || (c >= '0' && c <= '9')) {
                if (scan_number(&s, &ev) != 0)
                    return -1;
                ev.type = CBK_JEV_NUMBER;
                break;
            }
            if (c == ']' || c == '}' || c == ',')
                return fail(&s, s.p, "unexpected %s, expected a value",
                            what(&s, s.p, tmp, sizeof tmp));
            return fail(&s, s.p, "unexpected %s, expected a JSON value",
                        what(&s, s.p, tmp, sizeof tmp));
        }
        if (cb(ctx, &ev))
            return 1;
        st = S_AFTER;
    }
}

struct top_ctx {
    const char *const *keys;
    size_t n;
    int depth;
    size_t want; /* index + 1 of the key whose value comes next, 0 for none */
    size_t left; /* keys not settled yet */
    bool *found, *settled;
    struct cbk_buf *outs;
};

static int top_cb(void *ctx, const struct cbk_jevent *ev)
{
    struct top_ctx *t = ctx;
    switch (ev->type) {
    case CBK_JEV_OBJ_START:
    case CBK_JEV_ARR_START:
        if (t->depth == 0 && ev->type == CBK_JEV_ARR_START)
            return 1; /* not an object */
        t->depth++;
        if (t->want) { /* the key's value is an object or array: settled, not a string */
            t->settled[t->want - 1] = true;
            t->want = 0;
            if (--t->left == 0)
                return 1;
        }
        return 0;
    case CBK_JEV_OBJ_END:
    case CBK_JEV_ARR_END:
        t->depth--;
        return 0;
    case CBK_JEV_KEY:
        t->want = 0;
        if (t->depth == 1)
            for (size_t i = 0; i < t->n; i++)
                if (!t->settled[i] && strlen(t->keys[i]) == ev->len &&
                    memcmp(ev->str, t->keys[i], ev->len) == 0) {
                    t->want = i + 1;
                    break;
                }
        return 0;
    default:
        if (!t->want)
            return 0;
        /* the first occurrence of a key settles it: a string, or not one */
        t->settled[t->want - 1] = true;
        if (ev->type == CBK_JEV_STRING) {
            cbk_buf_add(&t->outs[t->want - 1], ev->str, ev->len);
            t->found[t->want - 1] = true;
        }
        t->want = 0;
        return --t->left == 0; /* stop once every key is settled */
    }
}

void cbk_json_top_strings(const char *buf, size_t len, const char *const *keys, size_t n,
                          struct cbk_buf *outs, bool *found)
{
    bool settled[CBK_JSON_TOP_MAX] = {false};
    n = CBK_MIN(n, (size_t)CBK_JSON_TOP_MAX);
    for (size_t i = 0; i < n; i++) {
        cbk_buf_reset(&outs[i]);
        found[i] = false;
    }
    struct top_ctx t = {keys, n, 0, 0, n, found, settled, outs};
    struct cbk_buf scratch = CBK_BUF_INIT((size_t)16 << 20);
    struct cbk_json_error err;
    (void)cbk_json_scan(buf, len, 64, &scratch, top_cb, &t, &err);
    cbk_buf_release(&scratch);
}

bool cbk_json_top_string(const char *buf, size_t len, const char *key, struct cbk_buf *out)
{
    bool found = false;
    cbk_json_top_strings(buf, len, &key, 1, out, &found);
    return found;
}

struct list_ctx {
    const char *key;
    size_t key_len;
    int depth;
    bool want; /* the key's value comes next */
    bool in;   /* inside its array */
    bool ok;   /* everything seen so far can be taken */
    size_t n;
    struct cbk_buf *out;
};

static int list_cb(void *ctx, const struct cbk_jevent *ev)
{
    struct list_ctx *l = ctx;
    switch (ev->type) {
    case CBK_JEV_OBJ_START:
    case CBK_JEV_ARR_START:
        if (l->depth == 0 && ev->type == CBK_JEV_ARR_START)
            return l->ok = false, 1; /* not an object */
        if (l->in || (l->want && ev->type == CBK_JEV_OBJ_START))
            return l->ok = false, 1; /* a nested value, or an object for the list */
        l->depth++;
        if (l->want) {
            l->want = false;
            l->in = true;
            l->n = 0; /* a later occurrence of the key counts, as with a parsed document */
            cbk_buf_reset(l->out);
        }
        return 0;
    case CBK_JEV_OBJ_END:
    case CBK_JEV_ARR_END:
        l->depth--;
        l->in = false;
        return 0;
    case CBK_JEV_KEY:
        l->want = l->depth == 1 && ev->len == l->key_len && memcmp(ev->str, l->key, ev->len) == 0;
        return 0;
    case CBK_JEV_STRING:
        if (l->in) {
            if (memchr(ev->str, '\0', ev->len))
                return l->ok = false, 1; /* not a C string */
            if (cbk_buf_add(l->out, ev->str, ev->len) != CBK_OK ||
                cbk_buf_addc(l->out, '\0') != CBK_OK)
                return l->ok = false, 1;
            l->n++;
            return 0;
        }
        /* fall through */
    default:
        if (l->in || l->want)
            return l->ok = false, 1; /* a list holding something else, or no list */
        return 0;
    }
}

bool cbk_json_top_string_list(const char *buf, size_t len, const char *key, struct cbk_buf *out,
                              size_t *n)
{
    cbk_buf_reset(out);
    struct list_ctx l = {key, strlen(key), 0, false, false, true, 0, out};
    struct cbk_buf scratch = CBK_BUF_INIT((size_t)16 << 20);
    struct cbk_json_error err;
    int rc = cbk_json_scan(buf, len, 64, &scratch, list_cb, &l, &err);
    cbk_buf_release(&scratch);
    *n = rc == 0 && l.ok ? l.n : 0;
    return rc == 0 && l.ok;
}
