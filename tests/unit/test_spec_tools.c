/*
 * test_spec_tools.c - `cbkit spec import` and `cbkit spec diff` as library calls
 * (cbkit/spec_tools.h):
 *
 *  - import: every shape kind (structure, list, map, string, integer, long, boolean, timestamp,
 *    double, float, blob, document) and every trait (required, min/max on each kind, enum,
 *    pattern and the Java fix-up, sensitive, deprecated, errors with their HTTP status, fault,
 *    code, timestampFormat (each format; an unknown one is a located error), union,
 *    idempotencyToken -> volatile, locationName, an operation without input), documentation
 *    as plain text (none, summary, full), paginators and their default page size; the
 *    result always compiles and says what the model says;
 *  - YAML quoting: strings that YAML would read as something else (booleans, numbers, dates,
 *    indicators, line separators...) come back as the same strings, as enum values, member
 *    names and documentation;
 *  - overlays: replace, delete, add, citations kept, an enum that drops values warns, errors
 *    located in the overlay (merge-time and load-time);
 *  - located errors for malformed models; the size limit;
 *  - diff: every classification (breaking, answer risk, compatible) of every kind of change,
 *    a shape reachable from both an input and an output, a renamed input, identical specs.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cbkit/cbkit.h"
#include "core/buf.h"
#include "core/yaml.h"
#include "core/yaml_json.h"
#include "spec/spec_import_internal.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static void print_diags(const struct cbk_diags *d)
{
    for (size_t i = 0; i < d->nr; i++)
        print_error("  [%s] %s:%d:%d: %s: %s\n", d->v[i].severity ? "warning" : "error",
                    d->v[i].file, d->v[i].line, d->v[i].column, d->v[i].path, d->v[i].message);
}

/* Import 'model' (with options) and compile the result; both must work. Caller frees both. */
static struct cbk_spec *import_ok(const char *model, const struct cbk_import_opts *o,
                                  char **yaml_out, struct cbk_diags *d)
{
    struct cbk_import_input in = {model, strlen(model), "model.json"};
    char *yaml = NULL;
    size_t len = 0;
    enum cbk_code rc = cbk_spec_import(&in, o, &yaml, &len, d);
    if (rc != CBK_OK)
        print_diags(d);
    assert_int_equal(rc, CBK_OK);
    assert_non_null(yaml);
    assert_int_equal(strlen(yaml), len);
    struct cbk_diags ld = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    rc = cbk_spec_load_buffer(yaml, len, "imported.yaml", &spec, &ld);
    if (rc != CBK_OK) {
        print_diags(&ld);
        print_error("%s\n", yaml);
    }
    assert_int_equal(rc, CBK_OK);
    cbk_diags_release(&ld);
    if (yaml_out)
        *yaml_out = yaml;
    else
        free(yaml);
    return spec;
}

/* Import 'model' expecting failure 'code' and a diagnostic with this path and message. */
static void import_fails(const char *model, const struct cbk_import_opts *o, enum cbk_code code,
                         const char *file, int line, int col, const char *path, const char *msg)
{
    struct cbk_import_input in = {model, strlen(model), "model.json"};
    char *yaml = NULL;
    size_t len = 0;
    struct cbk_diags d = CBK_DIAGS_INIT;
    enum cbk_code rc = cbk_spec_import(&in, o, &yaml, &len, &d);
    assert_int_equal(rc, code);
    assert_null(yaml);
    assert_int_equal(len, 0);
    bool found = false;
    for (size_t i = 0; i < d.nr; i++) {
        const struct cbk_diag *g = &d.v[i];
        if (g->severity == CBK_SEV_ERROR && strcmp(g->file, file) == 0 && g->line == line &&
            g->column == col && strcmp(g->path, path) == 0 && strcmp(g->message, msg) == 0)
            found = true;
    }
    if (!found) {
        print_error("missing: %s:%d:%d: %s: %s\n", file, line, col, path, msg);
        print_diags(&d);
    }
    assert_true(found);
    cbk_diags_release(&d);
}

#define MODEL_HEAD                                                                                 \
    "{\"metadata\": {\"apiVersion\": \"1\", \"protocol\": \"json\", \"jsonVersion\": \"1.1\", "    \
    "\"targetPrefix\": \"T\"},\n"

/* ---- import: kinds and traits ---------------------------------------------------------------- */

static const char kinds_model[] = MODEL_HEAD
    "\"operations\": {\n"
    "  \"Op\": {\"input\": {\"shape\": \"In\"}, \"output\": {\"shape\": \"Out\"},\n"
    "         \"errors\": [{\"shape\": \"E400\"}, {\"shape\": \"E500\"}, {\"shape\": \"E404\"}],\n"
    "         \"deprecated\": true, \"documentation\": \"<p>Does it.</p>\"},\n"
    "  \"NoInput\": {}\n"
    "},\n"
    "\"shapes\": {\n"
    "  \"In\": {\"type\": \"structure\", \"required\": [\"s\", \"s\", \"Named\"], \"members\": {\n"
    "    \"s\": {\"shape\": \"S\"}, \"l\": {\"shape\": \"L\"}, \"m\": {\"shape\": \"M\"},\n"
    "    \"i\": {\"shape\": \"I\"}, \"g\": {\"shape\": \"G\"}, \"b\": {\"shape\": \"B\"},\n"
    "    \"t\": {\"shape\": \"T\"}, \"t2\": {\"shape\": \"T2\"}, \"d\": {\"shape\": \"D\"},\n"
    "    \"f\": {\"shape\": \"F\"}, \"bl\": {\"shape\": \"BL\"}, \"doc\": {\"shape\": \"DOC\"},\n"
    "    \"tok\": {\"shape\": \"S\", \"idempotencyToken\": true},\n"
    "    \"old\": {\"shape\": \"S\", \"deprecated\": true},\n"
    "    \"Named\": {\"shape\": \"S\", \"locationName\": \"wireName\"},\n"
    "    \"pw\": {\"shape\": \"PW\"}, \"e\": {\"shape\": \"EN\"}, \"u\": {\"shape\": \"U\"}}},\n"
    "  \"Out\": {\"type\": \"structure\", \"members\": {}},\n"
    "  \"S\": {\"type\": \"string\", \"min\": 1, \"max\": 10, \"pattern\": "
    "\"^[a-z][\\\\w-_]*$\"},\n"
    "  \"L\": {\"type\": \"list\", \"member\": {\"shape\": \"S\"}, \"min\": 0, \"max\": 12},\n"
    "  \"M\": {\"type\": \"map\", \"key\": {\"shape\": \"S\"}, \"value\": {\"shape\": \"I\"}, "
    "\"max\": 3},\n"
    "  \"I\": {\"type\": \"integer\", \"min\": 5, \"max\": 2160},\n"
    "  \"G\": {\"type\": \"long\", \"min\": -9007199254740993, \"max\": 9223372036854775807},\n"
    "  \"B\": {\"type\": \"boolean\"},\n"
    "  \"T\": {\"type\": \"timestamp\"},\n"
    "  \"T2\": {\"type\": \"timestamp\", \"timestampFormat\": \"iso8601\"},\n"
    "  \"D\": {\"type\": \"double\", \"min\": 0.25, \"max\": 1e300},\n"
    "  \"F\": {\"type\": \"float\", \"min\": -1, \"max\": 1},\n"
    "  \"BL\": {\"type\": \"blob\", \"min\": 1, \"max\": 4096},\n"
    "  \"DOC\": {\"type\": \"structure\", \"document\": true, \"members\": {}},\n"
    "  \"PW\": {\"type\": \"string\", \"sensitive\": true, \"deprecated\": true},\n"
    "  \"EN\": {\"type\": \"string\", \"enum\": [\"A\", \"B\"]},\n"
    "  \"U\": {\"type\": \"structure\", \"union\": true, \"members\": {\"x\": {\"shape\": \"S\"}, "
    "\"y\": {\"shape\": \"I\"}}},\n"
    "  \"E400\": {\"type\": \"structure\", \"exception\": true, \"members\": {}},\n"
    "  \"E500\": {\"type\": \"structure\", \"exception\": true, \"fault\": true, \"members\": "
    "{}},\n"
    "  \"E404\": {\"type\": \"structure\", \"exception\": true, \"error\": {\"code\": \"Gone\", "
    "\"httpStatusCode\": 404, \"senderFault\": true}, \"members\": {}}\n"
    "}}\n";

