/*
 * spec_load.c - compile a YAML spec (docs/spec-format.md) into an immutable struct cbk_spec.
 *
 * The work is done in passes over the YAML tree so that shapes may be referenced before they
 * are defined and may be recursive: (1) top level, metadata and sources; (2) every shape's
 * name and type; (3) every shape's own keys and constraints; (4) members, with references
 * resolved to pointers and member-level constraints merged; (5) operations; (6) paginators,
 * which name members of the operations' inputs and outputs. Every problem is reported with its
 * line and column; any error discards the whole spec.
 */
#include "core/setup.h"
#include "core/regex.h"
#include "spec/spec_internal.h"
#include "spec/spec_image.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/yaml.h"

#include <ctype.h>
#include <sys/stat.h>

#define SPEC_MAX_BYTES ((size_t)64 << 20)
#define SPEC_MAX_DEPTH 64

extern const unsigned char cbk__bundled_spec[];
extern const size_t cbk__bundled_spec_len;
/* the bundled spec compiled at build time (spec/spec_image.h); length 0 when the build has none */
extern const unsigned char cbk__bundled_image[];
extern const size_t cbk__bundled_image_len;

static const char *const type_names[] = {"structure", "list",  "map",     "string",
                                         "integer",   "long",  "boolean", "timestamp",
                                         "double",    "float", "blob",    "document"};

const char *cbk_type_name(enum cbk_type t)
{
    if ((unsigned)t >= CBK_ARRAY_SIZE(type_names))
        return "unknown";
    return type_names[t];
}

