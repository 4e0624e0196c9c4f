/*
 * spec_import.c - `cbkit spec import` (cbkit/spec_tools.h): a botocore service-2.json of an
 * AWS JSON 1.0 or 1.1 service, its paginators-1.json and overlays become a cbkit spec.
 *
 * The model is checked as JSON by the streaming scanner (so that a syntax error has a line
 * and column), read with json-c, and walked into a spec tree (spec_import_internal.h): shape
 * types first, then each shape's traits and members, then references, operations and
 * paginators. Everything the spec loader would refuse is caught here, in the model's terms
 * (a JSON pointer, located in the text), or dropped with a warning when the model is valid but
 * cbkit cannot represent it (a pattern PCRE2 cannot compile). Overlays are merged over the
 * tree (spec_overlay.c), the tree is written as YAML (spec_emit.c) and, unless told not to,
 * compiled once: errors an overlay causes are then moved to the overlay's own lines.
 */
#include "core/setup.h"
#include "spec/spec_import_internal.h"
#include "core/alloc.h"
#include "core/jsonloc.h"
#include "core/jsonptr.h"
#include "core/jsonscan.h"
#include "core/regex.h"
#include "spec/spec_internal.h"

#include <json-c/json.h>
#include <math.h>

#define IMPORT_MAX_BYTES ((size_t)16 << 20) /* a model, a paginators file, an overlay */
#define IMPORT_MAX_DEPTH 64
#define SPEC_MAX_BYTES   ((size_t)64 << 20) /* what the spec loader accepts */
#define LOCATE_MAX       100                /* errors located in the text (each is a scan) */
#define DEFAULT_SOURCE   "model"

/* ---- context and diagnostics ------------------------------------------------------------ */

struct imp {
    const struct cbk_import_input *in; /* the file being read */
    struct cbk_diags *diags;
    struct cbk_ptr ptr; /* JSON pointer of the value being read */
    size_t located;
    int rc; /* -1 once an error was reported */
    enum cbk_docs docs;
    struct cbk_buf text;                     /* scratch for documentation */
    struct json_object *spec, *shapes, *ops; /* the tree being built (spec, shapes, ops) */
    struct json_object *model_shapes;        /* borrowed from the model document */
};

static void vreport(struct imp *im, enum cbk_severity sev, const char *token, const char *fmt,
                    va_list ap) CBK_PRINTF(4, 0);

/* Report at the current pointer (plus 'token' when not NULL), located in the text. */
static void vreport(struct imp *im, enum cbk_severity sev, const char *token, const char *fmt,
                    va_list ap)
{
    struct cbk_buf p = CBK_BUF_INIT((size_t)64 << 20);
    cbk_buf_add(&p, cbk_ptr_str(&im->ptr), cbk_ptr_len(&im->ptr));
    if (token) {
        cbk_buf_addc(&p, '/');
        cbk_ptr_escape(&p, token, strlen(token));
    }
    int line = 0, col = 0;
    if (im->located < LOCATE_MAX) {
        im->located++;
        cbk_json_locate(im->in->text, im->in->len, cbk_buf_str(&p), &line, &col);
    }
    char *msg = cbk_xvasprintf(fmt, ap);
    cbk_diags_addf(im->diags, CBK_E_SPEC, sev, im->in->file, line, col, cbk_buf_str(&p), "%s", msg);
    free(msg);
    cbk_buf_release(&p);
    if (sev == CBK_SEV_ERROR)
        im->rc = -1;
}

static void err_at(struct imp *im, const char *token, const char *fmt, ...) CBK_PRINTF(3, 4);
static void err_at(struct imp *im, const char *token, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(im, CBK_SEV_ERROR, token, fmt, ap);
    va_end(ap);
}

static void warn_at(struct imp *im, const char *token, const char *fmt, ...) CBK_PRINTF(3, 4);
static void warn_at(struct imp *im, const char *token, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(im, CBK_SEV_WARNING, token, fmt, ap);
    va_end(ap);
}

static const char *kind_name(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "a boolean";
    case json_type_int:
    case json_type_double:
        return "a number";
    case json_type_string:
        return "a string";
    case json_type_array:
        return "an array";
    case json_type_object:
        return "an object";
    }
    return "something else";
}

/* ---- typed access -------------------------------------------------------------------------- */

static struct json_object *get(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v))
        return NULL;
    return v;
}

/* Is member 'key' of 'o' of JSON type 't'? Absent: false, silently; wrong type: reported. */
static bool typed(struct imp *im, struct json_object *o, const char *key, enum json_type t,
                  const char *what)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return false;
    if (json_object_is_type(v, t))
        return true;
    err_at(im, key, "expected %s, found %s", what, kind_name(v));
    return false;
}

/* An optional string member with no NUL in it, or NULL. */
static const char *opt_string(struct imp *im, struct json_object *o, const char *key)
{
    if (!typed(im, o, key, json_type_string, "a string"))
        return NULL;
    struct json_object *v = get(o, key);
    const char *s = json_object_get_string(v);
    if (strlen(s) != (size_t)json_object_get_string_len(v)) {
        err_at(im, key, "the string must not contain a NUL character");
        return NULL;
    }
    return s;
}

/* An optional boolean member; false when absent. */
static bool opt_boolean(struct imp *im, struct json_object *o, const char *key)
{
    if (!typed(im, o, key, json_type_boolean, "true or false"))
        return false;
    return json_object_get_boolean(get(o, key));
}

