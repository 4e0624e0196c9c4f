/*
 * gen.h - generate a JSON value valid for a shape from the spec alone: the mock's answer for
 * operations it has no model for (any spec), realistic where names suggest what a value is
 * (ids, ARNs, names, times) and deterministic under a seed.
 */
#ifndef CBK_GEN_H
#define CBK_GEN_H

#include "core/setup.h"
#include "core/jsonw.h"
#include "core/rand.h"
#include "cbkit/spec.h"

struct cbk_gen {
    struct cbk_rng *rng;
    int64_t now_ms;
    const char *region, *account;
};

/* Write a value for the structure 'shape' (an operation's output). */
void cbk_gen_shape(struct cbk_gen *g, const struct cbk_shape *shape, struct cbk_jsonw *w);

#endif
