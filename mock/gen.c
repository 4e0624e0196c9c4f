/*
 * gen.c - values valid for a shape, generated from the spec (see gen.h).
 */
#include "core/setup.h"
#include "core/regex.h"
#include "mock/gen.h"
#include "core/timefmt.h"

#define MAX_DEPTH 6

static bool contains(const char *s, const char *needle)
{
    return s && strcasestr(s, needle) != NULL;
}

static bool pattern_ok(struct cbk_gen *g, const struct cbk_constraints *c, const char *s)
{
    if (!c->re)
        return true;
    CBK_UNUSED(g);
    return cbk_regex_match(c->re, s, strlen(s), NULL, 0) == CBK_RE_MATCH;
}

/* Fit 's' to the length bounds by padding with 'pad' or cutting (ASCII text). */
static void fit_length(const struct cbk_constraints *c, char *s, size_t cap, char pad)
{
    size_t n = strlen(s);
    if (c->has_max && (int64_t)n > c->max)
        n = (size_t)(c->max < 0 ? 0 : c->max);
    s[n] = '\0';
    while (c->has_min && (int64_t)n < c->min && n + 1 < cap)
        s[n++] = pad;
    s[n] = '\0';
}

/*
 * A value for a string with a pattern the realistic value does not match: the first of a few
 * common shapes of values (words, numbers, account ids, ARNs, URLs, host names) that matches,
 * padded to the length bounds with one of a few characters. Leaves the realistic value in 's'
 * when none does (the answer is then invalid: a pattern this cannot satisfy).
 */
static void fit_pattern(struct cbk_gen *g, const struct cbk_constraints *c, char *s, size_t cap,
                        const char *uuid)
{
    char arn[256];
    snprintf(arn, sizeof arn, "arn:aws:service:%s:%s:resource/example", g->region, g->account);
    const char *const tries[] = {"example",
                                 "example_1",
                                 "Example1",
                                 "a",
                                 "A",
                                 "1",
                                 "0",
                                 "a1",
                                 "x-1",
                                 g->account,
                                 uuid,
                                 arn,
                                 "s3://example-bucket/example",
                                 "https://example.com/example",
                                 "example.com",
                                 "1.0",
                                 g->region,
                                 "example@example.com",
                                 ""};
    static const char pads[] = {'x', '0', 'a', 'A', '1'};
    char t[512];
    for (size_t i = 0; i < CBK_ARRAY_SIZE(tries); i++) {
        for (size_t k = 0; k < sizeof pads; k++) {
            snprintf(t, sizeof t, "%s", tries[i]);
            fit_length(c, t, sizeof t, pads[k]);
            if (pattern_ok(g, c, t)) {
                snprintf(s, cap, "%s", t);
                return;
            }
        }
    }
}

static void gen_string(struct cbk_gen *g, const struct cbk_member *m, const char *name,
                       struct cbk_jsonw *w)
{
    const struct cbk_constraints *c = &m->c;
    if (c->enum_values) {
        cbk_jsonw_str(w, c->enum_values[cbk_rng_below(g->rng, c->enum_count)]);
        return;
    }
    char s[512];
    char uuid[37];
    cbk_uuid_format(uuid, cbk_rng_next(g->rng), cbk_rng_next(g->rng));
    if (contains(name, "arn"))
        snprintf(s, sizeof s, "arn:aws:service:%s:%s:resource/%s", g->region, g->account, uuid);
    else if (contains(name, "accountid"))
        snprintf(s, sizeof s, "%s", g->account);
    else if (contains(name, "id") || contains(name, "token"))
        snprintf(s, sizeof s, "%s", uuid);
    else if (contains(name, "name"))
        snprintf(s, sizeof s, "example-%.8s", uuid);
    else if (contains(name, "url") || contains(name, "link"))
        snprintf(s, sizeof s, "https://example.com/%.8s", uuid);
    else
        snprintf(s, sizeof s, "example");
    fit_length(c, s, sizeof s, 'x');
    if (!pattern_ok(g, c, s))
        fit_pattern(g, c, s, sizeof s, uuid);
    cbk_jsonw_str(w, s);
}

static int64_t pick_int(const struct cbk_constraints *c, int64_t lo_type, int64_t hi_type)
{
    int64_t lo = c->has_min ? c->min : lo_type, hi = c->has_max ? c->max : hi_type;
    int64_t v = 1;
    if (v < lo)
        v = lo;
    if (v > hi)
        v = hi;
    return v;
}

static void gen_member(struct cbk_gen *g, const struct cbk_member *m, const char *name,
                       struct cbk_jsonw *w, int depth);

