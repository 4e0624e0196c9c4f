/*
 * test_redact.c - the recorder's redaction (recorder/redact.h, docs/cassettes.md "Secrets"):
 *
 *  - headers: the default names in any case, names the user adds, values holding a credential
 *    or matching a pattern; everything else returned as it was;
 *  - bodies: members the spec marks sensitive (EnvironmentVariable.value) in requests and in
 *    answers, user JSON pointers with '*' tokens (for both directions), PCRE2 patterns on
 *    string values, the credentials anywhere inside a string, whole objects and arrays at a
 *    redacted pointer, bodies that are not JSON;
 *  - and every byte that is not redacted is the byte that came in (whitespace, member order,
 *    escapes, number spelling, duplicate members);
 *  - issue 9: secrets used as member names; credentials JSON- or percent-escaped in text that is
 *    not JSON and in headers; common credential headers (X-Api-Key, X-Auth-Token, names with
 *    "token", "secret", ...); patterns the engine cannot evaluate (match limit) redact and are
 *    counted, and "tok-" + 6,000 a's matches '^tok-(?:a|b)*$'; JSON cut short loses its tail
 *    where the rules need its structure; findings quote [REDACTED], not what the body hides.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>

#include "cbkit/cbkit.h"
#include "core/arena.h"
#include "core/buf.h"
#include "recorder/redact.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN  "FQoGZXIvYXdzEXAMPLETOKEN"
#define R      "\"[REDACTED]\""

static struct cbk_spec *spec;
static struct cbk_arena arena;

static int setup(void **state)
{
    (void)state;
    struct cbk_diags d = CBK_DIAGS_INIT;
    enum cbk_code rc = cbk_spec_load_bundled(&spec, &d);
    cbk_diags_release(&d);
    cbk_arena_init(&arena, 1 << 16);
    return rc == CBK_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cbk_arena_release(&arena);
    cbk_spec_free(spec);
    return 0;
}

static const struct cbk_operation *op(const char *name)
{
    const struct cbk_operation *o = cbk_spec_op(spec, name);
    assert_non_null(o);
    return o;
}

/* A redactor with the recorder's credentials and the given rules. */
static struct cbk_redactor *make(const char *const *headers, size_t nh, const char *const *pointers,
                                 size_t np, const char *const *patterns, size_t npat)
{
    static const char *const secrets[] = {SECRET, TOKEN};
    struct cbk_redact_rules rules = {headers, nh, pointers, np, patterns, npat, secrets, 2};
    struct cbk_redactor *r = NULL;
    struct cbk_diags d = CBK_DIAGS_INIT;
    enum cbk_code rc = cbk_redactor_new(spec, &rules, &r, &d);
    for (size_t i = 0; i < d.nr; i++)
        fprintf(stderr, "redactor: %s\n", d.v[i].message);
    assert_int_equal(rc, CBK_OK);
    assert_int_equal(d.nr, 0);
    cbk_diags_release(&d);
    assert_non_null(r);
    return r;
}

static struct cbk_redactor *plain(void)
{
    return make(NULL, 0, NULL, 0, NULL, 0);
}

/* Redact 'in' and compare the result with 'want' byte for byte. */
static void check_body(const struct cbk_redactor *r, const char *opname, bool response,
                       const char *in, size_t in_len, const char *want, size_t want_len)
{
    size_t out_len = 12345;
    struct cbk_redact_info info;
    memset(&info, 0, sizeof info);
    const char *out = cbk_redact_body(r, opname ? op(opname) : NULL, response, in, in_len, &out_len,
                                      &arena, &info);
    bool red = info.redacted;
    if (out_len != want_len || memcmp(out, want, want_len) != 0)
        fail_msg("redacted %s %s body\n  in:   %.*s\n  got:  %.*s\n  want: %.*s",
                 opname ? opname : "(no operation)", response ? "response" : "request", (int)in_len,
                 in, (int)out_len, out, (int)want_len, want);
    bool same = in_len == want_len && memcmp(in, want, in_len) == 0;
    assert_int_equal(red, !same);
    if (same)
        assert_ptr_equal(out, in); /* nothing to redact: the body itself, no copy */
}

#define BODY(r, opn, resp, in, want) check_body(r, opn, resp, in, strlen(in), want, strlen(want))

/* ---- headers ----------------------------------------------------------------------------- */

