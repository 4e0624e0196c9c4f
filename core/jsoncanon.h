/*
 * jsoncanon.h - canonical JSON text of a json-c value: object members sorted by key, no
 * whitespace, numbers in their shortest exact form. Two documents that are equal as JSON
 * (key order and whitespace ignored) have the same canonical text. Used for idempotency
 * checks, cassette matching and structural comparison.
 */
#ifndef CBK_JSONCANON_H
#define CBK_JSONCANON_H

#include "core/setup.h"
#include "core/buf.h"

struct json_object;

/*
 * Append the canonical text of 'o' to 'out'. When 'skip' is not NULL, object members for
 * which skip(pointer, arg) returns true are left out (pointer is the member's RFC 6901
 * pointer). A member whose value is null is left out too (null counts as absent).
 */
void cbk_json_canonical(struct json_object *o, struct cbk_buf *out,
                        bool (*skip)(const char *pointer, void *arg), void *arg);

#endif
