/*
 * arena.h - a bump allocator whose allocations are all freed at once (h2o's req->pool).
 * Used for per-request memory in the mock and for the compiled spec and YAML trees.
 * Not thread-safe: one arena belongs to one owner at a time.
 */
#ifndef CBK_ARENA_H
#define CBK_ARENA_H

#include "core/setup.h"

struct cbk_arena_chunk;
struct cbk_arena {
    struct cbk_arena_chunk *head; /* newest chunk first */
    size_t chunk_size;            /* size of ordinary chunks */
    size_t used;                  /* total bytes handed out (statistics) */
};
#define CBK_ARENA_INIT(chunk)                                                                      \
    {                                                                                              \
        NULL, (chunk), 0                                                                           \
    }

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

#endif
