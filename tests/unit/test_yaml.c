/*
 * test_yaml.c - unit tests of the YAML layer (core/yaml): trees with 1-based positions,
 * located errors (syntax, duplicate keys, aliases, second documents, non-scalar keys, depth),
 * typed accessors and dotted paths.
 */
#include "core/setup.h"

#include <setjmp.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/yaml.h"

static struct cbk_ydoc *parse_ok(const char *text)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ydoc *doc = (struct cbk_ydoc *)1;
    enum cbk_code rc = cbk_yaml_parse(text, strlen(text), "t.yaml", 0, CBK_E_SPEC_PARSE, &doc, &d);
    if (rc != CBK_OK || d.nr) {
        for (size_t i = 0; i < d.nr; i++)
            print_error("%s:%d:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].column, d.v[i].message);
        cbk_diags_release(&d);
        fail_msg("yaml did not parse: %s", text);
    }
    assert_non_null(doc);
    cbk_diags_release(&d);
    return doc;
}

/* Parse 'text', expect failure 'code' with exactly one diagnostic at line:col saying 'msg'. */
static void parse_bad(const char *text, size_t max_depth, enum cbk_code code, int line, int col,
                      const char *msg)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ydoc *doc = (struct cbk_ydoc *)1;
    enum cbk_code rc =
        cbk_yaml_parse(text, strlen(text), "bad.yaml", max_depth, CBK_E_SPEC_PARSE, &doc, &d);
    bool ok = rc == code && doc == NULL && d.nr == 1 && d.v[0].line == line &&
              d.v[0].column == col && strcmp(d.v[0].message, msg) == 0 &&
              strcmp(d.v[0].file, "bad.yaml") == 0 && d.v[0].code == CBK_E_SPEC_PARSE &&
              d.v[0].severity == CBK_SEV_ERROR;
    if (!ok) {
        print_error("input: %s\nwant: %s %d:%d %s\ngot:  %s doc=%p, %zu diagnostics\n", text,
                    cbk_code_name(code), line, col, msg, cbk_code_name(rc), (void *)doc, d.nr);
        for (size_t i = 0; i < d.nr; i++)
            print_error("  %s:%d:%d: %s\n", d.v[i].file, d.v[i].line, d.v[i].column,
                        d.v[i].message);
    }
    if (doc != (struct cbk_ydoc *)1)
        cbk_ydoc_free(doc);
    cbk_diags_release(&d);
    if (!ok)
        fail();
}

static void assert_pos(const struct cbk_ynode *n, enum cbk_ykind kind, int line, int col)
{
    assert_non_null(n);
    assert_int_equal(n->kind, kind);
    assert_int_equal(n->line, line);
    assert_int_equal(n->col, col);
}

/* ---- trees ------------------------------------------------------------------------------- */

static void tree_with_positions(void **state)
{
    (void)state;
    const char *text = "a: 1\n"
                       "b:\n"
                       "  - x\n"
                       "  - 'y'\n"
                       "  - \"z w\"\n"
                       "c: {d: e, f: [1, 2]}\n"
                       "# comment\n"
                       "\"q k\":   plain text  \n";
    struct cbk_ydoc *doc = parse_ok(text);
    assert_string_equal(doc->file, "t.yaml");
    const struct cbk_ynode *r = doc->root;
    assert_pos(r, CBK_Y_MAP, 1, 1);
    assert_int_equal(r->n, 4);
    assert_pos(r->keys[0], CBK_Y_SCALAR, 1, 1);
    assert_string_equal(r->keys[0]->str, "a");
    assert_pos(r->items[0], CBK_Y_SCALAR, 1, 4);
    assert_string_equal(r->items[0]->str, "1");
    assert_true(r->items[0]->plain);

    const struct cbk_ynode *b = r->items[1];
    assert_pos(r->keys[1], CBK_Y_SCALAR, 2, 1);
    assert_pos(b, CBK_Y_SEQ, 3, 3);
    assert_int_equal(b->n, 3);
    assert_null(b->keys);
    assert_pos(b->items[0], CBK_Y_SCALAR, 3, 5);
    assert_true(b->items[0]->plain);
    /* quoted scalars start at their opening quote */
    assert_pos(b->items[1], CBK_Y_SCALAR, 4, 5);
    assert_string_equal(b->items[1]->str, "y");
    assert_false(b->items[1]->plain);
    assert_pos(b->items[2], CBK_Y_SCALAR, 5, 5);
    assert_string_equal(b->items[2]->str, "z w");
    assert_int_equal(b->items[2]->len, 3);
    assert_false(b->items[2]->plain);

    const struct cbk_ynode *c = r->items[2];
    assert_pos(c, CBK_Y_MAP, 6, 4);
    assert_int_equal(c->n, 2);
    assert_pos(c->keys[0], CBK_Y_SCALAR, 6, 5);
    assert_pos(c->items[0], CBK_Y_SCALAR, 6, 8);
    assert_string_equal(c->items[0]->str, "e");
    assert_pos(c->keys[1], CBK_Y_SCALAR, 6, 11);
    assert_pos(c->items[1], CBK_Y_SEQ, 6, 14);
    assert_pos(c->items[1]->items[0], CBK_Y_SCALAR, 6, 15);
    assert_pos(c->items[1]->items[1], CBK_Y_SCALAR, 6, 18);
    assert_string_equal(c->items[1]->items[1]->str, "2");

    assert_pos(r->keys[3], CBK_Y_SCALAR, 8, 1);
    assert_string_equal(r->keys[3]->str, "q k");
    assert_pos(r->items[3], CBK_Y_SCALAR, 8, 10);
    assert_string_equal(r->items[3]->str, "plain text");
    cbk_ydoc_free(doc);
}