static void headers_default_names(void **state)
{
    (void)state;
    struct cbk_redactor *r = plain();
    static const char *const secret_names[] = {
        "Authorization",
        "authorization",
        "AUTHORIZATION",
        "X-Amz-Security-Token",
        "x-amz-security-token",
        "X-AMZ-SECURITY-TOKEN",
        "Cookie",
        "cookie",
        "Set-Cookie",
        "set-cookie",
        "Proxy-Authorization",
        "PROXY-authorization",
        /* common credential headers (issue 9) */
        "X-Api-Key",
        "x-api-key",
        "X-Auth-Token",
        "x-AUTH-token",
        /* and any name that says it carries one */
        "X-Access-Token",
        "X-Vault-Token",
        "X-Client-Secret",
        "Api-Key",
        "X-Password",
        "X-Csrf-Token",
        "X-Session-Id",
        "Authorization-Hint",
        "X-Cookie-Jar",
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(secret_names); i++)
        assert_string_equal(cbk_redact_header(r, secret_names[i], "anything at all", &arena, NULL),
                            "[REDACTED]");
    static const char *const kept[][2] = {
        {"Content-Type", "application/x-amz-json-1.1"},
        {"X-Amz-Target", "CodeBuild_20161006.StopBuild"},
        {"X-Amz-Date", "20260101T000000Z"},
        {"User-Agent", "Boto3/1.26.27 Python/3.11.2"},
        {"x-amzn-RequestId", "003a4868-aab7-4288-867d-027c23a66c42"},
        {"X-Empty", ""},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(kept); i++)
        assert_ptr_equal(cbk_redact_header(r, kept[i][0], kept[i][1], &arena, NULL), kept[i][1]);
    cbk_redactor_free(r);
}

static void headers_user_names_and_values(void **state)
{
    (void)state;
    static const char *const names[] = {"X-Api-Key", "x-CUSTOM-secret"};
    static const char *const patterns[] = {"ghp_[A-Za-z0-9]{8,}"};
    struct cbk_redactor *r = make(names, 2, NULL, 0, patterns, 1);
    assert_string_equal(cbk_redact_header(r, "X-Api-Key", "k", &arena, NULL), "[REDACTED]");
    assert_string_equal(cbk_redact_header(r, "x-api-key", "k", &arena, NULL), "[REDACTED]");
    assert_string_equal(cbk_redact_header(r, "X-Custom-Secret", "k", &arena, NULL), "[REDACTED]");
    const char *v = "X-Custom-Secretary";
    assert_string_equal(cbk_redact_header(r, "X-Custom-Secretary", v, &arena, NULL), "[REDACTED]");
    v = "X-Custom";
    assert_ptr_equal(cbk_redact_header(r, "X-Custom", v, &arena, NULL), v);
    /* values: the credentials anywhere in them, and the patterns */
    assert_string_equal(cbk_redact_header(r, "X-Note", "prefix " SECRET " suffix", &arena, NULL),
                        "[REDACTED]");
    assert_string_equal(cbk_redact_header(r, "X-Note", TOKEN, &arena, NULL), "[REDACTED]");
    assert_string_equal(cbk_redact_header(r, "X-Note", "token ghp_abcdefgh1234", &arena, NULL),
                        "[REDACTED]");
    v = "token ghp_short";
    assert_ptr_equal(cbk_redact_header(r, "X-Note", v, &arena, NULL), v);
    /* a part of the secret is not the secret */
    v = "wJalrXUtnFEMI";
    assert_ptr_equal(cbk_redact_header(r, "X-Note", v, &arena, NULL), v);
    cbk_redactor_free(r);
}

static void bad_rules_are_usage_errors(void **state)
{
    (void)state;
    static const char *const bad_pattern[] = {"([unclosed"};
    static const char *const bad_pointer[] = {"no-slash"};
    static const char *const empty_pointer[] = {""};
    struct cbk_redact_rules rules;
    struct cbk_redactor *r;
    struct cbk_diags d = CBK_DIAGS_INIT;

    memset(&rules, 0, sizeof rules);
    rules.patterns = bad_pattern;
    rules.npatterns = 1;
    r = (struct cbk_redactor *)1;
    assert_int_equal(cbk_redactor_new(spec, &rules, &r, &d), CBK_E_USAGE);
    assert_null(r);
    assert_int_equal(d.nr, 1);
    assert_non_null(strstr(d.v[0].message, "redaction pattern '([unclosed'"));
    cbk_diags_release(&d);

    memset(&rules, 0, sizeof rules);
    rules.pointers = bad_pointer;
    rules.npointers = 1;
    assert_int_equal(cbk_redactor_new(spec, &rules, &r, &d), CBK_E_USAGE);
    assert_null(r);
    assert_non_null(strstr(d.v[0].message, "'no-slash' is not a JSON pointer"));
    cbk_diags_release(&d);

    rules.pointers = empty_pointer;
    assert_int_equal(cbk_redactor_new(spec, &rules, &r, &d), CBK_E_USAGE);
    assert_null(r);
    cbk_diags_release(&d);

    /* credentials too short to be secrets are not used (they would redact everything) */
    static const char *const short_secrets[] = {"ab", NULL, ""};
    memset(&rules, 0, sizeof rules);
    rules.secrets = short_secrets;
    rules.nsecrets = 3;
    assert_int_equal(cbk_redactor_new(spec, &rules, &r, &d), CBK_OK);
    assert_int_equal(d.nr, 0);
    BODY(r, "StopBuild", false, "{\"id\":\"ab:ab\"}", "{\"id\":\"ab:ab\"}");
    const char *v = "abab";
    assert_ptr_equal(cbk_redact_header(r, "X-Note", v, &arena, NULL), v);
    cbk_redactor_free(r);
}

