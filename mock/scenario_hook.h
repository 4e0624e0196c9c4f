/*
 * scenario_hook.h - where the mock asks the loaded scenarios for an answer. Implemented by the
 * scenario engine (scenarios/); the mock calls it after validation and before its own answer.
 */
#ifndef CBK_SCENARIO_HOOK_H
#define CBK_SCENARIO_HOOK_H

#include "core/setup.h"
#include "core/arena.h"
#include "core/rand.h"
#include "cbkit/mock.h"
#include "mock/journal.h"

struct json_object;

/*
 * Let the scenarios answer 'req' (operation 'op', body text body[0..blen), valid or not). On
 * a match returns true with 'ans' filled and the journal entry 'e' told which rule and fault
 * answered. *doc may be set to the parsed body (the caller puts it).
 */
bool cbk__scenario_answer(struct cbk_mock *m, struct cbk_rng *rng, const struct cbk_operation *op,
                          const struct cbk_http_req *req, const char *body, size_t blen, bool valid,
                          struct json_object **doc, struct cbk_http_answer *ans,
                          struct cbk_arena *a, struct cbk_jentry *e);
/* Unload every scenario (at free). */
void cbk__scenario_detach_all(struct cbk_mock *m);
/* Reset every scenario's state and counters (admin reset). */
void cbk__scenario_reset_state(struct cbk_mock *m);
/*
 * Admin routes of the scenarios ("scenarios", "scenarios/NAME/state", ...): returns false
 * when 'route' is not one of them.
 */
bool cbk__scenario_admin(struct cbk_mock *m, const char *route, const struct cbk_http_req *req,
                         struct cbk_http_answer *ans, struct cbk_arena *a);

#endif
