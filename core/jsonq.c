/*
 * jsonq.c - pointer lookup, equality and partial matching on json-c values (see jsonq.h).
 */
#include "core/setup.h"
#include "core/jsonq.h"
#include "core/alloc.h"

#include <json-c/json.h>

struct json_object *cbk_jsonq_parse(const char *s, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    int n = (int)CBK_MIN(len, (size_t)INT_MAX);
    struct json_object *doc = json_tokener_parse_ex(tok, s, n);
    bool ok = json_tokener_get_error(tok) == json_tokener_success;
    /* one document and nothing after it but white space ("{} junk" is not JSON) */
    for (size_t i = ok ? json_tokener_get_parse_end(tok) : (size_t)n; i < (size_t)n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            ok = false;
    if (!ok && doc) {
        json_object_put(doc);
        doc = NULL;
    }
    json_tokener_free(tok);
    return doc;
}

bool cbk_jsonq_pointer_valid(const char *p)
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

/* Decode one token (up to the next '/' or end) into 'tok'. */
static const char *next_token(const char *p, char *tok, size_t cap, size_t *len)
{
    size_t n = 0;
    while (*p && *p != '/') {
        char c = *p++;
        if (c == '~') {
            c = *p == '1' ? '/' : '~';
            p++;
        }
        if (n + 1 < cap)
            tok[n] = c;
        n++;
    }
    *len = n;
    if (n < cap)
        tok[n] = '\0';
    return p;
}

bool cbk_jsonq_get(struct json_object *root, const char *pointer, struct json_object **out)
{
    if (!cbk_jsonq_pointer_valid(pointer))
        return false;
    struct json_object *cur = root;
    const char *p = pointer;
    char tok[512];
    while (*p) {
        p++; /* '/' */
        size_t len;
        p = next_token(p, tok, sizeof tok, &len);
        if (len >= sizeof tok)
            return false;
        if (!cur)
            return false;
        if (json_object_is_type(cur, json_type_object)) {
            struct json_object *v = NULL;
            if (!json_object_object_get_ex(cur, tok, &v))
                return false;
            cur = v;
        } else if (json_object_is_type(cur, json_type_array)) {
            if (!len || (len > 1 && tok[0] == '0') || strspn(tok, "0123456789") != len)
                return false;
            size_t idx = (size_t)strtoull(tok, NULL, 10);
            if (idx >= json_object_array_length(cur))
                return false;
            cur = json_object_array_get_idx(cur, idx);
        } else {
            return false;
        }
    }
    *out = cur;
    return true;
}

static bool numeric(struct json_object *o)
{
    return o && (json_object_is_type(o, json_type_int) || json_object_is_type(o, json_type_double));
}

static bool scalar_equal(struct json_object *a, struct json_object *b)
{
    if (numeric(a) && numeric(b)) {
        if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int))
            return json_object_get_int64(a) == json_object_get_int64(b) &&
                   json_object_get_uint64(a) == json_object_get_uint64(b);
        return json_object_get_double(a) == json_object_get_double(b);
    }
    enum json_type ta = a ? json_object_get_type(a) : json_type_null;
    enum json_type tb = b ? json_object_get_type(b) : json_type_null;
    if (ta != tb)
        return false;
    switch (ta) {
    case json_type_null:
        return true;
    case json_type_boolean:
        return json_object_get_boolean(a) == json_object_get_boolean(b);
    case json_type_string:
        return json_object_get_string_len(a) == json_object_get_string_len(b) &&
               memcmp(json_object_get_string(a), json_object_get_string(b),
                      (size_t)json_object_get_string_len(a)) == 0;
    default:
        return false;
    }
}

static bool match(struct json_object *a, struct json_object *b, bool partial, int depth)
{
    if (depth > 256)
        return false;
    enum json_type ta = a ? json_object_get_type(a) : json_type_null;
    enum json_type tb = b ? json_object_get_type(b) : json_type_null;
    if (tb == json_type_object) {
        if (ta != json_type_object)
            return false;
        if (!partial) {
            /* non-null members must be the same set (null counts as absent) */
            size_t na = 0, nb = 0;
            json_object_object_foreach(a, ka, va)
            {
                CBK_UNUSED(ka);
                if (va)
                    na++;
            }
            json_object_object_foreach(b, kb, vb)
            {
                CBK_UNUSED(kb);
                if (vb)
                    nb++;
            }
            if (na != nb)
                return false;
        }
        json_object_object_foreach(b, key, vb)
        {
            struct json_object *va = NULL;
            bool has = json_object_object_get_ex(a, key, &va);
            if (!vb && (!has || !va))
                continue; /* null matches absent */
            if (!has || !match(va, vb, partial, depth + 1))
                return false;
        }
        return true;
    }
    if (tb == json_type_array) {
        if (ta != json_type_array)
            return false;
        size_t n = json_object_array_length(b);
        if (json_object_array_length(a) != n)
            return false;
        for (size_t i = 0; i < n; i++)
            if (!match(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i), partial,
                       depth + 1))
                return false;
        return true;
    }
    return scalar_equal(a, b);
}

bool cbk_jsonq_equal(struct json_object *a, struct json_object *b)
{
    return match(a, b, false, 0);
}

bool cbk_jsonq_partial(struct json_object *value, struct json_object *pattern)
{
    return match(value, pattern, true, 0);
}
