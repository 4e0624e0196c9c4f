/*
 * cbkit/cbkit.h - the umbrella header of libcbkit: contract testing and mock fixtures for the
 * AWS CodeBuild API (AWS JSON 1.1).
 *
 * Ownership rules, followed by every function of the library:
 *  1. Heap objects are opaque and come in pairs: cbk_X_new()/cbk_X_free() (or a load function
 *     and cbk_X_free()). Free functions return void and accept NULL.
 *  2. Caller-embedded structs use CBK_X_INIT / cbk_X_init() / cbk_X_release().
 *  3. A returned `const char *` or `const struct ... *` is borrowed: it stays valid until its
 *     owner is freed or changed. A returned `char *` belongs to the caller, who frees it with
 *     free(); such functions say "caller frees".
 *  4. Arguments are borrowed. A function that takes ownership says so in its name (_take).
 *  5. On failure, objects are left unchanged and out-parameters are set to NULL/0.
 *  6. json-c: a borrowed `struct json_object *` must be kept with json_object_get().
 *  7. The library never prints. Out of memory prints "cbkit: fatal: out of memory" and aborts.
 */
#ifndef CBKIT_CBKIT_H
#define CBKIT_CBKIT_H

#include "cbkit/error.h"
#include "cbkit/spec.h"
#include "cbkit/spec_tools.h"
#include "cbkit/validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The cbkit version ("0.1.0"). Static. */
const char *cbk_version(void);

struct cbk_libversion {
    const char *name;    /* "libfyaml", "json-c", "PCRE2", "libmicrohttpd", "libcurl", "OpenSSL" */
    const char *version; /* as the library reports it at run time */
};
/* The libraries libcbkit links, with their run-time versions. Static; *n gets the count. */
const struct cbk_libversion *cbk_library_versions(size_t *n);

#ifdef __cplusplus
}
#endif
#endif
