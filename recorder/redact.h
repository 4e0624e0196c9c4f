/*
 * redact.h - keep secrets out of cassettes, drift reports and the mock's journal. Before an
 * exchange is written, header values (Authorization, X-Amz-Security-Token, cookies, X-Api-Key,
 * X-Auth-Token, any header whose name says it carries a credential, and names the user adds)
 * and body text (members the spec marks sensitive, JSON pointers the user gives — '*' matches
 * one token —, keys and values matching user PCRE2 patterns, and any occurrence of the
 * credentials themselves, also JSON- or percent-escaped) are replaced by a placeholder. Body
 * redaction splices the placeholder into the original text, so everything else stays byte for
 * byte as received. Findings about a redacted body (validation messages that quote values,
 * pointers that hold a redacted key) are redacted the same way.
 *
 * Redaction fails closed: a pattern the regex engine cannot evaluate on a value counts as a
 * match, and a body that stops being JSON part way, where the rules need its structure, loses
 * everything from that point. Both are told in struct cbk_redact_info so that callers can warn.
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
    const char *const *patterns; /* PCRE2 patterns on string values, keys and header values */
    size_t npatterns;
    const char *const *secrets; /* literal strings never written (credentials) */
    size_t nsecrets;
};

/*
 * What redacting a header or a body did, filled by cbk_redact_header() and cbk_redact_body()
 * (zero it first; several calls may add to one). Strings live in the arena of the call.
 */
struct cbk_redact_info {
    bool redacted;         /* something was replaced */
    bool whole;            /* a body that is not JSON held a secret: all of it was replaced */
    bool cut;              /* a JSON body stopped being JSON: from byte cut_at on it was replaced */
    size_t cut_at;         /* (the body's own offset) */
    const char **pointers; /* RFC 6901 pointers of the values and containers replaced */
    size_t npointers, pointers_alloc;
    const char **keys; /* member names replaced (decoded text) */
    size_t nkeys, keys_alloc;
    size_t engine_errors;   /* values redacted because a pattern could not be evaluated */
    const char *engine_why; /* the first: "pattern 'P' could not be evaluated (PCRE2's reason)" */
};

/*
 * Compile the rules for 'spec'. On failure (a bad pattern or pointer) returns CBK_E_USAGE
 * with the reason in 'diags' and *out NULL.
 */
enum cbk_code cbk_redactor_new(const struct cbk_spec *spec, const struct cbk_redact_rules *rules,
                               struct cbk_redactor **out, struct cbk_diags *diags);
void cbk_redactor_free(struct cbk_redactor *r);

/* Whether the spec marks members of op's input (response = false) or output sensitive. */
bool cbk_redact_has_sensitive(const struct cbk_redactor *r, const struct cbk_operation *op,
                              bool response);

/*
 * The value to record for header 'name': the placeholder, or 'value' itself. 'info' (may be
 * NULL) is told about what was replaced and about pattern errors.
 */
const char *cbk_redact_header(const struct cbk_redactor *r, const char *name, const char *value,
                              struct cbk_arena *a, struct cbk_redact_info *info);
/*
 * The body to record for a request (response = false) or response of 'op' (NULL when the
 * operation is unknown): body itself when nothing is secret, else a redacted copy in 'a'.
 * 'info' (may be NULL) gets what was replaced, where, and why it had to be.
 */
const char *cbk_redact_body(const struct cbk_redactor *r, const struct cbk_operation *op,
                            bool response, const char *body, size_t len, size_t *out_len,
                            struct cbk_arena *a, struct cbk_redact_info *info);

/*
 * A finding (validation message) about a body that cbk_redact_body() redacted as 'info' (NULL:
 * only the spec's sensitive members and the user's pointers count), fit to be written: tokens
 * of 'path' that are redacted keys or hold a secret become [REDACTED]; when the finding is
 * about a redacted value or key, the rendering of that value ('actual', as the validator quoted
 * it; may be NULL) is replaced in 'message'; a message that still holds a secret is replaced
 * whole. *out_path and *out_message get the results ('path' and 'message' themselves when
 * nothing changed, else copies in 'a'). Returns whether anything changed.
 */
bool cbk_redact_finding(const struct cbk_redactor *r, const struct cbk_operation *op, bool response,
                        const struct cbk_redact_info *info, const char *path, const char *actual,
                        const char *message, struct cbk_arena *a, const char **out_path,
                        const char **out_message);

#endif
