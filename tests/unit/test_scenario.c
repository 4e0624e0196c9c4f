/*
 * test_scenario.c - scenarios (docs/scenarios.md) without sockets.
 *
 *  (a) the pure functions of scenarios/scenario_match.c: every body matcher kind, header
 *      matchers, schedules over calls 1..100 (expected fire sets written out), latency kinds
 *      (fixed exact, uniform in bounds, lognormal median and cap over 10,000 draws), and
 *      template rendering;
 *  (b) the loader: every scenario in scenarios/ loads; bad scenarios give EXACTLY the located
 *      diagnostics expected (line:column, path, message), and no scenario is returned;
 *  (c) the run-time through cbk_mock_handle(): AWS errors and their statuses, decorated
 *      __type forms, canned bodies, templates, fault fields of the answer, latency, states,
 *      'valid' defaults, matchers, the scenario admin routes, the journal, seeded builds in a
 *      strict world, and idempotency tokens with the clock moved through the admin API.
 */
#include "core/setup.h"

#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "core/regex.h"

#include "cbkit/cbkit.h"
#include "cbkit/services.h"
#include "services/codebuild/service.h"
#include "cbkit/scenario.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/jsonq.h"
#include "core/rand.h"
#include "scenarios/scenario_model.h"

#define CT_JSON11  "application/x-amz-json-1.1"
#define PREFIX     "CodeBuild_20161006."
#define URI_SUFFIX ":http://internal.amazon.com/coral/com.amazon.coral.validate/"
#define CLOCK0_MS  1735689600000LL /* 2025-01-01T00:00:00Z */

#include "tests/unit/unit_spec.h"

/* The checkout: $CBK_SOURCE_DIR (ctest), else two levels above this file. */
/* What scenario 's' seeds through the CodeBuild behaviour (NULL when it has no such key). */
static const struct cb_builds_value *builds_of(const struct cbk_scenario *s)
{
    for (size_t i = 0; i < s->nexts; i++)
        if (s->ext[i].svc == &cbk_service_codebuild)
            return s->ext[i].values[CB_KEY_BUILDS];
    return NULL;
}

static const struct cb_projects_value *projects_of(const struct cbk_scenario *s)
{
    for (size_t i = 0; i < s->nexts; i++)
        if (s->ext[i].svc == &cbk_service_codebuild)
            return s->ext[i].values[CB_KEY_PROJECTS];
    return NULL;
}

/* The environment scenarios are loaded against here: 'sp' and cbkit's behaviours. */
static const struct cbk_scenario_env *env_of(const struct cbk_spec *sp)
{
    static const struct cbk_spec *one[1];
    static struct cbk_scenario_env env;
    one[0] = sp;
    env.specs = one;
    env.nspecs = 1;
    env.services = cbk_services_builtin(&env.nservices);
    return &env;
}

static const char *source_dir(void)
{
    static char dir[4096];
    const char *env = getenv("CBK_SOURCE_DIR");
    if (env && *env)
        return env;
    snprintf(dir, sizeof dir, "%s", __FILE__);
    for (int up = 0; up < 3; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            return ".";
        *slash = '\0';
    }
    return dir;
}

/* ---- JSON helpers ---------------------------------------------------------------------------- */

static struct json_object *parse(const char *text)
{
    struct json_tokener *tok = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(tok, text, -1);
    bool ok = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    if (!ok) {
        json_object_put(o);
        fail_msg("not JSON: %s", text);
    }
    return o;
}

/* The value at a JSON pointer (NULL when absent or null). */
static struct json_object *at(struct json_object *doc, const char *ptr)
{
    struct json_object *v = NULL;
    if (!doc || !cbk_jsonq_get(doc, ptr, &v))
        return NULL;
    return v;
}

static const char *sat(struct json_object *doc, const char *ptr)
{
    struct json_object *v = at(doc, ptr);
    if (!v || !json_object_is_type(v, json_type_string))
        fail_msg("no string at %s in %s", ptr,
                 doc ? json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN) : "(null)");
    return json_object_get_string(v);
}

static int64_t iat(struct json_object *doc, const char *ptr)
{
    struct json_object *v = at(doc, ptr);
    if (!v || !json_object_is_type(v, json_type_int))
        fail_msg("no integer at %s in %s", ptr,
                 doc ? json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN) : "(null)");
    return json_object_get_int64(v);
}

static bool is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
            return false;
    }
    return true;
}

/* ======================================================================================== */
/* (a) matchers, schedules, latency, templates                                              */
/* ======================================================================================== */

static struct cbk_body_matcher bmatcher(const char *ptr, enum cbk_matcher_kind kind,
                                        const char *value_json)
{
    struct cbk_body_matcher bm;
    memset(&bm, 0, sizeof bm);
    bm.pointer = (char *)ptr;
    bm.kind = kind;
    bm.value = value_json ? parse(value_json) : NULL;
    return bm;
}

static struct cbk_regex *compile(const char *pattern)
{
    struct cbk_regex *re = cbk_regex_compile(pattern, strlen(pattern),
                                             CBK_RE_UTF | CBK_RE_DOLLAR_ENDONLY, NULL, 0, NULL);
    assert_non_null(re);
    return re;
}

/* Does the matcher hold for the document 'doc_json' (NULL: the body is not JSON)? The engine
 * must decide: an error fails the test. */
static bool holds(const struct cbk_body_matcher *bm, const char *doc_json)
{
    struct json_object *doc = doc_json ? parse(doc_json) : NULL;
    enum cbk_re_result r = cbk__scen_body_matches(bm, doc, NULL, 0);
    json_object_put(doc);
    assert_int_not_equal(r, CBK_RE_ERROR);
    return r == CBK_RE_MATCH;
}

/* Does the header matcher hold for 'value'? The same for headers. */
static bool hholds(const struct cbk_header_matcher *hm, const char *value)
{
    enum cbk_re_result r = cbk__scen_header_matches(hm, value, NULL, 0);
    assert_int_not_equal(r, CBK_RE_ERROR);
    return r == CBK_RE_MATCH;
}

static void bm_release(struct cbk_body_matcher *bm)
{
    json_object_put(bm->value);
    cbk_regex_free(bm->re);
}

static void match_equals(void **state)
{
    (void)state;
    /* objects compare member by member, whatever the order */
    struct cbk_body_matcher bm =
        bmatcher("/x", CBK_M_EQUALS, "{\"a\":1,\"b\":[1,{\"c\":true,\"d\":\"s\"}]}");
    assert_true(holds(&bm, "{\"x\":{\"b\":[1,{\"d\":\"s\",\"c\":true}],\"a\":1}}"));
    assert_true(holds(&bm, "{\"y\":0,\"x\":{\"a\":1.0,\"b\":[1,{\"c\":true,\"d\":\"s\"}]}}"));
    /* arrays keep their order; extra or missing members differ */
    assert_false(holds(&bm, "{\"x\":{\"a\":1,\"b\":[{\"c\":true,\"d\":\"s\"},1]}}"));
    assert_false(holds(&bm, "{\"x\":{\"a\":1,\"b\":[1,{\"c\":true,\"d\":\"s\"}],\"e\":0}}"));
    assert_false(holds(&bm, "{\"x\":{\"a\":1,\"b\":[1,{\"c\":true}]}}"));
    assert_false(holds(&bm, "{\"x\":{\"a\":1,\"b\":[1,{\"c\":false,\"d\":\"s\"}]}}"));
    assert_false(holds(&bm, "{}"));
    assert_false(holds(&bm, NULL));
    bm_release(&bm);

    /* 5 == 5.0 as JSON numbers; not "5", not 5.5, not true */
    bm = bmatcher("/n", CBK_M_EQUALS, "5");
    assert_true(holds(&bm, "{\"n\":5}"));
    assert_true(holds(&bm, "{\"n\":5.0}"));
    assert_true(holds(&bm, "{\"n\":5e0}"));
    assert_false(holds(&bm, "{\"n\":5.5}"));
    assert_false(holds(&bm, "{\"n\":\"5\"}"));
    assert_false(holds(&bm, "{\"n\":-5}"));
    assert_false(holds(&bm, "{\"n\":null}"));
    bm_release(&bm);
    bm = bmatcher("/n", CBK_M_EQUALS, "5.0");
    assert_true(holds(&bm, "{\"n\":5}"));
    bm_release(&bm);
    bm = bmatcher("/b", CBK_M_EQUALS, "true");
    assert_true(holds(&bm, "{\"b\":true}"));
    assert_false(holds(&bm, "{\"b\":1}"));
    assert_false(holds(&bm, "{\"b\":\"true\"}"));
    bm_release(&bm);

    /* strings exactly (case, embedded NUL-free bytes) */
    bm = bmatcher("/id", CBK_M_EQUALS, "\"my-app:1\"");
    assert_true(holds(&bm, "{\"id\":\"my-app:1\"}"));
    assert_false(holds(&bm, "{\"id\":\"My-app:1\"}"));
    assert_false(holds(&bm, "{\"id\":\"my-app:1 \"}"));
    bm_release(&bm);

    /* "" is the whole body; a member null counts as absent inside objects */
    bm = bmatcher("", CBK_M_EQUALS, "{\"id\":\"a:b\"}");
    assert_true(holds(&bm, "{\"id\":\"a:b\"}"));
    assert_true(holds(&bm, "{\"id\":\"a:b\",\"idempotencyToken\":null}"));
    assert_false(holds(&bm, "{\"id\":\"a:b\",\"x\":1}"));
    bm_release(&bm);

    /* pointers: array indexes, ~1 and ~0 escapes */
    bm = bmatcher("/vars/1/name", CBK_M_EQUALS, "\"B\"");
    assert_true(holds(&bm, "{\"vars\":[{\"name\":\"A\"},{\"name\":\"B\"}]}"));
    assert_false(holds(&bm, "{\"vars\":[{\"name\":\"A\"}]}"));
    bm_release(&bm);
    bm = bmatcher("/a~1b/c~0d", CBK_M_EQUALS, "1");
    assert_true(holds(&bm, "{\"a/b\":{\"c~d\":1}}"));
    assert_false(holds(&bm, "{\"a\":{\"b\":{\"c~d\":1}}}"));
    bm_release(&bm);
}

static void match_partial(void **state)
{
    (void)state;
    struct cbk_body_matcher bm =
        bmatcher("", CBK_M_PARTIAL,
                 "{\"environmentTypeOverride\":\"LINUX_CONTAINER\",\"logsConfigOverride\":"
                 "{\"cloudWatchLogs\":{\"status\":\"ENABLED\"}}}");
    /* at least these members, nested objects partially */
    assert_true(holds(&bm, "{\"projectName\":\"p\",\"environmentTypeOverride\":\"LINUX_CONTAINER\","
                           "\"logsConfigOverride\":{\"cloudWatchLogs\":{\"status\":\"ENABLED\","
                           "\"groupName\":\"g\"},\"s3Logs\":{\"status\":\"DISABLED\"}}}"));
    assert_false(holds(&bm, "{\"environmentTypeOverride\":\"LINUX_CONTAINER\"}"));
    assert_false(holds(&bm, "{\"environmentTypeOverride\":\"ARM_CONTAINER\",\"logsConfigOverride\":"
                            "{\"cloudWatchLogs\":{\"status\":\"ENABLED\"}}}"));
    assert_false(holds(&bm,
                       "{\"environmentTypeOverride\":\"LINUX_CONTAINER\",\"logsConfigOverride\":"
                       "{\"cloudWatchLogs\":\"ENABLED\"}}"));
    assert_false(holds(&bm, NULL));
    bm_release(&bm);

    /* arrays: the same length, element by element (partially), in order */
    bm = bmatcher("/environmentVariablesOverride", CBK_M_PARTIAL,
                  "[{\"name\":\"A\"},{\"name\":\"B\",\"type\":\"PLAINTEXT\"}]");
    assert_true(holds(&bm, "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"1\"},"
                           "{\"name\":\"B\",\"value\":\"2\",\"type\":\"PLAINTEXT\"}]}"));
    assert_false(
        holds(&bm, "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"1\"}]}"));
    assert_false(holds(&bm, "{\"environmentVariablesOverride\":[{\"name\":\"B\",\"type\":"
                            "\"PLAINTEXT\"},{\"name\":\"A\"}]}"));
    assert_false(holds(&bm, "{\"environmentVariablesOverride\":[{\"name\":\"A\"},{\"name\":\"B\"},"
                            "{\"name\":\"C\"}]}"));
    assert_false(holds(&bm, "{\"environmentVariablesOverride\":null}"));
    bm_release(&bm);

    /* an object pattern does not hold for a scalar; a scalar pattern is equality */
    bm = bmatcher("/x", CBK_M_PARTIAL, "{}");
    assert_true(holds(&bm, "{\"x\":{\"anything\":1}}"));
    assert_false(holds(&bm, "{\"x\":\"s\"}"));
    assert_false(holds(&bm, "{\"x\":[]}"));
    assert_false(holds(&bm, "{}"));
    bm_release(&bm);
}

static void match_regex(void **state)
{
    (void)state;
    struct cbk_body_matcher bm = bmatcher("/id", CBK_M_REGEX, NULL);
    bm.re = compile("app");
    /* searched, not anchored */
    assert_true(holds(&bm, "{\"id\":\"my-app:1\"}"));
    assert_true(holds(&bm, "{\"id\":\"app\"}"));
    assert_false(holds(&bm, "{\"id\":\"APP\"}"));
    /* only strings */
    assert_false(holds(&bm, "{\"id\":5}"));
    assert_false(holds(&bm, "{\"id\":[\"app\"]}"));
    assert_false(holds(&bm, "{\"id\":null}"));
    assert_false(holds(&bm, "{}"));
    assert_false(holds(&bm, NULL));
    bm_release(&bm);

    bm = bmatcher("/id", CBK_M_REGEX, NULL);
    bm.re = compile("^my-app:[0-9a-f-]+$");
    assert_true(holds(&bm, "{\"id\":\"my-app:0e2f7a52-3b6c\"}"));
    assert_false(holds(&bm, "{\"id\":\"xmy-app:0e2f\"}"));
    assert_false(holds(&bm, "{\"id\":\"my-app:0e2f\\n\"}")); /* DOLLAR_ENDONLY */
    assert_false(holds(&bm, "{\"id\":\"my-app:\"}"));
    bm_release(&bm);

    /* UTF-8 subjects */
    bm = bmatcher("/name", CBK_M_REGEX, NULL);
    bm.re = compile("^caf.$");
    assert_true(holds(&bm, "{\"name\":\"caf\\u00e9\"}"));
    bm_release(&bm);
}

/*
 * Regex engine errors are neither a match nor a non-match (issue 9: a scenario regex whose
 * match hit the JIT stack or match limit was read as "no match", so the rule silently did not
 * fire). A pattern that needs a deep JIT stack now matches request-sized values; a pattern
 * that still fails (catastrophic backtracking: the match limit) reports CBK_RE_ERROR and why.
 */
