/*
 * test_wire.c - cbkit's reading of AWS JSON 1.1 error responses (cbk_wire_parse_error) against
 * external oracles:
 *
 *  - botocore's awsJson1_1 output protocol vectors ($CBK_SHARED_DIR/vectors/
 *    botocore-protocol-tests/output-json.json; skipped when absent): every error case gives the
 *    vector's errorCode and errorMessage in the botocore dialect, except the cases botocore's own
 *    runner ignores (X-Amzn-ErrorType / body "code" FooError cases, reference §4.2); in the
 *    Smithy dialect every error case, ignored ones included, gives the errorCode (Smithy reads the
 *    header and "code" too, reference §2.3);
 *  - the experiment table of reference §2.3 (botocore 1.43.11 column, which strips ':' suffixes
 *    as the botocore dialect does);
 *  - the mock's own error bodies (cbk_wire_error_body) read back by both dialects.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cbkit/cbkit.h"
#include "core/buf.h"
#include "wire/wire.h"

/* botocore tests/unit/protocols/protocol-tests-ignore-list.json, "json" -> "output" */
static const char *const botocore_ignored[] = {
    "AwsJson11FooErrorUsingXAmznErrorType",
    "AwsJson11FooErrorUsingXAmznErrorTypeWithUri",
    "AwsJson11FooErrorUsingXAmznErrorTypeWithUriAndNamespace",
    "AwsJson11FooErrorUsingCode",
    "AwsJson11FooErrorUsingCodeAndNamespace",
    "AwsJson11FooErrorUsingCodeUriAndNamespace",
};

static struct json_object *vectors;

static int load_vectors(void **state)
{
    (void)state;
    const char *dir = getenv("CBK_SHARED_DIR");
    if (!dir || !*dir)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/vectors/botocore-protocol-tests/output-json.json", dir);
    if (access(path, R_OK) != 0)
        return 0;
    vectors = json_object_from_file(path);
    return vectors && json_object_is_type(vectors, json_type_array) ? 0 : -1;
}

