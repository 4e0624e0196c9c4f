/*
 * scenario_model.h - compiled scenarios: rules with resolved operations, compiled patterns,
 * JSON values for matchers and bodies, schedules, templates, and their run-time counters; and
 * the parts of a scenario that behaviours own (CodeBuild's projects and builds). Written by the
 * loader (scenarios/), read by the mock's scenario run time (mock/scenario_run.c).
 */
#ifndef CBK_SCENARIO_MODEL_H
#define CBK_SCENARIO_MODEL_H

#include "core/setup.h"
#include "core/buf.h"
#include "core/rand.h"
#include "core/regex.h"
#include "cbkit/scenario.h"
#include "cbkit/service.h"

struct json_object;

enum cbk_matcher_kind {
    CBK_M_EQUALS,
    CBK_M_PARTIAL,
    CBK_M_REGEX,
    CBK_M_ABSENT,
    CBK_M_PRESENT,
    CBK_M_CONTAINS,
};

struct cbk_body_matcher {
    char *pointer;
    enum cbk_matcher_kind kind;
    struct json_object *value; /* EQUALS, PARTIAL, CONTAINS */
    struct cbk_regex *re;      /* REGEX */
};

struct cbk_header_matcher {
    char *name;
    enum cbk_matcher_kind kind; /* EQUALS, REGEX, ABSENT, PRESENT */
    char *value;
    struct cbk_regex *re;
};

enum cbk_valid_req { CBK_VALID_ANY, CBK_VALID_TRUE, CBK_VALID_FALSE };

struct cbk_schedule {
    uint64_t first, after, every; /* 0 = not given */
    uint64_t *nth;
    size_t nnth;
    bool has_probability;
    double probability;
};

enum cbk_latency_kind { CBK_LAT_NONE, CBK_LAT_FIXED, CBK_LAT_UNIFORM, CBK_LAT_LOGNORMAL };

struct cbk_latency {
    enum cbk_latency_kind kind;
    double a, b, c; /* fixed: a; uniform: [a, b]; lognormal: median a, sigma b, cap c */
};

enum cbk_respond_kind {
    CBK_R_DEFAULT,  /* the mock's own answer (with latency/fault/then of the rule) */
    CBK_R_ERROR,    /* an AWS error */
    CBK_R_BODY,     /* a canned answer */
    CBK_R_TEMPLATE, /* a canned answer with placeholders */
};

enum cbk_scen_fault {
    CBK_SF_NONE,
    CBK_SF_RESET,
    CBK_SF_CLOSE,
    CBK_SF_STALL,
    CBK_SF_TRUNCATE,
    CBK_SF_DRIBBLE,
    CBK_SF_HTML,
    CBK_SF_MALFORMED,
};

struct cbk_respond {
    enum cbk_respond_kind kind;
    /* error */
    char *error, *message;
    int status;   /* 0: the default for the kind */
    int decorate; /* bit 1: namespace, bit 2: uri */
    /* body */
    char *body; /* serialized (BODY), or raw text (bodyText) */
    size_t body_len;
    struct json_object *tmpl; /* TEMPLATE */
    char **hnames, **hvalues;
    size_t nheaders;
    /* fault */
    enum cbk_scen_fault fault;
    unsigned ms, chunks;
    size_t bytes;
};

struct cbk_scen_rule {
    char *name;
    const struct cbk_operation **ops; /* NULL: any operation */
    size_t nops;
    const struct cbk_spec *service; /* match.service: only this spec's operations (NULL: any) */
    char **states;
    size_t nstates;
    struct cbk_body_matcher *body;
    size_t nbody;
    struct cbk_header_matcher *headers;
    size_t nheaders;
    enum cbk_valid_req valid;
    struct cbk_schedule when;
    struct cbk_respond respond;
    struct cbk_latency latency;
    char *then;
    int line, column;
    /* run time (under the mock's scenario lock) */
    uint64_t matched, fired;
    struct cbk_rng prob_rng, lat_rng;
};

struct cbk_scenario {
    char *name, *file, *description;
    bool has_seed;
    uint64_t seed;
    bool has_world;
    enum cbk_world world;
    char *initial_state;
    struct cbk_scen_rule *rules;
    size_t nrules;
    /* the parts owned by behaviours: for each behaviour with keys in the file, one value per
     * entry of its scenario_keys (NULL where the file has none), freed by the behaviour */
    struct cbk_scen_ext {
        const struct cbk_service *svc;
        void **values;
    } * ext;
    size_t nexts;
    const struct cbk_spec **specs; /* the specs it was compiled against (borrowed) */
    size_t nspecs;
    /* run time */
    char *state;
    uint64_t run_seed;
    uint64_t attach_id;        /* what the mock's behaviours know it by while it is loaded */
    struct cbk_scenario *next; /* the mock's list, in load order */
};

/* ---- matching and schedules (scenario_match.c), pure functions ---------------------------- */

/*
 * Does the body matcher hold for 'doc' (the request body; NULL when it is not JSON)?
 * CBK_RE_MATCH or CBK_RE_NOMATCH; CBK_RE_ERROR when its regex could not decide (an engine
 * limit), with PCRE2's reason in why[whylen] (when not NULL): never read as a non-match.
 */
enum cbk_re_result cbk__scen_body_matches(const struct cbk_body_matcher *bm,
                                          struct json_object *doc, char *why, size_t whylen);
/* The same for a header matcher and the header's value (NULL when the header is absent). */
enum cbk_re_result cbk__scen_header_matches(const struct cbk_header_matcher *hm, const char *value,
                                            char *why, size_t whylen);
/*
 * Does the schedule fire on call number 'count' (1-based)? 'draw' is this call's uniform
 * draw in [0, 1) (used only when the schedule has a probability).
 */
bool cbk__scen_schedule_fires(const struct cbk_schedule *s, uint64_t count, double draw);
/* A latency in milliseconds, drawing from 'rng' for random kinds. */
unsigned cbk__scen_latency_ms(const struct cbk_latency *l, struct cbk_rng *rng);
/* Does 'op' belong to a spec the scenario was compiled against? */
bool cbk__scen_knows_op(const struct cbk_scenario *s, const struct cbk_operation *op);
/*
 * Render a template: strings with {{request./ptr}}, {{uuid}}, {{now}}, {{count}}, {{seq}},
 * {{region}}, {{account}} replaced ('req' may be NULL: request fields render as "x").
 */
void cbk__scen_render_template(struct json_object *tmpl, struct json_object *req,
                               struct cbk_rng *rng, int64_t now_ms, uint64_t count, uint64_t seq,
                               const char *region, const char *account, struct cbk_buf *out);
/* Does the template use a placeholder that does not exist? Its text goes to 'name'. */
bool cbk__scen_template_unknown(struct json_object *tmpl, struct cbk_buf *name);
/* Reset a scenario's run-time state: initial state, zero counts, generators reseeded. */
void cbk__scen_reset(struct cbk_scenario *s, uint64_t mock_seed);

#endif
