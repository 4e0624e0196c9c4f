/*
 * cbkit/spec.h - load and compile an API spec (docs/spec-format.md) into an immutable,
 * thread-shareable schema, and read it.
 *
 * The compiled spec (struct cbk_spec) is opaque; the shapes, members and operations it holds
 * are public read-only structs so that tools can walk them. Everything they point to is owned
 * by the spec and lives until cbk_spec_free(). Nothing in a compiled spec is ever modified,
 * so one spec may be used by any number of threads at once.
 */
#ifndef CBKIT_SPEC_H
#define CBKIT_SPEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "cbkit/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum cbk_type {
    CBK_TYPE_STRUCTURE,
    CBK_TYPE_LIST,
    CBK_TYPE_MAP,
    CBK_TYPE_STRING,
    CBK_TYPE_INTEGER,
    CBK_TYPE_LONG,
    CBK_TYPE_BOOLEAN,
    CBK_TYPE_TIMESTAMP,
    CBK_TYPE_DOUBLE,
    CBK_TYPE_FLOAT,
    CBK_TYPE_BLOB,
    CBK_TYPE_DOCUMENT, /* any JSON value (Smithy documents; botocore "document": true) */
};

/* How a timestamp is written on the wire (botocore's timestampFormat). */
enum cbk_ts_format {
    CBK_TS_EPOCH_SECONDS, /* "unixTimestamp": a JSON number, the default of AWS JSON */
    CBK_TS_ISO8601,       /* "iso8601": a JSON string */
    CBK_TS_RFC822,        /* "rfc822": a JSON string (HTTP date) */
};

/* "structure", "list", ... (static storage). */
const char *cbk_type_name(enum cbk_type t);

struct cbk_strtab; /* internal: a string -> index hash table */
struct cbk_regex;  /* internal: a compiled pattern (core/regex.h) */

/*
 * Constraints in effect at one place in a document. For strings, min/max bound the length in
 * Unicode code points; for blobs the decoded length in bytes; for lists and maps the number of
 * items; for integer/long the value. For double/float the bounds are dmin/dmax.
 */
struct cbk_constraints {
    bool has_min, has_max;
    int64_t min, max;
    double dmin, dmax;
    const char *const *enum_values; /* in spec order; NULL if no enum */
    size_t enum_count;
    const struct cbk_strtab *enum_index;
    const char *pattern;        /* the source text of the pattern, or NULL */
    const struct cbk_regex *re; /* the compiled pattern, or NULL */
};

struct cbk_shape;

/* A member of a structure, or the element/key/value of a list or map. */
struct cbk_member {
    const char *name; /* member name; "member", "key", "value" for list/map parts */
    size_t name_len;
    const struct cbk_shape *shape; /* target shape */
    struct cbk_constraints c;      /* the target's constraints, refined by member-level ones */
    unsigned index;                /* position within the structure */
    bool required, sensitive, deprecated, is_volatile;
    bool refined;               /* member-level constraints were given */
    const char *documentation;  /* or NULL */
    const char *const *sources; /* citations of the member-level keys; NULL-terminated */
    int line, column;           /* where the member is defined */
};

struct cbk_shape {
    const char *name;
    enum cbk_type type;
    struct cbk_constraints c;
    /* structure */
    const struct cbk_member *members;
    size_t member_count;
    const struct cbk_strtab *member_index;
    size_t required_count;
    /* list: 'member'; map: 'key' and 'value' */
    const struct cbk_member *member, *key, *value;
    bool sensitive, deprecated, exception;
    bool is_union;                /* structure: exactly one member is set (informational) */
    enum cbk_ts_format ts_format; /* timestamp: how it is written */
    int http_status;              /* errors: the HTTP status (default 400) */
    bool sender_fault;
    const char *error_code; /* errors: the code on the wire (default: the name) */
    const char *documentation;
    const char *const *sources; /* NULL-terminated list of citations */
    int line, column;
};

/*
 * How a list operation returns its results page by page (the spec's 'paginators' section,
 * imported from botocore's paginators-1.json). The client sends the output token of one page
 * as the input token of the next; the limit member, when the operation has one, caps the
 * number of result items per page.
 */
struct cbk_paginator {
    const struct cbk_member *input_token;        /* a member of the operation's input */
    const struct cbk_member *output_token;       /* a member of the operation's output */
    const struct cbk_member *limit_key;          /* an integer member of the input, or NULL */
    const struct cbk_member *const *result_keys; /* members of the output, in spec order */
    size_t result_key_count;                     /* at least 1 */
    int64_t page_size; /* items per page when the request sets no limit (docs/spec-format.md) */
    const char *const *sources;
    int line, column;
};

