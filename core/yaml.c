/*
 * yaml.c - libfyaml's event parser turned into small position-carrying trees, and typed
 * accessors with located errors (see yaml.h).
 */
#include "core/setup.h"
#include "core/yaml.h"
#include "core/alloc.h"
#include "core/jsonscan.h" /* cbk_utf8_valid, cbk_utf8_count */

#include <libfyaml.h>
#include <ctype.h>
#include <math.h>

/* ---- building the tree from parser events ------------------------------------------------ */

struct builder {
    struct cbk_ydoc *doc;
    const char *file;
    enum cbk_code code;
    struct cbk_diags *diags;
    size_t max_depth;
    /* open containers */
    struct frame {
        struct cbk_ynode *node;
        size_t alloc;
        struct cbk_ynode *pending_key; /* mappings: key waiting for its value */
    } * stack;
    size_t depth, stack_alloc;
    int failed;
};

static void mark_pos(const struct fy_mark *m, int *line, int *col)
{
    *line = m ? m->line + 1 : 0;
    *col = m ? m->column + 1 : 0;
}

static struct cbk_ynode *new_node(struct builder *b, enum cbk_ykind kind, const struct fy_mark *m)
{
    struct cbk_ynode *n = cbk_arena_calloc(&b->doc->arena, sizeof(*n));
    n->kind = kind;
    mark_pos(m, &n->line, &n->col);
    return n;
}

static void push_child(struct builder *b, struct frame *f, struct cbk_ynode *child)
{
    struct cbk_ynode *p = f->node;
    if (p->n == f->alloc) {
        size_t na = f->alloc ? f->alloc * 2 : 8;
        struct cbk_ynode **items = cbk_arena_alloc(&b->doc->arena, na * sizeof(*items));
        if (p->n)
            memcpy(items, p->items, p->n * sizeof(*items));
        p->items = items;
        if (p->kind == CBK_Y_MAP) {
            struct cbk_ynode **keys = cbk_arena_alloc(&b->doc->arena, na * sizeof(*keys));
            if (p->n)
                memcpy(keys, p->keys, p->n * sizeof(*keys));
            p->keys = keys;
        }
        f->alloc = na;
    }
    if (p->kind == CBK_Y_MAP)
        p->keys[p->n] = f->pending_key;
    p->items[p->n++] = child;
}

/* Attach a finished node to its parent (or make it the root). */
static void attach(struct builder *b, struct cbk_ynode *n)
{
    if (b->depth == 0) {
        b->doc->root = n;
        return;
    }
    struct frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == CBK_Y_SEQ) {
        push_child(b, f, n);
        return;
    }
    if (!f->pending_key) {
        if (n->kind != CBK_Y_SCALAR) {
            cbk_diags_addf(b->diags, b->code, CBK_SEV_ERROR, b->file, n->line, n->col, NULL,
                           "mapping keys must be scalars, found a %s",
                           n->kind == CBK_Y_MAP ? "mapping" : "sequence");
            b->failed = 1;
            /* keep the structure consistent: use a placeholder key */
            n = new_node(b, CBK_Y_SCALAR, NULL);
            n->str = "";
        }
        for (size_t i = 0; i < f->node->n; i++) {
            const struct cbk_ynode *k = f->node->keys[i];
            if (k->len == n->len && memcmp(k->str, n->str, n->len) == 0) {
                cbk_diags_addf(b->diags, b->code, CBK_SEV_ERROR, b->file, n->line, n->col, NULL,
                               "duplicate key '%s' (first at line %d)", n->str, k->line);
                b->failed = 1;
                break;
            }
        }
        f->pending_key = n;
        return;
    }
    push_child(b, f, n);
    f->pending_key = NULL;
}

static void open_container(struct builder *b, struct cbk_ynode *n)
{
    if (b->depth >= b->max_depth) {
        cbk_diags_addf(b->diags, b->code, CBK_SEV_ERROR, b->file, n->line, n->col, NULL,
                       "nesting deeper than %zu levels", b->max_depth);
        b->failed = 2;
        return;
    }
    CBK_GROW(b->stack, b->depth + 1, b->stack_alloc);
    b->stack[b->depth].node = n;
    b->stack[b->depth].alloc = 0;
    b->stack[b->depth].pending_key = NULL;
    b->depth++;
}

