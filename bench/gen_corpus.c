/*
 * gen_corpus.c - deterministic generator of realistic StartBuildBatch requests and RetryBuild
 * responses (see gen_corpus.h).
 *
 * Values look like what real clients and the real service send: account-scoped ARNs, S3
 * locations, ECR and CodeBuild image names, commit SHAs, UUID build ids, epoch timestamps with
 * milliseconds (plain and in the scientific notation the service's Java serializer uses),
 * environment variables of all three types, inline buildspecs with escaped newlines, a few
 * non-ASCII values. Enum values come from the spec. Requests are serialized half compact (as
 * the Java, Go and JS SDKs send them) and half botocore-style (json.dumps: ", " and ": "
 * separators, non-ASCII as \uXXXX); responses mostly compact, as the service sends them.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench/gen_corpus.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_(a)      (sizeof(a) / sizeof((a)[0]))
#define PICK(r, a) ((a)[rn((r), (unsigned)N_(a))])

/* ---- allocation and a string builder --------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("gen_corpus: out of memory\n", stderr);
        abort();
    }
    return q;
}

struct sb {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sb *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_adds(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_addc(struct sb *b, char c)
{
    sb_add(b, &c, 1);
}

static void sb_addf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_addf(struct sb *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        fputs("gen_corpus: formatted value too long\n", stderr);
        abort();
    }
    sb_add(b, tmp, (size_t)n);
}

/* ---- PRNG (splitmix64) ----------------------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t rnext(struct rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static unsigned rn(struct rng *r, unsigned n)
{
    return (unsigned)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}

static bool rpct(struct rng *r, unsigned pct)
{
    return rn(r, 100) < pct;
}

/* ---- a JSON writer with two styles ---------------------------------------------------- */

struct jw {
    struct sb *b;
    bool spaced;     /* ", " and ": " separators (Python's json.dumps defaults) */
    bool ascii_only; /* non-ASCII as \uXXXX (json.dumps ensure_ascii=True) */
    int depth;
    unsigned count[32];
    bool after_key;
};

static void jw_before_value(struct jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && w->count[w->depth - 1]++ > 0)
        sb_adds(w->b, w->spaced ? ", " : ",");
}

static void jw_quoted(struct jw *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    struct sb *b = w->b;
    sb_addc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            sb_addc(b, '\\');
            sb_addc(b, (char)c);
            p++;
        } else if (c == '\n') {
            sb_adds(b, "\\n");
            p++;
        } else if (c == '\t') {
            sb_adds(b, "\\t");
            p++;
        } else if (c == '\r') {
            sb_adds(b, "\\r");
            p++;
        } else if (c < 0x20) {
            char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            sb_adds(b, u);
            p++;
        } else if (c >= 0x80 && w->ascii_only) {
            /* the generator only emits valid UTF-8 */
            unsigned cp;
            int n;
            if (c < 0xE0) {
                cp = c & 0x1F;
                n = 1;
            } else if (c < 0xF0) {
                cp = c & 0x0F;
                n = 2;
            } else {
                cp = c & 0x07;
                n = 3;
            }
            p++;
            for (int i = 0; i < n; i++)
                cp = (cp << 6) | (*p++ & 0x3F);
            if (cp >= 0x10000) {
                cp -= 0x10000;
                sb_addf(b, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
            } else {
                sb_addf(b, "\\u%04x", cp);
            }
        } else {
            sb_addc(b, (char)c);
            p++;
        }
    }
    sb_addc(b, '"');
}

static void jw_obj(struct jw *w)
{
    jw_before_value(w);
    sb_addc(w->b, '{');
    w->count[w->depth++] = 0;
}

static void jw_arr(struct jw *w)
{
    jw_before_value(w);
    sb_addc(w->b, '[');
    w->count[w->depth++] = 0;
}

static void jw_end_obj(struct jw *w)
{
    w->depth--;
    sb_addc(w->b, '}');
}

static void jw_end_arr(struct jw *w)
{
    w->depth--;
    sb_addc(w->b, ']');
}

static void jw_key(struct jw *w, const char *k)
{
    if (w->count[w->depth - 1]++ > 0)
        sb_adds(w->b, w->spaced ? ", " : ",");
    jw_quoted(w, k);
    sb_adds(w->b, w->spaced ? ": " : ":");
    w->after_key = true;
}

static void jw_str(struct jw *w, const char *s)
{
    jw_before_value(w);
    jw_quoted(w, s);
}

static void jw_int(struct jw *w, long long v)
{
    jw_before_value(w);
    sb_addf(w->b, "%lld", v);
}

static void jw_bool(struct jw *w, bool v)
{
    jw_before_value(w);
    sb_adds(w->b, v ? "true" : "false");
}

/* An epoch timestamp in milliseconds, written as the service writes it. */
static void jw_time(struct jw *w, long long ms, bool scientific)
{
    jw_before_value(w);
    if (scientific) {
        /* Java's Double.toString: 1.700000123456E9, trailing zeros dropped */
        char d[32];
        snprintf(d, sizeof d, "%lld", ms);
        size_t n = strlen(d);
        while (n > 1 && d[n - 1] == '0')
            n--;
        sb_addc(w->b, d[0]);
        sb_addc(w->b, '.');
        if (n > 1)
            sb_add(w->b, d + 1, n - 1);
        else
            sb_addc(w->b, '0');
        sb_addf(w->b, "E%d", (int)strlen(d) - 4);
    } else {
        sb_addf(w->b, "%lld.%03lld", ms / 1000, ms % 1000);
    }
}

/* key + value shorthands */
static void kstr(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_str(w, v);
}

static void kint(struct jw *w, const char *k, long long v)
{
    jw_key(w, k);
    jw_int(w, v);
}

static void kbool(struct jw *w, const char *k, bool v)
{
    jw_key(w, k);
    jw_bool(w, v);
}

/* ---- vocabulary ----------------------------------------------------------------------- */

static const char *const regions[] = {
    "us-east-1",  "us-east-2",      "us-west-2",      "eu-west-1",    "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1", "sa-east-1"};
static const char *const orgs[] = {"acme-corp",     "globex", "initech",
                                   "umbrella-labs", "hooli",  "wayne-enterprises",
                                   "stark-ind",     "tyrell"};
static const char *const words[] = {
    "payments",   "checkout", "web",         "api",           "infra",     "data-pipeline",
    "mobile-ios", "android",  "ml-training", "terraform",     "docs",      "auth-service",
    "search",     "billing",  "frontend",    "backend",       "etl",       "monorepo",
    "gateway",    "ledger",   "inventory",   "notifications", "reporting", "identity"};
static const char *const suffixes[] = {
    "",      "-build", "-ci",   "-integration-tests", "-nightly",   "-release", "-pr", "-staging",
    "-prod", "-e2e",   "-lint", "-docker-image",      "-unit-tests"};