/* The name in a reference {"shape": NAME} under 'key', or NULL after reporting. */
static const char *ref_name(struct imp *im, struct json_object *o, const char *key)
{
    struct json_object *r = get(o, key);
    if (!r) {
        err_at(im, NULL, "missing required member '%s'", key);
        return NULL;
    }
    if (!json_object_is_type(r, json_type_object)) {
        err_at(im, key, "expected an object like {\"shape\": \"Name\"}, found %s", kind_name(r));
        return NULL;
    }
    size_t m = cbk_ptr_push_key(&im->ptr, key, strlen(key));
    const char *name = get(r, "shape") ? opt_string(im, r, "shape") : NULL;
    if (!get(r, "shape"))
        err_at(im, NULL, "missing required member 'shape'");
    cbk_ptr_pop(&im->ptr, m);
    return name;
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

static void set_str(struct json_object *o, const char *key, const char *s)
{
    json_object_object_add(o, key, json_object_new_string(s));
}

/* documentation, converted, when the docs mode keeps any and the text is not empty. */
static void add_docs(struct imp *im, struct json_object *from, struct json_object *to)
{
    if (im->docs == CBK_DOCS_NONE || !get(from, "documentation"))
        return;
    const char *html = opt_string(im, from, "documentation");
    if (!html)
        return;
    cbk__html_to_text(html, strlen(html), im->docs, &im->text);
    if (im->text.len)
        json_object_object_add(
            to, "documentation",
            json_object_new_string_len(cbk_buf_str(&im->text), (int)im->text.len));
}

/* ---- metadata ------------------------------------------------------------------------------- */

static void import_metadata(struct imp *im, struct json_object *root)
{
    struct json_object *md = get(root, "metadata");
    if (!md) {
        err_at(im, NULL, "missing required member 'metadata'");
        return;
    }
    if (!json_object_is_type(md, json_type_object)) {
        err_at(im, "metadata", "expected an object, found %s", kind_name(md));
        return;
    }
    size_t m = cbk_ptr_push_key(&im->ptr, "metadata", 8);
    struct json_object *out = json_object_new_object();
    json_object_object_add(im->spec, "metadata", out);

    /* AWS JSON: "protocol": "json", or "json" among "protocols" (newer models prefer others) */
    const char *protocol = opt_string(im, md, "protocol");
    bool json = protocol && strcmp(protocol, "json") == 0;
    struct json_object *protos = get(md, "protocols");
    if (!json && protos && json_object_is_type(protos, json_type_array))
        for (size_t i = 0; i < json_object_array_length(protos); i++) {
            struct json_object *p = json_object_array_get_idx(protos, i);
            json = json || (json_object_is_type(p, json_type_string) &&
                            strcmp(json_object_get_string(p), "json") == 0);
        }
    if (!json && (protocol || !protos))
        err_at(im, protocol ? "protocol" : NULL,
               "unsupported protocol '%s' (cbkit imports AWS JSON 1.0 and 1.1 models: protocol "
               "json)",
               protocol ? protocol : "(none)");
    else if (!json)
        err_at(im, "protocols",
               "no 'json' among the protocols (cbkit imports AWS JSON 1.0 and "
               "1.1 models)");

    const char *api = opt_string(im, md, "apiVersion");
    if (!api && !get(md, "apiVersion"))
        err_at(im, NULL, "missing required member 'apiVersion'");
    const char *prefix = opt_string(im, md, "targetPrefix");
    if (!get(md, "targetPrefix"))
        err_at(im, NULL, "missing required member 'targetPrefix' (every AWS JSON model has one)");
    else if (prefix && !*prefix)
        err_at(im, "targetPrefix", "targetPrefix must not be empty");
    /* botocore's default for a JSON model without jsonVersion is 1.0 */
    const char *jv = get(md, "jsonVersion") ? opt_string(im, md, "jsonVersion") : "1.0";
    if (jv && strcmp(jv, "1.0") != 0 && strcmp(jv, "1.1") != 0)
        err_at(im, "jsonVersion", "unsupported jsonVersion '%s' (expected \"1.0\" or \"1.1\")", jv);
    if (api)
        set_str(out, "apiVersion", api);
    set_str(out, "protocol", "json");
    if (jv)
        set_str(out, "jsonVersion", jv);
    if (prefix)
        set_str(out, "targetPrefix", prefix);
    static const char *const optional[] = {"serviceId",   "serviceFullName",  "endpointPrefix",
                                           "signingName", "signatureVersion", "uid"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(optional); i++) {
        const char *s = opt_string(im, md, optional[i]);
        if (s)
            set_str(out, optional[i], s);
    }
    cbk_ptr_pop(&im->ptr, m);
}

/* ---- constraints ---------------------------------------------------------------------------- */

static bool has_minmax(const char *type)
{
    return !strcmp(type, "string") || !strcmp(type, "blob") || !strcmp(type, "list") ||
           !strcmp(type, "map") || !strcmp(type, "integer") || !strcmp(type, "long") ||
           !strcmp(type, "double") || !strcmp(type, "float");
}

/*
 * min or max ('key') of a shape of type 'type' as a json-c value for the spec, or NULL
 * (reported: not a number, not whole for a whole-number type, out of the type's range).
 */
static struct json_object *bound(struct imp *im, struct json_object *v, const char *key,
                                 const char *type)
{
    bool real = !strcmp(type, "double") || !strcmp(type, "float");
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double)) {
        err_at(im, key, "expected a number, found %s", kind_name(v));
        return NULL;
    }
    if (real) {
        double d = json_object_get_double(v);
        if (!isfinite(d)) {
            err_at(im, key, "%s is not a finite number", key);
            return NULL;
        }
        return json_object_is_type(v, json_type_int)
                   ? json_object_new_int64(json_object_get_int64(v))
                   : json_object_new_double(d);
    }
    int64_t lo = 0, hi = INT64_MAX;
    if (!strcmp(type, "integer")) {
        lo = INT32_MIN;
        hi = INT32_MAX;
    } else if (!strcmp(type, "long")) {
        lo = INT64_MIN;
    }
    int64_t x;
    if (json_object_is_type(v, json_type_int)) {
        x = json_object_get_int64(v);
        /* json-c keeps integers above INT64_MAX as unsigned and clamps them here */
        if (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX) {
            err_at(im, key, "%s does not fit a 64-bit integer", key);
            return NULL;
        }
    } else {
        double d = json_object_get_double(v);
        if (!isfinite(d) || d != floor(d) || d < -9.2e18 || d > 9.2e18) {
            err_at(im, key, "%s %g of a%s %s is not a whole number in range", key, d,
                   !strcmp(type, "integer") ? "n" : "", type);
            return NULL;
        }
        x = (int64_t)d;
    }
    if (x < lo || x > hi) {
        err_at(im, key, "%s %" PRId64 " is out of range for a%s %s (%" PRId64 "..%" PRId64 ")", key,
               x, !strcmp(type, "integer") ? "n" : "", type, lo, hi);
        return NULL;
    }
    return json_object_new_int64(x);
}

static double num(struct json_object *v)
{
    return json_object_is_type(v, json_type_int) ? (double)json_object_get_int64(v)
                                                 : json_object_get_double(v);
}

