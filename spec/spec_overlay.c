/*
 * spec_overlay.c - merge an overlay (a spec fragment in YAML) over an imported spec tree
 * (spec_import_internal.h). The overlay is checked key by key against the spec format as it
 * is merged, so that its mistakes are reported at its own lines; what only the compiled
 * whole can tell (an unknown shape, min > max) is found when the result is loaded.
 */
#include "core/setup.h"
#include "spec/spec_import_internal.h"
#include "core/alloc.h"

#include <json-c/json.h>

/* What a key's value must be. */
enum vkind {
    V_STR,     /* a string */
    V_BOOL,    /* true or false */
    V_NUM,     /* an integer or a number */
    V_INT,     /* an integer */
    V_STRLIST, /* a sequence of strings */
    V_CITES,   /* a string or a sequence of strings */
    V_PART,    /* a member mapping (list member, map key and value) */
    V_ERROR,   /* the error mapping of an exception */
    V_MEMBERS, /* member name -> member mapping */
};

struct keydef {
    const char *key;
    enum vkind kind;
};

static const struct keydef meta_keys[] = {{"apiVersion", V_STR},       {"protocol", V_STR},
                                          {"jsonVersion", V_STR},      {"targetPrefix", V_STR},
                                          {"serviceId", V_STR},        {"serviceFullName", V_STR},
                                          {"endpointPrefix", V_STR},   {"signingName", V_STR},
                                          {"signatureVersion", V_STR}, {"uid", V_STR}};
static const struct keydef source_keys[] = {
    {"file", V_STR}, {"title", V_STR}, {"url", V_STR}, {"note", V_STR}};
static const struct keydef op_keys[] = {{"input", V_STR},      {"output", V_STR},
                                        {"errors", V_STRLIST}, {"documentation", V_STR},
                                        {"source", V_CITES},   {"deprecated", V_BOOL}};
static const struct keydef pag_keys[] = {{"inputToken", V_STR}, {"outputToken", V_STR},
                                         {"limitKey", V_STR},   {"resultKeys", V_CITES},
                                         {"pageSize", V_INT},   {"source", V_CITES}};
static const struct keydef shape_keys[] = {
    {"type", V_STR},         {"documentation", V_STR}, {"source", V_CITES},
    {"sensitive", V_BOOL},   {"deprecated", V_BOOL},   {"members", V_MEMBERS},
    {"required", V_STRLIST}, {"exception", V_BOOL},    {"error", V_ERROR},
    {"union", V_BOOL},       {"member", V_PART},       {"key", V_PART},
    {"value", V_PART},       {"min", V_NUM},           {"max", V_NUM},
    {"enum", V_STRLIST},     {"pattern", V_STR},       {"timestampFormat", V_STR}};
static const struct keydef member_keys[] = {
    {"shape", V_STR},      {"documentation", V_STR}, {"source", V_CITES}, {"deprecated", V_BOOL},
    {"sensitive", V_BOOL}, {"min", V_NUM},           {"max", V_NUM},      {"enum", V_STRLIST},
    {"pattern", V_STR},    {"volatile", V_BOOL}};
static const struct keydef error_keys[] = {
    {"httpStatusCode", V_INT}, {"senderFault", V_BOOL}, {"code", V_STR}};

struct ov {
    const struct cbk_ycheck *ck;
    struct cbk_buf path;
    int rc;
};

static const char *P(struct ov *o)
{
    return cbk_buf_str(&o->path);
}

/* A key with a NUL in it cannot be a name of the spec (json-c keys are C strings). */
static bool key_ok(struct ov *o, const struct cbk_ynode *k)
{
    if (strlen(k->str) == k->len)
        return true;
    o->rc = cbk_y_error(o->ck, k, P(o), "a key must not contain a NUL character");
    return false;
}

static struct json_object *str_value(const struct cbk_ynode *n)
{
    return json_object_new_string_len(n->str, (int)n->len);
}

/* A sequence of strings (or, when 'one_ok', a single string) as a json-c value, or NULL. */
static struct json_object *str_list(struct ov *o, const struct cbk_ynode *n, bool one_ok)
{
    if (one_ok && n->kind == CBK_Y_SCALAR) {
        const char *s;
        if (cbk_y_str(o->ck, n, P(o), &s) != 0) {
            o->rc = -1;
            return NULL;
        }
        return str_value(n);
    }
    if (n->kind != CBK_Y_SEQ) {
        o->rc = cbk_y_error(o->ck, n, P(o), "expected %s, found %s",
                            one_ok ? "a string or a sequence of strings" : "a sequence",
                            cbk_y_describe(n));
        return NULL;
    }
    struct json_object *a = json_object_new_array_ext((int)n->n);
    for (size_t i = 0; i < n->n; i++) {
        size_t m = cbk_ypath_push_index(&o->path, i);
        const char *s;
        if (cbk_y_str(o->ck, n->items[i], P(o), &s) == 0)
            json_object_array_add(a, str_value(n->items[i]));
        else
            o->rc = -1;
        cbk_ypath_pop(&o->path, m);
    }
    return a;
}