/* Build environments as projects really combine them: type, images, compute types. */
struct env_profile {
    const char *type;
    const char *images[4]; /* "%s" expands to the account's ECR registry */
    const char *computes[4];
};
static const struct env_profile env_profiles[] = {
    {"LINUX_CONTAINER",
     {"aws/codebuild/standard:7.0", "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
      "%s/build-images/golang:1.22", "public.ecr.aws/docker/library/python:3.12-slim"},
     {"BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
      "BUILD_GENERAL1_XLARGE"}},
    {"LINUX_CONTAINER",
     {"aws/codebuild/standard:6.0", "%s/ci/jdk17-maven:2024.05.1",
      "public.ecr.aws/docker/library/node:20-bookworm", "aws/codebuild/standard:7.0"},
     {"BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
      "BUILD_GENERAL1_2XLARGE"}},
    {"ARM_CONTAINER",
     {"aws/codebuild/amazonlinux2-aarch64-standard:3.0",
      "aws/codebuild/amazonlinux2-aarch64-standard:2.0", "%s/build-images/golang:1.22-arm64",
      "aws/codebuild/amazonlinux2-aarch64-standard:3.0"},
     {"BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_LARGE",
      "BUILD_GENERAL1_SMALL"}},
    {"LINUX_GPU_CONTAINER",
     {"aws/codebuild/amazonlinux2-x86_64-standard:5.0", "%s/ml/pytorch-cuda:2.3.1",
      "aws/codebuild/standard:7.0", "%s/ml/pytorch-cuda:2.3.1"},
     {"BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_LARGE",
      "BUILD_GENERAL1_LARGE"}},
    {"WINDOWS_SERVER_2019_CONTAINER",
     {"aws/codebuild/windows-base:2019-3.0", "aws/codebuild/windows-base:2019-2.0",
      "%s/ci/dotnet-sdk:8.0-windowsservercore", "aws/codebuild/windows-base:2019-3.0"},
     {"BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_MEDIUM",
      "BUILD_GENERAL1_LARGE"}},
    {"LINUX_LAMBDA_CONTAINER",
     {"aws/codebuild/amazonlinux-x86_64-lambda-standard:nodejs20",
      "aws/codebuild/amazonlinux-x86_64-lambda-standard:python3.12",
      "aws/codebuild/amazonlinux-x86_64-lambda-standard:go1.21",
      "aws/codebuild/amazonlinux-x86_64-lambda-standard:corretto21"},
     {"BUILD_LAMBDA_1GB", "BUILD_LAMBDA_2GB", "BUILD_LAMBDA_4GB", "BUILD_LAMBDA_8GB"}},
    {"LINUX_EC2",
     {"aws/codebuild/standard:7.0", "aws/codebuild/amazonlinux2-x86_64-standard:5.0",
      "aws/codebuild/standard:7.0", "%s/build-images/golang:1.22"},
     {"ATTRIBUTE_BASED_COMPUTE", "ATTRIBUTE_BASED_COMPUTE", "BUILD_GENERAL1_LARGE",
      "BUILD_GENERAL1_XLARGE"}},
};
static const char *const compute_types[] = {"BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM",
                                            "BUILD_GENERAL1_LARGE", "BUILD_GENERAL1_XLARGE"};
static const char *const source_types[] = {"GITHUB",    "GITHUB", "CODECOMMIT",       "S3",
                                           "BITBUCKET", "GITLAB", "GITHUB_ENTERPRISE"};
static const char *const branches[] = {"main",
                                       "master",
                                       "develop",
                                       "release/2024.06",
                                       "feature/retry-backoff",
                                       "refs/heads/main",
                                       "v1.14.2",
                                       "hotfix/CVE-2024-3094"};
static const char *const identifiers[] = {"lib_common", "assets",         "infra_config",
                                          "protos",     "shared_scripts", "docs_site",
                                          "vendor_sdk", "test_fixtures"};
static const char *const cmds[] = {"npm ci",
                                   "npm run lint",
                                   "npm test -- --ci --reporters=jest-junit",
                                   "make build",
                                   "go test ./... -race -count=1",
                                   "mvn -B -q verify",
                                   "pip install -r requirements.txt",
                                   "pytest -q --junitxml=reports/junit.xml",
                                   "docker build -t \"$IMAGE_REPO_NAME:$IMAGE_TAG\" .",
                                   "aws s3 sync dist/ \"s3://$DEPLOY_BUCKET/\" --delete",
                                   "terraform plan -out=tfplan -input=false",
                                   "./gradlew assemble --no-daemon"};
static const char *const initiators[] = {"GitHub-Hookshot/8a1b2c3",
                                         "codepipeline/release-pipeline",
                                         "alice",
                                         "ci-bot",
                                         "arn:aws:sts::%s:assumed-role/deploy/bob",
                                         "codebuild-batch"};
static const char *const unicode_vals[] = {
    "Zürich",       "café au lait", "Ålesund build farm", "señal de despliegue",
    "日本語テスト", "naïve résumé", "build ✅ ok",         "emoji 🚀 release"};

struct ctx {
    char account[16];
    const char *region;
    char project[96];
    char org[40];
    char repo[64];
    char bucket[256];
};

static void make_ctx(struct rng *r, struct ctx *c)
{
    snprintf(c->account, sizeof c->account, "%012llu",
             (unsigned long long)(rnext(r) % 1000000000000ull));
    c->region = PICK(r, regions);
    const char *w1 = PICK(r, words), *sfx = PICK(r, suffixes);
    snprintf(c->project, sizeof c->project, "%s%s", w1, sfx);
    snprintf(c->org, sizeof c->org, "%s", PICK(r, orgs));
    snprintf(c->repo, sizeof c->repo, "%s", w1);
    snprintf(c->bucket, sizeof c->bucket, "%s-codebuild-%s-%s", c->org, c->account, c->region);
}