/* ---- bodies: the spec's sensitive members ---------------------------------------------------- */

static void sensitive_in_requests(void **state)
{
    (void)state;
    struct cbk_redactor *r = plain();
    /* boto3's spelling: ", " and ": " */
    BODY(r, "StartBuildBatch", false,
         "{\"projectName\": \"my-app\", \"environmentVariablesOverride\": [{\"name\": "
         "\"DEPLOY_KEY\", "
         "\"value\": \"hunter2\", \"type\": \"PLAINTEXT\"}, {\"name\": \"STAGE\", \"value\": "
         "\"prod\"}], \"sourceVersion\": \"main\"}",
         "{\"projectName\": \"my-app\", \"environmentVariablesOverride\": [{\"name\": "
         "\"DEPLOY_KEY\", "
         "\"value\": " R ", \"type\": \"PLAINTEXT\"}, {\"name\": \"STAGE\", \"value\": " R
         "}], \"sourceVersion\": \"main\"}");
    /* odd spacing, member order, escapes, numbers: all kept, only the values change */
    BODY(r, "StartBuildBatch", false,
         "{ \"environmentVariablesOverride\" :[ {\"value\":\"a\\\"b\\u00e9\\n\" ,\"name\":\"X\"},\n"
         "\t{\"type\":\"SECRETS_MANAGER\",\"value\"  :  \"\"} ] ,\"buildTimeoutInMinutesOverride\""
         ":6.0E1,\"projectName\":\"p\\/q\" }",
         "{ \"environmentVariablesOverride\" :[ {\"value\":" R " ,\"name\":\"X\"},\n"
         "\t{\"type\":\"SECRETS_MANAGER\",\"value\"  :  " R "} ] ,\"buildTimeoutInMinutesOverride\""
         ":6.0E1,\"projectName\":\"p\\/q\" }");
    /* a null value is no secret; a value of the wrong type is redacted all the same */
    BODY(r, "StartBuildBatch", false,
         "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":null},{\"name\":\"B\","
         "\"value\":42},{\"name\":\"C\",\"value\":{\"x\":[1]}},{\"name\":\"D\",\"value\":true}]}",
         "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":null},{\"name\":\"B\","
         "\"value\":" R "},{\"name\":\"C\",\"value\":" R "},{\"name\":\"D\",\"value\":" R "}]}");
    /* 'value' elsewhere is not sensitive */
    BODY(r, "StartBuildBatch", false,
         "{\"value\":\"v\",\"projectName\":\"value\",\"environmentVariablesOverride\":{\"value\":1}"
         "}",
         "{\"value\":\"v\",\"projectName\":\"value\",\"environmentVariablesOverride\":{\"value\":1}"
         "}");
    /* RetryBuild has no sensitive input member; StopBuild neither */
    BODY(r, "RetryBuild", false, "{\"id\":\"a:1\",\"idempotencyToken\":\"t\"}",
         "{\"id\":\"a:1\",\"idempotencyToken\":\"t\"}");
    /* no operation: no spec to go by */
    BODY(r, NULL, false, "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"v\"}]}",
         "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"v\"}]}");
    cbk_redactor_free(r);
}

