/*
 * test_validate.c - the validator against the bundled CodeBuild spec: the table-driven corpus
 * (tests/corpus/requests.jsonl and responses.jsonl) through both entry points, and direct
 * tests of what the mock uses (AWS wording, AWS member paths, quoted values), positions in
 * text, limits and options.
 *
 * Corpus rows are one JSON object per line:
 *   {"op": "StartBuildBatch", "dir": "request" | "response", "strict": false,
 *    "doc": {...} | "text": "raw JSON text", "valid": true | false,
 *    "errors": ["POINTER RULE", ...], "warnings": ["POINTER RULE", ...],
 *    "text_only": true (optional), "note": "what the case is about"}
 * Findings are listed in document order; the root pointer is "", so a root finding reads
 * " type". "doc" is serialized with json-c (plain) for the text path; both the text path
 * (cbk_validate_op_buffer) and the json-c path (cbk_validate_op_json) must give exactly the
 * expected findings, except for rows marked text_only, which only the text path can see.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cbkit/cbkit.h"
#include "core/buf.h"
#include "core/jsonscan.h"

#include "tests/unit/unit_spec.h"

/* ---- the corpus ------------------------------------------------------------------------------ */

/* The findings of one severity as ["pointer rule", ...]. */
static void list_findings(const struct cbk_report *r, enum cbk_severity sev, struct cbk_buf *out)
{
    cbk_buf_reset(out);
    cbk_buf_addc(out, '[');
    bool first = true;
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        if (v->severity != sev)
            continue;
        if (!first)
            cbk_buf_adds(out, ", ");
        first = false;
        struct cbk_buf item = CBK_BUF_INIT(1 << 20);
        cbk_buf_addf(&item, "%s %s", v->pointer, cbk_rule_name(v->rule));
        cbk_buf_add_json_str(out, item.ptr, item.len);
        cbk_buf_release(&item);
    }
    cbk_buf_addc(out, ']');
}

static void list_expected(struct json_object *arr, struct cbk_buf *out)
{
    cbk_buf_reset(out);
    cbk_buf_addc(out, '[');
    size_t n = arr ? json_object_array_length(arr) : 0;
    for (size_t i = 0; i < n; i++) {
        struct json_object *s = json_object_array_get_idx(arr, i);
        if (i)
            cbk_buf_adds(out, ", ");
        cbk_buf_add_json_str(out, json_object_get_string(s), (size_t)json_object_get_string_len(s));
    }
    cbk_buf_addc(out, ']');
}

/* Structural checks every report must pass; returns a problem or NULL. */
static const char *report_sane(const struct cbk_report *r, bool from_text)
{
    size_t errors = 0, warnings = 0;
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        if (v->severity == CBK_SEV_ERROR)
            errors++;
        else
            warnings++;
        if (!v->pointer || (v->pointer[0] && v->pointer[0] != '/'))
            return "a pointer is not an RFC 6901 pointer";
        if (!v->message || !v->message[0] || strchr(v->message, '\n'))
            return "a message is empty or not one line";
        if (!v->aws_path || !v->aws_constraint || !v->expected || !v->actual)
            return "a string field is NULL";
        if (v->rule != CBK_RULE_SYNTAX && v->rule != CBK_RULE_REQUIRED && !v->aws_constraint[0])
            return "an AWS constraint is empty";
        if (from_text && (v->line < 1 || v->column < 1))
            return "a finding from text has no line and column";
        if (!from_text && (v->line != 0 || v->column != 0))
            return "a finding from a json-c document has a line or column";
    }
    if (errors != cbk_report_error_count(r) || warnings != cbk_report_warning_count(r))
        return "the counts do not match the findings";
    if (cbk_report_truncated(r))
        return "the report is truncated";
    return NULL;
}

/* Parse with json-c; false when it is not one JSON text (*out may be NULL for "null"). */
static bool parse_json(const char *text, size_t len, struct json_object **out)
{
    struct json_tokener *tok = json_tokener_new_ex(2000);
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (e != json_tokener_success) {
        json_object_put(o);
        *out = NULL;
        return false;
    }
    *out = o;
    return true;
}

