/*
 * cassette_write.c - write cassettes append-only: every exchange is one YAML document,
 * written whole and made durable (fdatasync) before the caller answers its client, so a
 * crash loses at most the exchange being written, and a cassette is never rewritten.
 *
 * A write that fails (a full disk: a short write, then ENOSPC) is rolled back: the file is
 * truncated to the end of the last complete document and synced, so the next exchange starts
 * on a clean line and the cassette keeps loading. If even that fails, the writer stops:
 * nothing is ever written after a partial document (the next `record --append` marks it
 * ignored).
 */
#include "core/setup.h"
#include "cassette/cassette_internal.h"
#include "cbkit/cbkit.h"
#include "core/alloc.h"
#include "core/jsonscan.h"
#include "core/timefmt.h"

#include <fcntl.h>
#include <sys/stat.h>

struct cbk_cassette_writer {
    pthread_mutex_t mu;
    int fd; /* opened O_APPEND: after a truncation the next write lands at the new end */
    char *path;
    size_t count; /* exchange documents in the file, ignored ones included: the last number */
    size_t lines; /* newlines in the file: the next document starts on line lines + 1 */
    off_t end;    /* bytes in the file up to the end of the last complete document */
    /* a failed write could not be rolled back: what happened (the writer writes no more) */
    char *broken;
    struct cbk__writer_io io;
};

/* ---- the system calls, through the test seam -------------------------------------------- */

static ssize_t sys_write(void *ctx, int fd, const void *p, size_t n)
{
    (void)ctx;
    return write(fd, p, n);
}

static int sys_fdatasync(void *ctx, int fd)
{
    (void)ctx;
    return fdatasync(fd);
}

static int sys_ftruncate(void *ctx, int fd, off_t len)
{
    (void)ctx;
    return ftruncate(fd, len);
}

static const struct cbk__writer_io system_io = {sys_write, sys_fdatasync, sys_ftruncate, NULL};

void cbk__cassette_writer_set_io(struct cbk_cassette_writer *w, const struct cbk__writer_io *io)
{
    pthread_mutex_lock(&w->mu);
    w->io = io ? *io : system_io;
    if (!w->io.write)
        w->io.write = sys_write;
    if (!w->io.fdatasync)
        w->io.fdatasync = sys_fdatasync;
    if (!w->io.ftruncate)
        w->io.ftruncate = sys_ftruncate;
    pthread_mutex_unlock(&w->mu);
}

/* Newlines in s[0..n). */
static size_t count_lines(const char *s, size_t n)
{
    size_t k = 0;
    for (const char *p = s, *e = s + n; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        k++;
    return k;
}

/* Newlines in the file at 'path' (0 when it cannot be read: line numbers are only shown). */
static size_t file_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    char chunk[65536];
    size_t n, k = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        k += count_lines(chunk, n);
    fclose(f);
    return k;
}

/* JSON string escapes of s[0..n) without the quotes. */
static void qstr_part(struct cbk_buf *b, const char *s, size_t n)
{
    size_t at = b->len;
    cbk_buf_add_json_str(b, s, n);
    if (b->len >= at + 2) {
        memmove(b->ptr + at, b->ptr + at + 1, b->len - at - 2);
        cbk_buf_truncate(b, b->len - 2);
    }
}

/*
 * A YAML double-quoted scalar: JSON string escapes are a subset of YAML's. YAML text is
 * UTF-8 without DEL, so DEL is escaped too, and so is each byte that is not UTF-8 (a header
 * value can hold any byte; it reads back as the character U+00XX, but the cassette loads).
 */
static void qstr(struct cbk_buf *b, const char *s, size_t n)
{
    if (cbk_utf8_valid(s, n) && !memchr(s, 0x7f, n)) {
        cbk_buf_add_json_str(b, s, n);
        return;
    }
    cbk_buf_addc(b, '"');
    size_t i = 0, start = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t l = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (c != 0x7f && l <= n - i && cbk_utf8_valid(s + i, l)) {
            i += l;
            continue;
        }
        qstr_part(b, s + start, i - start);
        cbk_buf_addf(b, "\\x%02X", c);
        start = ++i;
    }
    qstr_part(b, s + start, n - start);
    cbk_buf_addc(b, '"');
}

static void qstrz(struct cbk_buf *b, const char *s)
{
    qstr(b, s ? s : "", s ? strlen(s) : 0);
}

