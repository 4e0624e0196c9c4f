/*
 * bench_validate.c - the validation benchmark (DESIGN.md §8: "parse+validate at most 1.3x the
 * time json-c alone takes to parse the same documents").
 *
 * Over one generated corpus of StartBuildBatch requests and RetryBuild responses it times,
 * in the same run and interleaved round by round (alternating the order to cancel drift):
 *   (a) json-c parse only: json_tokener_parse_ex() with a reused tokener, json_object_put();
 *   (b) cbkit streaming parse+validate: cbk_validate_buffer();
 *   (c) json-c parse + cbk_validate_json() (the DOM path), then json_object_put().
 * It prints documents/s and MB/s (10^6 bytes) per path, the median over rounds, and the
 * ratios time(b)/time(a) and time(c)/time(a), each taken within a round and then the median.
 * Each measurement passes over its set as many times as it takes to last --min-time; times
 * are reported per pass, and "all" is one pass over both sets.
 * Every document is checked first to be valid (no finding at all, strict), and every timed
 * call's result is checked too, so nothing measured goes down an error path.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench/gen_corpus.h"
#include "cbkit/cbkit.h"

#include <json-c/json.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define TARGET_RATIO 1.3

enum path { P_JSONC, P_STREAM, P_DOM, P_COUNT };
static const char *const path_names[P_COUNT] = {"json-c parse only", "cbkit stream parse+validate",
                                                "json-c parse + cbk_validate_json"};
static const char *const path_short[P_COUNT] = {"(a)", "(b)", "(c)"};

struct bench {
    const struct cbk_spec *spec;
    struct json_tokener *tok;
    struct cbk_report *report;
};

struct set_run {
    const char *name;
    struct gen_set *set;
    const struct cbk_shape *root;
    struct cbk_validate_opts opts;
    unsigned passes; /* corpus passes per measurement */
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_validate: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct json_object *jsonc_parse(struct bench *b, const struct gen_doc *d)
{
    json_tokener_reset(b->tok);
    struct json_object *o = json_tokener_parse_ex(b->tok, d->text, (int)d->len);
    if (!o || json_tokener_get_error(b->tok) != json_tokener_success)
        die("json-c failed to parse a generated document: %s\n%s",
            json_tokener_error_desc(json_tokener_get_error(b->tok)), d->text);
    return o;
}

/* One timed measurement: 'passes' passes over the set along one path. Returns seconds. */
static double measure(struct bench *b, const struct set_run *s, enum path p)
{
    const struct gen_doc *docs = s->set->docs;
    size_t n = s->set->n;
    size_t bad = 0;
    double t0 = now();
    for (unsigned k = 0; k < s->passes; k++) {
        switch (p) {
        case P_JSONC:
            for (size_t i = 0; i < n; i++)
                json_object_put(jsonc_parse(b, &docs[i]));
            break;
        case P_STREAM:
            for (size_t i = 0; i < n; i++)
                bad += cbk_validate_buffer(b->spec, s->root, docs[i].text, docs[i].len, &s->opts,
                                           b->report) != CBK_OK;
            break;
        case P_DOM:
            for (size_t i = 0; i < n; i++) {
                struct json_object *o = jsonc_parse(b, &docs[i]);
                bad += cbk_validate_json(b->spec, s->root, o, &s->opts, b->report) != CBK_OK;
                json_object_put(o);
            }
            break;
        default:
            break;
        }
    }
    double t = now() - t0;
    if (bad)
        die("%zu %s documents failed validation during the timed run", bad, s->name);
    return t / s->passes; /* seconds per pass over the set */
}

