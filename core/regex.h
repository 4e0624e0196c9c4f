/*
 * regex.h - PCRE2 behind one small interface: compile a pattern once (JIT-compiled on its
 * first match when the platform has a JIT), match it from any thread, and tell a match, a
 * non-match and an engine error apart. Used by the spec (member patterns), the validator, the
 * generator, the scenario matchers and the redactor. Matching never silently turns an engine
 * error (JIT stack exhausted, match or heap limit) into "no match": callers decide what an
 * error means (the redactor redacts, a scenario rule answers 500, the validator reports).
 */
#ifndef CBK_REGEX_H
#define CBK_REGEX_H

#include "core/setup.h"

struct cbk_regex; /* a compiled pattern (pcre2_code underneath) */

/* Pattern flags, or-ed. */
enum {
    CBK_RE_UTF = 1 << 0,            /* the pattern and subjects are UTF-8 */
    CBK_RE_UCP = 1 << 1,            /* \w, \d, ... use Unicode properties */
    CBK_RE_DOLLAR_ENDONLY = 1 << 2, /* '$' is the end of the subject, not also before a final \n */
    CBK_RE_CASELESS = 1 << 3,
    CBK_RE_MATCH_INVALID_UTF = 1 << 4, /* subjects need not be valid UTF-8 (with CBK_RE_UTF) */
};

/* What one match attempt found. */
enum cbk_re_result {
    CBK_RE_ERROR = -1, /* the engine gave up (limit, JIT stack, bad UTF-8): neither yes nor no */
    CBK_RE_NOMATCH = 0,
    CBK_RE_MATCH = 1,
};

/*
 * Compile pattern[0..len) with 'flags'. On success returns the pattern (free with
 * cbk_regex_free()); its JIT code is made by the first cbk_regex_match(), so a pattern that is
 * never matched costs only the syntax check and the byte code. On failure returns NULL,
 * writes PCRE2's reason into err[errlen] and the byte offset of the problem into *offset.
 */
struct cbk_regex *cbk_regex_compile(const char *pattern, size_t len, unsigned flags, char *err,
                                    size_t errlen, size_t *offset);
/* Free a compiled pattern. Accepts NULL. */
void cbk_regex_free(struct cbk_regex *re);

/*
 * Match 're' against s[0..len) from any thread. The thread's match data and JIT stack (up to
 * CBK_REGEX_JIT_STACK_MAX, enough for request-sized subjects) are kept per thread and freed
 * when the thread ends. On CBK_RE_ERROR, when 'why' is not NULL, PCRE2's reason is written to
 * why[whylen].
 */
enum cbk_re_result cbk_regex_match(const struct cbk_regex *re, const char *s, size_t len, char *why,
                                   size_t whylen);

/*
 * Bytes of JIT code made for 're' so far: 0 until its first cbk_regex_match() (and always 0
 * when the platform has no JIT). For tests and diagnostics.
 */
size_t cbk_regex_jit_size(const struct cbk_regex *re);
/* Whether this PCRE2 has a JIT compiler for the platform. */
bool cbk_regex_jit_available(void);

/* The largest JIT stack a thread may use for one match, in bytes: enough for patterns such as
 * "^p:(a|b)*$" against a body of 1 MiB, the mock's default body limit. */
#define CBK_REGEX_JIT_STACK_MAX ((size_t)32 << 20)

/* Free the calling thread's match state now (threads that end free theirs by themselves). */
void cbk_regex_thread_release(void);

#endif
