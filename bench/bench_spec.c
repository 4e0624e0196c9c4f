/*
 * bench_spec.c - what getting a compiled spec costs a `cbkit` start: loading the bundled
 * spec's build-time image (spec/spec_image.h, what cbkit does), compiling its YAML (what it did
 * before, and still does for --spec FILE), and only reading the YAML into a tree (core/yaml.c
 * over libfyaml), measured interleaved in the same run.
 *
 * usage: bench_spec [-n ROUNDS] [-c COLD] [FILE...]     (no FILE: the bundled CodeBuild spec)
 *
 * Warm: one process does each ROUNDS times (default 40), interleaved. Cold: COLD (default 15)
 * fresh processes per way (this program again, with the hidden option --first WAY FILE) each
 * do it once, as a start does, interleaved; their wall and CPU times are printed (CPU time
 * does not grow when the machine is busy and the process waits for a CPU). Medians, minimums
 * and the ratios to the YAML compile. For FILE arguments there is no image: compile and YAML
 * read only. Takes a few seconds.
 */
#include "core/setup.h"
#include "cbkit/cbkit.h"
#include "core/yaml.h"
#include "spec/spec_image.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the calling thread: what waiting for a CPU on a busy machine does not add to. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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

/* The ways of getting a spec that are timed. */
enum way { WAY_IMAGE, WAY_COMPILE, WAY_YAML, NWAYS };
static const char *const way_names[NWAYS] = {"image", "compile", "yaml"};
static const char *const way_titles[NWAYS] = {"load the build-time image", "compile the YAML",
                                              "read the YAML alone"};

/* One spec to time: its YAML text, and its image when it has one (the bundled spec). */
struct subject {
    const char *name, *text;
    size_t len;
    const unsigned char *img;
    size_t img_len;
};

/* Do 'w' once; returns false when it fails. */
static bool do_way(const struct subject *s, enum way w)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    enum cbk_code rc;
    if (w == WAY_YAML) {
        struct cbk_ydoc *doc = NULL;
        rc = cbk_yaml_parse(s->text, s->len, s->name, 64, CBK_E_SPEC_PARSE, &doc, &d);
        cbk_ydoc_free(doc);
    } else {
        struct cbk_spec *spec = NULL;
        rc = w == WAY_IMAGE ? cbk__spec_image_load(s->img, s->img_len, s->name, &spec)
                            : cbk_spec_load_buffer(s->text, s->len, s->name, &spec, &d);
        cbk_spec_free(spec);
    }
    cbk_diags_release(&d);
    return rc == CBK_OK;
}

/* The child of a cold measurement: do 'way' once and print its wall and CPU milliseconds. */
static int first(const struct subject *s, const char *way)
{
    int w = 0;
    while (w < NWAYS && strcmp(way, way_names[w]) != 0)
        w++;
    if (w == NWAYS || (w == WAY_IMAGE && !s->img))
        return 2;
    double t = now_ms(), c = cpu_ms();
    bool ok = do_way(s, (enum way)w);
    double ms = now_ms() - t, cpu = cpu_ms() - c;
    printf("%.4f %.4f\n", ms, cpu);
    return ok ? 0 : 1;
}