/* Every document must be valid with no finding at all (responses checked strictly). */
static void check_corpus(struct bench *b, const struct set_run *s)
{
    struct cbk_validate_opts strict = s->opts;
    strict.strict = true;
    size_t failures = 0;
    for (size_t i = 0; i < s->set->n; i++) {
        const struct gen_doc *d = &s->set->docs[i];
        for (int way = 0; way < 2; way++) {
            enum cbk_code rc;
            if (way == 0) {
                rc = cbk_validate_buffer(b->spec, s->root, d->text, d->len, &strict, b->report);
            } else {
                struct json_object *o = jsonc_parse(b, d);
                rc = cbk_validate_json(b->spec, s->root, o, &strict, b->report);
                json_object_put(o);
            }
            if (rc == CBK_OK && cbk_report_count(b->report) == 0)
                continue;
            if (failures++ < 3) {
                fprintf(stderr, "bench_validate: generated %s #%zu is not valid (%s path):\n%s\n",
                        s->name, i, way ? "json-c DOM" : "streaming", d->text);
                for (size_t k = 0; k < cbk_report_count(b->report); k++) {
                    const struct cbk_violation *v = cbk_report_at(b->report, k);
                    fprintf(stderr, "  %s %s: %s [%s]\n",
                            v->severity == CBK_SEV_ERROR ? "error" : "warning", v->pointer,
                            v->message, cbk_rule_name(v->rule));
                }
            }
        }
    }
    if (failures)
        die("%zu generated %s are not valid against the spec: the corpus generator is wrong",
            failures, s->name);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n)
{
    double tmp[256];
    memcpy(tmp, v, n * sizeof(double));
    qsort(tmp, n, sizeof(double), cmp_double);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static double vmin(const double *v, unsigned n)
{
    double m = v[0];
    for (unsigned i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double vmax(const double *v, unsigned n)
{
    double m = v[0];
    for (unsigned i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static void dump_corpus(const char *dir, const struct gen_set *req, const struct gen_set *resp)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        die("cannot create %s: %s", dir, strerror(errno));
    const struct gen_set *sets[2] = {req, resp};
    const char *prefix[2] = {"StartBuildBatch-request", "RetryBuild-response"};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < sets[s]->n; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s-%05zu.json", dir, prefix[s], i);
            FILE *f = fopen(path, "wb");
            if (!f ||
                fwrite(sets[s]->docs[i].text, 1, sets[s]->docs[i].len, f) != sets[s]->docs[i].len ||
                fclose(f) != 0)
                die("cannot write %s: %s", path, strerror(errno));
        }
    }
    printf("wrote %zu requests and %zu responses to %s/\n", req->n, resp->n, dir);
}

static const char *compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "an unknown compiler";
#endif
}

static const char usage[] =
    "usage: bench_validate [options]\n"
    "\n"
    "Time json-c parse-only, cbkit streaming parse+validate and json-c parse +\n"
    "cbk_validate_json over one generated corpus, interleaved in rounds, and print\n"
    "the ratios against the json-c baseline of the same run (target <= 1.3x).\n"
    "\n"
    "options:\n"
    "  -r, --rounds N       rounds (default 15, at most 255)\n"
    "  -q, --requests N     StartBuildBatch requests in the corpus (default 2000)\n"
    "  -s, --responses N    RetryBuild responses in the corpus (default 2000)\n"
    "  -m, --min-time MS    minimum duration of one json-c measurement; the corpus is\n"
    "                       passed over as many times as needed (default 50)\n"
    "      --seed N         corpus seed (default 20161006)\n"
    "      --dump DIR       write the corpus to DIR as .json files and exit\n"
    "      --only a|b|c     time only that path (for profilers; no ratios)\n"
    "      --check          exit with status 3 when the streaming path (b) misses the\n"
    "                       target\n"
    "  -h, --help           show this help\n";

static unsigned long parse_num(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > hi)
        die("%s: expected a number from %lu to %lu, got '%s'", opt, lo, hi, s);
    return v;
}

