/*
 * jsonptr.h - build RFC 6901 JSON pointers incrementally.
 * The validator keeps one pointer and pushes a token per level as it descends, popping on the
 * way back; it copies the pointer out only when it reports something, so the success path
 * allocates nothing after the first few levels. The root pointer is "".
 */
#ifndef CBK_JSONPTR_H
#define CBK_JSONPTR_H

#include "core/setup.h"
#include "core/buf.h"

struct cbk_ptr {
    struct cbk_buf buf;
};

void cbk_ptr_init(struct cbk_ptr *p);
void cbk_ptr_release(struct cbk_ptr *p);
/* Append "/" + key with '~' -> "~0" and '/' -> "~1"; returns the mark to pop back to. */
size_t cbk_ptr_push_key(struct cbk_ptr *p, const char *key, size_t len);
/* Append "/" + decimal index; returns the mark to pop back to. */
size_t cbk_ptr_push_index(struct cbk_ptr *p, size_t index);
void cbk_ptr_pop(struct cbk_ptr *p, size_t mark);
/* The pointer as a C string ("" for the root). Borrowed until the next push/pop. */
const char *cbk_ptr_str(const struct cbk_ptr *p);
size_t cbk_ptr_len(const struct cbk_ptr *p);

/* Escape one key as a pointer token into 'out' (appends). */
void cbk_ptr_escape(struct cbk_buf *out, const char *key, size_t len);

#endif
