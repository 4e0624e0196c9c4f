/*
 * gen.c - answers generated from the spec (see gen.h): values valid for the output shape,
 * realistic where the member names say what a value is, echoing the request, paging listings.
 */
#include "core/setup.h"
#include "core/alloc.h"
#include "core/regex.h"
#include "core/jsonscan.h"
#include "mock/gen.h"
#include "core/timefmt.h"

#include <ctype.h>
#include <json-c/json.h>

#define MAX_DEPTH 6
/* Items of a generated list or map, at most: more only when the shape's min asks for more. */
#define MAX_ITEMS 16
/* Beyond this depth (only required members recurse this deep: a spec whose structures require
 * themselves) structures are written empty rather than recursing without end. */
#define HARD_DEPTH 64
/* Items of a list answering a request's list (BatchGet-like), at most. */
#define MAX_ECHO_ITEMS 100
/* Text of one generated value (ids, names, ARNs), at most, before fitting. */
#define TEXT 512

/* ---- names ------------------------------------------------------------------------------- */

static bool contains(const char *s, const char *needle)
{
    return s && strcasestr(s, needle) != NULL;
}

/* Does 's' end with 'tail' (case-sensitive: the words of camelCase names)? */
static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && memcmp(s + n - t, tail, t) == 0;
}

/*
 * Does the member name 'name' say "the ARN of something"? `arn`, `Arn`, `ARN`, `xArn`, `xArns`
 * (a list of them), `xARN`. *prefix_len is the length of the x part (0 for a bare arn).
 */
static bool arn_name(const char *name, size_t *prefix_len)
{
    size_t n = strlen(name);
    if (strcasecmp(name, "arn") == 0 || strcasecmp(name, "arns") == 0) {
        *prefix_len = 0;
        return true;
    }
    if (ends_with(name, "Arn") || ends_with(name, "ARN")) {
        *prefix_len = n - 3;
        return true;
    }
    if (ends_with(name, "Arns") || ends_with(name, "ARNs")) {
        *prefix_len = n - 4;
        return true;
    }
    return false;
}

/* Does 'name' say "an id": `id`, `ids`, `xId`, `xIds`, `xID`, `xIdentifier`? */
static bool id_name(const char *name)
{
    return strcasecmp(name, "id") == 0 || strcasecmp(name, "ids") == 0 || ends_with(name, "Id") ||
           ends_with(name, "Ids") || ends_with(name, "ID") || ends_with(name, "Identifier");
}

/* Does 'name' say "a name": `name`, `names`, `xName`, `xNames`? *prefix_len: the x part. */
static bool name_name(const char *name, size_t *prefix_len)
{
    size_t n = strlen(name);
    if (strcasecmp(name, "name") == 0 || strcasecmp(name, "names") == 0) {
        *prefix_len = 0;
        return true;
    }
    if (ends_with(name, "Name")) {
        *prefix_len = n - 4;
        return true;
    }
    if (ends_with(name, "Names")) {
        *prefix_len = n - 5;
        return true;
    }
    return false;
}

/*
 * The kebab-case resource type of the camelCase or PascalCase word s[0..n), singular (a
 * trailing 's' dropped, "ies" -> "y"): "ReportGroup" -> "report-group", "projects" ->
 * "project". Into out[cap]; "" when n is 0.
 */
static void kebab(const char *s, size_t n, char *out, size_t cap)
{
    if (n > 3 && strncasecmp(s + n - 3, "ies", 3) == 0) {
        n -= 3;
        size_t o = 0;
        kebab(s, n, out, cap > 1 ? cap - 1 : cap);
        o = strlen(out);
        if (o + 1 < cap) {
            out[o] = 'y';
            out[o + 1] = '\0';
        }
        return;
    }
    if (n > 2 && s[n - 1] == 's' && s[n - 2] != 's' && s[n - 2] != 'u')
        n--;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c)) {
            if (o && out[o - 1] != '-')
                out[o++] = '-';
            continue;
        }
        /* a word starts at an upper-case letter after a lower-case one or a digit, and at the
         * last capital of a run followed by a lower-case letter ("HTTPServer" -> http-server) */
        bool starts =
            isupper(c) && i > 0 &&
            (islower((unsigned char)s[i - 1]) || isdigit((unsigned char)s[i - 1]) ||
             (isupper((unsigned char)s[i - 1]) && i + 1 < n && islower((unsigned char)s[i + 1])));
        if (starts && o && out[o - 1] != '-')
            out[o++] = '-';
        out[o++] = (char)tolower(c);
    }
    while (o && out[o - 1] == '-')
        o--;
    out[o] = '\0';
}

/* Leading words of operation names that say what is done, not to what. */
static const char *const verbs[] = {
    "Batch", "Get",   "List",  "Describe", "Create",    "Update",       "Delete",
    "Put",   "Start", "Stop",  "Retry",    "Import",    "Invalidate",   "Remove",
    "Add",   "Tag",   "Untag", "Test",     "Associate", "Disassociate", "Filter"};