static const struct cbk_shape *shape(const struct cbk_spec *spec, const char *name)
{
    const struct cbk_shape *sh = cbk_spec_shape(spec, name);
    if (!sh)
        print_error("no shape %s\n", name);
    assert_non_null(sh);
    return sh;
}

static const struct cbk_member *member(const struct cbk_shape *sh, const char *name)
{
    const struct cbk_member *m = cbk_shape_member(sh, name, strlen(name));
    if (!m)
        print_error("no member %s.%s\n", sh->name, name);
    assert_non_null(m);
    return m;
}

static void import_kinds(void **state)
{
    (void)state;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.docs = CBK_DOCS_NONE;
    struct cbk_spec *spec = import_ok(kinds_model, &o, NULL, &d);
    assert_int_equal(d.nr, 0); /* nothing dropped, nothing to warn about */
    static const struct {
        const char *name;
        enum cbk_type type;
    } kinds[] = {{"In", CBK_TYPE_STRUCTURE}, {"L", CBK_TYPE_LIST},      {"M", CBK_TYPE_MAP},
                 {"S", CBK_TYPE_STRING},     {"I", CBK_TYPE_INTEGER},   {"G", CBK_TYPE_LONG},
                 {"B", CBK_TYPE_BOOLEAN},    {"T", CBK_TYPE_TIMESTAMP}, {"D", CBK_TYPE_DOUBLE},
                 {"F", CBK_TYPE_FLOAT},      {"BL", CBK_TYPE_BLOB},     {"DOC", CBK_TYPE_DOCUMENT}};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(kinds); i++)
        assert_int_equal(shape(spec, kinds[i].name)->type, kinds[i].type);
    assert_int_equal(cbk_spec_op_count(spec), 2);
    cbk_spec_free(spec);
    cbk_diags_release(&d);
}

static void import_traits(void **state)
{
    (void)state;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.docs = CBK_DOCS_NONE;
    struct cbk_spec *spec = import_ok(kinds_model, &o, NULL, &d);
    const struct cbk_shape *in = shape(spec, "In");
    /* required: duplicates dropped, model names mapped to wire names */
    assert_int_equal(in->required_count, 2);
    assert_true(member(in, "s")->required);
    assert_true(member(in, "wireName")->required);
    assert_null(cbk_shape_member(in, "Named", 5));
    /* min/max on each kind */
    const struct cbk_shape *s = shape(spec, "S");
    assert_true(s->c.has_min && s->c.min == 1 && s->c.has_max && s->c.max == 10);
    assert_true(shape(spec, "L")->c.has_min && shape(spec, "L")->c.max == 12);
    assert_int_equal(shape(spec, "M")->c.max, 3);
    assert_int_equal(shape(spec, "I")->c.min, 5);
    assert_int_equal(shape(spec, "I")->c.max, 2160);
    assert_true(shape(spec, "G")->c.min == -9007199254740993LL);
    assert_true(shape(spec, "G")->c.max == INT64_MAX);
    assert_true(shape(spec, "D")->c.dmin == 0.25 && shape(spec, "D")->c.dmax == 1e300);
    assert_true(shape(spec, "F")->c.dmin == -1 && shape(spec, "F")->c.dmax == 1);
    assert_int_equal(shape(spec, "BL")->c.max, 4096);
    /* pattern: Java's [\w-_] becomes [\w\-_] for PCRE2 */
    assert_string_equal(s->c.pattern, "^[a-z][\\w\\-_]*$");
    /* enum */
    const struct cbk_shape *en = shape(spec, "EN");
    assert_int_equal(en->c.enum_count, 2);
    assert_string_equal(en->c.enum_values[1], "B");
    /* sensitive and deprecated: shapes, members (sensitive reaches the member), operations */
    assert_true(shape(spec, "PW")->sensitive && shape(spec, "PW")->deprecated);
    assert_true(member(in, "pw")->sensitive);
    assert_true(member(in, "old")->deprecated);
    assert_true(cbk_spec_op(spec, "Op")->deprecated);
    /* idempotency tokens are volatile */
    assert_true(member(in, "tok")->is_volatile);
    assert_false(member(in, "s")->is_volatile);
    /* timestamps, unions */
    assert_int_equal(shape(spec, "T")->ts_format, CBK_TS_EPOCH_SECONDS);
    assert_int_equal(shape(spec, "T2")->ts_format, CBK_TS_ISO8601);
    assert_true(shape(spec, "U")->is_union);
    assert_false(in->is_union);
    /* errors: 400 sender by default, fault -> 500 server, explicit status and code */
    const struct cbk_operation *op = cbk_spec_op(spec, "Op");
    assert_int_equal(op->error_count, 3);
    assert_int_equal(shape(spec, "E400")->http_status, 400);
    assert_true(shape(spec, "E400")->sender_fault);
    assert_string_equal(shape(spec, "E400")->error_code, "E400");
    assert_int_equal(shape(spec, "E500")->http_status, 500);
    assert_false(shape(spec, "E500")->sender_fault);
    assert_int_equal(shape(spec, "E404")->http_status, 404);
    assert_string_equal(shape(spec, "E404")->error_code, "Gone");
    /* an operation without input gets an empty structure; without output, the empty one */
    const struct cbk_operation *ni = cbk_spec_op(spec, "NoInput");
    assert_string_equal(ni->input->name, "NoInputInput");
    assert_int_equal(ni->input->member_count, 0);
    assert_int_equal(ni->output->member_count, 0);
    /* every constrained shape cites the model, which is a declared source */
    assert_string_equal(cbk_spec_source_at(spec, 0)->id, "model");
    assert_string_equal(cbk_spec_source_at(spec, 0)->file, "model.json");
    assert_string_equal(s->sources[0], "model");
    assert_null(shape(spec, "B")->sources[0]);
    /* no documentation with CBK_DOCS_NONE */
    assert_null(op->documentation);
    cbk_spec_free(spec);
    cbk_diags_release(&d);

    /* --source-id */
    o.source_id = "model-9";
    spec = import_ok(kinds_model, &o, NULL, &d);
    assert_string_equal(shape(spec, "S")->sources[0], "model-9");
    cbk_spec_free(spec);
    cbk_diags_release(&d);
}

