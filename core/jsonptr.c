/*
 * jsonptr.c - build, escape and pop RFC 6901 JSON pointers.
 * Used by the validator to name the failing location in a document.
 */
#include "core/setup.h"
#include "core/jsonptr.h"

/* Pointers are bounded by document depth and key sizes, themselves bounded by input limits. */
#define PTR_MAX ((size_t)64 << 20)

void cbk_ptr_init(struct cbk_ptr *p)
{
    cbk_buf_init(&p->buf, PTR_MAX);
}

void cbk_ptr_release(struct cbk_ptr *p)
{
    cbk_buf_release(&p->buf);
}

void cbk_ptr_escape(struct cbk_buf *out, const char *key, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (key[i] != '~' && key[i] != '/')
            continue;
        cbk_buf_add(out, key + start, i - start);
        cbk_buf_add(out, key[i] == '~' ? "~0" : "~1", 2);
        start = i + 1;
    }
    cbk_buf_add(out, key + start, len - start);
}

/*
 * Append "/" + s[0..n) in place when it fits in the allocation and the limit (the validator
 * pushes a token per value, so this is hot). Returns false when the caller must take the slow
 * path (growth, or the limit), which behaves exactly like the code before the fast path.
 */
static bool push_fast(struct cbk_buf *b, const char *s, size_t n)
{
    if (!b->ptr || n + 2 > b->cap - b->len || n + 1 > b->max - b->len)
        return false;
    char *d = b->ptr + b->len;
    d[0] = '/';
    memcpy(d + 1, s, n);
    d[n + 1] = '\0';
    b->len += n + 1;
    return true;
}

/* Does key[0..len) contain '~' or '/'? (8 bytes at a time) */
static bool needs_escape(const char *key, size_t len)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t w, t, sl;
    if (len < 8) {
        for (size_t i = 0; i < len; i++)
            if (key[i] == '~' || key[i] == '/')
                return true;
        return false;
    }
    for (size_t i = 0;; i += 8) {
        if (len - i < 8)
            i = len - 8; /* the last block overlaps the previous one */
        memcpy(&w, key + i, 8);
        t = w ^ (ones * '~');
        sl = w ^ (ones * '/');
        if (((t - ones) & ~t & highs) | ((sl - ones) & ~sl & highs))
            return true;
        if (i + 8 == len)
            return false;
    }
}

size_t cbk_ptr_push_key(struct cbk_ptr *p, const char *key, size_t len)
{
    size_t mark = p->buf.len;
    if (!needs_escape(key, len) && push_fast(&p->buf, key, len))
        return mark; /* nothing to escape */
    cbk_buf_addc(&p->buf, '/');
    cbk_ptr_escape(&p->buf, key, len);
    return mark;
}

size_t cbk_ptr_push_index(struct cbk_ptr *p, size_t index)
{
    size_t mark = p->buf.len;
    char tmp[32];
    char *e = tmp + sizeof(tmp), *d = e;
    do {
        *--d = (char)('0' + index % 10);
        index /= 10;
    } while (index);
    if (push_fast(&p->buf, d, (size_t)(e - d)))
        return mark;
    *--d = '/';
    cbk_buf_add(&p->buf, d, (size_t)(e - d));
    return mark;
}

void cbk_ptr_pop(struct cbk_ptr *p, size_t mark)
{
    cbk_buf_truncate(&p->buf, mark);
}

const char *cbk_ptr_str(const struct cbk_ptr *p)
{
    return cbk_buf_str(&p->buf);
}

size_t cbk_ptr_len(const struct cbk_ptr *p)
{
    return p->buf.len;
}
