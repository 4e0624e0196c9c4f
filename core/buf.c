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

enum cbk_code cbk_buf_add_json_str(struct cbk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t orig = b->len; /* on failure, leave the buffer as it was */
    /* fast path: most strings need no escaping and go in with one copy */
    size_t clean = 0;
    while (clean < len) {
        unsigned char c = (unsigned char)s[clean];
        if (c < 0x20 || c == '"' || c == '\\')
            break;
        clean++;
    }
    if (clean == len) {
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
    if (cbk_buf_addc(b, '"') != CBK_OK)
        return CBK_E_LIMIT;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (cbk_buf_add(b, s + start, i - start) != CBK_OK)
            goto limit;
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
            goto limit;
        start = i + 1;
    }
    if (cbk_buf_add(b, s + start, len - start) == CBK_OK && cbk_buf_addc(b, '"') == CBK_OK)
        return CBK_OK;
limit:
    cbk_buf_truncate(b, orig);
    return CBK_E_LIMIT;
}
