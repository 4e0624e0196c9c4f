/*
 * spec_image.c - write and load a compiled spec as a relocatable image (see spec_image.h).
 *
 * Image layout (all integers in the byte order of the build, which made it):
 *   header   struct img_header
 *   data     the structs, each at a 16-byte aligned offset, laid out as in memory; every
 *            pointer field holds 0 (NULL) or ((offset + 1) << 1 | area), area 0 = data,
 *            1 = strings; the hash tables, patterns and back pointers (enum_index,
 *            member_index, re, operation.spec) are 0 and rebuilt by the loader
 *   strings  NUL-terminated, one copy per distinct string of the spec
 *   relocs   uint32 offsets into data of every non-NULL pointer field
 * Objects keep their sharing: a member whose constraints come from its shape points to the
 * same enum array as the shape, and so gets the same table and pattern back.
 */
#include "core/setup.h"
#include "spec/spec_image.h"
#include "spec/spec_internal.h"
#include "core/alloc.h"

#define IMG_MAGIC   "CBKSPEC"
#define IMG_VERSION 1u
#define AREA_DATA   0u
#define AREA_STR    1u

struct img_header {
    char magic[8];
    uint32_t version;
    uint32_t layout; /* layout_signature() of the build that wrote it */
    uint64_t data_off, data_len, str_off, str_len, reloc_off, nrelocs;
    /* offsets into data */
    uint64_t shapes, nshapes, ops, nops, sources, nsources, meta;
};

/*
 * The loader copies structs byte for byte, so it must know every pointer field: a new field in
 * one of these structs must be handled by fill_*() below and by the field-by-field comparison
 * of tests/unit/test_spec_image.c. These sizes are those of LP64 platforms.
 */
#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(struct cbk_constraints) == 80, "update spec_image.c for cbk_constraints");
_Static_assert(sizeof(struct cbk_member) == 144, "update spec_image.c for cbk_member");
_Static_assert(sizeof(struct cbk_shape) == 200, "update spec_image.c for cbk_shape");
_Static_assert(sizeof(struct cbk_paginator) == 64, "update spec_image.c for cbk_paginator");
_Static_assert(sizeof(struct cbk_operation) == 88, "update spec_image.c for cbk_operation");
_Static_assert(sizeof(struct cbk_metadata) == 88, "update spec_image.c for cbk_metadata");
_Static_assert(sizeof(struct cbk_source) == 40, "update spec_image.c for cbk_source");
#endif

/* The struct layout an image depends on: sizes and the offsets of nested structs. */
static uint32_t layout_signature(void)
{
    const uint64_t v[] = {
        IMG_VERSION,
        sizeof(void *),
        sizeof(struct cbk_constraints),
        sizeof(struct cbk_member),
        sizeof(struct cbk_shape),
        sizeof(struct cbk_paginator),
        sizeof(struct cbk_operation),
        sizeof(struct cbk_metadata),
        sizeof(struct cbk_source),
        offsetof(struct cbk_member, c),
        offsetof(struct cbk_shape, c),
        offsetof(struct cbk_shape, members),
        offsetof(struct cbk_operation, paginator),
        offsetof(struct cbk_constraints, enum_values),
    };
    return cbk_hash((const char *)v, sizeof v);
}

/* ---- writing ------------------------------------------------------------------------------ */

/* A pointer -> offset map (open addressing; the writer runs at build time on one spec). */
struct pmap {
    const void **keys;
    uint64_t *vals;
    size_t cap, n;
};

static uint64_t *pmap_slot(struct pmap *m, const void *p, bool *found)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct pmap g = {0};
        g.cap = m->cap ? m->cap * 2 : 1024;
        g.keys = cbk_xcalloc(g.cap, sizeof(*g.keys));
        g.vals = cbk_xcalloc(g.cap, sizeof(*g.vals));
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            bool f;
            *pmap_slot(&g, m->keys[i], &f) = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        *m = g;
    }
    size_t h = (size_t)(((uintptr_t)p >> 3) * 0x9E3779B97F4A7C15ull) & (m->cap - 1);
    while (m->keys[h] && m->keys[h] != p)
        h = (h + 1) & (m->cap - 1);
    *found = m->keys[h] == p;
    if (!*found) {
        m->keys[h] = p;
        m->n++;
    }
    return &m->vals[h];
}

/* Where an array of structs of the spec went in the image. */
struct range {
    uintptr_t start, end;
    uint64_t off;
};

