/*
 * wire.h - the AWS JSON 1.1 wire protocol, shared by the mock, the recorder and replay:
 * X-Amz-Target routing, Content-Type checks, error bodies as AWS writes them, AWS's wording of
 * validation errors, the common AWS errors and how clients read an error back.
 * Reference: ../shared/reference/aws-json-protocol.md §1-§2.
 */
#ifndef CBK_WIRE_H
#define CBK_WIRE_H

#include "core/setup.h"
#include "core/buf.h"
#include "cbkit/spec.h"
#include "cbkit/validate.h"
#include "cbkit/http.h"
#include "core/arena.h"

enum cbk_wire_target_err {
    CBK_WIRE_TARGET_OK,
    CBK_WIRE_TARGET_MISSING,      /* no X-Amz-Target header */
    CBK_WIRE_TARGET_WRONG_PREFIX, /* not "<targetPrefix>.<Op>" */
    CBK_WIRE_TARGET_UNKNOWN_OP,   /* right prefix, no such operation */
};

/*
 * Resolve an X-Amz-Target value (NULL when absent) to an operation of 'spec'. On failure
 * returns NULL and sets *why; the operation name comparison is exact (case-sensitive).
 */
const struct cbk_operation *cbk_wire_resolve_target(const struct cbk_spec *spec, const char *target,
                                                    enum cbk_wire_target_err *why);
/* The UnknownOperationException message for a failed resolution (static or 'scratch'). */
const char *cbk_wire_target_message(enum cbk_wire_target_err why, const char *target,
                                    struct cbk_buf *scratch);

/*
 * Is 'ct' (NULL when absent) the spec's content type, allowing parameters such as
 * "; charset=utf-8" and any letter case in the media type?
 */
bool cbk_wire_content_type_ok(const struct cbk_spec *spec, const char *ct);

/* Append {"__type":"TYPE","message":"MESSAGE"} (compact). */
void cbk_wire_error_body(struct cbk_buf *b, const char *type, const char *message);

/*
 * Make 'ans' an AWS error answer: 'status', the body of cbk_wire_error_body() and the headers
 * x-amzn-ErrorType: TYPE and Content-Type: CONTENT_TYPE (NULL: application/x-amz-json-1.1),
 * replacing any headers it had. Body and strings are copied into arena 'a'. Other fields of
 * 'ans' (faults, delays) are untouched. Never fails (out of memory aborts).
 */
void cbk_wire_error_answer(struct cbk_http_answer *ans, struct cbk_arena *a,
                           const char *content_type, int status, const char *type,
                           const char *message);

/*
 * A fresh x-amzn-RequestId (a random version-4 UUID) into out[37], for answers that are not
 * reproducible anyway (the recorder's own errors). Thread-safe; never fails.
 */
void cbk_wire_request_id(char out[37]);

/*
 * Append AWS's wording of the error-severity findings of 'r':
 * "2 validation errors detected: Value '2161' at 'buildTimeoutInMinutesOverride' failed to
 * satisfy constraint: Member must have value less than or equal to 2160; Value null at 'id'
 * failed to satisfy constraint: Member must not be null".
 */
void cbk_wire_validation_message(struct cbk_buf *b, const struct cbk_report *r);
/*
 * Append AWS's wording of one finding 'v': "Value '2161' at 'buildTimeoutInMinutesOverride'
 * failed to satisfy constraint: Member must have value less than or equal to 2160". 'value'
 * and 'path' (when not NULL) replace the quoted value and the AWS path (redaction).
 */
void cbk_wire_violation_phrase(struct cbk_buf *b, const struct cbk_violation *v, const char *value,
                               const char *path);

/* A well-known AWS error: its code on the wire and HTTP status. */
struct cbk_wire_common_error {
    const char *code;
    int status;
    const char *message; /* a typical message */
};
/* The common AWS errors (AWS "Common Errors" plus throttling variants), or NULL by code. */
const struct cbk_wire_common_error *cbk_wire_common_error(const char *code);
const struct cbk_wire_common_error *cbk_wire_common_errors(size_t *n);

/* How a client derives an error code from a response (reference §2.3). */
enum cbk_wire_dialect {
    CBK_WIRE_BOTOCORE, /* body __type only; keep before the first ':', after the last '#' */
    CBK_WIRE_SMITHY,   /* header, then body code, then __type; before first ':', after first '#' */
};

/*
 * Read an error response as 'dialect' does: sets 'code' (falls back to the status as text)
 * and 'message' (body "message", else "Message", else ""). 'error_type_header' is the
 * x-amzn-ErrorType header or NULL. Never fails; a non-JSON body yields the status code and
 * the body as the message, as botocore does.
 */
void cbk_wire_parse_error(enum cbk_wire_dialect dialect, int status, const char *body, size_t len,
                          const char *error_type_header, struct cbk_buf *code,
                          struct cbk_buf *message);

#endif
