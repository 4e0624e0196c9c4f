/*
 * jsonq.h - questions asked of json-c documents: the value at an RFC 6901 pointer, JSON
 * equality (member order ignored, 5 == 5.0) and partial matching. Used by scenario matchers,
 * templates and cassette matching. Also parsing a counted text into such a document.
 */
#ifndef CBK_JSONQ_H
#define CBK_JSONQ_H

#include "core/setup.h"

struct json_object;

/*
 * The value at 'pointer' in 'root' (borrowed). Returns true and sets *out when the pointer
 * resolves (*out may be NULL for a JSON null); false when some token does not exist or the
 * pointer is malformed.
 */
bool cbk_jsonq_get(struct json_object *root, const char *pointer, struct json_object **out);
/* Is 'pointer' well formed ("" or "/..." with only ~0 and ~1 escapes)? */
bool cbk_jsonq_pointer_valid(const char *pointer);
/* JSON equality: same type and value; objects member by member in any order. */
bool cbk_jsonq_equal(struct json_object *a, struct json_object *b);
/*
 * Partial match of 'value' against 'pattern': objects need at least the pattern's members
 * (each matching partially), arrays the same length with elements matching partially,
 * scalars equality.
 */
bool cbk_jsonq_partial(struct json_object *value, struct json_object *pattern);
/*
 * Parse s[0..len) as one JSON value with json-c; s need not be NUL-terminated (request bodies
 * are counted bytes, struct cbk_http_req) and nothing past len is read. Returns the document,
 * owned by the caller (json_object_put), or NULL when the text is not exactly one complete
 * value, white space around it aside (so "{} junk" is NULL), or is a JSON null.
 */
struct json_object *cbk_jsonq_parse(const char *s, size_t len);

#endif