static void sensitive_in_responses(void **state)
{
    (void)state;
    struct cbk_redactor *r = plain();
    const char *batch_in =
        "{\"buildBatch\":{\"id\":\"p:1\",\"environment\":{\"type\":\"LINUX_CONTAINER\","
        "\"environmentVariables\":[{\"name\":\"A\",\"value\":\"s1\",\"type\":\"PLAINTEXT\"},"
        "{\"name\":\"B\",\"value\":\"s2\"}]},\"buildGroups\":[{\"identifier\":\"g\"}],"
        "\"exportedEnvironmentVariables\":[{\"name\":\"E\",\"value\":\"exported\"}]}}";
    const char *batch_out =
        "{\"buildBatch\":{\"id\":\"p:1\",\"environment\":{\"type\":\"LINUX_CONTAINER\","
        "\"environmentVariables\":[{\"name\":\"A\",\"value\":" R ",\"type\":\"PLAINTEXT\"},"
        "{\"name\":\"B\",\"value\":" R "}]},\"buildGroups\":[{\"identifier\":\"g\"}],"
        "\"exportedEnvironmentVariables\":[{\"name\":\"E\",\"value\":\"exported\"}]}}";
    BODY(r, "StartBuildBatch", true, batch_in, batch_out);
    const char *build_in =
        "{\"build\": {\"id\": \"p:2\", \"environment\": {\"environmentVariables\": "
        "[{\"name\": \"A\", \"value\": \"s3\"}]}, \"buildNumber\": 8}}";
    const char *build_out =
        "{\"build\": {\"id\": \"p:2\", \"environment\": {\"environmentVariables\": "
        "[{\"name\": \"A\", \"value\": " R "}]}, \"buildNumber\": 8}}";
    BODY(r, "RetryBuild", true, build_in, build_out);
    BODY(r, "StopBuild", true, build_in, build_out);
    /* the request's pointers are not the answer's, and the other way round */
    BODY(r, "StartBuildBatch", true,
         "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"kept\"}]}",
         "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"kept\"}]}");
    BODY(r, "StartBuildBatch", false, batch_in, batch_in);
    cbk_redactor_free(r);
}

/* ---- bodies: the user's rules -------------------------------------------------------------- */

static void user_pointers(void **state)
{
    (void)state;
    static const char *const pointers[] = {
        "/sourceAuthOverride/resource",     /* a plain pointer */
        "/secondarySourcesOverride/*/auth", /* '*': any index; an object */
        "/*/token",                         /* '*': any member */
        "/a~1b",                            /* an escaped '/' */
        "/registryCredentialOverride",      /* a whole object */
        "/buildspecOverride",               /* a string, in requests and answers alike */
    };
    struct cbk_redactor *r = make(NULL, 0, pointers, CBK_ARRAY_SIZE(pointers), NULL, 0);
    BODY(r, "StartBuildBatch", false,
         "{\"sourceAuthOverride\":{\"type\":\"OAUTH\",\"resource\":\"tok\"},"
         "\"secondarySourcesOverride\":[{\"type\":\"S3\",\"auth\":{\"type\":\"OAUTH\",\"resource\":"
         "\"r1\"}},{\"type\":\"S3\",\"auth\":{\"resource\":\"r2\"}},{\"type\":\"S3\"}],"
         "\"x\":{\"token\":\"t1\",\"other\":\"o\"},\"y\":{\"token\":[1,2,{\"z\":3}]},"
         "\"token\":\"top level: not /*/token\",\"a/b\":\"ab\",\"a~1b\":\"not escaped\","
         "\"registryCredentialOverride\":{\"credential\":\"arn\",\"credentialProvider\":"
         "\"SECRETS_MANAGER\"},\"buildspecOverride\":\"version: 0.2\"}",
         "{\"sourceAuthOverride\":{\"type\":\"OAUTH\",\"resource\":" R "},"
         "\"secondarySourcesOverride\":[{\"type\":\"S3\",\"auth\":" R "},{\"type\":\"S3\","
         "\"auth\":" R "},{\"type\":\"S3\"}],"
         "\"x\":{\"token\":" R ",\"other\":\"o\"},\"y\":{\"token\":" R "},"
         "\"token\":\"top level: not /*/token\",\"a/b\":" R ",\"a~1b\":\"not escaped\","
         "\"registryCredentialOverride\":" R ",\"buildspecOverride\":" R "}");
    /* the same pointers apply to answers */
    BODY(r, "StopBuild", true, "{\"buildspecOverride\":[1,[2,[3]]],\"build\":{\"token\":\"t\"}}",
         "{\"buildspecOverride\":" R ",\"build\":{\"token\":" R "}}");
    /* and without an operation */
    BODY(r, NULL, false, "{\"x\":{\"token\":\"t\"}}", "{\"x\":{\"token\":" R "}}");
    /* empty containers at a redacted pointer are redacted too */
    BODY(r, "StartBuildBatch", false, "{\"registryCredentialOverride\":{},\"y\":{\"token\":[]}}",
         "{\"registryCredentialOverride\":" R ",\"y\":{\"token\":" R "}}");
    cbk_redactor_free(r);
}

