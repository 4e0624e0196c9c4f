/*
 * alloc.h - allocation wrappers that never return NULL.
 * Out of memory is fatal in cbkit: these print "cbkit: fatal: out of memory" and abort, so
 * error codes elsewhere only ever mean real failures (input, I/O, network).
 */
#ifndef CBK_ALLOC_H
#define CBK_ALLOC_H

#include "core/setup.h"

/* Print "cbkit: fatal: out of memory" and abort (for allocators of other libraries). */
_Noreturn void cbk_oom(void);

void *cbk_xmalloc(size_t n);
void *cbk_xcalloc(size_t nmemb, size_t size);
void *cbk_xrealloc(void *p, size_t n);
/* Reallocate an array of nmemb elements of 'size' bytes, aborting on overflow. */
void *cbk_xreallocarray(void *p, size_t nmemb, size_t size);
char *cbk_xstrdup(const char *s);
/* Copy 'n' bytes of 's' and add a NUL (s need not be NUL-terminated). */
char *cbk_xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *cbk_xasprintf(const char *fmt, ...) CBK_PRINTF(1, 2);
char *cbk_xvasprintf(const char *fmt, va_list ap) CBK_PRINTF(1, 0);

/* Grow an array so that it can hold at least 'need' elements (git's ALLOC_GROW). */
#define CBK_GROW(ptr, need, alloc)                                                                 \
    do {                                                                                           \
        if ((need) > (alloc)) {                                                                    \
            size_t cbk_n_ = (alloc) ? (alloc)*2 : 8;                                               \
            if (cbk_n_ < (need))                                                                   \
                cbk_n_ = (need);                                                                   \
            (ptr) = cbk_xreallocarray((ptr), cbk_n_, sizeof(*(ptr)));                              \
            (alloc) = cbk_n_;                                                                      \
        }                                                                                          \
    } while (0)

#endif