/* Each timestampFormat of the models: unixTimestamp (also the default), iso8601, rfc822; an
 * unknown one is a located error. */
static void import_timestamp_formats(void **state)
{
    (void)state;
    static const char model[] = MODEL_HEAD
        "\"operations\": {\"Op\": {\"input\": {\"shape\": \"In\"}}},\n"
        "\"shapes\": {\n"
        "  \"In\": {\"type\": \"structure\", \"members\": {\"a\": {\"shape\": \"TU\"}, "
        "\"b\": {\"shape\": \"TI\"}, \"c\": {\"shape\": \"TR\"}, \"d\": {\"shape\": \"TD\"}}},\n"
        "  \"TU\": {\"type\": \"timestamp\", \"timestampFormat\": \"unixTimestamp\"},\n"
        "  \"TI\": {\"type\": \"timestamp\", \"timestampFormat\": \"iso8601\"},\n"
        "  \"TR\": {\"type\": \"timestamp\", \"timestampFormat\": \"rfc822\"},\n"
        "  \"TD\": {\"type\": \"timestamp\"}\n"
        "}}\n";
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.docs = CBK_DOCS_NONE;
    struct cbk_spec *spec = import_ok(model, &o, NULL, &d);
    assert_int_equal(d.nr, 0);
    assert_int_equal(shape(spec, "TU")->ts_format, CBK_TS_EPOCH_SECONDS);
    assert_int_equal(shape(spec, "TI")->ts_format, CBK_TS_ISO8601);
    assert_int_equal(shape(spec, "TR")->ts_format, CBK_TS_RFC822);
    assert_int_equal(shape(spec, "TD")->ts_format, CBK_TS_EPOCH_SECONDS);
    cbk_spec_free(spec);
    cbk_diags_release(&d);
    import_fails(MODEL_HEAD "\"operations\": {},\n\"shapes\": {\"T\": {\"type\": \"timestamp\", "
                            "\"timestampFormat\": \"epoch\"}}}",
                 NULL, CBK_E_SPEC, "model.json", 3, 58, "/shapes/T/timestampFormat",
                 "unknown timestampFormat 'epoch' (expected unixTimestamp, iso8601 or rfc822)");
}

/* ---- documentation ------------------------------------------------------------------------- */

static void docs_text(const char *html, enum cbk_docs mode, const char *want)
{
    struct cbk_buf b = CBK_BUF_INIT(1 << 20);
    cbk__html_to_text(html, strlen(html), mode, &b);
    if (strcmp(cbk_buf_str(&b), want) != 0)
        print_error("html %s\n  want \"%s\"\n  got  \"%s\"\n", html, want, cbk_buf_str(&b));
    assert_string_equal(cbk_buf_str(&b), want);
    cbk_buf_release(&b);
}

static void import_docs(void **state)
{
    (void)state;
    const char *html = "<fullname>AWS Demo</fullname> <p>Starts a <code>build</code> &amp; "
                       "waits (e.g. for 5 min). It is\n  idempotent.</p>"
                       "<ul><li><p>one &lt;x&gt;</p></li><li>two&#x21;</li></ul><p>End.</p>";
    docs_text(html, CBK_DOCS_NONE, "");
    docs_text(html, CBK_DOCS_SUMMARY, "Starts a build & waits (e.g. for 5 min).");
    docs_text(html, CBK_DOCS_FULL,
              "Starts a build & waits (e.g. for 5 min). It is idempotent."
              "\n\n- one <x>\n- two!\n\nEnd.");
    /* entities: numeric, unknown, controls and surrogates become spaces */
    docs_text("<p>a&#233;b &#8211; &foo; &#1; x&#xD800;y</p>", CBK_DOCS_FULL,
              "a\xc3\xa9"
              "b \xe2\x80\x93 &foo; x y");
    docs_text("<p>A sentence. another one</p>", CBK_DOCS_SUMMARY, "A sentence. another one");
    docs_text("<p>Version 1.2 is out. Then</p>", CBK_DOCS_SUMMARY, "Version 1.2 is out.");
    docs_text("<p>What? Yes.</p>", CBK_DOCS_SUMMARY, "What?");
    docs_text("a < b and <p", CBK_DOCS_FULL, "a < b and <p");
    docs_text("   ", CBK_DOCS_FULL, "");
    docs_text("<ul><li>only item. More</li></ul>", CBK_DOCS_SUMMARY, "only item.");

    /* in the spec: summary by default */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = import_ok(kinds_model, NULL, NULL, &d);
    assert_string_equal(cbk_spec_op(spec, "Op")->documentation, "Does it.");
    cbk_spec_free(spec);
    cbk_diags_release(&d);
}

/* ---- YAML quoting -----------------------------------------------------------------------------
 */

static const char *const tricky[] = {"true",
                                     "False",
                                     "yes",
                                     "No",
                                     "on",
                                     "OFF",
                                     "y",
                                     "n",
                                     "null",
                                     "~",
                                     "Null",
                                     "1",
                                     "-1",
                                     "+1",
                                     "1.5",
                                     "1e3",
                                     "0x1F",
                                     "0o17",
                                     "1_000",
                                     "1:20",
                                     ".inf",
                                     "-.inf",
                                     ".NaN",
                                     "2016-10-06",
                                     "12:30",
                                     "-",
                                     "- a",
                                     "a: b",
                                     "a:b",
                                     "a:",
                                     ":a",
                                     "#x",
                                     "a #b",
                                     "a#b",
                                     " lead",
                                     "trail ",
                                     "[x]",
                                     "{a}",
                                     "a,b",
                                     "a]b",
                                     "'q'",
                                     "\"q\"",
                                     "it's",
                                     "back\\slash",
                                     "%x",
                                     "@x",
                                     "`x",
                                     "!tag",
                                     "&anchor",
                                     "*alias",
                                     "|",
                                     ">",
                                     "?",
                                     "? x",
                                     "=",
                                     "<<",
                                     "---",
                                     "...",
                                     "line\nbreak",
                                     "tab\there",
                                     "\x01\x7f",
                                     "caf\xc3\xa9",
                                     "a\xe2\x80\xa8"
                                     "b",
                                     "\xc2\x85",
                                     "\xef\xbb\xbf"
                                     "bom",
                                     "\xe6\x97\xa5\xe6\x9c\xac",
                                     "plain words",
                                     "ends with colon:",
                                     "x{",
                                     "\\n",
                                     "a\"b'c",
                                     "0",
                                     "00",
                                     "1.",
                                     ".5",
                                     "e5",
                                     "Yes please"};