static void user_patterns(void **state)
{
    (void)state;
    static const char *const patterns[] = {"ghp_[A-Za-z0-9]{8,}", "^AKIA[0-9A-Z]{16}$",
                                           "(?i)password=\\S+"};
    struct cbk_redactor *r = make(NULL, 0, NULL, 0, patterns, 3);
    BODY(r, "StartBuildBatch", false,
         "{\"projectName\":\"p\",\"sourceVersion\":\"clone with ghp_abcdEFGH1234 please\","
         "\"buildspecOverride\":\"AKIAABCDEFGHIJKLMNOP\",\"debugSessionEnabled\":false,"
         "\"sourceLocationOverride\":\"x AKIAABCDEFGHIJKLMNOP\",\"imageOverride\":"
         "\"PassWord=abc\",\"environmentVariablesOverride\":[{\"name\":\"ghp_12345678\","
         "\"value\":\"v\"}],\"ghp_abcdefgh1\":1234567890}",
         "{\"projectName\":\"p\",\"sourceVersion\":" R ","
         "\"buildspecOverride\":" R ",\"debugSessionEnabled\":false,"
         "\"sourceLocationOverride\":\"x AKIAABCDEFGHIJKLMNOP\",\"imageOverride\":" R ","
         "\"environmentVariablesOverride\":[{\"name\":" R ",\"value\":" R "}]," R
         ":1234567890}"); /* a key matching a pattern goes too (issue 9) */
    /* patterns see the decoded string: an escaped match is a match */
    BODY(r, "StopBuild", false, "{\"id\":\"\\u0067hp_abcdefgh1\"}", "{\"id\":" R "}");
    /* in answers too */
    BODY(r, "StopBuild", true, "{\"build\":{\"sourceVersion\":\"ghp_abcdefgh1\"}}",
         "{\"build\":{\"sourceVersion\":" R "}}");
    cbk_redactor_free(r);
}

static void literal_credentials(void **state)
{
    (void)state;
    struct cbk_redactor *r = plain();
    /* anywhere inside any string, in any member, requests and answers */
    BODY(r, "StartBuildBatch", false,
         "{\"projectName\": \"my-app\", \"buildspecOverride\": \"echo " SECRET " > key\", "
         "\"sourceVersion\": \"" TOKEN "\", \"environmentVariablesOverride\": [{\"name\": \"N\", "
         "\"value\": \"v\", \"type\": \"PLAINTEXT\"}], \"imageOverride\": \"wJalrXUtnFEMI\"}",
         "{\"projectName\": \"my-app\", \"buildspecOverride\": " R ", "
         "\"sourceVersion\": " R ", \"environmentVariablesOverride\": [{\"name\": \"N\", "
         "\"value\": " R ", \"type\": \"PLAINTEXT\"}], \"imageOverride\": \"wJalrXUtnFEMI\"}");
    /* written with JSON escapes ('/' as "\/", letters as \u00XX): still the secret */
    BODY(r, "StopBuild", false, "{\"id\":\"wJalrXUtnFEMI\\/K7MDENG+bPxRfiCYEXAMPLEKEY\"}",
         "{\"id\":" R "}");
    BODY(r, "StopBuild", false, "{\"id\":\"x\\u0046QoGZXIvYXdzEXAMPLETOKEN\"}", "{\"id\":" R "}");
    BODY(r, "RetryBuild", true,
         "{\"build\":{\"logs\":{\"deepLink\":\"https://x/?t=" TOKEN "&y\"},\"id\":\"b:1\"}}",
         "{\"build\":{\"logs\":{\"deepLink\":" R "},\"id\":\"b:1\"}}");
    /* a top-level string */
    BODY(r, "StopBuild", true, "\"" SECRET "\"", R);
    cbk_redactor_free(r);
}

static void not_json(void **state)
{
    (void)state;
    static const char *const patterns[] = {"ghp_[A-Za-z0-9]{8,}"};
    struct cbk_redactor *r = make(NULL, 0, NULL, 0, patterns, 1);
    /* text without a secret: as it was */
    BODY(r, "StopBuild", true, "<html>502 Bad Gateway</html>", "<html>502 Bad Gateway</html>");
    BODY(r, "StopBuild", false, "{\"id\":", "{\"id\":");
    /* text with one: no structure to go by, the whole body goes */
    BODY(r, "StopBuild", true, "error: key " SECRET " rejected", "[REDACTED]");
    /* JSON cut short: what was complete is redacted in place */
    BODY(r, "StopBuild", false, "{\"id\":\"" TOKEN "\"", "{\"id\":" R);
    BODY(r, "StopBuild", true, "token=ghp_abcdefgh1234", "[REDACTED]");
    /* bytes that are not UTF-8 do not hide a secret from the patterns or the credentials */
    const char bin1[] = "\xff\xfe secret ghp_abcdefgh1234 \x80";
    check_body(r, "StopBuild", true, bin1, sizeof bin1 - 1, "[REDACTED]", 10);
    const char bin2[] = "\xff " SECRET;
    check_body(r, "StopBuild", true, bin2, sizeof bin2 - 1, "[REDACTED]", 10);
    const char bin3[] = "\xff\x00 nothing here";
    check_body(r, "StopBuild", true, bin3, sizeof bin3 - 1, bin3, sizeof bin3 - 1);
    /* an empty body */
    size_t n = 7;
    struct cbk_redact_info info;
    memset(&info, 0, sizeof info);
    const char *e = "";
    assert_ptr_equal(cbk_redact_body(r, op("StopBuild"), false, e, 0, &n, &arena, &info), e);
    assert_int_equal(n, 0);
    assert_false(info.redacted);
    cbk_redactor_free(r);
}

