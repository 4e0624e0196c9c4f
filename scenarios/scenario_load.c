/*
 * scenario_load.c - compile a scenario file (docs/scenarios.md) against a spec: every key
 * checked with its location, operations resolved, patterns compiled, canned success bodies
 * validated against the operation's output shape. Any error discards the whole scenario.
 */
#include "core/setup.h"
#include "core/regex.h"
#include "scenarios/scenario_model.h"
#include "cbkit/validate.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/file.h"
#include "core/hmap.h"
#include "core/jsonq.h"
#include "core/timefmt.h"
#include "core/yaml.h"
#include "core/yaml_json.h"
#include "wire/wire.h"

#include <json-c/json.h>

#define SCENARIO_MAX_BYTES ((size_t)16 << 20)

struct ctx {
    struct cbk_scenario *s;
    const struct cbk_scenario_env *env;
    struct cbk_ycheck ck;
    struct cbk_buf path;
};

static const char *P(struct ctx *c)
{
    return cbk_buf_str(&c->path);
}

/* ---- freeing ------------------------------------------------------------------------------- */

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_rule(struct cbk_scen_rule *r)
{
    free(r->name);
    free(r->ops);
    free_strv(r->states, r->nstates);
    for (size_t i = 0; i < r->nbody; i++) {
        free(r->body[i].pointer);
        if (r->body[i].value)
            json_object_put(r->body[i].value);
        cbk_regex_free(r->body[i].re);
    }
    free(r->body);
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
        cbk_regex_free(r->headers[i].re);
    }
    free(r->headers);
    free(r->when.nth);
    struct cbk_respond *rs = &r->respond;
    free(rs->error);
    free(rs->message);
    free(rs->body);
    if (rs->tmpl)
        json_object_put(rs->tmpl);
    free_strv(rs->hnames, rs->nheaders);
    free_strv(rs->hvalues, rs->nheaders);
    free(r->then);
}

void cbk_scenario_free(struct cbk_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nrules; i++)
        free_rule(&s->rules[i]);
    free(s->rules);
    for (size_t i = 0; i < s->nexts; i++) {
        const struct cbk_service *svc = s->ext[i].svc;
        for (size_t k = 0; svc->scenario_keys[k]; k++)
            if (s->ext[i].values[k])
                svc->scenario_free(svc->scenario_keys[k], s->ext[i].values[k]);
        free(s->ext[i].values);
    }
    free(s->ext);
    free(s->specs);
    free(s->name);
    free(s->file);
    free(s->description);
    free(s->initial_state);
    free(s->state);
    free(s);
}

const char *cbk_scenario_name(const struct cbk_scenario *s)
{
    return s->name;
}

size_t cbk_scenario_rule_count(const struct cbk_scenario *s)
{
    return s->nrules;
}

/* ---- small typed readers --------------------------------------------------------------------- */

static int str_at(struct ctx *c, const struct cbk_ynode *map, const char *key, char **out)
{
    const struct cbk_ynode *v = cbk_y_get(map, key);
    if (!v)
        return 0;
    size_t m = cbk_ypath_push(&c->path, key);
    const char *s = NULL;
    int rc = cbk_y_str(&c->ck, v, P(c), &s);
    if (rc == 0) {
        free(*out);
        *out = cbk_xstrndup(s, v->len);
    }
    cbk_ypath_pop(&c->path, m);
    return rc;
}

static int uint_at(struct ctx *c, const struct cbk_ynode *map, const char *key, int64_t min,
                   int64_t max, int64_t *out)
{
    const struct cbk_ynode *v = cbk_y_get(map, key);
    if (!v)
        return 0;
    size_t m = cbk_ypath_push(&c->path, key);
    int rc = cbk_y_int(&c->ck, v, P(c), min, max, out);
    cbk_ypath_pop(&c->path, m);
    return rc;
}

/* A string or a list of strings. */
static int strlist(struct ctx *c, const struct cbk_ynode *v, char ***out, size_t *n)
{
    const struct cbk_ynode *one[1] = {v};
    const struct cbk_ynode *const *items = one;
    size_t k = 1;
    if (v->kind == CBK_Y_SEQ) {
        items = (const struct cbk_ynode *const *)v->items;
        k = v->n;
        if (!k)
            return cbk_y_error(&c->ck, v, P(c), "expected at least one name");
    }
    char **list = cbk_xcalloc(k, sizeof(char *));
    int rc = 0;
    for (size_t i = 0; i < k; i++) {
        size_t m = v->kind == CBK_Y_SEQ ? cbk_ypath_push_index(&c->path, i) : c->path.len;
        const char *s;
        if (cbk_y_str(&c->ck, items[i], P(c), &s) == 0)
            list[i] = cbk_xstrndup(s, items[i]->len);
        else
            rc = -1;
        cbk_ypath_pop(&c->path, m);
    }
    if (rc) {
        free_strv(list, k);
        return -1;
    }
    *out = list;
    *n = k;
    return 0;
}

static struct cbk_regex *compile_regex(struct ctx *c, const struct cbk_ynode *v, const char *pat,
                                       size_t len)
{
    char msg[256];
    size_t off = 0;
    struct cbk_regex *re =
        cbk_regex_compile(pat, len, CBK_RE_UTF | CBK_RE_DOLLAR_ENDONLY, msg, sizeof msg, &off);
    if (!re)
        cbk_y_error(&c->ck, v, P(c), "invalid regular expression at offset %zu: %s", off, msg);
    return re;
}

/* ---- match ----------------------------------------------------------------------------------- */

static const char *const matcher_keys[] = {"equals",  "partial",  "regex", "absent",
                                           "present", "contains", NULL};

