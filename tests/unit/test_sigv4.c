/*
 * test_sigv4.c - SigV4 signing against the deterministic vector of
 * ../shared/reference/aws-json-protocol.md §1.3, and checking with AWS's errors.
 */
#include "core/setup.h"
#include "wire/sigv4.h"

#include <setjmp.h>
#include <cmocka.h>

#define SECRET           "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define VECTOR_SIG       "5d16a54d6b21bbc14b4adbfd512d33f1b05a6fa32a40ea403c4592415c9b2ec7"
#define VECTOR_TOKEN_SIG "003ea727fe2eaf4a467f7530d830492346941b6c06cc4a5708cb15e02e86e68d"
/* 2015-08-30T12:36:00Z */
#define VECTOR_MS 1440938160000LL

static struct cbk_http_header hdrs[6];

static struct cbk_http_req vector_req(const char *auth, bool token)
{
    size_t n = 0;
    hdrs[n++] = (struct cbk_http_header){"Content-Type", "application/x-amz-json-1.1"};
    hdrs[n++] = (struct cbk_http_header){"Host", "codebuild.us-east-1.amazonaws.com"};
    hdrs[n++] = (struct cbk_http_header){"X-Amz-Date", "20150830T123600Z"};
    hdrs[n++] = (struct cbk_http_header){"X-Amz-Target", "CodeBuild_20161006.RetryBuild"};
    if (token)
        hdrs[n++] = (struct cbk_http_header){"X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLETOKEN"};
    if (auth)
        hdrs[n++] = (struct cbk_http_header){"Authorization", auth};
    struct cbk_http_req r;
    memset(&r, 0, sizeof r);
    r.method = "POST";
    r.path = "/";
    r.headers = hdrs;
    r.nheaders = n;
    r.body = "{\"id\": \"x\"}";
    r.body_len = 11;
    return r;
}

static void signature_matches_vector(void **state)
{
    (void)state;
    struct cbk_http_req r = vector_req(NULL, false);
    char sig[65];
    struct cbk_buf canon = CBK_BUF_INIT(1 << 16);
    cbk_sigv4_signature(&r, "content-type;host;x-amz-date;x-amz-target", "20150830T123600Z",
                        "us-east-1", "codebuild", SECRET, sig, &canon);
    assert_string_equal(sig, VECTOR_SIG);
    assert_string_equal(cbk_buf_str(&canon),
                        "POST\n/\n\ncontent-type:application/x-amz-json-1.1\n"
                        "host:codebuild.us-east-1.amazonaws.com\nx-amz-date:20150830T123600Z\n"
                        "x-amz-target:CodeBuild_20161006.RetryBuild\n\n"
                        "content-type;host;x-amz-date;x-amz-target\n"
                        "a941d1fcc59e0a394928304c131960e333dd19e872b11eb89859df6957d07e22");
    cbk_buf_release(&canon);
    r = vector_req(NULL, true);
    cbk_sigv4_signature(&r, "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
                        "20150830T123600Z", "us-east-1", "codebuild", SECRET, sig, NULL);
    assert_string_equal(sig, VECTOR_TOKEN_SIG);
}

static const struct cbk_sigv4_key keys[] = {{"AKIDEXAMPLE", SECRET, NULL}};
static const struct cbk_sigv4_key token_keys[] = {
    {"AKIDEXAMPLE", SECRET, "FQoGZXIvYXdzEXAMPLETOKEN"}};

static void verify(const char *auth, bool token, const struct cbk_sigv4_key *k, int64_t now,
                   struct cbk_sigv4_verdict *v)
{
    struct cbk_http_req r = vector_req(auth, token);
    cbk_sigv4_verify(&r, k, 1, "us-east-1", "codebuild", now, v);
}

