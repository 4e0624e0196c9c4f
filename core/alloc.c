/*
 * alloc.c - allocation wrappers that abort on out-of-memory (see alloc.h for why).
 */
#include "core/setup.h"
#include "core/alloc.h"

#include <unistd.h>

void cbk_oom(void)
{
    static const char msg[] = "cbkit: fatal: out of memory\n";
    ssize_t r = write(2, msg, sizeof(msg) - 1);
    (void)r;
    abort();
}

void *cbk_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        cbk_oom();
    return p;
}

void *cbk_xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p)
        cbk_oom();
    return p;
}

void *cbk_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        cbk_oom();
    return q;
}

void *cbk_xreallocarray(void *p, size_t nmemb, size_t size)
{
    if (size && nmemb > SIZE_MAX / size)
        cbk_oom();
    return cbk_xrealloc(p, nmemb * size);
}

char *cbk_xstrdup(const char *s)
{
    return cbk_xstrndup(s, strlen(s));
}

char *cbk_xstrndup(const char *s, size_t n)
{
    char *p = cbk_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *cbk_xvasprintf(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    char *p = cbk_xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *cbk_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = cbk_xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}
