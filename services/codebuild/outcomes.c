/*
 * outcomes.c - the scenario key `outcomes` (see outcomes.h): rules read with located errors,
 * and matched against new builds.
 */
#include "core/setup.h"
#include "services/codebuild/outcomes.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/regex.h"
#include "core/yaml.h"

#include <json-c/json.h>

/* The longest build or phase a rule may ask for: a week (CodeBuild's own limit is 36 hours). */
#define MAX_SECONDS (7.0 * 24 * 3600)

static const char *const rule_keys[] = {"name",     "match",          "status", "phase", "context",
                                        "duration", "phaseDurations", "output", NULL};
static const char *const match_keys[] = {"project",     "sourceVersion", "environment",
                                         "buildNumber", "identifier",    NULL};

struct pctx {
    const struct cbk_ycheck *ck;
    struct cbk_buf *path;
};

static const char *P(const struct pctx *c)
{
    return cbk_buf_str(c->path);
}

static void strmatch_free(struct cb_strmatch *m)
{
    free(m->exact);
    cbk_regex_free(m->re);
}

static void rule_free(struct cb_outcome_rule *r)
{
    free(r->name);
    for (size_t i = 0; i < r->nprojects; i++)
        strmatch_free(&r->projects[i]);
    free(r->projects);
    strmatch_free(&r->source_version);
    strmatch_free(&r->identifier);
    for (size_t i = 0; i < r->nenv; i++) {
        free(r->env[i].name);
        strmatch_free(&r->env[i].value);
    }
    free(r->env);
    free(r->numbers);
    free(r->ctx_code);
    free(r->ctx_message);
    free(r->output);
}

void cb_outcomes_free(struct cb_outcomes *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->n; i++)
        rule_free(&o->v[i]);
    free(o->v);
    free(o);
}

/* A string condition: a string (equal) or {regex: PATTERN}. */
static int parse_strmatch(struct pctx *c, const struct cbk_ynode *n, struct cb_strmatch *out)
{
    if (n->kind == CBK_Y_MAP) {
        static const char *const keys[] = {"regex", NULL};
        if (cbk_y_check_keys(c->ck, n, P(c), keys) != 0)
            return -1;
        const struct cbk_ynode *rx = cbk_y_require(c->ck, n, P(c), "regex");
        if (!rx)
            return -1;
        size_t m = cbk_ypath_push(c->path, "regex");
        const char *s;
        int rc = cbk_y_str(c->ck, rx, P(c), &s);
        if (rc == 0) {
            char err[256];
            size_t off = 0;
            out->re = cbk_regex_compile(s, rx->len, CBK_RE_UTF | CBK_RE_MATCH_INVALID_UTF, err,
                                        sizeof err, &off);
            if (!out->re)
                rc = cbk_y_error(c->ck, rx, P(c), "invalid regular expression at offset %zu: %s",
                                 off, err);
        }
        cbk_ypath_pop(c->path, m);
        return rc;
    }
    const char *s;
    if (cbk_y_str(c->ck, n, P(c), &s) != 0)
        return -1;
    out->exact = cbk_xstrndup(s, n->len);
    return 0;
}

static bool strmatch(const struct cb_strmatch *m, const char *s, size_t len)
{
    if (m->exact)
        return strlen(m->exact) == len && memcmp(m->exact, s, len) == 0;
    /* an engine error (a pattern that backtracks too far) is no match: the build goes on as
     * usual rather than failing the request that started it */
    return m->re && cbk_regex_match(m->re, s, len, NULL, 0) == CBK_RE_MATCH;
}

/* A seconds value (a number > 0, or >= 0 for a phase) into milliseconds. */
static int seconds(struct pctx *c, const struct cbk_ynode *n, bool zero_ok, int64_t *ms)
{
    double d;
    if (cbk_y_double(c->ck, n, P(c), &d) != 0)
        return -1;
    if (!(d > 0 || (zero_ok && d == 0)) || d > MAX_SECONDS)
        return cbk_y_error(c->ck, n, P(c),
                           "a duration is a number of seconds %s 0 and at most %.0f, not %s",
                           zero_ok ? "from" : "above", MAX_SECONDS, n->str);
    *ms = (int64_t)(d * 1000.0 + 0.5);
    return 0;
}