static void match_regex_engine(void **state)
{
    (void)state;
    /* "p:" + 5,000 a's: beyond PCRE2's default 32 KiB JIT stack */
    struct cbk_buf doc = CBK_BUF_INIT(1 << 20);
    cbk_buf_adds(&doc, "{\"id\":\"p:");
    for (int i = 0; i < 5000; i++)
        cbk_buf_addc(&doc, 'a');
    cbk_buf_adds(&doc, "\"}");
    struct cbk_body_matcher bm = bmatcher("/id", CBK_M_REGEX, NULL);
    bm.re = compile("^p:(a|b)*$");
    assert_true(holds(&bm, cbk_buf_str(&doc)));
    bm_release(&bm);
    cbk_buf_release(&doc);

    /* catastrophic backtracking: the match limit, reported as an error with its reason */
    bm = bmatcher("/id", CBK_M_REGEX, NULL);
    bm.re = compile("^(a+)+$");
    struct json_object *d = parse("{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}");
    char why[128] = "";
    assert_int_equal(cbk__scen_body_matches(&bm, d, why, sizeof why), CBK_RE_ERROR);
    assert_non_null(strstr(why, "limit"));
    json_object_put(d);
    bm_release(&bm);

    struct cbk_header_matcher hm;
    memset(&hm, 0, sizeof hm);
    hm.name = (char *)"X-Id";
    hm.kind = CBK_M_REGEX;
    hm.re = compile("^(a+)+$");
    why[0] = '\0';
    assert_int_equal(
        cbk__scen_header_matches(&hm, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", why, sizeof why),
        CBK_RE_ERROR);
    assert_non_null(strstr(why, "limit"));
    assert_true(hholds(&hm, "aaaa"));
    cbk_regex_free(hm.re);
}

static void match_absent_present(void **state)
{
    (void)state;
    struct cbk_body_matcher absent = bmatcher("/sourceVersion", CBK_M_ABSENT, NULL);
    struct cbk_body_matcher present = bmatcher("/sourceVersion", CBK_M_PRESENT, NULL);
    static const struct {
        const char *doc;
        bool absent;
    } cases[] = {
        {"{}", true},
        {"{\"sourceVersion\":null}", true}, /* null counts as absent */
        {"{\"sourceVersion\":\"\"}", false},
        {"{\"sourceVersion\":\"main\"}", false},
        {"{\"sourceVersion\":0}", false},
        {"{\"sourceVersion\":false}", false},
        {"{\"sourceVersion\":{}}", false},
        {"{\"other\":\"main\"}", true},
        {NULL, true}, /* a body that is not JSON has nothing */
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        assert_int_equal(holds(&absent, cases[i].doc), cases[i].absent);
        assert_int_equal(holds(&present, cases[i].doc), !cases[i].absent);
    }
    /* deeper pointers through missing parents */
    struct cbk_body_matcher deep = bmatcher("/a/b/0", CBK_M_ABSENT, NULL);
    assert_true(holds(&deep, "{\"a\":{}}"));
    assert_true(holds(&deep, "{\"a\":{\"b\":[]}}"));
    assert_false(holds(&deep, "{\"a\":{\"b\":[1]}}"));
    /* equals null is not absent: it holds for an explicit null only */
    struct cbk_body_matcher eqnull = bmatcher("/x", CBK_M_EQUALS, NULL);
    assert_true(holds(&eqnull, "{\"x\":null}"));
    assert_false(holds(&eqnull, "{}"));
    bm_release(&absent);
    bm_release(&present);
    bm_release(&deep);
    bm_release(&eqnull);
}

static void match_contains(void **state)
{
    (void)state;
    struct cbk_body_matcher bm =
        bmatcher("/environmentVariablesOverride", CBK_M_CONTAINS, "{\"name\":\"STAGE\"}");
    assert_true(holds(&bm, "{\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"1\"},"
                           "{\"name\":\"STAGE\",\"value\":\"prod\"}]}"));
    assert_false(holds(&bm, "{\"environmentVariablesOverride\":[{\"name\":\"A\"}]}"));
    assert_false(holds(&bm, "{\"environmentVariablesOverride\":[]}"));
    assert_false(holds(&bm, "{\"environmentVariablesOverride\":{\"name\":\"STAGE\"}}"));
    assert_false(holds(&bm, "{}"));
    bm_release(&bm);
    /* scalars in arrays */
    bm = bmatcher("/tags", CBK_M_CONTAINS, "\"x\"");
    assert_true(holds(&bm, "{\"tags\":[\"a\",\"x\"]}"));
    assert_false(holds(&bm, "{\"tags\":[\"a\",\"X\"]}"));
    assert_false(holds(&bm, "{\"tags\":\"x\"}"));
    bm_release(&bm);
    /* nested partial inside the element */
    bm = bmatcher("/s", CBK_M_CONTAINS, "{\"auth\":{\"type\":\"OAUTH\"}}");
    assert_true(
        holds(&bm, "{\"s\":[{\"type\":\"GITHUB\",\"auth\":{\"type\":\"OAUTH\",\"r\":1}}]}"));
    assert_false(holds(&bm, "{\"s\":[{\"type\":\"GITHUB\",\"auth\":{\"type\":\"TOKEN\"}}]}"));
    bm_release(&bm);
}

static void match_headers(void **state)
{
    (void)state;
    struct cbk_header_matcher hm;
    memset(&hm, 0, sizeof hm);
    hm.name = (char *)"User-Agent";
    hm.kind = CBK_M_EQUALS;
    hm.value = (char *)"Boto3/1.26.27";
    assert_true(hholds(&hm, "Boto3/1.26.27"));
    assert_false(hholds(&hm, "boto3/1.26.27"));
    assert_false(hholds(&hm, "Boto3/1.26.27 Python/3.11"));
    assert_false(hholds(&hm, ""));
    assert_false(hholds(&hm, NULL));

    hm.kind = CBK_M_REGEX;
    hm.value = NULL;
    hm.re = compile("^Boto3/");
    assert_true(hholds(&hm, "Boto3/1.26.27 Python/3.11.2 Botocore/1.29.27"));
    assert_false(hholds(&hm, "aws-cli/2.9.19 Python/3.11.2"));
    assert_false(hholds(&hm, "xBoto3/"));
    assert_false(hholds(&hm, NULL));
    cbk_regex_free(hm.re);
    hm.re = NULL;

    hm.kind = CBK_M_ABSENT;
    assert_true(hholds(&hm, NULL));
    assert_false(hholds(&hm, ""));
    assert_false(hholds(&hm, "x"));
    hm.kind = CBK_M_PRESENT;
    assert_false(hholds(&hm, NULL));
    assert_true(hholds(&hm, ""));
    assert_true(hholds(&hm, "x"));
}

/* The calls of 1..100 on which 's' fires ("1,2,3"); draw(i) is the draw of call i. */
static const char *fire_set(const struct cbk_schedule *s, double (*draw)(uint64_t), char *out,
                            size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (uint64_t i = 1; i <= 100; i++)
        if (cbk__scen_schedule_fires(s, i, draw ? draw(i) : 0.5))
            n += (size_t)snprintf(out + n, cap - n, "%s%" PRIu64, n ? "," : "", i);
    return out;
}

static double draw_tenths(uint64_t i)
{
    return (double)(i % 10) / 10.0; /* 0.1, 0.2, ..., 0.9, 0.0, 0.1, ... */
}

static double draw_high(uint64_t i)
{
    (void)i;
    return 0.9999999;
}

static void schedules(void **state)
{
    (void)state;
    char buf[1024];
    uint64_t two_five[] = {2, 5}, seven[] = {7}, three_nine[] = {2, 5, 9, 12}, big[] = {100, 101};
    struct {
        struct cbk_schedule s;
        double (*draw)(uint64_t);
        const char *fires;
    } cases[] = {
        /* no key: every call */
        {{0}, NULL, NULL},
        {{.first = 3}, NULL, "1,2,3"},
        {{.first = 1}, NULL, "1"},
        {{.after = 97}, NULL, "98,99,100"},
        {{.after = 100}, NULL, ""},
        {{.nth = two_five, .nnth = 2}, NULL, "2,5"},
        {{.nth = seven, .nnth = 1}, NULL, "7"},
        {{.nth = big, .nnth = 2}, NULL, "100"},
        {{.every = 25}, NULL, "25,50,75,100"},
        {{.every = 1}, NULL, NULL},
        {{.every = 101}, NULL, ""},
        /* combinations: all keys must agree */
        {{.first = 5, .after = 2}, NULL, "3,4,5"},
        {{.first = 10, .every = 3}, NULL, "3,6,9"},
        {{.after = 90, .every = 4}, NULL, "92,96,100"},
        {{.first = 20, .after = 5, .every = 5}, NULL, "10,15,20"},
        {{.nth = three_nine, .nnth = 4, .every = 3}, NULL, "9,12"},
        {{.nth = three_nine, .nnth = 4, .after = 5}, NULL, "9,12"},
        {{.nth = three_nine, .nnth = 4, .first = 5}, NULL, "2,5"},
        /* probability: fires when the draw is below P */
        {{.has_probability = true, .probability = 0.3},
         draw_tenths,
         "1,2,10,11,12,20,21,22,30,31,32,40,41,42,50,51,52,60,61,62,70,71,72,80,81,82,90,91,92,"
         "100"},
        {{.has_probability = true, .probability = 1.0}, draw_high, NULL},
        {{.has_probability = true, .probability = 0.0}, draw_tenths, ""},
        {{.first = 12, .has_probability = true, .probability = 0.3}, draw_tenths, "1,2,10,11,12"},
        {{.every = 10, .has_probability = true, .probability = 0.05},
         draw_tenths,
         "10,20,30,40,50,60,70,80,90,100"},
        {{.after = 50, .every = 2, .has_probability = true, .probability = 0.25},
         draw_tenths,
         "52,60,62,70,72,80,82,90,92,100"},
    };
    char all[1024];
    size_t n = 0;
    for (int i = 1; i <= 100; i++)
        n += (size_t)snprintf(all + n, sizeof all - n, "%s%d", i > 1 ? "," : "", i);
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        const char *want = cases[i].fires ? cases[i].fires : all;
        const char *got = fire_set(&cases[i].s, cases[i].draw, buf, sizeof buf);
        if (strcmp(got, want) != 0)
            fail_msg("schedule case %zu fires on {%s}, expected {%s}", i, got, want);
    }

    /* with a seeded generator, P = 0.3 over 10,000 calls: binomial, sd ~ 45.8 (+-5 sd) */
    struct cbk_rng rng;
    cbk_rng_seed(&rng, 2024);
    struct cbk_schedule p = {.has_probability = true, .probability = 0.3};
    unsigned fired = 0;
    for (uint64_t i = 1; i <= 10000; i++)
        fired += cbk__scen_schedule_fires(&p, i, cbk_rng_double(&rng));
    assert_in_range(fired, 3000 - 229, 3000 + 229);
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

static void latency_kinds(void **state)
{
    (void)state;
    struct cbk_rng rng;
    cbk_rng_seed(&rng, 7);
    struct cbk_latency none = {CBK_LAT_NONE, 0, 0, 0};
    struct cbk_latency fixed = {CBK_LAT_FIXED, 250, 0, 0};
    struct cbk_latency zero = {CBK_LAT_FIXED, 0, 0, 0};
    for (int i = 0; i < 100; i++) {
        assert_int_equal(cbk__scen_latency_ms(&none, &rng), 0);
        assert_int_equal(cbk__scen_latency_ms(&fixed, &rng), 250);
        assert_int_equal(cbk__scen_latency_ms(&zero, &rng), 0);
    }

    /* uniform: within [100, 400], both ends of the range reached */
    struct cbk_latency uni = {CBK_LAT_UNIFORM, 100, 400, 0};
    unsigned lo = UINT_MAX, hi = 0;
    double sum = 0;
    for (int i = 0; i < 10000; i++) {
        unsigned ms = cbk__scen_latency_ms(&uni, &rng);
        assert_in_range(ms, 100, 400);
        lo = CBK_MIN(lo, ms);
        hi = CBK_MAX(hi, ms);
        sum += ms;
    }
    assert_in_range(lo, 100, 110);
    assert_in_range(hi, 390, 400);
    assert_true(fabs(sum / 10000 - 250) < 10); /* sd of the mean ~ 0.9 */
    struct cbk_latency point = {CBK_LAT_UNIFORM, 42, 42, 0};
    for (int i = 0; i < 100; i++)
        assert_int_equal(cbk__scen_latency_ms(&point, &rng), 42);

    /* lognormal: the median of 10,000 draws is close to 'median' (sd of the sample median
     * ~ 1.25 * 0.6 * 120 / 100 = 0.9 ms; tolerance 10%) and the cap is never exceeded */
    static unsigned v[10000];
    struct cbk_latency ln = {CBK_LAT_LOGNORMAL, 120, 0.6, 3000};
    for (int i = 0; i < 10000; i++) {
        v[i] = cbk__scen_latency_ms(&ln, &rng);
        assert_true(v[i] <= 3000);
    }
    qsort(v, 10000, sizeof v[0], cmp_unsigned);
    unsigned median = (v[4999] + v[5000]) / 2;
    assert_in_range(median, 108, 132);
    assert_true(v[0] < 60 && v[9999] > 400); /* it does spread */
    /* a cap below much of the distribution: many draws at exactly the cap, none above */
    struct cbk_latency capped = {CBK_LAT_LOGNORMAL, 1000, 2.0, 1500};
    unsigned at_cap = 0;
    for (int i = 0; i < 10000; i++) {
        unsigned ms = cbk__scen_latency_ms(&capped, &rng);
        assert_true(ms <= 1500);
        at_cap += ms == 1500;
    }
    assert_in_range(at_cap, 3000, 5000); /* P(X > 1.5 median) = P(Z > 0.2) ~ 0.42 */
    /* sigma 0 is the median exactly */
    struct cbk_latency flat = {CBK_LAT_LOGNORMAL, 80, 0, 600000};
    for (int i = 0; i < 100; i++)
        assert_int_equal(cbk__scen_latency_ms(&flat, &rng), 80);
}

static void template_rendering(void **state)
{
    (void)state;
    struct json_object *tmpl = parse(
        "{\"id\":\"{{request./projectName}}:{{count}}\",\"n\":\"{{count}}\",\"seq\":\"{{seq}}\","
        "\"t\":\"{{now}}\",\"ts\":\"at {{now}}\",\"obj\":\"{{request./env}}\","
        "\"objs\":\"env={{request./env}}\",\"missing\":\"{{request./nope}}\","
        "\"missings\":\"[{{request./nope}}]\",\"unknown\":\"{{nope}} {{ uuid }}\","
        "\"where\":\"{{region}}/{{account}}\",\"r\":\"{{region}}\",\"arr\":[\"{{count}}\",1,"
        "true,null],\"u\":\"{{uuid}}\",\"open\":\"{{uuid\"}");
    struct json_object *req = parse("{\"projectName\":\"p\",\"env\":{\"a\":[1,\"x\"]}}");
    struct cbk_rng rng;
    cbk_rng_seed(&rng, 3);
    struct cbk_buf out = CBK_BUF_INIT(1 << 20);
    cbk__scen_render_template(tmpl, req, &rng, 1700000000123LL, 7, 42, "eu-west-1", "111122223333",
                              &out);
    struct json_object *doc = parse(cbk_buf_str(&out));
    assert_string_equal(sat(doc, "/id"), "p:7");
    assert_int_equal(iat(doc, "/n"), 7); /* exactly one placeholder: typed */
    assert_int_equal(iat(doc, "/seq"), 42);
    struct json_object *t = at(doc, "/t");
    assert_true(json_object_is_type(t, json_type_double));
    assert_true(fabs(json_object_get_double(t) - 1700000000.123) < 1e-6);
    assert_string_equal(sat(doc, "/ts"), "at 1700000000.123");
    assert_true(cbk_jsonq_equal(at(doc, "/obj"), at(req, "/env")));
    assert_string_equal(sat(doc, "/objs"), "env={\"a\":[1,\"x\"]}");
    assert_non_null(strstr(cbk_buf_str(&out), "\"missing\":null"));
    assert_string_equal(sat(doc, "/missings"), "[]");
    assert_string_equal(sat(doc, "/unknown"), "{{nope}} {{ uuid }}");
    assert_string_equal(sat(doc, "/where"), "eu-west-1/111122223333");
    assert_string_equal(sat(doc, "/r"), "eu-west-1");
    assert_int_equal(iat(doc, "/arr/0"), 7);
    assert_true(json_object_get_boolean(at(doc, "/arr/2")));
    assert_true(is_uuid(sat(doc, "/u")));
    assert_string_equal(sat(doc, "/open"), "{{uuid");
    json_object_put(doc);

    /* the same generator state gives the same uuid; a request of NULL renders samples */
    cbk_buf_reset(&out);
    struct cbk_rng r1, r2;
    cbk_rng_seed(&r1, 9);
    cbk_rng_seed(&r2, 9);
    struct json_object *u = parse("{\"a\":\"{{uuid}}\",\"b\":\"{{request./x}}\","
                                  "\"c\":\"<{{request./x}}>\"}");
    cbk__scen_render_template(u, NULL, &r1, 0, 1, 1, "r", "a", &out);
    struct json_object *d1 = parse(cbk_buf_str(&out));
    cbk_buf_reset(&out);
    cbk__scen_render_template(u, NULL, &r2, 0, 1, 1, "r", "a", &out);
    struct json_object *d2 = parse(cbk_buf_str(&out));
    assert_string_equal(sat(d1, "/a"), sat(d2, "/a"));
    assert_string_equal(sat(d1, "/b"), "x");
    assert_string_equal(sat(d1, "/c"), "<x>");
    json_object_put(d1);
    json_object_put(d2);
    json_object_put(u);

    cbk_buf_release(&out);
    json_object_put(tmpl);
    json_object_put(req);
}

/* ======================================================================================== */
/* (b) the loader                                                                           */
/* ======================================================================================== */

static void examples_load(void **state)
{
    (void)state;
    char dirpath[4200];
    snprintf(dirpath, sizeof dirpath, "%s/scenarios/examples", source_dir());
    DIR *dir = opendir(dirpath);
    if (!dir)
        fail_msg("cannot open %s (set CBK_SOURCE_DIR)", dirpath);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
            continue;
        char path[8400];
        snprintf(path, sizeof path, "%s/%s", dirpath, de->d_name);
        struct cbk_diags d = CBK_DIAGS_INIT;
        struct cbk_scenario *s = NULL;
        enum cbk_code rc = cbk_scenario_load_file(env_of(spec), path, &s, &d);
        if (rc != CBK_OK || d.nr != 0)
            fail_msg("%s: %s (%zu diagnostics; first: %d:%d %s: %s)", de->d_name, cbk_code_name(rc),
                     d.nr, d.nr ? d.v[0].line : 0, d.nr ? d.v[0].column : 0,
                     d.nr ? d.v[0].path : "", d.nr ? d.v[0].message : "");
        assert_true(cbk_scenario_name(s)[0] != '\0');
        /* every example does something: rules, or keys a behaviour owns (outcomes, builds) */
        assert_true(cbk_scenario_rule_count(s) >= 1 || s->nexts >= 1);
        cbk_scenario_free(s);
        cbk_diags_release(&d);
        n++;
    }
    closedir(dir);
    assert_true(n >= 13);

    char path[4200];
    snprintf(path, sizeof path, "%s/scenarios/default.yaml", source_dir());
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = NULL;
    assert_int_equal(cbk_scenario_load_file(env_of(spec), path, &s, &d), CBK_OK);
    assert_int_equal(d.nr, 0);
    assert_string_equal(cbk_scenario_name(s), "default");
    assert_int_equal(builds_of(s)->n, 2);
    assert_int_equal(projects_of(s)->n, 1);
    cbk_scenario_free(s);
    cbk_diags_release(&d);
}

static struct cbk_scenario *load_ok(const char *yaml)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = NULL;
    enum cbk_code rc =
        cbk_scenario_load_buffer(env_of(spec), yaml, strlen(yaml), "ok.yaml", &s, &d);
    for (size_t i = 0; i < d.nr; i++)
        print_error("%d:%d %s: %s\n", d.v[i].line, d.v[i].column, d.v[i].path, d.v[i].message);
    assert_int_equal(rc, CBK_OK);
    assert_int_equal(d.nr, 0);
    assert_non_null(s);
    cbk_diags_release(&d);
    return s;
}

