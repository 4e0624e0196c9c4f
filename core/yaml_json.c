/*
 * yaml_json.c - YAML trees to json-c values, and JSON pointers into YAML trees.
 */
#include "core/setup.h"
#include "core/yaml_json.h"

#include <json-c/json.h>
#include <math.h>

static struct json_object *scalar(const struct cbk_ynode *n)
{
    if (!n->plain)
        return json_object_new_string_len(n->str, (int)n->len);
    if (cbk_y_is_null(n))
        return NULL;
    if (!strcmp(n->str, "true") || !strcmp(n->str, "True") || !strcmp(n->str, "TRUE"))
        return json_object_new_boolean(1);
    if (!strcmp(n->str, "false") || !strcmp(n->str, "False") || !strcmp(n->str, "FALSE"))
        return json_object_new_boolean(0);
    int64_t i;
    if (cbk_y_parse_int(n, &i))
        return json_object_new_int64(i);
    /* a float per YAML 1.2 core: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    const char *s = n->str;
    size_t k = 0;
    if (s[k] == '-' || s[k] == '+')
        k++;
    size_t digits = 0;
    while (s[k] >= '0' && s[k] <= '9') {
        k++;
        digits++;
    }
    if (s[k] == '.') {
        k++;
        while (s[k] >= '0' && s[k] <= '9') {
            k++;
            digits++;
        }
    }
    if (digits && (s[k] == 'e' || s[k] == 'E')) {
        size_t e = k + 1;
        if (s[e] == '-' || s[e] == '+')
            e++;
        size_t ed = 0;
        while (s[e] >= '0' && s[e] <= '9') {
            e++;
            ed++;
        }
        if (ed)
            k = e;
    }
    if (digits && k == n->len) {
        double d = strtod(s, NULL);
        if (isfinite(d))
            return json_object_new_double_s(d, s);
    }
    return json_object_new_string_len(n->str, (int)n->len);
}

struct json_object *cbk_yaml_to_json(const struct cbk_ynode *n)
{
    if (!n)
        return NULL;
    switch (n->kind) {
    case CBK_Y_SCALAR:
        return scalar(n);
    case CBK_Y_SEQ: {
        struct json_object *a = json_object_new_array_ext((int)n->n);
        for (size_t i = 0; i < n->n; i++)
            json_object_array_add(a, cbk_yaml_to_json(n->items[i]));
        return a;
    }
    case CBK_Y_MAP: {
        struct json_object *o = json_object_new_object();
        for (size_t i = 0; i < n->n; i++)
            json_object_object_add(o, n->keys[i]->str, cbk_yaml_to_json(n->items[i]));
        return o;
    }
    }
    return NULL;
}

const struct cbk_ynode *cbk_yaml_at_pointer(const struct cbk_ynode *n, const char *pointer)
{
    const char *p = pointer;
    char tok[512];
    while (n && *p == '/') {
        p++;
        size_t len = 0;
        while (*p && *p != '/') {
            char c = *p++;
            if (c == '~') {
                c = *p == '1' ? '/' : '~';
                if (*p)
                    p++;
            }
            if (len + 1 < sizeof tok)
                tok[len++] = c;
        }
        tok[len] = '\0';
        const struct cbk_ynode *next = NULL;
        if (n->kind == CBK_Y_MAP) {
            next = cbk_y_get(n, tok);
        } else if (n->kind == CBK_Y_SEQ) {
            char *end = NULL;
            unsigned long idx = strtoul(tok, &end, 10);
            if (end && !*end && idx < n->n)
                next = n->items[idx];
        }
        if (!next)
            return n; /* as close as we get */
        n = next;
    }
    return n;
}
