/*
 * error.c - result code names and the located-diagnostics list (cbkit/error.h).
 */
#include "core/setup.h"
#include "cbkit/error.h"
#include "core/alloc.h"

static const char *const code_names[] = {
#define CBK_X_(name, msg) #name,
    CBK_CODES(CBK_X_)
#undef CBK_X_
};

static const char *const code_msgs[] = {
#define CBK_X_(name, msg) msg,
    CBK_CODES(CBK_X_)
#undef CBK_X_
};

const char *cbk_code_name(enum cbk_code code)
{
    if ((unsigned)code >= CBK_ARRAY_SIZE(code_names))
        return "unknown";
    return code_names[code];
}

const char *cbk_strerror(enum cbk_code code)
{
    if ((unsigned)code >= CBK_ARRAY_SIZE(code_msgs))
        return "unknown error";
    return code_msgs[code];
}

void cbk_diags_init(struct cbk_diags *d, size_t max)
{
    memset(d, 0, sizeof(*d));
    d->max = max;
}

void cbk_diags_release(struct cbk_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nr; i++) {
        free(d->v[i].file);
        free(d->v[i].path);
        free(d->v[i].message);
    }
    free(d->v);
    size_t max = d->max;
    cbk_diags_init(d, max);
}

int cbk_diags_addf(struct cbk_diags *d, enum cbk_code code, enum cbk_severity sev, const char *file,
                   int line, int column, const char *path, const char *fmt, ...)
{
    if (sev == CBK_SEV_ERROR)
        d->errors++;
    if (d->max && d->nr >= d->max) {
        d->dropped++;
        return sev == CBK_SEV_ERROR ? -1 : 0;
    }
    CBK_GROW(d->v, d->nr + 1, d->alloc);
    struct cbk_diag *g = &d->v[d->nr++];
    g->code = code;
    g->severity = sev;
    g->file = cbk_xstrdup(file ? file : "");
    g->line = line;
    g->column = column;
    g->path = cbk_xstrdup(path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    g->message = cbk_xvasprintf(fmt, ap);
    va_end(ap);
    return sev == CBK_SEV_ERROR ? -1 : 0;
}

size_t cbk_diags_error_count(const struct cbk_diags *d)
{
    return d->errors;
}
