/*
 * bench_cassette.c - the cost of finding a recorded answer, for cassettes of 10, 1,000 and
 * 100,000 exchanges (DESIGN.md §8: flat). Each cassette is generated as text, loaded with
 * cbk_cassette_load_buffer, then looked up with requests that are in it (rounds alternate the
 * sizes). Prints ns per lookup for each size and the ratio to the 10-exchange cassette.
 * Usage: bench_cassette [LOOKUPS_PER_ROUND] [ROUNDS]
 */
#include "core/setup.h"
#include "cbkit/cassette.h"
#include "core/buf.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* A cassette of n StopBuild exchanges with distinct ids (and a token, which matching ignores). */
static void make(struct cbk_buf *b, size_t n)
{
    cbk_buf_adds(b, "---\ncbkit-cassette: 1\n...\n");
    for (size_t i = 0; i < n; i++)
        cbk_buf_addf(b,
                     "---\nexchange: %zu\noperation: RetryBuild\nrequest:\n  body: |-\n"
                     "    {\"id\": \"proj:%08zx-0000-4000-8000-000000000000\", "
                     "\"idempotencyToken\": \"t-%zu\"}\nresponse:\n  status: 200\n  body: |-\n"
                     "    {\"build\":{\"id\":\"proj:%08zx-1111-4000-8000-000000000000\","
                     "\"buildNumber\":%zu}}\n...\n",
                     i + 1, i, i, i, i + 1);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    size_t lookups = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 20000;
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 7;
    if (!lookups || rounds < 1)
        return 2;
    struct cbk_spec *spec = NULL;
    struct cbk_diags d = CBK_DIAGS_INIT;
    if (cbk_spec_load_bundled(&spec, &d) != CBK_OK)
        return 1;
    const struct cbk_operation *op = cbk_spec_op(spec, "RetryBuild");
    static const size_t sizes[] = {10, 1000, 100000};
    struct cbk_cassette *c[3];
    for (int k = 0; k < 3; k++) {
        struct cbk_buf text = CBK_BUF_INIT((size_t)1 << 30);
        make(&text, sizes[k]);
        double t0 = now_ns();
        if (cbk_cassette_load_buffer(spec, text.ptr, text.len, "bench", &c[k], &d) != CBK_OK) {
            fprintf(stderr, "bench_cassette: cannot load the generated cassette\n");
            return 1;
        }
        double t1 = now_ns();
        printf("cassette of %6zu exchanges: %8.1f MB, loaded in %8.1f ms\n", sizes[k],
               (double)text.len / 1e6, (t1 - t0) / 1e6);
        cbk_buf_release(&text);
        /* the first lookup builds the index; not part of the measurement */
        char body[160];
        snprintf(body, sizeof body, "{\"id\": \"proj:%08x-0000-4000-8000-000000000000\"}", 0u);
        (void)cbk_cassette_lookup(c[k], op, body, strlen(body), NULL);
    }
    double res[3][64];
    unsigned seed = 12345;
    for (int r = 0; r < rounds && r < 64; r++) {
        for (int j = 0; j < 3; j++) {
            int k = r % 2 ? 2 - j : j;
            double t0 = now_ns();
            size_t hits = 0;
            for (size_t i = 0; i < lookups; i++) {
                seed = seed * 1103515245u + 12345u;
                size_t which = (seed >> 8) % sizes[k];
                char body[160];
                int n = snprintf(body, sizeof body,
                                 "{\"idempotencyToken\": \"other-%zu\", \"id\": "
                                 "\"proj:%08zx-0000-4000-8000-000000000000\"}",
                                 i, which);
                if (cbk_cassette_lookup(c[k], op, body, (size_t)n, NULL))
                    hits++;
            }
            double t1 = now_ns();
            if (hits != lookups) {
                fprintf(stderr, "bench_cassette: %zu of %zu lookups missed\n", lookups - hits,
                        lookups);
                return 1;
            }
            res[k][r] = (t1 - t0) / (double)lookups;
        }
    }
    double med[3];
    for (int k = 0; k < 3; k++) {
        qsort(res[k], (size_t)rounds, sizeof(double), cmp);
        med[k] = res[k][rounds / 2];
    }
    printf("\nlookup cost, median of %d rounds of %zu lookups (all hits):\n", rounds, lookups);
    for (int k = 0; k < 3; k++)
        printf("  %6zu exchanges: %8.0f ns per lookup  %5.2fx the 10-exchange cassette\n", sizes[k],
               med[k], med[k] / med[0]);
    printf("target: flat from 10 to 100,000 exchanges (DESIGN.md §8)\n");
    for (int k = 0; k < 3; k++)
        cbk_cassette_free(c[k]);
    cbk_spec_free(spec);
    cbk_diags_release(&d);
    return 0;
}