/* cbk__yaml_scalar output, read back by the YAML layer, is the same string. */
static void yaml_scalars_read_back(void **state)
{
    (void)state;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(tricky); i++) {
        struct cbk_buf b = CBK_BUF_INIT(1 << 16);
        cbk_buf_adds(&b, "k: [");
        cbk__yaml_scalar(&b, tricky[i], strlen(tricky[i]));
        cbk_buf_adds(&b, "]\n");
        struct cbk_diags d = CBK_DIAGS_INIT;
        struct cbk_ydoc *doc = NULL;
        enum cbk_code rc = cbk_yaml_parse(b.ptr, b.len, "t.yaml", 8, CBK_E_SPEC_PARSE, &doc, &d);
        if (rc != CBK_OK) {
            print_error("%s does not parse:\n", b.ptr);
            print_diags(&d);
        }
        assert_int_equal(rc, CBK_OK);
        struct json_object *j = cbk_yaml_to_json(cbk_y_get(doc->root, "k")->items[0]);
        if (!json_object_is_type(j, json_type_string) ||
            strcmp(json_object_get_string(j), tricky[i]) != 0)
            print_error("%s reads back as %s\n", b.ptr, json_object_to_json_string(j));
        assert_true(json_object_is_type(j, json_type_string));
        assert_string_equal(json_object_get_string(j), tricky[i]);
        json_object_put(j);
        cbk_ydoc_free(doc);
        cbk_diags_release(&d);
        cbk_buf_release(&b);
    }
}

/* The same strings as enum values, member names and documentation of an imported model. */
static void import_tricky_strings(void **state)
{
    (void)state;
    struct cbk_buf m = CBK_BUF_INIT(1 << 20);
    cbk_buf_adds(&m, MODEL_HEAD "\"operations\": {\"Op\": {\"input\": {\"shape\": \"In\"}}},\n"
                                "\"shapes\": {\"E\": {\"type\": \"string\", \"enum\": [");
    for (size_t i = 0; i < CBK_ARRAY_SIZE(tricky); i++) {
        if (i)
            cbk_buf_adds(&m, ", ");
        cbk_buf_add_json_str(&m, tricky[i], strlen(tricky[i]));
    }
    cbk_buf_adds(&m, "]},\n\"In\": {\"type\": \"structure\", \"members\": {");
    for (size_t i = 0; i < CBK_ARRAY_SIZE(tricky); i++) {
        if (i)
            cbk_buf_adds(&m, ", ");
        cbk_buf_add_json_str(&m, tricky[i], strlen(tricky[i]));
        cbk_buf_adds(&m, ": {\"shape\": \"E\", \"documentation\": ");
        struct cbk_buf doc = CBK_BUF_INIT(1 << 16);
        cbk_buf_addf(&doc, "<p>%s</p>", tricky[i]);
        cbk_buf_add_json_str(&m, doc.ptr, doc.len);
        cbk_buf_release(&doc);
        cbk_buf_adds(&m, "}");
    }
    cbk_buf_adds(&m, "}}}}\n");
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.docs = CBK_DOCS_FULL;
    struct cbk_spec *spec = import_ok(m.ptr, &o, NULL, &d);
    const struct cbk_shape *e = shape(spec, "E"), *in = shape(spec, "In");
    assert_int_equal(e->c.enum_count, CBK_ARRAY_SIZE(tricky));
    assert_int_equal(in->member_count, CBK_ARRAY_SIZE(tricky));
    for (size_t i = 0; i < CBK_ARRAY_SIZE(tricky); i++) {
        assert_string_equal(e->c.enum_values[i], tricky[i]);
        assert_string_equal(in->members[i].name, tricky[i]);
        assert_non_null(cbk_shape_member(in, tricky[i], strlen(tricky[i])));
    }
    /* documentation: as text (white space collapsed, control characters dropped) */
    assert_string_equal(member(in, "a: b")->documentation, "a: b");
    assert_string_equal(member(in, "line\nbreak")->documentation, "line break");
    assert_string_equal(member(in, "a\xe2\x80\xa8"
                                   "b")
                            ->documentation,
                        "a\xe2\x80\xa8"
                        "b");
    cbk_spec_free(spec);
    cbk_diags_release(&d);
    cbk_buf_release(&m);
}

/* ---- paginators --------------------------------------------------------------------------------
 */

static const char pag_model[] = MODEL_HEAD
    "\"operations\": {\n"
    "  \"A\": {\"input\": {\"shape\": \"AIn\"}, \"output\": {\"shape\": \"AOut\"}},\n"
    "  \"B\": {\"input\": {\"shape\": \"BIn\"}, \"output\": {\"shape\": \"AOut\"}},\n"
    "  \"C\": {\"input\": {\"shape\": \"CIn\"}, \"output\": {\"shape\": \"AOut\"}}},\n"
    "\"shapes\": {\n"
    "  \"AIn\": {\"type\": \"structure\", \"members\": {\"next\": {\"shape\": \"S\"}}},\n"
    "  \"BIn\": {\"type\": \"structure\", \"members\": {\"next\": {\"shape\": \"S\"}, "
    "\"limit\": {\"shape\": \"Small\"}}},\n"
    "  \"CIn\": {\"type\": \"structure\", \"members\": {\"next\": {\"shape\": \"S\"}, "
    "\"limit\": {\"shape\": \"Big\"}}},\n"
    "  \"AOut\": {\"type\": \"structure\", \"members\": {\"items\": {\"shape\": \"L\"}, "
    "\"more\": {\"shape\": \"L\"}, \"next\": {\"shape\": \"S\"}}},\n"
    "  \"S\": {\"type\": \"string\"},\n"
    "  \"L\": {\"type\": \"list\", \"member\": {\"shape\": \"S\"}},\n"
    "  \"Small\": {\"type\": \"integer\", \"min\": 1, \"max\": 50},\n"
    "  \"Big\": {\"type\": \"integer\", \"min\": 200}\n"
    "}}\n";

