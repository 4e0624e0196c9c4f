/*
 * strtab.h - an immutable string -> index table (open addressing, word-at-a-time hash).
 * Built once (at spec compile time) and then only read, so it is safe to share between
 * threads. Lookup costs one hash and usually one comparison, whatever the table size.
 */
#ifndef CBK_STRTAB_H
#define CBK_STRTAB_H

#include "core/setup.h"

struct cbk_strtab {
    uint32_t mask;     /* slots - 1 (slots is a power of two, at least twice the entries) */
    uint32_t *slots;   /* entry index + 1, 0 = empty */
    const char **keys; /* borrowed: the caller keeps the strings alive */
    uint32_t *lens;
    uint32_t n;
};

/* A fast 32-bit hash of len bytes (word at a time); values are not stable across versions. */
uint32_t cbk_hash(const char *s, size_t len);
/*
 * Build a table over keys[0..n-1] (borrowed; must outlive the table). Returns -1 and leaves
 * *t empty if two keys are equal (*dup gets the index of the second), else 0.
 */
int cbk_strtab_build(struct cbk_strtab *t, const char *const *keys, size_t n, size_t *dup);
void cbk_strtab_release(struct cbk_strtab *t);
/* Index of 'key' or -1. */
long cbk_strtab_find(const struct cbk_strtab *t, const char *key, size_t len);

#endif