/* Whether 'p' compiles as spec_load.c compiles patterns. */
static bool compiles(const char *p, size_t n, char *msg, size_t msgsz, size_t *off)
{
    struct cbk_regex *re = cbk_regex_compile(p, n, CBK_SPEC_RE_FLAGS, msg, msgsz, off);
    cbk_regex_free(re);
    return re != NULL;
}

/*
 * Java accepts a '-' right after a class escape in a character class ("[\w-_]": a literal
 * '-'); PCRE2 refuses it as a range. Escape such a '-' into 'out'. True if anything changed.
 */
static bool java_class_dashes(const char *p, size_t n, struct cbk_buf *out)
{
    bool changed = false, in_class = false;
    cbk_buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            cbk_buf_add(out, p + i, 2);
            bool class_escape = strchr("wWdDsS", p[i + 1]) != NULL;
            i++;
            if (in_class && class_escape && i + 2 < n && p[i + 1] == '-' && p[i + 2] != ']') {
                cbk_buf_adds(out, "\\-");
                i++;
                changed = true;
            }
            continue;
        }
        if (c == '[' && !in_class)
            in_class = true;
        else if (c == ']' && in_class)
            in_class = false;
        cbk_buf_addc(out, c);
    }
    return changed;
}

/* pattern: kept when PCRE2 compiles it (after the Java fix-up), dropped with a warning. */
static void import_pattern(struct imp *im, struct json_object *def, struct json_object *out)
{
    const char *p = opt_string(im, def, "pattern");
    if (!p)
        return;
    size_t n = strlen(p);
    char msg[256];
    size_t off = 0;
    if (compiles(p, n, msg, sizeof msg, &off)) {
        set_str(out, "pattern", p);
        return;
    }
    struct cbk_buf fixed = CBK_BUF_INIT(4 * n + 16);
    char msg2[256];
    size_t off2;
    if (java_class_dashes(p, n, &fixed) && compiles(fixed.ptr, fixed.len, msg2, sizeof msg2, &off2))
        set_str(out, "pattern", cbk_buf_str(&fixed));
    else
        warn_at(im, "pattern",
                "pattern dropped: PCRE2 cannot compile it (at offset %zu: %s); values are not "
                "checked against it",
                off, msg);
    cbk_buf_release(&fixed);
}

/* enum: a non-empty list of distinct strings (duplicates dropped with a warning). */
static void import_enum(struct imp *im, struct json_object *def, struct json_object *out)
{
    if (!typed(im, def, "enum", json_type_array, "an array of strings"))
        return;
    struct json_object *e = get(def, "enum");
    size_t m = cbk_ptr_push_key(&im->ptr, "enum", 4);
    struct json_object *vals = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(e); i++) {
        struct json_object *v = json_object_array_get_idx(e, i);
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", i);
        if (!json_object_is_type(v, json_type_string)) {
            err_at(im, idx, "expected a string, found %s", kind_name(v));
            continue;
        }
        if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
            err_at(im, idx, "an enum value must not contain a NUL character");
            continue;
        }
        bool dup = false;
        for (size_t j = 0; j < json_object_array_length(vals) && !dup; j++)
            dup = json_object_equal(v, json_object_array_get_idx(vals, j));
        if (dup)
            warn_at(im, idx, "duplicate enum value '%s' dropped", json_object_get_string(v));
        else
            json_object_array_add(vals, json_object_get(v));
    }
    cbk_ptr_pop(&im->ptr, m);
    if (json_object_array_length(vals))
        json_object_object_add(out, "enum", vals);
    else {
        json_object_put(vals);
        if (!json_object_array_length(e))
            warn_at(im, "enum", "an empty enum is dropped (it would allow no value)");
    }
}

/* min, max, pattern, enum of a shape of type 'type'; keys that do not apply are dropped. */
static void import_constraints(struct imp *im, struct json_object *def, struct json_object *out,
                               const char *type)
{
    static const char *const keys[] = {"min", "max", "pattern", "enum"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(keys); i++) {
        if (!get(def, keys[i]))
            continue;
        bool applies = i < 2 ? has_minmax(type) : !strcmp(type, "string");
        if (!applies) {
            warn_at(im, keys[i], "'%s' does not apply to a %s shape in cbkit and is dropped",
                    keys[i], type);
            continue;
        }
        if (i < 2) {
            struct json_object *b = bound(im, get(def, keys[i]), keys[i], type);
            if (b)
                json_object_object_add(out, keys[i], b);
        } else if (i == 2) {
            import_pattern(im, def, out);
        } else {
            import_enum(im, def, out);
        }
    }
    struct json_object *lo = get(out, "min"), *hi = get(out, "max");
    if (lo && hi && num(lo) > num(hi)) {
        err_at(im, NULL, "min %s is greater than max %s", json_object_to_json_string(lo),
               json_object_to_json_string(hi));
        json_object_object_del(out, "min");
        json_object_object_del(out, "max");
    }
}

/* ---- shapes -----------------------------------------------------------------------------------
 */

static const char *const model_types[] = {"structure", "list",  "map",     "string",
                                          "integer",   "long",  "boolean", "timestamp",
                                          "double",    "float", "blob"};

/* Pass 1: each shape's name and cbkit type ("document" for botocore's document structures). */
static void declare_shapes(struct imp *im, struct json_object *root)
{
    struct json_object *shapes = get(root, "shapes");
    if (!shapes) {
        err_at(im, NULL, "missing required member 'shapes'");
        return;
    }
    if (!json_object_is_type(shapes, json_type_object)) {
        err_at(im, "shapes", "expected an object, found %s", kind_name(shapes));
        return;
    }
    im->model_shapes = shapes;
    size_t m = cbk_ptr_push_key(&im->ptr, "shapes", 6);
    json_object_object_foreach(shapes, name, def)
    {
        if (!valid_name(name)) {
            err_at(im, name,
                   "invalid shape name '%s' (expected letters, digits and '_', not starting with "
                   "a digit)",
                   name);
            continue;
        }
        if (!json_object_is_type(def, json_type_object)) {
            err_at(im, name, "expected an object, found %s", kind_name(def));
            continue;
        }
        size_t ms = cbk_ptr_push_key(&im->ptr, name, strlen(name));
        const char *type = opt_string(im, def, "type");
        if (!type) {
            if (!get(def, "type"))
                err_at(im, NULL, "missing required member 'type'");
            cbk_ptr_pop(&im->ptr, ms);
            continue;
        }
        bool known = false;
        for (size_t i = 0; i < CBK_ARRAY_SIZE(model_types); i++)
            known = known || !strcmp(type, model_types[i]);
        if (!known) {
            err_at(im, "type",
                   "unsupported type '%s' (cbkit knows structure, list, map, string, integer, "
                   "long, boolean, timestamp, double, float, blob and documents)",
                   type);
            cbk_ptr_pop(&im->ptr, ms);
            continue;
        }
        if (!strcmp(type, "structure") && opt_boolean(im, def, "document"))
            type = "document";
        struct json_object *out = json_object_new_object();
        set_str(out, "type", type);
        json_object_object_add(im->shapes, name, out);
        cbk_ptr_pop(&im->ptr, ms);
    }
    cbk_ptr_pop(&im->ptr, m);
}

