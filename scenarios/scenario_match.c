/*
 * scenario_match.c - scenario matchers and schedules as pure functions of their inputs (no
 * mock, no sockets), so that they are unit-tested on their own.
 */
#include "core/setup.h"
#include "core/regex.h"
#include "scenarios/scenario_model.h"
#include "core/alloc.h"
#include "core/jsonq.h"

#include <json-c/json.h>
#include <math.h>

/* A decided matcher's answer as a tri-state result. */
static enum cbk_re_result bool_result(bool b)
{
    return b ? CBK_RE_MATCH : CBK_RE_NOMATCH;
}

enum cbk_re_result cbk__scen_body_matches(const struct cbk_body_matcher *bm,
                                          struct json_object *doc, char *why, size_t whylen)
{
    struct json_object *v = NULL;
    bool found = doc && cbk_jsonq_get(doc, bm->pointer, &v);
    bool present = found && v != NULL; /* null counts as absent */
    switch (bm->kind) {
    case CBK_M_ABSENT:
        return bool_result(!present);
    case CBK_M_PRESENT:
        return bool_result(present);
    case CBK_M_EQUALS:
        return bool_result(found && cbk_jsonq_equal(v, bm->value));
    case CBK_M_PARTIAL:
        return bool_result(present && cbk_jsonq_partial(v, bm->value));
    case CBK_M_REGEX:
        if (!present || !json_object_is_type(v, json_type_string))
            return CBK_RE_NOMATCH;
        return cbk_regex_match(bm->re, json_object_get_string(v),
                               (size_t)json_object_get_string_len(v), why, whylen);
    case CBK_M_CONTAINS:
        if (!present || !json_object_is_type(v, json_type_array))
            return CBK_RE_NOMATCH;
        for (size_t i = 0; i < json_object_array_length(v); i++)
            if (cbk_jsonq_partial(json_object_array_get_idx(v, i), bm->value))
                return CBK_RE_MATCH;
        return CBK_RE_NOMATCH;
    }
    return CBK_RE_NOMATCH;
}

enum cbk_re_result cbk__scen_header_matches(const struct cbk_header_matcher *hm, const char *value,
                                            char *why, size_t whylen)
{
    switch (hm->kind) {
    case CBK_M_ABSENT:
        return bool_result(value == NULL);
    case CBK_M_PRESENT:
        return bool_result(value != NULL);
    case CBK_M_EQUALS:
        return bool_result(value && strcmp(value, hm->value) == 0);
    case CBK_M_REGEX:
        if (!value)
            return CBK_RE_NOMATCH;
        return cbk_regex_match(hm->re, value, strlen(value), why, whylen);
    default:
        return CBK_RE_NOMATCH;
    }
}

bool cbk__scen_schedule_fires(const struct cbk_schedule *s, uint64_t count, double draw)
{
    if (s->first && count > s->first)
        return false;
    if (s->after && count <= s->after)
        return false;
    if (s->every && count % s->every != 0)
        return false;
    if (s->nnth) {
        bool hit = false;
        for (size_t i = 0; i < s->nnth; i++)
            if (s->nth[i] == count)
                hit = true;
        if (!hit)
            return false;
    }
    if (s->has_probability && !(draw < s->probability))
        return false;
    return true;
}

unsigned cbk__scen_latency_ms(const struct cbk_latency *l, struct cbk_rng *rng)
{
    double ms = 0;
    switch (l->kind) {
    case CBK_LAT_NONE:
        return 0;
    case CBK_LAT_FIXED:
        ms = l->a;
        break;
    case CBK_LAT_UNIFORM:
        ms = l->a + (l->b - l->a) * cbk_rng_double(rng);
        break;
    case CBK_LAT_LOGNORMAL:
        ms = l->a * exp(l->b * cbk_rng_normal(rng));
        if (l->c > 0 && ms > l->c)
            ms = l->c;
        break;
    }
    if (ms < 0)
        ms = 0;
    if (ms > 600000)
        ms = 600000;
    return (unsigned)(ms + 0.5);
}

void cbk__scen_reset(struct cbk_scenario *s, uint64_t mock_seed)
{
    free(s->state);
    s->state = cbk_xstrdup(s->initial_state);
    s->run_seed = s->has_seed ? s->seed : mock_seed;
    for (size_t i = 0; i < s->nrules; i++) {
        struct cbk_scen_rule *r = &s->rules[i];
        r->matched = 0;
        r->fired = 0;
        uint64_t base = cbk_mix64(s->run_seed ^ cbk_mix64(i + 1));
        cbk_rng_seed(&r->prob_rng, base);
        cbk_rng_seed(&r->lat_rng, cbk_mix64(base ^ 0x1a7e9c));
    }
}