struct writer {
    unsigned char *data;
    size_t len, cap;
    char *str;
    size_t slen, scap;
    uint32_t *relocs;
    size_t nrelocs, relocs_alloc;
    struct range *ranges;
    size_t nranges, ranges_alloc;
    bool sorted;
    struct pmap strs, arrays;
    const struct cbk_spec *spec;
};

/* 'size' zero bytes at a 16-byte aligned offset of the data area. */
static uint64_t w_alloc(struct writer *w, size_t size)
{
    size_t off = (w->len + 15) & ~(size_t)15;
    if (off + size > w->cap) {
        size_t cap = w->cap ? w->cap : 65536;
        while (cap < off + size)
            cap *= 2;
        w->data = cbk_xrealloc(w->data, cap);
        memset(w->data + w->cap, 0, cap - w->cap);
        w->cap = cap;
    }
    w->len = off + size;
    return off;
}

/* Register an array of 'n' structs of 'size' bytes at 'p' and give it its place. */
static uint64_t w_place(struct writer *w, const void *p, size_t n, size_t size)
{
    uint64_t off = w_alloc(w, n * size);
    CBK_GROW(w->ranges, w->nranges + 1, w->ranges_alloc);
    w->ranges[w->nranges++] = (struct range){(uintptr_t)p, (uintptr_t)p + n * size, off};
    w->sorted = false;
    return off;
}

static int range_cmp(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* The image offset of 'p', which points into a placed array (a writer bug aborts). */
static uint64_t w_resolve(struct writer *w, const void *p)
{
    if (!w->sorted) {
        qsort(w->ranges, w->nranges, sizeof(*w->ranges), range_cmp);
        w->sorted = true;
    }
    uintptr_t a = (uintptr_t)p;
    size_t lo = 0, hi = w->nranges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->ranges[mid].end <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == w->nranges || w->ranges[lo].start > a)
        abort(); /* a pointer to something the writer did not place: spec_image.c is stale */
    return w->ranges[lo].off + (a - w->ranges[lo].start);
}

/* Store pointer value 'v' (0 for NULL) at data offset 'at' and note it in the relocations. */
static void w_put(struct writer *w, uint64_t at, uint64_t target, unsigned area, bool null)
{
    uint64_t v = null ? 0 : ((target + 1) << 1) | area;
    memcpy(w->data + at, &v, sizeof v);
    if (null)
        return;
    CBK_GROW(w->relocs, w->nrelocs + 1, w->relocs_alloc);
    w->relocs[w->nrelocs++] = (uint32_t)at;
}

static void w_null(struct writer *w, uint64_t at)
{
    w_put(w, at, 0, AREA_DATA, true);
}

/* The string field at 'at' points to 's' (one copy per distinct pointer). */
static void w_str(struct writer *w, uint64_t at, const char *s)
{
    if (!s) {
        w_null(w, at);
        return;
    }
    bool found;
    uint64_t *slot = pmap_slot(&w->strs, s, &found);
    if (!found) {
        size_t n = strlen(s) + 1;
        if (w->slen + n > w->scap) {
            size_t cap = w->scap ? w->scap : 65536;
            while (cap < w->slen + n)
                cap *= 2;
            w->str = cbk_xrealloc(w->str, cap);
            w->scap = cap;
        }
        memcpy(w->str + w->slen, s, n);
        *slot = w->slen;
        w->slen += n;
    }
    w_put(w, at, *slot, AREA_STR, false);
}

/* The struct pointer field at 'at' points to 'p' (inside a placed array) or is NULL. */
static void w_obj(struct writer *w, uint64_t at, const void *p)
{
    if (!p)
        w_null(w, at);
    else
        w_put(w, at, w_resolve(w, p), AREA_DATA, false);
}

/*
 * The field at 'at' points to an array of 'n' pointers (strings when 'strings', else placed
 * structs) followed by a NULL, written once per distinct array.
 */
static void w_ptrs(struct writer *w, uint64_t at, const void *const *arr, size_t n, bool strings)
{
    if (!arr) {
        w_null(w, at);
        return;
    }
    bool found;
    uint64_t *slot = pmap_slot(&w->arrays, arr, &found);
    if (!found) {
        uint64_t off = w_alloc(w, (n + 1) * sizeof(void *));
        for (size_t i = 0; i < n; i++) {
            if (strings)
                w_str(w, off + i * sizeof(void *), arr[i]);
            else
                w_obj(w, off + i * sizeof(void *), arr[i]);
        }
        w_null(w, off + n * sizeof(void *));
        slot = pmap_slot(&w->arrays, arr, &found); /* the map may have grown */
        *slot = off;
    }
    w_put(w, at, *slot, AREA_DATA, false);
}