/* Run one corpus row; returns true when it passed (and prints why when it did not). */
static bool run_row(const char *file, size_t lineno, struct json_object *row, struct cbk_report *r,
                    size_t *n_text_only)
{
    struct json_object *jop, *jdir, *jstrict, *jdoc = NULL, *jtext = NULL, *jvalid, *jerr, *jwarn,
                                              *jnote, *jto;
    bool has_doc = json_object_object_get_ex(row, "doc", &jdoc);
    bool has_text = json_object_object_get_ex(row, "text", &jtext);
    if (!json_object_object_get_ex(row, "op", &jop) ||
        !json_object_object_get_ex(row, "valid", &jvalid) ||
        !json_object_object_get_ex(row, "errors", &jerr) ||
        !json_object_object_get_ex(row, "note", &jnote) || has_doc == has_text) {
        print_error("%s:%zu: malformed row (needs op, valid, errors, note and doc or text)\n", file,
                    lineno);
        return false;
    }
    const char *note = json_object_get_string(jnote);
    struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
    if (json_object_object_get_ex(row, "dir", &jdir) &&
        strcmp(json_object_get_string(jdir), "response") == 0)
        o.direction = CBK_RESPONSE;
    if (json_object_object_get_ex(row, "strict", &jstrict))
        o.strict = json_object_get_boolean(jstrict);
    bool text_only =
        json_object_object_get_ex(row, "text_only", &jto) && json_object_get_boolean(jto);
    if (text_only)
        (*n_text_only)++;
    json_object_object_get_ex(row, "warnings", &jwarn);

    const char *text;
    size_t len;
    if (has_text) {
        text = json_object_get_string(jtext);
        len = (size_t)json_object_get_string_len(jtext);
    } else {
        text = json_object_to_json_string_ext(jdoc, JSON_C_TO_STRING_PLAIN);
        len = strlen(text);
    }
    struct cbk_buf want_e = CBK_BUF_INIT(1 << 20), want_w = CBK_BUF_INIT(1 << 20);
    struct cbk_buf got_e = CBK_BUF_INIT(1 << 20), got_w = CBK_BUF_INIT(1 << 20);
    struct cbk_buf js_e = CBK_BUF_INIT(1 << 20), js_w = CBK_BUF_INIT(1 << 20);
    list_expected(jerr, &want_e);
    list_expected(jwarn, &want_w);
    bool want_valid = json_object_get_boolean(jvalid);
    const char *problem = NULL;

    /* the text path */
    enum cbk_code rc = cbk_validate_op_buffer(spec, json_object_get_string(jop), text, len, &o, r);
    list_findings(r, CBK_SEV_ERROR, &got_e);
    list_findings(r, CBK_SEV_WARNING, &got_w);
    if (rc != CBK_OK && rc != CBK_E_INVALID)
        problem = "the text path did not validate (unknown operation?)";
    else if ((rc == CBK_OK) != want_valid)
        problem = "the text path's validity differs";
    else if (strcmp(got_e.ptr, want_e.ptr) != 0 || strcmp(got_w.ptr, want_w.ptr) != 0)
        problem = "the text path's findings differ";
    else if ((want_valid && cbk_report_error_count(r)) ||
             (!want_valid && !cbk_report_error_count(r)))
        problem = "'valid' contradicts 'errors'";
    else
        problem = report_sane(r, true);

    /* the json-c path */
    if (!problem && !text_only) {
        struct json_object *doc = NULL;
        /* the length includes the NUL: it tells json-c the text ends there */
        bool parsed =
            has_doc ? (doc = json_object_get(jdoc), true) : parse_json(text, len + 1, &doc);
        if (!parsed) {
            problem = "json-c cannot parse the text: mark the row text_only";
        } else {
            enum cbk_code rc2 = cbk_validate_op_json(spec, json_object_get_string(jop), doc, &o, r);
            list_findings(r, CBK_SEV_ERROR, &js_e);
            list_findings(r, CBK_SEV_WARNING, &js_w);
            if (rc2 != rc || strcmp(js_e.ptr, got_e.ptr) != 0 || strcmp(js_w.ptr, got_w.ptr) != 0)
                problem = "the json-c path differs from the text path";
            else
                problem = report_sane(r, false);
        }
        json_object_put(doc);
    }
    if (problem) {
        print_error("%s:%zu: %s\n  note:     %s\n  text:     %.300s%s\n"
                    "  expected: valid=%s errors=%s warnings=%s\n"
                    "  text:     valid=%s errors=%s warnings=%s\n",
                    file, lineno, problem, note, text, len > 300 ? "..." : "",
                    want_valid ? "true" : "false", want_e.ptr, want_w.ptr,
                    rc == CBK_OK ? "true" : "false", got_e.ptr, got_w.ptr);
        if (js_e.ptr)
            print_error("  json-c:   errors=%s warnings=%s\n", js_e.ptr, js_w.ptr ? js_w.ptr : "");
        for (size_t i = 0; i < cbk_report_count(r); i++) {
            const struct cbk_violation *v = cbk_report_at(r, i);
            print_error("    %d:%d %s [%s] %s\n", v->line, v->column, v->pointer,
                        cbk_rule_name(v->rule), v->message);
        }
    }
    cbk_buf_release(&want_e);
    cbk_buf_release(&want_w);
    cbk_buf_release(&got_e);
    cbk_buf_release(&got_w);
    cbk_buf_release(&js_e);
    cbk_buf_release(&js_w);
    return problem == NULL;
}

static void run_corpus(const char *name, size_t min_rows)
{
    const char *src = getenv("CBK_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/corpus/%s", src && *src ? src : "..", name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s (set CBK_SOURCE_DIR)", path);
    struct cbk_report *r = cbk_report_new();
    char *line = NULL;
    size_t cap = 0, lineno = 0, rows = 0, failed = 0, text_only = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (n == 1 && line[0] == '\n')
            continue;
        struct json_object *row = NULL;
        if (!parse_json(line, (size_t)n, &row) || !json_object_is_type(row, json_type_object)) {
            print_error("%s:%zu: not a JSON object\n", name, lineno);
            failed++;
            json_object_put(row);
            continue;
        }
        rows++;
        if (!run_row(name, lineno, row, r, &text_only))
            failed++;
        json_object_put(row);
    }
    free(line);
    fclose(f);
    cbk_report_free(r);
    print_message("%s: %zu rows (%zu text only), %zu failed\n", name, rows, text_only, failed);
    assert_true(rows >= min_rows);
    assert_int_equal(failed, 0);
}

