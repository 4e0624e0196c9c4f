/*
 * gen.h - the answer to a valid request, generated from the spec alone: the mock's answer for
 * operations no behaviour answers (any spec). Realistic where the spec's member names say what
 * a value is, for any service:
 *  - values the request carries are echoed where the answer has a member of the same name
 *    (and shape); a BatchGet-like request's list of names, ids or ARNs gives one item each;
 *  - ARNs (members `arn`, `*Arn`) are arn:aws:SERVICE:REGION:ACCOUNT:TYPE/ID, SERVICE being
 *    the spec's signing name or endpoint prefix and TYPE the resource (its shape's name);
 *  - ids are UUIDs (`project:uuid` when the structure also names its owner), names
 *    `type-xxxxxxxx`, timestamps the mock clock, all deterministic under the seed;
 *  - operations with a paginator answer a listing of a finite, seeded number of items page by
 *    page: a page holds at most the paginator's page size or the request's limit, the output
 *    token is present until the last page, and an input token no answer gave is refused.
 * Every value is valid (strictly) against the output shape.
 */
#ifndef CBK_GEN_H
#define CBK_GEN_H

#include "core/setup.h"
#include "core/jsonw.h"
#include "core/rand.h"
#include "cbkit/spec.h"

struct json_object;

struct cbk_gen {
    struct cbk_rng *rng; /* the request's generator (ids, enum picks); advanced */
    int64_t now_ms;      /* the mock clock */
    const char *region, *account;
    const char *service;            /* the service in ARNs: cbk_gen_arn_service() */
    uint64_t seed;                  /* the run's seed: listings are a function of it */
    struct json_object *req;        /* the (valid) request, or NULL; borrowed */
    const struct cbk_operation *op; /* set by cbk_gen_answer() */
};

/* Why a request got no answer: an AWS error type (static) and its message. */
struct cbk_gen_error {
    const char *type;
    char message[256];
};

/*
 * Write into 'w' the answer of 'op' to the request g->req. Returns true on success. Returns
 * false, with *err set and nothing meaningful in 'w', when the request cannot be answered: its
 * input token is not one an answer gave (InvalidInputException, "Invalid nextToken provided").
 */
bool cbk_gen_answer(struct cbk_gen *g, const struct cbk_operation *op, struct cbk_jsonw *w,
                    struct cbk_gen_error *err);

/* The service named in generated ARNs: the spec's signing name, else its endpoint prefix, else
 * "service". Borrowed from 'md' or static. */
const char *cbk_gen_arn_service(const struct cbk_metadata *md);

#endif