static void gen_struct(struct cbk_gen *g, const struct cbk_shape *sh, struct cbk_jsonw *w,
                       int depth)
{
    cbk_jsonw_obj(w);
    /* a union carries exactly one member: the first */
    size_t n = sh->is_union ? CBK_MIN(sh->member_count, (size_t)1) : sh->member_count;
    for (size_t i = 0; i < n; i++) {
        const struct cbk_member *m = &sh->members[i];
        bool container = m->shape->type == CBK_TYPE_STRUCTURE || m->shape->type == CBK_TYPE_LIST ||
                         m->shape->type == CBK_TYPE_MAP;
        if (!m->required && !sh->is_union && (depth >= 3 || (container && depth >= 2)))
            continue;
        if (depth >= MAX_DEPTH && !m->required)
            continue;
        cbk_jsonw_key(w, m->name);
        gen_member(g, m, m->name, w, depth + 1);
    }
    cbk_jsonw_end_obj(w);
}

static void gen_member(struct cbk_gen *g, const struct cbk_member *m, const char *name,
                       struct cbk_jsonw *w, int depth)
{
    const struct cbk_shape *sh = m->shape;
    const struct cbk_constraints *c = &m->c;
    switch (sh->type) {
    case CBK_TYPE_STRUCTURE:
        gen_struct(g, sh, w, depth);
        return;
    case CBK_TYPE_LIST: {
        int64_t n = depth >= MAX_DEPTH ? 0 : 1;
        if (c->has_min && n < c->min)
            n = c->min;
        if (c->has_max && n > c->max)
            n = c->max;
        cbk_jsonw_arr(w);
        for (int64_t i = 0; i < n && i < 16; i++)
            gen_member(g, sh->member, name, w, depth + 1);
        cbk_jsonw_end_arr(w);
        return;
    }
    case CBK_TYPE_MAP: {
        cbk_jsonw_obj(w);
        bool one = !(c->has_max && c->max < 1) && depth < MAX_DEPTH;
        if (one || (c->has_min && c->min > 0)) {
            struct cbk_buf kb = CBK_BUF_INIT(4096);
            struct cbk_jsonw kw;
            cbk_jsonw_init(&kw, &kb);
            gen_string(g, sh->key, "key", &kw);
            /* kb holds a JSON string literal: use it as the key */
            cbk_jsonw_raw(w, kb.ptr, kb.len);
            cbk_buf_addc(w->b, ':');
            w->after_key = true;
            cbk_buf_release(&kb);
            gen_member(g, sh->value, name, w, depth + 1);
        }
        cbk_jsonw_end_obj(w);
        return;
    }
    case CBK_TYPE_STRING:
        gen_string(g, m, name, w);
        return;
    case CBK_TYPE_INTEGER:
        cbk_jsonw_int(w, pick_int(c, INT32_MIN, INT32_MAX));
        return;
    case CBK_TYPE_LONG:
        cbk_jsonw_int(w, pick_int(c, INT64_MIN, INT64_MAX));
        return;
    case CBK_TYPE_BOOLEAN:
        cbk_jsonw_bool(w, false);
        return;
    case CBK_TYPE_TIMESTAMP: {
        char t[32];
        if (sh->ts_format == CBK_TS_ISO8601) {
            cbk_iso8601_ms(g->now_ms, t);
            cbk_jsonw_str(w, t);
        } else if (sh->ts_format == CBK_TS_RFC822) {
            cbk_http_date(g->now_ms / 1000, t);
            cbk_jsonw_str(w, t);
        } else {
            cbk_jsonw_epoch_ms(w, g->now_ms);
        }
        return;
    }
    case CBK_TYPE_DOCUMENT:
        cbk_jsonw_obj(w);
        cbk_jsonw_end_obj(w);
        return;
    case CBK_TYPE_DOUBLE:
    case CBK_TYPE_FLOAT: {
        double v = 1.0;
        if (c->has_min && v < c->dmin)
            v = c->dmin;
        if (c->has_max && v > c->dmax)
            v = c->dmax;
        cbk_jsonw_double(w, v);
        return;
    }
    case CBK_TYPE_BLOB: {
        /* base64 of "example" cut or padded by whole groups of 3 bytes */
        int64_t bytes = 7;
        if (c->has_max && bytes > c->max)
            bytes = c->max;
        if (c->has_min && bytes < c->min)
            bytes = c->min;
        char out[1024];
        size_t o = 0;
        for (int64_t i = 0; i < bytes && o + 4 < sizeof out; i += 3) {
            int64_t left = bytes - i;
            memcpy(out + o, left >= 3 ? "ZXhh" : left == 2 ? "ZXg=" : "ZQ==", 4);
            o += 4;
        }
        cbk_jsonw_strn(w, out, o);
        return;
    }
    }
}

void cbk_gen_shape(struct cbk_gen *g, const struct cbk_shape *shape, struct cbk_jsonw *w)
{
    gen_struct(g, shape, w, 0);
}
