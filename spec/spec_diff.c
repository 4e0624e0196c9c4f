/*
 * spec_diff.c - what changed between two compiled specs, each change classified for a client
 * written against the old one (cbkit/spec_tools.h, docs/spec-diff.md).
 *
 * Operations are matched by name. For every operation both specs have, its input, output and
 * errors are walked in parallel: the shapes met at the same place form pairs (whatever their
 * names, so a renamed input is compared with its predecessor), and each pair is compared once
 * per context it is reached in (input; output and errors). A change found in both contexts is
 * one change with the class of its worse effect. Shapes added or removed by name are listed too.
 */
#include "core/setup.h"
#include "spec/spec_internal.h"
#include "cbkit/spec_tools.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"

#include <math.h>

struct cbk_spec_diff {
    struct cbk_arena arena;
    struct cbk_change *v;
    size_t n, alloc;
};

struct walk {
    struct cbk_spec_diff *d;
    const struct cbk_spec *a, *b; /* old, new */
    /* pairs compared so far, per context: (old index, new index, ctx) */
    size_t *seen;
    size_t nseen, seen_alloc;
};

const char *cbk_change_class_name(enum cbk_change_class cls)
{
    switch (cls) {
    case CBK_CHANGE_BREAKING:
        return "breaking";
    case CBK_CHANGE_ANSWER_RISK:
        return "answer-risk";
    case CBK_CHANGE_COMPATIBLE:
        return "compatible";
    }
    return "unknown";
}

/* Record a change, merging it with an earlier one of the same kind and path (the other
 * context): contexts are joined and the worse class kept. */
static void add(struct walk *w, enum cbk_change_class cls, const char *kind, const char *path,
                unsigned ctx, const char *old_value, const char *new_value, const char *fmt, ...)
    CBK_PRINTF(8, 9);

static void add(struct walk *w, enum cbk_change_class cls, const char *kind, const char *path,
                unsigned ctx, const char *old_value, const char *new_value, const char *fmt, ...)
{
    struct cbk_spec_diff *d = w->d;
    for (size_t i = 0; i < d->n; i++) {
        struct cbk_change *c = &d->v[i];
        if (strcmp(c->kind, kind) == 0 && strcmp(c->path, path) == 0) {
            c->contexts |= ctx;
            if (cls < c->cls)
                c->cls = cls;
            return;
        }
    }
    CBK_GROW(d->v, d->n + 1, d->alloc);
    struct cbk_change *c = &d->v[d->n++];
    c->cls = cls;
    c->kind = kind;
    c->path = cbk_arena_strdup(&d->arena, path);
    c->contexts = ctx;
    c->old_value = old_value ? cbk_arena_strdup(&d->arena, old_value) : NULL;
    c->new_value = new_value ? cbk_arena_strdup(&d->arena, new_value) : NULL;
    va_list ap;
    va_start(ap, fmt);
    char *msg = cbk_xvasprintf(fmt, ap);
    va_end(ap);
    c->message = cbk_arena_strdup(&d->arena, msg);
    free(msg);
}

/* The class of a constraint change: narrower input is breaking, wider output a risk. */
static enum cbk_change_class class_of(bool narrower, unsigned ctx)
{
    if (ctx == CBK_CTX_INPUT)
        return narrower ? CBK_CHANGE_BREAKING : CBK_CHANGE_COMPATIBLE;
    return narrower ? CBK_CHANGE_COMPATIBLE : CBK_CHANGE_ANSWER_RISK;
}

/* ---- constraints ------------------------------------------------------------------------- */

static bool is_real(enum cbk_type t)
{
    return t == CBK_TYPE_DOUBLE || t == CBK_TYPE_FLOAT;
}

/* The effective bound: absent means the type's own limit (0 for lengths and counts). */
static double lo_of(const struct cbk_constraints *c, enum cbk_type t)
{
    if (c->has_min)
        return is_real(t) ? c->dmin : (double)c->min;
    if (t == CBK_TYPE_INTEGER)
        return (double)INT32_MIN;
    if (t == CBK_TYPE_LONG)
        return (double)INT64_MIN;
    return is_real(t) ? -INFINITY : 0;
}

static double hi_of(const struct cbk_constraints *c, enum cbk_type t)
{
    if (c->has_max)
        return is_real(t) ? c->dmax : (double)c->max;
    if (t == CBK_TYPE_INTEGER)
        return (double)INT32_MAX;
    return is_real(t) ? INFINITY : (double)INT64_MAX;
}

static void bound_text(char *out, size_t n, const struct cbk_constraints *c, enum cbk_type t,
                       bool is_min)
{
    bool has = is_min ? c->has_min : c->has_max;
    if (!has)
        snprintf(out, n, "none");
    else if (is_real(t))
        snprintf(out, n, "%g", is_min ? c->dmin : c->dmax);
    else
        snprintf(out, n, "%" PRId64, is_min ? c->min : c->max);
}