static void close_container(struct builder *b)
{
    struct cbk_ynode *n = b->stack[--b->depth].node;
    attach(b, n);
}

/*
 * The text of a scalar token, copied into 'a'. Read with libfyaml's chunk iterator rather than
 * fy_token_get_text(): in 0.7.12 the latter over-counts some block scalars (a literal block
 * whose later lines are more indented than its first, under a key that is not more indented
 * than them), returning a length that includes bytes it never wrote (uninitialised heap) and
 * missing the last lines; the iterator yields the whole text (regression input:
 * fuzz/corpus/fuzz_cassette/regress-libfyaml-block-scalar-overcount.yaml).
 */
static const char *scalar_text(struct fy_token *t, struct cbk_arena *a, size_t *len)
{
    struct fy_token_iter *it = fy_token_iter_create(t);
    if (it) {
        struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 31);
        const struct fy_iter_chunk *c = NULL;
        int err = 0;
        while ((c = fy_token_iter_chunk_next(it, c, &err)) != NULL)
            cbk_buf_add(&b, c->str, c->len);
        fy_token_iter_destroy(it);
        if (err == 0) {
            const char *s = cbk_arena_strndup(a, b.ptr ? b.ptr : "", b.len);
            *len = b.len;
            cbk_buf_release(&b);
            return s;
        }
        cbk_buf_release(&b);
    }
    size_t sl = 0;
    const char *s = fy_token_get_text(t, &sl);
    if (!s) {
        s = "";
        sl = 0;
    }
    *len = sl;
    return cbk_arena_strndup(a, s, sl);
}

static void quiet_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    CBK_UNUSED(diag);
    CBK_UNUSED(user);
    CBK_UNUSED(buf);
    CBK_UNUSED(len);
}

/* Copy libfyaml's collected errors into 'diags'. Returns how many were copied. */
static size_t copy_fy_errors(struct builder *b, struct fy_diag *diag)
{
    size_t n = 0;
    void *iter = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &iter)) != NULL) {
        if (e->type < FYET_ERROR)
            continue;
        const char *msg = e->msg ? e->msg : "invalid yaml";
        size_t ml = strlen(msg);
        while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
            ml--;
        /* libfyaml's collected errors are already 1-based (fy_diag_vreport adds 1) */
        cbk_diags_addf(b->diags, b->code, CBK_SEV_ERROR, b->file, e->line, e->column, NULL,
                       "invalid yaml: %.*s", (int)ml, msg);
        n++;
    }
    return n;
}

/*
 * Is line p[0..n) a block scalar header in its plainest form: after its indentation and any
 * "- ", an optional simple key (letters, digits, '_', '-', '.', then ':' and a blank), then
 * '|' or '>' with chomping and indentation indicators, then blanks or a comment? Only then are
 * the lines after it taken as content (which may hold "? " and tabs: a recorded body). Any
 * other line that ends in '|' or '>' is not, so the lines after it are checked like any other:
 * a header the check cannot be sure of must not hide a line from it ("# a: >-", "%YAM# a: >-"
 * hid explicit keys with tabs that crash libfyaml).
 */
static bool block_scalar_header(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == ' ')
        i++;
    while (i + 1 < n && p[i] == '-' && p[i + 1] == ' ') {
        i += 2;
        while (i < n && p[i] == ' ')
            i++;
    }
    size_t k = i;
    while (k < n && (isalnum((unsigned char)p[k]) || p[k] == '_' || p[k] == '-' || p[k] == '.'))
        k++;
    if (k > i) { /* a key: then ':' and a blank */
        if (k + 1 >= n || p[k] != ':' || p[k + 1] != ' ')
            return false;
        i = k + 1;
        while (i < n && p[i] == ' ')
            i++;
    }
    if (i >= n || (p[i] != '|' && p[i] != '>'))
        return false;
    for (i++; i < n && (p[i] == '-' || p[i] == '+' || (p[i] >= '1' && p[i] <= '9')); i++)
        ;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
        i++;
    return i == n || (p[i] == '#' && (p[i - 1] == ' ' || p[i - 1] == '\t'));
}

/* Does a byte order mark (U+FEFF, which libfyaml skips like a blank) end just before l[q]? */
static bool after_bom(const char *l, size_t q)
{
    return q >= 3 && memcmp(l + q - 3, "\xEF\xBB\xBF", 3) == 0;
}

