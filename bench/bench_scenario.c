/*
 * bench_scenario.c - how the cost of loading a scenario grows with its number of rules (issue
 * 9: rule-name uniqueness was quadratic; 80,000 rules took 12 s). Loads scenarios of N, 2N,
 * 4N and 8N rules (N = 10,000 by default), each rule named, against the bundled spec, and
 * prints the time per rule of each size as a ratio to the smallest size measured in the same
 * run: a linear load keeps the ratio near 1.0 (cache effects allow a little more); a
 * quadratic one doubles it at each size (8.0 at 8N).
 *
 * usage: bench_scenario [-n N] [-r ROUNDS]     (defaults 10000 and 5; median of the rounds)
 * Exits 1 if a load fails; never judges the figures (benchmarks report, tests assert).
 */
#include "core/setup.h"
#include "cbkit/cbkit.h"
#include "cbkit/scenario.h"
#include "cbkit/services.h"
#include "core/buf.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Milliseconds to load a scenario of 'n' named rules (median of 'rounds'); -1 on failure. */
static double load_ms(const struct cbk_scenario_env *env, size_t n, int rounds)
{
    struct cbk_buf y = CBK_BUF_INIT((size_t)64 << 20);
    cbk_buf_adds(&y, "scenario: many\nrules:\n");
    for (size_t i = 0; i < n; i++)
        if (cbk_buf_addf(&y, "- {name: r%zu, then: S}\n", i) != CBK_OK) {
            cbk_buf_release(&y);
            return -1;
        }
    double t[64];
    if (rounds > 64)
        rounds = 64;
    for (int r = 0; r < rounds; r++) {
        struct cbk_diags d = CBK_DIAGS_INIT;
        struct cbk_scenario *s = NULL;
        double t0 = now_ms();
        enum cbk_code rc = cbk_scenario_load_buffer(env, y.ptr, y.len, "many.yaml", &s, &d);
        t[r] = now_ms() - t0;
        cbk_scenario_free(s);
        cbk_diags_release(&d);
        if (rc != CBK_OK) {
            cbk_buf_release(&y);
            return -1;
        }
    }
    cbk_buf_release(&y);
    qsort(t, (size_t)rounds, sizeof t[0], cmp);
    return t[rounds / 2];
}

int main(int argc, char **argv)
{
    size_t n = 10000;
    int rounds = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
            rounds = (int)strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: bench_scenario [-n N] [-r ROUNDS]\n");
            return 2;
        }
    }
    if (n == 0 || rounds < 1) {
        fprintf(stderr, "bench_scenario: N and ROUNDS must be positive\n");
        return 2;
    }
    struct cbk_spec *spec = NULL;
    struct cbk_diags d = CBK_DIAGS_INIT;
    if (cbk_spec_load_bundled(&spec, &d) != CBK_OK) {
        fprintf(stderr, "bench_scenario: cannot load the bundled spec\n");
        return 1;
    }
    cbk_diags_release(&d);
    const struct cbk_spec *one[1] = {spec};
    struct cbk_scenario_env env = {one, 1, NULL, 0};
    env.services = cbk_services_builtin(&env.nservices);

    printf("%10s %12s %14s %16s\n", "rules", "load ms", "us per rule", "per-rule ratio");
    double base = 0;
    int rc = 0;
    for (size_t k = 1; k <= 8; k *= 2) {
        double ms = load_ms(&env, n * k, rounds);
        if (ms < 0) {
            fprintf(stderr, "bench_scenario: loading %zu rules failed\n", n * k);
            rc = 1;
            break;
        }
        double per = ms * 1000.0 / (double)(n * k);
        if (k == 1)
            base = per;
        printf("%10zu %12.1f %14.3f %15.2fx\n", n * k, ms, per, per / base);
    }
    cbk_spec_free(spec);
    return rc;
}