/* Everything but the redacted values is the same, for larger, deeper, messier bodies. */
static void the_rest_is_byte_identical(void **state)
{
    (void)state;
    static const char *const pointers[] = {"/*/*/secret"};
    struct cbk_redactor *r = make(NULL, 0, pointers, 1, NULL, 0);
    struct cbk_buf in = CBK_BUF_INIT((size_t)1 << 24), want = CBK_BUF_INIT((size_t)1 << 24);
    cbk_buf_adds(&in, " \r\n{");
    cbk_buf_adds(&want, " \r\n{");
    for (int i = 0; i < 200; i++) {
        const char *sep = i ? " ,\n  " : "";
        cbk_buf_addf(&in,
                     "%s\"k%d\" : {\"m\":{\"secret\":\"s%d\",\"keep\":[%d.50e+0,-0,true,null,"
                     "\"\\ud83d\\ude00\\t\"]},\"dup\":1,\"dup\":2}",
                     sep, i, i, i);
        cbk_buf_addf(&want,
                     "%s\"k%d\" : {\"m\":{\"secret\":" R ",\"keep\":[%d.50e+0,-0,true,null,"
                     "\"\\ud83d\\ude00\\t\"]},\"dup\":1,\"dup\":2}",
                     sep, i, i);
    }
    cbk_buf_adds(&in, "}\n\n");
    cbk_buf_adds(&want, "}\n\n");
    check_body(r, NULL, false, in.ptr, in.len, want.ptr, want.len);
    /* deep nesting on the way to a redacted member */
    cbk_buf_reset(&in);
    cbk_buf_reset(&want);
    for (int i = 0; i < 500; i++) {
        cbk_buf_adds(&in, "[");
        cbk_buf_adds(&want, "[");
    }
    cbk_buf_adds(&in, "{\"a\":{\"b\":{\"secret\":\"x\"}}, \"s\": \"" SECRET "\"}");
    /* too deep for the pattern ('*' is one token): only the credential goes */
    cbk_buf_adds(&want, "{\"a\":{\"b\":{\"secret\":\"x\"}}, \"s\": " R "}");
    for (int i = 0; i < 500; i++) {
        cbk_buf_adds(&in, "]");
        cbk_buf_adds(&want, "]");
    }
    check_body(r, NULL, false, in.ptr, in.len, want.ptr, want.len);
    cbk_buf_release(&in);
    cbk_buf_release(&want);
    cbk_redactor_free(r);
}

/* ---- issue 9: what got past redaction ------------------------------------------------------- */

/* A credential used as a member name, in requests and answers: the name goes, the rest stays. */
static void secret_keys(void **state)
{
    (void)state;
    static const char *const patterns[] = {"^tok-[a-z]+$"};
    struct cbk_redactor *r = make(NULL, 0, NULL, 0, patterns, 1);
    BODY(r, "StopBuild", false, "{\"id\":\"b:1\",\"" SECRET "\":\"v\"}",
         "{\"id\":\"b:1\"," R ":\"v\"}");
    BODY(r, "StopBuild", true, "{\"build\":{\"" TOKEN "\":{\"x\":1},\"tok-abc\":2,\"id\":\"b:1\"}}",
         "{\"build\":{" R ":{\"x\":1}," R ":2,\"id\":\"b:1\"}}");
    /* escaped in the key: still the credential */
    BODY(r, "StopBuild", false, "{\"wJalrXUtnFEMI\\/K7MDENG+bPxRfiCYEXAMPLEKEY\":1}", "{" R ":1}");
    /* what was replaced is told */
    struct cbk_redact_info info;
    memset(&info, 0, sizeof info);
    size_t n;
    const char *in = "{\"" SECRET "\":\"v\",\"ok\":\"" TOKEN "\"}";
    cbk_redact_body(r, op("StopBuild"), false, in, strlen(in), &n, &arena, &info);
    assert_true(info.redacted);
    assert_int_equal(info.nkeys, 1);
    assert_string_equal(info.keys[0], SECRET);
    assert_int_equal(info.npointers, 2);
    assert_string_equal(info.pointers[0], "/wJalrXUtnFEMI~1K7MDENG+bPxRfiCYEXAMPLEKEY");
    assert_string_equal(info.pointers[1], "/ok");
    cbk_redactor_free(r);
}

