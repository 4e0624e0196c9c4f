/*
 * gen_corpus.h - a deterministic generator of realistic CodeBuild documents for the
 * benchmarks: StartBuildBatch requests (60 B to 4 KB) and RetryBuild responses (2 to 6 KB).
 *
 * The same seed always gives the same corpus, byte for byte. Every document is meant to be
 * valid against spec/codebuild/2016-10-06.yaml; the benchmark checks that before it measures
 * anything.
 */
#ifndef CBK_BENCH_GEN_CORPUS_H
#define CBK_BENCH_GEN_CORPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Size bounds of the generated documents, in bytes (inclusive). */
#define GEN_REQ_MIN  60
#define GEN_REQ_MAX  4096
#define GEN_RESP_MIN 2048
#define GEN_RESP_MAX 6144

enum gen_kind { GEN_REQUEST, GEN_RESPONSE };

struct gen_doc {
    char *text; /* NUL-terminated JSON text, malloc'd */
    size_t len;
    bool spaced; /* serialized with ", " and ": " (botocore's json.dumps) */
};

struct gen_set {
    enum gen_kind kind;
    struct gen_doc *docs;
    size_t n;
    size_t bytes; /* sum of the lengths */
    size_t min_len, max_len;
    size_t spaced; /* how many are botocore-style */
};

/*
 * Fill 'set' with 'n' documents of kind 'kind' generated from 'seed'. Requests and responses
 * drawn from the same seed are independent streams. Never fails (out of memory aborts).
 */
void gen_set_make(struct gen_set *set, enum gen_kind kind, size_t n, uint64_t seed);
void gen_set_release(struct gen_set *set);

#endif
