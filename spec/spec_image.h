/*
 * spec_image.h - a compiled spec as a relocatable image, made at build time and loaded at start
 * instead of compiling YAML (docs/internals.md, "Start-up").
 *
 * Compiling the bundled spec's 166 KB of YAML was the largest part of every cbkit start: a
 * tree of about 1 MB with positions, read by libfyaml, then the spec built from it. The build
 * compiles the YAML once (spec/tools/spec_image_gen.c) and writes the resulting struct cbk_spec
 * as an image: the structs (shapes, members, operations, paginators, pointer arrays) laid out
 * as in memory with each pointer replaced by an offset, a table of where those pointers are,
 * and the strings. Loading copies the structs once, turns the offsets back into pointers and
 * leaves the strings where they are (in the executable's read-only data, read only when
 * used); the hash tables and patterns are rebuilt, so the result is the same spec
 * cbk_spec_load_buffer() makes from the YAML (tests/unit/test_spec_image.c compares them
 * field by field).
 *
 * An image belongs to the build that made it: its header holds a signature of the struct
 * layout, and a mismatch is refused (the caller then compiles the YAML).
 */
#ifndef CBK_SPEC_IMAGE_H
#define CBK_SPEC_IMAGE_H

#include "core/setup.h"
#include "core/buf.h"
#include "cbkit/spec.h"

/*
 * Append the image of 'spec' to 'out' (bounded by its limit). Returns CBK_OK, or CBK_E_LIMIT
 * when 'out' is full. The spec is only read.
 */
enum cbk_code cbk__spec_image_write(const struct cbk_spec *spec, struct cbk_buf *out);

/*
 * Load the image img[0..len), which must stay unchanged and readable for as long as the spec
 * lives (its strings are used in place): the bundled image is static. The spec is named
 * 'file'. Returns CBK_OK and sets *out (free with cbk_spec_free()), or CBK_E_SPEC_PARSE when
 * 'img' is not an image of this build (wrong magic, version or layout; a size, offset or
 * pointer out of bounds) with *out NULL. Nothing is reported: the caller decides.
 */
enum cbk_code cbk__spec_image_load(const unsigned char *img, size_t len, const char *file,
                                   struct cbk_spec **out);

/* Whether this build has a bundled image (cbk_spec_load_bundled() uses it when it loads). */
bool cbk__spec_bundled_image(const unsigned char **img, size_t *len);

#endif