/* Run this program with --first WAY FILE; its wall time (CPU time in *cpu), or -1. */
static double spawn_first(const char *self, const char *way, const char *file, double *cpu)
{
    int out[2];
    if (pipe(out) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {(char *)self, "--first", (char *)way, (char *)file, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    char buf[64] = "";
    ssize_t n = rc == 0 ? read(out[0], buf, sizeof buf - 1) : -1;
    close(out[0]);
    int st = 1;
    if (rc == 0)
        waitpid(pid, &st, 0);
    if (n <= 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    buf[n] = '\0';
    char *end = NULL;
    double ms = strtod(buf, &end);
    *cpu = strtod(end, NULL);
    return ms;
}

/*
 * Time 's' warm ('rounds' in this process) and cold ('cold' fresh processes running 'self' on
 * 'file', "-" for the bundled spec), every way interleaved, and print the figures.
 */
static int bench(const struct subject *s, const char *self, const char *file, int rounds, int cold)
{
    int n = CBK_MAX(rounds, cold);
    double *v = calloc((size_t)n * NWAYS * 3, sizeof(double));
    if (!v)
        return 1;
    double *warm = v, *cwall = v + n * NWAYS, *ccpu = v + 2 * n * NWAYS;
    int first_way = s->img ? WAY_IMAGE : WAY_COMPILE;
    for (int w = first_way; w < NWAYS; w++) /* one untimed pass: page in the code */
        if (!do_way(s, (enum way)w)) {
            fprintf(stderr, "bench_spec: %s: cannot %s\n", s->name, way_titles[w]);
            free(v);
            return 1;
        }
    for (int i = 0; i < rounds; i++)
        for (int k = first_way; k < NWAYS; k++) {
            int w = i % 2 ? NWAYS - 1 - (k - first_way) : k; /* the order alternates */
            double t = now_ms();
            do_way(s, (enum way)w);
            warm[w * n + i] = now_ms() - t;
        }
    for (int i = 0; i < cold; i++)
        for (int k = first_way; k < NWAYS; k++) {
            int w = i % 2 ? NWAYS - 1 - (k - first_way) : k;
            cwall[w * n + i] = spawn_first(self, way_names[w], file, &ccpu[w * n + i]);
            if (cwall[w * n + i] < 0) {
                fprintf(stderr, "bench_spec: a cold run of %s failed\n", s->name);
                free(v);
                return 1;
            }
        }
    printf("%s (%zu bytes of YAML", s->name, s->len);
    if (s->img)
        printf(", an image of %zu bytes", s->img_len);
    printf(")\n  %-28s %18s %26s %15s\n", "", "warm: median (min)", "cold: median (min), CPU",
           "cold / compile");
    double cold_compile = cold ? median(cwall + WAY_COMPILE * n, cold) : 0;
    for (int w = first_way; w < NWAYS; w++) {
        double wm = median(warm + w * n, rounds), wmin = warm[w * n];
        printf("  %-28s %8.2f (%5.2f) ms", way_titles[w], wm, wmin);
        if (cold) {
            double cm = median(cwall + w * n, cold), cmin = cwall[w * n];
            double cc = median(ccpu + w * n, cold);
            printf("  %8.2f (%5.2f) ms, %5.2f ms  %13.2fx", cm, cmin, cc, cm / cold_compile);
        }
        printf("\n");
    }
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    struct subject bundled = {cbk_spec_bundled_name(), NULL, 0, NULL, 0};
    bundled.text = cbk_spec_bundled_text(&bundled.len);
    if (!cbk__spec_bundled_image(&bundled.img, &bundled.img_len))
        bundled.img = NULL;
    if (argc == 4 && strcmp(argv[1], "--first") == 0) {
        if (strcmp(argv[3], "-") == 0)
            return first(&bundled, argv[2]);
        struct subject s = {argv[3], NULL, 0, NULL, 0};
        char *text = slurp(argv[3], &s.len);
        s.text = text;
        int rc = text ? first(&s, argv[2]) : 4;
        free(text);
        return rc;
    }
    int rounds = 40, cold = 15, i = 1;
    while (i + 1 < argc && (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "-c") == 0)) {
        int v = (int)strtol(argv[i + 1], NULL, 10);
        if (argv[i][1] == 'n')
            rounds = v;
        else
            cold = v;
        i += 2;
    }
    if (rounds < 1 || rounds > 100000 || cold < 0 || cold > 10000 ||
        (i < argc && argv[i][0] == '-')) {
        fprintf(stderr, "usage: bench_spec [-n ROUNDS] [-c COLD] [FILE...]\n");
        return 2;
    }
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        fprintf(stderr, "bench_spec: cannot find its own executable\n");
        return 2;
    }
    self[sl] = '\0';
    int rc = 0;
    if (i == argc) {
        if (!bundled.img)
            printf("(this build has no image of the bundled spec: CBK_SPEC_IMAGE=OFF)\n");
        rc |= bench(&bundled, self, "-", rounds, cold);
    }
    for (; i < argc; i++) {
        struct subject s = {argv[i], NULL, 0, NULL, 0};
        char *text = slurp(argv[i], &s.len);
        if (!text) {
            fprintf(stderr, "bench_spec: cannot read '%s'\n", argv[i]);
            return 4;
        }
        s.text = text;
        rc |= bench(&s, self, argv[i], rounds, cold);
        free(text);
    }
    return rc;
}