static int parse_match(struct pctx *c, const struct cbk_ynode *m, struct cb_outcome_rule *r,
                       bool *uses_env)
{
    if (cbk_y_expect(c->ck, m, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(c->ck, m, P(c), match_keys);
    const struct cbk_ynode *v = cbk_y_get(m, "project");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "project");
        size_t n = v->kind == CBK_Y_SEQ ? v->n : 1;
        if (n == 0)
            rc = cbk_y_error(c->ck, v, P(c), "an empty list of projects matches no build");
        r->projects = cbk_xcalloc(n ? n : 1, sizeof(*r->projects));
        for (size_t i = 0; i < n; i++) {
            size_t mi = v->kind == CBK_Y_SEQ ? cbk_ypath_push_index(c->path, i) : 0;
            rc |= parse_strmatch(c, v->kind == CBK_Y_SEQ ? v->items[i] : v, &r->projects[i]);
            r->nprojects++;
            if (v->kind == CBK_Y_SEQ)
                cbk_ypath_pop(c->path, mi);
        }
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(m, "sourceVersion");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "sourceVersion");
        rc |= parse_strmatch(c, v, &r->source_version);
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(m, "identifier");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "identifier");
        rc |= parse_strmatch(c, v, &r->identifier);
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(m, "environment");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "environment");
        if (cbk_y_expect(c->ck, v, CBK_Y_MAP, P(c)) == 0) {
            if (v->n == 0)
                rc = cbk_y_error(c->ck, v, P(c), "name at least one environment variable");
            r->env = cbk_xcalloc(v->n ? v->n : 1, sizeof(*r->env));
            for (size_t i = 0; i < v->n; i++) {
                size_t mi = cbk_ypath_push(c->path, v->keys[i]->str);
                r->env[i].name = cbk_xstrndup(v->keys[i]->str, v->keys[i]->len);
                rc |= parse_strmatch(c, v->items[i], &r->env[i].value);
                r->nenv++;
                cbk_ypath_pop(c->path, mi);
            }
            *uses_env = true;
        } else {
            rc = -1;
        }
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(m, "buildNumber");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "buildNumber");
        size_t n = v->kind == CBK_Y_SEQ ? v->n : 1;
        if (n == 0)
            rc = cbk_y_error(c->ck, v, P(c), "an empty list of build numbers matches no build");
        r->numbers = cbk_xcalloc(n ? n : 1, sizeof(*r->numbers));
        for (size_t i = 0; i < n; i++) {
            const struct cbk_ynode *item = v->kind == CBK_Y_SEQ ? v->items[i] : v;
            size_t mi = v->kind == CBK_Y_SEQ ? cbk_ypath_push_index(c->path, i) : 0;
            rc |= cbk_y_int(c->ck, item, P(c), 1, (INT64_C(1) << 53) - 1, &r->numbers[i]);
            r->nnumbers++;
            if (v->kind == CBK_Y_SEQ)
                cbk_ypath_pop(c->path, mi);
        }
        cbk_ypath_pop(c->path, mk);
    }
    return rc;
}

/* The scalar 'key' of map 'm' copied into *out (0 when absent). */
static int str_member(struct pctx *c, const struct cbk_ynode *m, const char *key, char **out)
{
    const struct cbk_ynode *v = cbk_y_get(m, key);
    if (!v)
        return 0;
    size_t mk = cbk_ypath_push(c->path, key);
    const char *s;
    int rc = cbk_y_str(c->ck, v, P(c), &s);
    if (rc == 0)
        *out = cbk_xstrndup(s, v->len);
    cbk_ypath_pop(c->path, mk);
    return rc;
}

static int parse_phase_durations(struct pctx *c, const struct cbk_ynode *v,
                                 struct cb_outcome_rule *r)
{
    if (cbk_y_expect(c->ck, v, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < v->n; i++) {
        size_t mi = cbk_ypath_push(c->path, v->keys[i]->str);
        int ph = cb_phase_from_name(v->keys[i]->str);
        if (ph < 0 || ph == CB_PH_COMPLETED)
            rc = cbk_y_error(c->ck, v->keys[i], P(c),
                             "unknown phase '%s' (expected SUBMITTED, QUEUED, PROVISIONING, "
                             "DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD, "
                             "UPLOAD_ARTIFACTS or FINALIZING)",
                             v->keys[i]->str);
        else
            rc |= seconds(c, v->items[i], true, &r->dur_ms[ph]);
        cbk_ypath_pop(c->path, mi);
    }
    return rc;
}

int cb_output_add(struct cbk_buf *out, size_t *nlines, const char *s, size_t len, char *why,
                  size_t wsize)
{
    const char *e = s + len;
    while (s < e) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);
        if (*nlines >= CB_OUTPUT_MAX_LINES) {
            snprintf(why, wsize, "output has at most %d lines", CB_OUTPUT_MAX_LINES);
            return -1;
        }
        if (n > CB_OUTPUT_MAX_LINE) {
            snprintf(why, wsize, "a line of output has at most %d bytes, not %zu",
                     CB_OUTPUT_MAX_LINE, n);
            return -1;
        }
        if (*nlines)
            cbk_buf_addc(out, '\n');
        cbk_buf_add(out, s, n);
        ++*nlines;
        s = nl ? nl + 1 : e;
    }
    return 0;
}