/* A matcher node: a scalar or sequence (equals) or a mapping with one matcher key. */
static int load_matcher(struct ctx *c, const struct cbk_ynode *v, enum cbk_matcher_kind *kind,
                        struct json_object **value, struct cbk_regex **re, char **str, bool header)
{
    if (v->kind != CBK_Y_MAP) {
        if (header) {
            const char *s;
            if (cbk_y_str(&c->ck, v, P(c), &s) != 0)
                return -1;
            *kind = CBK_M_EQUALS;
            *str = cbk_xstrndup(s, v->len);
            return 0;
        }
        *kind = CBK_M_EQUALS;
        *value = cbk_yaml_to_json(v);
        return 0;
    }
    if (v->n != 1)
        return cbk_y_error(&c->ck, v, P(c),
                           "a matcher has exactly one of: equals, partial, regex, absent, "
                           "present, contains (use {equals: {...}} to match an object)");
    if (cbk_y_check_keys(&c->ck, v, P(c), matcher_keys) != 0)
        return -1;
    const char *k = v->keys[0]->str;
    const struct cbk_ynode *x = v->items[0];
    size_t m = cbk_ypath_push(&c->path, k);
    int rc = 0;
    if (!strcmp(k, "absent") || !strcmp(k, "present")) {
        bool b;
        rc = cbk_y_bool(&c->ck, x, P(c), &b);
        if (rc == 0 && !b)
            rc = cbk_y_error(&c->ck, x, P(c), "write '%s: true' (use the other matcher for false)",
                             k);
        *kind = !strcmp(k, "absent") ? CBK_M_ABSENT : CBK_M_PRESENT;
    } else if (!strcmp(k, "regex")) {
        const char *s;
        rc = cbk_y_str(&c->ck, x, P(c), &s);
        if (rc == 0) {
            *re = compile_regex(c, x, s, x->len);
            rc = *re ? 0 : -1;
        }
        *kind = CBK_M_REGEX;
    } else if (header) {
        if (strcmp(k, "equals") != 0) {
            rc = cbk_y_error(&c->ck, v->keys[0], P(c),
                             "headers match with a string, regex, absent or present");
        } else {
            const char *s;
            rc = cbk_y_str(&c->ck, x, P(c), &s);
            if (rc == 0)
                *str = cbk_xstrndup(s, x->len);
            *kind = CBK_M_EQUALS;
        }
    } else if (!strcmp(k, "partial")) {
        if (x->kind != CBK_Y_MAP)
            rc = cbk_y_error(&c->ck, x, P(c), "partial wants a mapping, found %s",
                             cbk_y_describe(x));
        else
            *value = cbk_yaml_to_json(x);
        *kind = CBK_M_PARTIAL;
    } else {
        *value = cbk_yaml_to_json(x);
        *kind = !strcmp(k, "equals") ? CBK_M_EQUALS : CBK_M_CONTAINS;
    }
    cbk_ypath_pop(&c->path, m);
    return rc;
}

/* ---- operations and services -------------------------------------------------------------- */

/* Does 'name' name 'spec': its serviceId ("CodeBuild"), target prefix or endpoint prefix? */
static bool names_spec(const struct cbk_spec *spec, const char *name)
{
    const struct cbk_metadata *md = cbk_spec_metadata(spec);
    return (md->service_id && strcmp(md->service_id, name) == 0) ||
           (md->target_prefix && strcmp(md->target_prefix, name) == 0) ||
           (md->endpoint_prefix && strcmp(md->endpoint_prefix, name) == 0);
}

/* The spec of 'env' that 'name' names, or NULL. */
static const struct cbk_spec *find_service(const struct cbk_scenario_env *env, const char *name)
{
    for (size_t i = 0; i < env->nspecs; i++)
        if (names_spec(env->specs[i], name))
            return env->specs[i];
    return NULL;
}

static int unknown_service(struct ctx *c, const struct cbk_ynode *at, const char *name)
{
    struct cbk_buf known = CBK_BUF_INIT(1 << 12);
    for (size_t i = 0; i < c->env->nspecs; i++) {
        const struct cbk_metadata *md = cbk_spec_metadata(c->env->specs[i]);
        cbk_buf_addf(&known, "%s%s", i ? ", " : "",
                     md->service_id ? md->service_id : md->target_prefix);
    }
    int rc = cbk_y_error(&c->ck, at, P(c), "unknown service '%s' (the mock serves: %s)", name,
                         cbk_buf_str(&known));
    cbk_buf_release(&known);
    return rc;
}

/*
 * Resolve operation 'name' among the specs (only 'service' when not NULL). Sets *out and
 * returns 0, or reports an unknown or ambiguous name at 'at' and returns -1.
 */
static int resolve_op(struct ctx *c, const struct cbk_ynode *at, const struct cbk_spec *service,
                      const char *name, const struct cbk_operation **out)
{
    *out = NULL;
    size_t found = 0;
    for (size_t i = 0; i < c->env->nspecs; i++) {
        const struct cbk_spec *sp = c->env->specs[i];
        if (service && sp != service)
            continue;
        const struct cbk_operation *op = cbk_spec_op(sp, name);
        if (op) {
            if (!found)
                *out = op;
            found++;
        }
    }
    if (found == 1)
        return 0;
    if (found > 1) {
        *out = NULL;
        return cbk_y_error(&c->ck, at, P(c),
                           "operation '%s' is in several of the services served: say which "
                           "with match.service",
                           name);
    }
    /* a near name, or the names when they are few (a spec may have 100s) */
    const struct cbk_spec *sp = service ? service : c->env->specs[0];
    const struct cbk_operation *near = cbk_spec_op_suggest(sp, name);
    size_t nops = cbk_spec_op_count(sp);
    struct cbk_buf known = CBK_BUF_INIT(1 << 16);
    if (near)
        cbk_buf_addf(&known, "did you mean '%s'?", near->name);
    else if (nops > 10)
        cbk_buf_addf(&known, "the spec has %zu operations, none named like it", nops);
    for (size_t j = 0; !near && nops <= 10 && j < nops; j++)
        cbk_buf_addf(&known, "%s%s", j ? ", " : "the spec has: ", cbk_spec_op_at(sp, j)->name);
    int rc =
        cbk_y_error(&c->ck, at, P(c), "unknown operation '%s' (%s)", name, cbk_buf_str(&known));
    cbk_buf_release(&known);
    return rc;
}