struct cbk_operation {
    const char *name;
    const struct cbk_spec *spec; /* the spec it belongs to */
    const struct cbk_shape *input;
    const struct cbk_shape *output; /* an empty structure when the spec gives none */
    const struct cbk_shape *const *errors;
    size_t error_count;
    bool deprecated;
    const char *documentation;
    const char *const *sources;
    const struct cbk_paginator *paginator; /* NULL when the operation does not page */
    int line, column;
};

struct cbk_metadata {
    const char *api_version, *protocol, *json_version, *target_prefix;
    const char *service_id, *service_full_name, *endpoint_prefix, *signing_name;
    const char *signature_version, *uid;
    const char *content_type; /* "application/x-amz-json-1.1" derived from json_version */
};

struct cbk_source {
    const char *id, *file, *title, *url, *note;
};

struct cbk_spec;

/*
 * Load and compile the spec in buf[0..len), naming it 'file' in diagnostics. On success
 * returns CBK_OK and sets *out (caller frees with cbk_spec_free()). On failure *out is NULL,
 * the result is CBK_E_SPEC_PARSE (not YAML), CBK_E_SPEC (does not follow the format) or
 * CBK_E_LIMIT, and every problem found is appended to 'diags' with its line and column. No
 * partial spec is ever returned. Warnings may be appended on success.
 */
enum cbk_code cbk_spec_load_buffer(const char *buf, size_t len, const char *file,
                                   struct cbk_spec **out, struct cbk_diags *diags);
/* As cbk_spec_load_buffer() for a file; an unreadable file is CBK_E_IO with the reason. */
enum cbk_code cbk_spec_load_file(const char *path, struct cbk_spec **out, struct cbk_diags *diags);
/*
 * The spec bundled into the library (the CodeBuild 2016-10-06 spec), loaded from the image the
 * build compiled from its YAML (spec/spec_image.h; the same spec, reported without
 * diagnostics), or compiled from the YAML when the build has no image (CBK_SPEC_IMAGE=OFF).
 */
enum cbk_code cbk_spec_load_bundled(struct cbk_spec **out, struct cbk_diags *diags);
/* The text of the bundled spec and its name ("spec/codebuild/2016-10-06.yaml"). Static. */
const char *cbk_spec_bundled_text(size_t *len);
const char *cbk_spec_bundled_name(void);
void cbk_spec_free(struct cbk_spec *spec);

/* The file name the spec was loaded from (as given). Borrowed. */
const char *cbk_spec_file(const struct cbk_spec *spec);
const struct cbk_metadata *cbk_spec_metadata(const struct cbk_spec *spec);
/* Operation or shape by exact name, or NULL. */
const struct cbk_operation *cbk_spec_op(const struct cbk_spec *spec, const char *name);
const struct cbk_operation *cbk_spec_op_n(const struct cbk_spec *spec, const char *name,
                                          size_t len);
const struct cbk_shape *cbk_spec_shape(const struct cbk_spec *spec, const char *name);
/*
 * The operation whose name is closest to 'name' (case-insensitive edit distance at most a
 * third of the name's length, and at least 1 and at most 3), for "did you mean" messages; NULL
 * when none is that close.
 */
const struct cbk_operation *cbk_spec_op_suggest(const struct cbk_spec *spec, const char *name);
/* Iteration in spec order. */
size_t cbk_spec_op_count(const struct cbk_spec *spec);
const struct cbk_operation *cbk_spec_op_at(const struct cbk_spec *spec, size_t i);
size_t cbk_spec_shape_count(const struct cbk_spec *spec);
const struct cbk_shape *cbk_spec_shape_at(const struct cbk_spec *spec, size_t i);
size_t cbk_spec_source_count(const struct cbk_spec *spec);
const struct cbk_source *cbk_spec_source_at(const struct cbk_spec *spec, size_t i);

/* Member of a structure by name, or NULL (hash lookup). */
const struct cbk_member *cbk_shape_member(const struct cbk_shape *shape, const char *name,
                                          size_t len);
/* Is 'value' one of the enum values of 'c'? (true when 'c' has no enum) */
bool cbk_constraints_enum_has(const struct cbk_constraints *c, const char *value, size_t len);

#ifdef __cplusplus
}
#endif
#endif
