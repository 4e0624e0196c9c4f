/*
 * fuzz_common.h - what every libFuzzer target here shares: CHECK() for invariants (a broken
 * one aborts, so that libFuzzer keeps the input) and the bundled spec, loaded once.
 */
#ifndef CBK_FUZZ_COMMON_H
#define CBK_FUZZ_COMMON_H

#include "core/setup.h"
#include "cbkit/cbkit.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The bundled CodeBuild spec, for the whole run (kept reachable, so LeakSanitizer ignores it);
 * aborts when it does not compile, since no input could then be judged. */
static inline struct cbk_spec *fuzz_bundled_spec(void)
{
    struct cbk_spec *s = NULL;
    struct cbk_diags d = CBK_DIAGS_INIT;
    if (cbk_spec_load_bundled(&s, &d) != CBK_OK) {
        fprintf(stderr, "fuzz: the bundled spec does not compile\n");
        abort();
    }
    cbk_diags_release(&d);
    return s;
}

#endif