/*
 * libfyaml 0.7.12 crashes in fy_parser_destroy() on some documents with a tab on or after an
 * explicit key ('? ' first on its line, after '- ', or after a blank or an indicator within
 * it): "? g:\t:", "? mina::\t? mina::\t", ": : ? : ?:\t: ?::\t: ?: ", and with byte order
 * marks before the '?' ("<BOM>? :x :<BOM>? :x ?:\t:") (found by fuzz/fuzz_yaml).
 * Such a document is refused before libfyaml sees it: 0 if it is not one, else 1 with the tab's
 * line and column. Lines inside block scalars cannot start an explicit key, so a body that
 * merely contains such text is not refused; after an explicit key, a tab is refused there too
 * (libfyaml reads the indentation of a block scalar under '? ' its own way).
 */
static int tab_after_explicit_key(const char *buf, size_t len, int *line, int *col)
{
    bool explicit_key = false, in_block = false;
    size_t block_parent = 0;
    int ln = 0;
    for (size_t i = 0; i < len;) {
        const char *l = buf + i;
        size_t n = 0; /* YAML breaks lines at LF, CR and CR LF */
        while (n < len - i && l[n] != '\n' && l[n] != '\r')
            n++;
        i += n + (n + 1 < len - i && l[n] == '\r' && l[n + 1] == '\n' ? 2 : 1);
        ln++;
        size_t ind = 0;
        while (ind < n && l[ind] == ' ')
            ind++;
        size_t nb = ind;
        while (nb < n && (l[nb] == ' ' || l[nb] == '\t' || l[nb] == '\r'))
            nb++;
        if (in_block) {
            if (nb == n || ind > block_parent) {
                /* blank, or the scalar's content: it cannot start an explicit key, but after
                 * one a tab here is refused too (libfyaml may not see this as content) */
                const char *tab = explicit_key ? memchr(l, '\t', n) : NULL;
                if (tab) {
                    *line = ln;
                    *col = (int)CBK_MIN(cbk_utf8_count(l, (size_t)(tab - l)) + 1, (size_t)INT_MAX);
                    return 1;
                }
                continue;
            }
            in_block = false;
        }
        size_t k = ind;
        while (k + 1 < n && l[k] == '-' && (l[k + 1] == ' ' || l[k + 1] == '\t')) {
            k += 2;
            while (k < n && (l[k] == ' ' || l[k] == '\t'))
                k++;
        }
        /* '?' as an indicator: first on the line (after '- '), or after a blank, a flow or
         * mapping indicator or a byte order mark anywhere on it (": ? :", "[? a]"), followed
         * by a blank */
        for (size_t q = k; q < n && !explicit_key; q++)
            if (l[q] == '?' && (q == k || strchr(" \t:,[{", l[q - 1]) || after_bom(l, q)) &&
                (q + 1 == n || l[q + 1] == ' ' || l[q + 1] == '\t' || l[q + 1] == '\r'))
                explicit_key = true;
        if (explicit_key) {
            const char *tab = memchr(l, '\t', n);
            if (tab) {
                *line = ln;
                *col = (int)CBK_MIN(cbk_utf8_count(l, (size_t)(tab - l)) + 1, (size_t)INT_MAX);
                return 1;
            }
        }
        if (block_scalar_header(l, n)) {
            in_block = true;
            block_parent = ind;
        }
    }
    return 0;
}