/* The cbkit type of shape 'name' in the spec being built, or NULL when there is none. */
static const char *type_of(struct imp *im, const char *name)
{
    struct json_object *sh = get(im->shapes, name);
    struct json_object *t = sh ? get(sh, "type") : NULL;
    return t ? json_object_get_string(t) : NULL;
}

/* A reference to a shape that exists, as the spec's {shape: NAME}, or NULL after reporting. */
static struct json_object *member_ref(struct imp *im, struct json_object *def, const char *key)
{
    const char *name = ref_name(im, def, key);
    if (!name)
        return NULL;
    if (!type_of(im, name)) {
        size_t m = cbk_ptr_push_key(&im->ptr, key, strlen(key));
        err_at(im, "shape", "unknown shape '%s'", name);
        cbk_ptr_pop(&im->ptr, m);
        return NULL;
    }
    struct json_object *r = json_object_new_object();
    set_str(r, "shape", name);
    return r;
}

/* A structure's members (wire names: locationName when given), required and error traits. */
static void import_structure(struct imp *im, struct json_object *def, struct json_object *out)
{
    struct json_object *members = get(def, "members");
    struct json_object *omembers = json_object_new_object();
    struct json_object *wire_of = json_object_new_object(); /* model name -> wire name */
    if (members && !json_object_is_type(members, json_type_object)) {
        err_at(im, "members", "expected an object, found %s", kind_name(members));
        members = NULL;
    }
    size_t mm = cbk_ptr_push_key(&im->ptr, "members", 7);
    if (members) {
        json_object_object_foreach(members, mname, mdef)
        {
            if (!json_object_is_type(mdef, json_type_object)) {
                err_at(im, mname, "expected an object, found %s", kind_name(mdef));
                continue;
            }
            size_t m1 = cbk_ptr_push_key(&im->ptr, mname, strlen(mname));
            const char *wire = mname;
            if (get(mdef, "locationName")) {
                const char *ln = opt_string(im, mdef, "locationName");
                if (ln)
                    wire = ln;
            }
            struct json_object *mo = NULL;
            if (!*wire) {
                err_at(im, NULL, "member names must not be empty");
            } else if (get(omembers, wire)) {
                err_at(im, NULL, "a second member named '%s' on the wire", wire);
            } else {
                cbk_ptr_pop(&im->ptr, m1);
                mo = member_ref(im, members, mname);
                m1 = cbk_ptr_push_key(&im->ptr, mname, strlen(mname));
            }
            if (mo) {
                if (opt_boolean(im, mdef, "idempotencyToken"))
                    json_object_object_add(mo, "volatile", json_object_new_boolean(1));
                if (opt_boolean(im, mdef, "deprecated"))
                    json_object_object_add(mo, "deprecated", json_object_new_boolean(1));
                add_docs(im, mdef, mo);
                json_object_object_add(omembers, wire, mo);
                set_str(wire_of, mname, wire);
            }
            cbk_ptr_pop(&im->ptr, m1);
        }
    }
    cbk_ptr_pop(&im->ptr, mm);
    json_object_object_add(out, "members", omembers);

    if (typed(im, def, "required", json_type_array, "an array of member names")) {
        struct json_object *req = get(def, "required"), *oreq = json_object_new_array();
        size_t m = cbk_ptr_push_key(&im->ptr, "required", 8);
        for (size_t i = 0; i < json_object_array_length(req); i++) {
            struct json_object *r = json_object_array_get_idx(req, i);
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            struct json_object *w = json_object_is_type(r, json_type_string)
                                        ? get(wire_of, json_object_get_string(r))
                                        : NULL;
            if (!json_object_is_type(r, json_type_string)) {
                err_at(im, idx, "expected a member name, found %s", kind_name(r));
            } else if (!w) {
                if (!members || !get(members, json_object_get_string(r)))
                    err_at(im, idx, "required member '%s' is not a member",
                           json_object_get_string(r));
            } else {
                bool dup = false;
                for (size_t j = 0; j < json_object_array_length(oreq) && !dup; j++)
                    dup = json_object_equal(w, json_object_array_get_idx(oreq, j));
                if (!dup)
                    json_object_array_add(oreq, json_object_get(w));
            }
        }
        cbk_ptr_pop(&im->ptr, m);
        if (json_object_array_length(oreq))
            json_object_object_add(out, "required", oreq);
        else
            json_object_put(oreq);
    }
    json_object_put(wire_of);

    if (opt_boolean(im, def, "union"))
        json_object_object_add(out, "union", json_object_new_boolean(1));
    if (!opt_boolean(im, def, "exception"))
        return;
    /* AWS JSON: client errors are 400, server faults 500, unless the model says otherwise */
    bool fault = opt_boolean(im, def, "fault");
    int64_t status = fault ? 500 : 400;
    bool sender = !fault;
    const char *code = NULL;
    if (typed(im, def, "error", json_type_object, "an object")) {
        struct json_object *e = get(def, "error");
        size_t m = cbk_ptr_push_key(&im->ptr, "error", 5);
        if (typed(im, e, "httpStatusCode", json_type_int, "an integer")) {
            int64_t s = json_object_get_int64(get(e, "httpStatusCode"));
            if (s >= 400 && s <= 599)
                status = s;
            else
                warn_at(im, "httpStatusCode",
                        "HTTP status %" PRId64 " is not an error status; %" PRId64 " is used", s,
                        status);
        }
        if (get(e, "senderFault"))
            sender = opt_boolean(im, e, "senderFault");
        code = opt_string(im, e, "code");
        if (code && !*code)
            code = NULL;
        cbk_ptr_pop(&im->ptr, m);
    }
    json_object_object_add(out, "exception", json_object_new_boolean(1));
    struct json_object *err = json_object_new_object();
    json_object_object_add(err, "httpStatusCode", json_object_new_int64(status));
    json_object_object_add(err, "senderFault", json_object_new_boolean(sender));
    if (code)
        set_str(err, "code", code);
    json_object_object_add(out, "error", err);
}

