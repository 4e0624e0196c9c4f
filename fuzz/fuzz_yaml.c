/*
 * fuzz_yaml.c - libFuzzer target: the YAML layer every cbkit loader reads through
 * (core/yaml.c: libfyaml events turned into position-carrying trees, and the typed accessors
 * with located errors). Parses arbitrary bytes with cbk_yaml_parse(), checks the tree's shape,
 * runs every accessor on every node and frees everything.
 */
#include "core/setup.h"
#include "fuzz/fuzz_common.h"
#include "core/yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DEPTH 32

static const char *const allowed[] = {"type", "members", "shape", "min", "max", NULL};

static void visit(const struct cbk_ycheck *ck, const struct cbk_ynode *n, struct cbk_buf *path,
                  size_t depth)
{
    CHECK(n != NULL);
    CHECK(depth <= MAX_DEPTH + 1); /* containers <= MAX_DEPTH, plus their scalars */
    /* every node has a position, except an empty scalar that is the whole document */
    CHECK((n->line >= 1 && n->col >= 1) || (depth == 1 && n->kind == CBK_Y_SCALAR && !n->len));
    CHECK(cbk_y_describe(n) != NULL);
    switch (n->kind) {
    case CBK_Y_SCALAR: {
        CHECK(n->str != NULL && n->str[n->len] == '\0');
        CHECK(n->n == 0);
        const char *s;
        bool b;
        int64_t i;
        double d;
        bool is_null = cbk_y_is_null(n);
        CHECK((cbk_y_str(ck, n, cbk_buf_str(path), &s) == 0) == !is_null);
        (void)cbk_y_bool(ck, n, cbk_buf_str(path), &b);
        if (cbk_y_int(ck, n, cbk_buf_str(path), INT32_MIN, INT32_MAX, &i) == 0)
            CHECK(i >= INT32_MIN && i <= INT32_MAX);
        (void)cbk_y_double(ck, n, cbk_buf_str(path), &d);
        if (cbk_y_parse_int(n, &i))
            CHECK(n->plain);
        (void)cbk_y_expect(ck, n, CBK_Y_SCALAR, cbk_buf_str(path));
        break;
    }
    case CBK_Y_SEQ:
        CHECK(n->n == 0 || n->items != NULL);
        CHECK(cbk_y_get(n, "type") == NULL);
        for (size_t k = 0; k < n->n; k++) {
            size_t m = cbk_ypath_push_index(path, k);
            visit(ck, n->items[k], path, depth + 1);
            cbk_ypath_pop(path, m);
        }
        break;
    case CBK_Y_MAP:
        CHECK(n->n == 0 || (n->items != NULL && n->keys != NULL));
        (void)cbk_y_check_keys(ck, n, cbk_buf_str(path), allowed);
        (void)cbk_y_require(ck, n, cbk_buf_str(path), "shape");
        for (size_t k = 0; k < n->n; k++) {
            const struct cbk_ynode *key = n->keys[k];
            CHECK(key != NULL && key->kind == CBK_Y_SCALAR);
            /* keys are unique (byte for byte), so lookup by a NUL-free key finds this one */
            for (size_t j = 0; j < k; j++)
                CHECK(n->keys[j]->len != key->len ||
                      memcmp(n->keys[j]->str, key->str, key->len) != 0);
            if (strlen(key->str) == key->len)
                CHECK(cbk_y_get(n, key->str) == n->items[k]);
            size_t m = cbk_ypath_push(path, key->str);
            visit(ck, n->items[k], path, depth + 1);
            cbk_ypath_pop(path, m);
        }
        break;
    default:
        CHECK(!"unknown node kind");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 32);
    struct cbk_ydoc *doc = NULL;
    enum cbk_code rc = cbk_yaml_parse((const char *)data, size, "fuzz.yaml", MAX_DEPTH,
                                      CBK_E_SPEC_PARSE, &doc, &d);
    if (rc == CBK_OK) {
        CHECK(doc != NULL);
        CHECK(cbk_diags_error_count(&d) == 0);
        struct cbk_ycheck ck = {"fuzz.yaml", &d, CBK_E_SPEC};
        struct cbk_buf path = CBK_BUF_INIT(1 << 20);
        if (doc->root)
            visit(&ck, doc->root, &path, 1);
        CHECK(path.len == 0);
        cbk_buf_release(&path);
    } else {
        CHECK(doc == NULL);
        CHECK(rc == CBK_E_SPEC_PARSE || rc == CBK_E_LIMIT || rc == CBK_E_INTERNAL);
        CHECK(cbk_diags_error_count(&d) > 0);
    }
    for (size_t i = 0; i < d.nr; i++)
        CHECK(d.v[i].message && d.v[i].message[0] && d.v[i].line >= 0 && d.v[i].column >= 0);
    cbk_diags_release(&d);
    cbk_ydoc_free(doc);
    return 0;
}
