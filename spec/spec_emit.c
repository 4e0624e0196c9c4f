/*
 * spec_emit.c - write a spec tree (spec_import_internal.h) as YAML, deterministically: the
 * sections, operations, shapes and members in the tree's order, the keys of each mapping in
 * the fixed order below, and every string written so that any YAML 1.1 or 1.2 reader (the
 * spec loader, PyYAML) reads back exactly that string.
 */
#include "core/setup.h"
#include "spec/spec_import_internal.h"

#include <json-c/json.h>
#include <math.h>

/* ---- scalars -------------------------------------------------------------------------------- */

/* Words YAML 1.1 or 1.2 reads as null or a boolean (compared without case). */
static const char *const reserved[] = {"null", "~",   "true", "false", "yes", "no",
                                       "on",   "off", "y",    "n",     "<<",  "="};

/*
 * Can s[0..len) be written plain? Conservative: printable ASCII only; nothing that starts
 * like an indicator, a number, a date or a reserved word; no ": " or " #" anywhere; no
 * leading or trailing space or trailing ':'. In a flow collection ('flow') also no flow
 * indicators, quotes or backslashes anywhere.
 */
static bool plain_ok(const char *s, size_t len, bool flow)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7E)
            return false;
        if (flow && strchr(",[]{}\"'\\", c))
            return false;
        if (c == ':' && (i + 1 == len || s[i + 1] == ' ' || (flow && strchr(",[]{}", s[i + 1]))))
            return false;
        if (c == '#' && i > 0 && s[i - 1] == ' ')
            return false;
    }
    if (strchr("-?:,[]{}#&*!|>'\"%@`=+.~ ", s[0]) || (s[0] >= '0' && s[0] <= '9'))
        return false;
    if (s[len - 1] == ' ')
        return false;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(reserved); i++)
        if (strlen(reserved[i]) == len && strncasecmp(reserved[i], s, len) == 0)
            return false;
    return true;
}

/* The code point of the UTF-8 sequence at s[0..n) and its length (1 for a stray byte). */
static unsigned long utf8_at(const unsigned char *s, size_t n, size_t *used)
{
    unsigned long cp = s[0];
    size_t k = 1;
    if (s[0] >= 0xF0 && n >= 4) {
        cp = ((unsigned long)(s[0] & 0x07) << 18) | ((unsigned long)(s[1] & 0x3F) << 12) |
             ((unsigned long)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        k = 4;
    } else if (s[0] >= 0xE0 && n >= 3) {
        cp = ((unsigned long)(s[0] & 0x0F) << 12) | ((unsigned long)(s[1] & 0x3F) << 6) |
             (s[2] & 0x3F);
        k = 3;
    } else if (s[0] >= 0xC0 && n >= 2) {
        cp = ((unsigned long)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
        k = 2;
    }
    *used = k;
    return cp;
}

/* Append s[0..len) as a scalar of a block ('flow' false) or flow collection. */
static void scalar(struct cbk_buf *out, const char *s, size_t len, bool flow)
{
    if (plain_ok(s, len, flow)) {
        cbk_buf_add(out, s, len);
        return;
    }
    cbk_buf_addc(out, '"');
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x7F) {
            if (c == '"' || c == '\\')
                cbk_buf_addc(out, '\\');
            cbk_buf_addc(out, (char)c);
            i++;
            continue;
        }
        if (c < 0x80) {
            switch (c) {
            case '\n':
                cbk_buf_adds(out, "\\n");
                break;
            case '\t':
                cbk_buf_adds(out, "\\t");
                break;
            case '\r':
                cbk_buf_adds(out, "\\r");
                break;
            case 0:
                cbk_buf_adds(out, "\\0");
                break;
            default:
                cbk_buf_addf(out, "\\x%02X", c);
            }
            i++;
            continue;
        }
        size_t k;
        unsigned long cp = utf8_at(u + i, len - i, &k);
        /* C1 controls, NEL and the Unicode line and paragraph separators would be read as
         * line breaks or refused; non-characters and the BOM are escaped too */
        if ((cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
            cp == 0xFFFE || cp == 0xFFFF || k == 1)
            cbk_buf_addf(out, k == 1 ? "\\x%02lX" : "\\u%04lX", cp);
        else
            cbk_buf_add(out, s + i, k);
        i += k;
    }
    cbk_buf_addc(out, '"');
}

void cbk__yaml_scalar(struct cbk_buf *out, const char *s, size_t len)
{
    scalar(out, s, len, true);
}

static void emit_string(struct cbk_buf *out, struct json_object *v, bool flow)
{
    scalar(out, json_object_get_string(v), (size_t)json_object_get_string_len(v), flow);
}

/* Shortest text that reads back as the same double (a YAML 1.2 float: digits, '.', 'e'). */
static void emit_double(struct cbk_buf *out, double d)
{
    char t[48];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(t, sizeof t, "%.*g", prec, d);
        if (strtod(t, NULL) == d)
            break;
    }
    cbk_buf_adds(out, t);
}