/* Pass 2: every declared shape's traits, constraints, members and parts. */
static void import_shape(struct imp *im, const char *name, struct json_object *def,
                         struct json_object *out)
{
    const char *type = json_object_get_string(get(out, "type"));
    if (opt_boolean(im, def, "sensitive"))
        json_object_object_add(out, "sensitive", json_object_new_boolean(1));
    if (opt_boolean(im, def, "deprecated"))
        json_object_object_add(out, "deprecated", json_object_new_boolean(1));
    if (!strcmp(type, "timestamp") && get(def, "timestampFormat")) {
        const char *f = opt_string(im, def, "timestampFormat");
        if (f && strcmp(f, "unixTimestamp") && strcmp(f, "iso8601") && strcmp(f, "rfc822"))
            err_at(im, "timestampFormat",
                   "unknown timestampFormat '%s' (expected unixTimestamp, iso8601 or rfc822)", f);
        else if (f)
            set_str(out, "timestampFormat", f);
    }
    import_constraints(im, def, out, type);
    if (!strcmp(type, "structure")) {
        import_structure(im, def, out);
    } else if (!strcmp(type, "list")) {
        struct json_object *r = member_ref(im, def, "member");
        if (r)
            json_object_object_add(out, "member", r);
    } else if (!strcmp(type, "map")) {
        struct json_object *k = member_ref(im, def, "key"), *v = member_ref(im, def, "value");
        if (k) {
            const char *kt = type_of(im, json_object_get_string(get(k, "shape")));
            if (kt && strcmp(kt, "string") != 0) {
                size_t m = cbk_ptr_push_key(&im->ptr, "key", 3);
                err_at(im, "shape", "map keys must be a string shape, not '%s' (%s)",
                       json_object_get_string(get(k, "shape")), kt);
                cbk_ptr_pop(&im->ptr, m);
            }
            json_object_object_add(out, "key", k);
        }
        if (v)
            json_object_object_add(out, "value", v);
    }
    add_docs(im, def, out);
    (void)name;
}

static void import_shapes(struct imp *im)
{
    if (!im->model_shapes)
        return;
    size_t m = cbk_ptr_push_key(&im->ptr, "shapes", 6);
    json_object_object_foreach(im->shapes, name, out)
    {
        size_t ms = cbk_ptr_push_key(&im->ptr, name, strlen(name));
        import_shape(im, name, get(im->model_shapes, name), out);
        cbk_ptr_pop(&im->ptr, ms);
    }
    cbk_ptr_pop(&im->ptr, m);
}

/* ---- operations ---------------------------------------------------------------------------- */

static bool is_exception(struct imp *im, const char *shape)
{
    struct json_object *sh = get(im->shapes, shape);
    struct json_object *e = sh ? get(sh, "exception") : NULL;
    return e && json_object_get_boolean(e);
}

/* input or output: a structure that is not an exception, or NULL after reporting. */
static const char *op_io(struct imp *im, struct json_object *def, const char *key)
{
    const char *name = ref_name(im, def, key);
    if (!name)
        return NULL;
    const char *t = type_of(im, name);
    size_t m = cbk_ptr_push_key(&im->ptr, key, strlen(key));
    if (!t) {
        err_at(im, "shape", "unknown shape '%s'", name);
        name = NULL;
    } else if (strcmp(t, "structure") != 0) {
        err_at(im, "shape", "%s shape '%s' must be a structure, not a %s", key, name, t);
        name = NULL;
    } else if (is_exception(im, name)) {
        err_at(im, "shape", "%s shape '%s' is an exception", key, name);
        name = NULL;
    }
    cbk_ptr_pop(&im->ptr, m);
    return name;
}

/* An operation without input takes nothing: name an empty structure for it, as specs must. */
static const char *empty_input(struct imp *im, const char *op, char *buf, size_t n)
{
    snprintf(buf, n, "%sInput", op);
    for (int i = 2; get(im->shapes, buf); i++)
        snprintf(buf, n, "%sInput%d", op, i);
    struct json_object *sh = json_object_new_object();
    set_str(sh, "type", "structure");
    json_object_object_add(sh, "members", json_object_new_object());
    json_object_object_add(im->shapes, buf, sh);
    return buf;
}

static void import_operation(struct imp *im, const char *name, struct json_object *def)
{
    struct json_object *out = json_object_new_object();
    json_object_object_add(im->ops, name, out);
    char buf[300];
    const char *in =
        get(def, "input") ? op_io(im, def, "input") : empty_input(im, name, buf, sizeof buf);
    if (in)
        set_str(out, "input", in);
    const char *o = get(def, "output") ? op_io(im, def, "output") : NULL;
    if (o)
        set_str(out, "output", o);
    if (typed(im, def, "errors", json_type_array, "an array")) {
        struct json_object *errs = get(def, "errors"), *oerrs = json_object_new_array();
        size_t m = cbk_ptr_push_key(&im->ptr, "errors", 6);
        for (size_t i = 0; i < json_object_array_length(errs); i++) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            struct json_object *holder = json_object_new_object();
            json_object_object_add(holder, idx,
                                   json_object_get(json_object_array_get_idx(errs, i)));
            const char *e = ref_name(im, holder, idx);
            if (e && !type_of(im, e)) {
                err_at(im, idx, "unknown shape '%s'", e);
            } else if (e && !is_exception(im, e)) {
                err_at(im, idx, "error shape '%s' is not marked \"exception\": true", e);
            } else if (e) {
                bool dup = false;
                for (size_t j = 0; j < json_object_array_length(oerrs) && !dup; j++)
                    dup = !strcmp(e, json_object_get_string(json_object_array_get_idx(oerrs, j)));
                if (!dup)
                    json_object_array_add(oerrs, json_object_new_string(e));
            }
            json_object_put(holder);
        }
        cbk_ptr_pop(&im->ptr, m);
        if (json_object_array_length(oerrs))
            json_object_object_add(out, "errors", oerrs);
        else
            json_object_put(oerrs);
    }
    if (opt_boolean(im, def, "deprecated"))
        json_object_object_add(out, "deprecated", json_object_new_boolean(1));
    add_docs(im, def, out);
}

