/*
 * strtab.c - immutable string -> index hash tables (see strtab.h).
 */
#include "core/setup.h"
#include "core/strtab.h"
#include "core/alloc.h"

uint32_t cbk_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

int cbk_strtab_build(struct cbk_strtab *t, const char *const *keys, size_t n, size_t *dup)
{
    memset(t, 0, sizeof(*t));
    uint32_t slots = 4;
    while (slots < n * 2 + 1)
        slots *= 2;
    t->mask = slots - 1;
    t->slots = cbk_xcalloc(slots, sizeof(uint32_t));
    t->keys = cbk_xcalloc(n ? n : 1, sizeof(char *));
    t->lens = cbk_xcalloc(n ? n : 1, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        if (cbk_strtab_find(t, keys[i], len) >= 0) {
            if (dup)
                *dup = i;
            cbk_strtab_release(t);
            return -1;
        }
        t->keys[i] = keys[i];
        t->lens[i] = (uint32_t)len;
        uint32_t h = cbk_hash(keys[i], len) & t->mask;
        while (t->slots[h])
            h = (h + 1) & t->mask;
        t->slots[h] = (uint32_t)i + 1;
        t->n = (uint32_t)i + 1;
    }
    t->n = (uint32_t)n;
    return 0;
}

void cbk_strtab_release(struct cbk_strtab *t)
{
    free(t->slots);
    free(t->keys);
    free(t->lens);
    memset(t, 0, sizeof(*t));
}

long cbk_strtab_find(const struct cbk_strtab *t, const char *key, size_t len)
{
    if (!t->slots)
        return -1;
    uint32_t h = cbk_hash(key, len) & t->mask;
    for (;;) {
        uint32_t e = t->slots[h];
        if (!e)
            return -1;
        e--;
        if (t->lens[e] == len && memcmp(t->keys[e], key, len) == 0)
            return (long)e;
        h = (h + 1) & t->mask;
    }
}