/* `output`: a list of lines, or one string of lines (a YAML block). */
static int parse_output(struct pctx *c, const struct cbk_ynode *v, struct cb_outcome_rule *r)
{
    struct cbk_buf b = CBK_BUF_INIT((size_t)(CB_OUTPUT_MAX_LINE + 1) * CB_OUTPUT_MAX_LINES);
    size_t n = 0;
    char why[128];
    int rc = 0;
    if (v->kind == CBK_Y_MAP) {
        rc = cbk_y_error(c->ck, v, P(c),
                         "output is a list of lines or one string of lines, not a mapping");
    } else if (v->kind == CBK_Y_SEQ) {
        for (size_t i = 0; i < v->n && rc == 0; i++) {
            size_t mi = cbk_ypath_push_index(c->path, i);
            const char *s;
            if (cbk_y_str(c->ck, v->items[i], P(c), &s) != 0)
                rc = -1;
            else if (v->items[i]->len == 0
                         ? cb_output_add(&b, &n, "\n", 1, why, sizeof why)
                         : cb_output_add(&b, &n, s, v->items[i]->len, why, sizeof why))
                rc = cbk_y_error(c->ck, v->items[i], P(c), "%s", why);
            cbk_ypath_pop(c->path, mi);
        }
    } else {
        const char *s;
        if (cbk_y_str(c->ck, v, P(c), &s) != 0)
            rc = -1;
        else if (cb_output_add(&b, &n, s, v->len, why, sizeof why) != 0)
            rc = cbk_y_error(c->ck, v, P(c), "%s", why);
    }
    if (rc == 0 && n) {
        r->output = cbk_xstrndup(b.ptr ? b.ptr : "", b.len);
        r->output_len = b.len;
    }
    cbk_buf_release(&b);
    return rc;
}

static int parse_rule(struct pctx *c, const struct cbk_ynode *n, size_t index,
                      struct cb_outcome_rule *r, bool *uses_env)
{
    r->status = CB_ST_SUCCEEDED;
    r->phase = -1;
    for (int i = 0; i < CB_PH_COUNT; i++)
        r->dur_ms[i] = -1;
    if (cbk_y_expect(c->ck, n, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(c->ck, n, P(c), rule_keys);
    rc |= str_member(c, n, "name", &r->name);
    if (!r->name)
        r->name = cbk_xasprintf("outcomes[%zu]", index);
    const struct cbk_ynode *v = cbk_y_get(n, "match");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "match");
        rc |= parse_match(c, v, r, uses_env);
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(n, "status");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "status");
        const char *s;
        if (cbk_y_str(c->ck, v, P(c), &s) != 0) {
            rc = -1;
        } else {
            int st = cb_status_from_name(s);
            if (st != CB_ST_SUCCEEDED && st != CB_ST_FAILED && st != CB_ST_FAULT &&
                st != CB_ST_TIMED_OUT)
                rc = cbk_y_error(c->ck, v, P(c),
                                 "a build ends SUCCEEDED, FAILED, FAULT or TIMED_OUT, not '%s' "
                                 "(StopBuild stops builds)",
                                 s);
            else
                r->status = st;
        }
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(n, "phase");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "phase");
        const char *s;
        if (cbk_y_str(c->ck, v, P(c), &s) != 0) {
            rc = -1;
        } else {
            int ph = cb_phase_from_name(s);
            int lo = r->status == CB_ST_TIMED_OUT ? CB_PH_QUEUED : CB_PH_PROVISIONING;
            if (r->status == CB_ST_SUCCEEDED)
                rc = cbk_y_error(c->ck, v, P(c),
                                 "a SUCCEEDED build runs every phase: 'phase' goes with status "
                                 "FAILED, FAULT or TIMED_OUT");
            else if (ph < lo || ph > CB_PH_UPLOAD_ARTIFACTS)
                rc = cbk_y_error(c->ck, v, P(c),
                                 "a build cannot end %s in phase '%s' (expected %sPROVISIONING, "
                                 "DOWNLOAD_SOURCE, INSTALL, PRE_BUILD, BUILD, POST_BUILD or "
                                 "UPLOAD_ARTIFACTS)",
                                 cb_status_names[r->status], s,
                                 r->status == CB_ST_TIMED_OUT ? "QUEUED, " : "");
            else
                r->phase = ph;
        }
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(n, "context");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "context");
        static const char *const keys[] = {"statusCode", "message", NULL};
        if (cbk_y_expect(c->ck, v, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
        } else {
            rc |= cbk_y_check_keys(c->ck, v, P(c), keys);
            rc |= str_member(c, v, "statusCode", &r->ctx_code);
            rc |= str_member(c, v, "message", &r->ctx_message);
            if (r->status == CB_ST_SUCCEEDED)
                rc = cbk_y_error(c->ck, v, P(c),
                                 "a SUCCEEDED build has no failed phase: 'context' goes with "
                                 "status FAILED, FAULT or TIMED_OUT");
        }
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(n, "duration");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "duration");
        rc |= seconds(c, v, false, &r->total_ms);
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(n, "phaseDurations");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "phaseDurations");
        rc |= parse_phase_durations(c, v, r);
        cbk_ypath_pop(c->path, mk);
    }
    v = cbk_y_get(n, "output");
    if (v) {
        size_t mk = cbk_ypath_push(c->path, "output");
        rc |= parse_output(c, v, r);
        cbk_ypath_pop(c->path, mk);
    }
    return rc;
}