static void import_operations(struct imp *im, struct json_object *root)
{
    struct json_object *ops = get(root, "operations");
    if (!ops) {
        err_at(im, NULL, "missing required member 'operations'");
        return;
    }
    if (!json_object_is_type(ops, json_type_object)) {
        err_at(im, "operations", "expected an object, found %s", kind_name(ops));
        return;
    }
    size_t m = cbk_ptr_push_key(&im->ptr, "operations", 10);
    json_object_object_foreach(ops, name, def)
    {
        if (!valid_name(name) || strlen(name) > 200) {
            err_at(im, name, "invalid operation name '%s'", name);
            continue;
        }
        if (!json_object_is_type(def, json_type_object)) {
            err_at(im, name, "expected an object, found %s", kind_name(def));
            continue;
        }
        size_t mo = cbk_ptr_push_key(&im->ptr, name, strlen(name));
        import_operation(im, name, def);
        cbk_ptr_pop(&im->ptr, mo);
    }
    cbk_ptr_pop(&im->ptr, m);
}

/* Cite the model on every shape that carries a constraint the model gave. */
static void cite_model(struct imp *im, const char *id)
{
    static const char *const constrained[] = {"min", "max", "pattern", "enum", "required"};
    json_object_object_foreach(im->shapes, name, sh)
    {
        (void)name;
        for (size_t i = 0; i < CBK_ARRAY_SIZE(constrained); i++)
            if (get(sh, constrained[i])) {
                set_str(sh, "source", id);
                break;
            }
    }
}

/* ---- paginators ------------------------------------------------------------------------------ */

/* A member name of 'shape' (a structure in the tree) that the paginator names under 'key':
 * a string, or an array of one string; NULL after a warning (the paginator is skipped). */
static const char *pag_member(struct imp *im, struct json_object *p, const char *key,
                              const char *shape, const char *what)
{
    struct json_object *v = get(p, key);
    if (v && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 1)
        v = json_object_array_get_idx(v, 0);
    if (!v || !json_object_is_type(v, json_type_string)) {
        warn_at(im, key, "paginator skipped: '%s' must name one member", key);
        return NULL;
    }
    const char *name = json_object_get_string(v);
    struct json_object *sh = shape ? get(im->shapes, shape) : NULL;
    if (!sh || !get(get(sh, "members"), name)) {
        warn_at(im, key, "paginator skipped: '%s' is not a member of the %s shape%s%s", name, what,
                shape ? " " : "", shape ? shape : "");
        return NULL;
    }
    return name;
}

static void import_paginator(struct imp *im, const char *op, struct json_object *p)
{
    struct json_object *ospec = get(im->ops, op);
    if (!ospec) {
        err_at(im, NULL, "unknown operation '%s'", op);
        return;
    }
    const char *in = get(ospec, "input") ? json_object_get_string(get(ospec, "input")) : NULL;
    const char *out = get(ospec, "output") ? json_object_get_string(get(ospec, "output")) : NULL;
    const char *it = pag_member(im, p, "input_token", in, "input");
    const char *ot = it ? pag_member(im, p, "output_token", out, "output") : NULL;
    if (!ot)
        return;
    struct json_object *o = json_object_new_object();
    set_str(o, "inputToken", it);
    set_str(o, "outputToken", ot);
    if (get(p, "limit_key")) {
        const char *lk = pag_member(im, p, "limit_key", in, "input");
        struct json_object *lm = lk ? get(get(get(im->shapes, in), "members"), lk) : NULL;
        const char *lt = lm ? type_of(im, json_object_get_string(get(lm, "shape"))) : NULL;
        if (lt && (!strcmp(lt, "integer") || !strcmp(lt, "long")))
            set_str(o, "limitKey", lk);
        else if (lk)
            warn_at(im, "limit_key", "limit_key '%s' is not an integer member and is dropped", lk);
    }
    struct json_object *rk = get(p, "result_key");
    struct json_object *keys = json_object_new_array();
    if (rk && json_object_is_type(rk, json_type_string)) {
        const char *k = pag_member(im, p, "result_key", out, "output");
        if (k)
            json_object_array_add(keys, json_object_new_string(k));
    } else if (rk && json_object_is_type(rk, json_type_array)) {
        size_t m = cbk_ptr_push_key(&im->ptr, "result_key", 10);
        for (size_t i = 0; i < json_object_array_length(rk); i++) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            struct json_object *holder = json_object_new_object();
            json_object_object_add(holder, idx, json_object_get(json_object_array_get_idx(rk, i)));
            const char *k = pag_member(im, holder, idx, out, "output");
            bool dup = false;
            for (size_t j = 0; k && j < json_object_array_length(keys) && !dup; j++)
                dup = !strcmp(k, json_object_get_string(json_object_array_get_idx(keys, j)));
            if (k && !dup)
                json_object_array_add(keys, json_object_new_string(k));
            json_object_put(holder);
        }
        cbk_ptr_pop(&im->ptr, m);
    }
    if (!json_object_array_length(keys)) {
        warn_at(im, "result_key", "paginator skipped: no result_key names a member of the output");
        json_object_put(keys);
        json_object_put(o);
        return;
    }
    json_object_object_add(o, "resultKeys", keys);
    struct json_object *pags = get(im->spec, "paginators");
    if (!pags) {
        pags = json_object_new_object();
        json_object_object_add(im->spec, "paginators", pags);
    }
    json_object_object_add(pags, op, o);
}

static void import_paginators(struct imp *im, struct json_object *root)
{
    struct json_object *pg = get(root, "pagination");
    if (!pg) {
        err_at(im, NULL, "missing required member 'pagination'");
        return;
    }
    if (!json_object_is_type(pg, json_type_object)) {
        err_at(im, "pagination", "expected an object, found %s", kind_name(pg));
        return;
    }
    size_t m = cbk_ptr_push_key(&im->ptr, "pagination", 10);
    json_object_object_foreach(pg, op, p)
    {
        if (!json_object_is_type(p, json_type_object)) {
            err_at(im, op, "expected an object, found %s", kind_name(p));
            continue;
        }
        size_t mo = cbk_ptr_push_key(&im->ptr, op, strlen(op));
        import_paginator(im, op, p);
        cbk_ptr_pop(&im->ptr, mo);
    }
    cbk_ptr_pop(&im->ptr, m);
}

/* ---- reading the files ------------------------------------------------------------------------
 */