static void corpus_requests(void **state)
{
    (void)state;
    run_corpus("requests.jsonl", 150);
}

static void corpus_responses(void **state)
{
    (void)state;
    run_corpus("responses.jsonl", 40);
}

/* ---- what the mock uses: AWS wording and paths -------------------------------------------- */

/* Validate a request text and return finding i (the test fails if there is none). */
static const struct cbk_violation *finding(struct cbk_report *r, const char *op, const char *text,
                                           size_t i)
{
    cbk_validate_op_buffer(spec, op, text, strlen(text), NULL, r);
    if (i >= cbk_report_count(r))
        fail_msg("no finding %zu for %s", i, text);
    return cbk_report_at(r, i);
}

static void aws_fields(void **state)
{
    (void)state;
    struct cbk_report *r = cbk_report_new();
    const struct cbk_violation *v;

    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"secondarySourcesOverride\":[{\"type\":\"S3\"},"
                "{\"type\":\"BAD\"}]}",
                0);
    assert_int_equal(v->rule, CBK_RULE_ENUM);
    assert_string_equal(v->pointer, "/secondarySourcesOverride/1/type");
    assert_string_equal(v->aws_path, "secondarySourcesOverride.2.member.type");
    assert_string_equal(v->aws_constraint,
                        "Member must satisfy enum value set: [CODECOMMIT, CODEPIPELINE, GITHUB, "
                        "GITLAB, GITLAB_SELF_MANAGED, S3, BITBUCKET, GITHUB_ENTERPRISE, "
                        "NO_SOURCE]");
    assert_string_equal(v->aws_value, "BAD");
    assert_string_equal(v->message, "value \"BAD\" is not one of the 9 values of SourceType");
    assert_string_equal(v->shape, "SourceType");
    assert_string_equal(v->member, "type");
    assert_string_equal(v->actual, "\"BAD\"");
    assert_int_equal(v->severity, CBK_SEV_ERROR);

    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"environmentVariablesOverride\":[{\"name\":\"A\"}]}", 0);
    assert_int_equal(v->rule, CBK_RULE_REQUIRED);
    assert_string_equal(v->pointer, "/environmentVariablesOverride/0/value");
    assert_string_equal(v->aws_path, "environmentVariablesOverride.1.member.value");
    assert_string_equal(v->aws_constraint, "Member must not be null");
    assert_null(v->aws_value);
    assert_string_equal(v->message, "missing required member 'value'");
    assert_string_equal(v->shape, "EnvironmentVariable");
    assert_string_equal(v->member, "value");

    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"buildTimeoutInMinutesOverride\":2161}", 0);
    assert_int_equal(v->rule, CBK_RULE_RANGE);
    assert_string_equal(v->aws_constraint, "Member must have value less than or equal to 2160");
    assert_string_equal(v->aws_value, "2161");
    assert_string_equal(v->aws_path, "buildTimeoutInMinutesOverride");
    assert_string_equal(v->message, "value 2161 is greater than the maximum 2160");
    assert_string_equal(v->expected, "<= 2160");
    assert_string_equal(v->actual, "2161");
    assert_string_equal(v->shape, "BuildTimeOut");
    assert_string_equal(v->member, "buildTimeoutInMinutesOverride");

    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"queuedTimeoutInMinutesOverride\":4}", 0);
    assert_string_equal(v->aws_constraint, "Member must have value greater than or equal to 5");
    assert_string_equal(v->message, "value 4 is less than the minimum 5");
    assert_string_equal(v->expected, ">= 5");
    assert_string_equal(v->aws_value, "4");

    v = finding(r, "StartBuildBatch", "{\"projectName\":\"\"}", 0);
    assert_int_equal(v->rule, CBK_RULE_LENGTH);
    assert_string_equal(v->aws_constraint, "Member must have length greater than or equal to 1");
    assert_non_null(v->aws_value);
    assert_string_equal(v->aws_value, "");
    assert_string_equal(v->message, "string length 0 is less than the minimum 1");
    assert_string_equal(v->aws_path, "projectName");

    v = finding(r, "StartBuildBatch", "{}", 0);
    assert_int_equal(v->rule, CBK_RULE_REQUIRED);
    assert_string_equal(v->pointer, "/projectName");
    assert_string_equal(v->aws_path, "projectName");
    assert_string_equal(v->aws_constraint, "Member must not be null");
    assert_null(v->aws_value);
    assert_string_equal(v->message, "missing required member 'projectName'");
    assert_string_equal(v->shape, "StartBuildBatchInput");

    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    cbk_buf_adds(&b, "{\"projectName\":\"p\",\"secondaryArtifactsOverride\":[");
    for (int i = 0; i < 13; i++)
        cbk_buf_addf(&b, "%s{\"type\":\"S3\"}", i ? "," : "");
    cbk_buf_adds(&b, "]}");
    v = finding(r, "StartBuildBatch", b.ptr, 0);
    assert_int_equal(v->rule, CBK_RULE_ITEMS);
    assert_string_equal(v->pointer, "/secondaryArtifactsOverride");
    assert_string_equal(v->aws_path, "secondaryArtifactsOverride");
    assert_string_equal(v->aws_constraint, "Member must have length less than or equal to 12");
    assert_string_equal(v->message, "13 items are more than the maximum 12");
    assert_string_equal(v->shape, "ProjectArtifactsList");
    cbk_buf_release(&b);

    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"environmentTypeOverride\":\"LINUX\"}", 0);
    assert_string_equal(v->message,
                        "value \"LINUX\" is not one of the 12 values of EnvironmentType");
    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"logsConfigOverride\":{\"s3Logs\":{\"status\":\"ON\"}}}",
                0);
    assert_string_equal(v->message, "value \"ON\" is not one of: ENABLED, DISABLED");
    assert_string_equal(v->aws_constraint,
                        "Member must satisfy enum value set: [ENABLED, DISABLED]");
    assert_string_equal(v->aws_path, "logsConfigOverride.s3Logs.status");

    v = finding(r, "StartBuildBatch", "{\"projectName\":\"p\",\"bogus\":1}", 0);
    assert_int_equal(v->rule, CBK_RULE_UNKNOWN);
    assert_string_equal(v->message, "unknown member \"bogus\" in StartBuildBatchInput");
    assert_string_equal(v->aws_path, "bogus");
    assert_null(v->aws_value);

    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"buildTimeoutInMinutesOverride\":\"60\"}", 0);
    assert_int_equal(v->rule, CBK_RULE_TYPE);
    assert_string_equal(v->message, "expected an integer, found a string");
    assert_string_equal(v->aws_value, "60");

    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"secondarySourcesVersionOverride\":[{\"sourceIdentifier\":"
                "\"a-b\",\"sourceVersion\":\"v\"}]}",
                0);
    assert_int_equal(v->rule, CBK_RULE_PATTERN);
    assert_string_equal(v->message, "value \"a-b\" does not match the pattern ^[A-Za-z0-9_]*$");
    assert_string_equal(v->aws_constraint,
                        "Member must satisfy regular expression pattern: ^[A-Za-z0-9_]*$");
    assert_string_equal(v->aws_path, "secondarySourcesVersionOverride.1.member.sourceIdentifier");
    assert_string_equal(v->aws_value, "a-b");

    /* nested lists and structures; list elements of scalars */
    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"secondarySourcesOverride\":[{\"type\":\"S3\"},{\"type\":"
                "\"S3\"},{\"type\":\"GITHUB\",\"auth\":{\"type\":\"X\"}}]}",
                0);
    assert_string_equal(v->pointer, "/secondarySourcesOverride/2/auth/type");
    assert_string_equal(v->aws_path, "secondarySourcesOverride.3.member.auth.type");
    v = finding(r, "StartBuildBatch",
                "{\"projectName\":\"p\",\"cacheOverride\":{\"type\":\"LOCAL\",\"modes\":["
                "\"LOCAL_SOURCE_CACHE\",\"NOPE\"]}}",
                0);
    assert_string_equal(v->pointer, "/cacheOverride/modes/1");
    assert_string_equal(v->aws_path, "cacheOverride.modes.2.member");
    assert_null(v->member); /* list elements have no member name */
    /* escaped names are unescaped in the AWS path */
    v = finding(r, "StartBuildBatch", "{\"projectName\":\"p\",\"a/b~c\":1}", 0);
    assert_string_equal(v->pointer, "/a~1b~0c");
    assert_string_equal(v->aws_path, "a/b~c");
    /* a long string value is shortened for the AWS quote, but kept whole for nothing else */
    b = (struct cbk_buf)CBK_BUF_INIT(1 << 16);
    cbk_buf_adds(&b, "{\"projectName\":\"p\",\"sourceTypeOverride\":\"");
    for (int i = 0; i < 400; i++)
        cbk_buf_addc(&b, 'x');
    cbk_buf_adds(&b, "\"}");
    v = finding(r, "StartBuildBatch", b.ptr, 0);
    assert_int_equal(v->rule, CBK_RULE_ENUM);
    assert_true(strlen(v->aws_value) < 300);
    assert_true(strlen(v->message) < 300);
    cbk_buf_release(&b);
    /* shortened at a character boundary: the AWS quote stays valid UTF-8 */
    b = (struct cbk_buf)CBK_BUF_INIT(1 << 16);
    cbk_buf_adds(&b, "{\"projectName\":\"p\",\"sourceTypeOverride\":\"x");
    for (int i = 0; i < 200; i++)
        cbk_buf_adds(&b, "\xc3\xa9");
    cbk_buf_adds(&b, "\"}");
    v = finding(r, "StartBuildBatch", b.ptr, 0);
    assert_int_equal(v->rule, CBK_RULE_ENUM);
    assert_true(strlen(v->aws_value) < 300);
    assert_true(cbk_utf8_valid(v->aws_value, strlen(v->aws_value)));
    assert_true(cbk_utf8_valid(v->actual, strlen(v->actual)));
    assert_true(cbk_utf8_valid(v->message, strlen(v->message)));
    cbk_buf_release(&b);
    cbk_report_free(r);
}

