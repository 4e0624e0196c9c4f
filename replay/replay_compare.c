/*
 * replay_compare.c - compare a recorded answer body with a live one, member by member, the
 * way `cbkit replay` judges whether a provider still answers as recorded (docs/replay.md):
 * per-call values (volatile and sensitive members, UUIDs, redacted values) count only for
 * their presence and JSON type; ignored pointers do not count at all.
 */
#include "core/setup.h"
#include "replay/replay_internal.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/jsonptr.h"
#include "core/jsonq.h"
#include "wire/wire.h"

#include <json-c/json.h>

#define COMPARE_MAX_DEPTH 64
#define UUID_LEN          36

static const char *const kind_names[] = {
    [CBK_REPLAY_STATUS] = "status",
    [CBK_REPLAY_ERROR_CODE] = "errorCode",
    [CBK_REPLAY_VALUE] = "value",
    [CBK_REPLAY_TYPE] = "type",
    [CBK_REPLAY_MISSING] = "missing",
    [CBK_REPLAY_EXTRA] = "extra",
    [CBK_REPLAY_LENGTH] = "length",
    [CBK_REPLAY_NOT_JSON] = "notJson",
    [CBK_REPLAY_SPEC] = "spec",
    [CBK_REPLAY_UNREACHABLE] = "unreachable",
    [CBK_REPLAY_REDACTED] = "redacted",
    [CBK_REPLAY_MESSAGE] = "message",
    [CBK_REPLAY_UNKNOWN_OP] = "unknownOperation",
};

const char *cbk_replay_kind_name(enum cbk_replay_kind kind)
{
    if ((size_t)kind < CBK_ARRAY_SIZE(kind_names) && kind_names[kind])
        return kind_names[kind];
    return "unknown";
}

/* ---- the list of differences ----------------------------------------------------------- */

void cbk_replay_diffs_init(struct cbk_replay_diffs *d, size_t max)
{
    memset(d, 0, sizeof(*d));
    d->max = max;
}

void cbk_replay_diffs_release(struct cbk_replay_diffs *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nr; i++) {
        free(d->v[i].pointer);
        free(d->v[i].recorded);
        free(d->v[i].live);
        free(d->v[i].message);
    }
    free(d->v);
    size_t max = d->max;
    memset(d, 0, sizeof(*d));
    d->max = max;
}

void cbk__replay_diff_add(struct cbk_replay_diffs *d, enum cbk_replay_kind kind, bool note,
                          const char *pointer, const char *recorded, const char *live,
                          const char *fmt, ...)
{
    if (!note)
        d->mismatches++;
    if (d->max && d->nr >= d->max) {
        d->dropped++;
        return;
    }
    CBK_GROW(d->v, d->nr + 1, d->alloc);
    struct cbk_replay_diff *x = &d->v[d->nr++];
    x->kind = kind;
    x->note = note;
    x->pointer = cbk_xstrdup(pointer ? pointer : "");
    x->recorded = cbk_xstrdup(recorded ? recorded : "");
    x->live = cbk_xstrdup(live ? live : "");
    va_list ap;
    va_start(ap, fmt);
    x->message = cbk_xvasprintf(fmt, ap);
    va_end(ap);
}

/* ---- values ---------------------------------------------------------------------------- */

/* The JSON type as a client sees it: ints and doubles are both numbers. */
static const char *type_name(struct json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null:
        return "null";
    case json_type_boolean:
        return "boolean";
    case json_type_int:
    case json_type_double:
        return "number";
    case json_type_string:
        return "string";
    case json_type_object:
        return "object";
    case json_type_array:
        return "array";
    }
    return "?";
}

/* Cut 'b' to about 'max' bytes on a UTF-8 boundary, marking the cut with "...". */
static void shorten(struct cbk_buf *b, size_t max)
{
    if (b->len <= max)
        return;
    size_t n = max;
    while (n > 0 && ((unsigned char)b->ptr[n] & 0xC0) == 0x80)
        n--;
    cbk_buf_truncate(b, n);
    cbk_buf_adds(b, "...");
}

/* A value as short compact JSON (caller frees). */
static char *render(struct json_object *v)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 30);
    if (!v)
        cbk_buf_adds(&b, "null");
    else
        cbk_buf_adds(&b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    shorten(&b, CBK_REPLAY_SHORT);
    return cbk_buf_detach(&b, NULL);
}

