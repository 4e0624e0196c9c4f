/*
 * strtab.c - immutable string -> index hash tables (see strtab.h).
 */
#include "core/setup.h"
#include "core/strtab.h"
#include "core/alloc.h"

/*
 * The hash of tables and maps: 8 bytes per multiply instead of FNV-1a's one, since every member
 * name and enum value of every validated document, and every build id the mock keeps, is looked
 * up with it. Tables are built and probed in the same process, so only its quality matters,
 * not its values (they are not stable across versions and never stored).
 */
uint32_t cbk_hash(const char *s, size_t len)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h = (uint64_t)len * k;
    uint64_t w;
    uint32_t lo, hi;
    if (len >= 8) {
        size_t i = 0;
        for (; len - i > 8; i += 8) {
            memcpy(&w, s + i, 8);
            h = (h ^ w) * k;
            h ^= h >> 32;
        }
        memcpy(&w, s + len - 8, 8); /* the last 8 bytes, overlapping the previous block */
    } else if (len >= 4) {
        memcpy(&lo, s, 4);
        memcpy(&hi, s + len - 4, 4);
        w = (uint64_t)hi << 32 | lo;
    } else if (len) {
        w = (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
            (uint64_t)(unsigned char)s[len - 1] << 16;
    } else {
        w = 0;
    }
    h = (h ^ w) * k;
    h ^= h >> 32;
    h *= 0xBF58476D1CE4E5B9ull;
    return (uint32_t)(h >> 32);
}

/* memcmp(a, b, n) == 0 for the short keys of tables, without the call. */
static bool same(const char *a, const char *b, size_t n)
{
    uint64_t x, y;
    uint32_t x4, y4, x4e, y4e;
    if (n >= 8) {
        for (size_t i = 0; n - i > 8; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        memcpy(&x4, a, 4);
        memcpy(&y4, b, 4);
        memcpy(&x4e, a + n - 4, 4);
        memcpy(&y4e, b + n - 4, 4);
        return x4 == y4 && x4e == y4e;
    }
    for (; n; a++, b++, n--)
        if (*a != *b)
            return false;
    return true;
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
        if (t->lens[e] == len && same(t->keys[e], key, len))
            return (long)e;
        h = (h + 1) & t->mask;
    }
}
