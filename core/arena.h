/*
 * arena.h - a bump allocator whose allocations are all freed at once (h2o's req->pool).
 * Used for per-request memory in the mock and for the compiled spec and YAML trees.
 * Not thread-safe: one arena belongs to one owner at a time.
 */
#ifndef CBK_ARENA_H
#define CBK_ARENA_H

#include "core/setup.h"

struct cbk_arena_chunk;
struct cbk_arena_block;
struct cbk_buf;
struct cbk_arena {
    struct cbk_arena_chunk *head;   /* newest chunk first */
    size_t chunk_size;              /* size of ordinary chunks */
    size_t used;                    /* total bytes handed out (statistics) */
    struct cbk_arena_block *blocks; /* buffers taken with cbk_arena_take_buf() */
    char *spare;                    /* one of them kept by cbk_arena_reset(), or NULL */
    size_t spare_cap;
};
#define CBK_ARENA_INIT(chunk)                                                                      \
    {                                                                                              \
        NULL, (chunk), 0, NULL, NULL, 0                                                            \
    }
/* The largest buffer a reset keeps for the next cbk_arena_lend_buf(). */
#define CBK_ARENA_SPARE_MAX ((size_t)1 << 20)

void cbk_arena_init(struct cbk_arena *a, size_t chunk_size);
/* Free every allocation and chunk; the arena is left empty and reusable. */
void cbk_arena_release(struct cbk_arena *a);
/* Free all allocations but keep the first chunk for reuse (cheap reset between requests). */
void cbk_arena_reset(struct cbk_arena *a);
/* 'n' bytes aligned for any type; never NULL (out of memory aborts). Owned by the arena. */
void *cbk_arena_alloc(struct cbk_arena *a, size_t n);
void *cbk_arena_calloc(struct cbk_arena *a, size_t n);
char *cbk_arena_strndup(struct cbk_arena *a, const char *s, size_t n);
char *cbk_arena_strdup(struct cbk_arena *a, const char *s);
char *cbk_arena_printf(struct cbk_arena *a, const char *fmt, ...) CBK_PRINTF(2, 3);

/*
 * Big answers without a copy and without fresh memory for every request. An empty buffer 'b'
 * (no allocation yet) borrows the memory the arena kept from an earlier request, if any, and
 * grows from there as usual; cbk_arena_take_buf() then makes the contents the arena's:
 * it returns them NUL-terminated (valid until the arena's reset or release; "" when the buffer
 * is empty), sets '*len' (if not NULL) and leaves 'b' empty. A reset keeps one taken buffer of
 * at most CBK_ARENA_SPARE_MAX bytes for the next loan and frees the others; a release frees
 * them all. Never fails (allocation failure aborts).
 */
void cbk_arena_lend_buf(struct cbk_arena *a, struct cbk_buf *b);
char *cbk_arena_take_buf(struct cbk_arena *a, struct cbk_buf *b, size_t *len);
/* The bytes the arena keeps for its next loan (0: none); freeing them now (an owner that keeps
 * many arenas bounds what they hold together). */
size_t cbk_arena_spare_size(const struct cbk_arena *a);
void cbk_arena_drop_spare(struct cbk_arena *a);

#endif