static int type_from_name(const char *s)
{
    for (size_t i = 0; i < CBK_ARRAY_SIZE(type_names); i++)
        if (strcmp(s, type_names[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- compile context ------------------------------------------------------------------- */

struct ctx {
    struct cbk_spec *spec;
    struct cbk_ycheck ck;
    struct cbk_buf path;
    const struct cbk_ynode *shapes_node;
    const struct cbk_ynode **shape_nodes; /* YAML node per shape, same index as spec->shapes */
    bool *shape_ok;                       /* shape passed pass 2 (has a usable type) */
};

static struct cbk_arena *A(struct ctx *c)
{
    return &c->spec->arena;
}

static const char *P(struct ctx *c)
{
    return cbk_buf_str(&c->path);
}

struct cbk_strtab *cbk__spec_new_tab(struct cbk_spec *s)
{
    struct cbk_strtab *t = cbk_xcalloc(1, sizeof(*t));
    CBK_GROW(s->tabs, s->ntabs + 1, s->tabs_alloc);
    s->tabs[s->ntabs++] = t;
    return t;
}

void cbk__spec_add_code(struct cbk_spec *s, struct cbk_regex *re)
{
    CBK_GROW(s->codes, s->ncodes + 1, s->codes_alloc);
    s->codes[s->ncodes++] = re;
}

struct cbk_spec *cbk__spec_new(const char *file)
{
    struct cbk_spec *spec = cbk_xcalloc(1, sizeof(*spec));
    cbk_arena_init(&spec->arena, 65536);
    spec->file = cbk_xstrdup(file);
    spec->empty_output.name = "(empty)";
    spec->empty_output.type = CBK_TYPE_STRUCTURE;
    static const char *const none[] = {NULL};
    spec->empty_output.sources = none;
    return spec;
}

static struct cbk_strtab *new_tab(struct ctx *c)
{
    return cbk__spec_new_tab(c->spec);
}

static bool valid_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* An optional string key: 0 and *out = NULL when absent. */
static int opt_str(struct ctx *c, const struct cbk_ynode *map, const char *key, const char **out)
{
    *out = NULL;
    const struct cbk_ynode *v = cbk_y_get(map, key);
    if (!v)
        return 0;
    size_t m = cbk_ypath_push(&c->path, key);
    const char *s = NULL;
    int rc = cbk_y_str(&c->ck, v, P(c), &s);
    cbk_ypath_pop(&c->path, m);
    if (rc == 0)
        *out = cbk_arena_strndup(A(c), s, v->len);
    return rc;
}

static int opt_bool(struct ctx *c, const struct cbk_ynode *map, const char *key, bool *out)
{
    *out = false;
    const struct cbk_ynode *v = cbk_y_get(map, key);
    if (!v)
        return 0;
    size_t m = cbk_ypath_push(&c->path, key);
    int rc = cbk_y_bool(&c->ck, v, P(c), out);
    cbk_ypath_pop(&c->path, m);
    return rc;
}

/* Is 'cite' of the form "<declared id>" or "<declared id>: note"? */
static bool citation_ok(const struct cbk_spec *s, const char *cite, size_t *idlen)
{
    const char *colon = strchr(cite, ':');
    size_t n = colon ? (size_t)(colon - cite) : strlen(cite);
    *idlen = n;
    for (size_t i = 0; i < s->nsources; i++)
        if (strlen(s->sources[i].id) == n && memcmp(s->sources[i].id, cite, n) == 0)
            return true;
    return false;
}

/* The optional 'source' key: a string or a list of strings, each citing a declared source. */
static int opt_sources(struct ctx *c, const struct cbk_ynode *map, const char *const **out)
{
    static const char *const none[] = {NULL};
    *out = none;
    const struct cbk_ynode *v = cbk_y_get(map, "source");
    if (!v)
        return 0;
    size_t m = cbk_ypath_push(&c->path, "source");
    int rc = 0;
    const struct cbk_ynode *one[1] = {v};
    const struct cbk_ynode *const *items = one;
    size_t n = 1;
    if (v->kind == CBK_Y_SEQ) {
        items = (const struct cbk_ynode *const *)v->items;
        n = v->n;
    }
    const char **list = cbk_arena_calloc(A(c), (n + 1) * sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t mi = v->kind == CBK_Y_SEQ ? cbk_ypath_push_index(&c->path, i) : c->path.len;
        const char *s;
        if (cbk_y_str(&c->ck, items[i], P(c), &s) != 0) {
            rc = -1;
        } else {
            size_t idlen;
            if (!citation_ok(c->spec, s, &idlen)) {
                rc = cbk_y_error(&c->ck, items[i], P(c),
                                 "unknown source '%.*s' (declare it under 'sources')", (int)idlen,
                                 s);
            } else {
                list[k++] = cbk_arena_strdup(A(c), s);
            }
        }
        cbk_ypath_pop(&c->path, mi);
    }
    cbk_ypath_pop(&c->path, m);
    *out = list;
    return rc;
}

/* ---- pass 1: top level, metadata, sources ---------------------------------------------- */

static const char *const top_keys[] = {"cbkit-spec", "metadata",   "documentation", "sources",
                                       "operations", "paginators", "shapes",        NULL};
static const char *const meta_keys[] = {"apiVersion",
                                        "protocol",
                                        "jsonVersion",
                                        "targetPrefix",
                                        "serviceId",
                                        "serviceFullName",
                                        "endpointPrefix",
                                        "signingName",
                                        "signatureVersion",
                                        "uid",
                                        NULL};
static const char *const source_keys[] = {"file", "title", "url", "note", NULL};

static int load_metadata(struct ctx *c, const struct cbk_ynode *root)
{
    const struct cbk_ynode *md = cbk_y_require(&c->ck, root, "", "metadata");
    if (!md)
        return -1;
    size_t m = cbk_ypath_push(&c->path, "metadata");
    int rc = 0;
    if (cbk_y_expect(&c->ck, md, CBK_Y_MAP, P(c)) != 0) {
        cbk_ypath_pop(&c->path, m);
        return -1;
    }
    rc |= cbk_y_check_keys(&c->ck, md, P(c), meta_keys);
    struct cbk_metadata *meta = &c->spec->meta;
    static const char *const required[] = {"apiVersion", "protocol", "jsonVersion", "targetPrefix"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(required); i++)
        if (!cbk_y_get(md, required[i]))
            rc = cbk_y_error(&c->ck, md, P(c), "missing required key '%s'", required[i]);
    rc |= opt_str(c, md, "apiVersion", &meta->api_version);
    rc |= opt_str(c, md, "protocol", &meta->protocol);
    rc |= opt_str(c, md, "jsonVersion", &meta->json_version);
    rc |= opt_str(c, md, "targetPrefix", &meta->target_prefix);
    rc |= opt_str(c, md, "serviceId", &meta->service_id);
    rc |= opt_str(c, md, "serviceFullName", &meta->service_full_name);
    rc |= opt_str(c, md, "endpointPrefix", &meta->endpoint_prefix);
    rc |= opt_str(c, md, "signingName", &meta->signing_name);
    rc |= opt_str(c, md, "signatureVersion", &meta->signature_version);
    rc |= opt_str(c, md, "uid", &meta->uid);
    if (meta->protocol && strcmp(meta->protocol, "json") != 0) {
        size_t mk = cbk_ypath_push(&c->path, "protocol");
        rc = cbk_y_error(&c->ck, cbk_y_get(md, "protocol"), P(c),
                         "unsupported protocol '%s' (expected 'json')", meta->protocol);
        cbk_ypath_pop(&c->path, mk);
    }
    if (meta->json_version && strcmp(meta->json_version, "1.1") != 0 &&
        strcmp(meta->json_version, "1.0") != 0) {
        size_t mk = cbk_ypath_push(&c->path, "jsonVersion");
        rc = cbk_y_error(&c->ck, cbk_y_get(md, "jsonVersion"), P(c),
                         "unsupported jsonVersion '%s' (expected \"1.1\" or \"1.0\")",
                         meta->json_version);
        cbk_ypath_pop(&c->path, mk);
    }
    if (meta->target_prefix && !meta->target_prefix[0]) {
        size_t mk = cbk_ypath_push(&c->path, "targetPrefix");
        rc = cbk_y_error(&c->ck, cbk_y_get(md, "targetPrefix"), P(c),
                         "targetPrefix must not be empty");
        cbk_ypath_pop(&c->path, mk);
    }
    if (!meta->signing_name)
        meta->signing_name = meta->endpoint_prefix;
    meta->content_type = cbk_arena_printf(A(c), "application/x-amz-json-%s",
                                          meta->json_version ? meta->json_version : "1.1");
    cbk_ypath_pop(&c->path, m);
    return rc ? -1 : 0;
}

static int load_sources(struct ctx *c, const struct cbk_ynode *root)
{
    const struct cbk_ynode *src = cbk_y_get(root, "sources");
    if (!src)
        return 0;
    size_t m = cbk_ypath_push(&c->path, "sources");
    if (cbk_y_expect(&c->ck, src, CBK_Y_MAP, P(c)) != 0) {
        cbk_ypath_pop(&c->path, m);
        return -1;
    }
    int rc = 0;
    struct cbk_spec *s = c->spec;
    s->sources = cbk_arena_calloc(A(c), (src->n ? src->n : 1) * sizeof(*s->sources));
    for (size_t i = 0; i < src->n; i++) {
        const struct cbk_ynode *k = src->keys[i], *v = src->items[i];
        size_t mk = cbk_ypath_push(&c->path, k->str);
        if (!k->len || strchr(k->str, ':') || strchr(k->str, ' ')) {
            rc =
                cbk_y_error(&c->ck, k, P(c),
                            "source id '%s' must be non-empty and contain no ':' or space", k->str);
            cbk_ypath_pop(&c->path, mk);
            continue;
        }
        struct cbk_source *so = &s->sources[s->nsources];
        so->id = cbk_arena_strdup(A(c), k->str);
        if (cbk_y_is_null(v)) {
            s->nsources++;
        } else if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
        } else {
            rc |= cbk_y_check_keys(&c->ck, v, P(c), source_keys);
            rc |= opt_str(c, v, "file", &so->file);
            rc |= opt_str(c, v, "title", &so->title);
            rc |= opt_str(c, v, "url", &so->url);
            rc |= opt_str(c, v, "note", &so->note);
            s->nsources++;
        }
        cbk_ypath_pop(&c->path, mk);
    }
    cbk_ypath_pop(&c->path, m);
    return rc ? -1 : 0;
}

/* ---- pass 2: shape names and types ------------------------------------------------------ */

static int declare_shapes(struct ctx *c, const struct cbk_ynode *root)
{
    const struct cbk_ynode *shapes = cbk_y_require(&c->ck, root, "", "shapes");
    if (!shapes)
        return -1;
    size_t m = cbk_ypath_push(&c->path, "shapes");
    if (cbk_y_expect(&c->ck, shapes, CBK_Y_MAP, P(c)) != 0) {
        cbk_ypath_pop(&c->path, m);
        return -1;
    }
    c->shapes_node = shapes;
    struct cbk_spec *s = c->spec;
    int rc = 0;
    size_t n = shapes->n;
    s->shapes = cbk_arena_calloc(A(c), (n ? n : 1) * sizeof(*s->shapes));
    s->nshapes = n;
    c->shape_nodes = cbk_xcalloc(n ? n : 1, sizeof(*c->shape_nodes));
    c->shape_ok = cbk_xcalloc(n ? n : 1, sizeof(*c->shape_ok));
    const char **names = cbk_xcalloc(n ? n : 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const struct cbk_ynode *k = shapes->keys[i], *v = shapes->items[i];
        struct cbk_shape *sh = &s->shapes[i];
        sh->name = cbk_arena_strdup(A(c), k->str);
        sh->line = k->line;
        sh->column = k->col;
        names[i] = sh->name;
        c->shape_nodes[i] = v;
        size_t mk = cbk_ypath_push(&c->path, k->str);
        if (!valid_name(k->str))
            rc = cbk_y_error(&c->ck, k, P(c),
                             "invalid shape name '%s' (expected letters, digits and '_', not "
                             "starting with a digit)",
                             k->str);
        if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
            cbk_ypath_pop(&c->path, mk);
            continue;
        }
        const struct cbk_ynode *t = cbk_y_require(&c->ck, v, P(c), "type");
        const char *ts;
        if (t) {
            size_t mt = cbk_ypath_push(&c->path, "type");
            if (cbk_y_str(&c->ck, t, P(c), &ts) == 0) {
                int ty = type_from_name(ts);
                if (ty < 0) {
                    rc = cbk_y_error(&c->ck, t, P(c),
                                     "unknown type '%s' (expected one of: structure, list, map, "
                                     "string, integer, long, boolean, timestamp, double, float, "
                                     "blob, document)",
                                     ts);
                } else {
                    sh->type = (enum cbk_type)ty;
                    c->shape_ok[i] = true;
                }
            } else {
                rc = -1;
            }
            cbk_ypath_pop(&c->path, mt);
        } else {
            rc = -1;
        }
        cbk_ypath_pop(&c->path, mk);
    }
    /* shape names are unique: the YAML layer rejects duplicate keys */
    size_t dup;
    if (cbk_strtab_build(&s->shape_index, names, n, &dup) != 0)
        rc = cbk_y_error(&c->ck, shapes->keys[dup], P(c), "duplicate shape '%s'", names[dup]);
    free(names);
    cbk_ypath_pop(&c->path, m);
    return rc ? -1 : 0;
}

static struct cbk_shape *find_shape(struct ctx *c, const char *name)
{
    long i = cbk_strtab_find(&c->spec->shape_index, name, strlen(name));
    return i < 0 ? NULL : &c->spec->shapes[i];
}

/* Resolve a reference node (a scalar naming a shape) or report it. */
static struct cbk_shape *resolve_ref(struct ctx *c, const struct cbk_ynode *ref, bool *known)
{
    const char *name;
    *known = false;
    if (cbk_y_str(&c->ck, ref, P(c), &name) != 0)
        return NULL;
    struct cbk_shape *sh = find_shape(c, name);
    if (!sh) {
        cbk_y_error(&c->ck, ref, P(c), "unknown shape '%s'", name);
        return NULL;
    }
    *known = c->shape_ok[sh - c->spec->shapes];
    return sh;
}

/* ---- constraints ------------------------------------------------------------------------- */

static bool type_has_minmax(enum cbk_type t)
{
    return t == CBK_TYPE_STRING || t == CBK_TYPE_BLOB || t == CBK_TYPE_LIST || t == CBK_TYPE_MAP ||
           t == CBK_TYPE_INTEGER || t == CBK_TYPE_LONG || t == CBK_TYPE_DOUBLE ||
           t == CBK_TYPE_FLOAT;
}

/*
 * Read min/max/enum/pattern from 'map' into 'out' (which starts as the inherited
 * constraints) for a value of type 't'. 'where' names the thing for "does not apply"
 * messages. Returns -1 after reporting problems.
 */
static int load_constraints(struct ctx *c, const struct cbk_ynode *map, enum cbk_type t,
                            struct cbk_constraints *out, bool *refined)
{
    int rc = 0;
    static const char *const keys[] = {"min", "max", "enum", "pattern"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(keys); i++) {
        const struct cbk_ynode *v = cbk_y_get(map, keys[i]);
        if (!v)
            continue;
        if (refined)
            *refined = true;
        size_t m = cbk_ypath_push(&c->path, keys[i]);
        bool applies = i < 2 ? type_has_minmax(t) : t == CBK_TYPE_STRING;
        if (!applies) {
            rc = cbk_y_error(&c->ck, v, P(c), "'%s' does not apply to %s %s", keys[i],
                             t == CBK_TYPE_INTEGER ? "an" : "a", cbk_type_name(t));
            cbk_ypath_pop(&c->path, m);
            continue;
        }
        if (i < 2) {
            bool is_min = i == 0;
            if (t == CBK_TYPE_DOUBLE || t == CBK_TYPE_FLOAT) {
                double d;
                if (cbk_y_double(&c->ck, v, P(c), &d) == 0) {
                    if (is_min) {
                        out->has_min = true;
                        out->dmin = d;
                    } else {
                        out->has_max = true;
                        out->dmax = d;
                    }
                } else {
                    rc = -1;
                }
            } else {
                int64_t lo = 0, hi = INT64_MAX;
                if (t == CBK_TYPE_INTEGER) {
                    lo = INT32_MIN;
                    hi = INT32_MAX;
                } else if (t == CBK_TYPE_LONG) {
                    lo = INT64_MIN;
                }
                int64_t x;
                if (cbk_y_int(&c->ck, v, P(c), lo, hi, &x) == 0) {
                    if (is_min) {
                        out->has_min = true;
                        out->min = x;
                    } else {
                        out->has_max = true;
                        out->max = x;
                    }
                } else {
                    rc = -1;
                }
            }
        } else if (i == 2) {
            if (cbk_y_expect(&c->ck, v, CBK_Y_SEQ, P(c)) != 0) {
                rc = -1;
            } else {
                const char **vals = cbk_arena_calloc(A(c), (v->n + 1) * sizeof(char *));
                bool ok = true;
                for (size_t j = 0; j < v->n; j++) {
                    size_t mj = cbk_ypath_push_index(&c->path, j);
                    const char *s;
                    if (cbk_y_str(&c->ck, v->items[j], P(c), &s) != 0) {
                        ok = false;
                    } else {
                        vals[j] = cbk_arena_strndup(A(c), s, v->items[j]->len);
                        for (size_t k = 0; k < j; k++)
                            if (vals[k] && strcmp(vals[k], vals[j]) == 0) {
                                cbk_y_error(&c->ck, v->items[j], P(c),
                                            "duplicate enum value '%s' (also item %zu)", vals[j],
                                            k);
                                ok = false;
                                break;
                            }
                    }
                    cbk_ypath_pop(&c->path, mj);
                }
                if (v->n == 0) {
                    cbk_y_error(&c->ck, v, P(c), "an enum needs at least one value");
                    ok = false;
                }
                if (ok) {
                    struct cbk_strtab *tab = new_tab(c);
                    size_t dup;
                    cbk_strtab_build(tab, vals, v->n, &dup);
                    out->enum_values = vals;
                    out->enum_count = v->n;
                    out->enum_index = tab;
                } else {
                    rc = -1;
                }
            }
        } else {
            const char *pat;
            if (cbk_y_str(&c->ck, v, P(c), &pat) != 0) {
                rc = -1;
            } else {
                char msg[256];
                size_t off = 0;
                struct cbk_regex *re =
                    cbk_regex_compile(pat, v->len, CBK_SPEC_RE_FLAGS, msg, sizeof msg, &off);
                if (!re) {
                    rc = cbk_y_error(&c->ck, v, P(c),
                                     "invalid regular expression at offset %zu: %s", off, msg);
                } else {
                    cbk__spec_add_code(c->spec, re);
                    out->pattern = cbk_arena_strndup(A(c), pat, v->len);
                    out->re = re;
                }
            }
        }
        cbk_ypath_pop(&c->path, m);
    }
    return rc;
}

/* min <= max, reported at 'at'. */
static int check_bounds(struct ctx *c, const struct cbk_ynode *at, enum cbk_type t,
                        const struct cbk_constraints *k)
{
    if (!k->has_min || !k->has_max)
        return 0;
    if (t == CBK_TYPE_DOUBLE || t == CBK_TYPE_FLOAT) {
        if (k->dmin > k->dmax)
            return cbk_y_error(&c->ck, at, P(c), "min %g is greater than max %g", k->dmin, k->dmax);
        return 0;
    }
    if (k->min > k->max)
        return cbk_y_error(&c->ck, at, P(c), "min %" PRId64 " is greater than max %" PRId64, k->min,
                           k->max);
    return 0;
}

/* ---- pass 3: each shape's own keys ---------------------------------------------------- */

static const char *const common_shape_keys[] = {"type", "documentation", "source", "sensitive",
                                                "deprecated"};

static bool key_applies(enum cbk_type t, const char *key)
{
    for (size_t i = 0; i < CBK_ARRAY_SIZE(common_shape_keys); i++)
        if (strcmp(key, common_shape_keys[i]) == 0)
            return true;
    if (t == CBK_TYPE_STRUCTURE)
        return !strcmp(key, "members") || !strcmp(key, "required") || !strcmp(key, "exception") ||
               !strcmp(key, "error") || !strcmp(key, "union");
    if (t == CBK_TYPE_TIMESTAMP)
        return !strcmp(key, "timestampFormat");
    if (t == CBK_TYPE_LIST)
        return !strcmp(key, "member") || !strcmp(key, "min") || !strcmp(key, "max");
    if (t == CBK_TYPE_MAP)
        return !strcmp(key, "key") || !strcmp(key, "value") || !strcmp(key, "min") ||
               !strcmp(key, "max");
    if (t == CBK_TYPE_STRING)
        return !strcmp(key, "min") || !strcmp(key, "max") || !strcmp(key, "enum") ||
               !strcmp(key, "pattern");
    if (type_has_minmax(t))
        return !strcmp(key, "min") || !strcmp(key, "max");
    return false;
}

static const char *const all_shape_keys[] = {
    "type",      "documentation", "source",  "sensitive",       "deprecated", "members", "required",
    "exception", "error",         "union",   "member",          "key",        "value",   "min",
    "max",       "enum",          "pattern", "timestampFormat", NULL};

static int check_shape_keys(struct ctx *c, const struct cbk_ynode *v, enum cbk_type t)
{
    int rc = 0;
    for (size_t i = 0; i < v->n; i++) {
        const struct cbk_ynode *k = v->keys[i];
        bool known = false;
        for (size_t j = 0; all_shape_keys[j]; j++)
            if (strcmp(k->str, all_shape_keys[j]) == 0)
                known = true;
        if (!known) {
            struct cbk_buf list = CBK_BUF_INIT(4096);
            size_t n = 0;
            for (size_t j = 0; all_shape_keys[j]; j++)
                if (key_applies(t, all_shape_keys[j]))
                    cbk_buf_addf(&list, "%s%s", n++ ? ", " : "", all_shape_keys[j]);
            rc = cbk_y_error(&c->ck, k, P(c), "unknown key '%s' (expected one of: %s)", k->str,
                             cbk_buf_str(&list));
            cbk_buf_release(&list);
        } else if (!key_applies(t, k->str) && strcmp(k->str, "min") && strcmp(k->str, "max") &&
                   strcmp(k->str, "enum") && strcmp(k->str, "pattern")) {
            /* constraint keys get their own "does not apply" message in load_constraints */
            rc = cbk_y_error(&c->ck, k, P(c), "'%s' does not apply to %s %s", k->str,
                             t == CBK_TYPE_INTEGER ? "an" : "a", cbk_type_name(t));
        }
    }
    return rc;
}

static int load_shape_own(struct ctx *c, size_t i)
{
    struct cbk_shape *sh = &c->spec->shapes[i];
    const struct cbk_ynode *v = c->shape_nodes[i];
    int rc = 0;
    rc |= check_shape_keys(c, v, sh->type);
    rc |= opt_str(c, v, "documentation", &sh->documentation);
    rc |= opt_sources(c, v, &sh->sources);
    rc |= opt_bool(c, v, "sensitive", &sh->sensitive);
    rc |= opt_bool(c, v, "deprecated", &sh->deprecated);
    rc |= load_constraints(c, v, sh->type, &sh->c, NULL);
    rc |= check_bounds(c, v, sh->type, &sh->c);
    if (sh->type == CBK_TYPE_TIMESTAMP) {
        const char *f = NULL;
        rc |= opt_str(c, v, "timestampFormat", &f);
        if (f && strcmp(f, "unixTimestamp") == 0) {
            sh->ts_format = CBK_TS_EPOCH_SECONDS;
        } else if (f && strcmp(f, "iso8601") == 0) {
            sh->ts_format = CBK_TS_ISO8601;
        } else if (f && strcmp(f, "rfc822") == 0) {
            sh->ts_format = CBK_TS_RFC822;
        } else if (f) {
            size_t m = cbk_ypath_push(&c->path, "timestampFormat");
            rc = cbk_y_error(&c->ck, cbk_y_get(v, "timestampFormat"), P(c),
                             "unknown timestampFormat '%s' (expected one of: unixTimestamp, "
                             "iso8601, rfc822)",
                             f);
            cbk_ypath_pop(&c->path, m);
        }
    }
    if (sh->type == CBK_TYPE_STRUCTURE) {
        rc |= opt_bool(c, v, "union", &sh->is_union);
        rc |= opt_bool(c, v, "exception", &sh->exception);
        sh->http_status = 400;
        sh->sender_fault = true;
        sh->error_code = sh->name;
        const struct cbk_ynode *e = cbk_y_get(v, "error");
        if (e) {
            size_t m = cbk_ypath_push(&c->path, "error");
            static const char *const ekeys[] = {"httpStatusCode", "senderFault", "code", NULL};
            if (!sh->exception) {
                rc = cbk_y_error(&c->ck, e, P(c), "'error' requires 'exception: true'");
            } else if (cbk_y_expect(&c->ck, e, CBK_Y_MAP, P(c)) != 0) {
                rc = -1;
            } else {
                rc |= cbk_y_check_keys(&c->ck, e, P(c), ekeys);
                const struct cbk_ynode *st = cbk_y_get(e, "httpStatusCode");
                if (st) {
                    size_t ms = cbk_ypath_push(&c->path, "httpStatusCode");
                    int64_t code;
                    if (cbk_y_int(&c->ck, st, P(c), 400, 599, &code) == 0)
                        sh->http_status = (int)code;
                    else
                        rc = -1;
                    cbk_ypath_pop(&c->path, ms);
                }
                if (cbk_y_get(e, "senderFault"))
                    rc |= opt_bool(c, e, "senderFault", &sh->sender_fault);
                const char *code = NULL;
                rc |= opt_str(c, e, "code", &code);
                if (code)
                    sh->error_code = code;
            }
            cbk_ypath_pop(&c->path, m);
        }
    }
    return rc ? -1 : 0;
}

/* ---- pass 4: members ----------------------------------------------------------------------- */

static const char *const member_keys[] = {"shape",     "documentation", "source", "deprecated",
                                          "sensitive", "min",           "max",    "enum",
                                          "pattern",   "volatile",      NULL};

/* Fill 'm' from the member mapping 'v' (path already pushed). */
static int load_member(struct ctx *c, const struct cbk_ynode *v, const char *name,
                       struct cbk_member *m, const struct cbk_ynode *name_node)
{
    m->name = cbk_arena_strdup(A(c), name);
    m->name_len = strlen(name);
    m->line = name_node ? name_node->line : v->line;
    m->column = name_node ? name_node->col : v->col;
    static const char *const none[] = {NULL};
    m->sources = none;
    if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(&c->ck, v, P(c), member_keys);
    const struct cbk_ynode *ref = cbk_y_require(&c->ck, v, P(c), "shape");
    bool known = false;
    if (ref) {
        size_t mk = cbk_ypath_push(&c->path, "shape");
        m->shape = resolve_ref(c, ref, &known);
        if (!m->shape)
            rc = -1;
        cbk_ypath_pop(&c->path, mk);
    } else {
        rc = -1;
    }
    rc |= opt_str(c, v, "documentation", &m->documentation);
    rc |= opt_sources(c, v, &m->sources);
    rc |= opt_bool(c, v, "deprecated", &m->deprecated);
    rc |= opt_bool(c, v, "sensitive", &m->sensitive);
    rc |= opt_bool(c, v, "volatile", &m->is_volatile);
    if (m->shape && known) {
        m->sensitive = m->sensitive || m->shape->sensitive;
        m->c = m->shape->c;
        rc |= load_constraints(c, v, m->shape->type, &m->c, &m->refined);
        rc |= check_bounds(c, v, m->shape->type, &m->c);
    }
    return rc ? -1 : 0;
}

static int load_part(struct ctx *c, const struct cbk_ynode *v, const char *key,
                     const struct cbk_member **out, bool must_be_string)
{
    const struct cbk_ynode *pv = cbk_y_require(&c->ck, v, P(c), key);
    if (!pv)
        return -1;
    size_t m = cbk_ypath_push(&c->path, key);
    struct cbk_member *mem = cbk_arena_calloc(A(c), sizeof(*mem));
    int rc = load_member(c, pv, key, mem, NULL);
    if (rc == 0 && must_be_string && mem->shape->type != CBK_TYPE_STRING)
        rc = cbk_y_error(&c->ck, pv, P(c), "map keys must be a string shape, not '%s' (%s)",
                         mem->shape->name, cbk_type_name(mem->shape->type));
    cbk_ypath_pop(&c->path, m);
    *out = mem;
    return rc;
}

static int load_shape_members(struct ctx *c, size_t i)
{
    struct cbk_shape *sh = &c->spec->shapes[i];
    const struct cbk_ynode *v = c->shape_nodes[i];
    int rc = 0;
    if (sh->type == CBK_TYPE_LIST)
        return load_part(c, v, "member", &sh->member, false);
    if (sh->type == CBK_TYPE_MAP) {
        rc |= load_part(c, v, "key", &sh->key, true);
        rc |= load_part(c, v, "value", &sh->value, false);
        return rc ? -1 : 0;
    }
    if (sh->type != CBK_TYPE_STRUCTURE)
        return 0;

    const struct cbk_ynode *mem = cbk_y_get(v, "members");
    struct cbk_member *members = NULL;
    size_t n = 0;
    if (mem && !cbk_y_is_null(mem)) {
        size_t m = cbk_ypath_push(&c->path, "members");
        if (cbk_y_expect(&c->ck, mem, CBK_Y_MAP, P(c)) != 0) {
            cbk_ypath_pop(&c->path, m);
            return -1;
        }
        n = mem->n;
        members = cbk_arena_calloc(A(c), (n ? n : 1) * sizeof(*members));
        for (size_t j = 0; j < n; j++) {
            size_t mj = cbk_ypath_push(&c->path, mem->keys[j]->str);
            if (!mem->keys[j]->len)
                rc = cbk_y_error(&c->ck, mem->keys[j], P(c), "member names must not be empty");
            rc |= load_member(c, mem->items[j], mem->keys[j]->str, &members[j], mem->keys[j]);
            members[j].index = (unsigned)j;
            cbk_ypath_pop(&c->path, mj);
        }
        cbk_ypath_pop(&c->path, m);
    }
    sh->members = members;
    sh->member_count = n;
    const char **names = cbk_xcalloc(n ? n : 1, sizeof(char *));
    for (size_t j = 0; j < n; j++)
        names[j] = members[j].name;
    struct cbk_strtab *tab = new_tab(c);
    size_t dup;
    cbk_strtab_build(tab, names, n, &dup); /* names are unique: YAML keys */
    free(names);
    sh->member_index = tab;

    const struct cbk_ynode *req = cbk_y_get(v, "required");
    if (req) {
        size_t m = cbk_ypath_push(&c->path, "required");
        if (cbk_y_expect(&c->ck, req, CBK_Y_SEQ, P(c)) != 0) {
            rc = -1;
        } else {
            for (size_t j = 0; j < req->n; j++) {
                size_t mj = cbk_ypath_push_index(&c->path, j);
                const char *name;
                if (cbk_y_str(&c->ck, req->items[j], P(c), &name) != 0) {
                    rc = -1;
                } else {
                    long idx = cbk_strtab_find(tab, name, strlen(name));
                    if (idx < 0) {
                        rc = cbk_y_error(&c->ck, req->items[j], P(c),
                                         "required member '%s' is not a member of '%s'", name,
                                         sh->name);
                    } else if (members[idx].required) {
                        rc = cbk_y_error(&c->ck, req->items[j], P(c),
                                         "member '%s' is listed as required twice", name);
                    } else {
                        members[idx].required = true;
                        sh->required_count++;
                    }
                }
                cbk_ypath_pop(&c->path, mj);
            }
        }
        cbk_ypath_pop(&c->path, m);
    }
    return rc ? -1 : 0;
}

/* ---- pass 5: operations --------------------------------------------------------------------- */

static const char *const op_keys[] = {"input",  "output",     "errors", "documentation",
                                      "source", "deprecated", NULL};

static const struct cbk_shape *op_shape_ref(struct ctx *c, const struct cbk_ynode *v,
                                            const char *key, int *rc)
{
    const struct cbk_ynode *ref = cbk_y_get(v, key);
    if (!ref)
        return NULL;
    size_t m = cbk_ypath_push(&c->path, key);
    bool known;
    const struct cbk_shape *sh = resolve_ref(c, ref, &known);
    if (!sh) {
        *rc = -1;
    } else if (known && sh->type != CBK_TYPE_STRUCTURE) {
        *rc = cbk_y_error(&c->ck, ref, P(c), "%s shape '%s' must be a structure, not a %s", key,
                          sh->name, cbk_type_name(sh->type));
        sh = NULL;
    } else if (known && sh->exception) {
        *rc = cbk_y_error(&c->ck, ref, P(c), "%s shape '%s' is an exception", key, sh->name);
    }
    cbk_ypath_pop(&c->path, m);
    return sh;
}

static int load_operations(struct ctx *c, const struct cbk_ynode *root)
{
    const struct cbk_ynode *ops = cbk_y_require(&c->ck, root, "", "operations");
    if (!ops)
        return -1;
    size_t m = cbk_ypath_push(&c->path, "operations");
    if (cbk_y_expect(&c->ck, ops, CBK_Y_MAP, P(c)) != 0) {
        cbk_ypath_pop(&c->path, m);
        return -1;
    }
    struct cbk_spec *s = c->spec;
    int rc = 0;
    s->ops = cbk_arena_calloc(A(c), (ops->n ? ops->n : 1) * sizeof(*s->ops));
    s->nops = ops->n;
    const char **names = cbk_xcalloc(ops->n ? ops->n : 1, sizeof(char *));
    for (size_t i = 0; i < ops->n; i++) {
        const struct cbk_ynode *k = ops->keys[i], *v = ops->items[i];
        struct cbk_operation *op = &s->ops[i];
        op->name = cbk_arena_strdup(A(c), k->str);
        op->spec = s;
        op->line = k->line;
        op->column = k->col;
        names[i] = op->name;
        static const char *const none[] = {NULL};
        op->sources = none;
        size_t mk = cbk_ypath_push(&c->path, k->str);
        if (!valid_name(k->str))
            rc = cbk_y_error(&c->ck, k, P(c), "invalid operation name '%s'", k->str);
        if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
            cbk_ypath_pop(&c->path, mk);
            continue;
        }
        rc |= cbk_y_check_keys(&c->ck, v, P(c), op_keys);
        if (!cbk_y_get(v, "input"))
            rc = cbk_y_error(&c->ck, k, P(c), "missing required key 'input'");
        op->input = op_shape_ref(c, v, "input", &rc);
        op->output = op_shape_ref(c, v, "output", &rc);
        if (!op->output)
            op->output = &s->empty_output;
        rc |= opt_str(c, v, "documentation", &op->documentation);
        rc |= opt_sources(c, v, &op->sources);
        rc |= opt_bool(c, v, "deprecated", &op->deprecated);
        const struct cbk_ynode *errs = cbk_y_get(v, "errors");
        if (errs) {
            size_t me = cbk_ypath_push(&c->path, "errors");
            if (cbk_y_expect(&c->ck, errs, CBK_Y_SEQ, P(c)) != 0) {
                rc = -1;
            } else {
                const struct cbk_shape **list =
                    cbk_arena_calloc(A(c), (errs->n + 1) * sizeof(*list));
                size_t ne = 0;
                for (size_t j = 0; j < errs->n; j++) {
                    size_t mj = cbk_ypath_push_index(&c->path, j);
                    bool known;
                    const struct cbk_shape *e = resolve_ref(c, errs->items[j], &known);
                    if (!e) {
                        rc = -1;
                    } else if (known && !e->exception) {
                        rc = cbk_y_error(&c->ck, errs->items[j], P(c),
                                         "error shape '%s' is not marked 'exception: true'",
                                         e->name);
                    } else {
                        for (size_t q = 0; q < ne; q++)
                            if (list[q] == e)
                                rc = cbk_y_error(&c->ck, errs->items[j], P(c),
                                                 "error '%s' is listed twice", e->name);
                        list[ne++] = e;
                    }
                    cbk_ypath_pop(&c->path, mj);
                }
                op->errors = list;
                op->error_count = ne;
            }
            cbk_ypath_pop(&c->path, me);
        }
        cbk_ypath_pop(&c->path, mk);
    }
    size_t dup;
    if (cbk_strtab_build(&s->op_index, names, ops->n, &dup) != 0)
        rc = cbk_y_error(&c->ck, ops->keys[dup], P(c), "duplicate operation '%s'", names[dup]);
    free(names);
    cbk_ypath_pop(&c->path, m);
    return rc ? -1 : 0;
}

/* ---- pass 6: paginators ------------------------------------------------------------------ */

/* Items per page when neither the request nor the spec says (docs/spec-format.md). */
#define DEFAULT_PAGE_SIZE 100

static const char *const pag_keys[] = {"inputToken", "outputToken", "limitKey", "resultKeys",
                                       "pageSize",   "source",      NULL};

/* The member of structure 'sh' that scalar 'node' names, or NULL after reporting it. */
static const struct cbk_member *pag_member(struct ctx *c, const struct cbk_ynode *node,
                                           const struct cbk_shape *sh, const char *what, int *rc)
{
    const char *name;
    if (cbk_y_str(&c->ck, node, P(c), &name) != 0) {
        *rc = -1;
        return NULL;
    }
    const struct cbk_member *m = cbk_shape_member(sh, name, node->len);
    if (!m) {
        *rc = cbk_y_error(&c->ck, node, P(c), "'%s' is not a member of the %s shape '%s'", name,
                          what, sh->name);
    } else if (!m->shape) {
        *rc = -1; /* a member whose target did not resolve: its own error is reported */
        m = NULL;
    }
    return m;
}

/* A required key of a paginator naming a member of 'sh'. */
static const struct cbk_member *pag_key(struct ctx *c, const struct cbk_ynode *v, const char *key,
                                        const struct cbk_shape *sh, const char *what, int *rc)
{
    const struct cbk_ynode *n = cbk_y_require(&c->ck, v, P(c), key);
    if (!n) {
        *rc = -1;
        return NULL;
    }
    size_t m = cbk_ypath_push(&c->path, key);
    const struct cbk_member *mem = pag_member(c, n, sh, what, rc);
    cbk_ypath_pop(&c->path, m);
    return mem;
}

/* resultKeys: one member name or a non-empty list of them, members of 'out'. */
static int pag_result_keys(struct ctx *c, const struct cbk_ynode *v, const struct cbk_shape *out,
                           struct cbk_paginator *p)
{
    const struct cbk_ynode *n = cbk_y_require(&c->ck, v, P(c), "resultKeys");
    if (!n)
        return -1;
    size_t m = cbk_ypath_push(&c->path, "resultKeys");
    int rc = 0;
    const struct cbk_ynode *one[1] = {n};
    const struct cbk_ynode *const *items = one;
    size_t count = 1;
    if (n->kind == CBK_Y_SEQ) {
        items = (const struct cbk_ynode *const *)n->items;
        count = n->n;
        if (!count)
            rc = cbk_y_error(&c->ck, n, P(c), "resultKeys needs at least one member");
    }
    const struct cbk_member **list = cbk_arena_calloc(A(c), (count + 1) * sizeof(*list));
    size_t k = 0;
    for (size_t i = 0; i < count; i++) {
        size_t mi = n->kind == CBK_Y_SEQ ? cbk_ypath_push_index(&c->path, i) : c->path.len;
        const struct cbk_member *mem = pag_member(c, items[i], out, "output", &rc);
        for (size_t j = 0; mem && j < k; j++)
            if (list[j] == mem)
                rc = cbk_y_error(&c->ck, items[i], P(c), "'%s' is listed twice", mem->name);
        if (mem)
            list[k++] = mem;
        cbk_ypath_pop(&c->path, mi);
    }
    cbk_ypath_pop(&c->path, m);
    p->result_keys = list;
    p->result_key_count = k;
    return rc;
}

/* pageSize, or the default: DEFAULT_PAGE_SIZE within the limit member's min..max. */
static int pag_page_size(struct ctx *c, const struct cbk_ynode *v, struct cbk_paginator *p)
{
    const struct cbk_constraints *lc = p->limit_key ? &p->limit_key->c : NULL;
    int64_t lo = 1, hi = INT32_MAX;
    if (lc && lc->has_min && lc->min > lo)
        lo = lc->min;
    if (lc && lc->has_max && lc->max < hi)
        hi = lc->max;
    const struct cbk_ynode *n = cbk_y_get(v, "pageSize");
    if (!n) {
        p->page_size = CBK_MIN(CBK_MAX((int64_t)DEFAULT_PAGE_SIZE, lo), CBK_MAX(hi, 1));
        return 0;
    }
    size_t m = cbk_ypath_push(&c->path, "pageSize");
    int64_t x = 0;
    int rc = cbk_y_int(&c->ck, n, P(c), 1, INT32_MAX, &x);
    if (rc == 0 && (x < lo || x > hi))
        rc = cbk_y_error(&c->ck, n, P(c),
                         "pageSize %" PRId64 " is outside the range of limit member '%s' "
                         "(%" PRId64 "..%" PRId64 ")",
                         x, p->limit_key->name, lo, hi);
    if (rc == 0)
        p->page_size = x;
    cbk_ypath_pop(&c->path, m);
    return rc;
}

static int load_paginators(struct ctx *c, const struct cbk_ynode *root)
{
    const struct cbk_ynode *pg = cbk_y_get(root, "paginators");
    if (!pg)
        return 0;
    size_t m = cbk_ypath_push(&c->path, "paginators");
    if (cbk_y_expect(&c->ck, pg, CBK_Y_MAP, P(c)) != 0) {
        cbk_ypath_pop(&c->path, m);
        return -1;
    }
    struct cbk_spec *s = c->spec;
    int rc = 0;
    for (size_t i = 0; i < pg->n; i++) {
        const struct cbk_ynode *k = pg->keys[i], *v = pg->items[i];
        size_t mk = cbk_ypath_push(&c->path, k->str);
        long oi = cbk_strtab_find(&s->op_index, k->str, k->len);
        struct cbk_operation *op = oi < 0 ? NULL : &s->ops[oi];
        if (!op) {
            rc = cbk_y_error(&c->ck, k, P(c), "unknown operation '%s'", k->str);
        } else if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
        } else if (!op->input) {
            rc = -1; /* the operation's own error is reported */
        } else {
            struct cbk_paginator *p = cbk_arena_calloc(A(c), sizeof(*p));
            int prc = cbk_y_check_keys(&c->ck, v, P(c), pag_keys);
            p->line = k->line;
            p->column = k->col;
            prc |= opt_sources(c, v, &p->sources);
            p->input_token = pag_key(c, v, "inputToken", op->input, "input", &prc);
            p->output_token = pag_key(c, v, "outputToken", op->output, "output", &prc);
            if (cbk_y_get(v, "limitKey")) {
                p->limit_key = pag_key(c, v, "limitKey", op->input, "input", &prc);
                if (p->limit_key && p->limit_key->shape->type != CBK_TYPE_INTEGER &&
                    p->limit_key->shape->type != CBK_TYPE_LONG) {
                    size_t ml = cbk_ypath_push(&c->path, "limitKey");
                    prc = cbk_y_error(&c->ck, cbk_y_get(v, "limitKey"), P(c),
                                      "limit member '%s' must be an integer, not a %s",
                                      p->limit_key->name, cbk_type_name(p->limit_key->shape->type));
                    cbk_ypath_pop(&c->path, ml);
                    p->limit_key = NULL;
                }
            }
            prc |= pag_result_keys(c, v, op->output, p);
            if (prc == 0)
                prc = pag_page_size(c, v, p);
            if (prc == 0)
                op->paginator = p;
            else
                rc = -1;
        }
        cbk_ypath_pop(&c->path, mk);
    }
    cbk_ypath_pop(&c->path, m);
    return rc ? -1 : 0;
}

