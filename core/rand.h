/*
 * rand.h - small deterministic random numbers (splitmix64 / xoshiro256**) and UUIDs.
 * Used wherever cbkit must be reproducible under a seed (generated ids, fault schedules,
 * latency); never for anything secret.
 */
#ifndef CBK_RAND_H
#define CBK_RAND_H

#include "core/setup.h"

struct cbk_rng {
    uint64_t s[4];
};

/* Mix a 64-bit value (splitmix64 finaliser): a good hash of integers. */
uint64_t cbk_mix64(uint64_t x);
/* Seed from one 64-bit value; the same seed gives the same sequence everywhere. */
void cbk_rng_seed(struct cbk_rng *r, uint64_t seed);
uint64_t cbk_rng_next(struct cbk_rng *r);
/* Uniform in [0, n) without modulo bias (n > 0). */
uint64_t cbk_rng_below(struct cbk_rng *r, uint64_t n);
/* Uniform double in [0, 1). */
double cbk_rng_double(struct cbk_rng *r);
/* A standard normal deviate (Box-Muller). */
double cbk_rng_normal(struct cbk_rng *r);
/* A seed from the operating system (getrandom), for runs without --seed. */
uint64_t cbk_random_seed(void);
/* Format a version-4 UUID from 128 random bits into out[37] ("xxxxxxxx-xxxx-4xxx-yxxx-..."). */
void cbk_uuid_format(char out[37], uint64_t hi, uint64_t lo);

#endif
