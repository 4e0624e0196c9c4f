/*
 * yaml.h - YAML documents as small trees with source positions, plus typed accessors that
 * report located errors. The only code in cbkit that talks to libfyaml; the spec, scenario
 * and cassette loaders all read YAML through it, so every one of them reports problems the
 * same way: file:line:column, the document path, what was expected.
 */
#ifndef CBK_YAML_H
#define CBK_YAML_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/buf.h"
#include "cbkit/error.h"

enum cbk_ykind { CBK_Y_SCALAR, CBK_Y_MAP, CBK_Y_SEQ };

struct cbk_ynode {
    enum cbk_ykind kind;
    int line, col;   /* 1-based position of the node's first character */
    const char *str; /* scalar text, NUL-terminated (may contain NULs: use len) */
    size_t len;
    bool plain;               /* a plain (unquoted, non-block) scalar: may be null/bool/number */
    size_t n;                 /* items in a sequence, pairs in a mapping */
    struct cbk_ynode **items; /* sequence items, or mapping values */
    struct cbk_ynode **keys;  /* mapping keys (always scalars) */
};

/* One parsed document; every node and string lives in 'arena'. */
struct cbk_ydoc {
    struct cbk_arena arena;
    struct cbk_ynode *root; /* NULL for an empty document */
    char *file;             /* name used in diagnostics (owned) */
};

/*
 * Parse exactly one YAML document from buf[0..len). On success returns CBK_OK and sets *out
 * (free with cbk_ydoc_free()); an empty input gives a document whose root is NULL. On failure
 * *out is NULL, the result is 'code' (the caller's "not valid YAML" code) or CBK_E_LIMIT, and
 * each problem is appended to 'diags' with 'file' and its line/column. Aliases, anchors
 * other than plain ones, duplicate keys, non-scalar keys and a second document are errors.
 * Nesting deeper than 'max_depth' is an error.
 */
enum cbk_code cbk_yaml_parse(const char *buf, size_t len, const char *file, size_t max_depth,
                             enum cbk_code code, struct cbk_ydoc **out, struct cbk_diags *diags);
void cbk_ydoc_free(struct cbk_ydoc *doc);

/* Is this scalar YAML null (a plain "", "~", "null", "Null", "NULL")? */
bool cbk_y_is_null(const struct cbk_ynode *n);
/* Value for 'key' in a mapping, or NULL (also NULL when 'map' is not a mapping). */
const struct cbk_ynode *cbk_y_get(const struct cbk_ynode *map, const char *key);
/* "mapping", "sequence", "string", "null", "boolean", "number": for messages. */
const char *cbk_y_describe(const struct cbk_ynode *n);

/*
 * A checker reports typed-access problems into 'diags' as 'code' errors for 'file'. Paths
 * are dotted ("shapes.Build.members.id") and built with cbk_ypath_*.
 */
struct cbk_ycheck {
    const char *file;
    struct cbk_diags *diags;
    enum cbk_code code;
};

/* Report an error at node 'n' (its line/column) with 'path'. Returns -1. */
int cbk_y_error(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
                const char *fmt, ...) CBK_PRINTF(4, 5);
/* Report a warning at node 'n'. Returns 0. */
int cbk_y_warn(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
               const char *fmt, ...) CBK_PRINTF(4, 5);
/* 0 if 'n' has the kind, else reports "expected a mapping, found a sequence" and returns -1. */
int cbk_y_expect(const struct cbk_ycheck *c, const struct cbk_ynode *n, enum cbk_ykind kind,
                 const char *path);
/*
 * Report each key of 'map' not in the NULL-terminated 'allowed' list as
 * "unknown key 'x' (expected one of: a, b, c)". Returns -1 if any was reported.
 */
int cbk_y_check_keys(const struct cbk_ycheck *c, const struct cbk_ynode *map, const char *path,
                     const char *const *allowed);
/* A required key: its value, or NULL after reporting "missing required key 'x'". */
const struct cbk_ynode *cbk_y_require(const struct cbk_ycheck *c, const struct cbk_ynode *map,
                                      const char *path, const char *key);
/* Typed scalars; each returns 0 and sets *out, or reports and returns -1. */
int cbk_y_str(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
              const char **out);
int cbk_y_bool(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path, bool *out);
int cbk_y_int(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path, int64_t min,
              int64_t max, int64_t *out);
int cbk_y_double(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
                 double *out);
/* Parse a plain scalar as an int64 (decimal, optional sign); false if it is not one. */
bool cbk_y_parse_int(const struct cbk_ynode *n, int64_t *out);

/* Dotted paths: push returns a mark for pop. Keys that are not identifiers are quoted. */
size_t cbk_ypath_push(struct cbk_buf *p, const char *seg);
size_t cbk_ypath_push_index(struct cbk_buf *p, size_t i);
void cbk_ypath_pop(struct cbk_buf *p, size_t mark);

#endif