static void tree_many_items(void **state)
{
    (void)state;
    /* more than the initial child array: the arrays grow; keys stay paired with values */
    struct cbk_buf b = CBK_BUF_INIT(1 << 20);
    for (int i = 0; i < 300; i++)
        cbk_buf_addf(&b, "k%d: [%d, v%d]\n", i, i, i);
    struct cbk_ydoc *doc = parse_ok(cbk_buf_str(&b));
    assert_int_equal(doc->root->n, 300);
    for (int i = 0; i < 300; i++) {
        char k[16], v[16];
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        assert_string_equal(doc->root->keys[i]->str, k);
        assert_int_equal(doc->root->keys[i]->line, i + 1);
        assert_int_equal(doc->root->items[i]->n, 2);
        assert_string_equal(doc->root->items[i]->items[1]->str, v);
        assert_ptr_equal(cbk_y_get(doc->root, k), doc->root->items[i]);
    }
    cbk_ydoc_free(doc);
    cbk_buf_release(&b);
}

static void tree_scalars_and_empty(void **state)
{
    (void)state;
    struct cbk_ydoc *doc = parse_ok("");
    assert_null(doc->root);
    cbk_ydoc_free(doc);
    doc = parse_ok("# only a comment\n");
    assert_null(doc->root);
    cbk_ydoc_free(doc);

    doc = parse_ok("just a scalar");
    assert_pos(doc->root, CBK_Y_SCALAR, 1, 1);
    assert_string_equal(doc->root->str, "just a scalar");
    cbk_ydoc_free(doc);

    /* an explicit document start is fine as long as there is one document */
    doc = parse_ok("---\n- 1\n- 2\n...\n");
    assert_pos(doc->root, CBK_Y_SEQ, 2, 1);
    assert_int_equal(doc->root->n, 2);
    cbk_ydoc_free(doc);

    /* escapes are resolved; embedded NULs are kept with their length */
    doc = parse_ok("a: \"x\\ty\\0z\"\n");
    const struct cbk_ynode *a = cbk_y_get(doc->root, "a");
    assert_int_equal(a->len, 5);
    assert_memory_equal(a->str, "x\ty\0z", 6);
    cbk_ydoc_free(doc);

    /* a plain anchor on its own is accepted (only aliases are rejected) */
    doc = parse_ok("a: &anchor value\n");
    assert_string_equal(cbk_y_get(doc->root, "a")->str, "value");
    cbk_ydoc_free(doc);

    /* empty scalars have no position of their own: they get their key's, or their list's */
    doc = parse_ok("k:\nl:\n  -\n  - x\n");
    assert_pos(cbk_y_get(doc->root, "k"), CBK_Y_SCALAR, 1, 1);
    assert_true(cbk_y_is_null(cbk_y_get(doc->root, "k")));
    assert_pos(cbk_y_get(doc->root, "l")->items[0], CBK_Y_SCALAR, 3, 3);
    assert_pos(cbk_y_get(doc->root, "l")->items[1], CBK_Y_SCALAR, 4, 5);
    cbk_ydoc_free(doc);

    /* cbk_ydoc_free accepts NULL */
    cbk_ydoc_free(NULL);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void error_syntax(void **state)
{
    (void)state;
    parse_bad("a: b: c\n", 0, CBK_E_SPEC_PARSE, 1, 5,
              "invalid yaml: invalid nested block mapping on the same line");
    parse_bad("\tx: 1\n", 0, CBK_E_SPEC_PARSE, 1, 1,
              "invalid yaml: invalid tab as indendation in a mapping");
    parse_bad("ok: 1\nlist: [1, 2\n", 0, CBK_E_SPEC_PARSE, 3, 1,
              "invalid yaml: flow sequence without a closing bracket");
    /* the caller chooses the code */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ydoc *doc;
    assert_int_equal(cbk_yaml_parse("a: b: c\n", 8, "x.yaml", 0, CBK_E_SCENARIO, &doc, &d),
                     CBK_E_SCENARIO);
    assert_null(doc);
    assert_int_equal(d.nr, 1);
    assert_int_equal(d.v[0].code, CBK_E_SCENARIO);
    assert_string_equal(d.v[0].file, "x.yaml");
    cbk_diags_release(&d);
}

static void error_duplicate_keys(void **state)
{
    (void)state;
    parse_bad("a: 1\nb: 2\na: 3\n", 0, CBK_E_SPEC_PARSE, 3, 1,
              "duplicate key 'a' (first at line 1)");
    parse_bad("top:\n  x: 1\n  y: 2\n  x: 3\n", 0, CBK_E_SPEC_PARSE, 4, 3,
              "duplicate key 'x' (first at line 2)");
    parse_bad("{a: 1, a: 2}", 0, CBK_E_SPEC_PARSE, 1, 8, "duplicate key 'a' (first at line 1)");
    /* quoting does not make a key different */
    parse_bad("a: 1\n'a': 2\n", 0, CBK_E_SPEC_PARSE, 2, 1, "duplicate key 'a' (first at line 1)");
    /* the same key in different mappings is fine */
    struct cbk_ydoc *doc = parse_ok("a: {x: 1}\nb: {x: 2}\n");
    cbk_ydoc_free(doc);
}

static void error_aliases(void **state)
{
    (void)state;
    /* libfyaml places the alias at its name, one column after the '*' */
    parse_bad("a: &x 1\nb: *x\n", 0, CBK_E_SPEC_PARSE, 2, 5, "yaml aliases are not supported");
    parse_bad("base: &b {k: v}\nlist: [*b]\n", 0, CBK_E_SPEC_PARSE, 2, 9,
              "yaml aliases are not supported");
}

static void error_second_document(void **state)
{
    (void)state;
    parse_bad("a: 1\n---\nb: 2\n", 0, CBK_E_SPEC_PARSE, 2, 1,
              "a second yaml document is not allowed here");
    parse_bad("--- a\n--- b\n", 0, CBK_E_SPEC_PARSE, 2, 1,
              "a second yaml document is not allowed here");
}

static void error_non_scalar_keys(void **state)
{
    (void)state;
    parse_bad("? [a, b]\n: 1\n", 0, CBK_E_SPEC_PARSE, 1, 3,
              "mapping keys must be scalars, found a sequence");
    parse_bad("x: 1\n? {a: 1}\n: 2\n", 0, CBK_E_SPEC_PARSE, 2, 3,
              "mapping keys must be scalars, found a mapping");
}

/* libfyaml 0.7.12 crashed in fy_parser_destroy() on these (fuzz/fuzz_yaml,
 * regress-libfyaml-tab-colon-segv.yaml, regress-libfyaml-tab-segv-2.yaml, -3.yaml, -4.yaml,
 * -5.yaml, -6.yaml, -7.yaml, regress-libfyaml-bom-tab-segv.yaml): refused before it sees them. */
static void error_tab_after_explicit_key(void **state)
{
    (void)state;
    const char *msg = "invalid yaml: a tab on or after an explicit key ('? ') is not "
                      "supported (libfyaml fails on it); use spaces";
    parse_bad("? g}::\t::\t", 0, CBK_E_SPEC_PARSE, 1, 7, msg);
    parse_bad("? g:\t:", 0, CBK_E_SPEC_PARSE, 1, 5, msg);
    parse_bad("k:\n  ? g:\t:\n", 0, CBK_E_SPEC_PARSE, 2, 7, msg);
    parse_bad("? g: x\n  h:\t:\n", 0, CBK_E_SPEC_PARSE, 2, 5, msg);
    parse_bad("- ? g:\t:\n", 0, CBK_E_SPEC_PARSE, 1, 7, msg);
    parse_bad("? mina::\t? mina::\t", 0, CBK_E_SPEC_PARSE, 1, 9, msg);
    parse_bad("\r? min:\t?3d", 0, CBK_E_SPEC_PARSE, 2, 7, msg); /* CR breaks lines too */
    /* '?' as an indicator inside a line, after a blank or ':' (-4.yaml) */
    parse_bad(": : ? : ?:\t: ?::\t: ?: ", 0, CBK_E_SPEC_PARSE, 1, 11, msg);
    parse_bad("a: [? b:\tc]\n", 0, CBK_E_SPEC_PARSE, 1, 9, msg);
    /* '?' after a byte order mark is an indicator too (bom-tab-segv.yaml: the CI's fuzz smoke
     * run found it, the seventh crash) */
    parse_bad("\xEF\xBB\xBF? :\\u0000 :\xEF\xBB\xBF? :\\u0000 ?:\t: ?::\t: ", 0, CBK_E_SPEC_PARSE,
              1, 26, msg); /* columns count characters */
    parse_bad("a: 1\n\xEF\xBB\xBF? b:\tc\n", 0, CBK_E_SPEC_PARSE, 2, 6, msg);
    /* a comment line is not a block scalar header: what follows it is not content (-6.yaml) */
    parse_bad("# c: >-\n ( fo?:\t : ? : x\n", 0, CBK_E_SPEC_PARSE, 2, 8, msg);
    /* nor is a directive line, or any header but "key: |" in its plainest form (-7.yaml) */
    parse_bad("%YAM# c: >-\n ( fo?:\t : ? : x\n", 0, CBK_E_SPEC_PARSE, 2, 8, msg);
    parse_bad("a b: >-\n ( fo?:\t : ? : x\n", 0, CBK_E_SPEC_PARSE, 2, 8, msg);
    /* after an explicit key, a tab in what looks like a block scalar's content (-5.yaml) */
    parse_bad("? k: >-\n ( fo?:\t:\n", 0, CBK_E_SPEC_PARSE, 2, 8, msg);
    /* the same text inside a block scalar is content */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ydoc *doc = NULL;
    const char *ok = "a: |\n  ? x\n  y\t: z\nb: 1\nc:\n  - body: |-\n      ? q\t:\n";
    /* a '?' inside a word is not an indicator */
    const char *ok2 = "q: what?x\nb: \"\t\"\n";
    assert_int_equal(cbk_yaml_parse(ok2, strlen(ok2), "ok.yaml", 0, CBK_E_SPEC_PARSE, &doc, &d),
                     CBK_OK);
    cbk_ydoc_free(doc);
    assert_int_equal(cbk_yaml_parse(ok, strlen(ok), "ok.yaml", 0, CBK_E_SPEC_PARSE, &doc, &d),
                     CBK_OK);
    cbk_ydoc_free(doc);
    cbk_diags_release(&d);
}

static void error_depth_limit(void **state)
{
    (void)state;
    parse_bad("a:\n  b:\n    c: 1\n", 2, CBK_E_LIMIT, 3, 5, "nesting deeper than 2 levels");
    parse_bad("[[[[x]]]]", 3, CBK_E_LIMIT, 1, 4, "nesting deeper than 3 levels");
    struct cbk_ydoc *doc;
    struct cbk_diags d = CBK_DIAGS_INIT;
    assert_int_equal(cbk_yaml_parse("[[[x]]]", 7, "f", 3, CBK_E_SPEC_PARSE, &doc, &d), CBK_OK);
    assert_int_equal(d.nr, 0);
    cbk_ydoc_free(doc);
    /* 0 means 64 */
    struct cbk_buf b = CBK_BUF_INIT(1024);
    for (int i = 0; i < 64; i++)
        cbk_buf_addc(&b, '[');
    for (int i = 0; i < 64; i++)
        cbk_buf_addc(&b, ']');
    assert_int_equal(cbk_yaml_parse(b.ptr, b.len, "f", 0, CBK_E_SPEC_PARSE, &doc, &d), CBK_OK);
    cbk_ydoc_free(doc);
    cbk_buf_reset(&b);
    for (int i = 0; i < 65; i++)
        cbk_buf_addc(&b, '[');
    for (int i = 0; i < 65; i++)
        cbk_buf_addc(&b, ']');
    parse_bad(b.ptr, 0, CBK_E_LIMIT, 1, 65, "nesting deeper than 64 levels");
    cbk_buf_release(&b);
    cbk_diags_release(&d);
}

/* ---- typed access ------------------------------------------------------------------------ */

static const char *const typed_text = "i: 42\n"
                                      "neg: -7\n"
                                      "plus: +5\n"
                                      "big: 99999999999999999999\n"
                                      "qint: '5'\n"
                                      "frac: 1.5\n"
                                      "exp: 1e3\n"
                                      "hex: 0x10\n"
                                      "inf: .inf\n"
                                      "t1: true\n"
                                      "t2: True\n"
                                      "t3: TRUE\n"
                                      "f1: false\n"
                                      "yes: yes\n"
                                      "qbool: 'true'\n"
                                      "n1: ~\n"
                                      "n2: null\n"
                                      "n3:\n"
                                      "n4: NULL\n"
                                      "qnull: 'null'\n"
                                      "empty: ''\n"
                                      "s: hello world\n"
                                      "m: {x: 1}\n"
                                      "l: [a]\n"
                                      "i64: -9223372036854775808\n"
                                      "i64o: 9223372036854775808\n";

struct typed {
    struct cbk_ydoc *doc;
    struct cbk_diags d;
    struct cbk_ycheck ck;
};

static int typed_setup(void **state)
{
    struct typed *t = calloc(1, sizeof(*t));
    struct cbk_diags d0 = CBK_DIAGS_INIT;
    if (cbk_yaml_parse(typed_text, strlen(typed_text), "typed.yaml", 0, CBK_E_SPEC, &t->doc, &d0) !=
        CBK_OK)
        return -1;
    cbk_diags_release(&d0);
    cbk_diags_init(&t->d, 0);
    t->ck.file = "typed.yaml";
    t->ck.diags = &t->d;
    t->ck.code = CBK_E_SPEC;
    *state = t;
    return 0;
}

static int typed_teardown(void **state)
{
    struct typed *t = *state;
    cbk_ydoc_free(t->doc);
    cbk_diags_release(&t->d);
    free(t);
    return 0;
}

static const struct cbk_ynode *G(struct typed *t, const char *key)
{
    const struct cbk_ynode *n = cbk_y_get(t->doc->root, key);
    assert_non_null(n);
    return n;
}

/* The last diagnostic: its message, path, line and column. */
static void last_diag(struct typed *t, const char *path, int line, int col, const char *msg)
{
    assert_true(t->d.nr > 0);
    const struct cbk_diag *g = &t->d.v[t->d.nr - 1];
    if (strcmp(g->message, msg) != 0 || strcmp(g->path, path) != 0 || g->line != line ||
        g->column != col)
        fail_msg("want %d:%d %s: %s\ngot  %d:%d %s: %s", line, col, path, msg, g->line, g->column,
                 g->path, g->message);
    assert_string_equal(g->file, "typed.yaml");
    assert_int_equal(g->code, CBK_E_SPEC);
}

static void typed_int(void **state)
{
    struct typed *t = *state;
    int64_t v = 0;
    assert_int_equal(cbk_y_int(&t->ck, G(t, "i"), "p.i", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(cbk_y_int(&t->ck, G(t, "neg"), "p", INT64_MIN, INT64_MAX, &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(cbk_y_int(&t->ck, G(t, "plus"), "p", INT64_MIN, INT64_MAX, &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(cbk_y_int(&t->ck, G(t, "i64"), "p", INT64_MIN, INT64_MAX, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(t->d.nr, 0);

    v = 1234;
    assert_int_equal(cbk_y_int(&t->ck, G(t, "i"), "p.i", 0, 10, &v), -1);
    last_diag(t, "p.i", 1, 4, "42 is out of range (0..10)");
    assert_int_equal(v, 1234); /* untouched on failure */
    assert_int_equal(cbk_y_int(&t->ck, G(t, "big"), "p.big", 0, 10, &v), -1);
    last_diag(t, "p.big", 4, 6, "expected an integer, found '99999999999999999999'");
    assert_int_equal(cbk_y_int(&t->ck, G(t, "i64o"), "x", INT64_MIN, INT64_MAX, &v), -1);
    last_diag(t, "x", 26, 7, "expected an integer, found '9223372036854775808'");
    assert_int_equal(cbk_y_int(&t->ck, G(t, "qint"), "p.qint", 0, 10, &v), -1);
    last_diag(t, "p.qint", 5, 7, "expected an integer, found '5'");
    assert_int_equal(cbk_y_int(&t->ck, G(t, "frac"), "f", 0, 10, &v), -1);
    last_diag(t, "f", 6, 7, "expected an integer, found '1.5'");
    assert_int_equal(cbk_y_int(&t->ck, G(t, "n1"), "n", 0, 10, &v), -1);
    last_diag(t, "n", 16, 5, "expected an integer, found null");
    assert_int_equal(cbk_y_int(&t->ck, G(t, "m"), "m", 0, 10, &v), -1);
    last_diag(t, "m", 23, 4, "expected an integer, found a mapping");
    assert_int_equal(cbk_y_int(&t->ck, NULL, "gone", 0, 10, &v), -1);
    last_diag(t, "gone", 0, 0, "expected an integer, found nothing");
    assert_int_equal(cbk_diags_error_count(&t->d), 8);

    assert_true(cbk_y_parse_int(G(t, "neg"), &v));
    assert_int_equal(v, -7);
    assert_false(cbk_y_parse_int(G(t, "qint"), &v));
    assert_false(cbk_y_parse_int(G(t, "hex"), &v));
    assert_false(cbk_y_parse_int(G(t, "n3"), &v));
    assert_false(cbk_y_parse_int(G(t, "l"), &v));
    assert_false(cbk_y_parse_int(NULL, &v));
}

static void typed_bool(void **state)
{
    struct typed *t = *state;
    bool b = false;
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "t1"), "p", &b), 0);
    assert_true(b);
    b = false;
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "t2"), "p", &b), 0);
    assert_true(b);
    b = false;
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "t3"), "p", &b), 0);
    assert_true(b);
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "f1"), "p", &b), 0);
    assert_false(b);
    assert_int_equal(t->d.nr, 0);
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "yes"), "p.yes", &b), -1);
    last_diag(t, "p.yes", 14, 6, "expected true or false, found a string");
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "qbool"), "q", &b), -1);
    last_diag(t, "q", 15, 8, "expected true or false, found a string");
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "i"), "i", &b), -1);
    last_diag(t, "i", 1, 4, "expected true or false, found a number");
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "n2"), "n", &b), -1);
    last_diag(t, "n", 17, 5, "expected true or false, found null");
    assert_int_equal(cbk_y_bool(&t->ck, G(t, "l"), "l", &b), -1);
    last_diag(t, "l", 24, 4, "expected true or false, found a sequence");
}