/* What the loader compiles: schedules, latency, answers, and the 'valid' defaults. */
static void loader_compiles(void **state)
{
    (void)state;
    struct cbk_scenario *s = load_ok(
        "scenario: every_thing.v2\n"
        "description: all the forms\n"
        "seed: 99\n"
        "state: Warm\n"
        "world: strict\n"
        "projects: [my-app, other]\n"
        "builds:\n"
        "  - {id: 'my-app:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60', status: IN_PROGRESS, phase: "
        "BUILD,\n"
        "     startTime: 2026-01-01T10:00:00Z, buildNumber: 41, sourceVersion: refs/heads/main}\n"
        "  - {project: other, status: SUCCEEDED, startTime: 1767261600.5}\n"
        "rules:\n"
        "  - name: canned\n"
        "    match: {operation: StopBuild, body: {/id: x:y}}\n"
        "    respond: {body: {build: {id: 'x:y'}}, headers: {X-A: b}}\n"
        "  - match: {operation: [RetryBuild, StopBuild], state: [Warm, Hot]}\n"
        "    when: {first: 10, after: 2, every: 2, nth: [4, 6], probability: 0.5}\n"
        "    respond: {error: ThrottlingException, message: slow down, decorate: both}\n"
        "    latency: {uniform: [10, 20]}\n"
        "    then: Hot\n"
        "  - name: reset\n"
        "    respond: {fault: reset}\n"
        "  - name: trunc\n"
        "    respond: {fault: truncate}\n"
        "    latency: 5\n"
        "  - name: slow\n"
        "    latency: {lognormal: {median: 25, sigma: 0.5}}\n"
        "  - name: any\n"
        "    match: {valid: any, headers: {User-Agent: {regex: '^Boto3/'}, X-B: {absent: true}}}\n"
        "    respond: {fault: dribble, chunks: 3, ms: 10}\n"
        "  - name: html\n"
        "    respond: {fault: html, status: 502}\n"
        "  - name: nf\n"
        "    match: {operation: StopBuild}\n"
        "    respond: {status: 404, bodyText: 'not found'}\n"
        "  - name: tmpl\n"
        "    match: {operation: RetryBuild, valid: false}\n"
        "    respond: {template: {build: {id: '{{request./id}}', buildNumber: '{{count}}'}}}\n"
        "  - name: stall\n"
        "    respond: {fault: stall}\n"
        "  - name: modeled\n"
        "    match: {operation: StartBuildBatch}\n"
        "    respond: {error: AccountLimitExceededException}\n"
        "  - name: state-only\n"
        "    then: Cold\n");
    assert_string_equal(s->name, "every_thing.v2");
    assert_string_equal(s->description, "all the forms");
    assert_true(s->has_seed);
    assert_int_equal(s->seed, 99);
    assert_string_equal(s->initial_state, "Warm");
    assert_string_equal(s->state, "Warm");
    assert_true(s->has_world);
    assert_int_equal(s->world, CBK_WORLD_STRICT);
    assert_int_equal(projects_of(s)->n, 2);
    assert_int_equal(builds_of(s)->n, 2);
    assert_string_equal(builds_of(s)->v[0].status, "IN_PROGRESS");
    assert_int_equal(builds_of(s)->v[0].start_ms, 1767261600000LL);
    assert_int_equal(builds_of(s)->v[0].number, 41);
    assert_int_equal(builds_of(s)->v[1].start_ms, 1767261600500LL);
    assert_null(builds_of(s)->v[1].id);
    assert_int_equal(cbk_scenario_rule_count(s), 12);

    const struct cbk_scen_rule *r = s->rules;
    assert_string_equal(r[0].name, "canned");
    assert_int_equal(r[0].respond.kind, CBK_R_BODY);
    assert_int_equal(r[0].respond.status, 200);
    assert_string_equal(r[0].respond.body, "{\"build\":{\"id\":\"x:y\"}}");
    assert_int_equal(r[0].respond.nheaders, 1);
    assert_int_equal(r[0].valid, CBK_VALID_TRUE); /* a canned success */
    assert_int_equal(r[0].nbody, 1);
    assert_int_equal(r[0].body[0].kind, CBK_M_EQUALS);
    assert_int_equal(r[0].line, 12);
    assert_int_equal(r[0].column, 5);

    assert_string_equal(r[1].name, "rule-2");
    assert_int_equal(r[1].nops, 2);
    assert_int_equal(r[1].nstates, 2);
    assert_int_equal(r[1].when.first, 10);
    assert_int_equal(r[1].when.after, 2);
    assert_int_equal(r[1].when.every, 2);
    assert_int_equal(r[1].when.nnth, 2);
    assert_true(r[1].when.has_probability);
    assert_true(r[1].when.probability == 0.5);
    assert_int_equal(r[1].respond.kind, CBK_R_ERROR);
    assert_int_equal(r[1].respond.status, 400);
    assert_int_equal(r[1].respond.decorate, 3);
    assert_string_equal(r[1].respond.message, "slow down");
    assert_int_equal(r[1].latency.kind, CBK_LAT_UNIFORM);
    assert_string_equal(r[1].then, "Hot");
    assert_int_equal(r[1].valid, CBK_VALID_ANY); /* an error */

    assert_int_equal(r[2].respond.fault, CBK_SF_RESET);
    assert_int_equal(r[2].valid, CBK_VALID_ANY); /* a fault that replaces the answer */
    assert_int_equal(r[3].respond.fault, CBK_SF_TRUNCATE);
    assert_int_equal(r[3].respond.bytes, SIZE_MAX); /* half */
    assert_int_equal(r[3].valid, CBK_VALID_TRUE);   /* truncates the (successful) default */
    assert_int_equal(r[3].latency.kind, CBK_LAT_FIXED);
    assert_int_equal(r[4].respond.kind, CBK_R_DEFAULT);
    assert_int_equal(r[4].latency.kind, CBK_LAT_LOGNORMAL);
    assert_true(r[4].latency.c == 600000);        /* default cap */
    assert_int_equal(r[4].valid, CBK_VALID_TRUE); /* latency only: the default answer */
    assert_int_equal(r[5].valid, CBK_VALID_ANY);  /* given */
    assert_int_equal(r[5].nheaders, 2);
    assert_int_equal(r[5].respond.chunks, 3);
    assert_int_equal(r[5].respond.ms, 10);
    assert_int_equal(r[6].respond.fault, CBK_SF_HTML);
    assert_int_equal(r[6].respond.status, 502);
    assert_int_equal(r[6].valid, CBK_VALID_ANY);
    assert_int_equal(r[7].respond.status, 404);
    assert_int_equal(r[7].valid, CBK_VALID_ANY); /* a 4xx body claims no success */
    assert_int_equal(r[8].respond.kind, CBK_R_TEMPLATE);
    assert_int_equal(r[8].valid, CBK_VALID_FALSE);
    assert_int_equal(r[9].respond.fault, CBK_SF_STALL);
    assert_int_equal(r[9].respond.ms, 30000);
    assert_int_equal(r[10].respond.status, 400); /* the spec's status of a modeled error */
    assert_int_equal(r[11].valid, CBK_VALID_TRUE);
    assert_string_equal(r[11].then, "Cold");
    cbk_scenario_free(s);

    /* JSON is YAML too */
    s = load_ok("{\"scenario\": \"json\", \"rules\": [{\"then\": \"S\"}], }");
    assert_string_equal(s->rules[0].then, "S");
    cbk_scenario_free(s);

    /* the smallest scenario; no rules at all is allowed */
    s = load_ok("scenario: x\n");
    assert_int_equal(cbk_scenario_rule_count(s), 0);
    assert_string_equal(s->state, "Started");
    assert_false(s->has_world);
    cbk_scenario_free(s);
}

struct xdiag {
    int line, column;
    const char *path, *message;
};

/*
 * Load 'yaml' (as file 'file'): it must fail with CBK_E_SCENARIO, return no scenario, and
 * report exactly the diagnostics 'want' (in this order). On a mismatch the actual list is
 * printed in the form of this table.
 */
static void expect_diags_code(const char *file, const char *yaml, size_t len, enum cbk_code code,
                              const struct xdiag *want, size_t n)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = (struct cbk_scenario *)&d; /* must be set to NULL */
    enum cbk_code rc = cbk_scenario_load_buffer(env_of(spec), yaml, len, file, &s, &d);
    bool same = rc == code && d.nr == n && d.errors == n;
    for (size_t i = 0; same && i < n; i++)
        same = d.v[i].line == want[i].line && d.v[i].column == want[i].column &&
               strcmp(d.v[i].path, want[i].path) == 0 &&
               strcmp(d.v[i].message, want[i].message) == 0 && strcmp(d.v[i].file, file) == 0 &&
               d.v[i].severity == CBK_SEV_ERROR && d.v[i].code == code;
    if (!same) {
        print_error("%s: %s, %zu diagnostics (expected %s, %zu):\n", file, cbk_code_name(rc), d.nr,
                    cbk_code_name(code), n);
        for (size_t i = 0; i < d.nr; i++)
            print_error("        {%d, %d, \"%s\", \"%s\"},\n", d.v[i].line, d.v[i].column,
                        d.v[i].path, d.v[i].message);
    }
    assert_true(same);
    assert_null(s);
    cbk_diags_release(&d);
}

#define EXPECT_DIAGS(file, yaml, ...)                                                              \
    do {                                                                                           \
        static const struct xdiag want_[] = {__VA_ARGS__};                                         \
        expect_diags_code(file, yaml, strlen(yaml), CBK_E_SCENARIO, want_, CBK_ARRAY_SIZE(want_)); \
    } while (0)

static void bad_unknown_keys(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "keys.yaml",
        "scenario: keys\n"
        "colour: blue\n"
        "builds:\n"
        "  - {id: 'my-app:1', colour: red}\n"
        "rules:\n"
        "  - name: a\n"
        "    colour: green\n"
        "    match: {operation: StopBuild, colour: 1, body: {/id: {regexp: x}}}\n"
        "    when: {first: 1, colour: 2}\n"
        "    respond: {error: X, colour: 3}\n"
        "    latency: {fixed: 1, colour: 4}\n"
        "  - name: b\n"
        "    latency: {lognormal: {median: 1, sigma: 1, colour: 5}}\n",
        {2, 1, "",
         "unknown key 'colour' (expected one of: scenario, description, seed, state, world, "
         "rules, projects, builds, outcomes)"},
        {4, 22, "builds[0]",
         "unknown key 'colour' (expected one of: id, project, status, phase, startTime, "
         "buildNumber, sourceVersion, initiator)"},
        {7, 5, "rules[0]",
         "unknown key 'colour' (expected one of: name, match, when, respond, latency, then)"},
        {8, 35, "rules[0].match",
         "unknown key 'colour' (expected one of: service, operation, state, body, headers, "
         "valid)"},
        {8, 59, "rules[0].match.body.\"/id\"",
         "unknown key 'regexp' (expected one of: equals, partial, regex, absent, present, "
         "contains)"},
        {9, 22, "rules[0].when",
         "unknown key 'colour' (expected one of: first, after, nth, every, probability)"},
        {10, 25, "rules[0].respond",
         "unknown key 'colour' (expected one of: error, message, status, decorate, body, bodyText, "
         "template, headers, fault, ms, chunks, bytes)"},
        {11, 25, "rules[0].latency",
         "unknown key 'colour' (expected one of: fixed, uniform, lognormal)"},
        {13, 48, "rules[1].latency.lognormal",
         "unknown key 'colour' (expected one of: median, sigma, cap)"});
}

static void bad_types(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "types.yaml",
        "scenario: [a]\n"
        "description: [x]\n"
        "seed: lots\n"
        "state: {a: 1}\n"
        "world: [strict]\n"
        "projects: x\n"
        "builds: {a: 1}\n"
        "rules:\n"
        "  - 1\n"
        "  - name: [b]\n"
        "    then: S\n"
        "  - name: c\n"
        "    match: x\n"
        "    when: 3\n"
        "    respond: 5\n"
        "    latency: fast\n"
        "    then: [a]\n"
        "  - name: d\n"
        "    match: {operation: {a: 1}, state: {a: 1}, valid: maybe, body: [1], headers: x}\n"
        "    respond: {status: x, message: [m], headers: [a], error: X}\n"
        "  - []\n",
        {1, 11, "scenario", "expected a string, found a sequence"},
        {2, 14, "description", "expected a string, found a sequence"},
        {4, 8, "state", "expected a string, found a mapping"},
        {3, 7, "seed", "expected an integer, found 'lots'"},
        {5, 8, "world", "expected a string, found a sequence"},
        {6, 11, "projects", "expected a sequence, found a string"},
        {7, 9, "builds", "expected a sequence, found a mapping"},
        {9, 5, "rules[0]", "expected a mapping, found a number"},
        {10, 11, "rules[1].name", "expected a string, found a sequence"},
        {13, 12, "rules[2].match", "expected a mapping, found a string"},
        {14, 11, "rules[2].when", "expected a mapping, found a number"},
        {15, 14, "rules[2].respond", "expected a mapping, found a number"},
        {16, 14, "rules[2].latency", "expected an integer, found 'fast'"},
        {17, 11, "rules[2].then", "expected a string, found a sequence"},
        {19, 24, "rules[3].match.operation", "expected a string, found a mapping"},
        {19, 39, "rules[3].match.state", "expected a string, found a mapping"},
        {19, 54, "rules[3].match.valid", "expected true or false, found a string"},
        {19, 67, "rules[3].match.body", "expected a mapping, found a sequence"},
        {19, 81, "rules[3].match.headers", "expected a mapping, found a string"},
        {20, 23, "rules[3].respond.status", "expected an integer, found 'x'"},
        {20, 35, "rules[3].respond.message", "expected a string, found a sequence"},
        {20, 49, "rules[3].respond.headers", "expected a mapping, found a sequence"},
        {21, 5, "rules[4]", "expected a mapping, found a sequence"});
    EXPECT_DIAGS("rules.yaml", "scenario: r\nrules: {a: 1}\n",
                 {2, 8, "rules", "expected a sequence, found a mapping"});
    EXPECT_DIAGS("scalar.yaml", "just a string\n",
                 {1, 1, "", "expected a mapping, found a string"});
    EXPECT_DIAGS("seq.yaml", "- scenario: x\n", {1, 1, "", "expected a mapping, found a sequence"});
}

static void bad_operations(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "ops.yaml",
        "scenario: ops\n"
        "rules:\n"
        "  - name: a\n"
        "    match: {operation: RetryBuilds}\n"
        "    respond: {error: X}\n"
        "  - name: b\n"
        "    match:\n"
        "      operation: [RetryBuild, retrybuild, StopBuild, DescribeEverything]\n"
        "    respond: {error: X}\n"
        "  - name: c\n"
        "    match: {operation: []}\n"
        "    respond: {error: X}\n",
        {4, 24, "rules[0].match.operation",
         "unknown operation 'RetryBuilds' (did you mean "
         "'RetryBuild'?)"},
        {8, 31, "rules[1].match.operation",
         "unknown operation 'retrybuild' (did you mean "
         "'RetryBuild'?)"},
        {8, 54, "rules[1].match.operation",
         "unknown operation 'DescribeEverything' (the spec has 59 operations, none named like "
         "it)"},
        {11, 24, "rules[2].match.operation", "expected at least one name"});
}

static void bad_pointers_and_regexes(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "ptr.yaml",
        "scenario: ptr\n"
        "rules:\n"
        "  - name: a\n"
        "    match:\n"
        "      body:\n"
        "        id: 1\n"
        "        /ok~0~1: 2\n"
        "        /e~2: 3\n"
        "        /x: {regex: '(a'}\n"
        "        /y: {regex: 'a{2,1}'}\n"
        "        /z: {regex: [a]}\n"
        "      headers:\n"
        "        User-Agent: {regex: '[z-a]'}\n"
        "        X-Ok: {regex: '^a(b|c)*$'}\n"
        "    respond: {error: X}\n",
        {6, 9, "rules[0].match.body.id",
         "'id' is not a JSON pointer (write /member/0/field; \"\" is the whole body)"},
        {8, 9, "rules[0].match.body.\"/e~2\"",
         "'/e~2' is not a JSON pointer (write /member/0/field; \"\" is the whole body)"},
        {9, 21, "rules[0].match.body.\"/x\".regex",
         "invalid regular expression at offset 2: missing closing parenthesis"},
        {10, 21, "rules[0].match.body.\"/y\".regex",
         "invalid regular expression at offset 5: numbers out of order in {} quantifier"},
        {11, 21, "rules[0].match.body.\"/z\".regex", "expected a string, found a sequence"},
        {13, 29, "rules[0].match.headers.User-Agent.regex",
         "invalid regular expression at offset 3: range out of order in character class"});
}

static void bad_matchers(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "matchers.yaml",
        "scenario: matchers\n"
        "rules:\n"
        "  - name: a\n"
        "    match:\n"
        "      body:\n"
        "        /a: {absent: false}\n"
        "        /b: {partial: 5}\n"
        "        /c: {equals: 1, regex: x}\n"
        "        /d: {present: yes}\n"
        "        /e: {}\n"
        "        /f: {contains: {x: 1}}\n"
        "      headers:\n"
        "        X-A: {partial: {}}\n"
        "        X-B: [1]\n"
        "        X-C: {absent: true}\n"
        "        X-D: {equals: [x]}\n"
        "    respond: {error: X}\n",
        {6, 22, "rules[0].match.body.\"/a\".absent",
         "write 'absent: true' (use the other matcher for false)"},
        {7, 23, "rules[0].match.body.\"/b\".partial", "partial wants a mapping, found a number"},
        {8, 13, "rules[0].match.body.\"/c\"",
         "a matcher has exactly one of: equals, partial, regex, absent, present, contains (use "
         "{equals: {...}} to match an object)"},
        {9, 23, "rules[0].match.body.\"/d\".present", "expected true or false, found a string"},
        {10, 13, "rules[0].match.body.\"/e\"",
         "a matcher has exactly one of: equals, partial, regex, absent, present, contains (use "
         "{equals: {...}} to match an object)"},
        {13, 15, "rules[0].match.headers.X-A.partial",
         "headers match with a string, regex, absent or present"},
        {14, 14, "rules[0].match.headers.X-B", "expected a string, found a sequence"},
        {16, 23, "rules[0].match.headers.X-D.equals", "expected a string, found a sequence"});
}

static void bad_schedules(void **state)
{
    (void)state;
    EXPECT_DIAGS("when.yaml",
                 "scenario: sched\n"
                 "rules:\n"
                 "  - {name: a, when: {first: 3, after: 2, every: 2}, respond: {error: X}}\n"
                 "  - {name: b, when: {nth: [1, 2], after: 2}, respond: {error: X}}\n"
                 "  - {name: c, when: {nth: [4], every: 3}, respond: {error: X}}\n"
                 "  - {name: d, when: {probability: 0}, respond: {error: X}}\n"
                 "  - {name: e, when: {first: 0}, respond: {error: X}}\n"
                 "  - {name: f, when: {every: 0}, respond: {error: X}}\n"
                 "  - {name: g, when: {probability: 1.5}, respond: {error: X}}\n"
                 "  - {name: h, when: {nth: []}, respond: {error: X}}\n"
                 "  - {name: i, when: {nth: [0]}, respond: {error: X}}\n"
                 "  - {name: j, when: {first: 2, every: 3}, respond: {error: X}}\n"
                 "  - {name: k, when: {first: 5, after: 5}, respond: {error: X}}\n"
                 "  - {name: l, when: {probability: x}, respond: {error: X}}\n"
                 "  - {name: m, when: {first: 9, after: 7, every: 5}, respond: {error: X}}\n"
                 "  - {name: n, when: {nth: [3, 8], first: 5, after: 3}, respond: {error: X}}\n"
                 "  - {name: o, when: {after: -1}, respond: {error: X}}\n"
                 "  - {name: p, when: [first], respond: {error: X}}\n"
                 /* possible: none of these is reported */
                 "  - {name: ok1, when: {first: 10, after: 7, every: 4}, respond: {error: X}}\n"
                 "  - {name: ok2, when: {nth: [1, 9], after: 3}, respond: {error: X}}\n"
                 "  - {name: ok3, when: {after: 0, probability: 1}, respond: {error: X}}\n",
                 {3, 21, "rules[0].when", "this schedule can never fire"},
                 {4, 21, "rules[1].when", "this schedule can never fire"},
                 {5, 21, "rules[2].when", "this schedule can never fire"},
                 {6, 21, "rules[3].when", "this schedule can never fire"},
                 {7, 29, "rules[4].when.first", "0 is out of range (1..9223372036854775807)"},
                 {8, 29, "rules[5].when.every", "0 is out of range (1..9223372036854775807)"},
                 {9, 35, "rules[6].when.probability", "a probability is between 0 and 1, not 1.5"},
                 {10, 27, "rules[7].when.nth", "nth needs at least one call number"},
                 {11, 28, "rules[8].when.nth[0]", "0 is out of range (1..9223372036854775807)"},
                 {12, 21, "rules[9].when", "this schedule can never fire"},
                 {13, 21, "rules[10].when", "this schedule can never fire"},
                 {14, 35, "rules[11].when.probability", "expected a number, found 'x'"},
                 {15, 21, "rules[12].when", "this schedule can never fire"},
                 {16, 21, "rules[13].when", "this schedule can never fire"},
                 {17, 29, "rules[14].when.after", "-1 is out of range (0..9223372036854775807)"},
                 {18, 21, "rules[15].when", "expected a mapping, found a sequence"});
}