/* The resource type an operation's answer is about: its name less its leading verbs
 * (BatchGetProjects -> project, CreateReportGroup -> report-group). */
static void op_kind(const char *op, char *out, size_t cap)
{
    const char *s = op;
    for (bool more = true; more;) {
        more = false;
        for (size_t i = 0; i < CBK_ARRAY_SIZE(verbs); i++) {
            size_t n = strlen(verbs[i]);
            if (strncmp(s, verbs[i], n) == 0 && isupper((unsigned char)s[n])) {
                s += n;
                more = true;
                break;
            }
        }
    }
    kebab(s, strlen(s), out, cap);
    if (!*out)
        snprintf(out, cap, "resource");
}

/* ---- values and constraints ---------------------------------------------------------------- */

static bool pattern_ok(const struct cbk_constraints *c, const char *s, size_t len)
{
    return !c->re || cbk_regex_match(c->re, s, len, NULL, 0) == CBK_RE_MATCH;
}

/* Is the UTF-8 text s[0..len) valid for a string member with constraints 'c'? */
static bool text_fits(const struct cbk_constraints *c, const char *s, size_t len)
{
    if (!cbk_utf8_valid(s, len) || memchr(s, '\0', len))
        return false;
    int64_t n = (int64_t)cbk_utf8_count(s, len);
    if ((c->has_min && n < c->min) || (c->has_max && n > c->max))
        return false;
    if (c->enum_values && !cbk_constraints_enum_has(c, s, len))
        return false;
    return pattern_ok(c, s, len);
}