/* ---- positions in text -------------------------------------------------------------------- */

static void positions_from_text(void **state)
{
    (void)state;
    const char *text =
        "{\n"
        "  \"projectName\": \"\",\n"
        "  \"buildTimeoutInMinutesOverride\": 2161,\n"
        "  \"environmentVariablesOverride\": [{\"name\": \"\xc3\xa9\", \"value\": 1}, "
        "{\"name\": \"x\"}],\n"
        "  \"bogus\": true\n"
        "}\n";
    struct cbk_report *r = cbk_report_new();
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", text, strlen(text), NULL, r),
                     CBK_E_INVALID);
    static const struct {
        const char *pointer;
        enum cbk_rule rule;
        int line, column;
    } want[] = {
        {"/projectName", CBK_RULE_LENGTH, 2, 18},
        {"/buildTimeoutInMinutesOverride", CBK_RULE_RANGE, 3, 36},
        {"/environmentVariablesOverride/0/value", CBK_RULE_TYPE, 4, 59},     /* é is one column */
        {"/environmentVariablesOverride/1/value", CBK_RULE_REQUIRED, 4, 63}, /* the object */
        {"/bogus", CBK_RULE_UNKNOWN, 5, 3},                                  /* the name */
    };
    assert_int_equal(cbk_report_count(r), CBK_ARRAY_SIZE(want));
    for (size_t i = 0; i < CBK_ARRAY_SIZE(want); i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        if (strcmp(v->pointer, want[i].pointer) != 0 || v->rule != want[i].rule ||
            v->line != want[i].line || v->column != want[i].column)
            fail_msg("finding %zu: want %s %s %d:%d, got %s %s %d:%d", i, want[i].pointer,
                     cbk_rule_name(want[i].rule), want[i].line, want[i].column, v->pointer,
                     cbk_rule_name(v->rule), v->line, v->column);
    }

    /* items: the position of the array */
    const char *t2 = "{\"projectName\":\"p\",\n \"secondarySourcesOverride\": [{\"type\":\"S3\"},"
                     "{\"type\":\"S3\"},{\"type\":\"S3\"},{\"type\":\"S3\"},{\"type\":\"S3\"},"
                     "{\"type\":\"S3\"},{\"type\":\"S3\"},{\"type\":\"S3\"},{\"type\":\"S3\"},"
                     "{\"type\":\"S3\"},{\"type\":\"S3\"},{\"type\":\"S3\"},{}]}";
    cbk_validate_op_buffer(spec, "StartBuildBatch", t2, strlen(t2), NULL, r);
    assert_int_equal(cbk_report_count(r), 2);
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_ITEMS);
    assert_int_equal(cbk_report_at(r, 0)->line, 2);
    assert_int_equal(cbk_report_at(r, 0)->column, 30);
    assert_int_equal(cbk_report_at(r, 1)->rule, CBK_RULE_REQUIRED);
    assert_string_equal(cbk_report_at(r, 1)->pointer, "/secondarySourcesOverride/12/type");

    /* syntax: where the text stops being JSON */
    const char *t3 = "{\n  \"projectName\": \"p\"\n";
    cbk_validate_op_buffer(spec, "StartBuildBatch", t3, strlen(t3), NULL, r);
    assert_int_equal(cbk_report_count(r), 1);
    const struct cbk_violation *v = cbk_report_at(r, 0);
    assert_int_equal(v->rule, CBK_RULE_SYNTAX);
    assert_string_equal(v->message, "unexpected end of input, expected ',' or '}'");
    assert_int_equal(v->line, 3);
    assert_int_equal(v->column, 1);
    const char *t4 = "{\"projectName\":\"p\",\n\"x\xc3\xa9\": tru}";
    cbk_validate_op_buffer(spec, "StartBuildBatch", t4, strlen(t4), NULL, r);
    assert_int_equal(cbk_report_count(r), 2);
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_UNKNOWN);
    assert_string_equal(cbk_report_at(r, 0)->pointer, "/x\xc3\xa9");
    v = cbk_report_at(r, 1);
    assert_int_equal(v->rule, CBK_RULE_SYNTAX);
    assert_string_equal(v->message, "invalid literal (expected 'true')");
    assert_int_equal(v->line, 2);
    assert_int_equal(v->column, 7);

    /* the json-c path has no positions */
    struct json_object *doc = json_tokener_parse(text);
    assert_non_null(doc);
    assert_int_equal(cbk_validate_op_json(spec, "StartBuildBatch", doc, NULL, r), CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), CBK_ARRAY_SIZE(want));
    for (size_t i = 0; i < cbk_report_count(r); i++) {
        assert_string_equal(cbk_report_at(r, i)->pointer, want[i].pointer);
        assert_int_equal(cbk_report_at(r, i)->line, 0);
        assert_int_equal(cbk_report_at(r, i)->column, 0);
    }
    json_object_put(doc);
    cbk_report_free(r);
}

