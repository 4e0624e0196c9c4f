/*
 * redact.h - keep secrets out of cassettes. Before an exchange is written, header values
 * (Authorization, X-Amz-Security-Token, cookies, and names the user adds) and body values
 * (members the spec marks sensitive, JSON pointers the user gives — '*' matches one token —,
 * values matching user PCRE2 patterns, and any occurrence of the credentials themselves) are
 * replaced by a placeholder. Body redaction splices the placeholder into the original text,
 * so everything else stays byte for byte as received.
 */
#ifndef CBK_REDACT_H
#define CBK_REDACT_H

#include "core/setup.h"
#include "core/arena.h"
#include "cbkit/error.h"
#include "cbkit/spec.h"

#define CBK_REDACTED "[REDACTED]"

struct cbk_redactor;

struct cbk_redact_rules {
    const char *const *headers; /* extra header names (case-insensitive) */
    size_t nheaders;
    const char *const *pointers; /* JSON pointers with '*' tokens, for request and response */
    size_t npointers;
    const char *const *patterns; /* PCRE2 patterns on string values and header values */
    size_t npatterns;
    const char *const *secrets; /* literal strings never written (credentials) */
    size_t nsecrets;
};

/*
 * Compile the rules for 'spec'. On failure (a bad pattern or pointer) returns CBK_E_USAGE
 * with the reason in 'diags' and *out NULL.
 */
enum cbk_code cbk_redactor_new(const struct cbk_spec *spec, const struct cbk_redact_rules *rules,
                               struct cbk_redactor **out, struct cbk_diags *diags);
void cbk_redactor_free(struct cbk_redactor *r);

/* The value to record for header 'name' (the placeholder, or 'value' itself). */
const char *cbk_redact_header(const struct cbk_redactor *r, const char *name, const char *value,
                              struct cbk_arena *a);
/*
 * The body to record for a request (response = false) or response of 'op' (NULL when the
 * operation is unknown): body itself when nothing is secret, else a redacted copy in 'a'.
 * *redacted tells whether anything was replaced.
 */
const char *cbk_redact_body(const struct cbk_redactor *r, const struct cbk_operation *op,
                            bool response, const char *body, size_t len, size_t *out_len,
                            struct cbk_arena *a, bool *redacted);

#endif