static bool in_enum(const struct cbk_constraints *c, const char *v)
{
    for (size_t i = 0; i < c->enum_count; i++)
        if (strcmp(c->enum_values[i], v) == 0)
            return true;
    return false;
}

/* Values of 'x' not in 'y', comma-separated, into b; their count. */
static size_t enum_minus(const struct cbk_constraints *x, const struct cbk_constraints *y,
                         struct cbk_buf *b)
{
    size_t n = 0;
    cbk_buf_reset(b);
    for (size_t i = 0; i < x->enum_count; i++)
        if (!in_enum(y, x->enum_values[i]))
            cbk_buf_addf(b, "%s%s", n++ ? ", " : "", x->enum_values[i]);
    return n;
}

static void compare_constraints(struct walk *w, const char *path, enum cbk_type t,
                                const struct cbk_constraints *o, const struct cbk_constraints *n,
                                unsigned ctx)
{
    char ov[64], nv[64];
    for (int k = 0; k < 2; k++) {
        bool is_min = k == 0;
        double a = is_min ? lo_of(o, t) : hi_of(o, t), b = is_min ? lo_of(n, t) : hi_of(n, t);
        if (a == b)
            continue;
        bool narrower = is_min ? b > a : b < a;
        bound_text(ov, sizeof ov, o, t, is_min);
        bound_text(nv, sizeof nv, n, t, is_min);
        const char *what = is_min ? "min" : "max";
        if (t == CBK_TYPE_STRING || t == CBK_TYPE_BLOB)
            what = is_min ? "min length" : "max length";
        else if (t == CBK_TYPE_LIST || t == CBK_TYPE_MAP)
            what = is_min ? "min items" : "max items";
        add(w, class_of(narrower, ctx), is_min ? "min-changed" : "max-changed", path, ctx, ov, nv,
            "%s %s -> %s (%s)", what, ov, nv, narrower ? "narrower" : "wider");
    }
    if (t == CBK_TYPE_STRING) {
        struct cbk_buf b = CBK_BUF_INIT(1 << 20);
        if (o->enum_values && n->enum_values) {
            if (enum_minus(o, n, &b))
                add(w, class_of(true, ctx), "enum-values-removed", path, ctx, cbk_buf_str(&b), NULL,
                    "enum values removed: %s", cbk_buf_str(&b));
            if (enum_minus(n, o, &b))
                add(w, class_of(false, ctx), "enum-values-added", path, ctx, NULL, cbk_buf_str(&b),
                    "enum values added: %s", cbk_buf_str(&b));
        } else if (n->enum_values) {
            add(w, class_of(true, ctx), "enum-added", path, ctx, NULL, NULL,
                "now an enum of %zu values", n->enum_count);
        } else if (o->enum_values) {
            add(w, class_of(false, ctx), "enum-removed", path, ctx, NULL, NULL,
                "no longer an enum (it had %zu values)", o->enum_count);
        }
        cbk_buf_release(&b);
        if (o->pattern && !n->pattern)
            add(w, class_of(false, ctx), "pattern-removed", path, ctx, o->pattern, NULL,
                "pattern %s removed", o->pattern);
        else if (!o->pattern && n->pattern)
            add(w, class_of(true, ctx), "pattern-added", path, ctx, NULL, n->pattern,
                "pattern %s added", n->pattern);
        else if (o->pattern && strcmp(o->pattern, n->pattern) != 0)
            add(w, class_of(true, ctx), "pattern-changed", path, ctx, o->pattern, n->pattern,
                "pattern %s -> %s (cannot be shown wider: treated as narrower)", o->pattern,
                n->pattern);
    }
}

/* ---- the parallel walk ------------------------------------------------------------------- */

static size_t index_of(const struct cbk_spec *s, const struct cbk_shape *sh)
{
    if (sh == &s->empty_output)
        return s->nshapes; /* one past the shapes: the implicit empty output */
    return (size_t)(sh - s->shapes);
}

static bool seen_pair(struct walk *w, const struct cbk_shape *o, const struct cbk_shape *n,
                      unsigned ctx)
{
    size_t a = index_of(w->a, o), b = index_of(w->b, n);
    for (size_t i = 0; i < w->nseen; i += 3)
        if (w->seen[i] == a && w->seen[i + 1] == b && w->seen[i + 2] == ctx)
            return true;
    CBK_GROW(w->seen, w->nseen + 3, w->seen_alloc);
    w->seen[w->nseen++] = a;
    w->seen[w->nseen++] = b;
    w->seen[w->nseen++] = ctx;
    return false;
}