/* ---- limits and options --------------------------------------------------------------------- */

/* {"projectName":"xxx..."} of exactly 'total' bytes. Caller frees. */
static char *doc_of_size(size_t total)
{
    const char *head = "{\"projectName\":\"", *tail = "\"}";
    size_t hl = strlen(head), tl = strlen(tail);
    char *s = malloc(total + 1);
    assert_non_null(s);
    memcpy(s, head, hl);
    memset(s + hl, 'x', total - hl - tl);
    memcpy(s + total - tl, tail, tl);
    s[total] = '\0';
    return s;
}

static void size_limit(void **state)
{
    (void)state;
    struct cbk_report *r = cbk_report_new();
    size_t lim = (size_t)8 << 20;
    char *big = doc_of_size(lim + 1);
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", big, lim + 1, NULL, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 1);
    const struct cbk_violation *v = cbk_report_at(r, 0);
    assert_int_equal(v->rule, CBK_RULE_SYNTAX);
    assert_string_equal(v->pointer, "");
    assert_string_equal(v->message, "document is larger than the limit of 8388608 bytes");
    free(big);

    /* exactly the limit is fine */
    char *at = doc_of_size(lim);
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", at, lim, NULL, r), CBK_OK);
    assert_int_equal(cbk_report_count(r), 0);
    free(at);

    /* 9 MiB: over the default limit, fine with a larger one */
    size_t nine = (size_t)9 << 20;
    char *huge = doc_of_size(nine);
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", huge, nine, NULL, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 1);
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_SYNTAX);
    struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
    o.max_size = (size_t)16 << 20;
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", huge, nine, &o, r), CBK_OK);
    assert_int_equal(cbk_report_count(r), 0);
    o.max_size = 100;
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", huge, nine, &o, r),
                     CBK_E_INVALID);
    assert_string_equal(cbk_report_at(r, 0)->message,
                        "document is larger than the limit of 100 bytes");
    free(huge);
    cbk_report_free(r);
}