/* Can 'body' be written as a YAML literal block and read back byte for byte? */
static bool literal_safe(const char *s, size_t n)
{
    if (n == 0 || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
        return false;
    if (n >= 2 && s[n - 1] == '\n' && s[n - 2] == '\n')
        return false;
    if (!cbk_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\n' && c != '\t')
            return false;
        if (c == 0x7f)
            return false;
        if (c == '\n' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
            return false; /* trailing blanks */
        if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0x85)
            return false; /* NEL */
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
            return false; /* LS, PS */
        if (c == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBB &&
            (unsigned char)s[i + 2] == 0xBF)
            return false; /* BOM */
    }
    if (s[n - 1] == ' ' || s[n - 1] == '\t')
        return false;
    return true;
}

static void base64(struct cbk_buf *b, const unsigned char *s, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char o[4] = {a[(v >> 18) & 63], a[(v >> 12) & 63], i + 1 < n ? a[(v >> 6) & 63] : '=',
                     i + 2 < n ? a[v & 63] : '='};
        cbk_buf_add(b, o, 4);
    }
}

/* "  body: ..." at 'indent' spaces, in the most readable form that keeps the bytes. */
static void body(struct cbk_buf *b, int indent, const char *s, size_t n)
{
    if (literal_safe(s, n)) {
        bool nl = s[n - 1] == '\n';
        cbk_buf_addf(b, "%*sbody: |%s\n", indent, "", nl ? "" : "-");
        size_t i = 0;
        while (i < n) {
            const char *e = memchr(s + i, '\n', n - i);
            size_t ll = e ? (size_t)(e - (s + i)) : n - i;
            if (ll)
                cbk_buf_addf(b, "%*s", indent + 2, "");
            cbk_buf_add(b, s + i, ll);
            cbk_buf_addc(b, '\n');
            i += ll + 1;
        }
        return;
    }
    if (cbk_utf8_valid(s, n) && !memchr(s, '\0', n)) {
        cbk_buf_addf(b, "%*sbody: ", indent, "");
        qstr(b, s, n);
        cbk_buf_addc(b, '\n');
        return;
    }
    cbk_buf_addf(b, "%*sbodyBase64: \"", indent, "");
    base64(b, (const unsigned char *)s, n);
    cbk_buf_adds(b, "\"\n");
}

static void headers(struct cbk_buf *b, int indent, const struct cbk_http_header *h, size_t n)
{
    if (!n)
        return;
    cbk_buf_addf(b, "%*sheaders:\n", indent, "");
    for (size_t i = 0; i < n; i++) {
        cbk_buf_addf(b, "%*s", indent + 2, "");
        qstrz(b, h[i].name);
        cbk_buf_adds(b, ": ");
        qstrz(b, h[i].value);
        cbk_buf_addc(b, '\n');
    }
}

static void findings(struct cbk_buf *b, const char *which, bool checked, bool valid,
                     const struct cbk_cassette_finding *f, size_t n)
{
    if (!checked)
        return;
    if (valid && !n) {
        cbk_buf_addf(b, "  %s: valid\n", which);
        return;
    }
    cbk_buf_addf(b, "  %s:\n    valid: %s\n    findings:\n", which, valid ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        cbk_buf_adds(b, "      - {path: ");
        qstrz(b, f[i].path);
        cbk_buf_adds(b, ", rule: ");
        qstrz(b, f[i].rule);
        cbk_buf_adds(b, ", message: ");
        qstrz(b, f[i].message);
        if (f[i].warning)
            cbk_buf_adds(b, ", warning: true");
        cbk_buf_adds(b, "}\n");
    }
}

void cbk_cassette_format_exchange(const struct cbk_exchange *x, struct cbk_buf *b)
{
    char ts[32];
    cbk_iso8601_ms(x->recorded_ms, ts);
    cbk_buf_addf(b, "---\nexchange: %zu\noperation: ", x->index);
    qstrz(b, x->operation);
    cbk_buf_addf(b, "\nrecorded: \"%s\"\nlatencyMs: %" PRId64 "\nrequest:\n", ts, x->latency_ms);
    headers(b, 2, x->req_headers, x->nreq_headers);
    body(b, 2, x->req_body ? x->req_body : "", x->req_body_len);
    cbk_buf_addf(b, "response:\n  status: %d\n", x->status);
    headers(b, 2, x->resp_headers, x->nresp_headers);
    body(b, 2, x->resp_body ? x->resp_body : "", x->resp_body_len);
    if (x->req_checked || x->resp_checked) {
        cbk_buf_adds(b, "validation:\n");
        findings(b, "request", x->req_checked, x->req_valid, x->req_findings, x->nreq_findings);
        findings(b, "response", x->resp_checked, x->resp_valid, x->resp_findings,
                 x->nresp_findings);
    }
    cbk_buf_adds(b, "...\n");
}