/* Warn about shapes no operation reaches (lint). */
static void warn_unreachable(struct ctx *c)
{
    struct cbk_spec *s = c->spec;
    bool *seen = cbk_xcalloc(s->nshapes ? s->nshapes : 1, sizeof(bool));
    const struct cbk_shape **stack = cbk_xcalloc(s->nshapes + 1, sizeof(*stack));
    size_t sp = 0;
#define VISIT(sh)                                                                                  \
    do {                                                                                           \
        const struct cbk_shape *v_ = (sh);                                                         \
        if (v_ && v_ != &s->empty_output && !seen[v_ - s->shapes]) {                               \
            seen[v_ - s->shapes] = true;                                                           \
            stack[sp++] = v_;                                                                      \
        }                                                                                          \
    } while (0)
    for (size_t i = 0; i < s->nops; i++) {
        VISIT(s->ops[i].input);
        VISIT(s->ops[i].output);
        for (size_t j = 0; j < s->ops[i].error_count; j++)
            VISIT(s->ops[i].errors[j]);
    }
    while (sp) {
        const struct cbk_shape *sh = stack[--sp];
        for (size_t j = 0; j < sh->member_count; j++)
            VISIT(sh->members[j].shape);
        if (sh->member)
            VISIT(sh->member->shape);
        if (sh->key)
            VISIT(sh->key->shape);
        if (sh->value)
            VISIT(sh->value->shape);
    }
#undef VISIT
    for (size_t i = 0; i < s->nshapes; i++)
        if (!seen[i])
            cbk_diags_addf(c->ck.diags, CBK_E_SPEC, CBK_SEV_WARNING, c->ck.file, s->shapes[i].line,
                           s->shapes[i].column, NULL,
                           "shape '%s' is not reachable from any operation", s->shapes[i].name);
    free(stack);
    free(seen);
}

