/*
 * scenario_template.c - canned answers with placeholders (docs/scenarios.md, "Templates"):
 * {{request./ptr}}, {{uuid}}, {{now}}, {{count}}, {{seq}}, {{region}}, {{account}} in a
 * template's strings are replaced when a rule answers. Pure functions of their inputs.
 */
#include "core/setup.h"
#include "scenarios/scenario_model.h"
#include "core/alloc.h"
#include "core/jsonq.h"
#include "core/jsonw.h"

#include <json-c/json.h>

struct tctx {
    struct json_object *req;
    struct cbk_rng *rng;
    int64_t now_ms;
    uint64_t count, seq;
    const char *region, *account;
};

/* Write the value of one placeholder: as JSON when 'typed', as text otherwise. */
static void placeholder(const struct tctx *t, const char *name, size_t len, bool typed,
                        struct cbk_buf *out)
{
    char tmp[64];
    struct cbk_jsonw w;
    cbk_jsonw_init(&w, out);
    if (len > 8 && strncmp(name, "request.", 8) == 0) {
        char ptr[512];
        size_t pl = CBK_MIN(len - 8, sizeof ptr - 1);
        memcpy(ptr, name + 8, pl);
        ptr[pl] = '\0';
        struct json_object *v = NULL;
        bool found = t->req ? cbk_jsonq_get(t->req, ptr, &v) : false;
        if (!t->req) {
            /* load-time check: a sample value */
            if (typed)
                cbk_jsonw_str(&w, "x");
            else
                cbk_buf_addc(out, 'x');
            return;
        }
        if (!found || !v) {
            if (typed)
                cbk_jsonw_null(&w);
            return;
        }
        if (!typed && json_object_is_type(v, json_type_string)) {
            cbk_buf_add(out, json_object_get_string(v), (size_t)json_object_get_string_len(v));
            return;
        }
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
        cbk_buf_adds(out, s);
        return;
    }
#define IS(x) (len == sizeof(x) - 1 && strncmp(name, x, len) == 0)
    if (IS("uuid")) {
        char u[37];
        cbk_uuid_format(u, cbk_rng_next(t->rng), cbk_rng_next(t->rng));
        if (typed)
            cbk_jsonw_str(&w, u);
        else
            cbk_buf_adds(out, u);
    } else if (IS("now")) {
        cbk_jsonw_epoch_ms(&w, t->now_ms);
    } else if (IS("count") || IS("seq")) {
        snprintf(tmp, sizeof tmp, "%" PRIu64, IS("count") ? t->count : t->seq);
        cbk_buf_adds(out, tmp);
    } else if (IS("region") || IS("account")) {
        const char *s = IS("region") ? t->region : t->account;
        if (typed)
            cbk_jsonw_str(&w, s);
        else
            cbk_buf_adds(out, s);
    }
#undef IS
}

/* Placeholder names a template may use (request.* aside). */
static bool known_placeholder(const char *name, size_t len)
{
    static const char *const names[] = {"uuid", "now", "count", "seq", "region", "account"};
    if (len > 9 && strncmp(name, "request./", 9) == 0)
        return true;
    if (len == 8 && strncmp(name, "request.", 8) == 0)
        return false;
    for (size_t i = 0; i < CBK_ARRAY_SIZE(names); i++)
        if (strlen(names[i]) == len && strncmp(name, names[i], len) == 0)
            return true;
    return false;
}

