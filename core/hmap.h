/*
 * hmap.h - a growable string-keyed hash map (separate chaining, at most one entry per bucket
 * on average). Keys are copied and owned by the map; values are the caller's (release() can
 * free them through a callback) or kept inline in the entry. Lookups cost the same whatever
 * the size. Not thread-safe: callers lock.
 */
#ifndef CBK_HMAP_H
#define CBK_HMAP_H

#include "core/setup.h"

struct cbk_hmap_entry {
    struct cbk_hmap_entry *next;
    uint32_t hash;
    size_t klen;
    void *value;
    char key[]; /* NUL-terminated copy */
};

struct cbk_hmap {
    struct cbk_hmap_entry **buckets;
    size_t nbuckets, n;
};
#define CBK_HMAP_INIT                                                                              \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void cbk_hmap_init(struct cbk_hmap *m);
/* Free every entry (calling free_value on each value when not NULL) and the table. */
void cbk_hmap_release(struct cbk_hmap *m, void (*free_value)(void *value));
void *cbk_hmap_get(const struct cbk_hmap *m, const char *key, size_t klen);
/* The map's own copy of 'key' (stable until the entry is deleted), or NULL when absent. */
const char *cbk_hmap_key(const struct cbk_hmap *m, const char *key, size_t klen);
/* Insert or replace; returns the previous value (or NULL). */
void *cbk_hmap_put(struct cbk_hmap *m, const char *key, size_t klen, void *value);
/*
 * Insert 'key', which must be absent, with a zeroed value of 'vsize' bytes kept in the entry
 * itself (one allocation, and one memory access less per lookup); returns the value. It lives
 * as long as the entry: release()'s free_value may free what the value points to, never the
 * value itself.
 */
void *cbk_hmap_put_inline(struct cbk_hmap *m, const char *key, size_t klen, size_t vsize);
/* Remove; returns the value (or NULL when absent; an inline value is gone with its entry). */
void *cbk_hmap_del(struct cbk_hmap *m, const char *key, size_t klen);
/* Call fn for each entry (unspecified order); fn must not modify the map. */
void cbk_hmap_each(const struct cbk_hmap *m,
                   void (*fn)(const char *key, size_t klen, void *value, void *arg), void *arg);

#endif