/* ---- entry points ------------------------------------------------------------------------- */

void cbk_spec_free(struct cbk_spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->ntabs; i++) {
        cbk_strtab_release(spec->tabs[i]);
        free(spec->tabs[i]);
    }
    free(spec->tabs);
    for (size_t i = 0; i < spec->ncodes; i++)
        cbk_regex_free(spec->codes[i]);
    free(spec->codes);
    cbk_strtab_release(&spec->shape_index);
    cbk_strtab_release(&spec->op_index);
    cbk_arena_release(&spec->arena);
    free(spec->file);
    free(spec);
}

enum cbk_code cbk_spec_load_buffer(const char *buf, size_t len, const char *file,
                                   struct cbk_spec **out, struct cbk_diags *diags)
{
    *out = NULL;
    if (!file)
        file = "<spec>";
    if (len > SPEC_MAX_BYTES) {
        cbk_file_too_large(diags, file, "spec", SPEC_MAX_BYTES);
        return CBK_E_LIMIT;
    }
    struct cbk_ydoc *doc = NULL;
    enum cbk_code rc =
        cbk_yaml_parse(buf, len, file, SPEC_MAX_DEPTH, CBK_E_SPEC_PARSE, &doc, diags);
    if (rc != CBK_OK)
        return rc;