static void bad_responds(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "respond.yaml",
        "scenario: faults\n"
        "rules:\n"
        "  - {name: a, respond: {fault: reset, body: {}}}\n"
        "  - {name: b, respond: {fault: html, error: ThrottlingException}}\n"
        "  - {name: c, respond: {fault: stall, ms: 0}}\n"
        "  - {name: d, respond: {fault: reset, ms: 5}}\n"
        "  - {name: e, respond: {fault: html, status: 404}}\n"
        "  - {name: f, respond: {fault: close, status: 500}}\n"
        "  - {name: g, respond: {chunks: 3, fault: truncate}}\n"
        "  - {name: h, respond: {bytes: 3, fault: dribble}}\n"
        "  - {name: i, respond: {error: ThrottlingException, status: 200}}\n"
        "  - {name: j, respond: {error: ThrottlingException, decorate: sideways}}\n"
        "  - {name: k, respond: {decorate: uri}}\n"
        "  - {name: l, respond: {message: hi}}\n"
        "  - {name: m, respond: {status: 500}}\n"
        "  - {name: n, respond: {error: ''}}\n"
        "  - {name: o, respond: {fault: explode}}\n"
        "  - {name: p, respond: {fault: malformed, bodyText: x}}\n"
        "  - {name: q, respond: {fault: dribble, ms: 700000}}\n"
        "  - {name: r, respond: {headers: {X-A: [1]}}}\n"
        "  - {name: s, respond: {error: X, body: {}, template: {}}}\n"
        "  - {name: t}\n"
        "  - {name: u, respond: {fault: close, status: 600}}\n"
        "  - {name: v, respond: {fault: [reset]}}\n"
        "  - {name: w, respond: {status: 101, body: {}}}\n",
        {3, 32, "rules[0].respond",
         "the fault replaces the answer: drop error/body/template (only truncate and dribble "
         "deliver an answer)"},
        {4, 32, "rules[1].respond",
         "the fault replaces the answer: drop error/body/template (only truncate and dribble "
         "deliver an answer)"},
        {5, 43, "rules[2].respond", "a stall lasts at least 1 ms"},
        {6, 43, "rules[3].respond", "'ms' goes with fault stall or dribble"},
        {7, 46, "rules[4].respond", "a load balancer's html page comes with a 5xx status"},
        {8, 47, "rules[5].respond", "this fault sends no status of its own"},
        {9, 33, "rules[6].respond", "'chunks' goes with fault dribble"},
        {10, 32, "rules[7].respond", "'bytes' goes with fault truncate"},
        {11, 61, "rules[8].respond", "an error answer needs a 4xx or 5xx status"},
        {12, 63, "rules[9].respond.decorate",
         "decorate is namespace, uri, both or none, not 'sideways'"},
        {13, 35, "rules[10].respond", "'decorate' goes with 'error'"},
        {14, 34, "rules[11].respond", "'message' goes with 'error'"},
        {15, 33, "rules[12].respond", "'status' goes with error, body, template or fault html"},
        {16, 32, "rules[13].respond", "the error needs a name"},
        {17, 32, "rules[14].respond.fault",
         "unknown fault 'explode' (expected reset, close, stall, truncate, dribble, html or "
         "malformed)"},
        {18, 32, "rules[15].respond",
         "the fault replaces the answer: drop error/body/template (only truncate and dribble "
         "deliver an answer)"},
        {19, 45, "rules[16].respond.ms", "700000 is out of range (0..600000)"},
        {20, 40, "rules[17].respond.headers.X-A", "expected a string, found a sequence"},
        {21, 24, "rules[18].respond",
         "respond with one of error, body, bodyText or template, not several"},
        {22, 5, "rules[19]", "the rule does nothing: give it a respond, a latency or a then"},
        {23, 47, "rules[20].respond.status", "600 is out of range (200..599)"},
        {24, 32, "rules[21].respond.fault", "expected a string, found a sequence"},
        {25, 33, "rules[22].respond.status", "101 is out of range (200..599)"});
}

static void bad_bodies(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "bodies.yaml",
        "scenario: bodies\n"
        "rules:\n"
        "  - name: a\n"
        "    match: {operation: [RetryBuild, StopBuild]}\n"
        "    respond: {body: {build: {id: 5}}}\n"
        "  - name: b\n"
        "    match: {operation: StopBuild}\n"
        "    respond: {bodyText: 'not json'}\n"
        "  - name: c\n"
        "    match: {operation: StopBuild}\n"
        "    respond:\n"
        "      body:\n"
        "        build:\n"
        "          buildStatus: DONE\n"
        "          phases:\n"
        "            - {phaseType: BUILD, durationInSeconds: soon}\n"
        "          colour: red\n"
        "  - name: d\n"
        "    match: {operation: StartBuildBatch}\n"
        "    respond: {status: 201, body: [1]}\n"
        "  - name: e\n"
        "    respond: {body: {}}\n"
        "  - name: f\n"
        "    respond: {template: {build: {}}}\n"
        "  - name: g\n"
        "    match: {operation: RetryBuild}\n"
        "    respond:\n"
        "      template:\n"
        "        build: {id: '{{request./id}}', buildNumber: '{{uuid}}'}\n"
        "  - name: h\n"
        "    match: {operation: RetryBuild}\n"
        "    respond:\n"
        "      template: {build: {buildNumber: '{{request./id}}', startTime: '{{region}}'}}\n"
        /* accepted: not a success, or a valid one */
        "  - name: ok-error-body\n"
        "    match: {operation: StopBuild}\n"
        "    respond: {status: 404, body: {anything: goes}}\n"
        "  - name: ok-template\n"
        "    match: {operation: StopBuild}\n"
        "    respond:\n"
        "      template: {build: {id: '{{request./id}}', buildNumber: '{{count}}', "
        "startTime: '{{now}}', arn: 'arn:aws:codebuild:{{region}}:{{account}}:build/x'}}\n",
        {5, 34, "rules[0].respond.body",
         "the body breaks the contract of RetryBuild output: /build/id: expected a string, found a "
         "number [type]"},
        {5, 34, "rules[0].respond.body",
         "the body breaks the contract of StopBuild output: /build/id: expected a string, found a "
         "number [type]"},
        {8, 25, "rules[1].respond.bodyText",
         "the bodyText breaks the contract of StopBuild output: invalid literal (expected 'null') "
         "[syntax]"},
        {14, 24, "rules[2].respond.body",
         "the body breaks the contract of StopBuild output: /build/buildStatus: value \"DONE\" is "
         "not one of: SUCCEEDED, FAILED, FAULT, TIMED_OUT, IN_PROGRESS, STOPPED [enum]"},
        {16, 53, "rules[2].respond.body",
         "the body breaks the contract of StopBuild output: /build/phases/0/durationInSeconds: "
         "expected an integer, found a string [type]"},
        {17, 19, "rules[2].respond.body",
         "the body breaks the contract of StopBuild output: /build/colour: unknown member "
         "\"colour\" in Build [unknown]"},
        {20, 34, "rules[3].respond.body",
         "the body breaks the contract of StartBuildBatch output: expected an object, found an "
         "array [type]"},
        {22, 21, "rules[4].respond.body",
         "a rule that answers with a success body must name its operation (match.operation): the "
         "body is checked against its output shape"},
        {24, 25, "rules[5].respond.template",
         "a rule that answers with a success template must name its operation (match.operation): "
         "the body is checked against its output shape"},
        {29, 53, "rules[6].respond.template",
         "the template breaks the contract of RetryBuild output: /build/buildNumber: expected an "
         "integer, found a string [type]"},
        {33, 39, "rules[7].respond.template",
         "the template breaks the contract of RetryBuild output: /build/buildNumber: expected an "
         "integer, found a string [type]"},
        {33, 69, "rules[7].respond.template",
         "the template breaks the contract of RetryBuild output: /build/startTime: expected a "
         "number of epoch seconds, found a string [type]"});
}

static void bad_latency(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "latency.yaml",
        "scenario: latency\n"
        "rules:\n"
        "  - {name: a, latency: -5}\n"
        "  - {name: b, latency: {fixed: 700000}}\n"
        "  - {name: c, latency: {uniform: [1]}}\n"
        "  - {name: d, latency: {lognormal: {median: 0, sigma: 1}}}\n"
        "  - {name: e, latency: {lognormal: {sigma: 1}}}\n"
        "  - {name: f, latency: {fixed: 1, uniform: [1, 2]}}\n"
        "  - {name: g, latency: {lognormal: {median: 5, sigma: 11}}}\n"
        "  - {name: h, latency: {lognormal: {median: 5, sigma: 1, cap: 0}}}\n"
        "  - {name: i, latency: [1]}\n"
        "  - {name: j, latency: {uniform: [a, 2]}}\n"
        "  - {name: k, latency: 1.5}\n"
        "  - {name: l, latency: {uniform: [5, 1]}}\n"
        "  - {name: m, latency: {}}\n"
        "  - {name: n, latency: {lognormal: {median: 5, sigma: 1, cap: 600001}}}\n",
        {3, 24, "rules[0].latency", "-5 is out of range (0..600000)"},
        {4, 32, "rules[1].latency.fixed", "700000 is out of range (0..600000)"},
        {5, 34, "rules[2].latency.uniform", "uniform wants [MIN, MAX] in milliseconds"},
        {6, 36, "rules[3].latency.lognormal",
         "lognormal wants median > 0, 0 <= sigma <= 10 and 0 < cap <= 600000 (milliseconds)"},
        {7, 36, "rules[4].latency.lognormal", "missing required key 'median'"},
        {8, 24, "rules[5].latency", "latency has exactly one of: fixed, uniform, lognormal"},
        {9, 36, "rules[6].latency.lognormal",
         "lognormal wants median > 0, 0 <= sigma <= 10 and 0 < cap <= 600000 (milliseconds)"},
        {10, 36, "rules[7].latency.lognormal",
         "lognormal wants median > 0, 0 <= sigma <= 10 and 0 < cap <= 600000 (milliseconds)"},
        {11, 24, "rules[8].latency", "expected a mapping, found a sequence"},
        {12, 35, "rules[9].latency.uniform", "expected an integer, found 'a'"},
        {13, 24, "rules[10].latency", "expected an integer, found '1.5'"},
        {14, 34, "rules[11].latency.uniform", "uniform [5, 1]: min > max"},
        {15, 24, "rules[12].latency", "latency has exactly one of: fixed, uniform, lognormal"},
        {16, 36, "rules[13].latency.lognormal",
         "lognormal wants median > 0, 0 <= sigma <= 10 and 0 < cap <= 600000 (milliseconds)"});
}

static void bad_builds(void **state)
{
    (void)state;
    EXPECT_DIAGS("builds.yaml",
                 "scenario: builds\n"
                 "world: strict\n"
                 "builds:\n"
                 "  - {id: 'my-app:1', status: DONE}\n"
                 "  - {id: 'my-app:2', phase: SLEEPING}\n"
                 "  - {id: nocolon}\n"
                 "  - {id: 'my-app:3', project: other}\n"
                 "  - {id: 'my-app:4', phase: COMPLETED}\n"
                 "  - {status: SUCCEEDED}\n"
                 "  - {project: p, buildNumber: 0}\n"
                 "  - {project: p, startTime: yesterday}\n"
                 "  - {id: ':x'}\n"
                 "  - 7\n"
                 "  - {id: 'p:'}\n"
                 "  - {project: my, id: 'my-app:5'}\n"
                 "  - {id: 'my-app:6', status: SUCCEEDED, phase: COMPLETED, buildNumber: 3,\n"
                 "     startTime: 1767261600, sourceVersion: main, initiator: me}\n",
                 {4, 30, "builds[0]",
                  "unknown build status 'DONE' (expected SUCCEEDED, FAILED, FAULT, TIMED_OUT, "
                  "IN_PROGRESS or STOPPED)"},
                 {5, 29, "builds[1]", "unknown build phase 'SLEEPING'"},
                 {6, 10, "builds[2]", "a build id looks like 'project:uuid', not 'nocolon'"},
                 {7, 31, "builds[3]", "the id 'my-app:3' belongs to another project than 'other'"},
                 {8, 29, "builds[4]", "a build in phase COMPLETED needs a final status"},
                 {9, 5, "builds[5]", "a build needs an 'id' or a 'project'"},
                 {10, 31, "builds[6].buildNumber", "0 is out of range (1..9007199254740991)"},
                 {11, 29, "builds[7].startTime",
                  "startTime is an ISO 8601 UTC time (2026-01-01T10:00:00Z) or epoch seconds"},
                 {12, 10, "builds[8]", "a build id looks like 'project:uuid', not ':x'"},
                 {13, 5, "builds[9]", "expected a mapping, found a number"},
                 {14, 10, "builds[10]", "a build id looks like 'project:uuid', not 'p:'"},
                 {15, 15, "builds[11]", "the id 'my-app:5' belongs to another project than 'my'"});
    /* numbers the model's int64_t arithmetic cannot hold: epoch seconds past the year 9999
     * (1e300 s in milliseconds was a float-to-integer conversion out of range) and build
     * numbers past 2^53 - 1 (the next build of the project was INT64_MAX + 1). Regression
     * inputs: fuzz/corpus/fuzz_scenario/regress-start-time-huge, regress-build-number-max. */
    EXPECT_DIAGS(
        "huge.yaml",
        "scenario: huge\n"
        "builds:\n"
        "  - {project: p, startTime: 1e300}\n"
        "  - {project: p, startTime: 253402300800}\n"
        "  - {project: p, buildNumber: 9223372036854775807}\n"
        "  - {project: p, buildNumber: 9007199254740992}\n",
        {3, 29, "builds[0].startTime",
         "startTime is an ISO 8601 UTC time (2026-01-01T10:00:00Z) or epoch seconds"},
        {4, 29, "builds[1].startTime",
         "startTime is an ISO 8601 UTC time (2026-01-01T10:00:00Z) or epoch seconds"},
        {5, 31, "builds[2].buildNumber",
         "9223372036854775807 is out of range (1..9007199254740991)"},
        {6, 31, "builds[3].buildNumber", "9007199254740992 is out of range (1..9007199254740991)"});
    /* the limits themselves load */
    struct cbk_scenario *s = load_ok("scenario: limits\n"
                                     "builds:\n"
                                     "  - {project: p, startTime: 253402300799, buildNumber: "
                                     "9007199254740991}\n");
    assert_int_equal(builds_of(s)->v[0].start_ms, INT64_C(253402300799000));
    assert_int_equal(builds_of(s)->v[0].number, INT64_C(9007199254740991));
    cbk_scenario_free(s);
}

static void bad_names(void **state)
{
    (void)state;
    EXPECT_DIAGS("dup.yaml",
                 "scenario: dup\n"
                 "rules:\n"
                 "  - {name: a, then: S}\n"
                 "  - {name: b, then: S}\n"
                 "  - {name: a, then: S}\n"
                 "  - {then: S}\n"
                 "  - {name: rule-4, then: S}\n"
                 "  - {name: a, then: S}\n",
                 {5, 5, "rules[2]", "rule name 'a' is used twice"},
                 {7, 5, "rules[4]", "rule name 'rule-4' is used twice"},
                 {8, 5, "rules[5]", "rule name 'a' is used twice"});
    EXPECT_DIAGS("spaces.yaml", "scenario: bad name\nrules: []\n",
                 {1, 11, "scenario",
                  "a scenario name has letters, digits, '-', '_' and '.', not 'bad name'"});
    EXPECT_DIAGS(
        "slash.yaml", "scenario: a/b\n",
        {1, 11, "scenario", "a scenario name has letters, digits, '-', '_' and '.', not 'a/b'"});
    EXPECT_DIAGS(
        "empty-name.yaml", "scenario: ''\n",
        {1, 11, "scenario", "a scenario name has letters, digits, '-', '_' and '.', not ''"});
    EXPECT_DIAGS("missing.yaml", "description: no name\nrules: []\n",
                 {1, 1, "", "missing required key 'scenario'"});
    /* rules that are not mappings have no name: no crash in the duplicate check */
    EXPECT_DIAGS("nonmap.yaml", "rules:\n  - 1\n  - []\n  - x\n",
                 {1, 1, "", "missing required key 'scenario'"},
                 {2, 5, "rules[0]", "expected a mapping, found a number"},
                 {3, 5, "rules[1]", "expected a mapping, found a sequence"},
                 {4, 5, "rules[2]", "expected a mapping, found a string"});
}

static void bad_files(void **state)
{
    (void)state;
    EXPECT_DIAGS(
        "empty.yaml", "",
        {1, 1, "", "the scenario is empty (expected a mapping with 'scenario' and 'rules')"});
    EXPECT_DIAGS(
        "comment.yaml", "# nothing here\n",
        {1, 1, "", "the scenario is empty (expected a mapping with 'scenario' and 'rules')"});
    EXPECT_DIAGS("null.yaml", "~\n", {1, 1, "", "expected a mapping, found null"});
    EXPECT_DIAGS("flow.yaml", "scenario: x\nrules: [\n",
                 {3, 1, "", "invalid yaml: flow sequence without a closing bracket"});
    EXPECT_DIAGS("tab.yaml", "scenario: x\nrules:\n\t- {then: S}\n",
                 {3, 1, "", "invalid yaml: tab character may not be used as indentation"});
    EXPECT_DIAGS("dupkey.yaml", "scenario: x\nscenario: y\n",
                 {2, 1, "", "duplicate key 'scenario' (first at line 1)"});
    EXPECT_DIAGS("two-docs.yaml", "scenario: x\n---\nscenario: y\n",
                 {2, 1, "", "a second yaml document is not allowed here"});
    EXPECT_DIAGS("quote.yaml", "scenario: \"unterminated\nrules: []\n",
                 {1, 11, "", "invalid yaml: wrongly indented double-quoted scalar"});
    EXPECT_DIAGS("latin1.yaml", "scenario: caf\xe9\n",
                 {1, 14, "", "invalid yaml: invalid UTF-8 (byte 0xe9)"});
    EXPECT_DIAGS("control.yaml", "scenario: x\nrules: [\x01]\n",
                 {2, 9, "", "invalid yaml: control character U+0001 is not allowed"});
    /* a NUL byte inside the buffer: refused, not read as the end of the text */
    static const char nul[] = "scenario: x\n\0rules: []\n";
    static const struct xdiag want_nul[] = {
        {2, 1, "", "invalid yaml: control character U+0000 is not allowed"}};
    expect_diags_code("nul.yaml", nul, sizeof nul - 1, CBK_E_SCENARIO, want_nul, 1);
    /* larger than 16 MiB: refused before parsing */
    size_t big = ((size_t)16 << 20) + 1;
    char *buf = malloc(big);
    assert_non_null(buf);
    memset(buf, '#', big);
    static const struct xdiag want_big[] = {
        {0, 0, "", "the scenario is larger than the limit of 16 MiB (16777216 bytes)"}};
    expect_diags_code("big.yaml", buf, big, CBK_E_LIMIT, want_big, 1);
    free(buf);

    /* a file that does not exist */
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = (struct cbk_scenario *)&d;
    assert_int_equal(cbk_scenario_load_file(env_of(spec), "/nonexistent/x.yaml", &s, &d), CBK_E_IO);
    assert_null(s);
    assert_int_equal(d.nr, 1);
    assert_int_equal(d.v[0].code, CBK_E_IO);
    assert_string_equal(d.v[0].message,
                        "cannot open '/nonexistent/x.yaml': No such file or directory");
    cbk_diags_release(&d);
}

