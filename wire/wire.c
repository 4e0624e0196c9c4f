/*
 * wire.c - AWS JSON 1.1 routing, error bodies and error reading (see wire.h).
 */
#include "core/setup.h"
#include "wire/wire.h"
#include "core/alloc.h"
#include "core/rand.h"

#include <json-c/json.h>

const struct cbk_operation *cbk_wire_resolve_target(const struct cbk_spec *spec, const char *target,
                                                    enum cbk_wire_target_err *why)
{
    if (!target || !*target) {
        *why = CBK_WIRE_TARGET_MISSING;
        return NULL;
    }
    const char *prefix = cbk_spec_metadata(spec)->target_prefix;
    size_t pl = strlen(prefix);
    if (strncmp(target, prefix, pl) != 0 || target[pl] != '.') {
        *why = CBK_WIRE_TARGET_WRONG_PREFIX;
        return NULL;
    }
    const struct cbk_operation *op = cbk_spec_op(spec, target + pl + 1);
    if (!op) {
        *why = CBK_WIRE_TARGET_UNKNOWN_OP;
        return NULL;
    }
    *why = CBK_WIRE_TARGET_OK;
    return op;
}

const char *cbk_wire_target_message(enum cbk_wire_target_err why, const char *target,
                                    struct cbk_buf *scratch)
{
    cbk_buf_reset(scratch);
    switch (why) {
    case CBK_WIRE_TARGET_MISSING:
        return "Missing X-Amz-Target header: AWS JSON requests name their operation in "
               "X-Amz-Target";
    case CBK_WIRE_TARGET_WRONG_PREFIX:
        cbk_buf_addf(scratch, "Unknown target '%.200s': not an operation of this service",
                     target ? target : "");
        return cbk_buf_str(scratch);
    case CBK_WIRE_TARGET_UNKNOWN_OP:
        cbk_buf_addf(scratch, "Unknown operation '%.200s'", target ? target : "");
        return cbk_buf_str(scratch);
    default:
        return "";
    }
}

bool cbk_wire_content_type_ok(const struct cbk_spec *spec, const char *ct)
{
    if (!ct)
        return false;
    const char *want = cbk_spec_metadata(spec)->content_type;
    size_t wl = strlen(want);
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, wl) != 0)
        return false;
    const char *rest = ct + wl;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

void cbk_wire_error_body(struct cbk_buf *b, const char *type, const char *message)
{
    cbk_buf_adds(b, "{\"__type\":");
    cbk_buf_add_json_str(b, type, strlen(type));
    cbk_buf_adds(b, ",\"message\":");
    cbk_buf_add_json_str(b, message, strlen(message));
    cbk_buf_addc(b, '}');
}

void cbk_wire_error_answer(struct cbk_http_answer *ans, struct cbk_arena *a,
                           const char *content_type, int status, const char *type,
                           const char *message)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 24);
    cbk_wire_error_body(&b, type, message);
    ans->status = status;
    ans->body = cbk_arena_strndup(a, cbk_buf_str(&b), b.len);
    ans->body_len = b.len;
    cbk_buf_release(&b);
    ans->headers[0] = (struct cbk_http_header){"x-amzn-ErrorType", cbk_arena_strdup(a, type)};
    ans->headers[1] = (struct cbk_http_header){
        "Content-Type", content_type ? content_type : "application/x-amz-json-1.1"};
    ans->nheaders = 2;
}

void cbk_wire_request_id(char out[37])
{
    static _Thread_local struct cbk_rng rng;
    static _Thread_local bool seeded;
    if (!seeded) {
        cbk_rng_seed(&rng, cbk_random_seed());
        seeded = true;
    }
    cbk_uuid_format(out, cbk_rng_next(&rng), cbk_rng_next(&rng));
}

void cbk_wire_violation_phrase(struct cbk_buf *b, const struct cbk_violation *v, const char *value,
                               const char *path)
{
    value = value ? value : v->aws_value;
    if (value)
        cbk_buf_addf(b, "Value '%s'", value);
    else
        cbk_buf_adds(b, "Value null");
    cbk_buf_addf(b, " at '%s' failed to satisfy constraint: %s", path ? path : v->aws_path,
                 v->aws_constraint);
}

void cbk_wire_validation_message(struct cbk_buf *b, const struct cbk_report *r)
{
    size_t n = cbk_report_error_count(r);
    cbk_buf_addf(b, "%zu validation error%s detected: ", n, n == 1 ? "" : "s");
    bool first = true;
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        if (v->severity != CBK_SEV_ERROR)
            continue;
        if (!first)
            cbk_buf_adds(b, "; ");
        first = false;
        cbk_wire_violation_phrase(b, v, NULL, NULL);
    }
    if (cbk_report_truncated(r))
        cbk_buf_adds(b, "; (more errors not listed)");
}