/* The scalar value of a key of kind 'kind' as a json-c value, or NULL after reporting. */
static struct json_object *convert(struct ov *o, const struct cbk_ynode *n, enum vkind kind)
{
    const char *s;
    bool b;
    int64_t i;
    double d;
    switch (kind) {
    case V_STR:
        if (cbk_y_str(o->ck, n, P(o), &s) != 0)
            break;
        return str_value(n);
    case V_BOOL:
        if (cbk_y_bool(o->ck, n, P(o), &b) != 0)
            break;
        return json_object_new_boolean(b);
    case V_INT:
        if (cbk_y_int(o->ck, n, P(o), INT32_MIN, INT32_MAX, &i) != 0)
            break;
        return json_object_new_int64(i);
    case V_NUM:
        if (cbk_y_parse_int(n, &i))
            return json_object_new_int64(i);
        if (cbk_y_double(o->ck, n, P(o), &d) != 0)
            break;
        return json_object_new_double(d);
    case V_STRLIST:
        return str_list(o, n, false);
    case V_CITES:
        return str_list(o, n, true);
    default:
        break;
    }
    o->rc = -1;
    return NULL;
}

/* The object under 'key' in 'dst', created empty when absent or not an object. */
static struct json_object *child(struct json_object *dst, const char *key)
{
    struct json_object *c;
    if (json_object_object_get_ex(dst, key, &c) && json_object_is_type(c, json_type_object))
        return c;
    c = json_object_new_object();
    json_object_object_add(dst, key, c);
    return c;
}

/* Warn when an overlay's enum leaves out values the spec had (a newer model's, usually). */
static void check_enum_drop(struct ov *o, const struct cbk_ynode *n, struct json_object *old,
                            struct json_object *now)
{
    if (!old || !json_object_is_type(old, json_type_array))
        return;
    struct cbk_buf missing = CBK_BUF_INIT(1 << 16);
    size_t count = 0;
    for (size_t i = 0; i < json_object_array_length(old); i++) {
        struct json_object *v = json_object_array_get_idx(old, i);
        bool kept = false;
        for (size_t j = 0; j < json_object_array_length(now) && !kept; j++)
            kept = json_object_equal(v, json_object_array_get_idx(now, j));
        if (!kept) {
            if (count++)
                cbk_buf_adds(&missing, ", ");
            cbk_buf_add_json_str(&missing, json_object_get_string(v),
                                 (size_t)json_object_get_string_len(v));
        }
    }
    if (count)
        cbk_y_warn(o->ck, n, P(o), "the overlay's enum leaves out %zu value%s of the import: %s",
                   count, count == 1 ? "" : "s", cbk_buf_str(&missing));
    cbk_buf_release(&missing);
}

static void merge_map(struct ov *o, struct json_object *dst, const struct cbk_ynode *src,
                      const struct keydef *defs, size_t ndefs);

/* name -> mapping (or null to delete), each merged with 'defs' (members, operations...). */
static void merge_named(struct ov *o, struct json_object *dst, const struct cbk_ynode *src,
                        const struct keydef *defs, size_t ndefs)
{
    if (cbk_y_expect(o->ck, src, CBK_Y_MAP, P(o)) != 0) {
        o->rc = -1;
        return;
    }
    for (size_t i = 0; i < src->n; i++) {
        const struct cbk_ynode *k = src->keys[i], *v = src->items[i];
        if (!key_ok(o, k))
            continue;
        size_t m = cbk_ypath_push(&o->path, k->str);
        if (cbk_y_is_null(v))
            json_object_object_del(dst, k->str);
        else
            merge_map(o, child(dst, k->str), v, defs, ndefs);
        cbk_ypath_pop(&o->path, m);
    }
}

static void unknown_key(struct ov *o, const struct cbk_ynode *k, const struct keydef *defs,
                        size_t ndefs)
{
    struct cbk_buf list = CBK_BUF_INIT(4096);
    for (size_t j = 0; j < ndefs; j++)
        cbk_buf_addf(&list, "%s%s", j ? ", " : "", defs[j].key);
    o->rc = cbk_y_error(o->ck, k, P(o), "unknown key '%s' (expected one of: %s)", k->str,
                        cbk_buf_str(&list));
    cbk_buf_release(&list);
}