    struct cbk_spec *spec = cbk__spec_new(file);

    struct ctx c = {0};
    c.spec = spec;
    c.ck.file = spec->file;
    c.ck.diags = diags;
    c.ck.code = CBK_E_SPEC;
    cbk_buf_init(&c.path, 1 << 16);

    size_t errors_before = cbk_diags_error_count(diags);
    const struct cbk_ynode *root = doc->root;
    if (!root) {
        cbk_diags_addf(diags, CBK_E_SPEC, CBK_SEV_ERROR, file, 1, 1, NULL,
                       "the spec is empty (expected a mapping with cbkit-spec, metadata, "
                       "operations and shapes)");
    } else if (cbk_y_expect(&c.ck, root, CBK_Y_MAP, "") == 0) {
        cbk_y_check_keys(&c.ck, root, "", top_keys);
        const struct cbk_ynode *ver = cbk_y_require(&c.ck, root, "", "cbkit-spec");
        int64_t v;
        if (ver && cbk_y_int(&c.ck, ver, "cbkit-spec", 1, 1, &v) != 0) {
            /* reported; the message says which versions exist */
        }
        const char *doc_text;
        opt_str(&c, root, "documentation", &doc_text);
        load_metadata(&c, root);
        load_sources(&c, root);
        if (declare_shapes(&c, root) == 0 || c.shape_nodes) {
            size_t m = cbk_ypath_push(&c.path, "shapes");
            for (size_t i = 0; i < spec->nshapes; i++) {
                if (!c.shape_ok[i])
                    continue;
                size_t mi = cbk_ypath_push(&c.path, spec->shapes[i].name);
                load_shape_own(&c, i);
                cbk_ypath_pop(&c.path, mi);
            }
            for (size_t i = 0; i < spec->nshapes; i++) {
                if (!c.shape_ok[i])
                    continue;
                size_t mi = cbk_ypath_push(&c.path, spec->shapes[i].name);
                load_shape_members(&c, i);
                cbk_ypath_pop(&c.path, mi);
            }
            cbk_ypath_pop(&c.path, m);
        }
        load_operations(&c, root);
        load_paginators(&c, root);
    }