static void compare_shapes(struct walk *w, const struct cbk_shape *o, const struct cbk_shape *n,
                           unsigned ctx);

/* Two members (or list/map parts) at 'path': their targets, their own constraints. */
static void compare_members(struct walk *w, const char *path, const struct cbk_member *o,
                            const struct cbk_member *n, unsigned ctx)
{
    if (o->shape->type != n->shape->type) {
        add(w, CBK_CHANGE_BREAKING, "type-changed", path, ctx, cbk_type_name(o->shape->type),
            cbk_type_name(n->shape->type), "type %s (%s) -> %s (%s)", cbk_type_name(o->shape->type),
            o->shape->name, cbk_type_name(n->shape->type), n->shape->name);
        return;
    }
    /* constraints seen by this member only: its own refinements, or a different target */
    if (o->refined || n->refined || strcmp(o->shape->name, n->shape->name) != 0)
        compare_constraints(w, path, n->shape->type, &o->c, &n->c, ctx);
    compare_shapes(w, o->shape, n->shape, ctx);
}

static void compare_struct(struct walk *w, const struct cbk_shape *o, const struct cbk_shape *n,
                           unsigned ctx)
{
    struct cbk_buf p = CBK_BUF_INIT(1 << 16);
    for (size_t i = 0; i < o->member_count; i++) {
        const struct cbk_member *om = &o->members[i];
        cbk_buf_reset(&p);
        cbk_buf_addf(&p, "%s.%s", n->name, om->name);
        const struct cbk_member *nm = cbk_shape_member(n, om->name, om->name_len);
        if (!nm) {
            add(w, CBK_CHANGE_BREAKING, "member-removed", cbk_buf_str(&p), ctx, NULL, NULL,
                "member removed");
            continue;
        }
        if (!om->required && nm->required)
            add(w, ctx == CBK_CTX_INPUT ? CBK_CHANGE_BREAKING : CBK_CHANGE_COMPATIBLE,
                "required-added", cbk_buf_str(&p), ctx, NULL, NULL, "now required");
        else if (om->required && !nm->required)
            add(w, ctx == CBK_CTX_INPUT ? CBK_CHANGE_COMPATIBLE : CBK_CHANGE_ANSWER_RISK,
                "required-removed", cbk_buf_str(&p), ctx, NULL, NULL, "no longer required");
        compare_members(w, cbk_buf_str(&p), om, nm, ctx);
    }
    for (size_t i = 0; i < n->member_count; i++) {
        const struct cbk_member *nm = &n->members[i];
        if (cbk_shape_member(o, nm->name, nm->name_len))
            continue;
        cbk_buf_reset(&p);
        cbk_buf_addf(&p, "%s.%s", n->name, nm->name);
        if (ctx == CBK_CTX_INPUT)
            add(w, nm->required ? CBK_CHANGE_BREAKING : CBK_CHANGE_COMPATIBLE,
                nm->required ? "required-member-added" : "member-added", cbk_buf_str(&p), ctx, NULL,
                nm->shape->name, "%s added (%s)", nm->required ? "required member" : "member",
                nm->shape->name);
        else
            add(w, CBK_CHANGE_ANSWER_RISK, "member-added", cbk_buf_str(&p), ctx, NULL,
                nm->shape->name, "member added (%s)", nm->shape->name);
    }
    cbk_buf_release(&p);
}

static void compare_shapes(struct walk *w, const struct cbk_shape *o, const struct cbk_shape *n,
                           unsigned ctx)
{
    if (seen_pair(w, o, n, ctx))
        return;
    if (o->type != n->type) {
        add(w, CBK_CHANGE_BREAKING, "type-changed", n->name, ctx, cbk_type_name(o->type),
            cbk_type_name(n->type), "type %s -> %s", cbk_type_name(o->type),
            cbk_type_name(n->type));
        return;
    }
    /* a shape met under another name: its constraints were compared at the member */
    if (strcmp(o->name, n->name) == 0)
        compare_constraints(w, n->name, n->type, &o->c, &n->c, ctx);
    static const char *const formats[] = {"unixTimestamp", "iso8601", "rfc822"};
    if (n->type == CBK_TYPE_TIMESTAMP && o->ts_format != n->ts_format)
        add(w, CBK_CHANGE_BREAKING, "timestamp-format-changed", n->name, ctx, formats[o->ts_format],
            formats[n->ts_format], "timestamp format %s -> %s", formats[o->ts_format],
            formats[n->ts_format]);
    char path[512];
    switch (n->type) {
    case CBK_TYPE_STRUCTURE:
        compare_struct(w, o, n, ctx);
        break;
    case CBK_TYPE_LIST:
        snprintf(path, sizeof path, "%s.member", n->name);
        compare_members(w, path, o->member, n->member, ctx);
        break;
    case CBK_TYPE_MAP:
        snprintf(path, sizeof path, "%s.key", n->name);
        compare_members(w, path, o->key, n->key, ctx);
        snprintf(path, sizeof path, "%s.value", n->name);
        compare_members(w, path, o->value, n->value, ctx);
        break;
    default:
        break;
    }
}