/*
 * Write a scenario file of exactly 'size' bytes: rule 'one', '#' comment lines, and rule 'two'
 * as the last line, past the first 16 MiB when size is over the limit. Returns its path
 * (static storage).
 */
static const char *write_padded_scenario(size_t size)
{
    static char path[512];
    const char *base = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/cbk-test-scenario-XXXXXX", base && *base ? base : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char head[] = "scenario: padded\nrules:\n  - {name: one, then: S}\n";
    static const char tail[] = "  - {name: two, then: S}\n";
    char *buf = malloc(size);
    assert_non_null(buf);
    size_t fill = size - (sizeof head - 1) - (sizeof tail - 1);
    memcpy(buf, head, sizeof head - 1);
    char *p = buf + sizeof head - 1;
    memset(p, '#', fill);
    for (size_t i = 1023; i < fill; i += 1024)
        p[i] = '\n'; /* comment lines of 1 KiB; the last one ends right before the tail */
    p[fill - 1] = '\n';
    memcpy(p + fill, tail, sizeof tail - 1);
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, buf + off, size - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    close(fd);
    free(buf);
    return path;
}

/*
 * A scenario file over 16 MiB is an error naming the limit, not the first 16 MiB read as if
 * they were the file (issue 9: 'scenario lint' said "ok, 1 rule" for a file with 2).
 */
static void big_files(void **state)
{
    (void)state;
    const size_t limit = (size_t)16 << 20;
    /* exactly at the limit: both rules */
    const char *path = write_padded_scenario(limit);
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = NULL;
    assert_int_equal(cbk_scenario_load_file(env_of(spec), path, &s, &d), CBK_OK);
    assert_int_equal(cbk_scenario_rule_count(s), 2);
    cbk_scenario_free(s);
    cbk_diags_release(&d);
    unlink(path);
    /* a little over it: refused, the limit named */
    path = write_padded_scenario(limit + 100);
    s = (struct cbk_scenario *)&d;
    assert_int_equal(cbk_scenario_load_file(env_of(spec), path, &s, &d), CBK_E_LIMIT);
    assert_null(s);
    assert_int_equal(d.nr, 1);
    assert_int_equal(d.v[0].code, CBK_E_LIMIT);
    assert_string_equal(d.v[0].file, path);
    assert_string_equal(d.v[0].message,
                        "the scenario is larger than the limit of 16 MiB (16777216 bytes)");
    cbk_diags_release(&d);
    unlink(path);
}

/*
 * Rule-name uniqueness over many rules (issue 9: each name was compared with every earlier
 * one, so 80,000 rules took 12 s; the check is now a hash set). 20,000 rules load, and a
 * duplicate of the first at the end is found at its place, with its location. How the load
 * grows with the number of rules is measured, not asserted: bench/bench_scenario.c prints the
 * time per rule at N, 2N, 4N and 8N rules as ratios (bench/README.md).
 */
static void many_rule_names(void **state)
{
    (void)state;
    const size_t n = 20000;
    struct cbk_buf y = CBK_BUF_INIT((size_t)16 << 20);
    cbk_buf_adds(&y, "scenario: many\nrules:\n");
    for (size_t i = 0; i < n; i++)
        assert_int_equal(cbk_buf_addf(&y, "- {name: r%zu, then: S}\n", i), CBK_OK);
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = NULL;
    assert_int_equal(cbk_scenario_load_buffer(env_of(spec), y.ptr, y.len, "many.yaml", &s, &d),
                     CBK_OK);
    assert_int_equal(cbk_scenario_rule_count(s), n);
    cbk_scenario_free(s);
    cbk_diags_release(&d);
    assert_int_equal(cbk_buf_adds(&y, "- {name: r0, then: S}\n"), CBK_OK);
    s = (struct cbk_scenario *)&d;
    assert_int_equal(cbk_scenario_load_buffer(env_of(spec), y.ptr, y.len, "many.yaml", &s, &d),
                     CBK_E_SCENARIO);
    assert_null(s);
    assert_int_equal(d.nr, 1);
    assert_int_equal(d.v[0].line, (int)n + 3);
    assert_int_equal(d.v[0].column, 3);
    assert_string_equal(d.v[0].message, "rule name 'r0' is used twice");
    char path[32];
    snprintf(path, sizeof path, "rules[%zu]", n);
    assert_string_equal(d.v[0].path, path);
    cbk_diags_release(&d);
    cbk_buf_release(&y);
}

/* ======================================================================================== */
/* (c) the run-time                                                                         */
/* ======================================================================================== */

struct call {
    struct cbk_arena arena;
    struct cbk_http_answer ans;
    struct json_object *doc; /* the answer body parsed, NULL when not JSON */
};

static void call_done(struct call *c)
{
    json_object_put(c->doc);
    c->doc = NULL;
    cbk_arena_release(&c->arena);
}

static const char *hdr(const struct call *c, const char *name)
{
    for (size_t i = 0; i < c->ans.nheaders; i++)
        if (strcasecmp(c->ans.headers[i].name, name) == 0)
            return c->ans.headers[i].value;
    return NULL;
}

static size_t hdr_count(const struct call *c, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < c->ans.nheaders; i++)
        n += strcasecmp(c->ans.headers[i].name, name) == 0;
    return n;
}

static void handle(struct cbk_mock *m, const char *method, const char *path, const char *query,
                   const struct cbk_http_header *h, size_t nh, const char *body, struct call *c)
{
    struct cbk_http_req req;
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = path;
    req.query = query;
    req.headers = h;
    req.nheaders = nh;
    req.body = body ? body : "";
    req.body_len = body ? strlen(body) : 0;
    req.body_size = req.body_len;
    req.peer_is_loopback = true;
    cbk_arena_init(&c->arena, 8192);
    c->doc = NULL;
    cbk_mock_handle(m, &req, &c->ans, &c->arena);
    if (c->ans.body && c->ans.body_len) {
        struct json_tokener *tok = json_tokener_new();
        c->doc = json_tokener_parse_ex(tok, c->ans.body, (int)c->ans.body_len);
        if (json_tokener_get_error(tok) != json_tokener_success) {
            json_object_put(c->doc);
            c->doc = NULL;
        }
        json_tokener_free(tok);
    }
}

/* An API call with optional extra headers (name, value, name, value, ..., NULL). */
static int api_h(struct cbk_mock *m, struct call *c, const char *op, const char *body,
                 const char *const *extra)
{
    char target[128];
    snprintf(target, sizeof target, PREFIX "%s", op);
    struct cbk_http_header h[16];
    size_t n = 0;
    h[n++] = (struct cbk_http_header){"X-Amz-Target", target};
    h[n++] = (struct cbk_http_header){"Content-Type", CT_JSON11};
    bool ua = false;
    for (size_t i = 0; extra && extra[i]; i += 2) {
        h[n++] = (struct cbk_http_header){extra[i], extra[i + 1]};
        ua = ua || strcasecmp(extra[i], "User-Agent") == 0;
    }
    if (!ua)
        h[n++] = (struct cbk_http_header){"User-Agent", "test_scenario"};
    handle(m, "POST", "/", NULL, h, n, body, c);
    /* every API answer carries a request id and is journaled */
    const char *rid = hdr(c, "x-amzn-RequestId");
    assert_true(is_uuid(rid));
    assert_int_equal(hdr_count(c, "x-amzn-RequestId"), 1);
    assert_true(c->ans.journal_id > 0);
    return c->ans.status;
}

static int api(struct cbk_mock *m, struct call *c, const char *op, const char *body)
{
    return api_h(m, c, op, body, NULL);
}

static int admin_q(struct cbk_mock *m, struct call *c, const char *method, const char *path,
                   const char *query, const char *body)
{
    struct cbk_http_header h[1] = {{"Content-Type", "application/json"}};
    handle(m, method, path, query, h, 1, body, c);
    assert_int_equal(c->ans.journal_id, 0);
    assert_string_equal(hdr(c, "Content-Type"), "application/json");
    assert_non_null(c->doc);
    return c->ans.status;
}

static int admin(struct cbk_mock *m, struct call *c, const char *method, const char *path,
                 const char *body)
{
    return admin_q(m, c, method, path, NULL, body);
}

/* GET /__cbkit/requests as a parsed document (free with json_object_put). */
static struct json_object *journal(struct cbk_mock *m)
{
    struct call c;
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/requests", NULL), 200);
    struct json_object *doc = json_object_get(c.doc);
    call_done(&c);
    return doc;
}

/* GET /__cbkit/scenarios */
static struct json_object *scenarios(struct cbk_mock *m)
{
    struct call c;
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/scenarios", NULL), 200);
    struct json_object *doc = json_object_get(c.doc);
    call_done(&c);
    return doc;
}

static void advance_clock(struct cbk_mock *m, int seconds)
{
    struct call c;
    char body[64];
    snprintf(body, sizeof body, "{\"advanceSeconds\": %d}", seconds);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/clock", body), 200);
    call_done(&c);
}

static struct cbk_mock *new_mock(uint64_t seed, enum cbk_world world)
{
    struct cbk_mock_config cfg = CBK_MOCK_CONFIG_INIT;
    cfg.spec = spec;
    cfg.services = cbk_services_builtin(&cfg.nservices);
    cfg.has_seed = true;
    cfg.seed = seed;
    cfg.virtual_clock = true;
    cfg.clock_start_ms = CLOCK0_MS;
    cfg.world = world;
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_mock *m = NULL;
    assert_int_equal(cbk_mock_new(&cfg, &m, &d), CBK_OK);
    cbk_diags_release(&d);
    return m;
}

static void add_yaml(struct cbk_mock *m, const char *yaml)
{
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = NULL;
    enum cbk_code rc =
        cbk_scenario_load_buffer(env_of(spec), yaml, strlen(yaml), "test.yaml", &s, &d);
    for (size_t i = 0; i < d.nr; i++)
        print_error("%d:%d %s: %s\n", d.v[i].line, d.v[i].column, d.v[i].path, d.v[i].message);
    assert_int_equal(rc, CBK_OK);
    assert_int_equal(cbk_mock_add_scenario_take(m, s, &d), CBK_OK);
    assert_int_equal(d.nr, 0);
    cbk_diags_release(&d);
}

static void add_example(struct cbk_mock *m, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/scenarios/examples/%s.yaml", source_dir(), name);
    struct cbk_diags d = CBK_DIAGS_INIT;
    struct cbk_scenario *s = NULL;
    assert_int_equal(cbk_scenario_load_file(env_of(spec), path, &s, &d), CBK_OK);
    assert_int_equal(cbk_mock_add_scenario_take(m, s, &d), CBK_OK);
    assert_int_equal(d.nr, 0);
    cbk_diags_release(&d);
}

/* An AWS error answer: status, bare or decorated __type in body and header, message. */
static void expect_error(const struct call *c, int status, const char *type, const char *message)
{
    if (c->ans.status != status || !c->doc || !at(c->doc, "/__type") ||
        strcmp(sat(c->doc, "/__type"), type) != 0)
        print_error("expected %d %s, got %d %.*s\n", status, type, c->ans.status,
                    (int)c->ans.body_len, c->ans.body ? c->ans.body : "");
    assert_int_equal(c->ans.status, status);
    assert_non_null(c->doc);
    assert_string_equal(sat(c->doc, "/__type"), type);
    assert_string_equal(hdr(c, "x-amzn-ErrorType"), type);
    assert_int_equal(hdr_count(c, "x-amzn-ErrorType"), 1);
    assert_string_equal(hdr(c, "Content-Type"), CT_JSON11);
    assert_int_equal(hdr_count(c, "Content-Type"), 1);
    if (message)
        assert_string_equal(sat(c->doc, "/message"), message);
    assert_int_equal(json_object_object_length(c->doc), 2);
    assert_int_equal(c->ans.fault, CBK_FAULT_NONE);
}

static void expect_success(const struct call *c, const char *member)
{
    if (c->ans.status != 200)
        print_error("expected 200, got %d %.*s\n", c->ans.status, (int)c->ans.body_len,
                    c->ans.body ? c->ans.body : "");
    assert_int_equal(c->ans.status, 200);
    assert_non_null(c->doc);
    assert_null(hdr(c, "x-amzn-ErrorType"));
    assert_string_equal(hdr(c, "Content-Type"), CT_JSON11);
    if (member)
        assert_non_null(at(c->doc, member));
}

static void rt_throttle_then_generated(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(1, CBK_WORLD_OPEN);
    add_example(m, "throttle-then-succeed");
    static const char *const inv[] = {"amz-sdk-invocation-id",
                                      "0b6f1e3c-7a8d-4c2e-9f10-1a2b3c4d5e6f", "amz-sdk-request",
                                      "attempt=1", NULL};
    struct call c;
    for (int i = 0; i < 2; i++) {
        api_h(m, &c, "RetryBuild", "{\"id\":\"my-app:1234\"}", inv);
        expect_error(&c, 400, "ThrottlingException", "Rate exceeded");
        assert_memory_equal(c.ans.body,
                            "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}",
                            c.ans.body_len);
        assert_int_equal(c.ans.delay_ms, 0);
        call_done(&c);
    }
    api_h(m, &c, "RetryBuild", "{\"id\":\"my-app:1234\"}", inv);
    expect_success(&c, "/build");
    assert_int_equal(strncmp(sat(c.doc, "/build/id"), "my-app:", 7), 0);
    assert_string_equal(sat(c.doc, "/build/buildStatus"), "IN_PROGRESS");
    call_done(&c);
    /* other operations are not matched */
    api(m, &c, "StopBuild", "{\"id\":\"my-app:1234\"}");
    expect_success(&c, "/build");
    call_done(&c);

    struct json_object *j = journal(m);
    assert_int_equal(iat(j, "/total"), 4);
    for (int i = 0; i < 3; i++) {
        char p[64];
        snprintf(p, sizeof p, "/requests/%d/invocationId", i);
        assert_string_equal(sat(j, p), "0b6f1e3c-7a8d-4c2e-9f10-1a2b3c4d5e6f");
        snprintf(p, sizeof p, "/requests/%d/body", i);
        assert_string_equal(sat(j, p), "{\"id\":\"my-app:1234\"}");
        snprintf(p, sizeof p, "/requests/%d/verdict", i);
        assert_string_equal(sat(j, p), "valid");
    }
    assert_string_equal(sat(j, "/requests/0/answeredBy"),
                        "scenario throttle-then-succeed/throttle");
    assert_string_equal(sat(j, "/requests/0/fault"), "error ThrottlingException");
    assert_string_equal(sat(j, "/requests/0/errorType"), "ThrottlingException");
    assert_int_equal(iat(j, "/requests/0/status"), 400);
    assert_string_equal(sat(j, "/requests/1/answeredBy"),
                        "scenario throttle-then-succeed/throttle");
    assert_string_equal(sat(j, "/requests/2/answeredBy"), "generated");
    assert_string_equal(sat(j, "/requests/2/fault"), "");
    assert_string_equal(sat(j, "/requests/2/errorType"), "");
    assert_int_equal(iat(j, "/requests/2/status"), 200);
    json_object_put(j);

    struct json_object *sc = scenarios(m);
    assert_string_equal(sat(sc, "/scenarios/0/name"), "throttle-then-succeed");
    assert_string_equal(sat(sc, "/scenarios/0/rules/0/name"), "throttle");
    assert_int_equal(iat(sc, "/scenarios/0/rules/0/matched"), 3);
    assert_int_equal(iat(sc, "/scenarios/0/rules/0/fired"), 2);
    json_object_put(sc);

    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    assert_int_equal(st.requests, 4);
    assert_int_equal(st.faults, 2);
    assert_int_equal(st.valid, 4);
    cbk_mock_free(m);
}

static void rt_error_statuses(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(2, CBK_WORLD_OPEN);
    add_yaml(
        m, "scenario: errors\n"
           "rules:\n"
           "  - {name: t, match: {operation: RetryBuild, body: {/id: 'p:t'}},\n"
           "     respond: {error: ThrottlingException}}\n"
           "  - {name: i, match: {body: {/id: 'p:i'}}, respond: {error: InternalFailure}}\n"
           "  - {name: u, match: {body: {/id: 'p:u'}}, respond: {error: ServiceUnavailable}}\n"
           "  - {name: k, match: {body: {/id: 'p:k'}}, respond: {error: InvalidClientTokenId}}\n"
           "  - {name: a, match: {body: {/id: 'p:a'}}, respond: {error: AccessDeniedException}}\n"
           "  - {name: r, match: {body: {/id: 'p:r'}}, respond: {error: RequestTimeoutException}}\n"
           "  - {name: l, match: {operation: StartBuildBatch},\n"
           "     respond: {error: AccountLimitExceededException, message: 'Too many batches'}}\n"
           "  - {name: o, match: {body: {/id: 'p:o'}}, respond: {error: NoSuchThing, "
           "message: custom}}\n"
           "  - {name: s, match: {body: {/id: 'p:s'}}, respond: {error: SlowDown, status: 429,"
           " message: 'slow down'}}\n"
           "  - {name: x, match: {body: {/id: 'p:x'}}, respond: {error: InternalFailure, "
           "status: 502, message: 'bad gateway'}}\n");
    static const struct {
        const char *op, *body;
        int status;
        const char *type, *message;
    } cases[] = {
        {"RetryBuild", "{\"id\":\"p:t\"}", 400, "ThrottlingException", "Rate exceeded"},
        {"StopBuild", "{\"id\":\"p:t\"}", 200, NULL, NULL}, /* rule t is RetryBuild's */
        {"StopBuild", "{\"id\":\"p:i\"}", 500, "InternalFailure",
         "The request processing has failed because of an unknown error, exception or failure."},
        {"RetryBuild", "{\"id\":\"p:u\"}", 503, "ServiceUnavailable",
         "The request has failed due to a temporary failure of the server."},
        {"RetryBuild", "{\"id\":\"p:k\"}", 403, "InvalidClientTokenId",
         "The security token included in the request is invalid."},
        {"RetryBuild", "{\"id\":\"p:a\"}", 400, "AccessDeniedException",
         "You do not have sufficient access to perform this action."},
        {"RetryBuild", "{\"id\":\"p:r\"}", 408, "RequestTimeoutException",
         "The request timed out."},
        {"StartBuildBatch", "{\"projectName\":\"p\"}", 400, "AccountLimitExceededException",
         "Too many batches"},
        {"RetryBuild", "{\"id\":\"p:o\"}", 400, "NoSuchThing", "custom"},
        {"RetryBuild", "{\"id\":\"p:s\"}", 429, "SlowDown", "slow down"},
        {"RetryBuild", "{\"id\":\"p:x\"}", 502, "InternalFailure", "bad gateway"},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        struct call c;
        api(m, &c, cases[i].op, cases[i].body);
        if (cases[i].type)
            expect_error(&c, cases[i].status, cases[i].type, cases[i].message);
        else
            expect_success(&c, "/build");
        call_done(&c);
    }
    struct json_object *j = journal(m);
    assert_string_equal(sat(j, "/requests/2/answeredBy"), "scenario errors/i");
    assert_string_equal(sat(j, "/requests/2/fault"), "error InternalFailure");
    assert_int_equal(iat(j, "/requests/2/status"), 500);
    assert_string_equal(sat(j, "/requests/7/errorType"), "AccountLimitExceededException");
    json_object_put(j);
    cbk_mock_free(m);
}