/* Refuse keys json-c cannot keep (a NUL inside) while the scanner checks the syntax. */
struct nul_keys {
    struct cbk_json_error *err;
    const char *buf;
};

static int check_key(void *ctx, const struct cbk_jevent *ev)
{
    struct nul_keys *k = ctx;
    if (ev->type != CBK_JEV_KEY || !memchr(ev->str, '\0', ev->len))
        return 0;
    k->err->line = ev->line;
    k->err->column = cbk_json_column(k->buf, ev->line_start, ev->offset);
    snprintf(k->err->message, sizeof k->err->message, "a key must not contain a NUL character");
    return 1;
}

/*
 * Parse one JSON input: syntax checked by the strict scanner first (located errors), then
 * read by json-c. Returns the document (caller puts) or NULL after reporting.
 */
static struct json_object *parse_json(const struct cbk_import_input *in, struct cbk_diags *diags,
                                      enum cbk_code *rc)
{
    if (in->len > IMPORT_MAX_BYTES) {
        cbk_diags_addf(diags, CBK_E_LIMIT, CBK_SEV_ERROR, in->file, 0, 0, NULL,
                       "the file is larger than %zu bytes", IMPORT_MAX_BYTES);
        *rc = CBK_E_LIMIT;
        return NULL;
    }
    struct cbk_json_error err = {0};
    struct cbk_buf scratch = CBK_BUF_INIT(in->len + 1);
    struct nul_keys nk = {&err, in->text};
    int s = cbk_json_scan(in->text, in->len, IMPORT_MAX_DEPTH, &scratch, check_key, &nk, &err);
    cbk_buf_release(&scratch);
    if (s != 0) {
        cbk_diags_addf(diags, s < 0 ? CBK_E_SPEC_PARSE : CBK_E_SPEC, CBK_SEV_ERROR, in->file,
                       err.line, err.column, NULL, "%s", err.message);
        *rc = s < 0 ? CBK_E_SPEC_PARSE : CBK_E_SPEC;
        return NULL;
    }
    struct json_tokener *tok = json_tokener_new_ex(IMPORT_MAX_DEPTH + 1);
    struct json_object *doc = json_tokener_parse_ex(tok, in->text, (int)in->len);
    bool ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (!ok || !json_object_is_type(doc, json_type_object)) {
        cbk_diags_addf(diags, CBK_E_SPEC, CBK_SEV_ERROR, in->file, 1, 1, "",
                       "expected a JSON object, found %s", ok ? kind_name(doc) : "no value");
        json_object_put(doc);
        *rc = CBK_E_SPEC;
        return NULL;
    }
    return doc;
}

/* The last path component of a file name (for the header and the source entry). */
static const char *base_name(const char *file)
{
    const char *s = strrchr(file, '/');
    return s ? s + 1 : file;
}

/* ---- verification: compile the result, report overlay-caused errors in the overlay -------- */

/* Walk a dotted spec path ("shapes.Build.members.x", quoted segments, "[3]") in a YAML tree. */
static const struct cbk_ynode *yaml_at_path(const struct cbk_ynode *n, const char *path)
{
    const char *p = path;
    struct cbk_buf seg = CBK_BUF_INIT(1 << 16);
    while (n && *p) {
        cbk_buf_reset(&seg);
        if (*p == '.')
            p++;
        if (*p == '[') {
            char *end;
            unsigned long i = strtoul(p + 1, &end, 10);
            if (*end != ']' || n->kind != CBK_Y_SEQ || i >= n->n) {
                n = NULL;
                break;
            }
            n = n->items[i];
            p = end + 1;
            continue;
        }
        if (*p == '"') {
            /* a JSON string literal (cbk_ypath_push quotes keys that are not identifiers) */
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1]) {
                    p++;
                    char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
                    if (*p == 'u') {
                        n = NULL; /* escapes beyond the simple ones: give up */
                        break;
                    }
                    cbk_buf_addc(&seg, c);
                } else {
                    cbk_buf_addc(&seg, *p);
                }
            }
            if (!n || *p != '"') {
                n = NULL;
                break;
            }
            p++;
        } else {
            while (*p && *p != '.' && *p != '[')
                cbk_buf_addc(&seg, *p++);
        }
        n = cbk_y_get(n, cbk_buf_str(&seg));
    }
    cbk_buf_release(&seg);
    return n;
}

/*
 * Load the generated text; on failure, report each of its errors where it comes from: the
 * last overlay that states that path, or else the generated text itself (a bug of the
 * importer, which checks every model constraint the loader checks).
 */
static enum cbk_code verify(const char *text, size_t len, struct cbk_ydoc *const *overlays,
                            size_t n, struct cbk_diags *diags)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 200);
    struct cbk_spec *spec = NULL;
    enum cbk_code rc = cbk_spec_load_buffer(text, len, "<imported spec>", &spec, &d);
    cbk_spec_free(spec);
    for (size_t i = 0; rc != CBK_OK && i < d.nr; i++) {
        const struct cbk_diag *g = &d.v[i];
        if (g->severity != CBK_SEV_ERROR)
            continue;
        const struct cbk_ynode *at = NULL;
        const char *file = g->file;
        for (size_t k = n; k-- > 0 && !at && g->path[0];) {
            at = overlays[k] ? yaml_at_path(overlays[k]->root, g->path) : NULL;
            if (at)
                file = overlays[k]->file;
        }
        cbk_diags_addf(diags, g->code, CBK_SEV_ERROR, file, at ? at->line : g->line,
                       at ? at->col : g->column, g->path, "%s", g->message);
    }
    cbk_diags_release(&d);
    return rc;
}

/* ---- entry points ---------------------------------------------------------------------------- */

bool cbk_spec_is_model(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
        i++;
    if (i == len || text[i] != '{' || len > IMPORT_MAX_BYTES)
        return false; /* a YAML spec (or too large to be a model we import) */
    struct json_tokener *tok = json_tokener_new_ex(IMPORT_MAX_DEPTH + 1);
    struct json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
    json_tokener_free(tok);
    bool model = json_object_is_type(doc, json_type_object) && get(doc, "metadata") &&
                 get(doc, "shapes") && !get(doc, "cbkit-spec");
    json_object_put(doc);
    return model;
}