static void render_string(const struct tctx *t, const char *s, size_t n, struct cbk_buf *out)
{
    /* exactly one placeholder: typed value */
    if (n > 4 && s[0] == '{' && s[1] == '{' && s[n - 2] == '}' && s[n - 1] == '}' &&
        !memmem(s + 2, n - 4, "{{", 2) && !memmem(s + 2, n - 4, "}}", 2) &&
        known_placeholder(s + 2, n - 4)) {
        placeholder(t, s + 2, n - 4, true, out);
        return;
    }
    struct cbk_buf text = CBK_BUF_INIT((size_t)16 << 20);
    size_t i = 0;
    while (i < n) {
        const char *open = memmem(s + i, n - i, "{{", 2);
        if (!open) {
            cbk_buf_add(&text, s + i, n - i);
            break;
        }
        size_t o = (size_t)(open - s);
        const char *close = memmem(s + o + 2, n - o - 2, "}}", 2);
        if (!close) {
            cbk_buf_add(&text, s + i, n - i);
            break;
        }
        size_t c = (size_t)(close - s);
        cbk_buf_add(&text, s + i, o - i);
        if (known_placeholder(s + o + 2, c - o - 2))
            placeholder(t, s + o + 2, c - o - 2, false, &text);
        else
            cbk_buf_add(&text, s + o, c + 2 - o);
        i = c + 2;
    }
    cbk_buf_add_json_str(out, cbk_buf_str(&text), text.len);
    cbk_buf_release(&text);
}

static void render(const struct tctx *t, struct json_object *o, struct cbk_buf *out, int depth)
{
    if (depth > 64) {
        cbk_buf_adds(out, "null");
        return;
    }
    switch (o ? json_object_get_type(o) : json_type_null) {
    case json_type_object: {
        cbk_buf_addc(out, '{');
        bool first = true;
        json_object_object_foreach(o, key, val)
        {
            if (!first)
                cbk_buf_addc(out, ',');
            first = false;
            cbk_buf_add_json_str(out, key, strlen(key));
            cbk_buf_addc(out, ':');
            render(t, val, out, depth + 1);
        }
        cbk_buf_addc(out, '}');
        return;
    }
    case json_type_array:
        cbk_buf_addc(out, '[');
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            if (i)
                cbk_buf_addc(out, ',');
            render(t, json_object_array_get_idx(o, i), out, depth + 1);
        }
        cbk_buf_addc(out, ']');
        return;
    case json_type_string:
        render_string(t, json_object_get_string(o), (size_t)json_object_get_string_len(o), out);
        return;
    default:
        cbk_buf_adds(out, o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : "null");
        return;
    }
}

/* The first placeholder of the template that is not one of the known names, or NULL. */
static const char *unknown_in(struct json_object *o, struct cbk_buf *name, int depth)
{
    if (!o || depth > 64)
        return NULL;
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v)
        {
            (void)k;
            const char *u = unknown_in(v, name, depth + 1);
            if (u)
                return u;
        }
        return NULL;
    }
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++) {
            const char *u = unknown_in(json_object_array_get_idx(o, i), name, depth + 1);
            if (u)
                return u;
        }
        return NULL;
    }
    if (!json_object_is_type(o, json_type_string))
        return NULL;
    const char *s = json_object_get_string(o);
    size_t n = (size_t)json_object_get_string_len(o);
    for (const char *p = memmem(s, n, "{{", 2); p;
         p = memmem(p + 2, n - (size_t)(p + 2 - s), "{{", 2)) {
        const char *close = memmem(p + 2, n - (size_t)(p + 2 - s), "}}", 2);
        if (!close)
            break;
        if (!known_placeholder(p + 2, (size_t)(close - p - 2))) {
            cbk_buf_reset(name);
            cbk_buf_add(name, p, (size_t)(close + 2 - p));
            return cbk_buf_str(name);
        }
        if ((size_t)(close + 2 - s) >= n)
            break;
    }
    return NULL;
}

bool cbk__scen_template_unknown(struct json_object *tmpl, struct cbk_buf *name)
{
    return unknown_in(tmpl, name, 0) != NULL;
}

void cbk__scen_render_template(struct json_object *tmpl, struct json_object *req,
                               struct cbk_rng *rng, int64_t now_ms, uint64_t count, uint64_t seq,
                               const char *region, const char *account, struct cbk_buf *out)
{
    struct tctx t = {req, rng, now_ms, count, seq, region, account};
    render(&t, tmpl, out, 0);
}
