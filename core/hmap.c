/*
 * hmap.c - string-keyed hash map with chaining (see hmap.h).
 */
#include "core/setup.h"
#include "core/hmap.h"
#include "core/alloc.h"
#include "core/strtab.h"

void cbk_hmap_init(struct cbk_hmap *m)
{
    m->buckets = NULL;
    m->nbuckets = 0;
    m->n = 0;
}

void cbk_hmap_release(struct cbk_hmap *m, void (*free_value)(void *value))
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        struct cbk_hmap_entry *e = m->buckets[i];
        while (e) {
            struct cbk_hmap_entry *n = e->next;
            if (free_value)
                free_value(e->value);
            free(e);
            e = n;
        }
    }
    free(m->buckets);
    cbk_hmap_init(m);
}

static struct cbk_hmap_entry **slot(const struct cbk_hmap *m, const char *key, size_t klen,
                                    uint32_t h)
{
    struct cbk_hmap_entry **p = &m->buckets[h & (m->nbuckets - 1)];
    while (*p && !((*p)->hash == h && (*p)->klen == klen && memcmp((*p)->key, key, klen) == 0))
        p = &(*p)->next;
    return p;
}

void *cbk_hmap_get(const struct cbk_hmap *m, const char *key, size_t klen)
{
    if (!m->nbuckets)
        return NULL;
    struct cbk_hmap_entry **p = slot(m, key, klen, cbk_hash(key, klen));
    return *p ? (*p)->value : NULL;
}

const char *cbk_hmap_key(const struct cbk_hmap *m, const char *key, size_t klen)
{
    if (!m->nbuckets)
        return NULL;
    struct cbk_hmap_entry **p = slot(m, key, klen, cbk_hash(key, klen));
    return *p ? (*p)->key : NULL;
}

static void grow(struct cbk_hmap *m)
{
    size_t nb = m->nbuckets ? m->nbuckets * 2 : 16;
    struct cbk_hmap_entry **b = cbk_xcalloc(nb, sizeof(*b));
    for (size_t i = 0; i < m->nbuckets; i++) {
        struct cbk_hmap_entry *e = m->buckets[i];
        while (e) {
            struct cbk_hmap_entry *n = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
            e = n;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = nb;
}

void *cbk_hmap_put(struct cbk_hmap *m, const char *key, size_t klen, void *value)
{
    if (m->n + 1 > m->nbuckets)
        grow(m);
    uint32_t h = cbk_hash(key, klen);
    struct cbk_hmap_entry **p = slot(m, key, klen, h);
    if (*p) {
        void *old = (*p)->value;
        (*p)->value = value;
        return old;
    }
    struct cbk_hmap_entry *e = cbk_xmalloc(sizeof(*e) + klen + 1);
    e->next = NULL;
    e->hash = h;
    e->klen = klen;
    e->value = value;
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    *p = e;
    m->n++;
    return NULL;
}

void *cbk_hmap_put_inline(struct cbk_hmap *m, const char *key, size_t klen, size_t vsize)
{
    if (m->n + 1 > m->nbuckets)
        grow(m);
    uint32_t h = cbk_hash(key, klen);
    struct cbk_hmap_entry **p = slot(m, key, klen, h);
    assert(!*p); /* the caller checked */
    /* entry, key and NUL, padding, value: one allocation */
    const size_t al = _Alignof(max_align_t); /* what malloc guarantees for e itself */
    size_t off = (sizeof(struct cbk_hmap_entry) + klen + 1 + al - 1) / al * al;
    struct cbk_hmap_entry *e = cbk_xcalloc(1, off + (vsize ? vsize : 1));
    e->next = NULL;
    e->hash = h;
    e->klen = klen;
    e->value = (char *)e + off;
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    *p = e;
    m->n++;
    return e->value;
}

void *cbk_hmap_del(struct cbk_hmap *m, const char *key, size_t klen)
{
    if (!m->nbuckets)
        return NULL;
    struct cbk_hmap_entry **p = slot(m, key, klen, cbk_hash(key, klen));
    if (!*p)
        return NULL;
    struct cbk_hmap_entry *e = *p;
    void *v = e->value;
    *p = e->next;
    free(e);
    m->n--;
    return v;
}

void cbk_hmap_each(const struct cbk_hmap *m,
                   void (*fn)(const char *key, size_t klen, void *value, void *arg), void *arg)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (struct cbk_hmap_entry *e = m->buckets[i]; e; e = e->next)
            fn(e->key, e->klen, e->value, arg);
}