    bool failed = cbk_diags_error_count(diags) > errors_before;
    if (!failed)
        warn_unreachable(&c);
    free(c.shape_nodes);
    free(c.shape_ok);
    cbk_buf_release(&c.path);
    cbk_ydoc_free(doc);
    if (failed) {
        cbk_spec_free(spec);
        return CBK_E_SPEC;
    }
    *out = spec;
    return CBK_OK;
}

enum cbk_code cbk_spec_load_file(const char *path, struct cbk_spec **out, struct cbk_diags *diags)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    enum cbk_code rc = cbk_file_read(path, SPEC_MAX_BYTES, "spec", &buf, &len, diags);
    if (rc == CBK_OK)
        rc = cbk_spec_load_buffer(buf, len, path, out, diags);
    free(buf);
    return rc;
}

const char *cbk_spec_bundled_text(size_t *len)
{
    if (len)
        *len = cbk__bundled_spec_len;
    return (const char *)cbk__bundled_spec;
}

const char *cbk_spec_bundled_name(void)
{
    return "spec/codebuild/2016-10-06.yaml";
}

bool cbk__spec_bundled_image(const unsigned char **img, size_t *len)
{
    *img = cbk__bundled_image;
    *len = cbk__bundled_image_len;
    return cbk__bundled_image_len > 0;
}

