/*
 * buf.h - a bounded, growable byte buffer (curl's dynbuf).
 * The contents are always NUL-terminated, so b->ptr can be used as a C string when the data
 * has no NUL bytes. Every buffer has a maximum size; growing past it fails with CBK_E_LIMIT
 * and leaves the buffer unchanged.
 */
#ifndef CBK_BUF_H
#define CBK_BUF_H

#include "core/setup.h"
#include "cbkit/error.h"

struct cbk_buf {
    char *ptr;  /* NULL until the first byte is added; never NULL afterwards */
    size_t len; /* bytes in use, not counting the terminating NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* largest 'len' allowed */
};
#define CBK_BUF_INIT(max)                                                                          \
    {                                                                                              \
        NULL, 0, 0, (max)                                                                          \
    }

void cbk_buf_init(struct cbk_buf *b, size_t max);
/* Free the contents; the buffer is left empty and reusable with the same maximum. */
void cbk_buf_release(struct cbk_buf *b);
/* Forget the contents but keep the allocation. */
void cbk_buf_reset(struct cbk_buf *b);
/* Append; CBK_OK, or CBK_E_LIMIT (buffer unchanged) if the result would exceed max. */
enum cbk_code cbk_buf_add_slow(struct cbk_buf *b, const void *data, size_t len);
static inline enum cbk_code cbk_buf_add(struct cbk_buf *b, const void *data, size_t len)
{
    /* the common case inline: room enough and within the maximum */
    if (b->ptr && len < b->cap - b->len && len <= b->max - b->len) {
        if (len)
            memcpy(b->ptr + b->len, data, len);
        b->len += len;
        b->ptr[b->len] = '\0';
        return CBK_OK;
    }
    return cbk_buf_add_slow(b, data, len);
}
enum cbk_code cbk_buf_adds(struct cbk_buf *b, const char *s);
static inline enum cbk_code cbk_buf_addc(struct cbk_buf *b, char c)
{
    return cbk_buf_add(b, &c, 1);
}
enum cbk_code cbk_buf_addf(struct cbk_buf *b, const char *fmt, ...) CBK_PRINTF(2, 3);
enum cbk_code cbk_buf_vaddf(struct cbk_buf *b, const char *fmt, va_list ap) CBK_PRINTF(2, 0);
/* Shorten to 'len' bytes (len <= b->len). */
void cbk_buf_truncate(struct cbk_buf *b, size_t len);
/* The contents as a C string: "" when empty (never NULL). Borrowed. */
const char *cbk_buf_str(const struct cbk_buf *b);
/*
 * Take the contents: returns a malloc'd NUL-terminated string (never NULL; "" when empty)
 * that the caller frees, and leaves the buffer empty. '*len' (if not NULL) gets the length.
 */
char *cbk_buf_detach(struct cbk_buf *b, size_t *len);
/* Append 's' as a JSON string literal (with quotes), escaping as RFC 8259 requires. */
enum cbk_code cbk_buf_add_json_str(struct cbk_buf *b, const char *s, size_t len);
/* 's' between quotes as it is, for text known to need no escaping; CBK_OK or CBK_E_LIMIT
 * (buffer unchanged). */
enum cbk_code cbk_buf_add_quoted(struct cbk_buf *b, const char *s, size_t len);
/* The same without the quotes: 's' as a part of a JSON string. */
enum cbk_code cbk_buf_add_json_chars(struct cbk_buf *b, const char *s, size_t len);
/*
 * Append 's' for a terminal or a log line: text that came from outside (request paths, header
 * values, JSON keys) can then neither start a line of its own nor send escape sequences. CR,
 * LF and TAB become "\r", "\n" and "\t"; other C0 controls, DEL, the C1 controls (U+0080 to
 * U+009F) and bytes that are not valid UTF-8 become "\xHH" (one per byte); everything else is
 * copied. CBK_OK, or CBK_E_LIMIT with the buffer as it was.
 */
enum cbk_code cbk_buf_add_printable(struct cbk_buf *b, const char *s, size_t len);

#endif