static void import_paginators(void **state)
{
    (void)state;
    static const char pag[] =
        "{\"pagination\": {\n"
        "  \"A\": {\"input_token\": \"next\", \"output_token\": [\"next\"], \"result_key\": "
        "[\"items\", \"more\"]},\n"
        "  \"B\": {\"input_token\": \"next\", \"output_token\": \"next\", \"limit_key\": "
        "\"limit\", \"result_key\": \"items\", \"more_results\": \"x\"},\n"
        "  \"C\": {\"input_token\": \"next\", \"output_token\": \"next\", \"limit_key\": "
        "\"limit\", \"result_key\": \"items\"}\n"
        "}}\n";
    struct cbk_import_input p = {pag, strlen(pag), "paginators.json"};
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.paginators = &p;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = import_ok(pag_model, &o, NULL, &d);
    assert_int_equal(d.nr, 0);
    const struct cbk_paginator *a = cbk_spec_op(spec, "A")->paginator;
    assert_non_null(a);
    assert_string_equal(a->input_token->name, "next");
    assert_ptr_equal(a->input_token, member(cbk_spec_op(spec, "A")->input, "next"));
    assert_ptr_equal(a->output_token, member(cbk_spec_op(spec, "A")->output, "next"));
    assert_null(a->limit_key);
    assert_int_equal(a->result_key_count, 2);
    assert_string_equal(a->result_keys[1]->name, "more");
    assert_int_equal(a->page_size, 100); /* no limit member: 100 */
    const struct cbk_paginator *b = cbk_spec_op(spec, "B")->paginator;
    assert_string_equal(b->limit_key->name, "limit");
    assert_int_equal(b->page_size, 50);                                  /* the limit's max */
    assert_int_equal(cbk_spec_op(spec, "C")->paginator->page_size, 200); /* the limit's min */
    cbk_spec_free(spec);
    cbk_diags_release(&d);

    /* an overlay sets the page size; one outside the limit's range is an error */
    static const char ov[] = "paginators:\n  B: {pageSize: 20}\n";
    struct cbk_import_input oi = {ov, strlen(ov), "ov.yaml"};
    o.overlays = &oi;
    o.overlay_count = 1;
    spec = import_ok(pag_model, &o, NULL, &d);
    assert_int_equal(cbk_spec_op(spec, "B")->paginator->page_size, 20);
    cbk_spec_free(spec);
    cbk_diags_release(&d);
    static const char ov2[] = "paginators:\n  B: {pageSize: 51}\n";
    struct cbk_import_input oi2 = {ov2, strlen(ov2), "ov.yaml"};
    o.overlays = &oi2;
    import_fails(pag_model, &o, CBK_E_SPEC, "ov.yaml", 2, 17, "paginators.B.pageSize",
                 "pageSize 51 is outside the range of limit member 'limit' (1..50)");
}

/* ---- overlays ----------------------------------------------------------------------------------
 */

static void import_overlays(void **state)
{
    (void)state;
    static const char ov[] = "documentation: Our spec.\n"
                             "sources:\n"
                             "  page: {title: A page}\n"
                             "  model: {title: Renamed, file: m.json}\n"
                             "operations:\n"
                             "  NoInput: null\n"
                             "  Extra: {input: In, source: \"page: says so\"}\n"
                             "shapes:\n"
                             "  I:\n"
                             "    max: 480\n"
                             "    source: [\"page: 5..480\", model]\n"
                             "  EN:\n"
                             "    enum: [A, C]\n"
                             "  In:\n"
                             "    required: [s]\n"
                             "    members:\n"
                             "      old: null\n"
                             "      i: {max: 60, source: \"page: an hour\"}\n"
                             "      tok: {volatile: false}\n"
                             "      added: {shape: New}\n"
                             "  New: {type: string, min: 3}\n"
                             "  B: null\n"
                             "  In2: {type: structure}\n";
    static const char ov_again[] = "shapes:\n  New: {min: 4}\n  B: {type: boolean}\n"
                                   "  In:\n    members:\n      b: {shape: B}\n";
    struct cbk_import_input ovs[2] = {{ov, strlen(ov), "ov.yaml"},
                                      {ov_again, strlen(ov_again), "ov2.yaml"}};
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.overlays = ovs;
    o.overlay_count = 2;
    struct cbk_diags d = CBK_DIAGS_INIT;
    char *yaml = NULL;
    struct cbk_spec *spec = import_ok(kinds_model, &o, &yaml, &d);
    /* a warning: the overlay's enum leaves out B */
    assert_int_equal(d.nr, 1);
    assert_int_equal(d.v[0].severity, CBK_SEV_WARNING);
    assert_string_equal(d.v[0].file, "ov.yaml");
    assert_int_equal(d.v[0].line, 13);
    assert_string_equal(d.v[0].message,
                        "the overlay's enum leaves out 1 value of the import: \"B\"");
    /* replaced, deleted, added; citations as written */
    const struct cbk_shape *in = shape(spec, "In");
    assert_int_equal(shape(spec, "I")->c.max, 480);
    assert_string_equal(shape(spec, "I")->sources[0], "page: 5..480");
    assert_string_equal(shape(spec, "I")->sources[1], "model");
    assert_int_equal(shape(spec, "EN")->c.enum_count, 2);
    assert_string_equal(shape(spec, "EN")->c.enum_values[1], "C");
    assert_int_equal(in->required_count, 1);
    assert_null(cbk_shape_member(in, "old", 3));
    assert_true(member(in, "i")->refined);
    assert_int_equal(member(in, "i")->c.max, 60);
    assert_int_equal(member(in, "i")->c.min, 5); /* the target's, kept */
    assert_false(member(in, "tok")->is_volatile);
    assert_int_equal(member(in, "added")->c.min, 4); /* the second overlay wins */
    assert_string_equal(in->members[in->member_count - 1].name, "added"); /* appended */
    assert_int_equal(member(in, "b")->shape->type, CBK_TYPE_BOOLEAN);     /* deleted, added again */
    assert_null(cbk_spec_op(spec, "NoInput"));
    assert_non_null(cbk_spec_op(spec, "Extra"));
    assert_string_equal(cbk_spec_source_at(spec, 0)->title, "Renamed");
    assert_string_equal(cbk_spec_source_at(spec, 1)->id, "page");
    /* the header names every input */
    assert_non_null(strstr(yaml, "# overlays: ov.yaml, ov2.yaml\n"));
    free(yaml);
    cbk_spec_free(spec);
    cbk_diags_release(&d);
}

static void overlay_errors_located(void **state)
{
    (void)state;
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    struct cbk_import_input ov = {NULL, 0, "ov.yaml"};
    o.overlays = &ov;
    o.overlay_count = 1;
#define OV(t) (ov.text = (t), ov.len = strlen(t))
    /* merge time: unknown keys and wrong kinds, at the overlay's line */
    OV("shapes:\n  I: {maxx: 3}\n");
    import_fails(kinds_model, &o, CBK_E_SPEC, "ov.yaml", 2, 7, "shapes.I",
                 "unknown key 'maxx' (expected one of: type, documentation, source, sensitive, "
                 "deprecated, members, required, exception, error, union, member, key, value, "
                 "min, max, enum, pattern, timestampFormat)");
    OV("shapes:\n  I:\n    enum: A\n");
    import_fails(kinds_model, &o, CBK_E_SPEC, "ov.yaml", 3, 11, "shapes.I.enum",
                 "expected a sequence, found a string");
    OV("operations: [x]\n");
    import_fails(kinds_model, &o, CBK_E_SPEC, "ov.yaml", 1, 13, "operations",
                 "expected a mapping, found a sequence");
    OV("cbkit-spec: 2\n");
    import_fails(kinds_model, &o, CBK_E_SPEC, "ov.yaml", 1, 13, "cbkit-spec",
                 "2 is out of range (1..1)");
    OV("shapes: {a: 1\n");
    struct cbk_import_input in = {kinds_model, strlen(kinds_model), "model.json"};
    char *yaml = NULL;
    size_t len = 0;
    struct cbk_diags d = CBK_DIAGS_INIT;
    assert_int_equal(cbk_spec_import(&in, &o, &yaml, &len, &d), CBK_E_SPEC_PARSE);
    assert_string_equal(d.v[0].file, "ov.yaml");
    cbk_diags_release(&d);
    /* load time: reported where the overlay states the culprit */
    OV("shapes:\n  In:\n    members:\n      s: {shape: Nope}\n");
    import_fails(kinds_model, &o, CBK_E_SPEC, "ov.yaml", 4, 18, "shapes.In.members.s.shape",
                 "unknown shape 'Nope'");
    OV("shapes:\n  I: {min: 9, max: 8}\n");
    import_fails(kinds_model, &o, CBK_E_SPEC, "ov.yaml", 2, 6, "shapes.I",
                 "min 9 is greater than max 8");
    OV("shapes:\n  \"a b\": {type: string}\n");
    import_fails(kinds_model, &o, CBK_E_SPEC, "ov.yaml", 2, 10, "shapes.\"a b\"",
                 "invalid shape name 'a b' (expected letters, digits and '_', not starting with "
                 "a digit)");
#undef OV
}

