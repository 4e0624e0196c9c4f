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

size_t cbk_ptr_push_key(struct cbk_ptr *p, const char *key, size_t len)
{
    size_t mark = p->buf.len;
    cbk_buf_addc(&p->buf, '/');
    cbk_ptr_escape(&p->buf, key, len);
    return mark;
}

size_t cbk_ptr_push_index(struct cbk_ptr *p, size_t index)
{
    size_t mark = p->buf.len;
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "/%zu", index);
    cbk_buf_add(&p->buf, tmp, (size_t)n);
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