bool cbk__scen_knows_op(const struct cbk_scenario *s, const struct cbk_operation *op)
{
    for (size_t i = 0; i < s->nspecs; i++)
        if (s->specs[i] == op->spec)
            return true;
    return false;
}

static const char *const match_keys[] = {"service", "operation", "state", "body",
                                         "headers", "valid",     NULL};

static int load_match(struct ctx *c, const struct cbk_ynode *v, struct cbk_scen_rule *r,
                      bool *valid_given)
{
    if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(&c->ck, v, P(c), match_keys);
    const struct cbk_ynode *x = cbk_y_get(v, "service");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "service");
        const char *name;
        if (cbk_y_str(&c->ck, x, P(c), &name) == 0) {
            r->service = find_service(c->env, name);
            if (!r->service)
                rc = unknown_service(c, x, name);
        } else {
            rc = -1;
        }
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "operation");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "operation");
        char **names = NULL;
        size_t n = 0;
        if (strlist(c, x, &names, &n) == 0) {
            r->ops = cbk_xcalloc(n, sizeof(*r->ops));
            for (size_t i = 0; i < n; i++) {
                const struct cbk_ynode *at = x->kind == CBK_Y_SEQ ? x->items[i] : x;
                const struct cbk_operation *op = NULL;
                if (resolve_op(c, at, r->service, names[i], &op) != 0)
                    rc = -1;
                else
                    r->ops[r->nops++] = op;
            }
            free_strv(names, n);
        } else {
            rc = -1;
        }
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "state");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "state");
        rc |= strlist(c, x, &r->states, &r->nstates);
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "valid");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "valid");
        bool b;
        if (x->kind == CBK_Y_SCALAR && x->plain && strcmp(x->str, "any") == 0) {
            r->valid = CBK_VALID_ANY;
            *valid_given = true;
        } else if (cbk_y_bool(&c->ck, x, P(c), &b) == 0) {
            r->valid = b ? CBK_VALID_TRUE : CBK_VALID_FALSE;
            *valid_given = true;
        } else {
            rc = -1;
        }
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "body");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "body");
        if (cbk_y_expect(&c->ck, x, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
        } else {
            r->body = cbk_xcalloc(x->n ? x->n : 1, sizeof(*r->body));
            for (size_t i = 0; i < x->n; i++) {
                struct cbk_body_matcher *bm = &r->body[r->nbody++];
                bm->pointer = cbk_xstrndup(x->keys[i]->str, x->keys[i]->len);
                size_t mi = cbk_ypath_push(&c->path, bm->pointer);
                if (!cbk_jsonq_pointer_valid(bm->pointer))
                    rc = cbk_y_error(&c->ck, x->keys[i], P(c),
                                     "'%s' is not a JSON pointer (write /member/0/field; \"\" is "
                                     "the whole body)",
                                     bm->pointer);
                rc |= load_matcher(c, x->items[i], &bm->kind, &bm->value, &bm->re, NULL, false);
                cbk_ypath_pop(&c->path, mi);
            }
        }
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "headers");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "headers");
        if (cbk_y_expect(&c->ck, x, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
        } else {
            r->headers = cbk_xcalloc(x->n ? x->n : 1, sizeof(*r->headers));
            for (size_t i = 0; i < x->n; i++) {
                struct cbk_header_matcher *hm = &r->headers[r->nheaders++];
                hm->name = cbk_xstrndup(x->keys[i]->str, x->keys[i]->len);
                size_t mi = cbk_ypath_push(&c->path, hm->name);
                struct json_object *unused = NULL;
                rc |= load_matcher(c, x->items[i], &hm->kind, &unused, &hm->re, &hm->value, true);
                if (unused)
                    json_object_put(unused);
                cbk_ypath_pop(&c->path, mi);
            }
        }
        cbk_ypath_pop(&c->path, m);
    }
    return rc ? -1 : 0;
}

/* ---- when --------------------------------------------------------------------------------------
 */

static const char *const when_keys[] = {"first", "after", "nth", "every", "probability", NULL};

