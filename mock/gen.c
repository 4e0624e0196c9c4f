/*
 * gen.c - values valid for a shape, generated from the spec (see gen.h).
 */
#include "core/setup.h"
#include "core/regex.h"
#include "mock/gen.h"
#include "core/timefmt.h"

#define MAX_DEPTH 6
/* Items of a generated list or map, at most: more only when the shape's min asks for more. */
#define MAX_ITEMS 16
/* Beyond this depth (only required members recurse this deep: a spec whose structures require
 * themselves) structures are written empty rather than recursing without end. */
#define HARD_DEPTH 64

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

/* A value for a string without enum, into s[512]. */
static void string_text(struct cbk_gen *g, const struct cbk_constraints *c, const char *name,
                        char *s)
{
    char uuid[37];
    cbk_uuid_format(uuid, cbk_rng_next(g->rng), cbk_rng_next(g->rng));
    if (contains(name, "arn"))
        snprintf(s, 512, "arn:aws:service:%s:%s:resource/%s", g->region, g->account, uuid);
    else if (contains(name, "accountid"))
        snprintf(s, 512, "%s", g->account);
    else if (contains(name, "id") || contains(name, "token"))
        snprintf(s, 512, "%s", uuid);
    else if (contains(name, "name"))
        snprintf(s, 512, "example-%.8s", uuid);
    else if (contains(name, "url") || contains(name, "link"))
        snprintf(s, 512, "https://example.com/%.8s", uuid);
    else
        snprintf(s, 512, "example");
    fit_length(c, s, 512, 'x');
    if (!pattern_ok(g, c, s))
        fit_pattern(g, c, s, 512, uuid);
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
    string_text(g, c, name, s);
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

/* Items of a list or map: one (none when deep), within min..max, at most MAX_ITEMS unless
 * min asks for more (at most 1,000). */
static int64_t item_count(const struct cbk_constraints *c, int depth)
{
    int64_t n = depth >= MAX_DEPTH ? 0 : 1;
    if (c->has_min && n < c->min)
        n = CBK_MIN(c->min, (int64_t)1000);
    if (c->has_max && n > c->max)
        n = c->max;
    if (n > MAX_ITEMS && !(c->has_min && c->min > MAX_ITEMS))
        n = MAX_ITEMS;
    return n < 0 ? 0 : n;
}

/*
 * A map of item_count() entries with distinct keys: enum keys take the values in order, other
 * keys are the generated value with its last one or two characters varied until one is new
 * and still fits (a key shape that allows fewer distinct values than the map's min gives fewer
 * entries: invalid, as nothing could be valid).
 */
static void gen_map(struct cbk_gen *g, const struct cbk_shape *sh, const struct cbk_constraints *c,
                    const char *name, struct cbk_jsonw *w, int depth)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    int64_t n = item_count(c, depth);
    char base[512], k[512];
    if (!sh->key->c.enum_values)
        string_text(g, &sh->key->c, "key", base);
    const struct cbk_constraints *kc = &sh->key->c;
    struct cbk_buf kb = CBK_BUF_INIT(1 << 20);
    /* the keys so far as "\nK1\nK2\n": JSON literals hold no raw newline, so "\nK\n" is
     * found in it exactly when K was used */
    struct cbk_buf used = CBK_BUF_INIT(1 << 24);
    cbk_buf_addc(&used, '\n');
    cbk_jsonw_obj(w);
    for (int64_t i = 0; i < n; i++) {
        bool fresh = false;
        size_t tries = kc->enum_values ? kc->enum_count : 1 + 62 + 62 * 62;
        for (size_t t = 0; t < tries && !fresh; t++) {
            cbk_buf_reset(&kb);
            cbk_buf_addc(&kb, '\n');
            struct cbk_jsonw kw;
            cbk_jsonw_init(&kw, &kb);
            if (kc->enum_values) {
                cbk_jsonw_str(&kw, kc->enum_values[((size_t)i + t) % kc->enum_count]);
            } else {
                size_t len = strlen(base);
                memcpy(k, base, len + 1);
                if (t > 0 && len >= 1)
                    k[len - 1] = alphabet[(t - 1) % 62];
                if (t > 62 && len >= 2)
                    k[len - 2] = alphabet[(t - 63) / 62];
                if (t > 0 && (len == 0 || (t > 62 && len < 2) || !pattern_ok(g, kc, k)))
                    continue;
                cbk_jsonw_str(&kw, k);
            }
            cbk_buf_addc(&kb, '\n');
            fresh = !memmem(used.ptr, used.len, kb.ptr, kb.len);
        }
        if (!fresh)
            break;
        cbk_buf_add(&used, kb.ptr + 1, kb.len - 1);
        /* kb holds "\n" + a JSON string literal + "\n": the literal is the key */
        cbk_jsonw_raw(w, kb.ptr + 1, kb.len - 2);
        cbk_buf_addc(w->b, ':');
        w->after_key = true;
        gen_member(g, sh->value, name, w, depth + 1);
    }
    cbk_jsonw_end_obj(w);
    cbk_buf_release(&kb);
    cbk_buf_release(&used);
}

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
        if (depth > HARD_DEPTH) {
            cbk_jsonw_obj(w);
            cbk_jsonw_end_obj(w);
            return;
        }
        gen_struct(g, sh, w, depth);
        return;
    case CBK_TYPE_LIST: {
        int64_t n = item_count(c, depth);
        cbk_jsonw_arr(w);
        for (int64_t i = 0; i < n; i++)
            gen_member(g, sh->member, name, w, depth + 1);
        cbk_jsonw_end_arr(w);
        return;
    }
    case CBK_TYPE_MAP:
        gen_map(g, sh, c, name, w, depth);
        return;
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