enum cbk_code cbk_yaml_parse(const char *buf, size_t len, const char *file, size_t max_depth,
                             enum cbk_code code, struct cbk_ydoc **out, struct cbk_diags *diags)
{
    *out = NULL;
    /*
     * YAML text is printable Unicode: reject invalid UTF-8 and the ASCII control characters
     * YAML excludes (all but tab, LF and CR) here, with their position. libfyaml 0.7.12 loops
     * forever on some invalid UTF-8 (a '%' directive followed by a byte such as 0x80) and
     * crashes in fy_parser_destroy() on some NUL bytes ("? g}:\t\0").
     */
    for (size_t i = 0, line = 1, col = 1; i < len; col++) {
        unsigned char c = (unsigned char)buf[i];
        size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n > len - i || !cbk_utf8_valid(buf + i, n)) {
            cbk_diags_addf(diags, code, CBK_SEV_ERROR, file, (int)CBK_MIN(line, INT_MAX),
                           (int)CBK_MIN(col, INT_MAX), NULL,
                           "invalid yaml: invalid UTF-8 (byte 0x%02x)", c);
            return code;
        }
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            cbk_diags_addf(diags, code, CBK_SEV_ERROR, file, (int)CBK_MIN(line, INT_MAX),
                           (int)CBK_MIN(col, INT_MAX), NULL,
                           "invalid yaml: control character U+%04X is not allowed", c);
            return code;
        }
        if (c == '\n') {
            line++;
            col = 0;
        }
        i += n;
    }
    int tl, tc;
    if (tab_after_explicit_key(buf, len, &tl, &tc)) {
        cbk_diags_addf(diags, code, CBK_SEV_ERROR, file, tl, tc, NULL,
                       "invalid yaml: a tab on or after an explicit key ('? ') is not "
                       "supported (libfyaml fails on it); use spaces");
        return code;
    }
    struct cbk_ydoc *doc = cbk_xcalloc(1, sizeof(*doc));
    cbk_arena_init(&doc->arena, 16384);
    doc->file = cbk_xstrdup(file ? file : "");

    struct builder b = {0};
    b.doc = doc;
    b.file = doc->file;
    b.code = code;
    b.diags = diags;
    b.max_depth = max_depth ? max_depth : 64;

    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = quiet_output;
    dcfg.user = NULL;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag) {
        cbk_ydoc_free(doc);
        cbk_diags_addf(diags, CBK_E_INTERNAL, CBK_SEV_ERROR, file, 0, 0, NULL,
                       "cannot create the yaml diagnostics object");
        return CBK_E_INTERNAL;
    }
    fy_diag_set_collect_errors(diag, true);

    struct fy_parse_cfg cfg = {0};
    cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_AUTO | FYPCF_JSON_NONE;
    cfg.diag = diag;
    struct fy_parser *fyp = fy_parser_create(&cfg);
    if (!fyp || fy_parser_set_string(fyp, buf, len) != 0) {
        if (fyp)
            fy_parser_destroy(fyp);
        fy_diag_destroy(diag);
        cbk_ydoc_free(doc);
        cbk_diags_addf(diags, CBK_E_INTERNAL, CBK_SEV_ERROR, file, 0, 0, NULL,
                       "cannot create the yaml parser");
        return CBK_E_INTERNAL;
    }

    int ndocs = 0;
    struct fy_event *ev;
    while (!b.failed && (ev = fy_parser_parse(fyp)) != NULL) {
        const struct fy_mark *m = fy_event_start_mark(ev);
        switch (ev->type) {
        case FYET_DOCUMENT_START:
            if (++ndocs > 1) {
                int l, c;
                mark_pos(m, &l, &c);
                cbk_diags_addf(diags, code, CBK_SEV_ERROR, file, l, c, NULL,
                               "a second yaml document is not allowed here");
                b.failed = 1;
            }
            break;
        case FYET_MAPPING_START:
        case FYET_SEQUENCE_START: {
            struct fy_token *anchor = ev->type == FYET_MAPPING_START ? ev->mapping_start.anchor
                                                                     : ev->sequence_start.anchor;
            CBK_UNUSED(anchor);
            struct cbk_ynode *n =
                new_node(&b, ev->type == FYET_MAPPING_START ? CBK_Y_MAP : CBK_Y_SEQ, m);
            open_container(&b, n);
            break;
        }
        case FYET_MAPPING_END:
        case FYET_SEQUENCE_END:
            close_container(&b);
            break;
        case FYET_SCALAR: {
            struct cbk_ynode *n = new_node(&b, CBK_Y_SCALAR, m);
            n->str = scalar_text(ev->scalar.value, &doc->arena, &n->len);
            enum fy_scalar_style style = fy_token_scalar_style(ev->scalar.value);
            n->plain = style == FYSS_PLAIN;
            /* libfyaml marks quoted scalars at their content: step back to the quote */
            if ((style == FYSS_SINGLE_QUOTED || style == FYSS_DOUBLE_QUOTED) && n->col > 1)
                n->col--;
            /* an empty scalar (`key:`) has no mark: place it at its key, or its container */
            if (!n->line && b.depth) {
                const struct frame *f = &b.stack[b.depth - 1];
                const struct cbk_ynode *at = f->pending_key ? f->pending_key : f->node;
                n->line = at->line;
                n->col = at->col;
            }
            attach(&b, n);
            break;
        }
        case FYET_ALIAS: {
            int l, c;
            mark_pos(m, &l, &c);
            cbk_diags_addf(diags, code, CBK_SEV_ERROR, file, l, c, NULL,
                           "yaml aliases are not supported");
            b.failed = 1;
            break;
        }
        default:
            break;
        }
        fy_parser_event_free(fyp, ev);
    }
    bool stream_error = fy_parser_get_stream_error(fyp);
    size_t nfy = copy_fy_errors(&b, diag);
    if (stream_error && nfy == 0) {
        cbk_diags_addf(diags, code, CBK_SEV_ERROR, file, 0, 0, NULL, "invalid yaml");
    }
    fy_parser_destroy(fyp);
    fy_diag_destroy(diag);
    free(b.stack);

    if (b.failed || stream_error) {
        cbk_ydoc_free(doc);
        return b.failed == 2 ? CBK_E_LIMIT : code;
    }
    *out = doc;
    return CBK_OK;
}

