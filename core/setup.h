/*
 * setup.h - the first include of every cbkit source file: feature macros, the common system
 * headers, small helper macros and, last, the banned-function list.
 */
#ifndef CBK_SETUP_H
#define CBK_SETUP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, pipe2, MSG_NOSIGNAL, memmem; POSIX 2008 otherwise */
#endif

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>

#define CBK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CBK_UNUSED(x)     ((void)(x))
#define CBK_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define CBK_MAX(a, b)     ((a) > (b) ? (a) : (b))
#define CBK_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define CBK_LIKELY(x)     __builtin_expect(!!(x), 1)
#define CBK_UNLIKELY(x)   __builtin_expect(!!(x), 0)

/*
 * CBK_NEVER(x): a condition that cannot be true. Asserts in debug builds; in release builds
 * the defensive branch stays (sqlite's NEVER()).
 */
#ifdef NDEBUG
#define CBK_NEVER(x) (x)
#else
#define CBK_NEVER(x) (assert(!(x)), (x))
#endif

#include "core/banned.h"

#endif