static size_t count_null_terminated(const char *const *a)
{
    size_t n = 0;
    while (a && a[n])
        n++;
    return n;
}

#define AT(base, type, field) ((base) + offsetof(type, field))

static void fill_constraints(struct writer *w, uint64_t at, const struct cbk_constraints *c)
{
    w_ptrs(w, AT(at, struct cbk_constraints, enum_values), (const void *const *)c->enum_values,
           c->enum_count, true);
    w_null(w, AT(at, struct cbk_constraints, enum_index));
    w_str(w, AT(at, struct cbk_constraints, pattern), c->pattern);
    w_null(w, AT(at, struct cbk_constraints, re));
}

static void fill_sources(struct writer *w, uint64_t at, const char *const *sources)
{
    w_ptrs(w, at, (const void *const *)sources, count_null_terminated(sources), true);
}

static void fill_member(struct writer *w, uint64_t at, const struct cbk_member *m)
{
    memcpy(w->data + at, m, sizeof(*m));
    w_str(w, AT(at, struct cbk_member, name), m->name);
    w_obj(w, AT(at, struct cbk_member, shape), m->shape);
    fill_constraints(w, AT(at, struct cbk_member, c), &m->c);
    w_str(w, AT(at, struct cbk_member, documentation), m->documentation);
    fill_sources(w, AT(at, struct cbk_member, sources), m->sources);
}

static void fill_shape(struct writer *w, uint64_t at, const struct cbk_shape *sh)
{
    memcpy(w->data + at, sh, sizeof(*sh));
    w_str(w, AT(at, struct cbk_shape, name), sh->name);
    fill_constraints(w, AT(at, struct cbk_shape, c), &sh->c);
    w_obj(w, AT(at, struct cbk_shape, members), sh->members);
    w_null(w, AT(at, struct cbk_shape, member_index));
    w_obj(w, AT(at, struct cbk_shape, member), sh->member);
    w_obj(w, AT(at, struct cbk_shape, key), sh->key);
    w_obj(w, AT(at, struct cbk_shape, value), sh->value);
    w_str(w, AT(at, struct cbk_shape, error_code), sh->error_code);
    w_str(w, AT(at, struct cbk_shape, documentation), sh->documentation);
    fill_sources(w, AT(at, struct cbk_shape, sources), sh->sources);
}

static void fill_paginator(struct writer *w, uint64_t at, const struct cbk_paginator *p)
{
    memcpy(w->data + at, p, sizeof(*p));
    w_obj(w, AT(at, struct cbk_paginator, input_token), p->input_token);
    w_obj(w, AT(at, struct cbk_paginator, output_token), p->output_token);
    w_obj(w, AT(at, struct cbk_paginator, limit_key), p->limit_key);
    w_ptrs(w, AT(at, struct cbk_paginator, result_keys), (const void *const *)p->result_keys,
           p->result_key_count, false);
    fill_sources(w, AT(at, struct cbk_paginator, sources), p->sources);
}

static void fill_operation(struct writer *w, uint64_t at, const struct cbk_operation *op)
{
    memcpy(w->data + at, op, sizeof(*op));
    w_str(w, AT(at, struct cbk_operation, name), op->name);
    w_null(w, AT(at, struct cbk_operation, spec));
    w_obj(w, AT(at, struct cbk_operation, input), op->input);
    /* the empty output lives in the spec itself: NULL here, restored by the loader */
    w_obj(w, AT(at, struct cbk_operation, output),
          op->output == &w->spec->empty_output ? NULL : op->output);
    w_ptrs(w, AT(at, struct cbk_operation, errors), (const void *const *)op->errors,
           op->error_count, false);
    w_str(w, AT(at, struct cbk_operation, documentation), op->documentation);
    fill_sources(w, AT(at, struct cbk_operation, sources), op->sources);
    w_obj(w, AT(at, struct cbk_operation, paginator), op->paginator);
}

static void fill_source(struct writer *w, uint64_t at, const struct cbk_source *so)
{
    memcpy(w->data + at, so, sizeof(*so));
    w_str(w, AT(at, struct cbk_source, id), so->id);
    w_str(w, AT(at, struct cbk_source, file), so->file);
    w_str(w, AT(at, struct cbk_source, title), so->title);
    w_str(w, AT(at, struct cbk_source, url), so->url);
    w_str(w, AT(at, struct cbk_source, note), so->note);
}

