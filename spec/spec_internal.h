/*
 * spec_internal.h - the layout of a compiled spec, shared by the spec module's files.
 * Nothing outside spec/ includes this; other modules use cbkit/spec.h.
 */
#ifndef CBK_SPEC_INTERNAL_H
#define CBK_SPEC_INTERNAL_H

#include "core/setup.h"
#include "core/arena.h"
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

#endif
