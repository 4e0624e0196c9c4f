/*
 * fuzz_validate.c - libFuzzer target: validate arbitrary bytes as JSON documents against the
 * input and output shape of every operation of the bundled CodeBuild spec (loaded once), in
 * request mode, tolerant response mode and strict response mode, with cbk_validate_buffer().
 * When json-c (strict mode) accepts the bytes, the parsed document also goes through
 * cbk_validate_json(), and for plain ASCII documents without escapes the two entry points must
 * agree finding by finding (docs/validation.md: "both ... give the same findings in the same
 * order").
 */
#include "core/setup.h"
#include "fuzz/fuzz_common.h"
#include "cbkit/cbkit.h"
#include "core/jsonscan.h"

#include <json-c/json.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROOTS 16

/* Loaded once and kept for the whole run (reachable, so LeakSanitizer ignores them). */
static struct cbk_spec *spec;
static const struct cbk_shape *roots[MAX_ROOTS];
static size_t nroots;
static struct cbk_report *rep_text, *rep_json;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    CBK_UNUSED(argc);
    CBK_UNUSED(argv);
    spec = fuzz_bundled_spec();
    for (size_t i = 0; i < cbk_spec_op_count(spec) && nroots + 2 <= MAX_ROOTS; i++) {
        const struct cbk_operation *op = cbk_spec_op_at(spec, i);
        roots[nroots++] = op->input;
        roots[nroots++] = op->output;
    }
    rep_text = cbk_report_new();
    rep_json = cbk_report_new();
    return 0;
}

/* Is p an RFC 6901 pointer ("" or "/tok/tok", '~' only as ~0 or ~1)? */
static bool pointer_ok(const char *p)
{
    if (!*p)
        return true;
    if (*p != '/')
        return false;
    for (; *p; p++)
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return false;
    return true;
}

static void check_report(const struct cbk_report *r, enum cbk_code rc,
                         const struct cbk_validate_opts *o, bool from_text)
{
    size_t n = cbk_report_count(r), ne = cbk_report_error_count(r);
    size_t nw = cbk_report_warning_count(r);
    CHECK((rc == CBK_OK) == (ne == 0));
    CHECK(rc == CBK_OK || rc == CBK_E_INVALID);
    size_t maxv = o->max_violations ? o->max_violations : 1000;
    CHECK(n <= maxv + 1); /* + the syntax finding, which is always recorded */
    CHECK(ne + nw >= n);
    if (!cbk_report_truncated(r))
        CHECK(ne + nw == n);
    bool tolerant = o->direction == CBK_RESPONSE && !o->strict;
    size_t e = 0, w = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cbk_violation *v = cbk_report_at(r, i);
        CHECK(v != NULL);
        CHECK(strcmp(cbk_rule_name(v->rule), "unknown-rule") != 0);
        CHECK(v->pointer && pointer_ok(v->pointer));
        CHECK(v->message && v->message[0] && !strchr(v->message, '\n'));
        CHECK(v->expected && v->actual && v->aws_constraint && v->aws_path);
        if (v->severity == CBK_SEV_WARNING) {
            CHECK(tolerant);
            CHECK(v->rule == CBK_RULE_UNKNOWN || v->rule == CBK_RULE_ENUM);
            w++;
        } else {
            CHECK(!tolerant || (v->rule != CBK_RULE_UNKNOWN && v->rule != CBK_RULE_ENUM));
            e++;
        }
        if (v->line > 0)
            CHECK(v->column >= 1);
        if (!from_text)
            CHECK(v->line == 0);
    }
    CHECK(e <= ne && w <= nw);
}

/* Plain printable ASCII without escapes: json-c and the scanner read it identically. */
static bool plain_ascii(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        uint8_t c = data[i];
        if (c == '\\' || c > 0x7e || (c < 0x20 && c != '\n' && c != '\t' && c != '\r'))
            return false;
    }
    return true;
}

/*
 * Does the text hold a negative integer literal of 19 digits or more? json-c saturates those
 * below INT64_MIN to INT64_MIN, so cbk_validate_json() cannot see that they overflow a long
 * (a documented limitation of the json-c entry point): skip the comparison.
 */
static bool has_huge_negative(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        if (data[i] != '-')
            continue;
        size_t k = i + 1;
        while (k < size && data[k] >= '0' && data[k] <= '9')
            k++;
        if (k - i - 1 >= 19)
            return true;
    }
    return false;
}

static int count_keys_cb(void *ctx, const struct cbk_jevent *ev)
{
    if (ev->type == CBK_JEV_KEY)
        ++*(size_t *)ctx;
    return 0;
}

static size_t json_c_keys(struct json_object *o)
{
    size_t n = 0;
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, key, val)
        {
            CBK_UNUSED(key);
            n += 1 + json_c_keys(val);
        }
    } else if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            n += json_c_keys(json_object_array_get_idx(o, i));
    }
    return n;
}