static void fill_metadata(struct writer *w, uint64_t at, const struct cbk_metadata *m)
{
    memcpy(w->data + at, m, sizeof(*m));
    w_str(w, AT(at, struct cbk_metadata, api_version), m->api_version);
    w_str(w, AT(at, struct cbk_metadata, protocol), m->protocol);
    w_str(w, AT(at, struct cbk_metadata, json_version), m->json_version);
    w_str(w, AT(at, struct cbk_metadata, target_prefix), m->target_prefix);
    w_str(w, AT(at, struct cbk_metadata, service_id), m->service_id);
    w_str(w, AT(at, struct cbk_metadata, service_full_name), m->service_full_name);
    w_str(w, AT(at, struct cbk_metadata, endpoint_prefix), m->endpoint_prefix);
    w_str(w, AT(at, struct cbk_metadata, signing_name), m->signing_name);
    w_str(w, AT(at, struct cbk_metadata, signature_version), m->signature_version);
    w_str(w, AT(at, struct cbk_metadata, uid), m->uid);
    w_str(w, AT(at, struct cbk_metadata, content_type), m->content_type);
}

/* The single member parts of a list or map shape, placed as arrays of one. */
static const struct cbk_member *part(const struct cbk_shape *sh, int i)
{
    return i == 0 ? sh->member : i == 1 ? sh->key : sh->value;
}

enum cbk_code cbk__spec_image_write(const struct cbk_spec *spec, struct cbk_buf *out)
{
    struct writer w;
    memset(&w, 0, sizeof w);
    w.spec = spec;
    struct img_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, IMG_MAGIC, sizeof IMG_MAGIC);
    h.version = IMG_VERSION;
    h.layout = layout_signature();

    /* 1. place every struct something may point into */
    h.shapes = w_place(&w, spec->shapes, spec->nshapes, sizeof(struct cbk_shape));
    h.nshapes = spec->nshapes;
    h.ops = w_place(&w, spec->ops, spec->nops, sizeof(struct cbk_operation));
    h.nops = spec->nops;
    h.sources = w_place(&w, spec->sources, spec->nsources, sizeof(struct cbk_source));
    h.nsources = spec->nsources;
    h.meta = w_alloc(&w, sizeof(struct cbk_metadata));
    uint64_t *member_off = cbk_xcalloc(spec->nshapes ? spec->nshapes : 1, sizeof(uint64_t));
    uint64_t(*part_off)[3] = cbk_xcalloc(spec->nshapes ? spec->nshapes : 1, sizeof(*part_off));
    for (size_t i = 0; i < spec->nshapes; i++) {
        const struct cbk_shape *sh = &spec->shapes[i];
        if (sh->members)
            member_off[i] = w_place(&w, sh->members, CBK_MAX(sh->member_count, (size_t)1),
                                    sizeof(struct cbk_member));
        for (int k = 0; k < 3; k++)
            if (part(sh, k))
                part_off[i][k] = w_place(&w, part(sh, k), 1, sizeof(struct cbk_member));
    }
    uint64_t *pag_off = cbk_xcalloc(spec->nops ? spec->nops : 1, sizeof(uint64_t));
    for (size_t i = 0; i < spec->nops; i++)
        if (spec->ops[i].paginator)
            pag_off[i] = w_place(&w, spec->ops[i].paginator, 1, sizeof(struct cbk_paginator));

    /* 2. fill them in */
    for (size_t i = 0; i < spec->nshapes; i++) {
        const struct cbk_shape *sh = &spec->shapes[i];
        fill_shape(&w, h.shapes + i * sizeof(struct cbk_shape), sh);
        for (size_t j = 0; sh->members && j < sh->member_count; j++)
            fill_member(&w, member_off[i] + j * sizeof(struct cbk_member), &sh->members[j]);
        for (int k = 0; k < 3; k++)
            if (part(sh, k))
                fill_member(&w, part_off[i][k], part(sh, k));
    }
    for (size_t i = 0; i < spec->nops; i++) {
        fill_operation(&w, h.ops + i * sizeof(struct cbk_operation), &spec->ops[i]);
        if (spec->ops[i].paginator)
            fill_paginator(&w, pag_off[i], spec->ops[i].paginator);
    }
    for (size_t i = 0; i < spec->nsources; i++)
        fill_source(&w, h.sources + i * sizeof(struct cbk_source), &spec->sources[i]);
    fill_metadata(&w, h.meta, &spec->meta);
    free(member_off);
    free(part_off);
    free(pag_off);

    /* 3. header, data, strings, relocations */
    h.data_off = (sizeof h + 15) & ~(uint64_t)15;
    h.data_len = w.len;
    h.str_off = h.data_off + h.data_len;
    h.str_len = w.slen;
    h.reloc_off = (h.str_off + h.str_len + 3) & ~(uint64_t)3;
    h.nrelocs = w.nrelocs;
    static const char zeros[16];
    enum cbk_code rc = cbk_buf_add(out, &h, sizeof h);
    if (rc == CBK_OK)
        rc = cbk_buf_add(out, zeros, h.data_off - sizeof h);
    if (rc == CBK_OK)
        rc = cbk_buf_add(out, w.data, w.len);
    if (rc == CBK_OK)
        rc = cbk_buf_add(out, w.str, w.slen);
    if (rc == CBK_OK)
        rc = cbk_buf_add(out, zeros, h.reloc_off - (h.str_off + h.str_len));
    if (rc == CBK_OK)
        rc = cbk_buf_add(out, w.relocs, w.nrelocs * sizeof(uint32_t));
    free(w.data);
    free(w.str);
    free(w.relocs);
    free(w.ranges);
    free(w.strs.keys);
    free(w.strs.vals);
    free(w.arrays.keys);
    free(w.arrays.vals);
    return rc;
}