static int load_when(struct ctx *c, const struct cbk_ynode *v, struct cbk_schedule *s)
{
    if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(&c->ck, v, P(c), when_keys);
    int64_t x = 0;
    if (uint_at(c, v, "first", 1, INT64_MAX, &x) == 0)
        s->first = (uint64_t)x;
    else
        rc = -1;
    x = 0;
    if (uint_at(c, v, "after", 0, INT64_MAX, &x) == 0)
        s->after = (uint64_t)x;
    else
        rc = -1;
    x = 0;
    if (uint_at(c, v, "every", 1, INT64_MAX, &x) == 0)
        s->every = (uint64_t)x;
    else
        rc = -1;
    const struct cbk_ynode *n = cbk_y_get(v, "nth");
    if (n) {
        size_t m = cbk_ypath_push(&c->path, "nth");
        const struct cbk_ynode *one[1] = {n};
        const struct cbk_ynode *const *items = one;
        size_t k = 1;
        if (n->kind == CBK_Y_SEQ) {
            items = (const struct cbk_ynode *const *)n->items;
            k = n->n;
            if (!k)
                rc = cbk_y_error(&c->ck, n, P(c), "nth needs at least one call number");
        }
        s->nth = cbk_xcalloc(k ? k : 1, sizeof(uint64_t));
        for (size_t i = 0; i < k; i++) {
            size_t mi = n->kind == CBK_Y_SEQ ? cbk_ypath_push_index(&c->path, i) : c->path.len;
            int64_t y;
            if (cbk_y_int(&c->ck, items[i], P(c), 1, INT64_MAX, &y) == 0)
                s->nth[s->nnth++] = (uint64_t)y;
            else
                rc = -1;
            cbk_ypath_pop(&c->path, mi);
        }
        cbk_ypath_pop(&c->path, m);
    }
    const struct cbk_ynode *p = cbk_y_get(v, "probability");
    if (p) {
        size_t m = cbk_ypath_push(&c->path, "probability");
        double d;
        if (cbk_y_double(&c->ck, p, P(c), &d) != 0) {
            rc = -1;
        } else if (d < 0 || d > 1) {
            rc = cbk_y_error(&c->ck, p, P(c), "a probability is between 0 and 1, not %g", d);
        } else {
            s->has_probability = true;
            s->probability = d;
        }
        cbk_ypath_pop(&c->path, m);
    }
    if (rc == 0) {
        /* schedules that can never fire are mistakes */
        bool never = s->first && s->after >= s->first;
        for (size_t i = 0; i < s->nnth && !never; i++) {
            bool ok = (!s->first || s->nth[i] <= s->first) && s->nth[i] > s->after &&
                      (!s->every || s->nth[i] % s->every == 0);
            if (!ok && i == s->nnth - 1) {
                bool any = false;
                for (size_t j = 0; j < s->nnth; j++)
                    any = any || ((!s->first || s->nth[j] <= s->first) && s->nth[j] > s->after &&
                                  (!s->every || s->nth[j] % s->every == 0));
                never = !any;
            }
        }
        /* the last multiple of 'every' up to 'first' must lie after 'after' */
        if (s->first && s->every && (s->first / s->every) * s->every <= s->after)
            never = true;
        if (s->has_probability && s->probability == 0)
            never = true;
        if (never)
            rc = cbk_y_error(&c->ck, v, P(c), "this schedule can never fire");
    }
    return rc;
}

/* ---- latency ------------------------------------------------------------------------------- */

static int load_latency(struct ctx *c, const struct cbk_ynode *v, struct cbk_latency *l)
{
    int64_t ms;
    if (v->kind == CBK_Y_SCALAR) {
        if (cbk_y_int(&c->ck, v, P(c), 0, 600000, &ms) != 0)
            return -1;
        l->kind = CBK_LAT_FIXED;
        l->a = (double)ms;
        return 0;
    }
    if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0)
        return -1;
    static const char *const keys[] = {"fixed", "uniform", "lognormal", NULL};
    if (cbk_y_check_keys(&c->ck, v, P(c), keys) != 0)
        return -1;
    if (v->n != 1)
        return cbk_y_error(&c->ck, v, P(c),
                           "latency has exactly one of: fixed, uniform, lognormal");
    const char *k = v->keys[0]->str;
    const struct cbk_ynode *x = v->items[0];
    size_t m = cbk_ypath_push(&c->path, k);
    int rc = 0;
    if (!strcmp(k, "fixed")) {
        rc = cbk_y_int(&c->ck, x, P(c), 0, 600000, &ms);
        l->kind = CBK_LAT_FIXED;
        l->a = (double)ms;
    } else if (!strcmp(k, "uniform")) {
        int64_t lo, hi;
        if (x->kind != CBK_Y_SEQ || x->n != 2) {
            rc = cbk_y_error(&c->ck, x, P(c), "uniform wants [MIN, MAX] in milliseconds");
        } else if (cbk_y_int(&c->ck, x->items[0], P(c), 0, 600000, &lo) != 0 ||
                   cbk_y_int(&c->ck, x->items[1], P(c), 0, 600000, &hi) != 0) {
            rc = -1;
        } else if (lo > hi) {
            rc = cbk_y_error(&c->ck, x, P(c), "uniform [%" PRId64 ", %" PRId64 "]: min > max", lo,
                             hi);
        } else {
            l->kind = CBK_LAT_UNIFORM;
            l->a = (double)lo;
            l->b = (double)hi;
        }
    } else {
        static const char *const lk[] = {"median", "sigma", "cap", NULL};
        if (cbk_y_expect(&c->ck, x, CBK_Y_MAP, P(c)) != 0 ||
            cbk_y_check_keys(&c->ck, x, P(c), lk) != 0) {
            rc = -1;
        } else {
            const struct cbk_ynode *med = cbk_y_require(&c->ck, x, P(c), "median");
            const struct cbk_ynode *sig = cbk_y_require(&c->ck, x, P(c), "sigma");
            const struct cbk_ynode *cap = cbk_y_get(x, "cap");
            double dm = 0, ds = 0, dc = 600000;
            if (!med || !sig || cbk_y_double(&c->ck, med, P(c), &dm) != 0 ||
                cbk_y_double(&c->ck, sig, P(c), &ds) != 0 ||
                (cap && cbk_y_double(&c->ck, cap, P(c), &dc) != 0)) {
                rc = -1;
            } else if (dm <= 0 || ds < 0 || ds > 10 || dc <= 0 || dc > 600000) {
                rc = cbk_y_error(&c->ck, x, P(c),
                                 "lognormal wants median > 0, 0 <= sigma <= 10 and 0 < cap <= "
                                 "600000 (milliseconds)");
            } else {
                l->kind = CBK_LAT_LOGNORMAL;
                l->a = dm;
                l->b = ds;
                l->c = dc;
            }
        }
    }
    cbk_ypath_pop(&c->path, m);
    return rc;
}

/* ---- respond -------------------------------------------------------------------------------- */

static const char *const respond_keys[] = {"error",    "message",  "status",  "decorate", "body",
                                           "bodyText", "template", "headers", "fault",    "ms",
                                           "chunks",   "bytes",    NULL};

