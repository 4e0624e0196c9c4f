/*
 * bench_spec.c - how long compiling a spec takes (what every `cbkit` start pays for the
 * bundled spec), against the part of it that is only reading the YAML into a tree
 * (core/yaml.c over libfyaml), measured interleaved in the same run.
 *
 * usage: bench_spec [-n ROUNDS] [FILE...]     (no FILE: the bundled CodeBuild spec)
 * Prints, per spec, its size, the median and minimum of each over ROUNDS (default 40) and the
 * ratio of the compile to the YAML read. Takes well under a second per spec.
 */
#include "core/setup.h"
#include "cbkit/cbkit.h"
#include "core/yaml.h"

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

/* Read 'path' into a malloc'd buffer; NULL on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        r = fread(buf + n, 1, 65536, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* Time one spec: compile and YAML-only, interleaved, 'rounds' times each. */
static int bench(const char *name, const char *text, size_t len, int rounds)
{
    double *c = calloc((size_t)rounds, sizeof(double)), *y = calloc((size_t)rounds, sizeof(double));
    if (!c || !y) {
        free(c);
        free(y);
        return 1;
    }
    for (int i = 0; i < rounds; i++) {
        struct cbk_diags d = CBK_DIAGS_INIT;
        struct cbk_spec *spec = NULL;
        double t = now_ms();
        enum cbk_code rc = cbk_spec_load_buffer(text, len, name, &spec, &d);
        c[i] = now_ms() - t;
        cbk_spec_free(spec);
        cbk_diags_release(&d);
        if (rc != CBK_OK) {
            fprintf(stderr, "bench_spec: %s does not compile\n", name);
            free(c);
            free(y);
            return 1;
        }
        struct cbk_ydoc *doc = NULL;
        t = now_ms();
        cbk_yaml_parse(text, len, name, 64, CBK_E_SPEC_PARSE, &doc, &d);
        y[i] = now_ms() - t;
        cbk_ydoc_free(doc);
        cbk_diags_release(&d);
    }
    qsort(c, (size_t)rounds, sizeof(double), cmp);
    qsort(y, (size_t)rounds, sizeof(double), cmp);
    printf("%s: %zu bytes: compile median %.2f ms (min %.2f), YAML read alone median %.2f ms "
           "(min %.2f): compile = %.2fx the YAML read\n",
           name, len, c[rounds / 2], c[0], y[rounds / 2], y[0], c[rounds / 2] / y[rounds / 2]);
    free(c);
    free(y);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = 40, i = 1;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        rounds = (int)strtol(argv[2], NULL, 10);
        i = 3;
    }
    if (rounds < 1 || rounds > 100000) {
        fprintf(stderr, "usage: bench_spec [-n ROUNDS] [FILE...]\n");
        return 2;
    }
    int rc = 0;
    if (i == argc) {
        size_t len;
        const char *text = cbk_spec_bundled_text(&len);
        rc |= bench(cbk_spec_bundled_name(), text, len, rounds);
    }
    for (; i < argc; i++) {
        size_t len = 0;
        char *text = slurp(argv[i], &len);
        if (!text) {
            fprintf(stderr, "bench_spec: cannot read '%s'\n", argv[i]);
            return 4;
        }
        rc |= bench(argv[i], text, len, rounds);
        free(text);
    }
    return rc;
}