/* Text that is not JSON, holding the secret with JSON ("\/") or URL ("%2F") escapes. */
static void escaped_secrets_in_text(void **state)
{
    (void)state;
    struct cbk_redactor *r = plain();
    BODY(r, "StopBuild", true, "error: key wJalrXUtnFEMI\\/K7MDENG+bPxRfiCYEXAMPLEKEY rejected",
         "[REDACTED]");
    BODY(r, "StopBuild", true, "key=wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYEXAMPLEKEY&x=1",
         "[REDACTED]");
    BODY(r, "StopBuild", true, "k=wJalrXUtnFEMI\\u002fK7MDENG+bPxRfiCYEXAMPLEKEY", "[REDACTED]");
    /* both at once: a JSON string holding a URL */
    BODY(r, "StopBuild", true, "u=\"https://x/?k=wJalrXUtnFEMI%2FK7MDENG+bPxRfiCYEXAMPLEKEY\"",
         "[REDACTED]");
    /* in a JSON value, percent-encoded */
    BODY(r, "StopBuild", false,
         "{\"id\":\"https://h/?s=wJalrXUtnFEMI%2fK7MDENG%2bbPxRfiCYEXAMPLEKEY\"}",
         "{\"id\":" R "}");
    /* in a header value */
    assert_string_equal(
        cbk_redact_header(r, "X-Note", "wJalrXUtnFEMI\\/K7MDENG+bPxRfiCYEXAMPLEKEY", &arena, NULL),
        "[REDACTED]");
    /* escapes alone are not a secret */
    BODY(r, "StopBuild", true, "a\\/b %2F \\u0041 \\", "a\\/b %2F \\u0041 \\");
    cbk_redactor_free(r);
}

/* A pattern the engine cannot evaluate on a value redacts it (fail closed), and says so. */
static void pattern_engine_errors_redact(void **state)
{
    (void)state;
    /* catastrophic backtracking: the match limit ends it with an error, not a "no" */
    static const char *const patterns[] = {"^(a+)+$", "^tok-(?:a|b)*$"};
    struct cbk_redactor *r = make(NULL, 0, NULL, 0, patterns, 2);
    struct cbk_buf in = CBK_BUF_INIT((size_t)1 << 20), want = CBK_BUF_INIT((size_t)1 << 20);
    cbk_buf_adds(&in, "{\"id\":\"");
    for (int i = 0; i < 40; i++)
        cbk_buf_addc(&in, 'a');
    cbk_buf_adds(&in, "!\",\"ok\":\"b:1\"}");
    struct cbk_redact_info info;
    memset(&info, 0, sizeof info);
    size_t n;
    const char *out = cbk_redact_body(r, op("StopBuild"), false, in.ptr, in.len, &n, &arena, &info);
    assert_string_equal(out, "{\"id\":" R ",\"ok\":\"b:1\"}");
    assert_true(info.redacted);
    assert_int_equal(info.engine_errors, 1);
    assert_non_null(info.engine_why);
    assert_non_null(strstr(info.engine_why, "pattern '^(a+)+$' could not be evaluated ("));
    /* the same value in a header */
    memset(&info, 0, sizeof info);
    assert_string_equal(cbk_redact_header(r, "X-Note", in.ptr + 7, &arena, &info), "[REDACTED]");
    assert_int_equal(info.engine_errors, 1);
    /* "tok-" and 6,000 a's: PCRE2's default JIT stack gave up on it; it must match (and so be
     * redacted), not read as "no match" */
    cbk_buf_reset(&in);
    cbk_buf_adds(&in, "{\"id\":\"tok-");
    for (int i = 0; i < 6000; i++)
        cbk_buf_addc(&in, 'a');
    cbk_buf_adds(&in, "\"}");
    cbk_buf_adds(&want, "{\"id\":" R "}");
    check_body(r, "StopBuild", false, in.ptr, in.len, want.ptr, want.len);
    cbk_buf_release(&in);
    cbk_buf_release(&want);
    cbk_redactor_free(r);
}