/* Eight hex digits from the request's generator, into out[9]. */
static void hex8(struct cbk_gen *g, char out[9])
{
    snprintf(out, 9, "%08x", (unsigned)(cbk_rng_next(g->rng) >> 32));
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

/* An ARN of the resource 'kind' named 'ident': IAM roles are global ("arn:aws:iam::ACCOUNT:
 * role/NAME"), everything else the spec's service in the mock's region. Into out[TEXT]. */
static void arn_text(struct cbk_gen *g, const char *kind, const char *ident, char *out)
{
    /* the identifier is cut to what leaves room for the rest */
    if (strcmp(kind, "role") == 0 || ends_with(kind, "-role"))
        snprintf(out, TEXT, "arn:aws:iam::%.20s:role/%.400s", g->account, ident);
    else
        snprintf(out, TEXT, "arn:aws:%.32s:%.20s:%.20s:%.40s/%.360s", g->service, g->region,
                 g->account, kind[0] ? kind : "resource", ident);
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
    char arn[TEXT];
    arn_text(g, "resource", "example", arn);
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
    char t[TEXT];
    for (size_t i = 0; i < CBK_ARRAY_SIZE(tries); i++) {
        for (size_t k = 0; k < sizeof pads; k++) {
            snprintf(t, sizeof t, "%s", tries[i]);
            fit_length(c, t, sizeof t, pads[k]);
            if (pattern_ok(c, t, strlen(t))) {
                snprintf(s, cap, "%s", t);
                return;
            }
        }
    }
}

/* Make out[TEXT] valid for 'c': cut or pad it, else replace it by a common form that fits. */
static void fit_text(struct cbk_gen *g, const struct cbk_constraints *c, char *out)
{
    fit_length(c, out, TEXT, 'x');
    if (!pattern_ok(c, out, strlen(out))) {
        char uuid[37];
        cbk_uuid_format(uuid, cbk_rng_next(g->rng), cbk_rng_next(g->rng));
        fit_pattern(g, c, out, TEXT, uuid);
    }
}

/* ---- what a structure knows of itself ------------------------------------------------------ */

/*
 * The identity of the structure being written: its name, id and owner's name (a member
 * `xName` such as a build's projectName), each echoed from the request or generated once,
 * so that its id and ARN agree (a build `my-app:uuid` of project my-app, ARN
 * arn:...:build/my-app:uuid).
 */
struct scope {
    struct json_object *echo; /* the request, whose same-named members are echoed; or NULL */
    char kind[64];            /* the resource type ("project", "report-group") */
    const struct cbk_member *name_m, *id_m, *owner_m;
    const char *name, *id, *owner; /* NUL-terminated, or NULL */
    char nbuf[TEXT], ibuf[TEXT], obuf[TEXT];
};

/* A value a list item must carry: the request's name, id or ARN it answers for. */
struct hint {
    const struct cbk_member *m;
    const char *value; /* NUL-terminated */
};

/* The page of a listing an answer carries (an operation with a paginator). */
struct page {
    const struct cbk_paginator *pg;
    uint64_t seed;  /* the listing's */
    int64_t offset; /* first item of the page */
    int64_t count;  /* items on the page */
    bool more;      /* items after the page */
};

/* Write a value for member 'm' (its shape and constraints); 'name' says what it is (the
 * member's name, or the list's for its items), 'sc' the structure it is in (or NULL). */
static void gen_member(struct cbk_gen *g, const struct cbk_member *m, const char *name,
                       struct cbk_jsonw *w, int depth, const struct scope *sc);

/* The string member 'name' of the request object 'o', when 'o' has one; NULL otherwise. */
static const char *req_str(struct json_object *o, const char *name, size_t *len)
{
    struct json_object *v;
    if (!o || !json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

/* Members holding tokens (nextToken, idempotencyToken) are never echoed: they mean something
 * only in the request that carries them. */
static bool token_name(const char *name)
{
    return contains(name, "token");
}

/*
 * The text of the string member 'm' echoed from sc->echo: the request's member of the same
 * name, or a value starting with the request's `<name>Prefix`; NULL when the request has
 * neither or they do not fit m's constraints. The prefixed value goes to buf[TEXT].
 */
static const char *echo_text(struct cbk_gen *g, const struct scope *sc, const struct cbk_member *m,
                             char *buf)
{
    if (!sc->echo || token_name(m->name))
        return NULL;
    size_t len;
    const char *s = req_str(sc->echo, m->name, &len);
    if (s && strlen(s) == len && text_fits(&m->c, s, len))
        return s;
    char key[256];
    snprintf(key, sizeof key, "%sPrefix", m->name);
    s = req_str(sc->echo, key, &len);
    if (s && strlen(s) == len && len < TEXT - 16) {
        char h[9];
        hex8(g, h);
        /* "app" -> "app-1a2b3c4d", "/aws/codebuild/" -> "/aws/codebuild/1a2b3c4d" */
        bool word = len > 0 && isalnum((unsigned char)s[len - 1]);
        snprintf(buf, TEXT, "%s%s%s", s, word ? "-" : "", h);
        if (text_fits(&m->c, buf, strlen(buf)))
            return buf;
        snprintf(buf, TEXT, "%s", s);
        if (text_fits(&m->c, buf, len))
            return buf;
    }
    return NULL;
}

/* A generated name for a resource of type 'kind': "kind-xxxxxxxx", fitted to 'c'. */
static void gen_name(struct cbk_gen *g, const struct cbk_constraints *c, const char *kind,
                     char *out)
{
    char h[9];
    hex8(g, h);
    snprintf(out, TEXT, "%s-%s", kind[0] ? kind : "example", h);
    fit_text(g, c, out);
}

/* The identity of a structure 'sh' of resource type 'kind' (see struct scope). */
static void scope_init(struct cbk_gen *g, struct scope *sc, const struct cbk_shape *sh,
                       const char *kind, struct json_object *echo, const struct hint *hint,
                       const char *root_owner)
{
    memset(sc, 0, sizeof *sc);
    sc->echo = echo;
    snprintf(sc->kind, sizeof sc->kind, "%s", kind);
    for (size_t i = 0; i < sh->member_count; i++) {
        const struct cbk_member *m = &sh->members[i];
        size_t pl;
        if (m->shape->type != CBK_TYPE_STRING || m->c.enum_values)
            continue;
        if (strcasecmp(m->name, "name") == 0 && !sc->name_m)
            sc->name_m = m;
        else if (strcasecmp(m->name, "id") == 0 && !sc->id_m)
            sc->id_m = m;
        else if (!sc->owner_m && name_name(m->name, &pl) && pl > 0 && !ends_with(m->name, "s"))
            sc->owner_m = m;
    }
    const char *hv = hint ? hint->value : NULL;
    /* the owner: echoed, or the part before ':' of a hinted id, or the request's */
    if (sc->owner_m) {
        if (hint && hint->m == sc->owner_m && text_fits(&sc->owner_m->c, hv, strlen(hv)))
            sc->owner = hv;
        if (!sc->owner)
            sc->owner = echo_text(g, sc, sc->owner_m, sc->obuf);
        if (!sc->owner && hint && hint->m == sc->id_m && strchr(hv, ':')) {
            snprintf(sc->obuf, TEXT, "%.*s", (int)(strchr(hv, ':') - hv), hv);
            if (text_fits(&sc->owner_m->c, sc->obuf, strlen(sc->obuf)))
                sc->owner = sc->obuf;
        }
        if (!sc->owner) {
            char k[64];
            size_t pl = strlen(sc->owner_m->name) - 4;
            kebab(sc->owner_m->name, pl, k, sizeof k);
            gen_name(g, &sc->owner_m->c, k, sc->obuf);
            sc->owner = sc->obuf;
        }
    } else {
        sc->owner = root_owner;
    }
    if (sc->name_m) {
        if (hint && hint->m == sc->name_m && text_fits(&sc->name_m->c, hv, strlen(hv)))
            sc->name = hv;
        if (!sc->name)
            sc->name = echo_text(g, sc, sc->name_m, sc->nbuf);
        if (!sc->name && hint && strchr(hv, '/')) {
            /* an ARN asked for: the name is its last part */
            snprintf(sc->nbuf, TEXT, "%s", strrchr(hv, '/') + 1);
            if (text_fits(&sc->name_m->c, sc->nbuf, strlen(sc->nbuf)))
                sc->name = sc->nbuf;
        }
        if (!sc->name) {
            gen_name(g, &sc->name_m->c, sc->kind, sc->nbuf);
            sc->name = sc->nbuf;
        }
    }
    if (sc->id_m) {
        if (hint && hint->m == sc->id_m && text_fits(&sc->id_m->c, hv, strlen(hv)))
            sc->id = hv;
        if (!sc->id)
            sc->id = echo_text(g, sc, sc->id_m, sc->ibuf);
        if (!sc->id) {
            char uuid[37];
            cbk_uuid_format(uuid, cbk_rng_next(g->rng), cbk_rng_next(g->rng));
            if (sc->owner)
                snprintf(sc->ibuf, TEXT, "%s:%s", sc->owner, uuid);
            else
                snprintf(sc->ibuf, TEXT, "%s", uuid);
            if (!text_fits(&sc->id_m->c, sc->ibuf, strlen(sc->ibuf))) {
                snprintf(sc->ibuf, TEXT, "%s", uuid);
                fit_text(g, &sc->id_m->c, sc->ibuf);
            }
            sc->id = sc->ibuf;
        }
    }
}

/* ---- strings ------------------------------------------------------------------------------- */

/*
 * A value for a string without enum, into s[TEXT], by what its name says: 'name' is the
 * member's name, or the list's for a list item ('item'). ARNs name a resource of the type the
 * name gives, ids are UUIDs (`owner:uuid` when the scope has an owner), names "type-xxxxxxxx".
 */
static void string_text(struct cbk_gen *g, const struct cbk_constraints *c, const char *name,
                        bool item, const struct scope *sc, char *s)
{
    char uuid[37], h[9], k[64];
    cbk_uuid_format(uuid, cbk_rng_next(g->rng), cbk_rng_next(g->rng));
    hex8(g, h);
    size_t pl;
    if (arn_name(name, &pl)) {
        char ident[TEXT];
        kebab(name, pl, k, sizeof k);
        if (!k[0])
            snprintf(k, sizeof k, "%s", sc && sc->kind[0] ? sc->kind : "resource");
        snprintf(ident, sizeof ident, "%s-%s", k, h);
        arn_text(g, k, ident, s);
    } else if (contains(name, "accountid")) {
        snprintf(s, TEXT, "%s", g->account);
    } else if (id_name(name) || contains(name, "token")) {
        /* a resource's own id belongs to its owner (a build of project my-app: my-app:uuid) */
        if (sc && sc->owner && (strcasecmp(name, "id") == 0 || strcasecmp(name, "ids") == 0))
            snprintf(s, TEXT, "%s:%s", sc->owner, uuid);
        else
            snprintf(s, TEXT, "%s", uuid);
    } else if (name_name(name, &pl)) {
        kebab(name, pl, k, sizeof k);
        snprintf(s, TEXT, "%s-%s", k[0] ? k : sc && sc->kind[0] ? sc->kind : "example", h);
    } else if (contains(name, "url") || contains(name, "uri") || contains(name, "link")) {
        snprintf(s, TEXT, "https://example.com/%s", h);
    } else if (item) {
        kebab(name, strlen(name), k, sizeof k);
        snprintf(s, TEXT, "%s-%s", k[0] ? k : "item", h);
    } else {
        snprintf(s, TEXT, "example");
    }
    fit_length(c, s, TEXT, 'x');
    if (!pattern_ok(c, s, strlen(s)))
        fit_pattern(g, c, s, TEXT, uuid);
}

/* A string member: one of its enum values, else string_text(). */
static void gen_string(struct cbk_gen *g, const struct cbk_member *m, const char *name,
                       struct cbk_jsonw *w, const struct scope *sc)
{
    const struct cbk_constraints *c = &m->c;
    if (c->enum_values) {
        cbk_jsonw_str(w, c->enum_values[cbk_rng_below(g->rng, c->enum_count)]);
        return;
    }
    char s[TEXT];
    /* a list's item carries the list's name; a member its own */
    string_text(g, c, name, strcmp(m->name, "member") == 0 && strcmp(name, "member") != 0, sc, s);
    cbk_jsonw_str(w, s);
}

/* ---- numbers, lists, maps ---------------------------------------------------------------- */

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
    char base[TEXT], k[TEXT];
    if (!sh->key->c.enum_values)
        string_text(g, &sh->key->c, "key", false, NULL, base);
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
                if (t > 0 && (len == 0 || (t > 62 && len < 2) || !pattern_ok(kc, k, len)))
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
        gen_member(g, sh->value, name, w, depth + 1, NULL);
    }
    cbk_jsonw_end_obj(w);
    cbk_buf_release(&kb);
    cbk_buf_release(&used);
}

/* ---- echoing the request --------------------------------------------------------------- */

static bool same_constraints(const struct cbk_constraints *a, const struct cbk_constraints *b)
{
    return a->has_min == b->has_min && a->has_max == b->has_max && a->min == b->min &&
           a->max == b->max && a->dmin == b->dmin && a->dmax == b->dmax &&
           a->enum_values == b->enum_values && a->re == b->re;
}

/*
 * Write the request's member of m's name in place of a generated value, when the request has
 * one that is valid for 'm': a string, number or boolean within m's constraints, or any value
 * of a member of the same shape and constraints in the input ('in', the operation's input
 * shape). Returns whether it wrote it.
 */
static bool echo_value(const struct scope *sc, const struct cbk_shape *in,
                       const struct cbk_member *m, struct cbk_jsonw *w)
{
    struct json_object *v;
    if (!sc->echo || token_name(m->name) || !json_object_object_get_ex(sc->echo, m->name, &v) || !v)
        return false;
    const struct cbk_constraints *c = &m->c;
    switch (m->shape->type) {
    case CBK_TYPE_STRING: {
        if (!json_object_is_type(v, json_type_string))
            return false;
        size_t len = (size_t)json_object_get_string_len(v);
        const char *s = json_object_get_string(v);
        if (!text_fits(c, s, len))
            return false;
        cbk_jsonw_strn(w, s, len);
        return true;
    }
    case CBK_TYPE_INTEGER:
    case CBK_TYPE_LONG: {
        if (!json_object_is_type(v, json_type_int))
            return false;
        int64_t x = json_object_get_int64(v);
        int64_t lo = m->shape->type == CBK_TYPE_INTEGER ? INT32_MIN : INT64_MIN;
        int64_t hi = m->shape->type == CBK_TYPE_INTEGER ? INT32_MAX : INT64_MAX;
        if (x < lo || x > hi || (c->has_min && x < c->min) || (c->has_max && x > c->max))
            return false;
        cbk_jsonw_int(w, x);
        return true;
    }
    case CBK_TYPE_BOOLEAN:
        if (!json_object_is_type(v, json_type_boolean))
            return false;
        cbk_jsonw_bool(w, json_object_get_boolean(v));
        return true;
    default:
        break;
    }
    const struct cbk_member *im = in ? cbk_shape_member(in, m->name, strlen(m->name)) : NULL;
    if (!im || im->shape != m->shape || !same_constraints(&im->c, c) ||
        json_object_is_type(v, json_type_null))
        return false;
    size_t len;
    const char *text = json_object_to_json_string_length(
        v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (!text)
        return false;
    cbk_jsonw_raw(w, text, len);
    return true;
}

/* Lists that report what failed (buildsNotFound, unprocessedItems, failedReports): empty in
 * an answer where everything asked for was found. */
static bool failure_name(const char *name)
{
    return contains(name, "notfound") || contains(name, "notdeleted") || contains(name, "failed") ||
           contains(name, "unprocessed") || contains(name, "errors") || contains(name, "failure");
}

/*
 * The request's one top-level list of strings (the names, ids or ARNs a BatchGet-like request
 * asks for): its member in the input and its value, or false when it has none or several.
 */
static bool request_list(struct cbk_gen *g, const struct cbk_shape *in,
                         const struct cbk_member **lm, struct json_object **lv)
{
    *lm = NULL;
    *lv = NULL;
    if (!g->req || !in)
        return false;
    json_object_object_foreach(g->req, key, val)
    {
        const struct cbk_member *m = cbk_shape_member(in, key, strlen(key));
        if (!m || m->shape->type != CBK_TYPE_LIST ||
            m->shape->member->shape->type != CBK_TYPE_STRING ||
            !json_object_is_type(val, json_type_array) || json_object_array_length(val) == 0)
            continue;
        if (*lm)
            return false;
        *lm = m;
        *lv = val;
    }
    return *lm != NULL;
}

/*
 * The member of the structure 'sh' that carries one of the request list's values: named as
 * the list's item (ids -> id, names -> name), or as the end of it (reportArns -> arn,
 * commandExecutionIds -> id); NULL when none does.
 */
static const struct cbk_member *hint_member(const struct cbk_shape *sh, const char *list_name)
{
    char sing[256];
    size_t n = strlen(list_name);
    if (n < 2 || n >= sizeof sing || list_name[n - 1] != 's')
        return NULL;
    memcpy(sing, list_name, n - 1);
    sing[n - 1] = '\0';
    const struct cbk_member *m = cbk_shape_member(sh, sing, n - 1);
    if (m && m->shape->type == CBK_TYPE_STRING)
        return m;
    for (size_t i = 0; i < sh->member_count; i++) {
        const struct cbk_member *x = &sh->members[i];
        size_t xl = x->name_len;
        if (x->shape->type != CBK_TYPE_STRING || xl == 0 || xl >= n - 1)
            continue;
        const char *tail = sing + (n - 1 - xl);
        if (isupper((unsigned char)tail[0]) &&
            tolower((unsigned char)tail[0]) == tolower((unsigned char)x->name[0]) &&
            strcmp(tail + 1, x->name + 1) == 0)
            return x;
    }
    return NULL;
}

/* ---- structures ------------------------------------------------------------------------ */

static void gen_struct(struct cbk_gen *g, const struct cbk_shape *sh, struct cbk_jsonw *w,
                       int depth, const char *kind, const struct hint *hint, const struct scope *up,
                       const struct page *pg);

/* The resource type of a structure 'sh': its shape's name ("ReportGroup" -> report-group). */
static void shape_kind(const struct cbk_shape *sh, char *out, size_t cap)
{
    kebab(sh->name, strlen(sh->name), out, cap);
}

/* A list item of a structure (generated with the enclosing scope's echo at the top level). */
static void gen_item_struct(struct cbk_gen *g, const struct cbk_shape *sh, struct cbk_jsonw *w,
                            int depth, const struct hint *hint, const struct scope *up)
{
    char k[64];
    shape_kind(sh, k, sizeof k);
    gen_struct(g, sh, w, depth, k, hint, up, NULL);
}

/* Does the name say what a string is (an ARN, an id, a name, a URL)? */
static bool telling_name(const char *name)
{
    size_t pl;
    return arn_name(name, &pl) || id_name(name) || name_name(name, &pl) || contains(name, "url");
}

/*
 * The name that says what the items of a list are: the list member's ("reportArns"), else the
 * list shape's when it says more (ListReportsOutput.reports of shape ReportArns: ARNs).
 */
static const char *item_name(const char *member_name, const struct cbk_shape *list)
{
    if (telling_name(member_name) || !telling_name(list->name))
        return member_name;
    return list->name;
}

/* One page of the listing the result key 'rk' holds: items pg->offset.. of a sequence that
 * is the same in every answer of the run (each item from its own generator). */
static void gen_page_items(struct cbk_gen *g, const struct cbk_member *rk, size_t rk_index,
                           const struct page *pg, struct cbk_jsonw *w, int depth,
                           const struct scope *sc)
{
    struct cbk_rng *saved = g->rng;
    const struct cbk_member *item = rk->shape->member;
    cbk_jsonw_arr(w);
    for (int64_t i = 0; i < pg->count; i++) {
        struct cbk_rng r;
        cbk_rng_seed(
            &r, cbk_mix64(pg->seed ^ cbk_mix64((uint64_t)(pg->offset + i) * 131 + rk_index + 1)));
        g->rng = &r;
        if (item->shape->type == CBK_TYPE_STRUCTURE)
            gen_item_struct(g, item->shape, w, depth + 1, NULL, sc);
        else
            gen_member(g, item, item_name(rk->name, rk->shape), w, depth + 1, sc);
    }
    cbk_jsonw_end_arr(w);
    g->rng = saved;
}

/*
 * A top-level list of the answer, realistic for what the request asked: empty when it lists
 * failures, one item per name/id/ARN of the request's list (a BatchGet-like request), the
 * request's list itself when of the same strings (BatchDelete-like). Returns false when none
 * of these applies (the caller generates the list).
 */
static bool gen_answer_list(struct cbk_gen *g, const struct cbk_shape *in,
                            const struct cbk_member *m, struct cbk_jsonw *w, int depth,
                            const struct scope *sc)
{
    const struct cbk_constraints *c = &m->c;
    if (failure_name(m->name) && !(c->has_min && c->min > 0)) {
        cbk_jsonw_arr(w);
        cbk_jsonw_end_arr(w);
        return true;
    }
    const struct cbk_member *lm;
    struct json_object *lv;
    if (!request_list(g, in, &lm, &lv))
        return false;
    int64_t n = (int64_t)json_object_array_length(lv);
    n = CBK_MIN(n, (int64_t)MAX_ECHO_ITEMS);
    if (c->has_max)
        n = CBK_MIN(n, c->max);
    if (c->has_min && n < c->min)
        return false;
    const struct cbk_member *item = m->shape->member;
    if (item->shape->type == CBK_TYPE_STRUCTURE) {
        const struct cbk_member *hm = hint_member(item->shape, lm->name);
        if (!hm)
            return false;
        cbk_jsonw_arr(w);
        for (int64_t i = 0; i < n; i++) {
            struct json_object *v = json_object_array_get_idx(lv, (size_t)i);
            const char *s = json_object_get_string(v);
            struct hint h = {hm, s && strlen(s) == (size_t)json_object_get_string_len(v) ? s : ""};
            gen_item_struct(g, item->shape, w, depth + 1, &h, sc);
        }
        cbk_jsonw_end_arr(w);
        return true;
    }
    if (item->shape != lm->shape->member->shape ||
        !same_constraints(&item->c, &lm->shape->member->c))
        return false;
    cbk_jsonw_arr(w);
    for (int64_t i = 0; i < n; i++) {
        struct json_object *v = json_object_array_get_idx(lv, (size_t)i);
        cbk_jsonw_strn(w, json_object_get_string(v), (size_t)json_object_get_string_len(v));
    }
    cbk_jsonw_end_arr(w);
    return true;
}

/* Is 'm' a result key of the page? Its index, else -1. */
static int result_key(const struct page *pg, const struct cbk_member *m)
{
    if (!pg)
        return -1;
    for (size_t i = 0; i < pg->pg->result_key_count; i++)
        if (pg->pg->result_keys[i] == m)
            return (int)i;
    return -1;
}

/* Listing tokens "cbk" + 8 hex digits of the offset + 16 of a check: a token names a place in
 * one listing of one run, and nothing else passes. */
static void page_token(const struct page *pg, int64_t offset, char out[32])
{
    uint64_t check = cbk_mix64(pg->seed ^ cbk_mix64((uint64_t)offset ^ 0x746f6b656eULL));
    snprintf(out, 32, "cbk%08x%016llx", (unsigned)offset, (unsigned long long)check);
}

/*
 * Write the structure 'sh' at 'depth' (0: the answer) of resource type 'kind': its identity
 * first (scope_init()), then its members in spec order, each echoed, hinted, derived from the
 * identity (name, id, owner, ARNs), answering the request's list, a page of the listing 'pg'
 * (the answer of a paginated operation, else NULL), or generated. Optional members are left
 * out deep down (containers from depth 2, everything from depth 3) so answers stay small.
 */
static void gen_struct(struct cbk_gen *g, const struct cbk_shape *sh, struct cbk_jsonw *w,
                       int depth, const char *kind, const struct hint *hint, const struct scope *up,
                       const struct page *pg)
{
    /* the answer and the resource it carries echo the request; deeper structures do not */
    struct json_object *echo = depth <= 1 ? g->req : NULL;
    struct scope *sc = cbk_xmalloc(sizeof *sc);
    /* the items of the answer's lists belong to the owner the request names */
    scope_init(g, sc, sh, kind, echo, hint, depth == 1 && up ? up->owner : NULL);
    if (depth == 0 && !sc->owner_m && g->req) {
        /* an answer's own ids belong to the owner the request names (projectName) */
        json_object_object_foreach(g->req, key, val)
        {
            size_t pl;
            if (json_object_is_type(val, json_type_string) && name_name(key, &pl) && pl > 0 &&
                !ends_with(key, "s") && !sc->owner) {
                snprintf(sc->obuf, TEXT, "%s", json_object_get_string(val));
                sc->owner = sc->obuf;
            }
        }
    }
    const struct cbk_shape *in = g->op ? g->op->input : NULL;
    cbk_jsonw_obj(w);
    /* a union carries exactly one member: the first */
    size_t n = sh->is_union ? CBK_MIN(sh->member_count, (size_t)1) : sh->member_count;
    for (size_t i = 0; i < n; i++) {
        const struct cbk_member *m = &sh->members[i];
        bool container = m->shape->type == CBK_TYPE_STRUCTURE || m->shape->type == CBK_TYPE_LIST ||
                         m->shape->type == CBK_TYPE_MAP;
        int rk = result_key(pg, m);
        if (!m->required && !sh->is_union && rk < 0 && (depth >= 3 || (container && depth >= 2)))
            continue;
        if (depth >= MAX_DEPTH && !m->required)
            continue;
        if (pg && m == pg->pg->output_token) {
            if (pg->more) {
                char t[32];
                page_token(pg, pg->offset + pg->count, t);
                cbk_jsonw_kstr(w, m->name, t);
            }
            continue;
        }
        /* an answer without a listing has no next page */
        if (depth == 0 && !m->required && strncasecmp(m->name, "next", 4) == 0 &&
            contains(m->name, "token"))
            continue;
        /* nothing failed: a list of failures that cannot be empty is left out */
        if (depth == 0 && m->shape->type == CBK_TYPE_LIST && !m->required &&
            failure_name(m->name) && m->c.has_min && m->c.min > 0)
            continue;
        cbk_jsonw_key(w, m->name);
        if (rk >= 0) {
            gen_page_items(g, m, (size_t)rk, pg, w, depth, sc);
            continue;
        }
        if (hint && hint->m == m && m != sc->name_m && m != sc->id_m && m != sc->owner_m &&
            text_fits(&m->c, hint->value, strlen(hint->value))) {
            cbk_jsonw_str(w, hint->value);
            continue;
        }
        if (m == sc->name_m) {
            cbk_jsonw_str(w, sc->name);
            continue;
        }
        if (m == sc->id_m) {
            cbk_jsonw_str(w, sc->id);
            continue;
        }
        if (m == sc->owner_m) {
            cbk_jsonw_str(w, sc->owner);
            continue;
        }
        if (echo_value(sc, in, m, w))
            continue;
        size_t pl;
        if (m->shape->type == CBK_TYPE_STRING && !m->c.enum_values && arn_name(m->name, &pl) &&
            !ends_with(m->name, "s")) {
            /* this resource's ARN names it by id or name; another's (projectArn) by the
             * name the structure or the request gives it (projectName) */
            char a[TEXT], k[64], ident[TEXT];
            const char *id = NULL;
            if (pl == 0) {
                snprintf(k, sizeof k, "%s", sc->kind);
                id = sc->id ? sc->id : sc->name ? sc->name : sc->owner;
            } else {
                kebab(m->name, pl, k, sizeof k);
                char key[256];
                size_t len;
                snprintf(key, sizeof key, "%.*sName", (int)pl, m->name);
                if (sc->owner_m && strcmp(sc->owner_m->name, key) == 0)
                    id = sc->owner;
                else if ((id = req_str(echo, key, &len)) && strlen(id) != len)
                    id = NULL;
            }
            if (!id) {
                gen_name(g, &(struct cbk_constraints){0}, k, ident);
                id = ident;
            }
            arn_text(g, k, id, a);
            if (!text_fits(&m->c, a, strlen(a)))
                fit_text(g, &m->c, a);
            cbk_jsonw_str(w, a);
            continue;
        }
        if (depth == 0 && m->shape->type == CBK_TYPE_LIST &&
            gen_answer_list(g, in, m, w, depth, sc))
            continue;
        if (m->shape->type == CBK_TYPE_STRUCTURE && depth < HARD_DEPTH) {
            char k[64];
            shape_kind(m->shape, k, sizeof k);
            gen_struct(g, m->shape, w, depth + 1, k, NULL, sc, NULL);
            continue;
        }
        gen_member(g, m, m->name, w, depth + 1, sc);
    }
    cbk_jsonw_end_obj(w);
    free(sc);
}

/* See its declaration above. */
static void gen_member(struct cbk_gen *g, const struct cbk_member *m, const char *name,
                       struct cbk_jsonw *w, int depth, const struct scope *sc)
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
        gen_item_struct(g, sh, w, depth, NULL, sc);
        return;
    case CBK_TYPE_LIST: {
        int64_t n = item_count(c, depth);
        cbk_jsonw_arr(w);
        /* a structure item is as deep as a structure member would be */
        int item_depth = sh->member->shape->type == CBK_TYPE_STRUCTURE ? depth : depth + 1;
        const char *iname = item_name(name, sh);
        for (int64_t i = 0; i < n; i++)
            gen_member(g, sh->member, iname, w, item_depth, sc);
        cbk_jsonw_end_arr(w);
        return;
    }
    case CBK_TYPE_MAP:
        gen_map(g, sh, c, name, w, depth);
        return;
    case CBK_TYPE_STRING:
        gen_string(g, m, name, w, sc);
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

/* ---- listings ------------------------------------------------------------------------------ */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

/*
 * The page of op's listing that the request asks for (its input token and limit). The listing
 * has page_size + 1 to 3 * page_size items (a function of the run's seed, the operation and
 * the account), so a client paging with the default size sees two or three pages. Returns
 * false, with *err set, for an input token this listing never gave.
 */
static bool plan_page(struct cbk_gen *g, const struct cbk_operation *op, struct page *pg,
                      struct cbk_gen_error *err)
{
    const struct cbk_paginator *p = op->paginator;
    memset(pg, 0, sizeof *pg);
    pg->pg = p;
    pg->seed = cbk_mix64(g->seed ^ fnv1a(op->name) ^ cbk_mix64(fnv1a(g->account)));
    int64_t size = p->page_size > 0 ? p->page_size : 100;
    for (size_t i = 0; i < p->result_key_count; i++) {
        const struct cbk_constraints *c = &p->result_keys[i]->c;
        if (c->has_max && c->max < size)
            size = c->max;
    }
    if (size < 1)
        size = 1;
    int64_t total = size + 1 + (int64_t)(pg->seed % (uint64_t)(2 * size));
    struct json_object *v;
    if (g->req && p->limit_key && json_object_object_get_ex(g->req, p->limit_key->name, &v) &&
        json_object_is_type(v, json_type_int)) {
        int64_t lim = json_object_get_int64(v);
        if (lim >= 1 && lim < size)
            size = lim;
    }
    size_t len;
    const char *tok = req_str(g->req, p->input_token->name, &len);
    if (tok) {
        char want[32];
        bool ok = len == 27 && strncmp(tok, "cbk", 3) == 0;
        if (ok) {
            char hex[9];
            memcpy(hex, tok + 3, 8);
            hex[8] = '\0';
            char *end;
            unsigned long off = strtoul(hex, &end, 16);
            ok = *end == '\0' && off > 0 && (int64_t)off < total;
            if (ok) {
                page_token(pg, (int64_t)off, want);
                ok = memcmp(want, tok, 27) == 0;
                pg->offset = (int64_t)off;
            }
        }
        if (!ok) {
            err->type = "InvalidInputException";
            snprintf(err->message, sizeof err->message, "Invalid %s provided",
                     p->input_token->name);
            return false;
        }
    }
    pg->count = CBK_MIN(size, total - pg->offset);
    pg->more = pg->offset + pg->count < total;
    return true;
}

/* See gen.h. */
bool cbk_gen_answer(struct cbk_gen *g, const struct cbk_operation *op, struct cbk_jsonw *w,
                    struct cbk_gen_error *err)
{
    struct page pg, *pgp = NULL;
    g->op = op;
    if (op->paginator) {
        if (!plan_page(g, op, &pg, err))
            return false;
        pgp = &pg;
    }
    char kind[64];
    op_kind(op->name, kind, sizeof kind);
    gen_struct(g, op->output, w, 0, kind, NULL, NULL, pgp);
    return true;
}

/* See gen.h. */
const char *cbk_gen_arn_service(const struct cbk_metadata *md)
{
    if (md->signing_name && *md->signing_name)
        return md->signing_name;
    if (md->endpoint_prefix && *md->endpoint_prefix)
        return md->endpoint_prefix;
    return "service";
}