static void merge_map(struct ov *o, struct json_object *dst, const struct cbk_ynode *src,
                      const struct keydef *defs, size_t ndefs)
{
    if (cbk_y_expect(o->ck, src, CBK_Y_MAP, P(o)) != 0) {
        o->rc = -1;
        return;
    }
    for (size_t i = 0; i < src->n; i++) {
        const struct cbk_ynode *k = src->keys[i], *v = src->items[i];
        if (!key_ok(o, k))
            continue;
        const struct keydef *def = NULL;
        for (size_t j = 0; j < ndefs; j++)
            if (strcmp(defs[j].key, k->str) == 0)
                def = &defs[j];
        if (!def) {
            unknown_key(o, k, defs, ndefs);
            continue;
        }
        size_t m = cbk_ypath_push(&o->path, k->str);
        if (cbk_y_is_null(v)) {
            json_object_object_del(dst, k->str);
        } else if (def->kind == V_PART) {
            merge_map(o, child(dst, k->str), v, member_keys, CBK_ARRAY_SIZE(member_keys));
        } else if (def->kind == V_ERROR) {
            merge_map(o, child(dst, k->str), v, error_keys, CBK_ARRAY_SIZE(error_keys));
        } else if (def->kind == V_MEMBERS) {
            merge_named(o, child(dst, k->str), v, member_keys, CBK_ARRAY_SIZE(member_keys));
        } else {
            struct json_object *val = convert(o, v, def->kind);
            if (val) {
                struct json_object *old = NULL;
                if (strcmp(k->str, "enum") == 0 && json_object_object_get_ex(dst, "enum", &old))
                    check_enum_drop(o, v, old, val);
                json_object_object_add(dst, k->str, val);
            }
        }
        cbk_ypath_pop(&o->path, m);
    }
}

/* sources: id -> mapping (replaces the whole entry) or null (declared without details). */
static void merge_sources(struct ov *o, struct json_object *dst, const struct cbk_ynode *src)
{
    if (cbk_y_expect(o->ck, src, CBK_Y_MAP, P(o)) != 0) {
        o->rc = -1;
        return;
    }
    for (size_t i = 0; i < src->n; i++) {
        const struct cbk_ynode *k = src->keys[i], *v = src->items[i];
        if (!key_ok(o, k))
            continue;
        size_t m = cbk_ypath_push(&o->path, k->str);
        struct json_object *entry = json_object_new_object();
        if (!cbk_y_is_null(v))
            merge_map(o, entry, v, source_keys, CBK_ARRAY_SIZE(source_keys));
        json_object_object_add(dst, k->str, entry);
        cbk_ypath_pop(&o->path, m);
    }
}

int cbk__spec_overlay(struct json_object *spec, const struct cbk_ynode *root,
                      const struct cbk_ycheck *ck)
{
    struct ov o = {ck, CBK_BUF_INIT(1 << 16), 0};
    if (!root)
        return 0; /* an empty overlay changes nothing */
    if (cbk_y_expect(ck, root, CBK_Y_MAP, "") != 0)
        return -1;
    static const char *const top[] = {"cbkit-spec", "metadata",   "documentation", "sources",
                                      "operations", "paginators", "shapes",        NULL};
    if (cbk_y_check_keys(ck, root, "", top) != 0)
        o.rc = -1;
    for (size_t i = 0; i < root->n; i++) {
        const struct cbk_ynode *k = root->keys[i], *v = root->items[i];
        size_t m = cbk_ypath_push(&o.path, k->str);
        if (strcmp(k->str, "cbkit-spec") == 0) {
            int64_t ver;
            if (cbk_y_int(ck, v, P(&o), 1, 1, &ver) != 0)
                o.rc = -1;
        } else if (strcmp(k->str, "metadata") == 0) {
            merge_map(&o, child(spec, "metadata"), v, meta_keys, CBK_ARRAY_SIZE(meta_keys));
        } else if (strcmp(k->str, "documentation") == 0) {
            if (cbk_y_is_null(v)) {
                json_object_object_del(spec, "documentation");
            } else {
                struct json_object *d = convert(&o, v, V_STR);
                if (d)
                    json_object_object_add(spec, "documentation", d);
            }
        } else if (strcmp(k->str, "sources") == 0) {
            merge_sources(&o, child(spec, "sources"), v);
        } else if (strcmp(k->str, "operations") == 0) {
            merge_named(&o, child(spec, "operations"), v, op_keys, CBK_ARRAY_SIZE(op_keys));
        } else if (strcmp(k->str, "paginators") == 0) {
            merge_named(&o, child(spec, "paginators"), v, pag_keys, CBK_ARRAY_SIZE(pag_keys));
        } else if (strcmp(k->str, "shapes") == 0) {
            merge_named(&o, child(spec, "shapes"), v, shape_keys, CBK_ARRAY_SIZE(shape_keys));
        }
        cbk_ypath_pop(&o.path, m);
    }
    cbk_buf_release(&o.path);
    return o.rc;
}
