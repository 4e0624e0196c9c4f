/*
 * buf.c - bounded growable byte buffers (see buf.h).
 */
#include "core/setup.h"
#include "core/buf.h"
#include "core/alloc.h"

void cbk_buf_init(struct cbk_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void cbk_buf_release(struct cbk_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

void cbk_buf_reset(struct cbk_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

static enum cbk_code reserve(struct cbk_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return CBK_E_LIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return CBK_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->ptr = cbk_xrealloc(b->ptr, cap);
    b->cap = cap;
    return CBK_OK;
}

enum cbk_code cbk_buf_add_slow(struct cbk_buf *b, const void *data, size_t len)
{
    if (reserve(b, len) != CBK_OK)
        return CBK_E_LIMIT;
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return CBK_OK;
}

enum cbk_code cbk_buf_adds(struct cbk_buf *b, const char *s)
{
    return cbk_buf_add(b, s, strlen(s));
}

enum cbk_code cbk_buf_vaddf(struct cbk_buf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(small, sizeof(small), fmt, cp);
    va_end(cp);
    if (n < 0)
        return CBK_E_USAGE;
    if ((size_t)n < sizeof(small))
        return cbk_buf_add(b, small, (size_t)n);
    if (reserve(b, (size_t)n) != CBK_OK)
        return CBK_E_LIMIT;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return CBK_OK;
}

enum cbk_code cbk_buf_addf(struct cbk_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum cbk_code rc = cbk_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void cbk_buf_truncate(struct cbk_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->ptr[len] = '\0';
    }
}

const char *cbk_buf_str(const struct cbk_buf *b)
{
    return b->ptr ? b->ptr : "";
}

char *cbk_buf_detach(struct cbk_buf *b, size_t *len)
{
    char *p = b->ptr ? b->ptr : cbk_xstrdup("");
    if (len)
        *len = b->len;
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

/* Does any byte of 'v' need JSON escaping (a control character, '"' or '\\')? Exact: the
 * tests for "a byte below 0x20" and "a byte equal to c" never miss one and never flag a word
 * without one. */
static inline bool word_needs_escape(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t ctl = (v - 0x20 * ones) & ~v & highs;
    uint64_t q = v ^ (0x22 * ones), bs = v ^ (0x5c * ones);
    q = (q - ones) & ~q & highs;
    bs = (bs - ones) & ~bs & highs;
    return (ctl | q | bs) != 0;
}

/* Does 's' need no JSON escaping at all? 8 bytes at a time; the last word overlaps the one
 * before it rather than going byte by byte. */
static bool json_clean(const char *s, size_t len)
{
    uint64_t v;
    if (len >= 8) {
        size_t i = 0;
        for (; i + 8 <= len; i += 8) {
            memcpy(&v, s + i, 8);
            if (word_needs_escape(v))
                return false;
        }
        if (i < len) {
            memcpy(&v, s + len - 8, 8);
            return !word_needs_escape(v);
        }
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* Append 's' escaped (no quotes). CBK_OK, or CBK_E_LIMIT with part of it appended (the
 * callers cut the buffer back). */
static enum cbk_code add_escaped(struct cbk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (cbk_buf_add(b, s + start, i - start) != CBK_OK)
            return CBK_E_LIMIT;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (cbk_buf_add(b, esc, n) != CBK_OK)
            return CBK_E_LIMIT;
        start = i + 1;
    }
    return cbk_buf_add(b, s + start, len - start);
}

enum cbk_code cbk_buf_add_quoted(struct cbk_buf *b, const char *s, size_t len)
{
    if (reserve(b, len + 2) != CBK_OK)
        return CBK_E_LIMIT;
    char *p = b->ptr + b->len;
    p[0] = '"';
    memcpy(p + 1, s, len);
    p[len + 1] = '"';
    b->len += len + 2;
    b->ptr[b->len] = '\0';
    return CBK_OK;
}

enum cbk_code cbk_buf_add_json_str(struct cbk_buf *b, const char *s, size_t len)
{
    size_t orig = b->len; /* on failure, leave the buffer as it was */
    if (json_clean(s, len))
        return cbk_buf_add_quoted(b, s, len); /* most strings: one copy */
    if (cbk_buf_addc(b, '"') == CBK_OK && add_escaped(b, s, len) == CBK_OK &&
        cbk_buf_addc(b, '"') == CBK_OK)
        return CBK_OK;
    cbk_buf_truncate(b, orig);
    return CBK_E_LIMIT;
}

enum cbk_code cbk_buf_add_json_chars(struct cbk_buf *b, const char *s, size_t len)
{
    size_t orig = b->len;
    enum cbk_code rc = json_clean(s, len) ? cbk_buf_add(b, s, len) : add_escaped(b, s, len);
    if (rc != CBK_OK)
        cbk_buf_truncate(b, orig);
    return rc;
}

/* The length of the valid UTF-8 sequence at s[0..len), or 0 when it is not one (overlongs,
 * surrogates and code points above U+10FFFF are not). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

enum cbk_code cbk_buf_add_printable(struct cbk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t orig = b->len; /* on failure, leave the buffer as it was */
    const unsigned char *p = (const unsigned char *)s;
    size_t start = 0, i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n = utf8_seq(p + i, len - i);
        /* printable ASCII and valid UTF-8 other than the C1 controls (C2 80 .. C2 9F) */
        if ((c >= 0x20 && c < 0x7F) || (n > 1 && !(c == 0xC2 && p[i + 1] < 0xA0))) {
            i += n;
            continue;
        }
        if (cbk_buf_add(b, s + start, i - start) != CBK_OK)
            goto limit;
        size_t bytes = n > 1 ? n : 1; /* a C1 control: both of its bytes */
        for (size_t k = 0; k < bytes; k++) {
            unsigned char x = p[i + k];
            char esc[4] = {'\\', 'x', hex[x >> 4], hex[x & 15]};
            const char *e = esc;
            size_t el = 4;
            if (x == '\n' || x == '\r' || x == '\t') {
                esc[1] = x == '\n' ? 'n' : x == '\r' ? 'r' : 't';
                el = 2;
            }
            if (cbk_buf_add(b, e, el) != CBK_OK)
                goto limit;
        }
        i += bytes;
        start = i;
    }
    if (cbk_buf_add(b, s + start, len - start) != CBK_OK)
        goto limit;
    return CBK_OK;
limit:
    cbk_buf_truncate(b, orig);
    return CBK_E_LIMIT;
}
