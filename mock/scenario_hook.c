/*
 * scenario_hook.c - placeholder until the scenario engine lands: no scenario ever answers.
 */
#include "core/setup.h"
#include "mock/scenario_hook.h"

bool cbk__scenario_answer(struct cbk_mock *m, struct cbk_rng *rng, const struct cbk_operation *op,
                          const struct cbk_http_req *req, const char *body, size_t blen, bool valid,
                          struct json_object **doc, struct cbk_http_answer *ans,
                          struct cbk_arena *a, struct cbk_jentry *e)
{
    CBK_UNUSED(m);
    CBK_UNUSED(rng);
    CBK_UNUSED(op);
    CBK_UNUSED(req);
    CBK_UNUSED(body);
    CBK_UNUSED(blen);
    CBK_UNUSED(valid);
    CBK_UNUSED(doc);
    CBK_UNUSED(ans);
    CBK_UNUSED(a);
    CBK_UNUSED(e);
    return false;
}

void cbk__scenario_detach_all(struct cbk_mock *m)
{
    CBK_UNUSED(m);
}

void cbk__scenario_reset_state(struct cbk_mock *m)
{
    CBK_UNUSED(m);
}

bool cbk__scenario_admin(struct cbk_mock *m, const char *route, const struct cbk_http_req *req,
                         struct cbk_http_answer *ans, struct cbk_arena *a)
{
    CBK_UNUSED(m);
    CBK_UNUSED(route);
    CBK_UNUSED(req);
    CBK_UNUSED(ans);
    CBK_UNUSED(a);
    return false;
}