/* ---- loading ------------------------------------------------------------------------------ */

/* Whether [off, off + n * size) fits in 'len' bytes, without overflow. */
static bool fits(uint64_t off, uint64_t n, uint64_t size, uint64_t len)
{
    return off <= len && (size == 0 || n <= (len - off) / size);
}

/* Build the enum table of 'c', or share 'from's when 'c' inherited its enum from it. */
static void rebuild_enum(struct cbk_spec *spec, struct cbk_constraints *c,
                         const struct cbk_constraints *from)
{
    if (!c->enum_values)
        return;
    if (from && from->enum_values == c->enum_values) {
        c->enum_index = from->enum_index;
        return;
    }
    struct cbk_strtab *tab = cbk__spec_new_tab(spec);
    size_t dup;
    cbk_strtab_build(tab, c->enum_values, c->enum_count, &dup); /* unique: checked at compile */
    c->enum_index = tab;
}

/* Compile the pattern of 'c', or share 'from's when 'c' inherited it. False if it fails. */
static bool rebuild_pattern(struct cbk_spec *spec, struct cbk_constraints *c,
                            const struct cbk_constraints *from)
{
    if (!c->pattern)
        return true;
    if (from && from->pattern == c->pattern) {
        c->re = from->re;
        return true;
    }
    char msg[128];
    size_t off;
    struct cbk_regex *re =
        cbk_regex_compile(c->pattern, strlen(c->pattern), CBK_SPEC_RE_FLAGS, msg, sizeof msg, &off);
    if (!re)
        return false;
    cbk__spec_add_code(spec, re);
    c->re = re;
    return true;
}

static bool rebuild_member(struct cbk_spec *spec, struct cbk_member *m)
{
    const struct cbk_constraints *from = m->shape ? &m->shape->c : NULL;
    rebuild_enum(spec, &m->c, from);
    return rebuild_pattern(spec, &m->c, from);
}