int main(int argc, char **argv)
{
    unsigned rounds = 15;
    size_t nreq = 2000, nresp = 2000;
    double min_time = 0.050;
    uint64_t seed = 20161006;
    const char *dump = NULL;
    int only = -1;
    bool check = false;
    int status = 0;

    static const struct option longopts[] = {{"rounds", required_argument, NULL, 'r'},
                                             {"requests", required_argument, NULL, 'q'},
                                             {"responses", required_argument, NULL, 's'},
                                             {"min-time", required_argument, NULL, 'm'},
                                             {"seed", required_argument, NULL, 'S'},
                                             {"dump", required_argument, NULL, 'D'},
                                             {"only", required_argument, NULL, 'O'},
                                             {"check", no_argument, NULL, 'C'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "r:q:s:m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            rounds = (unsigned)parse_num("--rounds", optarg, 1, 255);
            break;
        case 'q':
            nreq = parse_num("--requests", optarg, 1, 1000000);
            break;
        case 's':
            nresp = parse_num("--responses", optarg, 1, 1000000);
            break;
        case 'm':
            min_time = (double)parse_num("--min-time", optarg, 1, 10000) / 1000.0;
            break;
        case 'S':
            seed = parse_num("--seed", optarg, 0, ~0ul);
            break;
        case 'D':
            dump = optarg;
            break;
        case 'C':
            check = true;
            break;
        case 'O':
            if (strlen(optarg) != 1 || optarg[0] < 'a' || optarg[0] > 'c')
                die("--only: expected a, b or c, got '%s'", optarg);
            only = optarg[0] - 'a';
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 2;
    }

    double t_start = now();
    struct gen_set req, resp;
    gen_set_make(&req, GEN_REQUEST, nreq, seed);
    gen_set_make(&resp, GEN_RESPONSE, nresp, seed);
    if (dump) {
        dump_corpus(dump, &req, &resp);
        gen_set_release(&req);
        gen_set_release(&resp);
        return 0;
    }

    struct cbk_spec *spec = NULL;
    struct cbk_diags diags = CBK_DIAGS_INIT;
    if (cbk_spec_load_bundled(&spec, &diags) != CBK_OK)
        die("cannot load the bundled spec");
    cbk_diags_release(&diags);
    const struct cbk_operation *sbb = cbk_spec_op(spec, "StartBuildBatch");
    const struct cbk_operation *rb = cbk_spec_op(spec, "RetryBuild");
    if (!sbb || !rb)
        die("the bundled spec lacks StartBuildBatch or RetryBuild");

    struct bench b;
    b.spec = spec;
    b.tok = json_tokener_new();
    b.report = cbk_report_new();

    struct set_run runs[2];
    memset(runs, 0, sizeof runs);
    runs[0].name = "requests";
    runs[0].set = &req;
    runs[0].root = sbb->input;
    runs[0].opts.direction = CBK_REQUEST;
    runs[1].name = "responses";
    runs[1].set = &resp;
    runs[1].root = rb->output;
    runs[1].opts.direction = CBK_RESPONSE; /* as the mock and recorder read them */

    for (int s = 0; s < 2; s++)
        check_corpus(&b, &runs[s]);

    printf("cbkit %s validation benchmark (json-c %s; bench built with %s%s)\n", cbk_version(),
           json_c_version(), compiler(),
#ifdef NDEBUG
           ", -DNDEBUG"
#else
           ", assertions on: not a Release build, figures are not representative"
#endif
    );
    printf("corpus: seed %llu\n", (unsigned long long)seed);
    for (int s = 0; s < 2; s++) {
        const struct gen_set *g = runs[s].set;
        printf("  %-9s %6zu docs %9.2f MB  sizes %zu..%zu B (mean %zu)  %zu%% botocore-style "
               "separators  all valid\n",
               runs[s].name, g->n, (double)g->bytes / 1e6, g->min_len, g->max_len, g->bytes / g->n,
               g->spaced * 100 / g->n);
    }

    /* warm up every path once and size the measurements */
    for (int s = 0; s < 2; s++) {
        runs[s].passes = 1;
        for (int p = 0; p < P_COUNT; p++)
            measure(&b, &runs[s], (enum path)p);
        double t = measure(&b, &runs[s], P_JSONC);
        unsigned passes = (unsigned)(min_time / (t > 1e-6 ? t : 1e-6)) + 1; /* ceil, roughly */
        runs[s].passes = passes;
    }
    printf("rounds: %u (order alternates a,b,c / c,b,a)  passes per measurement: requests %u, "
           "responses %u\n\n",
           rounds, runs[0].passes, runs[1].passes);

    /* t[set][path][round]; set 2 is the sum of both */
    static double t[3][P_COUNT][256];
    static const enum path fwd[P_COUNT] = {P_JSONC, P_STREAM, P_DOM};
    static const enum path rev[P_COUNT] = {P_DOM, P_STREAM, P_JSONC};
    for (unsigned r = 0; r < rounds; r++) {
        const enum path *order = r % 2 ? rev : fwd;
        for (int k = 0; k < 2; k++) {
            int s = r % 2 ? 1 - k : k; /* alternate the sets too */
            for (int i = 0; i < P_COUNT; i++)
                t[s][order[i]][r] =
                    only < 0 || only == (int)order[i] ? measure(&b, &runs[s], order[i]) : 0;
        }
        for (int p = 0; p < P_COUNT; p++)
            t[2][p][r] = t[0][p][r] + t[1][p][r];
    }

    /* report */
    static const char *const set_names[3] = {"requests (StartBuildBatch)", "responses (RetryBuild)",
                                             "all"};
    double med_ratio[3][P_COUNT] = {{0}};
    for (int s = 0; s < 3; s++) {
        /* times are per pass; "all" is one pass over both sets */
        double docs, bytes;
        if (s < 2) {
            docs = (double)runs[s].set->n;
            bytes = (double)runs[s].set->bytes;
        } else {
            docs = (double)(runs[0].set->n + runs[1].set->n);
            bytes = (double)(runs[0].set->bytes + runs[1].set->bytes);
        }
        printf("%s\n", set_names[s]);
        printf("  %-38s %12s %10s %10s   %s\n", "path", "docs/s", "MB/s", "ms/pass",
               "time / (a)  [min..max over rounds]");
        for (int p = 0; p < P_COUNT; p++) {
            if (only >= 0 && p != only)
                continue;
            double m = median(t[s][p], rounds);
            double ratio[256];
            for (unsigned r = 0; r < rounds; r++)
                ratio[r] = t[s][p][r] / t[s][P_JSONC][r];
            double rm = median(ratio, rounds);
            char rtxt[64];
            if (only >= 0)
                snprintf(rtxt, sizeof rtxt, "(--only: no baseline)");
            else if (p == P_JSONC)
                snprintf(rtxt, sizeof rtxt, "1.00x (baseline)");
            else
                snprintf(rtxt, sizeof rtxt, "%.2fx  [%.2f..%.2f]", rm, vmin(ratio, rounds),
                         vmax(ratio, rounds));
            printf("  %s %-34s %12.0f %10.1f %10.1f   %s\n", path_short[p], path_names[p], docs / m,
                   bytes / m / 1e6, m * 1e3, rtxt);
            med_ratio[s][p] = rm;
        }
        printf("\n");
    }
    if (only >= 0) {
        printf("total run time %.1f s\n", now() - t_start);
        goto out;
    }
    printf("target: parse+validate <= %.1fx json-c parse-only (DESIGN.md §8), for requests, "
           "responses and all\n",
           TARGET_RATIO);
    bool stream_met = true;
    for (int p = P_STREAM; p < P_COUNT; p++) {
        bool met = true;
        for (int k = 0; k < 3; k++)
            met = met && med_ratio[k][p] <= TARGET_RATIO;
        if (p == P_STREAM)
            stream_met = met;
        printf("  %s %-34s requests %.2fx, responses %.2fx, all %.2fx: %s\n", path_short[p],
               path_names[p], med_ratio[0][p], med_ratio[1][p], med_ratio[2][p],
               met ? "MET" : "NOT MET");
    }
    printf("total run time %.1f s\n", now() - t_start);
    if (check && !stream_met)
        status = 3;
out:
    cbk_report_free(b.report);
    json_tokener_free(b.tok);
    cbk_spec_free(spec);
    gen_set_release(&req);
    gen_set_release(&resp);
    return status;
}