enum cbk_code cbk_spec_load_bundled(struct cbk_spec **out, struct cbk_diags *diags)
{
    /* the image the build made from the same YAML, which compiled without a diagnostic
     * (spec/tools/spec_image_gen.c refuses otherwise); the YAML when there is none */
    if (cbk__bundled_image_len > 0 &&
        cbk__spec_image_load(cbk__bundled_image, cbk__bundled_image_len, cbk_spec_bundled_name(),
                             out) == CBK_OK)
        return CBK_OK;
    return cbk_spec_load_buffer((const char *)cbk__bundled_spec, cbk__bundled_spec_len,
                                cbk_spec_bundled_name(), out, diags);
}

/* ---- reading ---------------------------------------------------------------------------- */

const char *cbk_spec_file(const struct cbk_spec *spec)
{
    return spec->file;
}

const struct cbk_metadata *cbk_spec_metadata(const struct cbk_spec *spec)
{
    return &spec->meta;
}

const struct cbk_operation *cbk_spec_op_n(const struct cbk_spec *spec, const char *name, size_t len)
{
    long i = cbk_strtab_find(&spec->op_index, name, len);
    return i < 0 ? NULL : &spec->ops[i];
}

const struct cbk_operation *cbk_spec_op(const struct cbk_spec *spec, const char *name)
{
    return cbk_spec_op_n(spec, name, strlen(name));
}