struct fault_name {
    const char *name;
    enum cbk_scen_fault f;
};
static const struct fault_name faults[] = {
    {"reset", CBK_SF_RESET},         {"close", CBK_SF_CLOSE},     {"stall", CBK_SF_STALL},
    {"truncate", CBK_SF_TRUNCATE},   {"dribble", CBK_SF_DRIBBLE}, {"html", CBK_SF_HTML},
    {"malformed", CBK_SF_MALFORMED},
};

/* Default status of an error name for the rule's operations. */
static int error_status(const struct cbk_scen_rule *r, const char *name)
{
    for (size_t i = 0; i < r->nops; i++)
        for (size_t j = 0; j < r->ops[i]->error_count; j++)
            if (strcmp(r->ops[i]->errors[j]->error_code, name) == 0)
                return r->ops[i]->errors[j]->http_status;
    const struct cbk_wire_common_error *ce = cbk_wire_common_error(name);
    return ce ? ce->status : 400;
}

/* Validate a success body (JSON text) against the output of every operation of the rule. */
static int check_success_body(struct ctx *c, const struct cbk_scen_rule *r, const char *json,
                              size_t len, const struct cbk_ynode *at, const char *what)
{
    if (!r->nops)
        return cbk_y_error(&c->ck, at, P(c),
                           "a rule that answers with a success %s must name its operation "
                           "(match.operation): the body is checked against its output shape",
                           what);
    int rc = 0;
    struct cbk_report *rep = cbk_report_new();
    struct cbk_validate_opts vo = CBK_VALIDATE_OPTS_INIT;
    vo.direction = CBK_RESPONSE;
    vo.strict = true;
    for (size_t i = 0; i < r->nops; i++) {
        if (cbk_validate_buffer(r->ops[i]->spec, r->ops[i]->output, json, len, &vo, rep) == CBK_OK)
            continue;
        for (size_t k = 0; k < cbk_report_count(rep); k++) {
            const struct cbk_violation *x = cbk_report_at(rep, k);
            const struct cbk_ynode *node = cbk_yaml_at_pointer(at, x->pointer);
            rc = cbk_y_error(&c->ck, node ? node : at, P(c),
                             "the %s breaks the contract of %s output: %s%s%s [%s]", what,
                             r->ops[i]->name, x->pointer, x->pointer[0] ? ": " : "", x->message,
                             cbk_rule_name(x->rule));
        }
    }
    cbk_report_free(rep);
    return rc;
}

