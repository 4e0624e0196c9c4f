/*
 * regex.c - PCRE2 behind one interface (see regex.h). A compiled pattern is a pcre2_code whose
 * JIT code is made on its first match, not when it is compiled: JIT-compiling is most of the
 * cost of a pattern (about 1 ms each for the spec's `{1,149}` repetitions and `\p{L}` classes,
 * 6.7 ms of the 13.5 ms a cold start spent compiling the bundled spec), and most patterns of an
 * API are never matched in a run (docs/internals.md, "Start-up").
 *
 * Each thread that matches keeps one match data block, one match context and one JIT stack,
 * made on its first match and freed when the thread ends, so a match allocates nothing. The
 * JIT stack starts small and may grow to CBK_REGEX_JIT_STACK_MAX (address space reserved,
 * pages touched only as used): PCRE2's default of 32 KiB gives up on patterns like
 * '^p:(a|b)*$' against a few thousand characters, which request bodies easily hold.
 */
#include "core/setup.h"
#include "core/regex.h"
#include "core/alloc.h"

#include <pthread.h>
#include <stdatomic.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/*
 * 'code' is written only by cbk_regex_compile() and, once, by the JIT compile of its first
 * match, done under 'jit_mu'; 'jit_done' is set (release) after it, so a match that reads it
 * set (acquire) sees the finished code and takes no lock. Every match, the first included,
 * runs on the JIT code when the platform has a JIT, so a pattern's limits never depend on
 * which request came first.
 */
struct cbk_regex {
    pcre2_code *code;
    atomic_bool jit_done;
    pthread_mutex_t jit_mu;
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
    struct cbk_regex *r = cbk_xmalloc(sizeof(*r));
    r->code = re;
    atomic_init(&r->jit_done, false);
    if (pthread_mutex_init(&r->jit_mu, NULL) != 0)
        cbk_oom(); /* only when the system is out of resources */
    return r;
}

void cbk_regex_free(struct cbk_regex *re)
{
    if (!re)
        return;
    pthread_mutex_destroy(&re->jit_mu);
    pcre2_code_free(re->code);
    free(re);
}

/*
 * The pattern's code, JIT-compiled on the first call (by one thread; threads that match it at
 * the same moment wait for it, as with pthread_once). A pattern is immutable for its users:
 * the JIT code is a speed-up only, and when the platform has no JIT or runs out of executable
 * memory the interpreter matches instead.
 */
static const pcre2_code *ready_code(const struct cbk_regex *cre)
{
    if (CBK_LIKELY(atomic_load_explicit(&cre->jit_done, memory_order_acquire)))
        return cre->code;
    /* the object was allocated mutable by cbk_regex_compile(); only the JIT state changes */
    struct cbk_regex *re = (struct cbk_regex *)cre;
    pthread_mutex_lock(&re->jit_mu);
    if (!atomic_load_explicit(&re->jit_done, memory_order_relaxed)) {
        (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
        atomic_store_explicit(&re->jit_done, true, memory_order_release);
    }
    pthread_mutex_unlock(&re->jit_mu);
    return re->code;
}

size_t cbk_regex_jit_size(const struct cbk_regex *re)
{
    if (!atomic_load_explicit(&re->jit_done, memory_order_acquire))
        return 0;
    size_t size = 0;
    if (pcre2_pattern_info(re->code, PCRE2_INFO_JITSIZE, &size) != 0)
        return 0;
    return size;
}

bool cbk_regex_jit_available(void)
{
    uint32_t jit = 0;
    return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit;
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
    const pcre2_code *code = ready_code(re);
    struct thread_state *t = thread_state();
    int rc = pcre2_match(code, (PCRE2_SPTR)s, len, 0, 0, t->md, t->mc);
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