/* Does some object repeat a key? json-c keeps one of them, the text has both. */
static bool has_duplicate_keys(const uint8_t *data, size_t size, struct json_object *doc)
{
    static struct cbk_buf scratch = CBK_BUF_INIT((size_t)64 << 20);
    struct cbk_json_error err;
    size_t text_keys = 0;
    if (cbk_json_scan((const char *)data, size, 1024, &scratch, count_keys_cb, &text_keys, &err) !=
        0)
        return true; /* not comparable anyway */
    return text_keys != json_c_keys(doc);
}

static bool has_syntax_finding(const struct cbk_report *r)
{
    for (size_t i = 0; i < cbk_report_count(r); i++)
        if (cbk_report_at(r, i)->rule == CBK_RULE_SYNTAX)
            return true;
    return false;
}

/* The two entry points must report the same rules at the same pointers, in the same order. */
static void compare(const struct cbk_report *a, const struct cbk_report *b)
{
    if (cbk_report_count(a) != cbk_report_count(b) ||
        cbk_report_error_count(a) != cbk_report_error_count(b) ||
        cbk_report_warning_count(a) != cbk_report_warning_count(b))
        goto differ;
    for (size_t i = 0; i < cbk_report_count(a); i++) {
        const struct cbk_violation *x = cbk_report_at(a, i), *y = cbk_report_at(b, i);
        if (x->rule != y->rule || x->severity != y->severity || strcmp(x->pointer, y->pointer))
            goto differ;
    }
    return;
differ:
    fprintf(stderr, "fuzz_validate: cbk_validate_buffer and cbk_validate_json disagree\n");
    for (int k = 0; k < 2; k++) {
        const struct cbk_report *r = k ? b : a;
        fprintf(stderr, "  %s: %zu findings, %zu errors, %zu warnings\n", k ? "json" : "text",
                cbk_report_count(r), cbk_report_error_count(r), cbk_report_warning_count(r));
        for (size_t i = 0; i < cbk_report_count(r); i++) {
            const struct cbk_violation *v = cbk_report_at(r, i);
            fprintf(stderr, "    %s %s '%s': %s\n", cbk_rule_name(v->rule),
                    v->severity == CBK_SEV_ERROR ? "error" : "warning", v->pointer, v->message);
        }
    }
    abort();
}

/*
 * Parse with json-c in strict mode: true when the whole input is one JSON document (*doc is
 * then the document; NULL for a literal null, which json-c represents as NULL).
 */
static bool parse_json_c(const uint8_t *data, size_t size, struct json_object **doc_out)
{
    *doc_out = NULL;
    if (size > INT_MAX)
        return false;
    struct json_tokener *tok = json_tokener_new_ex(128);
    if (!tok)
        return false;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    struct json_object *doc = json_tokener_parse_ex(tok, (const char *)data, (int)size);
    enum json_tokener_error err = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (err != json_tokener_success) {
        json_object_put(doc);
        return false;
    }
    for (size_t i = end; i < size; i++) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r') {
            json_object_put(doc);
            return false;
        }
    }
    *doc_out = doc;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct json_object *doc = NULL;
    bool have_doc = parse_json_c(data, size, &doc);
    bool comparable = have_doc && plain_ascii(data, size) && !has_huge_negative(data, size) &&
                      !has_duplicate_keys(data, size, doc);
    static const struct {
        enum cbk_direction dir;
        bool strict;
    } modes[] = {{CBK_REQUEST, false}, {CBK_RESPONSE, false}, {CBK_RESPONSE, true}};
    for (size_t i = 0; i < nroots; i++) {
        for (size_t m = 0; m < CBK_ARRAY_SIZE(modes); m++) {
            struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
            o.direction = modes[m].dir;
            o.strict = modes[m].strict;
            enum cbk_code rc = cbk_validate_buffer(spec, roots[i], buf, size, &o, rep_text);
            check_report(rep_text, rc, &o, true);
            if (!have_doc)
                continue;
            rc = cbk_validate_json(spec, roots[i], doc, &o, rep_json);
            check_report(rep_json, rc, &o, false);
            if (comparable && !has_syntax_finding(rep_text))
                compare(rep_text, rep_json);
        }
    }
    /* tight limits: truncated listings and the depth limit */
    struct cbk_validate_opts o = CBK_VALIDATE_OPTS_INIT;
    o.max_violations = 2;
    o.max_depth = 4;
    o.max_size = 512;
    for (size_t i = 0; i < nroots; i++) {
        enum cbk_code rc = cbk_validate_buffer(spec, roots[i], buf, size, &o, rep_text);
        check_report(rep_text, rc, &o, true);
        if (have_doc) {
            rc = cbk_validate_json(spec, roots[i], doc, &o, rep_json);
            check_report(rep_json, rc, &o, false);
        }
    }
    json_object_put(doc);
    return 0;
}