/* Write p[0..n) in full (a short write is continued; a write of 0 bytes is an error, ENOSPC);
 * then make it durable. 0, or -1 with errno set. */
static int write_durably(const struct cbk__writer_io *io, int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = io->write(io->ctx, fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = ENOSPC;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return io->fdatasync(io->ctx, fd);
}

/*
 * Cut the file back to 'end' bytes and sync: what a failed write left behind is gone. 0, or
 * -1 with errno set (the partial text is still there).
 */
static int roll_back(const struct cbk__writer_io *io, int fd, off_t end)
{
    int rc;
    do
        rc = io->ftruncate(io->ctx, fd, end);
    while (rc != 0 && errno == EINTR);
    if (rc != 0)
        return -1;
    return io->fdatasync(io->ctx, fd);
}

static void header(struct cbk_buf *b, const struct cbk_spec *spec, const char *upstream)
{
    char ts[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    cbk_iso8601_ms((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, ts);
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    cbk_buf_adds(b, "# cbkit cassette: recorded AWS JSON exchanges, one YAML document each, "
                    "appended as they happen (docs/cassettes.md)\n---\ncbkit-cassette: 1\ncbkit: ");
    qstrz(b, cbk_version());
    cbk_buf_adds(b, "\nspec: ");
    char spec_id[256];
    snprintf(spec_id, sizeof spec_id, "%s %s", md->target_prefix, md->api_version);
    qstrz(b, spec_id);
    cbk_buf_addf(b, "\ncreated: \"%s\"\nupstream: ", ts);
    qstrz(b, upstream ? upstream : "");
    cbk_buf_adds(b, "\n...\n");
}

enum cbk_code cbk_cassette_writer_open(const char *path, enum cbk_cassette_mode mode,
                                       const struct cbk_spec *spec, const char *upstream,
                                       struct cbk_cassette_writer **out, struct cbk_diags *diags)
{
    *out = NULL;
    /* O_APPEND in every mode: a rolled-back write leaves the offset past the new end */
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_APPEND;
    if (mode == CBK_CASSETTE_CREATE)
        flags |= O_EXCL;
    else if (mode == CBK_CASSETTE_OVERWRITE)
        flags |= O_TRUNC;
    struct stat before;
    bool existed = stat(path, &before) == 0;
    size_t existing = 0, lines = 0;
    bool cut_tail = false, need_nl = false, empty = true;
    if (mode == CBK_CASSETTE_APPEND) {
        struct stat st;
        if (stat(path, &st) == 0 && st.st_size > 0) {
            empty = false;
            struct cbk_cassette *c = NULL;
            struct cbk_diags d = CBK_DIAGS_INIT;
            enum cbk_code rc = cbk_cassette_load_file(spec, path, &c, &d);
            if (rc != CBK_OK) {
                for (size_t i = 0; i < d.nr; i++)
                    cbk_diags_addf(diags, d.v[i].code, d.v[i].severity, d.v[i].file, d.v[i].line,
                                   d.v[i].column, d.v[i].path, "%s", d.v[i].message);
                cbk_diags_addf(diags, CBK_E_CASSETTE, CBK_SEV_ERROR, path, 0, 0, NULL,
                               "cannot append to '%s': it is not a cassette that loads", path);
                cbk_diags_release(&d);
                return rc == CBK_E_IO ? CBK_E_IO : CBK_E_CASSETTE;
            }
            for (size_t i = 0; i < d.nr; i++) {
                if (strstr(d.v[i].message, "cut short, probably by a crash"))
                    cut_tail = true;
                /* the caller tells the user (a cut tail about to be marked, for one) */
                cbk_diags_addf(diags, d.v[i].code, d.v[i].severity, d.v[i].file, d.v[i].line,
                               d.v[i].column, d.v[i].path, "%s", d.v[i].message);
            }
            existing = c->documents; /* ignored exchanges keep their numbers */
            cbk_cassette_free(c);
            cbk_diags_release(&d);
            lines = file_lines(path);
            /* does the file end with a newline? */
            FILE *f = fopen(path, "rb");
            if (f) {
                if (fseek(f, -1, SEEK_END) == 0 && fgetc(f) != '\n')
                    need_nl = true;
                fclose(f);
            }
        }
    }
    int fd = open(path, flags, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, path, 0, 0, NULL,
                           "cassette '%s' already exists (append to it or overwrite it, "
                           "explicitly)",
                           path);
        else
            cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, path, 0, 0, NULL,
                           "cannot open '%s' for writing: %s", path, strerror(errno));
        return CBK_E_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, path, 0, 0, NULL, "cannot write '%s': %s",
                       path, strerror(errno));
        close(fd);
        return CBK_E_IO;
    }
    off_t start = st.st_size; /* where a failed first write is rolled back to */
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 20);
    if (need_nl)
        cbk_buf_addc(&b, '\n');
    if (cut_tail)
        cbk_buf_adds(&b, CBK_CASSETTE_INCOMPLETE_MARK "\n");
    if (mode != CBK_CASSETTE_APPEND || empty)
        header(&b, spec, upstream);
    if (b.len && write_durably(&system_io, fd, b.ptr, b.len) != 0) {
        int err = errno;
        /* leave the file as it was: a half-written header or mark would make it unloadable,
         * and a file this call created would make the next CREATE refuse it */
        if (!existed || mode == CBK_CASSETTE_CREATE)
            unlink(path);
        else
            (void)roll_back(&system_io, fd, start);
        cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, path, 0, 0, NULL, "cannot write '%s': %s",
                       path, strerror(err));
        cbk_buf_release(&b);
        close(fd);
        errno = err;
        return CBK_E_IO;
    }
    struct cbk_cassette_writer *w = cbk_xcalloc(1, sizeof(*w));
    pthread_mutex_init(&w->mu, NULL);
    w->fd = fd;
    w->path = cbk_xstrdup(path);
    w->count = existing;
    w->lines = lines + count_lines(b.ptr ? b.ptr : "", b.len);
    w->end = start + (off_t)b.len;
    w->io = system_io;
    cbk_buf_release(&b);
    *out = w;
    return CBK_OK;
}