static const struct cbk_wire_common_error common[] = {
    {"AccessDeniedException", 400, "You do not have sufficient access to perform this action."},
    {"ExpiredTokenException", 400, "The security token included in the request is expired"},
    {"IncompleteSignature", 400, "The request signature does not conform to AWS standards."},
    {"InternalFailure", 500,
     "The request processing has failed because of an unknown error, exception or failure."},
    {"InvalidAction", 400, "The action or operation requested is invalid."},
    {"InvalidClientTokenId", 403, "The security token included in the request is invalid."},
    {"InvalidSignatureException", 400,
     "The request signature we calculated does not match the signature you provided."},
    {"MissingAuthenticationToken", 403, "Missing Authentication Token"},
    {"NotAuthorized", 400, "You do not have permission to perform this action."},
    {"OptInRequired", 403, "The AWS access key ID needs a subscription for the service."},
    {"RequestExpired", 400, "Request has expired."},
    {"RequestTimeout", 400, "The request timed out."},
    {"RequestTimeoutException", 408, "The request timed out."},
    {"SerializationException", 400, "Could not parse the request body."},
    {"ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."},
    {"ThrottlingException", 400, "Rate exceeded"},
    {"Throttling", 400, "Rate exceeded"},
    {"TooManyRequestsException", 400, "Too many requests"},
    {"UnknownOperationException", 400, "Unknown operation"},
    {"UnrecognizedClientException", 400, "The security token included in the request is invalid."},
    {"ValidationError", 400,
     "The input fails to satisfy the constraints specified by an AWS "
     "service."},
    {"ValidationException", 400,
     "The input fails to satisfy the constraints specified by an "
     "AWS service."},
};

const struct cbk_wire_common_error *cbk_wire_common_error(const char *code)
{
    for (size_t i = 0; i < CBK_ARRAY_SIZE(common); i++)
        if (strcmp(common[i].code, code) == 0)
            return &common[i];
    return NULL;
}

const struct cbk_wire_common_error *cbk_wire_common_errors(size_t *n)
{
    *n = CBK_ARRAY_SIZE(common);
    return common;
}

/* Sanitise an error code: keep before the first ':', then after the last/first '#'. */
static void sanitize(struct cbk_buf *out, const char *s, bool last_hash)
{
    const char *colon = strchr(s, ':');
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    const char *start = s;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '#') {
            start = s + i + 1;
            if (!last_hash)
                break;
        }
    }
    cbk_buf_add(out, start, (size_t)(s + n - start));
}

void cbk_wire_parse_error(enum cbk_wire_dialect dialect, int status, const char *body, size_t len,
                          const char *error_type_header, struct cbk_buf *code,
                          struct cbk_buf *message)
{
    cbk_buf_reset(code);
    cbk_buf_reset(message);
    struct json_object *doc = NULL;
    if (len) {
        struct json_tokener *tok = json_tokener_new();
        doc = json_tokener_parse_ex(tok, body, (int)CBK_MIN(len, (size_t)INT_MAX));
        if (json_tokener_get_error(tok) != json_tokener_success) {
            if (doc)
                json_object_put(doc);
            doc = NULL;
        }
        json_tokener_free(tok);
    }
    bool is_obj = doc && json_object_is_type(doc, json_type_object);
    /* botocore: a 5xx with an empty or <html> body reads as the status code, and the
     * message is the status's reason phrase (http.client.responses) */
    if (dialect == CBK_WIRE_BOTOCORE && status >= 500 &&
        (len == 0 || (len >= 6 && strncmp(body, "<html>", 6) == 0))) {
        cbk_buf_addf(code, "%d", status);
        static const struct {
            int status;
            const char *reason;
        } reasons[] = {{500, "Internal Server Error"}, {501, "Not Implemented"},
                       {502, "Bad Gateway"},           {503, "Service Unavailable"},
                       {504, "Gateway Timeout"},       {505, "HTTP Version Not Supported"}};
        for (size_t i = 0; i < CBK_ARRAY_SIZE(reasons); i++)
            if (reasons[i].status == status)
                cbk_buf_adds(message, reasons[i].reason);
        if (doc)
            json_object_put(doc);
        return;
    }
    if (!is_obj) {
        /* Smithy: the header names the error even without a JSON body */
        if (dialect == CBK_WIRE_SMITHY && error_type_header && *error_type_header)
            sanitize(code, error_type_header, false);
        else
            cbk_buf_addf(code, "%d", status);
        if (len)
            cbk_buf_add(message, body, len);
        if (doc)
            json_object_put(doc);
        return;
    }
    struct json_object *v = NULL;
    if (json_object_object_get_ex(doc, "message", &v) && json_object_is_type(v, json_type_string))
        cbk_buf_adds(message, json_object_get_string(v));
    else if (json_object_object_get_ex(doc, "Message", &v) &&
             json_object_is_type(v, json_type_string))
        cbk_buf_adds(message, json_object_get_string(v));
    const char *raw = NULL;
    if (dialect == CBK_WIRE_SMITHY && error_type_header && *error_type_header)
        raw = error_type_header;
    if (!raw && dialect == CBK_WIRE_SMITHY && json_object_object_get_ex(doc, "code", &v) &&
        json_object_is_type(v, json_type_string))
        raw = json_object_get_string(v);
    if (!raw && json_object_object_get_ex(doc, "__type", &v) &&
        json_object_is_type(v, json_type_string))
        raw = json_object_get_string(v);
    if (raw)
        sanitize(code, raw, dialect == CBK_WIRE_BOTOCORE);
    else
        cbk_buf_addf(code, "%d", status);
    json_object_put(doc);
}