void cbk_ydoc_free(struct cbk_ydoc *doc)
{
    if (!doc)
        return;
    cbk_arena_release(&doc->arena);
    free(doc->file);
    free(doc);
}

/* ---- typed access ----------------------------------------------------------------------- */

bool cbk_y_is_null(const struct cbk_ynode *n)
{
    if (!n || n->kind != CBK_Y_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

static bool is_bool(const struct cbk_ynode *n, bool *v)
{
    if (!n->plain)
        return false;
    static const char *const t[] = {"true", "True", "TRUE"};
    static const char *const f[] = {"false", "False", "FALSE"};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(n->str, t[i]) == 0) {
            *v = true;
            return true;
        }
        if (strcmp(n->str, f[i]) == 0) {
            *v = false;
            return true;
        }
    }
    return false;
}

bool cbk_y_parse_int(const struct cbk_ynode *n, int64_t *out)
{
    if (!n || n->kind != CBK_Y_SCALAR || !n->plain || n->len == 0 || n->len > 21)
        return false;
    const char *s = n->str;
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+')
        i = 1;
    if (i == n->len)
        return false;
    for (size_t j = i; j < n->len; j++)
        if (s[j] < '0' || s[j] > '9')
            return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || end != s + n->len)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const struct cbk_ynode *n, double *out)
{
    if (!n->plain || n->len == 0)
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(n->str, &end);
    if (errno || end != n->str + n->len || !isfinite(v))
        return false;
    /* strtod accepts forms YAML does not call numbers (hex, inf, nan): require a digit */
    if (!strpbrk(n->str, "0123456789") || strpbrk(n->str, "xXnN"))
        return false;
    *out = v;
    return true;
}

const char *cbk_y_describe(const struct cbk_ynode *n)
{
    if (!n)
        return "nothing";
    if (n->kind == CBK_Y_MAP)
        return "a mapping";
    if (n->kind == CBK_Y_SEQ)
        return "a sequence";
    bool b;
    double d;
    if (cbk_y_is_null(n))
        return "null";
    if (is_bool(n, &b))
        return "a boolean";
    if (parse_double(n, &d))
        return "a number";
    return "a string";
}

const struct cbk_ynode *cbk_y_get(const struct cbk_ynode *map, const char *key)
{
    if (!map || map->kind != CBK_Y_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i]->len == kl && memcmp(map->keys[i]->str, key, kl) == 0)
            return map->items[i];
    return NULL;
}

static int vreport(const struct cbk_ycheck *c, enum cbk_severity sev, const struct cbk_ynode *n,
                   const char *path, const char *fmt, va_list ap) CBK_PRINTF(5, 0);

static int vreport(const struct cbk_ycheck *c, enum cbk_severity sev, const struct cbk_ynode *n,
                   const char *path, const char *fmt, va_list ap)
{
    char *msg = cbk_xvasprintf(fmt, ap);
    int rc = cbk_diags_addf(c->diags, c->code, sev, c->file, n ? n->line : 0, n ? n->col : 0, path,
                            "%s", msg);
    free(msg);
    return rc;
}

int cbk_y_error(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, CBK_SEV_ERROR, n, path, fmt, ap);
    va_end(ap);
    return -1;
}

int cbk_y_warn(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, CBK_SEV_WARNING, n, path, fmt, ap);
    va_end(ap);
    return 0;
}