static void verify_accepts_and_rejects(void **state)
{
    (void)state;
    struct cbk_sigv4_verdict v;
    const char *good = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/codebuild/"
                       "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                       "Signature=" VECTOR_SIG;
    verify(good, false, keys, VECTOR_MS, &v);
    assert_true(v.ok);
    verify(good, false, keys, VECTOR_MS + 14 * 60 * 1000, &v);
    assert_true(v.ok);

    /* an X-Amz-Date whose fields are out of range is malformed, not normalised (month 13) */
    struct cbk_http_req odd = vector_req(good, false);
    hdrs[2].value = "20151330T123600Z";
    cbk_sigv4_verify(&odd, keys, 1, "us-east-1", "codebuild", VECTOR_MS, &v);
    assert_false(v.ok);
    assert_string_equal(v.code, "IncompleteSignature");
    assert_non_null(strstr(v.message, "ISO-8601 'basic format'"));

    verify(NULL, false, keys, VECTOR_MS, &v);
    assert_false(v.ok);
    assert_string_equal(v.code, "MissingAuthenticationToken");
    assert_int_equal(v.status, 403);

    verify("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/codebuild/aws4_request",
           false, keys, VECTOR_MS, &v);
    assert_string_equal(v.code, "IncompleteSignature");
    assert_int_equal(v.status, 400);
    assert_non_null(strstr(v.message, "requires 'Signature' parameter"));

    char bad[512];
    snprintf(bad, sizeof bad, "%.*s0", (int)strlen(good) - 1, good);
    verify(bad, false, keys, VECTOR_MS, &v);
    assert_string_equal(v.code, "InvalidSignatureException");
    assert_non_null(strstr(v.message, "does not match the signature you provided"));

    verify(good, false, keys, VECTOR_MS + 16 * 60 * 1000, &v);
    assert_string_equal(v.code, "InvalidSignatureException");
    assert_non_null(strstr(v.message, "Signature expired: 20150830T123600Z is now earlier than"));

    const char *other = "AWS4-HMAC-SHA256 Credential=AKIDOTHER/20150830/us-east-1/codebuild/"
                        "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                        "Signature=" VECTOR_SIG;
    verify(other, false, keys, VECTOR_MS, &v);
    assert_string_equal(v.code, "UnrecognizedClientException");

    const char *region = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/codebuild/"
                         "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                         "Signature=" VECTOR_SIG;
    verify(region, false, keys, VECTOR_MS, &v);
    assert_string_equal(v.code, "InvalidSignatureException");
    assert_non_null(strstr(v.message, "not 'eu-west-1'"));

    /* a session token is required when the key has one, and signed */
    const char *tok = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/codebuild/"
                      "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                      "x-amz-security-token;x-amz-target, Signature=" VECTOR_TOKEN_SIG;
    verify(tok, true, token_keys, VECTOR_MS, &v);
    assert_true(v.ok);
    verify(good, false, token_keys, VECTOR_MS, &v);
    assert_string_equal(v.code, "UnrecognizedClientException");
    /* ... and refused when the key has none: the service issued no token for it */
    verify(tok, true, keys, VECTOR_MS, &v);
    assert_false(v.ok);
    assert_string_equal(v.code, "UnrecognizedClientException");

    /* a credential scope with more (or fewer) than five parts is malformed */
    const char *longer = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/codebuild/"
                         "aws4_request/extra, SignedHeaders=content-type;host;x-amz-date;"
                         "x-amz-target, Signature=" VECTOR_SIG;
    verify(longer, false, keys, VECTOR_MS, &v);
    assert_string_equal(v.code, "IncompleteSignature");
    assert_non_null(strstr(v.message, "Credential should be of the form"));
    const char *shorter = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
                          "aws4_request, SignedHeaders=content-type;host;x-amz-date;"
                          "x-amz-target, Signature=" VECTOR_SIG;
    verify(shorter, false, keys, VECTOR_MS, &v);
    assert_string_equal(v.code, "IncompleteSignature");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signature_matches_vector),
        cmocka_unit_test(verify_accepts_and_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
