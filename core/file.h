/*
 * file.h - read a whole input file (a spec, a scenario, a cassette) into memory within a size
 * limit. Too large is an error naming the limit, never a silent cut: a reader that stops at
 * the limit and parses what it has reads a different file than the one on disk.
 */
#ifndef CBK_FILE_H
#define CBK_FILE_H

#include "core/setup.h"
#include "cbkit/error.h"

/*
 * Read the file at 'path', at most 'max' bytes. 'what' names the kind of file in messages
 * ("scenario", "cassette"). On success returns CBK_OK and sets *out to a malloc'd copy with
 * a NUL after the last byte (caller frees) and *len to its size. A file larger than 'max' is
 * CBK_E_LIMIT ("the scenario is larger than the limit of 16 MiB (16777216 bytes)"); a
 * file that cannot be opened or read is CBK_E_IO; either way the reason is appended to
 * 'diags' (file set, no line), *out is NULL and *len 0.
 */
enum cbk_code cbk_file_read(const char *path, size_t max, const char *what, char **out, size_t *len,
                            struct cbk_diags *diags);

/*
 * Append the error for an input over its limit, the same for a file and a buffer (an admin
 * POST): "the WHAT is larger than the limit of 16 MiB (16777216 bytes)". Returns -1.
 */
int cbk_file_too_large(struct cbk_diags *diags, const char *file, const char *what, size_t max);

/* "16 MiB", "512 KiB" or "1000 bytes": a size as a person reads it, written to buf[n]; returns
 * buf. */
const char *cbk_file_size_text(size_t bytes, char *buf, size_t n);

#endif