int cbk_y_expect(const struct cbk_ycheck *c, const struct cbk_ynode *n, enum cbk_ykind kind,
                 const char *path)
{
    if (n && n->kind == kind && !(kind == CBK_Y_SCALAR && cbk_y_is_null(n)))
        return 0;
    static const char *const names[] = {"a scalar", "a mapping", "a sequence"};
    return cbk_y_error(c, n, path, "expected %s, found %s", names[kind], cbk_y_describe(n));
}

int cbk_y_check_keys(const struct cbk_ycheck *c, const struct cbk_ynode *map, const char *path,
                     const char *const *allowed)
{
    int rc = 0;
    for (size_t i = 0; i < map->n; i++) {
        const struct cbk_ynode *k = map->keys[i];
        bool ok = false;
        for (size_t j = 0; allowed[j]; j++)
            if (strcmp(k->str, allowed[j]) == 0) {
                ok = true;
                break;
            }
        if (ok)
            continue;
        struct cbk_buf list = CBK_BUF_INIT(4096);
        for (size_t j = 0; allowed[j]; j++)
            cbk_buf_addf(&list, "%s%s", j ? ", " : "", allowed[j]);
        rc = cbk_y_error(c, k, path, "unknown key '%s' (expected one of: %s)", k->str,
                         cbk_buf_str(&list));
        cbk_buf_release(&list);
    }
    return rc;
}

const struct cbk_ynode *cbk_y_require(const struct cbk_ycheck *c, const struct cbk_ynode *map,
                                      const char *path, const char *key)
{
    const struct cbk_ynode *v = cbk_y_get(map, key);
    if (!v)
        cbk_y_error(c, map, path, "missing required key '%s'", key);
    return v;
}

int cbk_y_str(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
              const char **out)
{
    if (!n || n->kind != CBK_Y_SCALAR || cbk_y_is_null(n))
        return cbk_y_error(c, n, path, "expected a string, found %s", cbk_y_describe(n));
    *out = n->str;
    return 0;
}

int cbk_y_bool(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path, bool *out)
{
    bool v;
    if (!n || n->kind != CBK_Y_SCALAR || !is_bool(n, &v))
        return cbk_y_error(c, n, path, "expected true or false, found %s", cbk_y_describe(n));
    *out = v;
    return 0;
}

int cbk_y_int(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path, int64_t min,
              int64_t max, int64_t *out)
{
    int64_t v;
    if (!n || n->kind != CBK_Y_SCALAR || !cbk_y_parse_int(n, &v)) {
        if (n && n->kind == CBK_Y_SCALAR && !cbk_y_is_null(n))
            return cbk_y_error(c, n, path, "expected an integer, found '%s'", n->str);
        return cbk_y_error(c, n, path, "expected an integer, found %s", cbk_y_describe(n));
    }
    if (v < min || v > max)
        return cbk_y_error(c, n, path, "%" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")", v,
                           min, max);
    *out = v;
    return 0;
}

int cbk_y_double(const struct cbk_ycheck *c, const struct cbk_ynode *n, const char *path,
                 double *out)
{
    double v;
    if (!n || n->kind != CBK_Y_SCALAR || !parse_double(n, &v)) {
        if (n && n->kind == CBK_Y_SCALAR && !cbk_y_is_null(n))
            return cbk_y_error(c, n, path, "expected a number, found '%s'", n->str);
        return cbk_y_error(c, n, path, "expected a number, found %s", cbk_y_describe(n));
    }
    *out = v;
    return 0;
}

/* ---- dotted paths ------------------------------------------------------------------------ */

static bool is_ident(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

size_t cbk_ypath_push(struct cbk_buf *p, const char *seg)
{
    size_t mark = p->len;
    if (p->len)
        cbk_buf_addc(p, '.');
    if (is_ident(seg)) {
        cbk_buf_adds(p, seg);
    } else {
        cbk_buf_add_json_str(p, seg, strlen(seg));
    }
    return mark;
}

size_t cbk_ypath_push_index(struct cbk_buf *p, size_t i)
{
    size_t mark = p->len;
    cbk_buf_addf(p, "[%zu]", i);
    return mark;
}

void cbk_ypath_pop(struct cbk_buf *p, size_t mark)
{
    cbk_buf_truncate(p, mark);
}
