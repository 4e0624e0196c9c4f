/*
 * pointers.h - JSON pointer patterns over a spec's shapes: the members reachable from a shape
 * that the spec marks volatile (per-call values: tokens, times) or sensitive (secrets), as
 * pointers in which the token "*" stands for any list index or map key. Used by cassette
 * matching, the recorder's and the mock's redaction, and replay's comparison.
 */
#ifndef CBK_SPEC_POINTERS_H
#define CBK_SPEC_POINTERS_H

#include "core/setup.h"
#include "cbkit/spec.h"

/* A set of pointer patterns (owned copies). Zero-initialise; free with cbk_ptrpats_release(). */
struct cbk_ptrpats {
    char **patterns; /* JSON pointers in which a token "*" stands for any one token */
    size_t n, alloc;
};

/* Does 'pointer' match 'pattern' ('*' matches one token)? */
bool cbk_ptrpat_match(const char *pattern, const char *pointer);
/*
 * Append the pointer patterns of the members reachable from 'shape' that are volatile (when
 * 'volatile_too') or sensitive to 'set' (a member's own pattern stops the walk below it); list
 * items and map values become the token '*'.
 */
void cbk_ptrpats_from_shape(struct cbk_ptrpats *set, const struct cbk_shape *shape,
                            bool volatile_too);
/* Add a copy of 'pattern' unless the set has it. */
void cbk_ptrpats_add(struct cbk_ptrpats *set, const char *pattern);
/* Free every pattern; the set is left empty and reusable. */
void cbk_ptrpats_release(struct cbk_ptrpats *set);

#endif
