/*
 * cbkit/services.h - the behaviours built into libcbkit (cbkit/service.h): what `cbkit mock`
 * gives its mock. An embedder may give a mock these, a subset, or its own.
 */
#ifndef CBKIT_SERVICES_H
#define CBKIT_SERVICES_H

#include <stddef.h>

#include "cbkit/service.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The built-in behaviours (static storage), their count in *n. Never fails. */
const struct cbk_service *const *cbk_services_builtin(size_t *n);

#ifdef __cplusplus
}
#endif
#endif
