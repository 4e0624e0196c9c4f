/*
 * jsoncanon.c - canonical JSON text (see jsoncanon.h).
 */
#include "core/setup.h"
#include "core/jsoncanon.h"
#include "core/alloc.h"
#include "core/jsonptr.h"
#include "core/jsonw.h"

#include <json-c/json.h>

struct canon {
    struct cbk_buf *out;
    struct cbk_ptr ptr;
    bool (*skip)(const char *pointer, void *arg);
    void *arg;
};

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void emit(struct canon *c, struct json_object *o, int depth)
{
    if (depth > 256) {
        cbk_buf_adds(c->out, "null");
        return;
    }
    switch (o ? json_object_get_type(o) : json_type_null) {
    case json_type_null:
        cbk_buf_adds(c->out, "null");
        return;
    case json_type_boolean:
        cbk_buf_adds(c->out, json_object_get_boolean(o) ? "true" : "false");
        return;
    case json_type_int:
        if (json_object_get_int64(o) == INT64_MAX && json_object_get_uint64(o) > INT64_MAX)
            cbk_buf_addf(c->out, "%" PRIu64, json_object_get_uint64(o));
        else
            cbk_buf_addf(c->out, "%" PRId64, json_object_get_int64(o));
        return;
    case json_type_double: {
        double d = json_object_get_double(o);
        /* range first: converting a double outside int64_t is undefined */
        if (d > -9e15 && d < 9e15 && d == (double)(int64_t)d) {
            cbk_buf_addf(c->out, "%" PRId64, (int64_t)d); /* 5.0 == 5 */
        } else {
            struct cbk_jsonw w;
            cbk_jsonw_init(&w, c->out);
            cbk_jsonw_double(&w, d);
        }
        return;
    }
    case json_type_string:
        cbk_buf_add_json_str(c->out, json_object_get_string(o),
                             (size_t)json_object_get_string_len(o));
        return;
    case json_type_array: {
        size_t n = json_object_array_length(o);
        cbk_buf_addc(c->out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                cbk_buf_addc(c->out, ',');
            size_t mark = cbk_ptr_push_index(&c->ptr, i);
            emit(c, json_object_array_get_idx(o, i), depth + 1);
            cbk_ptr_pop(&c->ptr, mark);
        }
        cbk_buf_addc(c->out, ']');
        return;
    }
    case json_type_object: {
        size_t n = (size_t)json_object_object_length(o);
        const char **keys = cbk_xcalloc(n ? n : 1, sizeof(char *));
        size_t k = 0;
        json_object_object_foreach(o, key, val)
        {
            if (!val)
                continue;
            keys[k++] = key;
        }
        qsort(keys, k, sizeof(char *), cmp_keys);
        cbk_buf_addc(c->out, '{');
        bool first = true;
        for (size_t i = 0; i < k; i++) {
            size_t mark = cbk_ptr_push_key(&c->ptr, keys[i], strlen(keys[i]));
            if (c->skip && c->skip(cbk_ptr_str(&c->ptr), c->arg)) {
                cbk_ptr_pop(&c->ptr, mark);
                continue;
            }
            if (!first)
                cbk_buf_addc(c->out, ',');
            first = false;
            cbk_buf_add_json_str(c->out, keys[i], strlen(keys[i]));
            cbk_buf_addc(c->out, ':');
            emit(c, json_object_object_get(o, keys[i]), depth + 1);
            cbk_ptr_pop(&c->ptr, mark);
        }
        cbk_buf_addc(c->out, '}');
        free(keys);
        return;
    }
    }
}

void cbk_json_canonical(struct json_object *o, struct cbk_buf *out,
                        bool (*skip)(const char *pointer, void *arg), void *arg)
{
    struct canon c;
    c.out = out;
    cbk_ptr_init(&c.ptr);
    c.skip = skip;
    c.arg = arg;
    emit(&c, o, 0);
    cbk_ptr_release(&c.ptr);
}