/* Text that is not JSON, as a short JSON string literal (caller frees). */
static char *render_text(const char *s, size_t n)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 20);
    cbk_buf_add_json_str(&b, s, CBK_MIN(n, (size_t)CBK_REPLAY_SHORT));
    if (n > CBK_REPLAY_SHORT)
        cbk_buf_adds(&b, "...");
    return cbk_buf_detach(&b, NULL);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Does s[0..n) start with a UUID (8-4-4-4-12 hex digits, any case)? */
static bool uuid_at(const char *s, size_t n)
{
    if (n < UUID_LEN)
        return false;
    for (size_t i = 0; i < UUID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

/*
 * Are two strings equal once every UUID in each is blanked out? Request ids and generated
 * ids ("my-app:<uuid>", log stream names) differ on every call; the text around them must not.
 */
static bool equal_but_uuids(const char *a, size_t al, const char *b, size_t bl)
{
    size_t i = 0, j = 0;
    while (i < al && j < bl) {
        if (uuid_at(a + i, al - i) && uuid_at(b + j, bl - j)) {
            i += UUID_LEN;
            j += UUID_LEN;
        } else if (a[i] == b[j]) {
            i++;
            j++;
        } else {
            return false;
        }
    }
    return i == al && j == bl;
}

/* ---- the walk -------------------------------------------------------------------------- */

struct walk {
    const struct cbk__replay_cmp *cmp;
    struct cbk_replay_diffs *out;
    struct cbk_ptr ptr;
};

static bool matches_any(const char *const *pats, size_t n, const char *pointer)
{
    for (size_t i = 0; i < n; i++)
        if (cbk_ptrpat_match(pats[i], pointer))
            return true;
    return false;
}

static bool per_call(const struct walk *w, const char *pointer)
{
    const struct cbk_ptrpats *s = w->cmp->per_call;
    return s && matches_any((const char *const *)s->patterns, s->n, pointer);
}

static void add_values(struct walk *w, enum cbk_replay_kind kind, bool note,
                       struct json_object *rec, struct json_object *live, bool rec_present,
                       bool live_present)
{
    const char *p = cbk_ptr_str(&w->ptr);
    char *rs = rec_present ? render(rec) : NULL;
    char *ls = live_present ? render(live) : NULL;
    switch (kind) {
    case CBK_REPLAY_MISSING:
        cbk__replay_diff_add(w->out, kind, note, p, rs, NULL,
                             "missing from the live answer (recorded: %s)", rs);
        break;
    case CBK_REPLAY_EXTRA:
        cbk__replay_diff_add(w->out, kind, note, p, NULL, ls, "not recorded (live: %s)", ls);
        break;
    case CBK_REPLAY_TYPE:
        cbk__replay_diff_add(w->out, kind, note, p, rs, ls, "%s %s recorded, %s %s live",
                             type_name(rec), rs, type_name(live), ls);
        break;
    case CBK_REPLAY_MESSAGE:
        cbk__replay_diff_add(w->out, kind, note, p, rs ? rs : "", ls ? ls : "",
                             "error message differs: %s recorded, %s live", rs ? rs : "(none)",
                             ls ? ls : "(none)");
        break;
    default:
        cbk__replay_diff_add(w->out, kind, note, p, rs, ls, "%s recorded, %s live", rs, ls);
        break;
    }
    free(rs);
    free(ls);
}

static bool is_message_member(const struct walk *w)
{
    const char *p = cbk_ptr_str(&w->ptr);
    return w->cmp->error_body && (strcmp(p, "/message") == 0 || strcmp(p, "/Message") == 0);
}

/*
 * Compare one place of the two documents. 'rec_present'/'live_present' say whether the
 * member exists (a JSON null member counts as absent, as SDKs read it); list elements and the
 * root always exist, and a null there is the value null.
 */
static void walk(struct walk *w, struct json_object *rec, struct json_object *live,
                 bool rec_present, bool live_present, int depth)
{
    const char *p = cbk_ptr_str(&w->ptr);
    if (matches_any(w->cmp->ignore, w->cmp->nignore, p))
        return;
    if (w->cmp->error_body && strcmp(p, "/__type") == 0)
        return; /* compared as the error code */
    if (is_message_member(w)) {
        if (rec_present != live_present || (rec_present && !cbk_jsonq_equal(rec, live)))
            add_values(w, CBK_REPLAY_MESSAGE, true, rec, live, rec_present, live_present);
        return;
    }
    if (!rec_present && !live_present)
        return;
    if (!live_present) {
        add_values(w, CBK_REPLAY_MISSING, false, rec, NULL, true, false);
        return;
    }
    if (!rec_present) {
        add_values(w, CBK_REPLAY_EXTRA, false, NULL, live, false, true);
        return;
    }
    if (strcmp(type_name(rec), type_name(live)) != 0) {
        add_values(w, CBK_REPLAY_TYPE, false, rec, live, true, true);
        return;
    }
    if (per_call(w, p))
        return; /* presence and type only */
    if (depth > COMPARE_MAX_DEPTH) {
        if (!cbk_jsonq_equal(rec, live))
            add_values(w, CBK_REPLAY_VALUE, false, rec, live, true, true);
        return;
    }
    switch (json_object_get_type(rec)) {
    case json_type_object: {
        json_object_object_foreach(rec, k, rv)
        {
            struct json_object *lv = NULL;
            bool lp = json_object_object_get_ex(live, k, &lv) && lv;
            size_t mark = cbk_ptr_push_key(&w->ptr, k, strlen(k));
            walk(w, rv, lv, rv != NULL, lp, depth + 1);
            cbk_ptr_pop(&w->ptr, mark);
        }
        json_object_object_foreach(live, k2, lv2)
        {
            struct json_object *rv2 = NULL;
            if ((json_object_object_get_ex(rec, k2, &rv2) && rv2) || !lv2)
                continue;
            size_t mark = cbk_ptr_push_key(&w->ptr, k2, strlen(k2));
            walk(w, NULL, lv2, false, true, depth + 1);
            cbk_ptr_pop(&w->ptr, mark);
        }
        return;
    }
    case json_type_array: {
        size_t rn = json_object_array_length(rec), ln = json_object_array_length(live);
        if (rn != ln) {
            char rs[32], ls[32];
            snprintf(rs, sizeof rs, "%zu", rn);
            snprintf(ls, sizeof ls, "%zu", ln);
            cbk__replay_diff_add(w->out, CBK_REPLAY_LENGTH, false, p, rs, ls,
                                 "%zu item%s recorded, %zu live", rn, rn == 1 ? "" : "s", ln);
        }
        for (size_t i = 0; i < CBK_MIN(rn, ln); i++) {
            size_t mark = cbk_ptr_push_index(&w->ptr, i);
            walk(w, json_object_array_get_idx(rec, i), json_object_array_get_idx(live, i), true,
                 true, depth + 1);
            cbk_ptr_pop(&w->ptr, mark);
        }
        return;
    }
    case json_type_string: {
        const char *rs = json_object_get_string(rec), *ls = json_object_get_string(live);
        size_t rl = (size_t)json_object_get_string_len(rec);
        size_t ll = (size_t)json_object_get_string_len(live);
        if (strcmp(rs, CBK_REPLAY_REDACTED_MARK) == 0)
            return; /* a secret when recorded: presence and type only */
        if (!equal_but_uuids(rs, rl, ls, ll))
            add_values(w, CBK_REPLAY_VALUE, false, rec, live, true, true);
        return;
    }
    default:
        if (!cbk_jsonq_equal(rec, live))
            add_values(w, CBK_REPLAY_VALUE, false, rec, live, true, true);
        return;
    }
}

/* Parse a whole body; an empty (or blank) body is {}, as AWS JSON reads it. */
static bool parse_body(const char *s, size_t n, struct json_object **out)
{
    *out = NULL;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (i == n) {
        *out = json_object_new_object();
        return true;
    }
    if (n > (size_t)INT_MAX)
        return false;
    struct json_tokener *tok = json_tokener_new();
    struct json_object *doc = json_tokener_parse_ex(tok, s, (int)n);
    bool ok = json_tokener_get_error(tok) == json_tokener_success;
    size_t end = ok ? json_tokener_get_parse_end(tok) : 0;
    json_tokener_free(tok);
    while (ok && end < n && (s[end] == ' ' || s[end] == '\t' || s[end] == '\r' || s[end] == '\n'))
        end++;
    if (!ok || end != n) {
        json_object_put(doc);
        return false;
    }
    *out = doc;
    return true;
}

size_t cbk__replay_compare(const struct cbk__replay_cmp *cmp, const char *recorded, size_t rl,
                           const char *live, size_t ll, struct cbk_replay_diffs *out)
{
    size_t before = out->mismatches;
    struct json_object *rd = NULL, *ld = NULL;
    bool rok = parse_body(recorded ? recorded : "", recorded ? rl : 0, &rd);
    bool lok = parse_body(live ? live : "", live ? ll : 0, &ld);
    if (!rok || !lok) {
        bool same = rl == ll && (rl == 0 || memcmp(recorded, live, rl) == 0);
        if (!same) {
            char *rs = render_text(recorded ? recorded : "", recorded ? rl : 0);
            char *ls = render_text(live ? live : "", live ? ll : 0);
            if (!rok && !lok)
                cbk__replay_diff_add(out, CBK_REPLAY_NOT_JSON, false, "", rs, ls,
                                     "the bodies differ (neither is JSON): %s recorded, %s live",
                                     rs, ls);
            else if (!lok)
                cbk__replay_diff_add(out, CBK_REPLAY_NOT_JSON, false, "", rs, ls,
                                     "the live body is not JSON: %s", ls);
            else
                cbk__replay_diff_add(out, CBK_REPLAY_NOT_JSON, false, "", rs, ls,
                                     "the recorded body is not JSON: %s", rs);
            free(rs);
            free(ls);
        }
    } else {
        struct walk w;
        w.cmp = cmp;
        w.out = out;
        cbk_ptr_init(&w.ptr);
        walk(&w, rd, ld, true, true, 0);
        cbk_ptr_release(&w.ptr);
    }
    json_object_put(rd);
    json_object_put(ld);
    return out->mismatches - before;
}

/* ---- per-call members from the spec ---------------------------------------------------- */

static const char *wire_code(const struct cbk_shape *sh)
{
    return sh->error_code ? sh->error_code : sh->name;
}

void cbk__replay_per_call(struct cbk_ptrpats *set, const struct cbk_spec *spec,
                          const struct cbk_operation *op, bool error_body, const char *error_code)
{
    if (!op)
        return;
    if (!error_body) {
        cbk_ptrpats_from_shape(set, op->output, true);
        return;
    }
    if (!error_code)
        return;
    for (size_t i = 0; i < op->error_count; i++) {
        if (strcmp(wire_code(op->errors[i]), error_code) == 0) {
            cbk_ptrpats_from_shape(set, op->errors[i], true);
            return;
        }
    }
    for (size_t i = 0; i < cbk_spec_shape_count(spec); i++) {
        const struct cbk_shape *sh = cbk_spec_shape_at(spec, i);
        if (sh->exception && strcmp(wire_code(sh), error_code) == 0) {
            cbk_ptrpats_from_shape(set, sh, true);
            return;
        }
    }
}

size_t cbk_replay_compare_bodies(const struct cbk_spec *spec, const char *op, bool error_body,
                                 const char *recorded, size_t recorded_len, const char *live,
                                 size_t live_len, const char *const *ignore, size_t nignore,
                                 struct cbk_replay_diffs *out)
{
    const struct cbk_operation *o = spec && op ? cbk_spec_op(spec, op) : NULL;
    struct cbk_ptrpats set;
    memset(&set, 0, sizeof set);
    struct cbk_buf code = CBK_BUF_INIT(1 << 16), msg = CBK_BUF_INIT(1 << 20);
    if (o && error_body)
        cbk_wire_parse_error(CBK_WIRE_BOTOCORE, 400, recorded ? recorded : "",
                             recorded ? recorded_len : 0, NULL, &code, &msg);
    cbk__replay_per_call(&set, spec, o, error_body, cbk_buf_str(&code));
    struct cbk__replay_cmp cmp = {&set, ignore, nignore, error_body};
    size_t n = cbk__replay_compare(&cmp, recorded, recorded_len, live, live_len, out);
    cbk_ptrpats_release(&set);
    cbk_buf_release(&code);
    cbk_buf_release(&msg);
    return n;
}
