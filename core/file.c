/*
 * file.c - whole-file reads within a size limit (see file.h).
 */
#include "core/setup.h"
#include "core/file.h"
#include "core/buf.h"

const char *cbk_file_size_text(size_t bytes, char *buf, size_t n)
{
    if (bytes >= ((size_t)1 << 30) && bytes % ((size_t)1 << 30) == 0)
        snprintf(buf, n, "%zu GiB", bytes >> 30);
    else if (bytes >= ((size_t)1 << 20) && bytes % ((size_t)1 << 20) == 0)
        snprintf(buf, n, "%zu MiB", bytes >> 20);
    else if (bytes >= ((size_t)1 << 10) && bytes % ((size_t)1 << 10) == 0)
        snprintf(buf, n, "%zu KiB", bytes >> 10);
    else
        snprintf(buf, n, "%zu bytes", bytes);
    return buf;
}

int cbk_file_too_large(struct cbk_diags *diags, const char *file, const char *what, size_t max)
{
    char size[32];
    return cbk_diags_addf(diags, CBK_E_LIMIT, CBK_SEV_ERROR, file, 0, 0, NULL,
                          "the %s is larger than the limit of %s (%zu bytes)", what,
                          cbk_file_size_text(max, size, sizeof size), max);
}

enum cbk_code cbk_file_read(const char *path, size_t max, const char *what, char **out, size_t *len,
                            struct cbk_diags *diags)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, path, 0, 0, NULL, "cannot open '%s': %s",
                       path, strerror(errno));
        return CBK_E_IO;
    }
    /* one byte more than the limit is read, so that "exactly at the limit" and "over it" are
     * told apart without trusting a size that may change (or not exist: a pipe) */
    struct cbk_buf b = CBK_BUF_INIT(max == SIZE_MAX ? max : max + 1);
    char tmp[1 << 16];
    bool too_big = false;
    for (;;) {
        size_t n = fread(tmp, 1, sizeof tmp, f);
        if (n == 0)
            break;
        if (cbk_buf_add(&b, tmp, n) != CBK_OK || b.len > max) {
            too_big = true;
            break;
        }
    }
    bool bad = !too_big && ferror(f);
    int err = errno;
    fclose(f);
    if (too_big) {
        cbk_file_too_large(diags, path, what, max);
        cbk_buf_release(&b);
        return CBK_E_LIMIT;
    }
    if (bad) {
        cbk_diags_addf(diags, CBK_E_IO, CBK_SEV_ERROR, path, 0, 0, NULL, "cannot read '%s': %s",
                       path, strerror(err));
        cbk_buf_release(&b);
        return CBK_E_IO;
    }
    *out = cbk_buf_detach(&b, len);
    return CBK_OK;
}