enum cbk_code cbk_spec_import(const struct cbk_import_input *model, const struct cbk_import_opts *o,
                              char **yaml, size_t *len, struct cbk_diags *diags)
{
    static const struct cbk_import_opts defaults = CBK_IMPORT_OPTS_INIT;
    if (!o)
        o = &defaults;
    *yaml = NULL;
    *len = 0;
    const char *source_id = o->source_id && *o->source_id ? o->source_id : DEFAULT_SOURCE;
    enum cbk_code rc = CBK_OK;
    struct json_object *doc = parse_json(model, diags, &rc);
    if (!doc)
        return rc;

    struct imp im = {0};
    im.in = model;
    im.diags = diags;
    im.docs = o->docs;
    cbk_ptr_init(&im.ptr);
    cbk_buf_init(&im.text, IMPORT_MAX_BYTES);
    im.spec = json_object_new_object();
    im.shapes = json_object_new_object();
    im.ops = json_object_new_object();
    json_object_object_add(im.spec, "cbkit-spec", json_object_new_int(1));
    import_metadata(&im, doc);
    add_docs(&im, doc, im.spec);
    struct json_object *sources = json_object_new_object(), *src = json_object_new_object();
    set_str(src, "file", base_name(model->file));
    struct json_object *md = get(im.spec, "metadata");
    const char *svc = get(md, "serviceFullName")
                          ? json_object_get_string(get(md, "serviceFullName"))
                      : get(md, "targetPrefix") ? json_object_get_string(get(md, "targetPrefix"))
                                                : "the service";
    const char *api = get(md, "apiVersion") ? json_object_get_string(get(md, "apiVersion")) : "";
    char *title = cbk_xasprintf("AWS model of %s %s (botocore service-2.json)", svc, api);
    set_str(src, "title", title);
    free(title);
    json_object_object_add(sources, source_id, src);
    json_object_object_add(im.spec, "sources", sources);
    json_object_object_add(im.spec, "operations", im.ops);
    json_object_object_add(im.spec, "shapes", im.shapes);
    declare_shapes(&im, doc);
    import_shapes(&im);
    import_operations(&im, doc);
    cite_model(&im, source_id);
    json_object_put(doc);

    if (o->paginators && im.rc == 0) {
        struct json_object *pdoc = parse_json(o->paginators, diags, &rc);
        if (pdoc) {
            im.in = o->paginators;
            im.located = 0;
            import_paginators(&im, pdoc);
            json_object_put(pdoc);
        } else {
            im.rc = -1;
        }
    }

    struct cbk_ydoc **ov = cbk_xcalloc(o->overlay_count ? o->overlay_count : 1, sizeof(*ov));
    for (size_t i = 0; i < o->overlay_count && im.rc == 0; i++) {
        const struct cbk_import_input *in = &o->overlays[i];
        if (in->len > IMPORT_MAX_BYTES) {
            cbk_diags_addf(diags, CBK_E_LIMIT, CBK_SEV_ERROR, in->file, 0, 0, NULL,
                           "the file is larger than %zu bytes", IMPORT_MAX_BYTES);
            rc = CBK_E_LIMIT;
            im.rc = -1;
            break;
        }
        enum cbk_code yrc = cbk_yaml_parse(in->text, in->len, in->file, IMPORT_MAX_DEPTH,
                                           CBK_E_SPEC_PARSE, &ov[i], diags);
        if (yrc != CBK_OK) {
            rc = yrc;
            im.rc = -1;
            break;
        }
        struct cbk_ycheck ck = {ov[i]->file, diags, CBK_E_SPEC};
        if (cbk__spec_overlay(im.spec, ov[i]->root, &ck) != 0)
            im.rc = -1;
    }

    if (im.rc == 0) {
        struct cbk_buf out = CBK_BUF_INIT((size_t)1 << 30);
        struct cbk_buf header = CBK_BUF_INIT(1 << 16);
        cbk_buf_addf(&header, "cbkit spec, imported from %s by `cbkit spec import`",
                     base_name(model->file));
        if (o->paginators)
            cbk_buf_addf(&header, "\npaginators: %s", base_name(o->paginators->file));
        for (size_t i = 0; i < o->overlay_count; i++)
            cbk_buf_addf(&header, "%s%s",
                         i ? ", " : "\noverlays: ", base_name(o->overlays[i].file));
        cbk_buf_addf(&header, "\ndocumentation: %s",
                     o->docs == CBK_DOCS_NONE   ? "none"
                     : o->docs == CBK_DOCS_FULL ? "full"
                                                : "summary");
        cbk_buf_adds(&header,
                     "\nDo not edit: change the overlay and import again (docs/spec-format.md).");
        enum cbk_code erc = cbk__spec_emit(&out, im.spec, cbk_buf_str(&header));
        cbk_buf_release(&header);
        if (erc != CBK_OK || out.len > SPEC_MAX_BYTES) {
            cbk_diags_addf(diags, CBK_E_LIMIT, CBK_SEV_ERROR, model->file, 0, 0, NULL,
                           "the spec would be larger than %zu bytes", SPEC_MAX_BYTES);
            rc = CBK_E_LIMIT;
        } else if (!o->no_verify) {
            rc = verify(cbk_buf_str(&out), out.len, ov, o->overlay_count, diags);
        }
        if (rc == CBK_OK)
            *yaml = cbk_buf_detach(&out, len);
        cbk_buf_release(&out);
    } else if (rc == CBK_OK) {
        rc = CBK_E_SPEC;
    }
    for (size_t i = 0; i < o->overlay_count; i++)
        cbk_ydoc_free(ov[i]);
    free(ov);
    json_object_put(im.spec);
    cbk_ptr_release(&im.ptr);
    cbk_buf_release(&im.text);
    return rc;
}

enum cbk_code cbk_spec_load_any(const char *text, size_t len, const char *file,
                                struct cbk_spec **out, struct cbk_diags *diags)
{
    *out = NULL;
    if (!cbk_spec_is_model(text, len))
        return cbk_spec_load_buffer(text, len, file, out, diags);
    struct cbk_import_input in = {text, len, file};
    struct cbk_import_opts o = CBK_IMPORT_OPTS_INIT;
    o.docs = CBK_DOCS_NONE;
    o.no_verify = true;
    char *yaml = NULL;
    size_t ylen = 0;
    enum cbk_code rc = cbk_spec_import(&in, &o, &yaml, &ylen, diags);
    if (rc != CBK_OK)
        return rc;
    rc = cbk_spec_load_buffer(yaml, ylen, file, out, diags);
    free(yaml);
    return rc;
}