/* ---- malformed models
 * ---------------------------------------------------------------------------- */

static void model_errors_located(void **state)
{
    (void)state;
    import_fails("{\"metadata\": }", NULL, CBK_E_SPEC_PARSE, "model.json", 1, 14, "",
                 "unexpected '}', expected a value");
    import_fails("[1]", NULL, CBK_E_SPEC, "model.json", 1, 1, "",
                 "expected a JSON object, found an array");
    import_fails("{\"a\\u0000b\": 1}", NULL, CBK_E_SPEC, "model.json", 1, 2, "",
                 "a key must not contain a NUL character");
    import_fails("{}", NULL, CBK_E_SPEC, "model.json", 1, 1, "",
                 "missing required member 'metadata'");
    import_fails(MODEL_HEAD "\"operations\": {},\n\"shapes\": {\"S\": {\"type\": \"string\", "
                            "\"enum\": [\"a\\u0000\"]}}}",
                 NULL, CBK_E_SPEC, "model.json", 3, 45, "/shapes/S/enum/0",
                 "an enum value must not contain a NUL character");
    import_fails(MODEL_HEAD "\"operations\": {\"O\": {\"input\": {\"shape\": \"E\"}}},\n"
                            "\"shapes\": {\"E\": {\"type\": \"structure\", \"exception\": true}}}",
                 NULL, CBK_E_SPEC, "model.json", 2, 41, "/operations/O/input/shape",
                 "input shape 'E' is an exception");
    import_fails(MODEL_HEAD "\"operations\": {},\n\"shapes\": {\"N\": {\"type\": \"integer\", "
                            "\"max\": 99999999999999999999}}}",
                 NULL, CBK_E_SPEC, "model.json", 3, 44, "/shapes/N/max",
                 "max does not fit a 64-bit integer");
    import_fails(MODEL_HEAD "\"operations\": {},\n\"shapes\": {\"N\": {\"type\": \"integer\", "
                            "\"max\": 1e10}}}",
                 NULL, CBK_E_SPEC, "model.json", 3, 44, "/shapes/N/max",
                 "max 10000000000 is out of range for an integer (-2147483648..2147483647)");
    import_fails("{\"metadata\": {\"protocol\": \"json\", \"apiVersion\": \"1\"}, \"operations\": "
                 "{}, \"shapes\": {}}",
                 NULL, CBK_E_SPEC, "model.json", 1, 14, "/metadata",
                 "missing required member 'targetPrefix' (every AWS JSON model has one)");
    /* a protocol list with json is fine (newer models); without, refused */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec =
        import_ok("{\"metadata\": {\"protocols\": [\"smithy-rpc-v2-cbor\", \"json\"], "
                  "\"apiVersion\": \"1\", \"targetPrefix\": \"T\"}, \"operations\": {}, "
                  "\"shapes\": {}}",
                  NULL, NULL, &d);
    assert_string_equal(cbk_spec_metadata(spec)->json_version, "1.0"); /* botocore's default */
    cbk_spec_free(spec);
    cbk_diags_release(&d);
    import_fails("{\"metadata\": {\"protocols\": [\"query\"], \"apiVersion\": \"1\", "
                 "\"targetPrefix\": \"T\"}, \"operations\": {}, \"shapes\": {}}",
                 NULL, CBK_E_SPEC, "model.json", 1, 28, "/metadata/protocols",
                 "no 'json' among the protocols (cbkit imports AWS JSON 1.0 and 1.1 models)");
    /* too large */
    size_t big = ((size_t)16 << 20) + 1;
    char *text = malloc(big);
    assert_non_null(text);
    memset(text, ' ', big);
    struct cbk_import_input in = {text, big, "big.json"};
    char *yaml = NULL;
    size_t len = 0;
    assert_int_equal(cbk_spec_import(&in, NULL, &yaml, &len, &d), CBK_E_LIMIT);
    assert_null(yaml);
    assert_string_equal(d.v[0].message, "the file is larger than 16777216 bytes");
    cbk_diags_release(&d);
    free(text);
}

static void model_or_spec(void **state)
{
    (void)state;
    assert_true(cbk_spec_is_model(kinds_model, strlen(kinds_model)));
    assert_false(cbk_spec_is_model("cbkit-spec: 1\n", 14));
    assert_false(cbk_spec_is_model("{\"cbkit-spec\": 1, \"metadata\": {}, \"shapes\": {}}", 46));
    assert_false(cbk_spec_is_model("{\"metadata\": {}}", 16));
    assert_false(cbk_spec_is_model("", 0));
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *spec = NULL;
    assert_int_equal(cbk_spec_load_any(kinds_model, strlen(kinds_model), "m.json", &spec, &d),
                     CBK_OK);
    assert_non_null(cbk_spec_shape(spec, "DOC"));
    assert_null(cbk_spec_op(spec, "Op")->documentation); /* imported without documentation */
    cbk_spec_free(spec);
    cbk_diags_release(&d);
}

/* ---- diff -------------------------------------------------------------------------------------
 */

#define SPEC_HEAD                                                                                  \
    "cbkit-spec: 1\nmetadata: {apiVersion: \"1\", protocol: json, jsonVersion: \"1.1\", "          \
    "targetPrefix: T}\n"

static struct cbk_spec *load(const char *text)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_spec *s = NULL;
    enum cbk_code rc = cbk_spec_load_buffer(text, strlen(text), "d.yaml", &s, &d);
    if (rc != CBK_OK)
        print_diags(&d);
    assert_int_equal(rc, CBK_OK);
    cbk_diags_release(&d);
    return s;
}

struct want {
    const char *kind, *path;
    enum cbk_change_class cls;
    unsigned ctx;
};