static void rt_decorated(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(3, CBK_WORLD_OPEN);
    add_yaml(m, "scenario: decorated\n"
                "rules:\n"
                "  - {name: ns, match: {body: {/id: 'p:ns'}},\n"
                "     respond: {error: ThrottlingException, decorate: namespace}}\n"
                "  - {name: uri, match: {body: {/id: 'p:uri'}},\n"
                "     respond: {error: ThrottlingException, decorate: uri}}\n"
                "  - {name: both, match: {body: {/id: 'p:both'}},\n"
                "     respond: {error: ResourceNotFoundException, decorate: both, message: gone}}\n"
                "  - {name: none, match: {body: {/id: 'p:none'}},\n"
                "     respond: {error: ThrottlingException, decorate: none}}\n");
    static const struct {
        const char *id, *type;
    } cases[] = {
        {"p:ns", "com.amazonaws.codebuild#ThrottlingException"},
        {"p:uri", "ThrottlingException" URI_SUFFIX},
        {"p:both", "com.amazonaws.codebuild#ResourceNotFoundException" URI_SUFFIX},
        {"p:none", "ThrottlingException"},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        struct call c;
        char body[64];
        snprintf(body, sizeof body, "{\"id\":\"%s\"}", cases[i].id);
        api(m, &c, "RetryBuild", body);
        expect_error(&c, 400, cases[i].type, i == 2 ? "gone" : "Rate exceeded");
        call_done(&c);
    }
    struct json_object *j = journal(m);
    /* the journal keeps the type sent; the fault names the error */
    assert_string_equal(sat(j, "/requests/1/errorType"), "ThrottlingException" URI_SUFFIX);
    assert_string_equal(sat(j, "/requests/1/fault"), "error ThrottlingException");
    assert_string_equal(sat(j, "/requests/2/fault"), "error ResourceNotFoundException");
    json_object_put(j);
    cbk_mock_free(m);
}

static void rt_canned(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(4, CBK_WORLD_OPEN);
    add_example(m, "canned-answers");
    add_yaml(
        m, "scenario: text\n"
           "rules:\n"
           "  - name: teapot\n"
           "    match: {operation: StopBuild, body: {/id: 'p:text'}}\n"
           "    respond: {status: 418, bodyText: \"I'm a teapot\", headers: {X-Custom: yes-really,"
           " Retry-After: '3'}}\n"
           "  - name: created\n"
           "    match: {operation: StopBuild, body: {/id: 'p:created'}}\n"
           "    respond: {status: 201, body: {build: {id: 'p:created', buildNumber: 5}}}\n");
    struct call c;
    static const char fixed[] = "{\"build\":{\"id\":\"fixed:00000000-0000-4000-8000-000000000000\","
                                "\"buildStatus\":\"STOPPED\",\"buildComplete\":true,"
                                "\"currentPhase\":\"COMPLETED\"}}";
    for (int i = 0; i < 2; i++) {
        api(m, &c, "StopBuild", "{\"id\":\"fixed:00000000-0000-4000-8000-000000000000\"}");
        expect_success(&c, "/build");
        assert_int_equal(c.ans.body_len, strlen(fixed));
        assert_memory_equal(c.ans.body, fixed, c.ans.body_len);
        call_done(&c);
    }
    /* another id: the default answer */
    api(m, &c, "StopBuild", "{\"id\":\"fixed:1\"}");
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/id"), "fixed:1");
    call_done(&c);

    api(m, &c, "StopBuild", "{\"id\":\"p:text\"}");
    assert_int_equal(c.ans.status, 418);
    assert_int_equal(c.ans.body_len, strlen("I'm a teapot"));
    assert_memory_equal(c.ans.body, "I'm a teapot", c.ans.body_len);
    assert_string_equal(hdr(&c, "X-Custom"), "yes-really");
    assert_string_equal(hdr(&c, "Retry-After"), "3");
    assert_string_equal(hdr(&c, "Content-Type"), CT_JSON11);
    assert_null(hdr(&c, "x-amzn-ErrorType"));
    call_done(&c);

    api(m, &c, "StopBuild", "{\"id\":\"p:created\"}");
    assert_int_equal(c.ans.status, 201);
    assert_memory_equal(c.ans.body, "{\"build\":{\"id\":\"p:created\",\"buildNumber\":5}}",
                        c.ans.body_len);
    call_done(&c);

    struct json_object *j = journal(m);
    assert_string_equal(sat(j, "/requests/0/answeredBy"), "scenario canned-answers/fixed-build");
    assert_string_equal(sat(j, "/requests/0/fault"), "");
    assert_string_equal(sat(j, "/requests/2/answeredBy"), "generated");
    assert_string_equal(sat(j, "/requests/3/answeredBy"), "scenario text/teapot");
    assert_int_equal(iat(j, "/requests/3/status"), 418);
    json_object_put(j);
    cbk_mock_free(m);
}

static void rt_templates(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(5, CBK_WORLD_OPEN);
    add_example(m, "canned-answers");
    add_yaml(m, "scenario: tmpl\n"
                "rules:\n"
                "  - name: echo\n"
                "    match: {operation: RetryBuild, body: {/id: {regex: '^tmpl:'}}}\n"
                "    respond:\n"
                "      template:\n"
                "        build:\n"
                "          id: '{{request./id}}'\n"
                "          arn: 'arn:aws:codebuild:{{region}}:{{account}}:build/{{request./id}}'\n"
                "          buildNumber: '{{seq}}'\n"
                "          sourceVersion: 'call {{count}} of [{{request./missing}}]'\n"
                "          initiator: '{{uuid}}'\n"
                "          startTime: '{{now}}'\n"
                "  - name: bad-render\n"
                "    match: {operation: StartBuildBatch, body: {/projectName: render}}\n"
                "    respond:\n"
                "      template: {buildBatch: {id: '{{request./buildTimeoutInMinutesOverride}}'}}\n"
                "  - name: numbered\n"
                "    match: {operation: StopBuild, body: {/id: {regex: '^num:'}}}\n"
                "    when: {after: 2}\n"
                "    respond:\n"
                "      template: {build: {id: '{{request./id}}', buildNumber: '{{count}}'}}\n");
    struct call c;
    char prev_uuid[40] = "";
    for (int i = 1; i <= 3; i++) {
        api(m, &c, "StartBuildBatch", "{\"projectName\":\"templated-app\"}");
        expect_success(&c, "/buildBatch");
        const char *id = sat(c.doc, "/buildBatch/id");
        assert_int_equal(strncmp(id, "templated-app:", 14), 0);
        assert_true(is_uuid(id + 14));
        assert_string_not_equal(id + 14, prev_uuid);
        snprintf(prev_uuid, sizeof prev_uuid, "%s", id + 14);
        assert_string_equal(sat(c.doc, "/buildBatch/projectName"), "templated-app");
        assert_int_equal(iat(c.doc, "/buildBatch/buildBatchNumber"), i); /* {{count}}, typed */
        struct json_object *t = at(c.doc, "/buildBatch/startTime");
        assert_non_null(t);
        assert_true(json_object_is_type(t, json_type_double) ||
                    json_object_is_type(t, json_type_int));
        assert_true(json_object_get_double(t) == (double)(CLOCK0_MS / 1000 + 60 * (i - 1)));
        assert_false(json_object_get_boolean(at(c.doc, "/buildBatch/complete")));
        call_done(&c);
        advance_clock(m, 60);
    }
    api(m, &c, "RetryBuild", "{\"id\":\"tmpl:42\"}");
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/id"), "tmpl:42");
    assert_string_equal(sat(c.doc, "/build/arn"),
                        "arn:aws:codebuild:us-east-1:123456789012:build/tmpl:42");
    assert_int_equal(iat(c.doc, "/build/buildNumber"), 4); /* the mock's 4th request */
    assert_string_equal(sat(c.doc, "/build/sourceVersion"), "call 1 of []");
    assert_true(is_uuid(sat(c.doc, "/build/initiator")));
    call_done(&c);

    /* {{count}} is the rule's call number as its schedule counts it, not how often it fired */
    for (int i = 1; i <= 4; i++) {
        api(m, &c, "StopBuild", "{\"id\":\"num:1\"}");
        expect_success(&c, "/build");
        if (i > 2) {
            assert_int_equal(iat(c.doc, "/build/buildNumber"), i);
            assert_int_equal(json_object_object_length(at(c.doc, "/build")), 2);
        } else {
            assert_non_null(at(c.doc, "/build/arn")); /* the model's answer */
        }
        call_done(&c);
    }

    /* a rendered answer that breaks the contract: 500 InternalFailure naming the rule */
    api(m, &c, "StartBuildBatch",
        "{\"projectName\":\"render\",\"buildTimeoutInMinutesOverride\":60}");
    expect_error(&c, 500, "InternalFailure", NULL);
    const char *msg = sat(c.doc, "/message");
    assert_non_null(strstr(msg, "scenario tmpl rule bad-render rendered an answer that breaks the "
                                "contract: /buildBatch/id"));
    call_done(&c);
    struct json_object *j = journal(m);
    assert_string_equal(sat(j, "/requests/8/answeredBy"), "scenario tmpl/bad-render");
    assert_string_equal(sat(j, "/requests/8/errorType"), "InternalFailure");
    json_object_put(j);
    cbk_mock_free(m);
}

static void rt_faults(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(6, CBK_WORLD_OPEN);
    add_yaml(
        m, "scenario: faults\n"
           "rules:\n"
           "  - {name: reset, match: {body: {/id: 'p:reset'}}, respond: {fault: reset}}\n"
           "  - {name: close, match: {body: {/id: 'p:close'}}, respond: {fault: close}}\n"
           "  - {name: stall, match: {body: {/id: 'p:stall'}}, respond: {fault: stall}}\n"
           "  - {name: stall-ms, match: {body: {/id: 'p:stall-ms'}},\n"
           "     respond: {fault: stall, ms: 1234}}\n"
           "  - {name: half, match: {body: {/id: 'p:half'}}, respond: {fault: truncate}}\n"
           "  - {name: ten, match: {body: {/id: 'p:ten'}}, respond: {fault: truncate, bytes: 10}}\n"
           "  - {name: terr, match: {body: {/id: 'p:terr'}},\n"
           "     respond: {fault: truncate, bytes: 5, error: ThrottlingException}}\n"
           "  - {name: drib, match: {body: {/id: 'p:drib'}}, respond: {fault: dribble}}\n"
           "  - {name: drib8, match: {body: {/id: 'p:drib8'}},\n"
           "     respond: {fault: dribble, chunks: 8, ms: 1500}}\n"
           "  - {name: html, match: {body: {/id: 'p:html'}}, respond: {fault: html}}\n"
           "  - {name: html502, match: {body: {/id: 'p:html502'}},\n"
           "     respond: {fault: html, status: 502}}\n"
           "  - {name: bad, match: {body: {/id: 'p:bad'}}, respond: {fault: malformed}}\n"
           "  - {name: slow-reset, match: {body: {/id: 'p:slow-reset'}},\n"
           "     respond: {fault: reset}, latency: 40}\n");
    static const struct {
        const char *id;
        enum cbk_fault_kind fault;
        int status;
        const char *journal_fault;
    } cases[] = {
        {"p:reset", CBK_FAULT_RESET, 0, "reset"},
        {"p:close", CBK_FAULT_CLOSE, 0, "close"},
        {"p:stall", CBK_FAULT_STALL, 0, "stall 30000ms"},
        {"p:stall-ms", CBK_FAULT_STALL, 0, "stall 1234ms"},
        {"p:half", CBK_FAULT_TRUNCATE, 200, "truncate"},
        {"p:ten", CBK_FAULT_TRUNCATE, 200, "truncate 10B"},
        {"p:terr", CBK_FAULT_TRUNCATE, 400, "error ThrottlingException, truncate 5B"},
        {"p:drib", CBK_FAULT_DRIBBLE, 200, "dribble 10x2000ms"},
        {"p:drib8", CBK_FAULT_DRIBBLE, 200, "dribble 8x1500ms"},
        {"p:html", CBK_FAULT_NONE, 503, "html 503"},
        {"p:html502", CBK_FAULT_NONE, 502, "html 502"},
        {"p:bad", CBK_FAULT_NONE, 200, "malformed"},
        {"p:slow-reset", CBK_FAULT_RESET, 0, "latency 40ms, reset"},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        struct call c;
        char body[64];
        snprintf(body, sizeof body, "{\"id\":\"%s\"}", cases[i].id);
        api(m, &c, "StopBuild", body);
        if (c.ans.fault != cases[i].fault || c.ans.status != cases[i].status)
            print_error("%s: fault %d status %d\n", cases[i].id, c.ans.fault, c.ans.status);
        assert_int_equal(c.ans.fault, cases[i].fault);
        assert_int_equal(c.ans.status, cases[i].status);
        switch (cases[i].fault) {
        case CBK_FAULT_STALL:
            assert_int_equal(c.ans.stall_ms, i == 2 ? 30000 : 1234);
            break;
        case CBK_FAULT_TRUNCATE:
            assert_int_equal(c.ans.truncate_at, i == 4 ? SIZE_MAX : i == 5 ? 10 : 5);
            assert_non_null(c.doc); /* the answer to deliver in part is complete here */
            if (i == 6) {
                assert_string_equal(sat(c.doc, "/__type"), "ThrottlingException");
                assert_string_equal(hdr(&c, "x-amzn-ErrorType"), "ThrottlingException");
            } else
                assert_string_equal(sat(c.doc, "/build/id"), cases[i].id);
            break;
        case CBK_FAULT_DRIBBLE:
            assert_int_equal(c.ans.chunks, i == 7 ? 10 : 8);
            assert_int_equal(c.ans.dribble_ms, i == 7 ? 2000 : 1500);
            assert_string_equal(sat(c.doc, "/build/id"), cases[i].id);
            break;
        default:
            break;
        }
        if (i == 9 || i == 10) { /* a load balancer's page */
            assert_string_equal(hdr(&c, "Content-Type"), "text/html");
            assert_int_equal(hdr_count(&c, "Content-Type"), 1);
            assert_null(hdr(&c, "x-amzn-ErrorType"));
            assert_null(c.doc);
            assert_true(c.ans.body_len > 6 && strncmp(c.ans.body, "<html>", 6) == 0);
            assert_non_null(strstr(c.ans.body, i == 9 ? "503 Service Temporarily Unavailable"
                                                      : "502 Bad Gateway"));
        }
        if (i == 11) { /* 200 with a body that is not JSON */
            assert_string_equal(hdr(&c, "Content-Type"), CT_JSON11);
            assert_null(c.doc);
            assert_true(c.ans.body_len > 0);
        }
        if (i == 12)
            assert_int_equal(c.ans.delay_ms, 40);
        call_done(&c);
    }
    struct json_object *j = journal(m);
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        char p[64];
        snprintf(p, sizeof p, "/requests/%zu/fault", i);
        assert_string_equal(sat(j, p), cases[i].journal_fault);
        snprintf(p, sizeof p, "/requests/%zu/status", i);
        assert_int_equal(iat(j, p), cases[i].status);
        snprintf(p, sizeof p, "/requests/%zu/answeredBy", i);
        const char *by = sat(j, p);
        assert_int_equal(strncmp(by, "scenario faults/", 16), 0);
    }
    /* truncate and dribble deliver the default answer: the model is named too */
    assert_string_equal(sat(j, "/requests/4/answeredBy"), "scenario faults/half (generated)");
    assert_string_equal(sat(j, "/requests/7/answeredBy"), "scenario faults/drib (generated)");
    assert_string_equal(sat(j, "/requests/0/answeredBy"), "scenario faults/reset");
    json_object_put(j);
    struct cbk_mock_stats st;
    cbk_mock_stats(m, &st);
    assert_int_equal(st.faults, CBK_ARRAY_SIZE(cases));
    cbk_mock_free(m);
}

static void rt_latency(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(7, CBK_WORLD_OPEN);
    add_yaml(m, "scenario: lat\n"
                "rules:\n"
                "  - {name: slow, match: {operation: RetryBuild}, latency: 250}\n"
                "  - {name: slow-error, match: {operation: StartBuildBatch},\n"
                "     respond: {error: ThrottlingException}, latency: {fixed: 100}}\n"
                "  - {name: uni, match: {operation: StopBuild}, latency: {uniform: [20, 60]}}\n");
    struct call c;
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_success(&c, "/build");
    assert_int_equal(c.ans.delay_ms, 250);
    assert_int_equal(c.ans.fault, CBK_FAULT_NONE);
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"a\"}");
    expect_error(&c, 400, "ThrottlingException", "Rate exceeded");
    assert_int_equal(c.ans.delay_ms, 100);
    call_done(&c);
    for (int i = 0; i < 50; i++) {
        api(m, &c, "StopBuild", "{\"id\":\"a:1\"}");
        expect_success(&c, "/build");
        assert_in_range(c.ans.delay_ms, 20, 60);
        call_done(&c);
    }
    struct json_object *j = journal(m);
    assert_string_equal(sat(j, "/requests/0/fault"), "latency 250ms");
    assert_string_equal(sat(j, "/requests/0/answeredBy"), "scenario lat/slow (generated)");
    assert_string_equal(sat(j, "/requests/1/fault"), "latency 100ms, error ThrottlingException");
    assert_string_equal(sat(j, "/requests/1/answeredBy"), "scenario lat/slow-error");
    assert_int_equal(strncmp(sat(j, "/requests/2/fault"), "latency ", 8), 0);
    json_object_put(j);
    cbk_mock_free(m);
}