/* A scalar (in a block collection unless 'flow'), or a flow sequence or mapping. */
static void emit_inline(struct cbk_buf *out, struct json_object *v, bool flow)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        cbk_buf_addc(out, '~');
        break;
    case json_type_boolean:
        cbk_buf_adds(out, json_object_get_boolean(v) ? "true" : "false");
        break;
    case json_type_int:
        cbk_buf_addf(out, "%" PRId64, json_object_get_int64(v));
        break;
    case json_type_double:
        emit_double(out, json_object_get_double(v));
        break;
    case json_type_string:
        emit_string(out, v, flow);
        break;
    case json_type_array: {
        cbk_buf_addc(out, '[');
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                cbk_buf_adds(out, ", ");
            emit_inline(out, json_object_array_get_idx(v, i), true);
        }
        cbk_buf_addc(out, ']');
        break;
    }
    case json_type_object: {
        cbk_buf_addc(out, '{');
        bool first = true;
        json_object_object_foreach(v, k, val)
        {
            if (!first)
                cbk_buf_adds(out, ", ");
            first = false;
            scalar(out, k, strlen(k), true);
            cbk_buf_adds(out, ": ");
            emit_inline(out, val, true);
        }
        cbk_buf_addc(out, '}');
        break;
    }
    }
}

/* ---- mappings ----------------------------------------------------------------------------- */

/* The fixed key order of each kind of mapping. */
static const char *const top_order[] = {"cbkit-spec", "metadata",   "documentation", "sources",
                                        "operations", "paginators", "shapes",        NULL};