/* Diff two specs and check that the changes are exactly 'wants' (in any order). */
static void diff_is(const char *a, const char *b, const struct want *wants, size_t n)
{
    struct cbk_spec *sa = load(a), *sb = load(b);
    struct cbk_spec_diff *d = cbk_spec_diff(sa, sb);
    bool ok = cbk_spec_diff_count(d) == n;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < cbk_spec_diff_count(d); j++) {
            const struct cbk_change *c = cbk_spec_diff_at(d, j);
            if (!strcmp(c->kind, wants[i].kind) && !strcmp(c->path, wants[i].path) &&
                c->cls == wants[i].cls && c->contexts == wants[i].ctx)
                found = true;
        }
        if (!found) {
            print_error("missing: %s %s %s ctx %u\n", cbk_change_class_name(wants[i].cls),
                        wants[i].kind, wants[i].path, wants[i].ctx);
            ok = false;
        }
    }
    if (!ok)
        for (size_t j = 0; j < cbk_spec_diff_count(d); j++) {
            const struct cbk_change *c = cbk_spec_diff_at(d, j);
            print_error("  got: %s %s %s ctx %u: %s\n", cbk_change_class_name(c->cls), c->kind,
                        c->path, c->contexts, c->message);
        }
    assert_true(ok);
    /* sorted: breaking, answer risk, compatible */
    for (size_t j = 1; j < cbk_spec_diff_count(d); j++)
        assert_true(cbk_spec_diff_at(d, j - 1)->cls <= cbk_spec_diff_at(d, j)->cls);
    cbk_spec_diff_free(d);
    cbk_spec_free(sa);
    cbk_spec_free(sb);
}

enum { IN = CBK_CTX_INPUT, OUT = CBK_CTX_OUTPUT, BOTH = CBK_CTX_INPUT | CBK_CTX_OUTPUT };
#define BRK  CBK_CHANGE_BREAKING
#define RISK CBK_CHANGE_ANSWER_RISK
#define OK   CBK_CHANGE_COMPATIBLE

static void diff_operations(void **state)
{
    (void)state;
    const char *a = SPEC_HEAD "operations:\n  A: {input: I}\n  B: {input: I, errors: [E, F]}\n"
                              "shapes:\n  I: {type: structure}\n"
                              "  E: {type: structure, exception: true}\n"
                              "  F: {type: structure, exception: true}\n";
    const char *b = SPEC_HEAD "operations:\n  B: {input: I, errors: [E, G]}\n  C: {input: I}\n"
                              "shapes:\n  I: {type: structure}\n"
                              "  E: {type: structure, exception: true}\n"
                              "  G: {type: structure, exception: true}\n";
    const struct want w[] = {{"operation-removed", "A", BRK, 0},
                             {"operation-added", "C", OK, 0},
                             {"error-removed", "B.errors.F", OK, OUT},
                             {"error-added", "B.errors.G", RISK, OUT},
                             {"shape-removed", "F", OK, 0},
                             {"shape-added", "G", OK, 0}};
    diff_is(a, b, w, CBK_ARRAY_SIZE(w));
    diff_is(a, a, NULL, 0); /* identical: nothing */
}

static void diff_members_and_required(void **state)
{
    (void)state;
    const char *a = SPEC_HEAD "operations:\n  O: {input: I, output: R}\nshapes:\n"
                              "  I:\n    type: structure\n    required: [e]\n    members:\n"
                              "      a: {shape: S}\n      d: {shape: S}\n      e: {shape: S}\n"
                              "  R:\n    type: structure\n    required: [y]\n    members:\n"
                              "      y: {shape: S}\n      z: {shape: S}\n      w: {shape: S}\n"
                              "  S: {type: string}\n";
    const char *b = SPEC_HEAD "operations:\n  O: {input: I, output: R}\nshapes:\n"
                              "  I:\n    type: structure\n    required: [c, d]\n    members:\n"
                              "      b: {shape: S}\n      c: {shape: S}\n      d: {shape: S}\n"
                              "      e: {shape: S}\n"
                              "  R:\n    type: structure\n    required: [z]\n    members:\n"
                              "      x: {shape: S}\n      y: {shape: S}\n      z: {shape: S}\n"
                              "  S: {type: string}\n";
    const struct want w[] = {
        {"member-removed", "I.a", BRK, IN},        {"member-added", "I.b", OK, IN},
        {"required-member-added", "I.c", BRK, IN}, {"required-added", "I.d", BRK, IN},
        {"required-removed", "I.e", OK, IN},       {"member-removed", "R.w", BRK, OUT},
        {"member-added", "R.x", RISK, OUT},        {"required-removed", "R.y", RISK, OUT},
        {"required-added", "R.z", OK, OUT}};
    diff_is(a, b, w, CBK_ARRAY_SIZE(w));
}

static void diff_types(void **state)
{
    (void)state;
    const char *a = SPEC_HEAD "operations:\n  O: {input: I, output: I}\nshapes:\n"
                              "  I: {type: structure, members: {f: {shape: S}, t: {shape: T}, "
                              "l: {shape: L}}}\n"
                              "  S: {type: string}\n  N: {type: integer}\n"
                              "  T: {type: timestamp}\n  L: {type: list, member: {shape: S}}\n";
    const char *b = SPEC_HEAD "operations:\n  O: {input: I, output: I}\nshapes:\n"
                              "  I: {type: structure, members: {f: {shape: N}, t: {shape: T}, "
                              "l: {shape: L}}}\n"
                              "  S: {type: string}\n  N: {type: integer}\n"
                              "  T: {type: timestamp, timestampFormat: rfc822}\n"
                              "  L: {type: list, member: {shape: N}}\n";
    const struct want w[] = {{"type-changed", "I.f", BRK, BOTH},
                             {"timestamp-format-changed", "T", BRK, BOTH},
                             {"type-changed", "L.member", BRK, BOTH}};
    diff_is(a, b, w, CBK_ARRAY_SIZE(w));
}