static void typed_str_and_null(void **state)
{
    struct typed *t = *state;
    const char *s = NULL;
    assert_int_equal(cbk_y_str(&t->ck, G(t, "s"), "p", &s), 0);
    assert_string_equal(s, "hello world");
    /* any non-null scalar is a string, including numbers, booleans and quoted null */
    assert_int_equal(cbk_y_str(&t->ck, G(t, "i"), "p", &s), 0);
    assert_string_equal(s, "42");
    assert_int_equal(cbk_y_str(&t->ck, G(t, "t1"), "p", &s), 0);
    assert_string_equal(s, "true");
    assert_int_equal(cbk_y_str(&t->ck, G(t, "qnull"), "p", &s), 0);
    assert_string_equal(s, "null");
    assert_int_equal(cbk_y_str(&t->ck, G(t, "empty"), "p", &s), 0);
    assert_string_equal(s, "");
    assert_int_equal(t->d.nr, 0);
    s = "unchanged";
    assert_int_equal(cbk_y_str(&t->ck, G(t, "n3"), "p.n3", &s), -1);
    last_diag(t, "p.n3", 18, 1, "expected a string, found null"); /* empty: at its key */
    assert_string_equal(s, "unchanged");
    assert_int_equal(cbk_y_str(&t->ck, G(t, "m"), "p.m", &s), -1);
    last_diag(t, "p.m", 23, 4, "expected a string, found a mapping");
    assert_int_equal(cbk_y_str(&t->ck, G(t, "l"), "p.l", &s), -1);
    last_diag(t, "p.l", 24, 4, "expected a string, found a sequence");

    /* null detection: plain ~, null, Null, NULL and the empty plain scalar */
    assert_true(cbk_y_is_null(G(t, "n1")));
    assert_true(cbk_y_is_null(G(t, "n2")));
    assert_true(cbk_y_is_null(G(t, "n3")));
    assert_true(cbk_y_is_null(G(t, "n4")));
    assert_false(cbk_y_is_null(G(t, "qnull")));
    assert_false(cbk_y_is_null(G(t, "empty"))); /* '' is an empty string, not null */
    assert_false(cbk_y_is_null(G(t, "s")));
    assert_false(cbk_y_is_null(G(t, "m")));
    assert_false(cbk_y_is_null(NULL));
}