/* JSON that stops being JSON where the rules need its structure: the rest goes. */
static void cut_bodies(void **state)
{
    (void)state;
    struct cbk_redactor *r = plain();
    struct cbk_redact_info info;
    memset(&info, 0, sizeof info);
    size_t n;
    /* a sensitive member's value cut short (the mock's journal keeps the first N bytes) */
    const char *in = "{\"projectName\":\"p\",\"environmentVariablesOverride\":[{\"name\":\"A\","
                     "\"value\":\"sec";
    const char *out =
        cbk_redact_body(r, op("StartBuildBatch"), false, in, strlen(in), &n, &arena, &info);
    assert_string_equal(out, "{\"projectName\":\"p\",\"environmentVariablesOverride\":[{\"name\":"
                             "\"A\",\"value\"[REDACTED]");
    assert_true(info.cut);
    assert_int_equal(info.cut_at, strlen("{\"projectName\":\"p\",\"environmentVariablesOverride\":"
                                         "[{\"name\":\"A\",\"value\""));
    /* a complete sensitive value before the damage is redacted in place */
    BODY(r, "StartBuildBatch", false,
         "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"s\"}],\"x\": oops",
         "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":" R "}],\"x\"[REDACTED]");
    /* an operation without sensitive members keeps a damaged tail without secrets */
    BODY(r, "StopBuild", false, "{\"id\":\"b:1\", oops", "{\"id\":\"b:1\", oops");
    /* ... and loses one that holds a secret */
    BODY(r, "StopBuild", false, "{\"id\":\"b:1\", " SECRET, "{\"id\":\"b:1\"[REDACTED]");
    cbk_redactor_free(r);
}

/* Findings that quote what the body hides. */
static void findings(void **state)
{
    (void)state;
    static const char *const patterns[] = {"^tok-[a-z]+$"};
    struct cbk_redactor *r = make(NULL, 0, NULL, 0, patterns, 1);
    const char *path, *msg;
    /* a sensitive member (no body needed: the spec says so) */
    assert_true(cbk_redact_finding(r, op("StartBuildBatch"), false, NULL,
                                   "/environmentVariablesOverride/0/value", "\"hunter2\"",
                                   "value \"hunter2\" is too long", &arena, &path, &msg));
    assert_string_equal(path, "/environmentVariablesOverride/0/value");
    assert_string_equal(msg, "value \"[REDACTED]\" is too long");
    /* a value the body redacted (a pattern, a credential) */
    const char *in = "{\"id\":\"tok-abc\",\"n\":\"" SECRET "\"}";
    struct cbk_redact_info info;
    memset(&info, 0, sizeof info);
    size_t n;
    cbk_redact_body(r, op("StopBuild"), false, in, strlen(in), &n, &arena, &info);
    assert_true(cbk_redact_finding(r, op("StopBuild"), false, &info, "/id", "\"tok-abc\"",
                                   "value \"tok-abc\" is not one of: A, B", &arena, &path, &msg));
    assert_string_equal(msg, "value \"[REDACTED]\" is not one of: A, B");
    /* a redacted key: in the pointer and in the message */
    assert_true(cbk_redact_finding(
        r, op("StopBuild"), false, &info, "/wJalrXUtnFEMI~1K7MDENG+bPxRfiCYEXAMPLEKEY",
        "\"" SECRET "\"", "unknown member \"" SECRET "\" in StopBuildInput", &arena, &path, &msg));
    assert_string_equal(path, "/[REDACTED]");
    assert_string_equal(msg, "unknown member \"[REDACTED]\" in StopBuildInput");
    /* a message quoting a credential it should not: replaced whole */
    assert_true(cbk_redact_finding(r, NULL, false, NULL, "/x", NULL, "saw " TOKEN " here", &arena,
                                   &path, &msg));
    assert_string_equal(msg, "[REDACTED] (the message quoted a secret)");
    /* nothing to hide: the very same strings */
    const char *p0 = "/id", *m0 = "value \"b:1\" is fine";
    assert_false(cbk_redact_finding(r, op("StopBuild"), false, &info, "/n2", "\"b:1\"", m0, &arena,
                                    &path, &msg));
    assert_false(cbk_redact_finding(r, op("StopBuild"), false, NULL, p0, "\"b:1\"", m0, &arena,
                                    &path, &msg));
    assert_ptr_equal(path, p0);
    assert_ptr_equal(msg, m0);
    cbk_redactor_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(headers_default_names),
        cmocka_unit_test(headers_user_names_and_values),
        cmocka_unit_test(bad_rules_are_usage_errors),
        cmocka_unit_test(sensitive_in_requests),
        cmocka_unit_test(sensitive_in_responses),
        cmocka_unit_test(user_pointers),
        cmocka_unit_test(user_patterns),
        cmocka_unit_test(literal_credentials),
        cmocka_unit_test(not_json),
        cmocka_unit_test(the_rest_is_byte_identical),
        cmocka_unit_test(secret_keys),
        cmocka_unit_test(escaped_secrets_in_text),
        cmocka_unit_test(pattern_engine_errors_redact),
        cmocka_unit_test(cut_bodies),
        cmocka_unit_test(findings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
