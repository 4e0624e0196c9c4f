/*
 * cbkit/validate.h - check a JSON request or response against a compiled spec.
 *
 * Semantics are those of docs/validation.md: every violation is reported, in document order,
 * with its RFC 6901 pointer, its rule, the shape, what was expected and what was found.
 * Requests are strict; responses are read as AWS SDKs read them (unknown members and unknown
 * enum values are warnings) unless CBK_VALIDATE_STRICT is given.
 *
 * A report is reusable: cbk_validate_*() clears it first. The validator allocates nothing on
 * the success path beyond the report's first use; a spec may be shared by many threads, each
 * with its own report.
 */
#ifndef CBKIT_VALIDATE_H
#define CBKIT_VALIDATE_H

#include <stddef.h>
#include <stdbool.h>

#include "cbkit/error.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_object;

/* The rules, in the order docs/validation.md lists them. Append only. */
enum cbk_rule {
    CBK_RULE_SYNTAX,
    CBK_RULE_TYPE,
    CBK_RULE_REQUIRED,
    CBK_RULE_UNKNOWN,
    CBK_RULE_LENGTH,
    CBK_RULE_RANGE,
    CBK_RULE_ITEMS,
    CBK_RULE_ENUM,
    CBK_RULE_PATTERN,
};
/* "syntax", "type", ... (static storage). */
const char *cbk_rule_name(enum cbk_rule r);

enum cbk_direction { CBK_REQUEST, CBK_RESPONSE };

struct cbk_validate_opts {
    enum cbk_direction direction; /* requests strict, responses tolerant */
    bool strict;                  /* responses: unknown members/enum values are errors too */
    size_t max_depth;             /* nesting limit (0: 64) */
    size_t max_size;              /* document size limit in bytes (0: 8 MiB) */
    size_t max_violations;        /* stop recording after this many (0: 1000) */
};
#define CBK_VALIDATE_OPTS_INIT                                                                     \
    {                                                                                              \
        CBK_REQUEST, false, 0, 0, 0                                                                \
    }

/*
 * One finding. Strings are owned by the report and live until it is cleared or freed; 'shape'
 * and 'member' point into the spec.
 */
struct cbk_violation {
    enum cbk_rule rule;
    enum cbk_severity severity; /* CBK_SEV_WARNING for tolerated response findings */
    const char *pointer;        /* RFC 6901; "" is the root; for 'required', the missing member */
    const char *shape;          /* the shape that states the rule, or NULL */
    const char *member;         /* the member name concerned, or NULL (root, list items) */
    const char *expected;       /* e.g. "<= 2160", "one of 12 values", "string" */
    const char *actual;         /* e.g. "2161", "\"FOO\"", "number" */
    const char *message;        /* one line: "value 2161 is greater than the maximum 2160" */
    const char
        *aws_constraint;   /* AWS wording: "Member must have value less than or equal to 2160" */
    const char *aws_value; /* the value as AWS quotes it: "2161", "" or NULL for missing */
    const char *aws_path;  /* AWS's member path: "secondarySourcesOverride.1.member.type" */
    int line, column;      /* 1-based position in the document, 0 when unknown */
};

struct cbk_report;

/* A new, empty report (caller frees with cbk_report_free()). Never NULL. */
struct cbk_report *cbk_report_new(void);
void cbk_report_free(struct cbk_report *r);
void cbk_report_clear(struct cbk_report *r);
/* All findings (errors and warnings) in document order. */
size_t cbk_report_count(const struct cbk_report *r);
const struct cbk_violation *cbk_report_at(const struct cbk_report *r, size_t i);
size_t cbk_report_error_count(const struct cbk_report *r);
size_t cbk_report_warning_count(const struct cbk_report *r);
/* True when max_violations stopped the recording (counts still include the rest). */
bool cbk_report_truncated(const struct cbk_report *r);
/*
 * True when the document could not be read as JSON within the limits (malformed text, too
 * large, too deep): its last finding is that 'syntax' finding and nothing after it was checked.
 */
bool cbk_report_malformed(const struct cbk_report *r);

/*
 * Validate the JSON text buf[0..len) against 'root' (normally an operation's input or output
 * shape), streaming: no DOM is built. Returns CBK_OK when there is no error-severity finding,
 * CBK_E_INVALID when there is (malformed JSON is a 'syntax' finding with line and column).
 * 'report' is cleared first and receives every finding.
 */
enum cbk_code cbk_validate_buffer(const struct cbk_spec *spec, const struct cbk_shape *root,
                                  const char *buf, size_t len, const struct cbk_validate_opts *opts,
                                  struct cbk_report *report);
/* The same for an already parsed json-c document (borrowed). */
enum cbk_code cbk_validate_json(const struct cbk_spec *spec, const struct cbk_shape *root,
                                struct json_object *doc, const struct cbk_validate_opts *opts,
                                struct cbk_report *report);
/*
 * Validate against operation 'op' (its input for requests, output for responses). Returns
 * CBK_E_NOT_FOUND, with the report cleared, when the spec has no such operation.
 */
enum cbk_code cbk_validate_op_buffer(const struct cbk_spec *spec, const char *op, const char *buf,
                                     size_t len, const struct cbk_validate_opts *opts,
                                     struct cbk_report *report);
enum cbk_code cbk_validate_op_json(const struct cbk_spec *spec, const char *op,
                                   struct json_object *doc, const struct cbk_validate_opts *opts,
                                   struct cbk_report *report);

#ifdef __cplusplus
}
#endif
#endif