struct cb_outcomes *cb_outcomes_parse(const struct cbk_ynode *node, const struct cbk_ycheck *ck,
                                      struct cbk_buf *path)
{
    struct pctx c = {ck, path};
    if (cbk_y_expect(ck, node, CBK_Y_SEQ, P(&c)) != 0)
        return NULL;
    struct cb_outcomes *o = cbk_xcalloc(1, sizeof(*o));
    o->v = cbk_xcalloc(node->n ? node->n : 1, sizeof(*o->v));
    int rc = 0;
    for (size_t i = 0; i < node->n; i++) {
        size_t m = cbk_ypath_push_index(path, i);
        rc |= parse_rule(&c, node->items[i], i, &o->v[o->n++], &o->uses_env);
        cbk_ypath_pop(path, m);
    }
    if (rc) {
        cb_outcomes_free(o);
        return NULL;
    }
    return o;
}

/* The value of environment variable 'name' in 'vars' (an array of {name, value}), or NULL. */
static struct json_object *env_value(struct json_object *vars, const char *name)
{
    if (!vars || !json_object_is_type(vars, json_type_array))
        return NULL;
    struct json_object *found = NULL;
    for (size_t i = 0; i < json_object_array_length(vars); i++) {
        struct json_object *v = json_object_array_get_idx(vars, i), *n = NULL, *val = NULL;
        if (json_object_object_get_ex(v, "name", &n) && json_object_is_type(n, json_type_string) &&
            strcmp(json_object_get_string(n), name) == 0 &&
            json_object_object_get_ex(v, "value", &val) &&
            json_object_is_type(val, json_type_string))
            found = val; /* the last one wins, as in a shell */
    }
    return found;
}

static bool rule_matches(const struct cb_outcome_rule *r, const struct cb_build_facts *f)
{
    if (r->nprojects) {
        bool any = false;
        for (size_t i = 0; i < r->nprojects && !any; i++)
            any = strmatch(&r->projects[i], f->project, f->plen);
        if (!any)
            return false;
    }
    if (r->source_version.exact || r->source_version.re) {
        if (!f->source_version ||
            !strmatch(&r->source_version, f->source_version, strlen(f->source_version)))
            return false;
    }
    if (r->identifier.exact || r->identifier.re) {
        if (!f->identifier || !strmatch(&r->identifier, f->identifier, strlen(f->identifier)))
            return false;
    }
    for (size_t i = 0; i < r->nenv; i++) {
        struct json_object *v = env_value(f->env_vars, r->env[i].name);
        if (!v || !strmatch(&r->env[i].value, json_object_get_string(v),
                            (size_t)json_object_get_string_len(v)))
            return false;
    }
    if (r->nnumbers) {
        bool any = false;
        for (size_t i = 0; i < r->nnumbers && !any; i++)
            any = r->numbers[i] == f->number;
        if (!any)
            return false;
    }
    return true;
}

const struct cb_outcome_rule *cb_outcomes_match(const struct cb_outcomes *o,
                                                const struct cb_build_facts *f)
{
    for (size_t i = 0; o && i < o->n; i++)
        if (rule_matches(&o->v[i], f))
            return &o->v[i];
    return NULL;
}

const struct cb_outcome_rule *cb_outcome_set_match(const struct cb_outcome_set *s,
                                                   const struct cb_build_facts *f)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const struct cb_outcome_rule *r = cb_outcomes_match(s->v[i], f);
        if (r)
            return r;
    }
    return NULL;
}