static const char *const meta_order[] = {"apiVersion",
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
static const char *const source_order[] = {"file", "title", "url", "note", NULL};
static const char *const op_order[] = {"input",         "output", "errors", "deprecated",
                                       "documentation", "source", NULL};
static const char *const pag_order[] = {"inputToken", "outputToken", "limitKey", "resultKeys",
                                        "pageSize",   "source",      NULL};
static const char *const shape_order[] = {
    "type",  "exception",     "error",   "union",   "sensitive", "deprecated", "timestampFormat",
    "min",   "max",           "pattern", "enum",    "required",  "member",     "key",
    "value", "documentation", "source",  "members", NULL};
static const char *const member_order[] = {"shape",         "volatile", "sensitive", "deprecated",
                                           "min",           "max",      "pattern",   "enum",
                                           "documentation", "source",   NULL};
static const char *const error_order[] = {"httpStatusCode", "senderFault", "code", NULL};

enum kind {
    K_TOP,
    K_META,
    K_SOURCES,
    K_SOURCE,
    K_OPS,
    K_OP,
    K_PAGS,
    K_PAG,
    K_SHAPES,
    K_SHAPE,
    K_MEMBERS,
    K_MEMBER,
    K_ERROR,
    K_OTHER
};

static const char *const *order_of(enum kind k)
{
    switch (k) {
    case K_TOP:
        return top_order;
    case K_META:
        return meta_order;
    case K_SOURCE:
        return source_order;
    case K_OP:
        return op_order;
    case K_PAG:
        return pag_order;
    case K_SHAPE:
        return shape_order;
    case K_MEMBER:
        return member_order;
    case K_ERROR:
        return error_order;
    default:
        return NULL;
    }
}

/* The kind of the value of 'key' inside a mapping of kind 'k'. */
static enum kind child_kind(enum kind k, const char *key)
{
    switch (k) {
    case K_TOP:
        if (!strcmp(key, "metadata"))
            return K_META;
        if (!strcmp(key, "sources"))
            return K_SOURCES;
        if (!strcmp(key, "operations"))
            return K_OPS;
        if (!strcmp(key, "paginators"))
            return K_PAGS;
        if (!strcmp(key, "shapes"))
            return K_SHAPES;
        return K_OTHER;
    case K_SOURCES:
        return K_SOURCE;
    case K_OPS:
        return K_OP;
    case K_PAGS:
        return K_PAG;
    case K_SHAPES:
        return K_SHAPE;
    case K_SHAPE:
        if (!strcmp(key, "members"))
            return K_MEMBERS;
        if (!strcmp(key, "member") || !strcmp(key, "key") || !strcmp(key, "value"))
            return K_MEMBER;
        if (!strcmp(key, "error"))
            return K_ERROR;
        return K_OTHER;
    case K_MEMBERS:
        return K_MEMBER;
    default:
        return K_OTHER;
    }
}

/* Is every value of 'v' a scalar, or a list of scalars? (then it fits on one line) */
static bool flat(struct json_object *v)
{
    json_object_object_foreach(v, k, val)
    {
        (void)k;
        if (json_object_is_type(val, json_type_object))
            return false;
        if (json_object_is_type(val, json_type_array)) {
            for (size_t i = 0; i < json_object_array_length(val); i++) {
                enum json_type t = json_object_get_type(json_object_array_get_idx(val, i));
                if (t == json_type_object || t == json_type_array)
                    return false;
            }
        }
    }
    return true;
}

/* Is the mapping 'v' of kind 'k' written on one line ({shape: X}, an error, a paginator)? */
static bool one_line(enum kind k, struct json_object *v)
{
    if (json_object_object_length(v) == 0)
        return true;
    if (k == K_MEMBER)
        return json_object_object_length(v) == 1 && json_object_object_get_ex(v, "shape", NULL);
    if (k == K_ERROR)
        return flat(v);
    if (k == K_PAG)
        return flat(v) && !json_object_object_get_ex(v, "source", NULL);
    return false;
}

static void emit_mapping(struct cbk_buf *out, struct json_object *v, enum kind k, int indent);

static void emit_entry(struct cbk_buf *out, const char *key, struct json_object *val,
                       enum kind parent, int indent)
{
    enum kind ck = child_kind(parent, key);
    cbk_buf_addf(out, "%*s", indent, "");
    scalar(out, key, strlen(key), false);
    cbk_buf_addc(out, ':');
    if (json_object_is_type(val, json_type_object)) {
        if (one_line(ck, val)) {
            cbk_buf_addc(out, ' ');
            emit_inline(out, val, false);
            cbk_buf_addc(out, '\n');
        } else {
            cbk_buf_addc(out, '\n');
            emit_mapping(out, val, ck, indent + 2);
        }
        return;
    }
    /* enums and lists of citations one item a line; other lists (required, errors) inline */
    bool block_list = json_object_is_type(val, json_type_array) &&
                      json_object_array_length(val) > 0 &&
                      (!strcmp(key, "enum") || !strcmp(key, "source"));
    if (block_list) {
        cbk_buf_addc(out, '\n');
        for (size_t i = 0; i < json_object_array_length(val); i++) {
            cbk_buf_addf(out, "%*s- ", indent + 2, "");
            emit_inline(out, json_object_array_get_idx(val, i), false);
            cbk_buf_addc(out, '\n');
        }
        return;
    }
    cbk_buf_addc(out, ' ');
    emit_inline(out, val, false);
    cbk_buf_addc(out, '\n');
}

static void emit_mapping(struct cbk_buf *out, struct json_object *v, enum kind k, int indent)
{
    /* blank lines between sections, operations and shapes */
    bool spaced = k == K_TOP || k == K_OPS || k == K_SHAPES;
    bool first = true;
    const char *const *order = order_of(k);
    for (size_t i = 0; order && order[i]; i++) {
        struct json_object *val;
        if (!json_object_object_get_ex(v, order[i], &val))
            continue;
        if (spaced && !first)
            cbk_buf_addc(out, '\n');
        first = false;
        emit_entry(out, order[i], val, k, indent);
    }
    json_object_object_foreach(v, key, val)
    {
        bool ordered = false;
        for (size_t i = 0; order && order[i]; i++)
            if (!strcmp(order[i], key))
                ordered = true;
        if (ordered)
            continue;
        if (spaced && !first)
            cbk_buf_addc(out, '\n');
        first = false;
        emit_entry(out, key, val, k, indent);
    }
}

enum cbk_code cbk__spec_emit(struct cbk_buf *out, struct json_object *spec, const char *header)
{
    if (header) {
        const char *p = header;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            cbk_buf_addf(out, "#%s%.*s\n", n ? " " : "", (int)n, p);
            p += n + (nl ? 1 : 0);
        }
        cbk_buf_addc(out, '\n');
    }
    emit_mapping(out, spec, K_TOP, 0);
    /* the buffer refuses growth past its maximum: a cut text would load as something else */
    return out->len + 1 >= out->max ? CBK_E_LIMIT : CBK_OK;
}
