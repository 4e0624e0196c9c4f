/*
 * arena.c - bump allocation with release-all (see arena.h).
 */
#include "core/setup.h"
#include "core/arena.h"
#include "core/alloc.h"
#include "core/buf.h"

struct cbk_arena_chunk {
    struct cbk_arena_chunk *next;
    size_t size, off;
    max_align_t data[]; /* aligned storage */
};

/* A buffer taken by the arena (the node itself lives in the arena's chunks). */
struct cbk_arena_block {
    struct cbk_arena_block *next;
    char *ptr;
    size_t cap;
};

#define ALIGN_UP(n) (((n) + (sizeof(max_align_t) - 1)) & ~(sizeof(max_align_t) - 1))

void cbk_arena_init(struct cbk_arena *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 4096;
    a->used = 0;
    a->blocks = NULL;
    a->spare = NULL;
    a->spare_cap = 0;
}

/* Free the taken buffers, but keep the largest of at most CBK_ARENA_SPARE_MAX bytes as the
 * spare when 'keep' (the spare it replaces is freed). Runs before the chunks holding the
 * nodes are freed. */
static void blocks_end(struct cbk_arena *a, bool keep)
{
    for (struct cbk_arena_block *k = a->blocks; k; k = k->next) {
        if (keep && k->cap <= CBK_ARENA_SPARE_MAX && k->cap > a->spare_cap) {
            free(a->spare);
            a->spare = k->ptr;
            a->spare_cap = k->cap;
        } else {
            free(k->ptr);
        }
    }
    a->blocks = NULL;
    if (!keep) {
        free(a->spare);
        a->spare = NULL;
        a->spare_cap = 0;
    }
}

void cbk_arena_release(struct cbk_arena *a)
{
    blocks_end(a, false);
    struct cbk_arena_chunk *c = a->head;
    while (c) {
        struct cbk_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
    a->used = 0;
}

void cbk_arena_reset(struct cbk_arena *a)
{
    blocks_end(a, true);
    struct cbk_arena_chunk *c = a->head;
    if (!c)
        return;
    /* keep the oldest chunk of ordinary size; free everything else */
    struct cbk_arena_chunk *keep = NULL;
    while (c) {
        struct cbk_arena_chunk *n = c->next;
        if (!keep && !n && c->size == a->chunk_size)
            keep = c;
        else
            free(c);
        c = n;
    }
    if (keep) {
        keep->next = NULL;
        keep->off = 0;
    }
    a->head = keep;
    a->used = 0;
}

void *cbk_arena_alloc(struct cbk_arena *a, size_t n)
{
    n = ALIGN_UP(n ? n : 1);
    struct cbk_arena_chunk *c = a->head;
    if (!c || c->size - c->off < n) {
        size_t size = n > a->chunk_size / 4 ? n : a->chunk_size;
        if (size != a->chunk_size && c) {
            /* a large block gets a chunk of its own, behind the current one */
            struct cbk_arena_chunk *big = cbk_xmalloc(sizeof(*big) + size);
            big->size = size;
            big->off = n;
            big->next = c->next;
            c->next = big;
            a->used += n;
            return big->data;
        }
        c = cbk_xmalloc(sizeof(*c) + size);
        c->size = size;
        c->off = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->off;
    c->off += n;
    a->used += n;
    return p;
}

void *cbk_arena_calloc(struct cbk_arena *a, size_t n)
{
    void *p = cbk_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *cbk_arena_strndup(struct cbk_arena *a, const char *s, size_t n)
{
    char *p = cbk_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *cbk_arena_strdup(struct cbk_arena *a, const char *s)
{
    return cbk_arena_strndup(a, s, strlen(s));
}

char *cbk_arena_printf(struct cbk_arena *a, const char *fmt, ...)
{
    va_list ap, cp;
    va_start(ap, fmt);
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    char *p = cbk_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void cbk_arena_lend_buf(struct cbk_arena *a, struct cbk_buf *b)
{
    if (!a->spare || b->ptr)
        return;
    b->ptr = a->spare;
    b->cap = a->spare_cap;
    b->len = 0;
    b->ptr[0] = '\0';
    a->spare = NULL;
    a->spare_cap = 0;
}

char *cbk_arena_take_buf(struct cbk_arena *a, struct cbk_buf *b, size_t *len)
{
    if (len)
        *len = b->len;
    if (!b->ptr)
        return cbk_arena_strdup(a, "");
    struct cbk_arena_block *k = cbk_arena_alloc(a, sizeof(*k));
    k->ptr = b->ptr;
    k->cap = b->cap;
    k->next = a->blocks;
    a->blocks = k;
    char *s = b->ptr;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return s;
}

size_t cbk_arena_spare_size(const struct cbk_arena *a)
{
    return a->spare ? a->spare_cap : 0;
}

void cbk_arena_drop_spare(struct cbk_arena *a)
{
    free(a->spare);
    a->spare = NULL;
    a->spare_cap = 0;
}
