/*
 * regex.c - PCRE2 behind one interface (see regex.h). A compiled pattern is a pcre2_code with
 * its JIT code; each thread that matches keeps one match data block, one match context and one
 * JIT stack, made on its first match and freed when the thread ends, so a match allocates
 * nothing. The JIT stack starts small and may grow to CBK_REGEX_JIT_STACK_MAX (address space
 * reserved, pages touched only as used): PCRE2's default of 32 KiB gives up on patterns like
 * '^p:(a|b)*$' against a few thousand characters, which request bodies easily hold.
 */
#include "core/setup.h"
#include "core/regex.h"
#include "core/alloc.h"

#include <pthread.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct cbk_regex {
    pcre2_code *code;
};

struct cbk_regex *cbk_regex_compile(const char *pattern, size_t len, unsigned flags, char *err,
                                    size_t errlen, size_t *offset)
{
    uint32_t opts = 0;
    if (flags & CBK_RE_UTF)
        opts |= PCRE2_UTF;
    if (flags & CBK_RE_UCP)
        opts |= PCRE2_UCP;
    if (flags & CBK_RE_DOLLAR_ENDONLY)
        opts |= PCRE2_DOLLAR_ENDONLY;
    if (flags & CBK_RE_CASELESS)
        opts |= PCRE2_CASELESS;
    if (flags & CBK_RE_MATCH_INVALID_UTF)
        opts |= PCRE2_MATCH_INVALID_UTF;
    int code = 0;
    PCRE2_SIZE off = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &code, &off, NULL);
    if (!re) {
        if (err && errlen) {
            PCRE2_UCHAR msg[256];
            if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
                snprintf((char *)msg, sizeof msg, "pcre2 error %d", code);
            snprintf(err, errlen, "%s", (const char *)msg);
        }
        if (offset)
            *offset = (size_t)off;
        return NULL;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* a speed-up only: matching works without */
    struct cbk_regex *r = cbk_xmalloc(sizeof(*r));
    r->code = re;
    return r;
}

void cbk_regex_free(struct cbk_regex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    free(re);
}

/* ---- per-thread match state ------------------------------------------------------------------ */

struct thread_state {
    pcre2_match_data *md;
    pcre2_match_context *mc;
    pcre2_jit_stack *js;
};

static pthread_key_t state_key;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void state_free(void *p)
{
    struct thread_state *t = p;
    if (!t)
        return;
    pcre2_match_data_free(t->md);
    pcre2_match_context_free(t->mc);
    pcre2_jit_stack_free(t->js);
    free(t);
}

static void state_key_init(void)
{
    if (pthread_key_create(&state_key, state_free) != 0)
        abort(); /* only when the process is out of keys */
}

static struct thread_state *thread_state(void)
{
    pthread_once(&state_once, state_key_init);
    struct thread_state *t = pthread_getspecific(state_key);
    if (t)
        return t;
    t = cbk_xcalloc(1, sizeof(*t));
    t->md = pcre2_match_data_create(1, NULL);
    t->mc = pcre2_match_context_create(NULL);
    if (!t->md || !t->mc)
        cbk_oom();
    /* NULL when the platform has no JIT: the interpreter then uses the heap instead */
    t->js = pcre2_jit_stack_create(32 << 10, CBK_REGEX_JIT_STACK_MAX, NULL);
    if (t->js)
        pcre2_jit_stack_assign(t->mc, NULL, t->js);
    if (pthread_setspecific(state_key, t) != 0)
        abort();
    return t;
}

void cbk_regex_thread_release(void)
{
    pthread_once(&state_once, state_key_init);
    struct thread_state *t = pthread_getspecific(state_key);
    if (t && pthread_setspecific(state_key, NULL) == 0)
        state_free(t);
}

enum cbk_re_result cbk_regex_match(const struct cbk_regex *re, const char *s, size_t len, char *why,
                                   size_t whylen)
{
    struct thread_state *t = thread_state();
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, t->md, t->mc);
    if (rc >= 0)
        return CBK_RE_MATCH;
    if (rc == PCRE2_ERROR_NOMATCH)
        return CBK_RE_NOMATCH;
    if (why && whylen) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "pcre2 error %d", rc);
        snprintf(why, whylen, "%s", (const char *)msg);
    }
    return CBK_RE_ERROR;
}
