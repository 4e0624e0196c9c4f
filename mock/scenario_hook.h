/*
 * scenario_hook.h - where the mock asks the loaded scenarios for an answer. Implemented by the
 * scenario engine (scenarios/scenario_run.c); the mock calls it after validation and before
 * its own answer.
 */
#ifndef CBK_SCENARIO_HOOK_H
#define CBK_SCENARIO_HOOK_H

#include "core/setup.h"
#include "core/arena.h"
#include "cbkit/mock.h"
#include "mock/journal.h"

struct json_object;

enum cbk_scen_outcome {
    CBK_SCEN_NONE,     /* no rule fired: the mock answers as usual */
    CBK_SCEN_ANSWERED, /* a rule answered: 'ans' is complete */
    CBK_SCEN_CONTINUE, /* a rule fired but keeps the mock's answer (latency, dribble, ...) */
};

/*
 * Let the scenarios answer 'req' (operation 'op', body text body[0..blen), valid or not).
 * When a rule fires, 'ans' gets its answer or its delivery (delay, fault), the journal entry
 * 'e' its fault, and *label "scenario NAME/RULE" (arena). *doc may be set to the parsed body
 * (the caller puts it).
 */
enum cbk_scen_outcome cbk__scenario_answer(struct cbk_mock *m, const struct cbk_operation *op,
                                           const struct cbk_http_req *req, const char *body,
                                           size_t blen, bool valid, struct json_object **doc,
                                           struct cbk_http_answer *ans, struct cbk_arena *a,
                                           struct cbk_jentry *e, const char **label);
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
