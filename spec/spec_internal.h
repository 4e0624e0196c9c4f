/*
 * spec_internal.h - the layout of a compiled spec, shared by the spec module's files.
 * Nothing outside spec/ includes this; other modules use cbkit/spec.h.
 */
#ifndef CBK_SPEC_INTERNAL_H
#define CBK_SPEC_INTERNAL_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/regex.h"
#include "core/strtab.h"
#include "cbkit/spec.h"

struct cbk_spec {
    struct cbk_arena arena; /* every string and array of the spec */
    char *file;
    struct cbk_metadata meta;
    struct cbk_shape *shapes;
    size_t nshapes;
    struct cbk_strtab shape_index;
    struct cbk_operation *ops;
    size_t nops;
    struct cbk_strtab op_index;
    struct cbk_source *sources;
    size_t nsources;
    struct cbk_shape empty_output; /* output of operations that declare none */
    /* resources to release besides the arena */
    struct cbk_strtab **tabs;
    size_t ntabs, tabs_alloc;
    struct cbk_regex **codes;
    size_t ncodes, codes_alloc;
};

/* How member patterns are compiled (core/regex.h): UTF-8, Unicode classes, '$' only at the end
 * of the value (not also before a final '\n'). */
#define CBK_SPEC_RE_FLAGS (CBK_RE_UTF | CBK_RE_UCP | CBK_RE_DOLLAR_ENDONLY)

/* A new, empty spec named 'file' (copied), with its arena and the empty output shape of
 * operations that declare none. Free with cbk_spec_free(). */
struct cbk_spec *cbk__spec_new(const char *file);
/* A new empty table owned by 'spec' (freed by cbk_spec_free()). */
struct cbk_strtab *cbk__spec_new_tab(struct cbk_spec *spec);
/* Give 're' to 'spec' (freed by cbk_spec_free()). */
void cbk__spec_add_code(struct cbk_spec *spec, struct cbk_regex *re);

#endif