static void rt_states(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(8, CBK_WORLD_OPEN);
    add_example(m, "lifecycle");
    struct call c;
    /* the scenario made the world strict and knows my-app */
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/health", NULL), 200);
    assert_string_equal(sat(c.doc, "/world"), "strict");
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"my-app\"}");
    expect_success(&c, "/buildBatch");
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"unknown-app\"}");
    expect_error(&c, 400, "ResourceNotFoundException",
                 "Project cannot be found: arn:aws:codebuild:us-east-1:123456789012:project/"
                 "unknown-app");
    call_done(&c);
    struct json_object *sc = scenarios(m);
    assert_string_equal(sat(sc, "/scenarios/0/state"), "Started");
    assert_string_equal(sat(sc, "/scenarios/0/initialState"), "Started");
    json_object_put(sc);

    /* stopping the seeded running build moves the scenario to Stopped */
    api(m, &c, "StopBuild", "{\"id\":\"my-app:11111111-2222-4333-8444-555555555555\"}");
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/buildStatus"), "STOPPED");
    assert_true(json_object_get_boolean(at(c.doc, "/build/buildComplete")));
    assert_int_equal(iat(c.doc, "/build/buildNumber"), 7);
    call_done(&c);
    sc = scenarios(m);
    assert_string_equal(sat(sc, "/scenarios/0/state"), "Stopped");
    json_object_put(sc);
    for (int i = 0; i < 2; i++) {
        api(m, &c, "StartBuildBatch", "{\"projectName\":\"my-app\"}");
        expect_error(&c, 400, "AccountLimitExceededException", "my-app is frozen after a stop");
        call_done(&c);
    }
    /* other projects are not concerned by the rule */
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"unknown-app\"}");
    expect_error(&c, 400, "ResourceNotFoundException", NULL);
    call_done(&c);

    /* the admin API sets the state back */
    assert_int_equal(
        admin(m, &c, "POST", "/__cbkit/scenarios/lifecycle/state", "{\"state\":\"Started\"}"), 200);
    assert_string_equal(sat(c.doc, "/scenarios/0/state"), "Started");
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"my-app\"}");
    expect_success(&c, "/buildBatch");
    call_done(&c);
    /* ... or any state at all; then a reset returns to the initial one */
    assert_int_equal(
        admin(m, &c, "POST", "/__cbkit/scenarios/lifecycle/state", "{\"state\":\"Stopped\"}"), 200);
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"my-app\"}");
    expect_error(&c, 400, "AccountLimitExceededException", NULL);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios/reset", NULL), 200);
    assert_string_equal(sat(c.doc, "/scenarios/0/state"), "Started");
    assert_int_equal(iat(c.doc, "/scenarios/0/rules/0/matched"), 0);
    assert_int_equal(iat(c.doc, "/scenarios/0/rules/1/fired"), 0);
    call_done(&c);
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"my-app\"}");
    expect_success(&c, "/buildBatch");
    call_done(&c);

    /* a bad state request, an unknown scenario */
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios/lifecycle/state", "{\"state\":\"\"}"),
                     400);
    assert_string_equal(sat(c.doc, "/error"), "expected {\"state\": \"NAME\"}");
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios/lifecycle/state", "not json"), 400);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios/nope/state", "{\"state\":\"A\"}"),
                     404);
    assert_string_equal(sat(c.doc, "/error"), "no scenario of that name is loaded");
    call_done(&c);

    /* a state machine driven by 'then' alone, with several steps */
    add_yaml(m, "scenario: steps\n"
                "state: One\n"
                "rules:\n"
                "  - {name: one, match: {operation: RetryBuild, state: One}, then: Two,\n"
                "     respond: {error: E1}}\n"
                "  - {name: two, match: {operation: RetryBuild, state: [Two]}, then: Three,\n"
                "     respond: {error: E2}}\n"
                "  - {name: three, match: {operation: RetryBuild, state: [Three, Four]},\n"
                "     when: {every: 2}, then: One, respond: {error: E3}}\n");
    static const char *const seq[] = {"E1", "E2", NULL, "E3", "E1", "E2", NULL, "E3"};
    for (size_t i = 0; i < CBK_ARRAY_SIZE(seq); i++) {
        api(m, &c, "RetryBuild", "{\"id\":\"my-app:11111111-2222-4333-8444-555555555555\"}");
        if (seq[i])
            expect_error(&c, 400, seq[i], NULL);
        else
            expect_success(&c, "/build"); /* rule three counts call 1 but fires on call 2 */
        call_done(&c);
    }
    cbk_mock_free(m);
}

static void rt_valid_defaults(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(9, CBK_WORLD_OPEN);
    add_yaml(m, "scenario: validity\n"
                "rules:\n"
                "  - name: canned\n"
                "    match: {operation: StopBuild}\n"
                "    respond: {body: {build: {id: 'canned:1'}}}\n"
                "  - name: throttle\n"
                "    match: {operation: RetryBuild, body: {/id: {present: true}}}\n"
                "    respond: {error: ThrottlingException}\n"
                "  - name: only-invalid\n"
                "    match: {operation: StartBuildBatch, valid: false}\n"
                "    respond: {error: Unprocessable, status: 422, message: nope}\n"
                "  - name: slow\n"
                "    match: {operation: StartBuildBatch}\n"
                "    latency: 33\n"
                "  - name: reset-any\n"
                "    match: {operation: RetryBuild, body: {/id: {absent: true}}}\n"
                "    respond: {fault: reset}\n");
    struct call c;
    /* a canned success never hides a contract violation */
    api(m, &c, "StopBuild", "{\"id\":5}");
    expect_error(&c, 400, "InvalidInputException", NULL);
    call_done(&c);
    api(m, &c, "StopBuild", "{\"id\":\"a:1\",\"bogus\":1}");
    expect_error(&c, 400, "InvalidInputException", NULL);
    call_done(&c);
    api(m, &c, "StopBuild", "{\"id\":\"a:1\"}");
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/id"), "canned:1");
    call_done(&c);
    /* an error rule answers invalid requests too */
    api(m, &c, "RetryBuild", "{\"id\":\"\"}");
    expect_error(&c, 400, "ThrottlingException", NULL);
    call_done(&c);
    /* valid: false: only invalid requests */
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"p\",\"buildTimeoutInMinutesOverride\":2161}");
    expect_error(&c, 422, "Unprocessable", "nope");
    call_done(&c);
    /* a valid one goes on to the latency rule (valid: true by default) */
    api(m, &c, "StartBuildBatch", "{\"projectName\":\"p\"}");
    expect_success(&c, "/buildBatch");
    assert_int_equal(c.ans.delay_ms, 33);
    call_done(&c);
    /* a fault rule answers an invalid request */
    api(m, &c, "RetryBuild", "{\"idempotencyToken\":5}");
    assert_int_equal(c.ans.fault, CBK_FAULT_RESET);
    call_done(&c);

    struct json_object *j = journal(m);
    assert_string_equal(sat(j, "/requests/0/verdict"), "invalid");
    assert_string_equal(sat(j, "/requests/0/answeredBy"), "validator");
    assert_string_equal(sat(j, "/requests/0/fault"), "");
    assert_string_equal(sat(j, "/requests/3/verdict"), "invalid");
    assert_string_equal(sat(j, "/requests/3/answeredBy"), "scenario validity/throttle");
    assert_string_equal(sat(j, "/requests/4/verdict"), "invalid");
    assert_string_equal(sat(j, "/requests/6/verdict"), "invalid");
    assert_string_equal(sat(j, "/requests/6/fault"), "reset");
    json_object_put(j);
    struct json_object *sc = scenarios(m);
    /* the canned rule never matched the invalid StopBuild calls */
    assert_int_equal(iat(sc, "/scenarios/0/rules/0/matched"), 1);
    assert_int_equal(iat(sc, "/scenarios/0/rules/2/matched"), 1);
    assert_int_equal(iat(sc, "/scenarios/0/rules/3/matched"), 1);
    json_object_put(sc);
    cbk_mock_free(m);
}

static void rt_matchers(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(10, CBK_WORLD_OPEN);
    add_yaml(m, "scenario: match\n"
                "rules:\n"
                "  - name: boto\n"
                "    match: {headers: {user-agent: {regex: '^Boto3/'}}}\n"
                "    respond: {error: FromBoto}\n"
                "  - name: marked\n"
                "    match: {headers: {X-Test: {present: true}, X-Other: {absent: true}}}\n"
                "    respond: {error: Marked}\n"
                "  - name: exact\n"
                "    match: {headers: {X-Exact: abc}}\n"
                "    respond: {error: Exact}\n"
                "  - name: stage\n"
                "    match:\n"
                "      operation: StartBuildBatch\n"
                "      body:\n"
                "        /environmentVariablesOverride: {contains: {name: STAGE}}\n"
                "        /buildTimeoutInMinutesOverride: 60\n"
                "    respond: {error: Staged}\n"
                "  - name: partial\n"
                "    match:\n"
                "      operation: StartBuildBatch\n"
                "      body: {'': {partial: {logsConfigOverride: {s3Logs: {status: ENABLED}}}}}\n"
                "    respond: {error: Partial}\n");
    static const struct {
        const char *op, *body, *hname, *hvalue, *hname2, *hvalue2, *want;
    } cases[] = {
        {"RetryBuild", "{\"id\":\"a:1\"}", "User-Agent", "Boto3/1.26.27 Python/3.11.2", NULL, NULL,
         "FromBoto"},
        {"RetryBuild", "{\"id\":\"a:1\"}", "User-Agent", "aws-cli/2.9.19 Python/3.11.2", NULL, NULL,
         NULL},
        {"RetryBuild", "{\"id\":\"a:1\"}", "X-Test", "", NULL, NULL, "Marked"},
        {"RetryBuild", "{\"id\":\"a:1\"}", "X-Test", "1", "X-Other", "2", NULL},
        {"RetryBuild", "{\"id\":\"a:1\"}", "x-exact", "abc", NULL, NULL, "Exact"},
        {"RetryBuild", "{\"id\":\"a:1\"}", "X-Exact", "ABC", NULL, NULL, NULL},
        {"StartBuildBatch",
         "{\"projectName\":\"p\",\"buildTimeoutInMinutesOverride\":60.0,"
         "\"environmentVariablesOverride\":[{\"name\":\"A\",\"value\":\"1\"},"
         "{\"name\":\"STAGE\",\"value\":\"prod\"}]}",
         NULL, NULL, NULL, NULL, "Staged"},
        {"StartBuildBatch",
         "{\"projectName\":\"p\",\"buildTimeoutInMinutesOverride\":61,"
         "\"environmentVariablesOverride\":[{\"name\":\"STAGE\",\"value\":\"prod\"}]}",
         NULL, NULL, NULL, NULL, NULL},
        {"StartBuildBatch",
         "{\"projectName\":\"p\",\"logsConfigOverride\":{\"s3Logs\":{\"status\":\"ENABLED\","
         "\"location\":\"b/p\"},\"cloudWatchLogs\":{\"status\":\"DISABLED\"}}}",
         NULL, NULL, NULL, NULL, "Partial"},
        {"StartBuildBatch",
         "{\"projectName\":\"p\",\"logsConfigOverride\":{\"s3Logs\":{\"status\":\"DISABLED\"}}}",
         NULL, NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < CBK_ARRAY_SIZE(cases); i++) {
        const char *extra[6] = {
            cases[i].hname, cases[i].hvalue, cases[i].hname2, cases[i].hvalue2, NULL, NULL};
        struct call c;
        api_h(m, &c, cases[i].op, cases[i].body, extra);
        if (cases[i].want)
            expect_error(&c, 400, cases[i].want, NULL);
        else
            expect_success(&c, NULL);
        call_done(&c);
    }
    cbk_mock_free(m);
}

/*
 * Through the mock: the 5,000 a's now fire their rule; a regex the engine cannot decide
 * answers 500 InternalFailure naming the scenario, the rule and the reason, is journaled as
 * such, and no later rule answers in its place.
 */
static void rt_regex_engine_errors(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(12, CBK_WORLD_OPEN);
    add_yaml(m, "scenario: rx\n"
                "rules:\n"
                "  - name: long-ids\n"
                "    match: {operation: StopBuild, body: {/id: {regex: '^p:(a|b)*$'}}}\n"
                "    respond: {error: LongId}\n"
                "  - name: backtrack\n"
                "    match: {operation: StopBuild, body: {/id: {regex: '^(a+)+$'}}}\n"
                "    respond: {error: Backtracked}\n"
                "  - name: agent\n"
                "    match: {operation: RetryBuild, headers: {X-Id: {regex: '^(a+)+$'}}}\n"
                "    respond: {error: Agent}\n"
                "  - name: fallback\n"
                "    respond: {error: Fallback}\n");
    struct cbk_buf body = CBK_BUF_INIT(1 << 20);
    cbk_buf_adds(&body, "{\"id\":\"p:");
    for (int i = 0; i < 5000; i++)
        cbk_buf_addc(&body, 'a');
    cbk_buf_adds(&body, "\"}");
    struct call c;
    api(m, &c, "StopBuild", cbk_buf_str(&body));
    expect_error(&c, 400, "LongId", NULL);
    call_done(&c);
    cbk_buf_release(&body);

    static const char want[] =
        "cbkit scenario rx rule backtrack: the regex of body member '/id' could not be matched: "
        "match limit exceeded; the request was not answered by the scenario (simplify the "
        "pattern or shorten the value)";
    api(m, &c, "StopBuild", "{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}");
    expect_error(&c, 500, "InternalFailure", want);
    call_done(&c);
    const char *const xid[] = {"X-Id", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", NULL};
    api_h(m, &c, "RetryBuild", "{\"id\":\"p:1\"}", xid);
    expect_error(&c, 500, "InternalFailure",
                 "cbkit scenario rx rule agent: the regex of header 'X-Id' could not be matched: "
                 "match limit exceeded; the request was not answered by the scenario (simplify "
                 "the pattern or shorten the value)");
    call_done(&c);
    /* a value the pattern decides quickly: the rules work as before */
    api(m, &c, "StopBuild", "{\"id\":\"aaab\"}");
    expect_error(&c, 400, "Fallback", NULL);
    call_done(&c);

    struct json_object *j = journal(m);
    assert_int_equal(json_object_array_length(at(j, "/requests")), 4);
    assert_string_equal(sat(j, "/requests/1/errorType"), "InternalFailure");
    assert_int_equal(json_object_get_int(at(j, "/requests/1/status")), 500);
    assert_string_equal(sat(j, "/requests/1/answeredBy"), "scenario rx/backtrack");
    assert_string_equal(sat(j, "/requests/1/note"), want);
    assert_string_equal(sat(j, "/requests/2/answeredBy"), "scenario rx/agent");
    json_object_put(j);
    /* an undecided rule is not counted as matched or fired */
    struct json_object *sc = scenarios(m);
    assert_int_equal(json_object_get_int(at(sc, "/scenarios/0/rules/1/matched")), 0);
    assert_int_equal(json_object_get_int(at(sc, "/scenarios/0/rules/1/fired")), 0);
    assert_int_equal(json_object_get_int(at(sc, "/scenarios/0/rules/3/fired")), 1);
    json_object_put(sc);
    cbk_mock_free(m);
}

static void rt_admin_routes(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(11, CBK_WORLD_OPEN);
    struct call c;
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/scenarios", NULL), 200);
    assert_int_equal(c.ans.body_len, strlen("{\"scenarios\":[]}"));
    assert_memory_equal(c.ans.body, "{\"scenarios\":[]}", c.ans.body_len);
    call_done(&c);

    static const char adhoc[] = "scenario: adhoc\n"
                                "state: Cold\n"
                                "rules:\n"
                                "  - name: throttle\n"
                                "    match: {operation: RetryBuild}\n"
                                "    when: {first: 1}\n"
                                "    respond: {error: ThrottlingException}\n"
                                "  - name: slow\n"
                                "    latency: 5\n";
    assert_int_equal(admin_q(m, &c, "POST", "/__cbkit/scenarios", "file=adhoc.yaml", adhoc), 200);
    assert_true(json_object_get_boolean(at(c.doc, "/loaded")));
    call_done(&c);
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "ThrottlingException", NULL);
    call_done(&c);
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_success(&c, "/build");
    assert_int_equal(c.ans.delay_ms, 5);
    call_done(&c);
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/scenarios", NULL), 200);
    struct json_object *want = parse(
        "{\"scenarios\":[{\"name\":\"adhoc\",\"file\":\"adhoc.yaml\",\"state\":\"Cold\","
        "\"initialState\":\"Cold\",\"rules\":[{\"name\":\"throttle\",\"matched\":2,\"fired\":1},"
        "{\"name\":\"slow\",\"matched\":1,\"fired\":1}]}]}");
    assert_true(cbk_jsonq_equal(c.doc, want));
    json_object_put(want);
    call_done(&c);

    /* a bad scenario: 400 with the located errors, nothing loaded */
    static const char bad[] = "scenario: broken\n"
                              "rules:\n"
                              "  - name: x\n"
                              "    match: {operation: RetryBuilds}\n"
                              "    respond: {fault: explode}\n";
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios", bad), 400);
    want = parse(
        "{\"error\":\"the scenario is not valid\",\"errors\":["
        "{\"line\":4,\"column\":24,\"path\":\"rules[0].match.operation\",\"message\":\"unknown "
        "operation 'RetryBuilds' (did you mean 'RetryBuild'?)\"},"
        "{\"line\":5,\"column\":22,\"path\":\"rules[0].respond.fault\",\"message\":\"unknown fault "
        "'explode' (expected reset, close, stall, truncate, dribble, html or malformed)\"}]}");
    if (!cbk_jsonq_equal(c.doc, want))
        print_error("%.*s\n", (int)c.ans.body_len, c.ans.body);
    assert_true(cbk_jsonq_equal(c.doc, want));
    json_object_put(want);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios", ""), 400);
    assert_string_equal(sat(c.doc, "/errors/0/message"),
                        "the scenario is empty (expected a mapping with 'scenario' and 'rules')");
    call_done(&c);
    /* a body the server did not keep (over --max-body): 413, not "the scenario is empty" */
    struct cbk_http_header jh[1] = {{"Content-Type", "application/json"}};
    struct cbk_http_req big;
    memset(&big, 0, sizeof big);
    big.method = "POST";
    big.path = "/__cbkit/scenarios";
    big.headers = jh;
    big.nheaders = 1;
    big.body = "";
    big.body_too_large = true;
    big.body_size = (size_t)3 << 20;
    big.peer_is_loopback = true;
    cbk_arena_init(&c.arena, 8192);
    cbk_mock_handle(m, &big, &c.ans, &c.arena);
    assert_int_equal(c.ans.status, 413);
    c.doc = parse(cbk_arena_strndup(&c.arena, c.ans.body, c.ans.body_len));
    assert_string_equal(sat(c.doc, "/error"),
                        "request body of 3145728 bytes exceeds the limit of 1048576 bytes "
                        "(--max-body)");
    call_done(&c);
    /* a body the server kept (--max-body above 16 MiB) but over the scenario limit: 413 too */
    size_t n = ((size_t)16 << 20) + 1;
    char *huge = malloc(n + 1);
    assert_non_null(huge);
    memset(huge, '#', n);
    huge[n] = '\0';
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios", huge), 413);
    assert_string_equal(sat(c.doc, "/error"),
                        "the scenario is larger than the limit of 16 MiB (16777216 bytes)");
    call_done(&c);
    free(huge);
    struct json_object *sc = scenarios(m);
    assert_int_equal(json_object_array_length(at(sc, "/scenarios")), 1);
    json_object_put(sc);

    /* a second scenario comes after the first; the same name replaces it in place */
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios",
                           "scenario: second\nrules: [{name: s, respond: {error: Second}}]\n"),
                     200);
    call_done(&c);
    assert_int_equal(admin(m, &c, "POST", "/__cbkit/scenarios",
                           "scenario: adhoc\nrules: [{name: a, match: {operation: StopBuild},"
                           " respond: {error: First}}]\n"),
                     200);
    call_done(&c);
    sc = scenarios(m);
    assert_string_equal(sat(sc, "/scenarios/0/name"), "adhoc");
    assert_string_equal(sat(sc, "/scenarios/0/file"), "<admin>");
    assert_string_equal(sat(sc, "/scenarios/0/rules/0/name"), "a");
    assert_string_equal(sat(sc, "/scenarios/1/name"), "second");
    json_object_put(sc);
    api(m, &c, "StopBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "First", NULL);
    call_done(&c);
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "Second", NULL);
    call_done(&c);

    /* DELETE */
    assert_int_equal(admin(m, &c, "DELETE", "/__cbkit/scenarios/adhoc", NULL), 200);
    assert_int_equal(json_object_array_length(at(c.doc, "/scenarios")), 1);
    assert_string_equal(sat(c.doc, "/scenarios/0/name"), "second");
    call_done(&c);
    api(m, &c, "StopBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "Second", NULL);
    call_done(&c);
    assert_int_equal(admin(m, &c, "DELETE", "/__cbkit/scenarios/adhoc", NULL), 404);
    assert_string_equal(sat(c.doc, "/error"), "no scenario of that name is loaded");
    call_done(&c);
    assert_int_equal(cbk_mock_remove_scenario(m, "adhoc"), CBK_E_NOT_FOUND);
    assert_int_equal(cbk_mock_remove_scenario(m, "second"), CBK_OK);
    api(m, &c, "StopBuild", "{\"id\":\"a:1\"}");
    expect_success(&c, "/build");
    call_done(&c);

    /* unknown scenario routes */
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/scenarios/x/y", NULL), 404);
    call_done(&c);
    assert_int_equal(admin(m, &c, "PUT", "/__cbkit/scenarios", NULL), 404);
    call_done(&c);

    /* POST /__cbkit/reset resets scenario counts and generators too */
    add_yaml(m, "scenario: coin\nseed: 5\nrules: [{name: c, when: {probability: 0.5},"
                " respond: {error: Heads}}]\n");
    char first[64] = "", second[64] = "";
    for (int round = 0; round < 2; round++) {
        char *out = round ? second : first;
        for (int i = 0; i < 40; i++) {
            api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
            out[i] = c.ans.status == 400 ? 'H' : 'T';
            call_done(&c);
        }
        out[40] = '\0';
        assert_int_equal(admin(m, &c, "POST", "/__cbkit/reset", NULL), 200);
        call_done(&c);
    }
    assert_string_equal(first, second);
    assert_non_null(strchr(first, 'H'));
    assert_non_null(strchr(first, 'T'));
    cbk_mock_free(m);
}

