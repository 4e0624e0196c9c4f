/*
 * spec_import_internal.h - the pieces of `cbkit spec import` shared by the spec module's
 * files: a spec under construction is a json-c tree in the spec format's own terms (the
 * top-level keys, operations, shapes, members...), which the importer fills from the model
 * (spec_import.c), overlays change (spec_overlay.c) and the emitter writes as YAML
 * (spec_emit.c). Nothing outside spec/ includes this.
 */
#ifndef CBK_SPEC_IMPORT_INTERNAL_H
#define CBK_SPEC_IMPORT_INTERNAL_H

#include "core/setup.h"
#include "core/buf.h"
#include "core/yaml.h"
#include "cbkit/spec_tools.h"

struct json_object;

/*
 * Write 'spec' (a tree as described above) as YAML into 'out': 'header' (comment lines
 * without '#', may be NULL) first, then the sections in the order of docs/spec-format.md,
 * keys in a fixed order, every string quoted where YAML would read it as something else.
 * Returns CBK_OK or CBK_E_LIMIT when 'out' reaches its maximum.
 */
enum cbk_code cbk__spec_emit(struct cbk_buf *out, struct json_object *spec, const char *header);

/* Append s[0..len) as a YAML scalar: plain when that reads back as the same string, else
 * double-quoted with escapes. */
void cbk__yaml_scalar(struct cbk_buf *out, const char *s, size_t len);

/*
 * Merge the overlay 'root' (a YAML document in the spec format, possibly partial) over
 * 'spec': keys it states replace the spec's, a null value deletes, operations, shapes,
 * members and paginators it adds are appended. Problems are reported through 'ck' (errors:
 * unknown keys, wrong kinds; warnings: an enum that drops values of the model). Returns 0 or
 * -1 when an error was reported ('spec' may then be partly merged).
 */
int cbk__spec_overlay(struct json_object *spec, const struct cbk_ynode *root,
                      const struct cbk_ycheck *ck);

/*
 * The plain text of the model documentation html[0..len) into 'out' (reset first): tags
 * removed, entities decoded, white space collapsed; paragraphs and list items separated by
 * "\n\n" and "\n- " for CBK_DOCS_FULL; only the first sentence for CBK_DOCS_SUMMARY.
 */
void cbk__html_to_text(const char *html, size_t len, enum cbk_docs mode, struct cbk_buf *out);

#endif