static int load_respond(struct ctx *c, const struct cbk_ynode *v, struct cbk_scen_rule *r,
                        bool *claims_success)
{
    struct cbk_respond *rs = &r->respond;
    if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(&c->ck, v, P(c), respond_keys);
    const struct cbk_ynode *err = cbk_y_get(v, "error"), *body = cbk_y_get(v, "body"),
                           *text = cbk_y_get(v, "bodyText"), *tmpl = cbk_y_get(v, "template"),
                           *fault = cbk_y_get(v, "fault");
    int forms = !!err + !!body + !!text + !!tmpl;
    if (forms > 1)
        return cbk_y_error(&c->ck, v, P(c),
                           "respond with one of error, body, bodyText or template, not several");
    int64_t x;
    /* 200..599: a 1xx status is not an answer (101 would hand the connection over) */
    if (uint_at(c, v, "status", 200, 599, &x) != 0)
        rc = -1;
    else if (cbk_y_get(v, "status"))
        rs->status = (int)x;
    rc |= str_at(c, v, "message", &rs->message);
    if (fault) {
        size_t m = cbk_ypath_push(&c->path, "fault");
        const char *fs;
        if (cbk_y_str(&c->ck, fault, P(c), &fs) == 0) {
            for (size_t i = 0; i < CBK_ARRAY_SIZE(faults); i++)
                if (!strcmp(fs, faults[i].name))
                    rs->fault = faults[i].f;
            if (rs->fault == CBK_SF_NONE)
                rc = cbk_y_error(&c->ck, fault, P(c),
                                 "unknown fault '%s' (expected reset, close, stall, truncate, "
                                 "dribble, html or malformed)",
                                 fs);
        } else {
            rc = -1;
        }
        cbk_ypath_pop(&c->path, m);
    }
    bool replaces = rs->fault == CBK_SF_RESET || rs->fault == CBK_SF_CLOSE ||
                    rs->fault == CBK_SF_STALL || rs->fault == CBK_SF_HTML ||
                    rs->fault == CBK_SF_MALFORMED;
    if (replaces && forms)
        rc = cbk_y_error(&c->ck, fault, P(c),
                         "the fault replaces the answer: drop error/body/template (only truncate "
                         "and dribble deliver an answer)");
    /* fault parameters */
    int64_t ms = -1, chunks = -1, bytes = -1;
    if (uint_at(c, v, "ms", 0, 600000, &ms) != 0)
        rc = -1;
    if (uint_at(c, v, "chunks", 1, 100000, &chunks) != 0)
        rc = -1;
    if (uint_at(c, v, "bytes", 0, INT64_MAX, &bytes) != 0)
        rc = -1;
    if (cbk_y_get(v, "ms") && rs->fault != CBK_SF_STALL && rs->fault != CBK_SF_DRIBBLE)
        rc = cbk_y_error(&c->ck, cbk_y_get(v, "ms"), P(c), "'ms' goes with fault stall or dribble");
    if (cbk_y_get(v, "chunks") && rs->fault != CBK_SF_DRIBBLE)
        rc = cbk_y_error(&c->ck, cbk_y_get(v, "chunks"), P(c), "'chunks' goes with fault dribble");
    if (cbk_y_get(v, "bytes") && rs->fault != CBK_SF_TRUNCATE)
        rc = cbk_y_error(&c->ck, cbk_y_get(v, "bytes"), P(c), "'bytes' goes with fault truncate");
    if (rs->fault == CBK_SF_STALL) {
        rs->ms = ms >= 0 ? (unsigned)ms : 30000;
        if (rs->ms == 0)
            rc = cbk_y_error(&c->ck, cbk_y_get(v, "ms"), P(c), "a stall lasts at least 1 ms");
    }
    if (rs->fault == CBK_SF_DRIBBLE) {
        rs->ms = ms >= 0 ? (unsigned)ms : 2000;
        rs->chunks = chunks > 0 ? (unsigned)chunks : 10;
    }
    if (rs->fault == CBK_SF_TRUNCATE)
        rs->bytes = bytes >= 0 ? (size_t)bytes : SIZE_MAX; /* SIZE_MAX: half */
    if (rs->fault == CBK_SF_HTML) {
        if (!rs->status)
            rs->status = 503;
        if (rs->status < 500)
            rc = cbk_y_error(&c->ck, cbk_y_get(v, "status"), P(c),
                             "a load balancer's html page comes with a 5xx status");
    }
    if (rs->status && (rs->fault == CBK_SF_RESET || rs->fault == CBK_SF_CLOSE ||
                       rs->fault == CBK_SF_STALL || rs->fault == CBK_SF_MALFORMED))
        rc = cbk_y_error(&c->ck, cbk_y_get(v, "status"), P(c),
                         "this fault sends no status of its own");
    /* response headers */
    const struct cbk_ynode *h = cbk_y_get(v, "headers");
    if (h) {
        size_t m = cbk_ypath_push(&c->path, "headers");
        if (cbk_y_expect(&c->ck, h, CBK_Y_MAP, P(c)) != 0) {
            rc = -1;
        } else {
            rs->hnames = cbk_xcalloc(h->n ? h->n : 1, sizeof(char *));
            rs->hvalues = cbk_xcalloc(h->n ? h->n : 1, sizeof(char *));
            for (size_t i = 0; i < h->n; i++) {
                size_t mi = cbk_ypath_push(&c->path, h->keys[i]->str);
                const char *val;
                if (cbk_y_str(&c->ck, h->items[i], P(c), &val) == 0) {
                    rs->hnames[rs->nheaders] = cbk_xstrdup(h->keys[i]->str);
                    rs->hvalues[rs->nheaders] = cbk_xstrndup(val, h->items[i]->len);
                    rs->nheaders++;
                } else {
                    rc = -1;
                }
                cbk_ypath_pop(&c->path, mi);
            }
        }
        cbk_ypath_pop(&c->path, m);
    }
    if (err) {
        rs->kind = CBK_R_ERROR;
        rc |= str_at(c, v, "error", &rs->error);
        if (rs->error && !*rs->error)
            rc = cbk_y_error(&c->ck, err, P(c), "the error needs a name");
        if (rs->error && !rs->status)
            rs->status = error_status(r, rs->error);
        if (rs->status && rs->status < 400)
            rc = cbk_y_error(&c->ck, cbk_y_get(v, "status"), P(c),
                             "an error answer needs a 4xx or 5xx status");
        const struct cbk_ynode *d = cbk_y_get(v, "decorate");
        if (d) {
            size_t m = cbk_ypath_push(&c->path, "decorate");
            const char *ds;
            if (cbk_y_str(&c->ck, d, P(c), &ds) == 0) {
                if (!strcmp(ds, "namespace"))
                    rs->decorate = 1;
                else if (!strcmp(ds, "uri"))
                    rs->decorate = 2;
                else if (!strcmp(ds, "both"))
                    rs->decorate = 3;
                else if (strcmp(ds, "none") != 0)
                    rc = cbk_y_error(&c->ck, d, P(c),
                                     "decorate is namespace, uri, both or none, not '%s'", ds);
            } else {
                rc = -1;
            }
            cbk_ypath_pop(&c->path, m);
        }
    } else if (cbk_y_get(v, "decorate")) {
        rc = cbk_y_error(&c->ck, cbk_y_get(v, "decorate"), P(c), "'decorate' goes with 'error'");
    } else if (cbk_y_get(v, "message") && !err) {
        rc = cbk_y_error(&c->ck, cbk_y_get(v, "message"), P(c), "'message' goes with 'error'");
    }
    if (body || text) {
        rs->kind = CBK_R_BODY;
        if (!rs->status)
            rs->status = 200;
        size_t m = cbk_ypath_push(&c->path, body ? "body" : "bodyText");
        if (body) {
            struct json_object *j = cbk_yaml_to_json(body);
            const char *s = j ? json_object_to_json_string_ext(
                                    j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
                              : "null";
            rs->body = cbk_xstrdup(s);
            rs->body_len = strlen(s);
            if (j)
                json_object_put(j);
        } else {
            const char *s;
            if (cbk_y_str(&c->ck, text, P(c), &s) == 0) {
                rs->body = cbk_xstrndup(s, text->len);
                rs->body_len = text->len;
            } else {
                rc = -1;
            }
        }
        if (rc == 0 && rs->status >= 200 && rs->status < 300 && rs->body)
            rc |= check_success_body(c, r, rs->body, rs->body_len, body ? body : text,
                                     body ? "body" : "bodyText");
        cbk_ypath_pop(&c->path, m);
    }
    if (tmpl) {
        rs->kind = CBK_R_TEMPLATE;
        if (!rs->status)
            rs->status = 200;
        size_t m = cbk_ypath_push(&c->path, "template");
        rs->tmpl = cbk_yaml_to_json(tmpl);
        struct cbk_buf unknown = CBK_BUF_INIT(1 << 12);
        if (cbk__scen_template_unknown(rs->tmpl, &unknown))
            rc = cbk_y_error(&c->ck, tmpl, P(c),
                             "unknown placeholder %s (known: {{request./POINTER}}, {{uuid}}, "
                             "{{now}}, {{count}}, {{seq}}, {{region}}, {{account}})",
                             cbk_buf_str(&unknown));
        cbk_buf_release(&unknown);
        if (rs->status >= 200 && rs->status < 300) {
            struct cbk_buf out = CBK_BUF_INIT((size_t)16 << 20);
            struct cbk_rng rng;
            cbk_rng_seed(&rng, 1);
            cbk__scen_render_template(rs->tmpl, NULL, &rng, 1700000000000LL, 1, 1, "us-east-1",
                                      "123456789012", &out);
            rc |= check_success_body(c, r, cbk_buf_str(&out), out.len, tmpl, "template");
            cbk_buf_release(&out);
        }
        cbk_ypath_pop(&c->path, m);
    }
    if (!forms && !replaces) {
        rs->kind = CBK_R_DEFAULT;
        if (cbk_y_get(v, "status"))
            rc = cbk_y_error(&c->ck, cbk_y_get(v, "status"), P(c),
                             "'status' goes with error, body, template or fault html");
    }
    *claims_success = (rs->kind == CBK_R_DEFAULT && !replaces) ||
                      ((rs->kind == CBK_R_BODY || rs->kind == CBK_R_TEMPLATE) &&
                       rs->status >= 200 && rs->status < 300);
    return rc ? -1 : 0;
}

/* ---- rules ------------------------------------------------------------------------------------
 */

static const char *const rule_keys[] = {"name",    "match", "when", "respond",
                                        "latency", "then",  NULL};

static int load_rule(struct ctx *c, const struct cbk_ynode *v, size_t index,
                     struct cbk_scen_rule *r)
{
    r->line = v->line;
    r->column = v->col;
    if (cbk_y_expect(&c->ck, v, CBK_Y_MAP, P(c)) != 0)
        return -1;
    int rc = cbk_y_check_keys(&c->ck, v, P(c), rule_keys);
    rc |= str_at(c, v, "name", &r->name);
    if (!r->name) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "rule-%zu", index + 1);
        r->name = cbk_xstrdup(tmp);
    }
    bool valid_given = false, claims_success = true;
    const struct cbk_ynode *x = cbk_y_get(v, "match");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "match");
        rc |= load_match(c, x, r, &valid_given);
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "when");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "when");
        rc |= load_when(c, x, &r->when);
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "respond");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "respond");
        rc |= load_respond(c, x, r, &claims_success);
        cbk_ypath_pop(&c->path, m);
    }
    x = cbk_y_get(v, "latency");
    if (x) {
        size_t m = cbk_ypath_push(&c->path, "latency");
        rc |= load_latency(c, x, &r->latency);
        cbk_ypath_pop(&c->path, m);
    }
    rc |= str_at(c, v, "then", &r->then);
    if (!valid_given)
        r->valid = claims_success ? CBK_VALID_TRUE : CBK_VALID_ANY;
    if (!cbk_y_get(v, "respond") && !cbk_y_get(v, "latency") && !cbk_y_get(v, "then"))
        rc = cbk_y_error(&c->ck, v, P(c),
                         "the rule does nothing: give it a respond, a latency or a then");
    return rc ? -1 : 0;
}