static void depth_limit_option(void **state)
{
    (void)state;
    struct cbk_report *r = cbk_report_new();
    struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
    o.max_depth = 3;
    const char *ok = "{\"projectName\":\"p\",\"sourceAuthOverride\":{\"type\":\"OAUTH\"}}";
    const char *deep =
        "{\"projectName\":\"p\",\"secondarySourcesOverride\":[{\"type\":\"S3\",\"auth\":{}}]}";
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", ok, strlen(ok), &o, r),
                     CBK_OK);
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", deep, strlen(deep), &o, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 1);
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_SYNTAX);
    assert_string_equal(cbk_report_at(r, 0)->message, "nesting deeper than 3 levels");
    assert_string_equal(cbk_report_at(r, 0)->pointer, "/secondarySourcesOverride/0/auth");
    struct json_object *doc = json_tokener_parse(deep);
    assert_int_equal(cbk_validate_op_json(spec, "StartBuildBatch", doc, &o, r), CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 1);
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_SYNTAX);
    assert_string_equal(cbk_report_at(r, 0)->message, "nesting deeper than 3 levels");
    assert_string_equal(cbk_report_at(r, 0)->pointer, "/secondarySourcesOverride/0/auth");
    json_object_put(doc);

    /* at most 1024, whatever is asked */
    o.max_depth = 100000;
    struct cbk_buf b = CBK_BUF_INIT(1 << 16);
    cbk_buf_adds(&b, "{\"projectName\":\"p\",\"bogus\":");
    for (int i = 0; i < 1100; i++)
        cbk_buf_addc(&b, '[');
    for (int i = 0; i < 1100; i++)
        cbk_buf_addc(&b, ']');
    cbk_buf_addc(&b, '}');
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", b.ptr, b.len, &o, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 2);
    assert_string_equal(cbk_report_at(r, 1)->message, "nesting deeper than 1024 levels");
    cbk_buf_release(&b);
    cbk_report_free(r);
}

static void max_violations_option(void **state)
{
    (void)state;
    struct cbk_report *r = cbk_report_new();
    struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
    o.max_violations = 3;
    const char *doc = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5}"; /* 5 unknown + 1 required */
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", doc, strlen(doc), &o, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 3);
    assert_int_equal(cbk_report_error_count(r), 6); /* counting goes on */
    assert_true(cbk_report_truncated(r));
    assert_string_equal(cbk_report_at(r, 2)->pointer, "/c");
    assert_null(cbk_report_at(r, 3));

    /* the syntax finding is always recorded */
    o.max_violations = 1;
    const char *bad = "{\"projectName\":\"\",\"bogus\":1,";
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", bad, strlen(bad), &o, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 2);
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_LENGTH);
    assert_int_equal(cbk_report_at(r, 1)->rule, CBK_RULE_SYNTAX);
    assert_true(cbk_report_truncated(r));

    /* the default is 1000 */
    struct cbk_buf b = CBK_BUF_INIT(1 << 20);
    cbk_buf_adds(&b, "{\"projectName\":\"p\"");
    for (int i = 0; i < 1200; i++)
        cbk_buf_addf(&b, ",\"u%d\":%d", i, i);
    cbk_buf_addc(&b, '}');
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", b.ptr, b.len, NULL, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 1000);
    assert_int_equal(cbk_report_error_count(r), 1200);
    assert_true(cbk_report_truncated(r));
    assert_string_equal(cbk_report_at(r, 999)->pointer, "/u999");
    cbk_buf_release(&b);
    cbk_report_free(r);
}