/* The hash tables, patterns and back pointers the image leaves out. False if one fails. */
static bool rebuild(struct cbk_spec *spec)
{
    const char **names = cbk_xcalloc(CBK_MAX(spec->nshapes, spec->nops) + 1, sizeof(char *));
    for (size_t i = 0; i < spec->nshapes; i++)
        names[i] = spec->shapes[i].name;
    bool ok = cbk_strtab_build(&spec->shape_index, names, spec->nshapes, NULL) == 0;
    for (size_t i = 0; i < spec->nops; i++)
        names[i] = spec->ops[i].name;
    ok = ok && cbk_strtab_build(&spec->op_index, names, spec->nops, NULL) == 0;
    free(names);
    /* shapes first: members share their shapes' tables and patterns */
    for (size_t i = 0; ok && i < spec->nshapes; i++) {
        struct cbk_shape *sh = &spec->shapes[i];
        rebuild_enum(spec, &sh->c, NULL);
        ok = rebuild_pattern(spec, &sh->c, NULL);
    }
    for (size_t i = 0; ok && i < spec->nshapes; i++) {
        struct cbk_shape *sh = &spec->shapes[i];
        struct cbk_member *members = (struct cbk_member *)sh->members;
        for (size_t j = 0; ok && members && j < sh->member_count; j++)
            ok = rebuild_member(spec, &members[j]);
        const struct cbk_member *parts[3] = {sh->member, sh->key, sh->value};
        for (int k = 0; ok && k < 3; k++)
            if (parts[k])
                ok = rebuild_member(spec, (struct cbk_member *)parts[k]);
        if (ok && sh->type == CBK_TYPE_STRUCTURE) {
            const char **mn = cbk_xcalloc(sh->member_count + 1, sizeof(char *));
            for (size_t j = 0; j < sh->member_count; j++)
                mn[j] = members[j].name;
            struct cbk_strtab *tab = cbk__spec_new_tab(spec);
            ok = cbk_strtab_build(tab, mn, sh->member_count, NULL) == 0;
            free(mn);
            sh->member_index = tab;
        }
    }
    for (size_t i = 0; i < spec->nops; i++) {
        spec->ops[i].spec = spec;
        if (!spec->ops[i].output)
            spec->ops[i].output = &spec->empty_output;
    }
    return ok;
}

enum cbk_code cbk__spec_image_load(const unsigned char *img, size_t len, const char *file,
                                   struct cbk_spec **out)
{
    *out = NULL;
    struct img_header h;
    if (!img || len < sizeof h)
        return CBK_E_SPEC_PARSE;
    memcpy(&h, img, sizeof h);
    if (memcmp(h.magic, IMG_MAGIC, sizeof IMG_MAGIC) != 0 || h.version != IMG_VERSION ||
        h.layout != layout_signature())
        return CBK_E_SPEC_PARSE;
    if (!fits(h.data_off, h.data_len, 1, len) || !fits(h.str_off, h.str_len, 1, len) ||
        !fits(h.reloc_off, h.nrelocs, sizeof(uint32_t), len) || h.str_len == 0 ||
        img[h.str_off + h.str_len - 1] != '\0' || h.data_len > UINT32_MAX ||
        !fits(h.shapes, h.nshapes, sizeof(struct cbk_shape), h.data_len) ||
        !fits(h.ops, h.nops, sizeof(struct cbk_operation), h.data_len) ||
        !fits(h.sources, h.nsources, sizeof(struct cbk_source), h.data_len) ||
        !fits(h.meta, 1, sizeof(struct cbk_metadata), h.data_len) ||
        (h.shapes | h.ops | h.sources | h.meta) % 16 != 0)
        return CBK_E_SPEC_PARSE;

    struct cbk_spec *spec = cbk__spec_new(file);
    /* the structs: one block of the spec's arena (16-byte aligned, as the offsets are) */
    unsigned char *data = cbk_arena_alloc(&spec->arena, h.data_len ? h.data_len : 1);
    memcpy(data, img + h.data_off, h.data_len);
    const char *strs = (const char *)img + h.str_off;
    const unsigned char *relocs = img + h.reloc_off;
    for (uint64_t i = 0; i < h.nrelocs; i++) {
        uint32_t at;
        memcpy(&at, relocs + i * sizeof at, sizeof at);
        uint64_t v;
        if (at % sizeof(void *) != 0 || !fits(at, 1, sizeof v, h.data_len))
            goto bad;
        memcpy(&v, data + at, sizeof v);
        uint64_t off = (v >> 1) - 1;
        const void *p;
        if (v == 0)
            goto bad;
        if ((v & 1) == AREA_DATA && off < h.data_len)
            p = data + off;
        else if ((v & 1) == AREA_STR && off < h.str_len)
            p = strs + off;
        else
            goto bad;
        memcpy(data + at, &p, sizeof p);
    }
    spec->shapes = (struct cbk_shape *)(void *)(data + h.shapes);
    spec->nshapes = h.nshapes;
    spec->ops = (struct cbk_operation *)(void *)(data + h.ops);
    spec->nops = h.nops;
    spec->sources = (struct cbk_source *)(void *)(data + h.sources);
    spec->nsources = h.nsources;
    memcpy(&spec->meta, data + h.meta, sizeof spec->meta);
    if (!rebuild(spec))
        goto bad;
    *out = spec;
    return CBK_OK;
bad:
    cbk_spec_free(spec);
    return CBK_E_SPEC_PARSE;
}