/* ---- the file ----------------------------------------------------------------------------------
 */

/* The keys of the scenario itself; behaviours add theirs (CodeBuild: projects, builds). */
static const char *const top_keys[] = {"scenario", "description", "seed", "state",
                                       "world",    "rules",       NULL};

/* Check the top-level keys: the scenario's own and those the behaviours own. */
static void check_top_keys(struct ctx *c, const struct cbk_ynode *root)
{
    size_t n = CBK_ARRAY_SIZE(top_keys);
    for (size_t i = 0; i < c->env->nservices; i++)
        for (size_t k = 0; c->env->services[i]->scenario_keys[k]; k++)
            n++;
    const char **keys = cbk_xcalloc(n, sizeof(*keys));
    size_t k = 0;
    for (size_t i = 0; top_keys[i]; i++)
        keys[k++] = top_keys[i];
    for (size_t i = 0; i < c->env->nservices; i++)
        for (size_t j = 0; c->env->services[i]->scenario_keys[j]; j++)
            keys[k++] = c->env->services[i]->scenario_keys[j];
    keys[k] = NULL;
    cbk_y_check_keys(&c->ck, root, "", keys);
    free(keys);
}

/* Hand the keys a behaviour owns to it: each parsed value is kept in s->ext. */
static void load_service_keys(struct ctx *c, const struct cbk_ynode *root)
{
    struct cbk_scenario *s = c->s;
    for (size_t i = 0; i < c->env->nservices; i++) {
        const struct cbk_service *svc = c->env->services[i];
        struct cbk_scen_ext *x = NULL;
        for (size_t k = 0; svc->scenario_keys[k]; k++) {
            const struct cbk_ynode *v = cbk_y_get(root, svc->scenario_keys[k]);
            if (!v)
                continue;
            size_t before = cbk_diags_error_count(c->ck.diags);
            void *value = svc->scenario_parse(svc->scenario_keys[k], v, &c->ck, c->env->specs,
                                              c->env->nspecs);
            if (!value) {
                if (cbk_diags_error_count(c->ck.diags) == before)
                    cbk_y_error(&c->ck, v, svc->scenario_keys[k], "'%s' is not valid",
                                svc->scenario_keys[k]);
                continue;
            }
            if (!x) {
                size_t nk = 0;
                while (svc->scenario_keys[nk])
                    nk++;
                s->ext = cbk_xreallocarray(s->ext, s->nexts + 1, sizeof(*s->ext));
                x = &s->ext[s->nexts++];
                x->svc = svc;
                x->values = cbk_xcalloc(nk, sizeof(void *));
            }
            x->values[k] = value;
        }
    }
}

static bool valid_scenario_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