enum cbk_code cbk_cassette_append(struct cbk_cassette_writer *w, struct cbk_exchange *x,
                                  struct cbk_diags *diags)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)1 << 31);
    pthread_mutex_lock(&w->mu);
    if (w->broken) {
        x->index = 0;
        x->line = 0;
        if (diags)
            cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, w->path, 0, 0, NULL,
                           "the exchange was not recorded: %s", w->broken);
        pthread_mutex_unlock(&w->mu);
        errno = EIO;
        return CBK_E_IO;
    }
    x->index = w->count + 1;
    x->line = (int)CBK_MIN(w->lines + 1, (size_t)INT_MAX); /* the document starts with "---" */
    cbk_cassette_format_exchange(x, &b);
    enum cbk_code rc = CBK_OK;
    if (write_durably(&w->io, w->fd, b.ptr, b.len) != 0) {
        int err = errno;
        rc = CBK_E_IO;
        /* the exchange never had a place in the file: no number, and the next one recorded
         * takes the place (and so the number) this one would have had */
        x->index = 0;
        x->line = 0;
        if (roll_back(&w->io, w->fd, w->end) == 0) {
            if (diags)
                cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, w->path, 0, 0, NULL,
                               "cannot write the cassette '%s': %s (the exchange was not "
                               "recorded; the cassette is as it was before)",
                               w->path, strerror(err));
        } else {
            int terr = errno;
            w->broken = cbk_xasprintf(
                "the cassette '%s' ends with a partial exchange that could not be removed "
                "(writing: %s; removing it: %s), so nothing more is written to it (`cbkit "
                "record --append` marks that exchange ignored and records after it)",
                w->path, strerror(err), strerror(terr));
            if (diags)
                cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, w->path, 0, 0, NULL,
                               "cannot write the cassette '%s': %s; %s", w->path, strerror(err),
                               w->broken);
        }
        errno = err;
    } else {
        w->count++;
        w->lines += count_lines(b.ptr, b.len);
        w->end += (off_t)b.len;
    }
    pthread_mutex_unlock(&w->mu);
    cbk_buf_release(&b);
    return rc;
}

size_t cbk_cassette_writer_count(struct cbk_cassette_writer *w)
{
    pthread_mutex_lock(&w->mu);
    size_t n = w->count;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void cbk_cassette_writer_close(struct cbk_cassette_writer *w)
{
    if (!w)
        return;
    close(w->fd);
    pthread_mutex_destroy(&w->mu);
    free(w->path);
    free(w->broken);
    free(w);
}
