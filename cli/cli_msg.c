/*
 * cli_msg.c - every message the cbkit command prints to stderr goes through here, plus the
 * small input helpers the subcommands share.
 */
#include "core/setup.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"

int cli_quiet;

static void vmsg(const char *prefix, const char *fmt, va_list ap) CBK_PRINTF(2, 0);

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
    fprintf(stderr, "cbkit: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    if (cli_quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", fmt, ap);
    va_end(ap);
}

char *cli_printable(const char *s)
{
    struct cbk_buf b = CBK_BUF_INIT(SIZE_MAX - 1);
    cbk_buf_add_printable(&b, s ? s : "", s ? strlen(s) : 0);
    return cbk_buf_detach(&b, NULL);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "see 'cbkit %s -h'\n", cmd);
    else
        fprintf(stderr, "see 'cbkit help'\n");
    return CLI_USAGE;
}

/* Find line 'line' (1-based) in text; returns its start and sets *len. */
static const char *find_line(const char *text, size_t text_len, int line, size_t *len)
{
    const char *p = text, *end = text + text_len;
    for (int l = 1; l < line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        p = nl + 1;
    }
    if (p >= end && line > 1)
        return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (*len && p[*len - 1] == '\r')
        (*len)--;
    return p;
}

void cli_print_diags(const struct cbk_diags *d, const char *text, size_t text_len,
                     const char *text_name)
{
    char *own = NULL;
    size_t own_len = 0;
    const char *own_name = NULL;
    for (size_t i = 0; i < d->nr; i++) {
        const struct cbk_diag *g = &d->v[i];
        if (g->severity == CBK_SEV_WARNING && cli_quiet)
            continue;
        const char *sev = g->severity == CBK_SEV_ERROR ? "error" : "warning";
        if (g->line > 0)
            fprintf(stderr, "%s:%d:%d: %s: ", g->file, g->line, g->column, sev);
        else if (g->file[0] && g->code != CBK_E_IO) /* "cannot open 'x'" names the file */
            fprintf(stderr, "%s: %s: ", g->file, sev);
        else
            fprintf(stderr, "cbkit: %s: ", sev);
        if (g->path[0])
            fprintf(stderr, "%s: ", g->path);
        fprintf(stderr, "%s\n", g->message);
        if (g->line <= 0)
            continue;
        /* the source line with a caret under the column */
        const char *src = NULL;
        size_t src_len = 0;
        if (text && text_name && strcmp(g->file, text_name) == 0) {
            src = text;
            src_len = text_len;
        } else {
            if (!own_name || strcmp(own_name, g->file) != 0) {
                free(own);
                own = NULL;
                char *err = NULL;
                if (cli_read_file(g->file, (size_t)64 << 20, &own, &own_len, &err) != 0) {
                    free(err);
                    own = NULL;
                }
                own_name = g->file;
            }
            src = own;
            src_len = own_len;
        }
        size_t ll;
        const char *l = src ? find_line(src, src_len, g->line, &ll) : NULL;
        if (!l)
            continue;
        if (ll > 160)
            ll = 160;
        fprintf(stderr, "  %.*s\n  ", (int)ll, l);
        int col = 1;
        for (size_t k = 0; k < ll && col < g->column; k++) {
            if (((unsigned char)l[k] & 0xC0) == 0x80)
                continue;
            fputc(l[k] == '\t' ? '\t' : ' ', stderr);
            col++;
        }
        fputs("^\n", stderr);
    }
    if (d->dropped)
        fprintf(stderr, "cbkit: note: %zu more problems not shown\n", d->dropped);
    free(own);
}

int cli_load_spec(const char *path, struct cbk_spec **out, bool quiet_warnings)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    cbk_diags_init(&d, 200);
    enum cbk_code rc = path ? cbk_spec_load_file(path, out, &d) : cbk_spec_load_bundled(out, &d);
    if (rc != CBK_OK || !quiet_warnings) {
        size_t len = 0;
        const char *text = path ? NULL : cbk_spec_bundled_text(&len);
        cli_print_diags(&d, text, len, path ? NULL : cbk_spec_bundled_name());
    }
    cbk_diags_release(&d);
    if (rc == CBK_OK)
        return CLI_OK;
    return rc == CBK_E_IO ? CLI_IO : CLI_SPEC;
}