/* Constraints: narrower input breaks, wider input is compatible, wider output a risk. */
static void diff_constraints(void **state)
{
    (void)state;
    const char *a = SPEC_HEAD "operations:\n  O: {input: I, output: R}\nshapes:\n"
                              "  I: {type: structure, members: {s: {shape: Size}, m: {shape: Mode},"
                              " c: {shape: Code}, t: {shape: Tag}, l: {shape: Label}, "
                              "g: {shape: N, max: 100}, k: {shape: Keys}}}\n"
                              "  R: {type: structure, members: {st: {shape: Status}, "
                              "len: {shape: Len}, e: {shape: Open}}}\n"
                              "  Size: {type: integer, min: 1, max: 10}\n"
                              "  Mode: {type: string, enum: [A, B]}\n"
                              "  Code: {type: string}\n  Tag: {type: string, pattern: \"^t\"}\n"
                              "  Label: {type: string}\n  N: {type: integer}\n"
                              "  Keys: {type: list, member: {shape: Code}, max: 5}\n"
                              "  Status: {type: string, enum: [OK, OLD]}\n"
                              "  Len: {type: string, max: 10}\n"
                              "  Open: {type: string, enum: [X]}\n";
    const char *b = SPEC_HEAD "operations:\n  O: {input: I, output: R}\nshapes:\n"
                              "  I: {type: structure, members: {s: {shape: Size}, m: {shape: Mode},"
                              " c: {shape: Code}, t: {shape: Tag}, l: {shape: Label}, "
                              "g: {shape: N, max: 200}, k: {shape: Keys}}}\n"
                              "  R: {type: structure, members: {st: {shape: Status}, "
                              "len: {shape: Len}, e: {shape: Open}}}\n"
                              "  Size: {type: integer, min: 0, max: 5}\n"
                              "  Mode: {type: string, enum: [A, C]}\n"
                              "  Code: {type: string, pattern: \"^[A-Z]+$\"}\n"
                              "  Tag: {type: string}\n"
                              "  Label: {type: string, enum: [L1]}\n  N: {type: integer}\n"
                              "  Keys: {type: list, member: {shape: Code}, max: 6}\n"
                              "  Status: {type: string, enum: [OK, NEW]}\n"
                              "  Len: {type: string, min: 2, max: 20}\n"
                              "  Open: {type: string}\n";
    const struct want w[] = {{"max-changed", "Size", BRK, IN},
                             {"min-changed", "Size", OK, IN},
                             {"enum-values-removed", "Mode", BRK, IN},
                             {"enum-values-added", "Mode", OK, IN},
                             {"pattern-added", "Code", BRK, IN},
                             {"pattern-removed", "Tag", OK, IN},
                             {"enum-added", "Label", BRK, IN},
                             {"max-changed", "I.g", OK, IN},
                             {"max-changed", "Keys", OK, IN},
                             {"enum-values-added", "Status", RISK, OUT},
                             {"enum-values-removed", "Status", OK, OUT},
                             {"max-changed", "Len", RISK, OUT},
                             {"min-changed", "Len", OK, OUT},
                             {"enum-removed", "Open", RISK, OUT}};
    diff_is(a, b, w, CBK_ARRAY_SIZE(w));
    /* a changed pattern cannot be shown wider: breaking on input */
    const char *c = SPEC_HEAD "operations:\n  O: {input: I}\nshapes:\n"
                              "  I: {type: structure, members: {c: {shape: Code}}}\n"
                              "  Code: {type: string, pattern: \"^[a-z]+$\"}\n";
    const char *d = SPEC_HEAD "operations:\n  O: {input: I}\nshapes:\n"
                              "  I: {type: structure, members: {c: {shape: Code}}}\n"
                              "  Code: {type: string, pattern: \"^[a-z0-9]+$\"}\n";
    const struct want w2[] = {{"pattern-changed", "Code", BRK, IN}};
    diff_is(c, d, w2, 1);
}

/* A shape reachable from an input and an output gets the worse class of the two. */
static void diff_both_contexts(void **state)
{
    (void)state;
    const char *a = SPEC_HEAD "operations:\n  Put: {input: I}\n  Get: {input: G, output: I}\n"
                              "shapes:\n  I: {type: structure, members: {m: {shape: Mode}}}\n"
                              "  G: {type: structure}\n  Mode: {type: string, enum: [A, B]}\n";
    const char *added = SPEC_HEAD "operations:\n  Put: {input: I}\n  Get: {input: G, output: I}\n"
                                  "shapes:\n  I: {type: structure, members: {m: {shape: Mode}}}\n"
                                  "  G: {type: structure}\n"
                                  "  Mode: {type: string, enum: [A, B, C]}\n";
    const char *removed = SPEC_HEAD "operations:\n  Put: {input: I}\n  Get: {input: G, output: I}\n"
                                    "shapes:\n  I: {type: structure, members: {m: {shape: Mode}}}\n"
                                    "  G: {type: structure}\n  Mode: {type: string, enum: [A]}\n";
    const struct want w1[] = {{"enum-values-added", "Mode", RISK, BOTH}};
    diff_is(a, added, w1, 1); /* compatible for Put, a risk for Get: a risk */
    const struct want w2[] = {{"enum-values-removed", "Mode", BRK, BOTH}};
    diff_is(a, removed, w2, 1); /* breaking for Put, compatible for Get: breaking */
}

/* An input renamed between versions is compared with its predecessor; a member whose target
 * changed is compared by the constraints it sees (the 480 -> 2160 widening). */
static void diff_renamed_and_retargeted(void **state)
{
    (void)state;
    const char *a = SPEC_HEAD "operations:\n  O: {input: OldIn}\nshapes:\n"
                              "  OldIn: {type: structure, members: {t: {shape: TimeOut}}}\n"
                              "  TimeOut: {type: integer, min: 5, max: 480}\n";
    const char *b = SPEC_HEAD "operations:\n  O: {input: NewIn}\nshapes:\n"
                              "  NewIn: {type: structure, members: {t: {shape: BuildTimeOut}}}\n"
                              "  BuildTimeOut: {type: integer, min: 5, max: 2160}\n";
    const struct want w[] = {{"max-changed", "NewIn.t", OK, IN},
                             {"shape-removed", "OldIn", OK, 0},
                             {"shape-removed", "TimeOut", OK, 0},
                             {"shape-added", "NewIn", OK, 0},
                             {"shape-added", "BuildTimeOut", OK, 0}};
    diff_is(a, b, w, CBK_ARRAY_SIZE(w));
    struct cbk_spec *sa = load(a), *sb = load(b);
    struct cbk_spec_diff *d = cbk_spec_diff(sa, sb);
    for (size_t i = 0; i < cbk_spec_diff_count(d); i++) {
        const struct cbk_change *c = cbk_spec_diff_at(d, i);
        if (strcmp(c->kind, "max-changed") == 0) {
            assert_string_equal(c->old_value, "480");
            assert_string_equal(c->new_value, "2160");
            assert_string_equal(c->message, "max 480 -> 2160 (wider)");
        }
    }
    assert_string_equal(cbk_change_class_name(CBK_CHANGE_ANSWER_RISK), "answer-risk");
    cbk_spec_diff_free(d);
    cbk_spec_free(sa);
    cbk_spec_free(sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(import_kinds),
        cmocka_unit_test(import_traits),
        cmocka_unit_test(import_timestamp_formats),
        cmocka_unit_test(import_docs),
        cmocka_unit_test(yaml_scalars_read_back),
        cmocka_unit_test(import_tricky_strings),
        cmocka_unit_test(import_paginators),
        cmocka_unit_test(import_overlays),
        cmocka_unit_test(overlay_errors_located),
        cmocka_unit_test(model_errors_located),
        cmocka_unit_test(model_or_spec),
        cmocka_unit_test(diff_operations),
        cmocka_unit_test(diff_members_and_required),
        cmocka_unit_test(diff_types),
        cmocka_unit_test(diff_constraints),
        cmocka_unit_test(diff_both_contexts),
        cmocka_unit_test(diff_renamed_and_retargeted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