static void typed_double(void **state)
{
    struct typed *t = *state;
    double d = 0;
    assert_int_equal(cbk_y_double(&t->ck, G(t, "frac"), "p", &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(cbk_y_double(&t->ck, G(t, "exp"), "p", &d), 0);
    assert_true(d == 1000.0);
    assert_int_equal(cbk_y_double(&t->ck, G(t, "neg"), "p", &d), 0);
    assert_true(d == -7.0);
    assert_int_equal(t->d.nr, 0);
    assert_int_equal(cbk_y_double(&t->ck, G(t, "hex"), "p.hex", &d), -1);
    last_diag(t, "p.hex", 8, 6, "expected a number, found '0x10'");
    assert_int_equal(cbk_y_double(&t->ck, G(t, "inf"), "p.inf", &d), -1);
    last_diag(t, "p.inf", 9, 6, "expected a number, found '.inf'");
    assert_int_equal(cbk_y_double(&t->ck, G(t, "s"), "p.s", &d), -1);
    last_diag(t, "p.s", 22, 4, "expected a number, found 'hello world'");
    assert_int_equal(cbk_y_double(&t->ck, G(t, "n1"), "p.n1", &d), -1);
    last_diag(t, "p.n1", 16, 5, "expected a number, found null");
    assert_int_equal(cbk_y_double(&t->ck, G(t, "l"), "p.l", &d), -1);
    last_diag(t, "p.l", 24, 4, "expected a number, found a sequence");
}

static void typed_describe_get_expect(void **state)
{
    struct typed *t = *state;
    assert_string_equal(cbk_y_describe(NULL), "nothing");
    assert_string_equal(cbk_y_describe(G(t, "m")), "a mapping");
    assert_string_equal(cbk_y_describe(G(t, "l")), "a sequence");
    assert_string_equal(cbk_y_describe(G(t, "n1")), "null");
    assert_string_equal(cbk_y_describe(G(t, "t1")), "a boolean");
    assert_string_equal(cbk_y_describe(G(t, "i")), "a number");
    assert_string_equal(cbk_y_describe(G(t, "exp")), "a number");
    assert_string_equal(cbk_y_describe(G(t, "s")), "a string");
    assert_string_equal(cbk_y_describe(G(t, "qint")), "a string");

    assert_null(cbk_y_get(t->doc->root, "missing"));
    assert_null(cbk_y_get(G(t, "l"), "a"));
    assert_null(cbk_y_get(NULL, "a"));
    assert_string_equal(cbk_y_get(G(t, "m"), "x")->str, "1");

    assert_int_equal(cbk_y_expect(&t->ck, G(t, "m"), CBK_Y_MAP, "m"), 0);
    assert_int_equal(cbk_y_expect(&t->ck, G(t, "s"), CBK_Y_SCALAR, "s"), 0);
    assert_int_equal(t->d.nr, 0);
    assert_int_equal(cbk_y_expect(&t->ck, G(t, "l"), CBK_Y_MAP, "x.l"), -1);
    last_diag(t, "x.l", 24, 4, "expected a mapping, found a sequence");
    assert_int_equal(cbk_y_expect(&t->ck, G(t, "n2"), CBK_Y_SCALAR, "x.n2"), -1);
    last_diag(t, "x.n2", 17, 5, "expected a scalar, found null");
    assert_int_equal(cbk_y_expect(&t->ck, G(t, "s"), CBK_Y_SEQ, "x.s"), -1);
    last_diag(t, "x.s", 22, 4, "expected a sequence, found a string");
    assert_int_equal(cbk_y_expect(&t->ck, NULL, CBK_Y_MAP, "x.none"), -1);
    last_diag(t, "x.none", 0, 0, "expected a mapping, found nothing");
}

static void typed_check_keys_and_require(void **state)
{
    (void)state;
    const char *text = "shape:\n  type: string\n  shpae: x\n  min: 1\n  zzz: 2\n";
    struct cbk_ydoc *doc = parse_ok(text);
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_ycheck ck = {"s.yaml", &d, CBK_E_SPEC};
    const struct cbk_ynode *m = cbk_y_get(doc->root, "shape");
    static const char *const allowed[] = {"type", "min", "max", NULL};
    assert_int_equal(cbk_y_check_keys(&ck, m, "shapes.X", allowed), -1);
    assert_int_equal(d.nr, 2);
    assert_string_equal(d.v[0].message, "unknown key 'shpae' (expected one of: type, min, max)");
    assert_string_equal(d.v[0].path, "shapes.X");
    assert_string_equal(d.v[0].file, "s.yaml");
    assert_int_equal(d.v[0].line, 3);
    assert_int_equal(d.v[0].column, 3);
    assert_string_equal(d.v[1].message, "unknown key 'zzz' (expected one of: type, min, max)");
    assert_int_equal(d.v[1].line, 5);
    static const char *const all[] = {"type", "shpae", "min", "zzz", NULL};
    assert_int_equal(cbk_y_check_keys(&ck, m, "p", all), 0);
    assert_int_equal(d.nr, 2);

    assert_ptr_equal(cbk_y_require(&ck, m, "shapes.X", "type"), cbk_y_get(m, "type"));
    assert_int_equal(d.nr, 2);
    assert_null(cbk_y_require(&ck, m, "shapes.X", "members"));
    assert_int_equal(d.nr, 3);
    assert_string_equal(d.v[2].message, "missing required key 'members'");
    assert_string_equal(d.v[2].path, "shapes.X");
    assert_int_equal(d.v[2].line, 2); /* at the mapping */
    assert_int_equal(d.v[2].column, 3);

    /* free-form errors and warnings */
    assert_int_equal(cbk_y_error(&ck, m, "a.b", "bad %s %d", "thing", 7), -1);
    assert_int_equal(cbk_y_warn(&ck, NULL, NULL, "careful"), 0);
    assert_int_equal(d.nr, 5);
    assert_string_equal(d.v[3].message, "bad thing 7");
    assert_int_equal(d.v[3].severity, CBK_SEV_ERROR);
    assert_int_equal(d.v[4].severity, CBK_SEV_WARNING);
    assert_int_equal(d.v[4].line, 0);
    assert_string_equal(d.v[4].path, "");
    assert_int_equal(cbk_diags_error_count(&d), 4);
    cbk_diags_release(&d);
    cbk_ydoc_free(doc);
}

static void dotted_paths(void **state)
{
    (void)state;
    struct cbk_buf p = CBK_BUF_INIT(1024);
    size_t m0 = cbk_ypath_push(&p, "shapes");
    assert_int_equal(m0, 0);
    assert_string_equal(cbk_buf_str(&p), "shapes");
    size_t m1 = cbk_ypath_push(&p, "Build");
    assert_string_equal(cbk_buf_str(&p), "shapes.Build");
    size_t m2 = cbk_ypath_push(&p, "enum");
    size_t m3 = cbk_ypath_push_index(&p, 3);
    assert_string_equal(cbk_buf_str(&p), "shapes.Build.enum[3]");
    cbk_ypath_pop(&p, m3);
    cbk_ypath_pop(&p, m2);
    /* keys that are not identifiers are quoted */
    size_t m4 = cbk_ypath_push(&p, "a b.c");
    assert_string_equal(cbk_buf_str(&p), "shapes.Build.\"a b.c\"");
    cbk_ypath_pop(&p, m4);
    m4 = cbk_ypath_push(&p, "");
    assert_string_equal(cbk_buf_str(&p), "shapes.Build.\"\"");
    cbk_ypath_pop(&p, m4);
    m4 = cbk_ypath_push(&p, "seed-003_x");
    assert_string_equal(cbk_buf_str(&p), "shapes.Build.seed-003_x");
    cbk_ypath_pop(&p, m4);
    cbk_ypath_pop(&p, m1);
    assert_string_equal(cbk_buf_str(&p), "shapes");
    cbk_ypath_pop(&p, m0);
    assert_string_equal(cbk_buf_str(&p), "");
    cbk_ypath_push_index(&p, 0);
    assert_string_equal(cbk_buf_str(&p), "[0]");
    cbk_buf_release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_with_positions),
        cmocka_unit_test(tree_many_items),
        cmocka_unit_test(tree_scalars_and_empty),
        cmocka_unit_test(error_syntax),
        cmocka_unit_test(error_duplicate_keys),
        cmocka_unit_test(error_aliases),
        cmocka_unit_test(error_second_document),
        cmocka_unit_test(error_non_scalar_keys),
        cmocka_unit_test(error_tab_after_explicit_key),
        cmocka_unit_test(error_depth_limit),
        cmocka_unit_test_setup_teardown(typed_int, typed_setup, typed_teardown),
        cmocka_unit_test_setup_teardown(typed_bool, typed_setup, typed_teardown),
        cmocka_unit_test_setup_teardown(typed_str_and_null, typed_setup, typed_teardown),
        cmocka_unit_test_setup_teardown(typed_double, typed_setup, typed_teardown),
        cmocka_unit_test_setup_teardown(typed_describe_get_expect, typed_setup, typed_teardown),
        cmocka_unit_test(typed_check_keys_and_require),
        cmocka_unit_test(dotted_paths),
    };
    return cmocka_run_group_tests_name("yaml", tests, NULL, NULL);
}