static const struct cbk_shape *find_error(const struct cbk_operation *op, const char *name)
{
    for (size_t i = 0; i < op->error_count; i++)
        if (strcmp(op->errors[i]->name, name) == 0)
            return op->errors[i];
    return NULL;
}

static void compare_ops(struct walk *w, const struct cbk_operation *o,
                        const struct cbk_operation *n)
{
    compare_shapes(w, o->input, n->input, CBK_CTX_INPUT);
    compare_shapes(w, o->output, n->output, CBK_CTX_OUTPUT);
    char path[512];
    for (size_t i = 0; i < o->error_count; i++) {
        const struct cbk_shape *ne = find_error(n, o->errors[i]->name);
        snprintf(path, sizeof path, "%s.errors.%s", n->name, o->errors[i]->name);
        if (ne)
            compare_shapes(w, o->errors[i], ne, CBK_CTX_OUTPUT);
        else
            add(w, CBK_CHANGE_COMPATIBLE, "error-removed", path, CBK_CTX_OUTPUT, NULL, NULL,
                "error no longer listed");
    }
    for (size_t i = 0; i < n->error_count; i++) {
        if (find_error(o, n->errors[i]->name))
            continue;
        snprintf(path, sizeof path, "%s.errors.%s", n->name, n->errors[i]->name);
        add(w, CBK_CHANGE_ANSWER_RISK, "error-added", path, CBK_CTX_OUTPUT, NULL, NULL,
            "error added: clients may now see it");
    }
}

static int change_cmp(const void *x, const void *y)
{
    const struct cbk_change *a = x, *b = y;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    int c = strcmp(a->path, b->path);
    return c ? c : strcmp(a->kind, b->kind);
}

struct cbk_spec_diff *cbk_spec_diff(const struct cbk_spec *old_spec,
                                    const struct cbk_spec *new_spec)
{
    struct cbk_spec_diff *d = cbk_xcalloc(1, sizeof(*d));
    cbk_arena_init(&d->arena, 16384);
    struct walk w = {d, old_spec, new_spec, NULL, 0, 0};
    for (size_t i = 0; i < old_spec->nops; i++) {
        const struct cbk_operation *o = &old_spec->ops[i];
        const struct cbk_operation *n = cbk_spec_op(new_spec, o->name);
        if (n)
            compare_ops(&w, o, n);
        else
            add(&w, CBK_CHANGE_BREAKING, "operation-removed", o->name, 0, NULL, NULL,
                "operation removed");
    }
    for (size_t i = 0; i < new_spec->nops; i++)
        if (!cbk_spec_op(old_spec, new_spec->ops[i].name))
            add(&w, CBK_CHANGE_COMPATIBLE, "operation-added", new_spec->ops[i].name, 0, NULL, NULL,
                "operation added");
    /* shapes by name: informational (what referred to them is judged where it changed) */
    for (size_t i = 0; i < old_spec->nshapes; i++)
        if (!cbk_spec_shape(new_spec, old_spec->shapes[i].name))
            add(&w, CBK_CHANGE_COMPATIBLE, "shape-removed", old_spec->shapes[i].name, 0, NULL, NULL,
                "shape removed");
    for (size_t i = 0; i < new_spec->nshapes; i++)
        if (!cbk_spec_shape(old_spec, new_spec->shapes[i].name))
            add(&w, CBK_CHANGE_COMPATIBLE, "shape-added", new_spec->shapes[i].name, 0, NULL, NULL,
                "shape added (%s)", cbk_type_name(new_spec->shapes[i].type));
    free(w.seen);
    if (d->n)
        qsort(d->v, d->n, sizeof(*d->v), change_cmp);
    return d;
}

size_t cbk_spec_diff_count(const struct cbk_spec_diff *d)
{
    return d->n;
}

const struct cbk_change *cbk_spec_diff_at(const struct cbk_spec_diff *d, size_t i)
{
    return i < d->n ? &d->v[i] : NULL;
}

size_t cbk_spec_diff_class_count(const struct cbk_spec_diff *d, enum cbk_change_class cls)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->v[i].cls == cls;
    return n;
}

void cbk_spec_diff_free(struct cbk_spec_diff *d)
{
    if (!d)
        return;
    cbk_arena_release(&d->arena);
    free(d->v);
    free(d);
}