static int free_vectors(void **state)
{
    (void)state;
    json_object_put(vectors);
    vectors = NULL;
    return 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static bool ignored_by_botocore(const char *id)
{
    for (size_t i = 0; i < CBK_ARRAY_SIZE(botocore_ignored); i++)
        if (strcmp(botocore_ignored[i], id) == 0)
            return true;
    return false;
}

/* The value of header 'name' (case-insensitive) in a vector's response, or NULL. */
static const char *vector_header(struct json_object *response, const char *name)
{
    struct json_object *h = NULL;
    if (!json_object_object_get_ex(response, "headers", &h) || !h)
        return NULL;
    json_object_object_foreach(h, k, v)
    {
        if (strcasecmp(k, name) == 0 && v && json_object_is_type(v, json_type_string))
            return json_object_get_string(v);
    }
    return NULL;
}

struct tally {
    size_t checked, skipped, failed;
    bool seen_ignored[CBK_ARRAY_SIZE(botocore_ignored)];
};

static void run_vectors(enum cbk_wire_dialect dialect, struct tally *t)
{
    struct cbk_buf code = CBK_BUF_INIT(1 << 20), msg = CBK_BUF_INIT(1 << 20);
    for (size_t s = 0; s < json_object_array_length(vectors); s++) {
        struct json_object *suite = json_object_array_get_idx(vectors, s), *cases = NULL;
        if (!json_object_object_get_ex(suite, "cases", &cases))
            continue;
        for (size_t i = 0; i < json_object_array_length(cases); i++) {
            struct json_object *c = json_object_array_get_idx(cases, i), *resp = NULL, *st = NULL;
            const char *id = jstr(c, "id"), *want_code = jstr(c, "errorCode");
            if (!want_code)
                continue; /* not an error case */
            assert_non_null(id);
            for (size_t k = 0; k < CBK_ARRAY_SIZE(botocore_ignored); k++)
                if (strcmp(botocore_ignored[k], id) == 0)
                    t->seen_ignored[k] = true;
            if (dialect == CBK_WIRE_BOTOCORE && ignored_by_botocore(id)) {
                t->skipped++;
                continue;
            }
            assert_true(json_object_object_get_ex(c, "response", &resp));
            assert_true(json_object_object_get_ex(resp, "status_code", &st));
            const char *body = jstr(resp, "body");
            if (!body)
                body = "";
            cbk_wire_parse_error(dialect, json_object_get_int(st), body, strlen(body),
                                 vector_header(resp, "X-Amzn-Errortype"), &code, &msg);
            /* botocore: message, else Message, else '' */
            const char *want_msg = jstr(c, "errorMessage");
            if (!want_msg)
                want_msg = "";
            t->checked++;
            if (strcmp(cbk_buf_str(&code), want_code) != 0 ||
                (dialect == CBK_WIRE_BOTOCORE && strcmp(cbk_buf_str(&msg), want_msg) != 0)) {
                t->failed++;
                print_error("%s (%s dialect): code '%s' message '%s', expected '%s' '%s'\n", id,
                            dialect == CBK_WIRE_BOTOCORE ? "botocore" : "smithy",
                            cbk_buf_str(&code), cbk_buf_str(&msg), want_code, want_msg);
            }
        }
    }
    cbk_buf_release(&code);
    cbk_buf_release(&msg);
}

static void vectors_botocore_dialect(void **state)
{
    (void)state;
    if (!vectors)
        skip();
    struct tally t;
    memset(&t, 0, sizeof t);
    run_vectors(CBK_WIRE_BOTOCORE, &t);
    print_message("botocore dialect: %zu error cases checked, %zu ignored as botocore does\n",
                  t.checked, t.skipped);
    assert_int_equal(t.failed, 0);
    /* the ignore list names cases of the file (it must not hide anything else) */
    for (size_t k = 0; k < CBK_ARRAY_SIZE(botocore_ignored); k++)
        assert_true(t.seen_ignored[k]);
    assert_int_equal(t.skipped, CBK_ARRAY_SIZE(botocore_ignored));
    assert_true(t.checked >= 6);
}

static void vectors_smithy_dialect(void **state)
{
    (void)state;
    if (!vectors)
        skip();
    struct tally t;
    memset(&t, 0, sizeof t);
    run_vectors(CBK_WIRE_SMITHY, &t);
    print_message("smithy dialect: %zu error cases checked\n", t.checked);
    assert_int_equal(t.failed, 0);
    assert_int_equal(t.skipped, 0);
    assert_true(t.checked >= 12);
}

/* Reference §2.3, "[experiment] parsed Error.Code", botocore 1.43.11 column. */
static void botocore_experiment_table(void **state)
{
    (void)state;
    static const struct {
        int status;
        const char *body, *header, *code, *message;
    } rows[] = {
        {400, "{\"__type\":\"InvalidInputException\",\"message\":\"bad\"}", NULL,
         "InvalidInputException", "bad"},
        {400, "{\"__type\":\"com.amazonaws.codebuild#ThrottlingException\"}", NULL,
         "ThrottlingException", ""},
        {400,
         "{\"__type\":\"ThrottlingException:http://internal.amazon.com/coral/"
         "com.amazon.coral.availability/\"}",
         NULL, "ThrottlingException", ""},
        {400, "{\"__type\":\"aws.protocoltests#InvalidInputException:http://x\",\"Message\":\"M\"}",
         NULL, "InvalidInputException", "M"},
        {400, "{\"__type\":\"A#B#C\"}", NULL, "C", ""},
        {400, "{}", "ThrottlingException", "400", ""},
        {400, "{\"code\":\"ThrottlingException\",\"message\":\"x\"}", NULL, "400", "x"},
        {400, "{\"__type\":\"throttlingexception\"}", NULL, "throttlingexception", ""},
        {400, "", NULL, "400", ""},
        {400, "not json at all", NULL, "400", "not json at all"},
        {429, "{}", NULL, "429", ""},
        {500, "", NULL, "500", NULL},
        {504, "", NULL, "504", NULL},
        {502, "<html><body>Bad Gateway</body></html>", NULL, "502", NULL},
        {400, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"m\",\"Message\":\"M\"}",
         NULL, "ResourceNotFoundException", "m"},
    };
    struct cbk_buf code = CBK_BUF_INIT(1 << 20), msg = CBK_BUF_INIT(1 << 20);
    for (size_t i = 0; i < CBK_ARRAY_SIZE(rows); i++) {
        cbk_wire_parse_error(CBK_WIRE_BOTOCORE, rows[i].status, rows[i].body, strlen(rows[i].body),
                             rows[i].header, &code, &msg);
        if (strcmp(cbk_buf_str(&code), rows[i].code) != 0)
            print_error("row %zu: %d %s -> code '%s', expected '%s'\n", i, rows[i].status,
                        rows[i].body, cbk_buf_str(&code), rows[i].code);
        assert_string_equal(cbk_buf_str(&code), rows[i].code);
        if (rows[i].message)
            assert_string_equal(cbk_buf_str(&msg), rows[i].message);
    }
    cbk_buf_release(&code);
    cbk_buf_release(&msg);
}

/* The mock's error bodies are read back the same by every client dialect. */
static void mock_error_bodies_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *type, *message;
    } errs[] = {
        {"InvalidInputException",
         "1 validation error detected: Value '2161' at 'buildTimeoutInMinutesOverride' failed to "
         "satisfy constraint: Member must have value less than or equal to 2160"},
        {"ResourceNotFoundException", "Build app:1 does not exist"},
        {"SerializationException", "Malformed JSON at line 1, column 2: \"quoted\" \\ \n\t\x01"},
        {"IdempotentParameterMismatchException", "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x98\x80"},
        {"ThrottlingException", ""},
    };
    struct cbk_buf body = CBK_BUF_INIT(1 << 20), code = CBK_BUF_INIT(1 << 20),
                   msg = CBK_BUF_INIT(1 << 20);
    for (size_t i = 0; i < CBK_ARRAY_SIZE(errs); i++) {
        cbk_buf_reset(&body);
        cbk_wire_error_body(&body, errs[i].type, errs[i].message);
        struct json_object *doc = json_tokener_parse(cbk_buf_str(&body));
        assert_non_null(doc);
        assert_string_equal(jstr(doc, "__type"), errs[i].type);
        assert_string_equal(jstr(doc, "message"), errs[i].message);
        assert_int_equal(json_object_object_length(doc), 2);
        json_object_put(doc);
        static const enum cbk_wire_dialect dialects[] = {CBK_WIRE_BOTOCORE, CBK_WIRE_SMITHY};
        for (size_t d = 0; d < 2; d++) {
            cbk_wire_parse_error(dialects[d], 400, body.ptr, body.len, errs[i].type, &code, &msg);
            assert_string_equal(cbk_buf_str(&code), errs[i].type);
            assert_string_equal(cbk_buf_str(&msg), errs[i].message);
        }
    }
    cbk_buf_release(&body);
    cbk_buf_release(&code);
    cbk_buf_release(&msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(vectors_botocore_dialect),
        cmocka_unit_test(vectors_smithy_dialect),
        cmocka_unit_test(botocore_experiment_table),
        cmocka_unit_test(mock_error_bodies_round_trip),
    };
    return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