static void load_top(struct ctx *c, const struct cbk_ynode *root)
{
    struct cbk_scenario *s = c->s;
    if (cbk_y_expect(&c->ck, root, CBK_Y_MAP, "") != 0)
        return;
    check_top_keys(c, root);
    const struct cbk_ynode *name = cbk_y_require(&c->ck, root, "", "scenario");
    if (name && str_at(c, root, "scenario", &s->name) == 0 && !valid_scenario_name(s->name))
        cbk_y_error(&c->ck, name, "scenario",
                    "a scenario name has letters, digits, '-', '_' and '.', not '%s'", s->name);
    str_at(c, root, "description", &s->description);
    str_at(c, root, "state", &s->initial_state);
    if (!s->initial_state)
        s->initial_state = cbk_xstrdup("Started");
    const struct cbk_ynode *seed = cbk_y_get(root, "seed");
    if (seed) {
        int64_t x;
        if (cbk_y_int(&c->ck, seed, "seed", 0, INT64_MAX, &x) == 0) {
            s->has_seed = true;
            s->seed = (uint64_t)x;
        }
    }
    const struct cbk_ynode *w = cbk_y_get(root, "world");
    if (w) {
        const char *ws;
        if (cbk_y_str(&c->ck, w, "world", &ws) == 0) {
            if (!strcmp(ws, "open") || !strcmp(ws, "strict")) {
                s->has_world = true;
                s->world = !strcmp(ws, "strict") ? CBK_WORLD_STRICT : CBK_WORLD_OPEN;
            } else {
                cbk_y_error(&c->ck, w, "world", "world is open or strict, not '%s'", ws);
            }
        }
    }
    load_service_keys(c, root);
    const struct cbk_ynode *rules = cbk_y_get(root, "rules");
    if (rules) {
        size_t m = cbk_ypath_push(&c->path, "rules");
        if (cbk_y_expect(&c->ck, rules, CBK_Y_SEQ, P(c)) == 0) {
            s->rules = cbk_xcalloc(rules->n ? rules->n : 1, sizeof(*s->rules));
            for (size_t i = 0; i < rules->n; i++) {
                size_t mi = cbk_ypath_push_index(&c->path, i);
                load_rule(c, rules->items[i], i, &s->rules[s->nrules++]);
                cbk_ypath_pop(&c->path, mi);
            }
            /* one hash probe per rule: a quadratic scan held a worker for seconds on an admin
             * POST of 20,000 rules */
            struct cbk_hmap seen = CBK_HMAP_INIT;
            for (size_t i = 0; i < s->nrules; i++) {
                const char *rn = s->rules[i].name; /* NULL: not a mapping */
                if (!rn)
                    continue;
                size_t nl = strlen(rn);
                if (cbk_hmap_key(&seen, rn, nl)) {
                    size_t mi = cbk_ypath_push_index(&c->path, i);
                    cbk_y_error(&c->ck, rules->items[i], P(c), "rule name '%s' is used twice", rn);
                    cbk_ypath_pop(&c->path, mi);
                } else {
                    cbk_hmap_put(&seen, rn, nl, NULL);
                }
            }
            cbk_hmap_release(&seen, NULL);
        }
        cbk_ypath_pop(&c->path, m);
    }
}

enum cbk_code cbk_scenario_load_buffer(const struct cbk_scenario_env *env, const char *buf,
                                       size_t len, const char *file, struct cbk_scenario **out,
                                       struct cbk_diags *diags)
{
    *out = NULL;
    if (!file)
        file = "<scenario>";
    if (!env || !env->nspecs) {
        cbk_diags_addf(diags, CBK_E_USAGE, CBK_SEV_ERROR, file, 0, 0, NULL,
                       "a scenario is loaded against at least one spec");
        return CBK_E_USAGE;
    }
    if (len > SCENARIO_MAX_BYTES) {
        cbk_file_too_large(diags, file, "scenario", SCENARIO_MAX_BYTES);
        return CBK_E_LIMIT;
    }
    struct cbk_ydoc *doc = NULL;
    enum cbk_code rc = cbk_yaml_parse(buf, len, file, 64, CBK_E_SCENARIO, &doc, diags);
    if (rc != CBK_OK)
        return rc;
    struct cbk_scenario *s = cbk_xcalloc(1, sizeof(*s));
    s->file = cbk_xstrdup(file);
    s->specs = cbk_xcalloc(env->nspecs, sizeof(*s->specs));
    memcpy(s->specs, env->specs, env->nspecs * sizeof(*s->specs));
    s->nspecs = env->nspecs;
    struct ctx c;
    c.s = s;
    c.env = env;
    c.ck.file = s->file;
    c.ck.diags = diags;
    c.ck.code = CBK_E_SCENARIO;
    cbk_buf_init(&c.path, 1 << 16);
    size_t before = cbk_diags_error_count(diags);
    if (!doc->root)
        cbk_diags_addf(diags, CBK_E_SCENARIO, CBK_SEV_ERROR, file, 1, 1, NULL,
                       "the scenario is empty (expected a mapping with 'scenario' and 'rules')");
    else
        load_top(&c, doc->root);
    cbk_buf_release(&c.path);
    cbk_ydoc_free(doc);
    if (cbk_diags_error_count(diags) > before) {
        cbk_scenario_free(s);
        return CBK_E_SCENARIO;
    }
    cbk__scen_reset(s, 0);
    *out = s;
    return CBK_OK;
}

enum cbk_code cbk_scenario_load_file(const struct cbk_scenario_env *env, const char *path,
                                     struct cbk_scenario **out, struct cbk_diags *diags)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    enum cbk_code rc = cbk_file_read(path, SCENARIO_MAX_BYTES, "scenario", &buf, &len, diags);
    if (rc == CBK_OK)
        rc = cbk_scenario_load_buffer(env, buf, len, path, out, diags);
    free(buf);
    return rc;
}