const struct cbk_shape *cbk_spec_shape(const struct cbk_spec *spec, const char *name)
{
    long i = cbk_strtab_find(&spec->shape_index, name, strlen(name));
    return i < 0 ? NULL : &spec->shapes[i];
}

/* Levenshtein distance of a and b ignoring ASCII case; names longer than 128 give SIZE_MAX. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 128 || m > 128)
        return SIZE_MAX;
    size_t row[129];
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            row[j] = CBK_MIN(CBK_MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            diag = up;
        }
    }
    return row[m];
}

const struct cbk_operation *cbk_spec_op_suggest(const struct cbk_spec *spec, const char *name)
{
    size_t limit = CBK_MIN(CBK_MAX(strlen(name) / 3, (size_t)1), (size_t)3);
    const struct cbk_operation *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < spec->nops; i++) {
        size_t d = edit_distance(name, spec->ops[i].name);
        if (d <= limit && d < best_d) {
            best = &spec->ops[i];
            best_d = d;
        }
    }
    return best;
}

size_t cbk_spec_op_count(const struct cbk_spec *spec)
{
    return spec->nops;
}

const struct cbk_operation *cbk_spec_op_at(const struct cbk_spec *spec, size_t i)
{
    return i < spec->nops ? &spec->ops[i] : NULL;
}

size_t cbk_spec_shape_count(const struct cbk_spec *spec)
{
    return spec->nshapes;
}

const struct cbk_shape *cbk_spec_shape_at(const struct cbk_spec *spec, size_t i)
{
    return i < spec->nshapes ? &spec->shapes[i] : NULL;
}

size_t cbk_spec_source_count(const struct cbk_spec *spec)
{
    return spec->nsources;
}

const struct cbk_source *cbk_spec_source_at(const struct cbk_spec *spec, size_t i)
{
    return i < spec->nsources ? &spec->sources[i] : NULL;
}

const struct cbk_member *cbk_shape_member(const struct cbk_shape *shape, const char *name,
                                          size_t len)
{
    if (!shape->member_index)
        return NULL;
    long i = cbk_strtab_find(shape->member_index, name, len);
    return i < 0 ? NULL : &shape->members[i];
}

bool cbk_constraints_enum_has(const struct cbk_constraints *c, const char *value, size_t len)
{
    if (!c->enum_index)
        return true;
    return cbk_strtab_find(c->enum_index, value, len) >= 0;
}