static void uuid(struct rng *r, char out[37])
{
    uint64_t a = rnext(r), b = rnext(r);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xFFFF, (unsigned)a & 0xFFF,
             (unsigned)(0x8000 | ((b >> 48) & 0x3FFF)),
             (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

static void hexstr(struct rng *r, char *out, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[i] = hx[rn(r, 16)];
    out[n] = '\0';
}

static void b64str(struct rng *r, char *out, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = al[rn(r, 62)];
    out[n] = '\0';
}

static void role_arn(struct rng *r, const struct ctx *c, char *out, size_t n)
{
    if (rpct(r, 60))
        snprintf(out, n, "arn:aws:iam::%s:role/service-role/codebuild-%s-service-role", c->account,
                 c->project);
    else
        snprintf(out, n, "arn:aws:iam::%s:role/CodeBuildServiceRole-%s", c->account, c->org);
}

static void kms_key(struct rng *r, const struct ctx *c, char *out, size_t n)
{
    char u[37];
    uuid(r, u);
    if (rpct(r, 30))
        snprintf(out, n, "arn:aws:kms:%s:%s:alias/aws/s3", c->region, c->account);
    else
        snprintf(out, n, "arn:aws:kms:%s:%s:key/%s", c->region, c->account, u);
}

static void source_location(struct rng *r, const struct ctx *c, const char *type, const char *repo,
                            char *out, size_t n)
{
    if (!strcmp(type, "CODECOMMIT"))
        snprintf(out, n, "https://git-codecommit.%s.amazonaws.com/v1/repos/%s", c->region, repo);
    else if (!strcmp(type, "S3"))
        snprintf(out, n, "%s/source/%s/%s.zip", c->bucket, repo, rpct(r, 50) ? "latest" : "main");
    else if (!strcmp(type, "BITBUCKET"))
        snprintf(out, n, "https://bitbucket.org/%s/%s.git", c->org, repo);
    else if (!strcmp(type, "GITLAB"))
        snprintf(out, n, "https://gitlab.com/%s/%s.git", c->org, repo);
    else if (!strcmp(type, "GITHUB_ENTERPRISE"))
        snprintf(out, n, "https://github.%s.internal/%s/%s.git", c->org, c->org, repo);
    else
        snprintf(out, n, "https://github.com/%s/%s.git", c->org, repo);
}

static void source_version(struct rng *r, char *out, size_t n)
{
    unsigned k = rn(r, 10);
    if (k < 5) {
        hexstr(r, out, 40);
    } else if (k < 8) {
        snprintf(out, n, "%s", PICK(r, branches));
    } else {
        snprintf(out, n, "pr/%u", 100 + rn(r, 4000));
    }
}

struct env_choice {
    const char *type, *compute;
    char image[256];
};

static void pick_env(struct rng *r, const struct ctx *c, struct env_choice *e)
{
    const struct env_profile *pr = &env_profiles[rn(r, (unsigned)N_(env_profiles))];
    e->type = pr->type;
    e->compute = pr->computes[rn(r, 4)];
    const char *im = pr->images[rn(r, 4)];
    if (im[0] == '%')
        snprintf(e->image, sizeof e->image, "%s.dkr.ecr.%s.amazonaws.com%s", c->account, c->region,
                 im + 2);
    else
        snprintf(e->image, sizeof e->image, "%s", im);
}

/* An inline buildspec (escaped newlines and quotes on the wire) or a path. */
static void buildspec(struct rng *r, struct sb *out)
{
    out->len = 0;
    sb_add(out, "", 0);
    if (rpct(r, 55)) {
        static const char *const paths[] = {"buildspec.yml", "buildspecs/integration.yml",
                                            "ci/buildspec-release.yaml", "infra/buildspec.yml",
                                            "batchspec.yml"};
        sb_adds(out, PICK(r, paths));
        return;
    }
    sb_adds(out, "version: 0.2\n");
    if (rpct(r, 50))
        sb_adds(out, "env:\n  shell: bash\n");
    sb_adds(out, "phases:\n  install:\n    runtime-versions:\n      nodejs: 20\n  build:\n"
                 "    commands:\n");
    unsigned nc = 1 + rn(r, 4), first = rn(r, (unsigned)N_(cmds));
    for (unsigned i = 0; i < nc; i++)
        sb_addf(out, "      - %s\n", cmds[(first + i * 5) % N_(cmds)]);
    if (rpct(r, 50))
        sb_adds(out, "artifacts:\n  files:\n    - '**/*'\n  base-directory: dist\n");
}

/* ---- shared structures ---------------------------------------------------------------- */

/* Environment variables: each name with the kind of value projects give it. */
enum vkind {
    V_STAGE,
    V_REGION,
    V_REPO,
    V_TAG,
    V_LEVEL,
    V_JVM,
    V_GOFLAGS,
    V_FLAGS_JSON,
    V_BUCKET,
    V_ONE,
    V_TRUE,
    V_TITLE_UNICODE,
    V_NOTES_MULTILINE,
    V_ECR,
    V_NUMBER,
    V_URL,
    V_REGISTRY,
    V_SEMVER,
    V_NAMESPACE,
    V_PARAM,
    V_SECRET
};
static const struct {
    const char *name;
    enum vkind kind;
} env_names[] = {
    {"NODE_ENV", V_STAGE},
    {"AWS_DEFAULT_REGION", V_REGION},
    {"IMAGE_REPO_NAME", V_REPO},
    {"IMAGE_TAG", V_TAG},
    {"DEPLOY_STAGE", V_STAGE},
    {"LOG_LEVEL", V_LEVEL},
    {"JAVA_OPTS", V_JVM},
    {"MAVEN_OPTS", V_JVM},
    {"GOFLAGS", V_GOFLAGS},
    {"TF_VAR_environment", V_STAGE},
    {"FEATURE_FLAGS", V_FLAGS_JSON},
    {"DEPLOY_BUCKET", V_BUCKET},
    {"PYTHONUNBUFFERED", V_ONE},
    {"CI", V_TRUE},
    {"SITE_TITLE", V_TITLE_UNICODE},
    {"RELEASE_NOTES", V_NOTES_MULTILINE},
    {"ECR_REGISTRY", V_ECR},
    {"BUILD_SHARDS", V_NUMBER},
    {"SLACK_WEBHOOK_URL", V_URL},
    {"CYPRESS_BASE_URL", V_URL},
    {"NPM_CONFIG_REGISTRY", V_REGISTRY},
    {"DOCKER_BUILDKIT", V_ONE},
    {"HELM_CHART_VERSION", V_SEMVER},
    {"KUBE_NAMESPACE", V_NAMESPACE},
    {"DB_PASSWORD", V_PARAM},
    {"NPM_TOKEN", V_PARAM},
    {"SONAR_TOKEN", V_PARAM},
    {"GITHUB_TOKEN", V_SECRET},
    {"DOCKERHUB_PASSWORD", V_SECRET},
    {"API_KEY", V_SECRET},
};

static void env_var(struct rng *r, struct jw *w, const struct ctx *c, unsigned which,
                    bool want_type)
{
    char val[512], h[16];
    const char *type = "PLAINTEXT";
    switch (env_names[which].kind) {
    case V_STAGE:
        snprintf(val, sizeof val, "%s",
                 PICK(r, ((const char *const[]){"production", "staging", "dev", "test"})));
        break;
    case V_REGION:
        snprintf(val, sizeof val, "%s", c->region);
        break;
    case V_REPO:
        snprintf(val, sizeof val, "%s/%s", c->org, c->repo);
        break;
    case V_TAG:
        hexstr(r, h, 7);
        snprintf(val, sizeof val, "%s", rpct(r, 50) ? h : "latest");
        break;
    case V_LEVEL:
        snprintf(val, sizeof val, "%s", PICK(r, ((const char *const[]){"info", "debug", "warn"})));
        break;
    case V_JVM:
        snprintf(val, sizeof val, "-Xmx%ug -XX:+UseG1GC -Dfile.encoding=UTF-8", 1 + rn(r, 8));
        break;
    case V_GOFLAGS:
        snprintf(val, sizeof val, "-mod=readonly -trimpath");
        break;
    case V_FLAGS_JSON:
        snprintf(val, sizeof val,
                 "{\"checkout_v2\":%s,\"dark_mode\":false,\"rollout\":[\"eu\",\"us\"]}",
                 rpct(r, 50) ? "true" : "false");
        break;
    case V_BUCKET:
        snprintf(val, sizeof val, "%s-site-%s", c->org, c->region);
        break;
    case V_ONE:
        snprintf(val, sizeof val, "1");
        break;
    case V_TRUE:
        snprintf(val, sizeof val, "true");
        break;
    case V_TITLE_UNICODE:
        snprintf(val, sizeof val, "%s", PICK(r, unicode_vals));
        break;
    case V_NOTES_MULTILINE:
        snprintf(val, sizeof val,
                 "Fixes:\n- retry on \"ThrottlingException\"\n- C:\\build\\out\tpaths");
        break;
    case V_ECR:
        snprintf(val, sizeof val, "%s.dkr.ecr.%s.amazonaws.com", c->account, c->region);
        break;
    case V_NUMBER:
        snprintf(val, sizeof val, "%u", 1 + rn(r, 16));
        break;
    case V_URL:
        if (env_names[which].name[0] != 'S') {
            snprintf(val, sizeof val, "https://%s.%s.example.com/",
                     rpct(r, 50) ? "staging" : "preview", c->org);
            break;
        }
        b64str(r, h, 12);
        snprintf(val, sizeof val, "https://hooks.slack.com/services/T0%s/B0%s/%s", c->account + 6,
                 c->account + 4, h);
        break;
    case V_REGISTRY:
        snprintf(val, sizeof val, "https://%s-%s.d.codeartifact.%s.amazonaws.com/npm/npm-store/",
                 c->org, c->account, c->region);
        break;
    case V_SEMVER:
        snprintf(val, sizeof val, "%u.%u.%u", rn(r, 3), rn(r, 30), rn(r, 12));
        break;
    case V_NAMESPACE:
        snprintf(val, sizeof val, "%s", c->repo);
        break;
    case V_PARAM:
        type = "PARAMETER_STORE";
        snprintf(val, sizeof val, "/%s/%s/%s", c->repo, rpct(r, 50) ? "prod" : "staging",
                 env_names[which].name);
        break;
    case V_SECRET:
        type = "SECRETS_MANAGER";
        b64str(r, h, 6);
        if (rpct(r, 50))
            snprintf(val, sizeof val,
                     "arn:aws:secretsmanager:%s:%s:secret:ci/%s-%s:token::", c->region, c->account,
                     c->repo, h);
        else
            snprintf(val, sizeof val, "ci/%s:%s", c->repo, env_names[which].name);
        break;
    }
    jw_obj(w);
    kstr(w, "name", env_names[which].name);
    kstr(w, "value", val);
    if (want_type || strcmp(type, "PLAINTEXT") != 0)
        kstr(w, "type", type);
    jw_end_obj(w);
}

/* n distinct variables, in a random order. */
static void env_vars(struct rng *r, struct jw *w, const struct ctx *c, unsigned n, bool want_type)
{
    unsigned idx[N_(env_names)];
    for (unsigned i = 0; i < N_(env_names); i++)
        idx[i] = i;
    if (n > N_(env_names))
        n = N_(env_names);
    jw_arr(w);
    for (unsigned i = 0; i < n; i++) {
        unsigned j = i + rn(r, (unsigned)N_(env_names) - i);
        unsigned t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        env_var(r, w, c, idx[i], want_type);
    }
    jw_end_arr(w);
}

static void project_source(struct rng *r, struct jw *w, const struct ctx *c, const char *ident,
                           bool full)
{
    char loc[1024];
    const char *type = PICK(r, source_types);
    const char *repo = ident ? ident : c->repo;
    source_location(r, c, type, repo, loc, sizeof loc);
    jw_obj(w);
    kstr(w, "type", type);
    kstr(w, "location", loc);
    bool git = strcmp(type, "S3") != 0;
    if (git && (full || rpct(r, 50)))
        kint(w, "gitCloneDepth", PICK(r, ((const int[]){0, 1, 1, 5, 25})));
    if (git && (full || rpct(r, 30))) {
        jw_key(w, "gitSubmodulesConfig");
        jw_obj(w);
        kbool(w, "fetchSubmodules", rpct(r, 30));
        jw_end_obj(w);
    }
    if (full || rpct(r, 30)) {
        struct sb bs = {0};
        buildspec(r, &bs);
        kstr(w, "buildspec", bs.p);
        free(bs.p);
    }
    if (full && git && rpct(r, 40)) {
        char u[37];
        uuid(r, u);
        jw_key(w, "auth");
        jw_obj(w);
        kstr(w, "type", "CODECONNECTIONS");
        char res[1024];
        snprintf(res, sizeof res, "arn:aws:codeconnections:%s:%s:connection/%s", c->region,
                 c->account, u);
        kstr(w, "resource", res);
        jw_end_obj(w);
    }
    if (git && (full || rpct(r, 30)))
        kbool(w, "reportBuildStatus", rpct(r, 70));
    if (full && git && rpct(r, 40)) {
        jw_key(w, "buildStatusConfig");
        jw_obj(w);
        char ctxname[64];
        snprintf(ctxname, sizeof ctxname, "AWS CodeBuild (%s)", c->region);
        kstr(w, "context", ctxname);
        char url[1024];
        snprintf(url, sizeof url,
                 "https://%s.console.aws.amazon.com/codesuite/codebuild/projects/%s/history",
                 c->region, c->project);
        kstr(w, "targetUrl", url);
        jw_end_obj(w);
    }
    if (full || rpct(r, 30))
        kbool(w, "insecureSsl", false);
    if (ident)
        kstr(w, "sourceIdentifier", ident);
    jw_end_obj(w);
}

static void cloudwatch_logs(struct rng *r, struct jw *w, const struct ctx *c, bool enabled)
{
    jw_obj(w);
    kstr(w, "status", enabled ? "ENABLED" : "DISABLED");
    if (enabled && rpct(r, 70)) {
        char g[1024];
        snprintf(g, sizeof g, "/aws/codebuild/%s", c->project);
        kstr(w, "groupName", g);
        if (rpct(r, 50))
            kstr(w, "streamName", "batch");
    }
    jw_end_obj(w);
}

static void s3_logs(struct rng *r, struct jw *w, const struct ctx *c, bool enabled)
{
    jw_obj(w);
    kstr(w, "status", enabled ? "ENABLED" : "DISABLED");
    if (enabled) {
        char loc[1024];
        snprintf(loc, sizeof loc, "%s/build-logs/%s", c->bucket, c->project);
        kstr(w, "location", loc);
    }
    kbool(w, "encryptionDisabled", false);
    if (enabled && rpct(r, 50))
        kstr(w, "bucketOwnerAccess", PICK(r, ((const char *const[]){"NONE", "READ_ONLY", "FULL"})));
    jw_end_obj(w);
}

static void cache(struct rng *r, struct jw *w, const struct ctx *c)
{
    jw_obj(w);
    unsigned k = rn(r, 3);
    if (k == 0) {
        kstr(w, "type", "NO_CACHE");
    } else if (k == 1) {
        kstr(w, "type", "S3");
        char loc[1024];
        snprintf(loc, sizeof loc, "%s/cache/%s", c->bucket, c->project);
        kstr(w, "location", loc);
        if (rpct(r, 30))
            kstr(w, "cacheNamespace", c->repo);
    } else {
        kstr(w, "type", "LOCAL");
        jw_key(w, "modes");
        jw_arr(w);
        static const char *const modes[] = {"LOCAL_DOCKER_LAYER_CACHE", "LOCAL_SOURCE_CACHE",
                                            "LOCAL_CUSTOM_CACHE"};
        unsigned n = 1 + rn(r, 3);
        for (unsigned i = 0; i < n; i++)
            jw_str(w, modes[i]);
        jw_end_arr(w);
    }
    jw_end_obj(w);
}

static void project_artifacts(struct rng *r, struct jw *w, const struct ctx *c, const char *ident)
{
    jw_obj(w);
    if (!ident && rpct(r, 20)) {
        kstr(w, "type", "NO_ARTIFACTS");
        jw_end_obj(w);
        return;
    }
    kstr(w, "type", "S3");
    kstr(w, "location", c->bucket);
    if (rpct(r, 70)) {
        char p[1024];
        snprintf(p, sizeof p, "artifacts/%s", c->project);
        kstr(w, "path", p);
    }
    if (rpct(r, 60))
        kstr(w, "namespaceType", rpct(r, 50) ? "BUILD_ID" : "NONE");
    if (rpct(r, 60))
        kstr(w, "name", ident ? ident : "output.zip");
    if (rpct(r, 60))
        kstr(w, "packaging", rpct(r, 60) ? "ZIP" : "NONE");
    if (rpct(r, 40))
        kbool(w, "overrideArtifactName", rpct(r, 50));
    if (rpct(r, 40))
        kbool(w, "encryptionDisabled", false);
    if (ident)
        kstr(w, "artifactIdentifier", ident);
    if (rpct(r, 30))
        kstr(w, "bucketOwnerAccess", rpct(r, 50) ? "FULL" : "READ_ONLY");
    jw_end_obj(w);
}

/* ---- StartBuildBatch requests ---------------------------------------------------------- */

static void gen_request(struct rng *r, struct jw *w)
{
    struct ctx c;
    make_ctx(r, &c);
    /* richness: 0 sends only the project (and maybe a version); 10 sends nearly everything */
    unsigned rich = rn(r, 11);
    unsigned p = rich * 10;
    char tmp[1024];

    jw_obj(w);
    if (rich == 0 && rpct(r, 50)) {
        /* the smallest realistic request: a long project name */
        snprintf(tmp, sizeof tmp, "%s-%s%s", c.org, c.project, rpct(r, 50) ? "-pipeline" : "");
        kstr(w, "projectName", tmp);
    } else {
        kstr(w, "projectName", c.project);
    }
    if (rich == 0 || rpct(r, p)) {
        source_version(r, tmp, sizeof tmp);
        kstr(w, "sourceVersion", tmp);
    }
    unsigned nsec = 0;
    const char *ids[4];
    if (rpct(r, p / 2)) {
        nsec = 1 + rn(r, 3);
        unsigned first = rn(r, (unsigned)N_(identifiers));
        for (unsigned i = 0; i < nsec; i++)
            ids[i] = identifiers[(first + i) % N_(identifiers)];
        jw_key(w, "secondarySourcesOverride");
        jw_arr(w);
        for (unsigned i = 0; i < nsec; i++)
            project_source(r, w, &c, ids[i], false);
        jw_end_arr(w);
        if (rpct(r, 70)) {
            jw_key(w, "secondarySourcesVersionOverride");
            jw_arr(w);
            for (unsigned i = 0; i < nsec; i++) {
                jw_obj(w);
                kstr(w, "sourceIdentifier", ids[i]);
                source_version(r, tmp, sizeof tmp);
                kstr(w, "sourceVersion", tmp);
                jw_end_obj(w);
            }
            jw_end_arr(w);
        }
    }
    if (rpct(r, p / 2)) {
        jw_key(w, "artifactsOverride");
        project_artifacts(r, w, &c, NULL);
    }
    if (rpct(r, p / 4)) {
        jw_key(w, "secondaryArtifactsOverride");
        jw_arr(w);
        unsigned n = 1 + rn(r, 2);
        for (unsigned i = 0; i < n; i++)
            project_artifacts(r, w, &c, i ? "reports" : "bundle");
        jw_end_arr(w);
    }
    if (rpct(r, p)) {
        jw_key(w, "environmentVariablesOverride");
        env_vars(r, w, &c, 1 + rn(r, 1 + rich * 2), rpct(r, 50));
    }
    if (rpct(r, p / 3)) {
        const char *t = PICK(r, source_types);
        kstr(w, "sourceTypeOverride", t);
        source_location(r, &c, t, c.repo, tmp, sizeof tmp);
        kstr(w, "sourceLocationOverride", tmp);
        if (strcmp(t, "S3") != 0 && rpct(r, 50)) {
            char u[37];
            uuid(r, u);
            jw_key(w, "sourceAuthOverride");
            jw_obj(w);
            kstr(w, "type", rpct(r, 70) ? "CODECONNECTIONS" : "OAUTH");
            snprintf(tmp, sizeof tmp, "arn:aws:codeconnections:%s:%s:connection/%s", c.region,
                     c.account, u);
            kstr(w, "resource", tmp);
            jw_end_obj(w);
        }
    }
    if (rpct(r, p / 3))
        kint(w, "gitCloneDepthOverride", PICK(r, ((const int[]){0, 1, 1, 10, 50})));
    if (rpct(r, p / 4)) {
        jw_key(w, "gitSubmodulesConfigOverride");
        jw_obj(w);
        kbool(w, "fetchSubmodules", rpct(r, 50));
        jw_end_obj(w);
    }
    if (rpct(r, p / 2)) {
        struct sb bs = {0};
        buildspec(r, &bs);
        kstr(w, "buildspecOverride", bs.p);
        free(bs.p);
    }
    if (rpct(r, p / 5))
        kbool(w, "insecureSslOverride", false);
    if (rpct(r, p / 3))
        kbool(w, "reportBuildBatchStatusOverride", true);
    if (rpct(r, p / 2)) {
        struct env_choice e;
        pick_env(r, &c, &e);
        kstr(w, "environmentTypeOverride", e.type);
        kstr(w, "imageOverride", e.image);
        kstr(w, "computeTypeOverride", e.compute);
    }
    if (rpct(r, p / 6)) {
        snprintf(tmp, sizeof tmp, "%s/certs/internal-ca.pem", c.bucket);
        kstr(w, "certificateOverride", tmp);
    }
    if (rpct(r, p / 3)) {
        jw_key(w, "cacheOverride");
        cache(r, w, &c);
    }
    if (rpct(r, p / 3)) {
        role_arn(r, &c, tmp, sizeof tmp);
        kstr(w, "serviceRoleOverride", tmp);
    }
    if (rpct(r, p / 3))
        kbool(w, "privilegedModeOverride", rpct(r, 70));
    if (rpct(r, p / 2))
        kint(w, "buildTimeoutInMinutesOverride",
             PICK(r, ((const int[]){5, 15, 30, 60, 60, 90, 120, 240, 480, 2160})));
    if (rpct(r, p / 3))
        kint(w, "queuedTimeoutInMinutesOverride", PICK(r, ((const int[]){5, 30, 60, 120, 480})));
    if (rpct(r, p / 4)) {
        kms_key(r, &c, tmp, sizeof tmp);
        kstr(w, "encryptionKeyOverride", tmp);
    }
    if (rpct(r, 40)) {
        char u[37];
        uuid(r, u);
        kstr(w, "idempotencyToken", u);
    }
    if (rpct(r, p / 3)) {
        jw_key(w, "logsConfigOverride");
        jw_obj(w);
        jw_key(w, "cloudWatchLogs");
        cloudwatch_logs(r, w, &c, rpct(r, 80));
        if (rpct(r, 60)) {
            jw_key(w, "s3Logs");
            s3_logs(r, w, &c, rpct(r, 50));
        }
        jw_end_obj(w);
    }
    if (rpct(r, p / 5)) {
        char sfx[8];
        b64str(r, sfx, 6);
        jw_key(w, "registryCredentialOverride");
        jw_obj(w);
        snprintf(tmp, sizeof tmp, "arn:aws:secretsmanager:%s:%s:secret:dockerhub-%s", c.region,
                 c.account, sfx);
        kstr(w, "credential", tmp);
        kstr(w, "credentialProvider", "SECRETS_MANAGER");
        jw_end_obj(w);
        kstr(w, "imagePullCredentialsTypeOverride", "SERVICE_ROLE");
    } else if (rpct(r, p / 5)) {
        kstr(w, "imagePullCredentialsTypeOverride", "CODEBUILD");
    }
    if (rpct(r, p / 2)) {
        jw_key(w, "buildBatchConfigOverride");
        jw_obj(w);
        if (rpct(r, 70)) {
            role_arn(r, &c, tmp, sizeof tmp);
            kstr(w, "serviceRole", tmp);
        }
        if (rpct(r, 60))
            kbool(w, "combineArtifacts", rpct(r, 50));
        if (rpct(r, 70)) {
            jw_key(w, "restrictions");
            jw_obj(w);
            kint(w, "maximumBuildsAllowed", PICK(r, ((const int[]){5, 10, 20, 50, 100})));
            if (rpct(r, 70)) {
                jw_key(w, "computeTypesAllowed");
                jw_arr(w);
                unsigned n = 1 + rn(r, 3);
                for (unsigned i = 0; i < n; i++)
                    jw_str(w, compute_types[i]);
                jw_end_arr(w);
            }
            if (rpct(r, 20)) {
                jw_key(w, "fleetsAllowed");
                jw_arr(w);
                char u[37];
                uuid(r, u);
                snprintf(tmp, sizeof tmp, "arn:aws:codebuild:%s:%s:fleet/%s-fleet:%s", c.region,
                         c.account, c.repo, u);
                jw_str(w, tmp);
                jw_end_arr(w);
            }
            jw_end_obj(w);
        }
        if (rpct(r, 60))
            kint(w, "timeoutInMins", PICK(r, ((const int[]){30, 60, 120, 240, 480})));
        if (rpct(r, 50))
            kstr(w, "batchReportMode",
                 rpct(r, 50) ? "REPORT_INDIVIDUAL_BUILDS" : "REPORT_AGGREGATED_BATCH");
        jw_end_obj(w);
    }
    if (rpct(r, p / 5))
        kbool(w, "debugSessionEnabled", false);
    jw_end_obj(w);
}

/* ---- RetryBuild responses --------------------------------------------------------------- */

static const char *const phase_names[] = {
    "SUBMITTED", "QUEUED",     "PROVISIONING",     "DOWNLOAD_SOURCE", "INSTALL",  "PRE_BUILD",
    "BUILD",     "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING",      "COMPLETED"};

static void gen_response(struct rng *r, struct jw *w)
{
    struct ctx c;
    make_ctx(r, &c);
    char tmp[512], u[37];
    bool sci = rpct(r, 60); /* timestamps as 1.700000123456E9 */
    uuid(r, u);

    /* how far the build got: 2 (just submitted) .. 11 (complete) phases */
    unsigned nphases = 2 + rn(r, 10);
    bool complete = nphases == 11;
    bool failed = !complete ? false : rpct(r, 25);
    long long t0 = 1700000000000ll + (long long)(rnext(r) % 40000000000ull);

    jw_obj(w);
    jw_key(w, "build");
    jw_obj(w);
    snprintf(tmp, sizeof tmp, "%s:%s", c.project, u);
    kstr(w, "id", tmp);
    snprintf(tmp, sizeof tmp, "arn:aws:codebuild:%s:%s:build/%s:%s", c.region, c.account, c.project,
             u);
    kstr(w, "arn", tmp);
    kint(w, "buildNumber", 1 + rn(r, 25000));
    jw_key(w, "startTime");
    jw_time(w, t0, sci);

    /* phase timings */
    long long starts[11], ends[11];
    long long t = t0;
    for (unsigned i = 0; i < nphases; i++) {
        static const int typical[] = {1, 2, 40, 6, 25, 8, 180, 10, 5, 3, 0};
        long long d =
            (long long)typical[i] * 1000 + (long long)rn(r, (unsigned)typical[i] * 800 + 900);
        starts[i] = t;
        ends[i] = t + d;
        t += d;
    }
    if (complete) {
        jw_key(w, "endTime");
        jw_time(w, ends[nphases - 2], sci);
    }
    kstr(w, "currentPhase", phase_names[nphases - 1]);
    kstr(w, "buildStatus", complete ? (failed ? "FAILED" : "SUCCEEDED") : "IN_PROGRESS");
    char sv[64];
    source_version(r, sv, sizeof sv);
    kstr(w, "sourceVersion", sv);
    if (nphases > 4) {
        hexstr(r, tmp, 40);
        kstr(w, "resolvedSourceVersion", tmp);
    }
    kstr(w, "projectName", c.project);

    jw_key(w, "phases");
    jw_arr(w);
    for (unsigned i = 0; i < nphases; i++) {
        bool last = i == nphases - 1;
        bool done = !last || complete;
        jw_obj(w);
        kstr(w, "phaseType", phase_names[i]);
        if (done && phase_names[i][0] != 'C')
            kstr(w, "phaseStatus", failed && i == 6 ? "FAILED" : "SUCCEEDED");
        jw_key(w, "startTime");
        jw_time(w, starts[i], sci);
        if (done && phase_names[i][0] != 'C') {
            jw_key(w, "endTime");
            jw_time(w, ends[i], sci);
            kint(w, "durationInSeconds", (ends[i] - starts[i]) / 1000);
            if (i >= 2) {
                jw_key(w, "contexts");
                jw_arr(w);
                jw_obj(w);
                if (failed && i == 6) {
                    kstr(w, "statusCode", "COMMAND_EXECUTION_ERROR");
                    snprintf(tmp, sizeof tmp,
                             "Error while executing command: %s. Reason: exit status %u",
                             PICK(r, cmds), 1 + rn(r, 2));
                    kstr(w, "message", tmp);
                } else {
                    kstr(w, "statusCode", "");
                    kstr(w, "message", "");
                }
                jw_end_obj(w);
                jw_end_arr(w);
            }
        }
        jw_end_obj(w);
    }
    jw_end_arr(w);

    jw_key(w, "source");
    project_source(r, w, &c, NULL, true);

    unsigned nsec = rpct(r, 45) ? 1 + rn(r, 3) : 0;
    const char *ids[4];
    unsigned first = rn(r, (unsigned)N_(identifiers));
    for (unsigned i = 0; i < nsec; i++)
        ids[i] = identifiers[(first + i) % N_(identifiers)];
    jw_key(w, "secondarySources");
    jw_arr(w);
    for (unsigned i = 0; i < nsec; i++)
        project_source(r, w, &c, ids[i], rpct(r, 50));
    jw_end_arr(w);
    jw_key(w, "secondarySourceVersions");
    jw_arr(w);
    for (unsigned i = 0; i < nsec; i++) {
        jw_obj(w);
        kstr(w, "sourceIdentifier", ids[i]);
        hexstr(r, tmp, 40);
        kstr(w, "sourceVersion", tmp);
        jw_end_obj(w);
    }
    jw_end_arr(w);

    jw_key(w, "artifacts");
    jw_obj(w);
    if (rpct(r, 80)) {
        snprintf(tmp, sizeof tmp, "arn:aws:s3:::%s/artifacts/%s/%s/output.zip", c.bucket, c.project,
                 u);
        kstr(w, "location", tmp);
        if (complete) {
            hexstr(r, tmp, 64);
            kstr(w, "sha256sum", tmp);
            hexstr(r, tmp, 32);
            kstr(w, "md5sum", tmp);
        }
        kbool(w, "overrideArtifactName", false);
        kbool(w, "encryptionDisabled", false);
        if (rpct(r, 40))
            kstr(w, "bucketOwnerAccess",
                 PICK(r, ((const char *const[]){"NONE", "READ_ONLY", "FULL"})));
    } else {
        kstr(w, "location", "");
    }
    jw_end_obj(w);
    jw_key(w, "secondaryArtifacts");
    jw_arr(w);
    if (rpct(r, 30)) {
        jw_obj(w);
        snprintf(tmp, sizeof tmp, "arn:aws:s3:::%s/reports/%s/%s", c.bucket, c.project, u);
        kstr(w, "location", tmp);
        kstr(w, "artifactIdentifier", "reports");
        kbool(w, "encryptionDisabled", false);
        jw_end_obj(w);
    }
    jw_end_arr(w);

    jw_key(w, "cache");
    cache(r, w, &c);

    jw_key(w, "environment");
    jw_obj(w);
    struct env_choice e;
    pick_env(r, &c, &e);
    kstr(w, "type", e.type);
    kstr(w, "image", e.image);
    kstr(w, "computeType", e.compute);
    if (!strcmp(e.compute, "ATTRIBUTE_BASED_COMPUTE")) {
        jw_key(w, "computeConfiguration");
        jw_obj(w);
        kint(w, "vCpu", PICK(r, ((const int[]){2, 4, 8, 16})));
        kint(w, "memory", PICK(r, ((const int[]){4, 8, 16, 32})));
        kint(w, "disk", PICK(r, ((const int[]){64, 128, 256})));
        kstr(w, "machineType", rpct(r, 70) ? "GENERAL" : "NVME");
        jw_end_obj(w);
    }
    jw_key(w, "environmentVariables");
    env_vars(r, w, &c, rn(r, 14), true);
    kbool(w, "privilegedMode", rpct(r, 40));
    bool svc_role_pull = rpct(r, 30);
    if (svc_role_pull && rpct(r, 50)) {
        char sfx[8];
        b64str(r, sfx, 6);
        jw_key(w, "registryCredential");
        jw_obj(w);
        snprintf(tmp, sizeof tmp, "arn:aws:secretsmanager:%s:%s:secret:dockerhub-%s", c.region,
                 c.account, sfx);
        kstr(w, "credential", tmp);
        kstr(w, "credentialProvider", "SECRETS_MANAGER");
        jw_end_obj(w);
    }
    kstr(w, "imagePullCredentialsType", svc_role_pull ? "SERVICE_ROLE" : "CODEBUILD");
    jw_end_obj(w);

    role_arn(r, &c, tmp, sizeof tmp);
    kstr(w, "serviceRole", tmp);

    jw_key(w, "logs");
    jw_obj(w);
    if (nphases > 2) {
        char g[1024];
        snprintf(g, sizeof g, "/aws/codebuild/%s", c.project);
        kstr(w, "groupName", g);
        kstr(w, "streamName", u);
        snprintf(tmp, sizeof tmp,
                 "https://console.aws.amazon.com/cloudwatch/home?region=%s#logsV2:log-groups/"
                 "log-group/$252Faws$252Fcodebuild$252F%s/log-events/%s",
                 c.region, c.project, u);
        kstr(w, "deepLink", tmp);
        snprintf(tmp, sizeof tmp, "arn:aws:logs:%s:%s:log-group:/aws/codebuild/%s:log-stream:%s",
                 c.region, c.account, c.project, u);
        kstr(w, "cloudWatchLogsArn", tmp);
    } else {
        kstr(w, "deepLink",
             "https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=null;"
             "stream=null");
    }
    jw_key(w, "cloudWatchLogs");
    cloudwatch_logs(r, w, &c, true);
    jw_key(w, "s3Logs");
    s3_logs(r, w, &c, rpct(r, 25));
    jw_end_obj(w);

    kint(w, "timeoutInMinutes", PICK(r, ((const int[]){15, 30, 60, 60, 120, 480, 2160})));
    kint(w, "queuedTimeoutInMinutes", PICK(r, ((const int[]){60, 240, 480})));
    kbool(w, "buildComplete", complete);
    const char *ini = PICK(r, initiators);
    if (strchr(ini, '%'))
        snprintf(tmp, sizeof tmp, "arn:aws:sts::%s:assumed-role/deploy/bob", c.account);
    else
        snprintf(tmp, sizeof tmp, "%s", ini);
    kstr(w, "initiator", tmp);

    if (rpct(r, 40)) {
        char h[18];
        jw_key(w, "vpcConfig");
        jw_obj(w);
        hexstr(r, h, 17);
        snprintf(tmp, sizeof tmp, "vpc-%s", h);
        kstr(w, "vpcId", tmp);
        jw_key(w, "subnets");
        jw_arr(w);
        unsigned ns = 1 + rn(r, 3);
        char first_subnet[64] = "";
        for (unsigned i = 0; i < ns; i++) {
            hexstr(r, h, 17);
            snprintf(tmp, sizeof tmp, "subnet-%s", h);
            if (!i)
                snprintf(first_subnet, sizeof first_subnet, "subnet-%s", h);
            jw_str(w, tmp);
        }
        jw_end_arr(w);
        jw_key(w, "securityGroupIds");
        jw_arr(w);
        unsigned ng = 1 + rn(r, 2);
        for (unsigned i = 0; i < ng; i++) {
            hexstr(r, h, 17);
            snprintf(tmp, sizeof tmp, "sg-%s", h);
            jw_str(w, tmp);
        }
        jw_end_arr(w);
        jw_end_obj(w);
        if (nphases > 2) {
            jw_key(w, "networkInterface");
            jw_obj(w);
            kstr(w, "subnetId", first_subnet);
            hexstr(r, h, 17);
            snprintf(tmp, sizeof tmp, "eni-%s", h);
            kstr(w, "networkInterfaceId", tmp);
            jw_end_obj(w);
        }
    }
    kms_key(r, &c, tmp, sizeof tmp);
    kstr(w, "encryptionKey", tmp);

    if (nphases > 7 && rpct(r, 50)) {
        jw_key(w, "exportedEnvironmentVariables");
        jw_arr(w);
        unsigned n = 1 + rn(r, 3);
        for (unsigned i = 0; i < n; i++) {
            jw_obj(w);
            static const char *const ex[] = {"IMAGE_URI", "ARTIFACT_VERSION", "COMMIT_SHORT",
                                             "CHANGELOG"};
            kstr(w, "name", ex[i]);
            if (i == 3)
                kstr(w, "value", "* fix: retry on ThrottlingException\n* feat: \"batch\" mode");
            else {
                hexstr(r, tmp, 8);
                kstr(w, "value", tmp);
            }
            jw_end_obj(w);
        }
        jw_end_arr(w);
    }
    if (nphases > 7 && rpct(r, 50)) {
        jw_key(w, "reportArns");
        jw_arr(w);
        unsigned n = 1 + rn(r, 2);
        for (unsigned i = 0; i < n; i++) {
            uuid(r, u);
            snprintf(tmp, sizeof tmp, "arn:aws:codebuild:%s:%s:report/%s-%s:%s", c.region,
                     c.account, c.project, i ? "coverage" : "junit", u);
            jw_str(w, tmp);
        }
        jw_end_arr(w);
    }
    if (rpct(r, 10)) {
        jw_key(w, "fileSystemLocations");
        jw_arr(w);
        jw_obj(w);
        kstr(w, "type", "EFS");
        char h[18];
        hexstr(r, h, 8);
        snprintf(tmp, sizeof tmp, "fs-%s.efs.%s.amazonaws.com:/cache", h, c.region);
        kstr(w, "location", tmp);
        kstr(w, "mountPoint", "/mnt/efs/cache");
        kstr(w, "identifier", "shared_cache");
        kstr(w, "mountOptions", "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2");
        jw_end_obj(w);
        jw_end_arr(w);
    }
    if (rpct(r, 20)) {
        jw_key(w, "debugSession");
        jw_obj(w);
        kbool(w, "sessionEnabled", false);
        jw_end_obj(w);
    }
    if (rpct(r, 35)) {
        uuid(r, u);
        snprintf(tmp, sizeof tmp, "arn:aws:codebuild:%s:%s:build-batch/%s:%s", c.region, c.account,
                 c.project, u);
        kstr(w, "buildBatchArn", tmp);
    }
    if (rpct(r, 30)) {
        jw_key(w, "autoRetryConfig");
        jw_obj(w);
        kint(w, "autoRetryLimit", 2);
        kint(w, "autoRetryNumber", rn(r, 3));
        if (rpct(r, 50)) {
            uuid(r, u);
            snprintf(tmp, sizeof tmp, "%s:%s", c.project, u);
            kstr(w, "previousAutoRetry", tmp);
        }
        jw_end_obj(w);
    }
    jw_end_obj(w); /* build */
    jw_end_obj(w);
}

/* ---- sets ----------------------------------------------------------------------------- */

void gen_set_make(struct gen_set *set, enum gen_kind kind, size_t n, uint64_t seed)
{
    memset(set, 0, sizeof(*set));
    set->kind = kind;
    set->docs = xrealloc(NULL, (n ? n : 1) * sizeof(*set->docs));
    /* independent streams for requests and responses */
    struct rng r = {seed ^ (kind == GEN_REQUEST ? 0x5265717565737473ull : 0x526573706f6e7365ull)};
    size_t lo = kind == GEN_REQUEST ? GEN_REQ_MIN : GEN_RESP_MIN;
    size_t hi = kind == GEN_REQUEST ? GEN_REQ_MAX : GEN_RESP_MAX;
    set->min_len = SIZE_MAX;
    struct sb b = {0};
    for (size_t i = 0; i < n; i++) {
        bool spaced = kind == GEN_REQUEST ? rpct(&r, 50) : rpct(&r, 15);
        for (;;) {
            b.len = 0;
            struct jw w = {0};
            w.b = &b;
            w.spaced = spaced;
            w.ascii_only = spaced; /* json.dumps escapes non-ASCII; the SDKs and AWS do not */
            if (kind == GEN_REQUEST)
                gen_request(&r, &w);
            else
                gen_response(&r, &w);
            if (b.len >= lo && b.len <= hi)
                break; /* else draw again: the stream stays deterministic */
        }
        struct gen_doc *d = &set->docs[i];
        d->text = xrealloc(NULL, b.len + 1);
        memcpy(d->text, b.p, b.len + 1);
        d->len = b.len;
        d->spaced = spaced;
        set->bytes += b.len;
        if (b.len < set->min_len)
            set->min_len = b.len;
        if (b.len > set->max_len)
            set->max_len = b.len;
        set->spaced += spaced;
    }
    if (!n)
        set->min_len = 0;
    set->n = n;
    free(b.p);
}

void gen_set_release(struct gen_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        free(set->docs[i].text);
    free(set->docs);
    memset(set, 0, sizeof(*set));
}
