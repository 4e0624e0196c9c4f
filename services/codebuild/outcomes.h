/*
 * outcomes.h - how builds end, chosen by the test: the scenario key `outcomes` (a list of
 * rules, docs/scenarios.md) read with located errors, and the first rule that matches a new
 * build (by project, source version, environment variable or build number) applied to the
 * build's plan (lifecycle.h). The values are immutable once parsed: any thread may match
 * them while the scenario that owns them is loaded.
 */
#ifndef CBK_CB_OUTCOMES_H
#define CBK_CB_OUTCOMES_H

#include "core/setup.h"
#include "services/codebuild/lifecycle.h"

struct cbk_ynode;
struct cbk_ycheck;
struct cbk_buf;
struct cbk_regex;
struct json_object;

/* A string condition: equal to 'exact', or matched by 're' (one of the two is set). */
struct cb_strmatch {
    char *exact;
    struct cbk_regex *re;
};

struct cb_env_match {
    char *name;
    struct cb_strmatch value;
};

/* One rule: which builds, then how they go. */
struct cb_outcome_rule {
    char *name; /* "outcomes[N]" unless named */
    /* match (every condition given must hold) */
    struct cb_strmatch *projects;
    size_t nprojects;
    struct cb_strmatch source_version; /* both NULL: any */
    struct cb_env_match *env;
    size_t nenv;
    int64_t *numbers;
    size_t nnumbers;
    struct cb_strmatch identifier; /* a batch's build by its identifier (both NULL: any) */
    /* how the build goes */
    int status;     /* CB_ST_SUCCEEDED (default), _FAILED, _FAULT or _TIMED_OUT */
    int phase;      /* where it ends (-1: the outcome's usual phase) */
    char *ctx_code; /* the phase's context (NULL: CodeBuild's usual one) */
    char *ctx_message;
    int64_t total_ms;            /* the whole build (0: the mock's default) */
    int64_t dur_ms[CB_PH_COUNT]; /* a phase's length (-1: from the plan) */
    char *output;                /* lines the BUILD phase prints, '\n'-separated (NULL: none) */
    size_t output_len;
};

/* One scenario's `outcomes` value. */
struct cb_outcomes {
    struct cb_outcome_rule *v;
    size_t n;
    bool uses_env; /* some rule matches environment variables */
};

/* What is known about a new build when its plan is made. */
struct cb_build_facts {
    const char *project; /* project[0..plen) */
    size_t plen;
    const char *source_version;   /* NULL: none */
    int64_t number;               /* buildNumber */
    struct json_object *env_vars; /* the build's environmentVariables (an array) or NULL */
    const char *identifier;       /* a build of a batch: its identifier there; else NULL */
};

/*
 * Read the `outcomes` key 'node' ('path' holds its dotted path, restored on return). Problems
 * go to 'ck' with their position; returns NULL when there was one. Free with
 * cb_outcomes_free().
 */
struct cb_outcomes *cb_outcomes_parse(const struct cbk_ynode *node, const struct cbk_ycheck *ck,
                                      struct cbk_buf *path);
void cb_outcomes_free(struct cb_outcomes *o);

/* The first rule of 'o' that matches 'f', or NULL. */
const struct cb_outcome_rule *cb_outcomes_match(const struct cb_outcomes *o,
                                                const struct cb_build_facts *f);

/* The active rules of a mock: every loaded scenario's, in load order. */
struct cb_outcome_set {
    const struct cb_outcomes *const *v;
    size_t n;
    bool uses_env;
};

/*
 * Lines a build's BUILD phase prints (a rule's `output`, the admin outcome route's): at most
 * CB_OUTPUT_MAX_LINES lines of at most CB_OUTPUT_MAX_LINE bytes each (CloudWatch Logs takes
 * events up to 256 KiB; a build log line is much shorter).
 */
#define CB_OUTPUT_MAX_LINES 1000
#define CB_OUTPUT_MAX_LINE  8192
/*
 * Append the lines of s[0..len) (split at '\n'; a final '\n' ends the last line) to 'out', the
 * lines separated by '\n', as a build keeps them; *nlines counts the lines in 'out'. Returns 0,
 * or -1 with the reason in why[wsize] when a line is too long or there are too many lines
 * ('out' then holds a part).
 */
int cb_output_add(struct cbk_buf *out, size_t *nlines, const char *s, size_t len, char *why,
                  size_t wsize);

/* The first matching rule of the set, or NULL. */
const struct cb_outcome_rule *cb_outcome_set_match(const struct cb_outcome_set *s,
                                                   const struct cb_build_facts *f);

#endif