int cli_load_specs(const struct cli_strlist *paths, struct cbk_spec ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t count = paths->n ? paths->n : 1;
    struct cbk_spec **specs = cbk_xcalloc(count, sizeof(*specs));
    for (size_t i = 0; i < count; i++) {
        const char *path = paths->n ? paths->v[i] : NULL;
        if (path && strcmp(path, "bundled") == 0)
            path = NULL;
        int rc = cli_load_spec(path, &specs[i], true);
        if (rc != CLI_OK) {
            cli_free_specs(specs, count);
            return rc;
        }
    }
    *out = specs;
    *n = count;
    return CLI_OK;
}

void cli_free_specs(struct cbk_spec **specs, size_t n)
{
    for (size_t i = 0; specs && i < n; i++)
        cbk_spec_free(specs[i]);
    free(specs);
}

int cli_read_file(const char *path, size_t max, char **buf, size_t *len, char **err)
{
    *buf = NULL;
    *len = 0;
    *err = NULL;
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        *err = cbk_xasprintf("cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct cbk_buf b = CBK_BUF_INIT(max + 1);
    char tmp[65536];
    for (;;) {
        size_t want = sizeof(tmp);
        if (b.len + want > max + 1)
            want = max + 1 - b.len;
        if (want == 0)
            break;
        size_t n = fread(tmp, 1, want, f);
        if (n == 0)
            break;
        cbk_buf_add(&b, tmp, n);
    }
    if (ferror(f)) {
        *err = cbk_xasprintf("cannot read '%s': %s", is_stdin ? "<stdin>" : path, strerror(errno));
        if (!is_stdin)
            fclose(f);
        cbk_buf_release(&b);
        return -1;
    }
    if (!is_stdin)
        fclose(f);
    *buf = cbk_buf_detach(&b, len);
    return 0;
}

int cli_parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    unsigned long long mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1024ULL;
    else if (*end == 'M')
        mul = 1024ULL * 1024;
    else if (*end == 'G')
        mul = 1024ULL * 1024 * 1024;
    else if (*end)
        return -1;
    if (mul != 1 && end[1])
        return -1;
    if (v > SIZE_MAX / mul)
        return -1;
    *out = (size_t)(v * mul);
    return 0;
}

int cli_parse_duration_ms(const char *s, int64_t max_ms, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0))
        return -1;
    double mul = 1000;
    if (strcmp(end, "ms") == 0)
        mul = 1;
    else if (strcmp(end, "s") == 0 || !*end)
        mul = 1000;
    else if (strcmp(end, "m") == 0)
        mul = 60000;
    else if (strcmp(end, "h") == 0)
        mul = 3600000;
    else
        return -1;
    double ms = v * mul;
    if (ms < 1 || ms > (double)max_ms)
        return -1;
    *out = (int64_t)(ms + 0.5);
    return 0;
}

int cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    if (!s || !*s)
        return -1;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cli_flush_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cbkit: error: write failure on standard output: %s\n", strerror(errno));
        return CLI_IO;
    }
    return CLI_OK;
}

void cli_strlist_push(struct cli_strlist *l, const char *s)
{
    CBK_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n++] = s;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

bool cli_aws_env(const char *region_opt, struct cli_aws_env *out)
{
    out->access_key = env_nonempty("AWS_ACCESS_KEY_ID");
    out->secret_key = env_nonempty("AWS_SECRET_ACCESS_KEY");
    out->session_token = env_nonempty("AWS_SESSION_TOKEN");
    out->region = region_opt && *region_opt ? region_opt : env_nonempty("AWS_REGION");
    if (!out->region)
        out->region = env_nonempty("AWS_DEFAULT_REGION");
    return out->access_key && out->secret_key;
}

int cli_write_file(const char *path, enum cbk_code (*fn)(void *ctx, FILE *f), void *ctx)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("cannot write '%s': %s", path, strerror(errno));
        return CLI_IO;
    }
    enum cbk_code rc = fn(ctx, f);
    int err = errno;
    if (fclose(f) != 0 && rc == CBK_OK) {
        rc = CBK_E_IO;
        err = errno;
    }
    if (rc != CBK_OK) {
        cli_error("cannot write '%s': %s", path, strerror(err));
        return CLI_IO;
    }
    return CLI_OK;
}