/* The probability schedule follows the scenario's seed, else the mock's. */
static void rt_seeds(void **state)
{
    (void)state;
    char seqs[4][101];
    static const uint64_t mock_seeds[4] = {1, 2, 1, 2};
    for (int k = 0; k < 4; k++) {
        struct cbk_mock *m = new_mock(mock_seeds[k], CBK_WORLD_OPEN);
        if (k < 2)
            add_example(m, "flaky"); /* seed: 2024 */
        else
            add_yaml(m, "scenario: unseeded\nrules: [{when: {probability: 0.3},"
                        " respond: {error: ServiceUnavailable}}]\n");
        for (int i = 0; i < 100; i++) {
            struct call c;
            api(m, &c, "StopBuild", "{\"id\":\"a:1\"}");
            seqs[k][i] = c.ans.status == 503 ? 'x' : '.';
            if (c.ans.status == 503)
                expect_error(&c, 503, "ServiceUnavailable", NULL);
            call_done(&c);
        }
        seqs[k][100] = '\0';
        cbk_mock_free(m);
    }
    /* flaky.yaml: the same calls fail whatever the mock's seed */
    assert_string_equal(seqs[0], seqs[1]);
    size_t fails = 0;
    for (int i = 0; i < 100; i++)
        fails += seqs[0][i] == 'x';
    assert_in_range(fails, 10, 50); /* P = 0.3, sd 4.6 */
    /* without a seed of its own: the mock's */
    assert_string_not_equal(seqs[2], seqs[3]);
    struct cbk_mock *m = new_mock(1, CBK_WORLD_OPEN);
    add_yaml(m, "scenario: unseeded\nrules: [{when: {probability: 0.3},"
                " respond: {error: ServiceUnavailable}}]\n");
    char again[101];
    for (int i = 0; i < 100; i++) {
        struct call c;
        api(m, &c, "StopBuild", "{\"id\":\"a:1\"}");
        again[i] = c.ans.status == 503 ? 'x' : '.';
        call_done(&c);
    }
    again[100] = '\0';
    assert_string_equal(again, seqs[2]);
    cbk_mock_free(m);
}

static void rt_seeded_builds(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(12, CBK_WORLD_OPEN);
    add_example(m, "lifecycle");
    struct call c;
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/health", NULL), 200);
    assert_string_equal(sat(c.doc, "/world"), "strict");
    call_done(&c);
    assert_int_equal(admin(m, &c, "GET", "/__cbkit/state", NULL), 200);
    struct json_object *builds = at(c.doc, "/builds");
    assert_int_equal(json_object_array_length(builds), 2);
    bool seen_running = false, seen_failed = false;
    for (size_t i = 0; i < 2; i++) {
        struct json_object *b = json_object_array_get_idx(builds, i);
        const char *id = sat(b, "/id");
        if (!strcmp(id, "my-app:11111111-2222-4333-8444-555555555555")) {
            seen_running = true;
            assert_string_equal(sat(b, "/buildStatus"), "IN_PROGRESS");
            assert_string_equal(sat(b, "/currentPhase"), "BUILD");
            assert_int_equal(iat(b, "/buildNumber"), 7);
            assert_false(json_object_get_boolean(at(b, "/buildComplete")));
            assert_string_equal(sat(b, "/projectName"), "my-app");
        } else if (!strcmp(id, "my-app:66666666-7777-4888-9999-000000000000")) {
            seen_failed = true;
            assert_string_equal(sat(b, "/buildStatus"), "FAILED");
            assert_int_equal(iat(b, "/buildNumber"), 6);
            assert_true(json_object_get_boolean(at(b, "/buildComplete")));
        }
    }
    assert_true(seen_running && seen_failed);
    struct json_object *projects = at(c.doc, "/projects");
    assert_non_null(projects);
    assert_true(strstr(json_object_to_json_string(projects), "my-app") != NULL);
    call_done(&c);

    /* StopBuild in the strict world: known -> STOPPED, unknown -> ResourceNotFoundException */
    api(m, &c, "StopBuild", "{\"id\":\"my-app:11111111-2222-4333-8444-555555555555\"}");
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/buildStatus"), "STOPPED");
    assert_string_equal(sat(c.doc, "/build/currentPhase"), "COMPLETED");
    call_done(&c);
    api(m, &c, "StopBuild", "{\"id\":\"other:00000000-0000-4000-8000-000000000000\"}");
    expect_error(&c, 400, "ResourceNotFoundException",
                 "Build other:00000000-0000-4000-8000-000000000000 does not exist");
    call_done(&c);
    /* a completed build is returned unchanged */
    api(m, &c, "StopBuild", "{\"id\":\"my-app:66666666-7777-4888-9999-000000000000\"}");
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/buildStatus"), "FAILED");
    call_done(&c);
    struct json_object *j = journal(m);
    assert_string_equal(sat(j, "/requests/0/answeredBy"), "scenario lifecycle/stopping (state)");
    assert_string_equal(sat(j, "/requests/1/errorType"), "ResourceNotFoundException");
    assert_string_equal(sat(j, "/requests/2/answeredBy"), "scenario lifecycle/stopping (state)");
    json_object_put(j);

    /* POST /__cbkit/reset?what=state forgets the model, then seeds the scenario's builds again */
    assert_int_equal(admin_q(m, &c, "POST", "/__cbkit/reset", "what=state", NULL), 200);
    call_done(&c);
    api(m, &c, "StopBuild", "{\"id\":\"my-app:11111111-2222-4333-8444-555555555555\"}");
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/buildStatus"), "STOPPED");
    call_done(&c);
    cbk_mock_free(m);
}

static void rt_idempotency(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(13, CBK_WORLD_OPEN);
    add_example(m, "lifecycle");
    add_yaml(m, "scenario: slow\nrules: [{name: s, latency: 1}]\n");
    struct call c;
    char first[128], second[128];
    static const char r1[] = "{\"id\":\"my-app:66666666-7777-4888-9999-000000000000\","
                             "\"idempotencyToken\":\"tok\"}";
    static const char r2[] = "{\"id\":\"my-app:11111111-2222-4333-8444-555555555555\","
                             "\"idempotencyToken\":\"tok\"}";
    api(m, &c, "RetryBuild", r1);
    expect_success(&c, "/build");
    snprintf(first, sizeof first, "%s", sat(c.doc, "/build/id"));
    assert_int_equal(strncmp(first, "my-app:", 7), 0);
    call_done(&c);
    api(m, &c, "RetryBuild", r1);
    expect_success(&c, "/build");
    assert_string_equal(sat(c.doc, "/build/id"), first);
    call_done(&c);
    api(m, &c, "RetryBuild", r2);
    expect_error(&c, 400, "IdempotentParameterMismatchException",
                 "The idempotency token 'tok' was already used within the last 5 minutes with "
                 "different parameters");
    call_done(&c);
    advance_clock(m, 360);
    api(m, &c, "RetryBuild", r1);
    expect_success(&c, "/build");
    snprintf(second, sizeof second, "%s", sat(c.doc, "/build/id"));
    assert_string_not_equal(second, first);
    call_done(&c);
    struct json_object *j = journal(m);
    assert_string_equal(sat(j, "/requests/1/answeredBy"),
                        "scenario slow/s (state (idempotent retry))");
    json_object_put(j);

    static const char b1[] = "{\"projectName\":\"my-app\",\"idempotencyToken\":\"batch\"}";
    static const char b2[] = "{\"projectName\":\"my-app\",\"idempotencyToken\":\"batch\","
                             "\"buildTimeoutInMinutesOverride\":60}";
    api(m, &c, "StartBuildBatch", b1);
    expect_success(&c, "/buildBatch");
    snprintf(first, sizeof first, "%s", sat(c.doc, "/buildBatch/id"));
    call_done(&c);
    api(m, &c, "StartBuildBatch", b1);
    expect_success(&c, "/buildBatch");
    assert_string_equal(sat(c.doc, "/buildBatch/id"), first);
    call_done(&c);
    api(m, &c, "StartBuildBatch", b2);
    expect_error(&c, 400, "IdempotentParameterMismatchException",
                 "The idempotency token 'batch' was already used within the last 5 minutes with "
                 "different parameters");
    call_done(&c);
    advance_clock(m, 360);
    api(m, &c, "StartBuildBatch", b2);
    expect_success(&c, "/buildBatch");
    assert_string_not_equal(sat(c.doc, "/buildBatch/id"), first);
    call_done(&c);
    cbk_mock_free(m);
}

/* The world is the command line's unless a loaded scenario says otherwise (the last one that
 * says wins); removing or resetting scenarios settles it again. */
static void rt_world_follows_scenarios(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(1, CBK_WORLD_OPEN);
    struct call c;
    const char *unknown = "{\"id\":\"nowhere:1\"}";
    api(m, &c, "StopBuild", unknown);
    expect_success(&c, "/build"); /* open: an unknown id is taken as existing */
    call_done(&c);
    add_yaml(m, "scenario: strictly\nworld: strict\nprojects: [known]\n");
    api(m, &c, "StopBuild", "{\"id\":\"nowhere:4\"}"); /* ids of calls before are known */
    expect_error(&c, 400, "ResourceNotFoundException", NULL);
    call_done(&c);
    add_yaml(m, "scenario: openly\nworld: open\n");
    api(m, &c, "StopBuild", "{\"id\":\"nowhere:5\"}");
    expect_success(&c, "/build"); /* the last one loaded wins */
    call_done(&c);
    assert_int_equal(cbk_mock_remove_scenario(m, "openly"), CBK_OK);
    api(m, &c, "StopBuild", "{\"id\":\"nowhere:2\"}");
    expect_error(&c, 400, "ResourceNotFoundException", NULL);
    call_done(&c);
    assert_int_equal(admin(m, &c, "DELETE", "/__cbkit/scenarios/strictly", NULL), 200);
    call_done(&c);
    api(m, &c, "StopBuild", "{\"id\":\"nowhere:3\"}");
    expect_success(&c, "/build"); /* back to the command line's world */
    call_done(&c);
    cbk_mock_free(m);

    /* a strict command line stays strict when a scenario without 'world' comes and goes */
    m = new_mock(1, CBK_WORLD_STRICT);
    add_yaml(m, "scenario: plain\nrules: []\n");
    assert_int_equal(cbk_mock_remove_scenario(m, "plain"), CBK_OK);
    api(m, &c, "StopBuild", unknown);
    expect_error(&c, 400, "ResourceNotFoundException", NULL);
    call_done(&c);
    cbk_mock_free(m);
}

static void rt_order_and_replace(void **state)
{
    (void)state;
    struct cbk_mock *m = new_mock(14, CBK_WORLD_OPEN);
    add_yaml(m, "scenario: a\nrules: [{match: {operation: RetryBuild}, when: {first: 1},"
                " respond: {error: FromA}}]\n");
    add_yaml(m,
             "scenario: b\nrules: [{match: {operation: RetryBuild}, respond: {error: FromB}}]\n");
    struct call c;
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "FromA", NULL); /* scenarios in load order */
    call_done(&c);
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "FromB", NULL); /* a's rule no longer fires: b's does */
    call_done(&c);
    /* replacing 'a' (same name) keeps its place and starts its counts afresh */
    add_yaml(m, "scenario: a\nrules: [{match: {operation: RetryBuild}, when: {first: 1},"
                " respond: {error: FromA2}}]\n");
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "FromA2", NULL);
    call_done(&c);
    cbk_mock_reset_scenarios(m);
    api(m, &c, "RetryBuild", "{\"id\":\"a:1\"}");
    expect_error(&c, 400, "FromA2", NULL);
    call_done(&c);
    struct json_object *sc = scenarios(m);
    assert_int_equal(json_object_array_length(at(sc, "/scenarios")), 2);
    assert_string_equal(sat(sc, "/scenarios/0/name"), "a");
    assert_string_equal(sat(sc, "/scenarios/1/name"), "b");
    json_object_put(sc);
    /* a scenario compiled against another spec is refused (and freed) */
    struct cbk_spec *other = NULL;
    struct cbk_diags d = CBK_DIAGS_INIT;
    assert_int_equal(cbk_spec_load_bundled(&other, &d), CBK_OK);
    struct cbk_scenario *s = NULL;
    assert_int_equal(cbk_scenario_load_buffer(env_of(other), "scenario: z\n", 12, "z.yaml", &s, &d),
                     CBK_OK);
    assert_int_equal(cbk_mock_add_scenario_take(m, s, &d), CBK_E_SCENARIO);
    assert_int_equal(d.nr, 1);
    assert_string_equal(d.v[0].message,
                        "scenario 'z' was compiled against a spec the mock does not serve");
    cbk_diags_release(&d);
    cbk_spec_free(other);
    cbk_mock_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* (a) */
        cmocka_unit_test(match_equals),
        cmocka_unit_test(match_partial),
        cmocka_unit_test(match_regex),
        cmocka_unit_test(match_regex_engine),
        cmocka_unit_test(match_absent_present),
        cmocka_unit_test(match_contains),
        cmocka_unit_test(many_rule_names),
        cmocka_unit_test(match_headers),
        cmocka_unit_test(schedules),
        cmocka_unit_test(latency_kinds),
        cmocka_unit_test(template_rendering),
        /* (b) */
        cmocka_unit_test(examples_load),
        cmocka_unit_test(loader_compiles),
        cmocka_unit_test(bad_unknown_keys),
        cmocka_unit_test(bad_types),
        cmocka_unit_test(bad_operations),
        cmocka_unit_test(bad_pointers_and_regexes),
        cmocka_unit_test(bad_matchers),
        cmocka_unit_test(bad_schedules),
        cmocka_unit_test(bad_responds),
        cmocka_unit_test(bad_bodies),
        cmocka_unit_test(bad_latency),
        cmocka_unit_test(bad_builds),
        cmocka_unit_test(bad_names),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(big_files),
        /* (c) */
        cmocka_unit_test(rt_throttle_then_generated),
        cmocka_unit_test(rt_error_statuses),
        cmocka_unit_test(rt_decorated),
        cmocka_unit_test(rt_canned),
        cmocka_unit_test(rt_templates),
        cmocka_unit_test(rt_faults),
        cmocka_unit_test(rt_latency),
        cmocka_unit_test(rt_states),
        cmocka_unit_test(rt_valid_defaults),
        cmocka_unit_test(rt_matchers),
        cmocka_unit_test(rt_regex_engine_errors),
        cmocka_unit_test(rt_admin_routes),
        cmocka_unit_test(rt_seeds),
        cmocka_unit_test(rt_seeded_builds),
        cmocka_unit_test(rt_idempotency),
        cmocka_unit_test(rt_order_and_replace),
        cmocka_unit_test(rt_world_follows_scenarios),
    };
    return cmocka_run_group_tests(tests, load_spec, free_spec);
}