static void responses_and_reports(void **state)
{
    (void)state;
    struct cbk_report *r = cbk_report_new();
    struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
    o.direction = CBK_RESPONSE;
    const char *doc = "{\"build\":{\"buildStatus\":\"NEW\",\"extra\":1}}";
    assert_int_equal(cbk_validate_op_buffer(spec, "RetryBuild", doc, strlen(doc), &o, r), CBK_OK);
    assert_int_equal(cbk_report_count(r), 2);
    assert_int_equal(cbk_report_error_count(r), 0);
    assert_int_equal(cbk_report_warning_count(r), 2);
    assert_int_equal(cbk_report_at(r, 0)->severity, CBK_SEV_WARNING);
    assert_int_equal(cbk_report_at(r, 1)->severity, CBK_SEV_WARNING);
    o.strict = true;
    assert_int_equal(cbk_validate_op_buffer(spec, "RetryBuild", doc, strlen(doc), &o, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_error_count(r), 2);
    assert_int_equal(cbk_report_warning_count(r), 0);
    /* strict means nothing for requests: they are always strict */
    o.direction = CBK_REQUEST;
    o.strict = false;
    doc = "{\"id\":\"x\",\"extra\":1}";
    assert_int_equal(cbk_validate_op_buffer(spec, "StopBuild", doc, strlen(doc), &o, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_at(r, 0)->severity, CBK_SEV_ERROR);

    /* an unknown operation clears the report */
    assert_int_equal(cbk_report_count(r), 1);
    assert_int_equal(cbk_validate_op_buffer(spec, "NoSuchOperation", "{}", 2, NULL, r),
                     CBK_E_NOT_FOUND);
    assert_int_equal(cbk_report_count(r), 0);
    assert_int_equal(cbk_report_error_count(r), 0);
    struct json_object *empty = json_object_new_object();
    assert_int_equal(cbk_validate_op_json(spec, "stopbuild", empty, NULL, r), CBK_E_NOT_FOUND);
    json_object_put(empty);

    /* a report is reusable: each validation starts from nothing */
    doc = "{}";
    assert_int_equal(cbk_validate_op_buffer(spec, "StartBuildBatch", doc, 2, NULL, r),
                     CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 1);
    assert_int_equal(cbk_validate_op_buffer(spec, "RetryBuild", doc, 2, NULL, r), CBK_OK);
    assert_int_equal(cbk_report_count(r), 0);
    assert_false(cbk_report_truncated(r));

    /* an empty body may come as (NULL, 0) */
    assert_int_equal(cbk_validate_op_buffer(spec, "StopBuild", NULL, 0, NULL, r), CBK_E_INVALID);
    assert_int_equal(cbk_report_count(r), 1);
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_SYNTAX);
    assert_string_equal(cbk_report_at(r, 0)->message,
                        "unexpected end of input, expected a JSON value");
    assert_int_equal(cbk_report_at(r, 0)->line, 1);
    assert_int_equal(cbk_report_at(r, 0)->column, 1);

    /* validating against a shape directly */
    const struct cbk_shape *src = cbk_spec_shape(spec, "ProjectSource");
    doc = "{\"type\":\"S3\",\"gitCloneDepth\":-1}";
    assert_int_equal(cbk_validate_buffer(spec, src, doc, strlen(doc), NULL, r), CBK_E_INVALID);
    assert_string_equal(cbk_report_at(r, 0)->pointer, "/gitCloneDepth");
    assert_string_equal(cbk_report_at(r, 0)->aws_path, "gitCloneDepth");
    const struct cbk_shape *nes = cbk_spec_shape(spec, "NonEmptyString");
    assert_int_equal(cbk_validate_buffer(spec, nes, "\"\"", 2, NULL, r), CBK_E_INVALID);
    assert_string_equal(cbk_report_at(r, 0)->pointer, "");
    assert_int_equal(cbk_report_at(r, 0)->rule, CBK_RULE_LENGTH);
    assert_null(cbk_report_at(r, 0)->member);

    /* rule names */
    static const char *const names[] = {"syntax", "type",  "required", "unknown", "length",
                                        "range",  "items", "enum",     "pattern"};
    for (int i = 0; i <= CBK_RULE_PATTERN; i++)
        assert_string_equal(cbk_rule_name((enum cbk_rule)i), names[i]);
    assert_string_equal(cbk_rule_name((enum cbk_rule)99), "unknown-rule");
    cbk_report_free(r);
    cbk_report_free(NULL);
}

/* Documents take any JSON value; timestamps with a string timestampFormat take strings only.
 * Both validation paths (text and json-c) agree. */
static void documents_and_timestamp_formats(void **state)
{
    (void)state;
    static const char text[] =
        "cbkit-spec: 1\n"
        "metadata: {apiVersion: \"1\", protocol: json, jsonVersion: \"1.0\", targetPrefix: T}\n"
        "operations:\n  Op: {input: In}\n"
        "shapes:\n"
        "  In:\n    type: structure\n    required: [doc]\n    members:\n"
        "      doc: {shape: Doc}\n      iso: {shape: Iso}\n      http: {shape: Http}\n"
        "      unix: {shape: Unix}\n"
        "  Doc: {type: document}\n"
        "  Iso: {type: timestamp, timestampFormat: iso8601}\n"
        "  Http: {type: timestamp, timestampFormat: rfc822}\n"
        "  Unix: {type: timestamp}\n";
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *s = NULL;
    assert_int_equal(cbk_spec_load_buffer(text, strlen(text), "t.yaml", &s, &d), CBK_OK);
    cbk_diags_release(&d);
    const struct cbk_shape *in = cbk_spec_op(s, "Op")->input;
    struct cbk_report *r = cbk_report_new();
    static const struct {
        const char *doc;
        size_t violations;
        const char *pointer, *message;
    } cases[] = {
        {"{\"doc\": {\"any\": [1, {\"x\": null}], \"k\": \"v\"}}", 0, NULL, NULL},
        {"{\"doc\": [1, 2, [3]]}", 0, NULL, NULL},
        {"{\"doc\": \"text\", \"iso\": \"2026-11-21T18:30:00Z\", \"http\": \"Sat, 21 Nov 2026 "
         "18:30:00 GMT\", \"unix\": 1.5}",
         0, NULL, NULL},
        {"{\"doc\": 12, \"iso\": 1700000000}", 1, "/iso",
         "expected an ISO 8601 time string, found a number"},
        {"{\"doc\": false, \"http\": 1}", 1, "/http",
         "expected an RFC 822 time string, found a number"},
        {"{\"doc\": {}, \"unix\": \"2026-11-21T18:30:00Z\"}", 1, "/unix",
         "expected a number of epoch seconds, found a string"},
        {"{\"doc\": null}", 1, "/doc", "missing required member 'doc'"},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        for (int path = 0; path < 2; path++) {
            struct json_object *j = NULL;
            if (path) {
                j = json_tokener_parse(cases[i].doc);
                assert_non_null(j);
                cbk_validate_json(s, in, j, NULL, r);
                json_object_put(j);
            } else {
                cbk_validate_buffer(s, in, cases[i].doc, strlen(cases[i].doc), NULL, r);
            }
            if (cbk_report_error_count(r) != cases[i].violations)
                print_error("%s (%s): %zu violations\n", cases[i].doc, path ? "json-c" : "text",
                            cbk_report_error_count(r));
            assert_int_equal(cbk_report_error_count(r), cases[i].violations);
            if (cases[i].violations) {
                assert_string_equal(cbk_report_at(r, 0)->pointer, cases[i].pointer);
                assert_string_equal(cbk_report_at(r, 0)->message, cases[i].message);
            }
        }
    }
    cbk_report_free(r);
    cbk_spec_free(s);
}

static void many_reports_one_spec(void **state)
{
    (void)state;
    /* the same document twice in a row, and interleaved reports, give the same findings */
    const char *doc = "{\"projectName\":\"\",\"gitCloneDepthOverride\":-1,\"x\":{}}";
    struct cbk_report *a = cbk_report_new(), *b = cbk_report_new();
    for (int i = 0; i < 3; i++) {
        cbk_validate_op_buffer(spec, "StartBuildBatch", doc, strlen(doc), NULL, a);
        cbk_validate_op_buffer(spec, "StartBuildBatch", "{\"projectName\":\"p\"}", 19, NULL, b);
        assert_int_equal(cbk_report_count(a), 3);
        assert_int_equal(cbk_report_count(b), 0);
        assert_string_equal(cbk_report_at(a, 0)->pointer, "/projectName");
        assert_string_equal(cbk_report_at(a, 1)->pointer, "/gitCloneDepthOverride");
        assert_string_equal(cbk_report_at(a, 2)->pointer, "/x");
    }
    cbk_report_free(a);
    cbk_report_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_requests),
        cmocka_unit_test(corpus_responses),
        cmocka_unit_test(aws_fields),
        cmocka_unit_test(positions_from_text),
        cmocka_unit_test(size_limit),
        cmocka_unit_test(depth_limit_option),
        cmocka_unit_test(max_violations_option),
        cmocka_unit_test(responses_and_reports),
        cmocka_unit_test(many_reports_one_spec),
        cmocka_unit_test(documents_and_timestamp_formats),
    };
    return cmocka_run_group_tests_name("validate", tests, load_spec, free_spec);
}
