/*
 * cbkit/scenario.h - scenario files (docs/scenarios.md): rules that make the mock misbehave
 * deterministically (AWS errors, transport faults, latency) and the builds that exist.
 *
 * A scenario is compiled against the specs a mock serves (operations are resolved, canned
 * success bodies validated) and the behaviours it has (which own keys such as CodeBuild's
 * projects and builds), then handed to a mock, which owns it from then on.
 */
#ifndef CBKIT_SCENARIO_H
#define CBKIT_SCENARIO_H

#include <stddef.h>

#include "cbkit/error.h"
#include "cbkit/mock.h"
#include "cbkit/service.h"
#include "cbkit/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cbk_scenario;

/*
 * What a scenario is compiled against: the specs whose operations its rules name (at least
 * one) and the behaviours whose keys it may hold. Everything is borrowed and must outlive the
 * scenario.
 */
struct cbk_scenario_env {
    const struct cbk_spec *const *specs;
    size_t nspecs;
    const struct cbk_service *const *services;
    size_t nservices;
};

/*
 * Load and check the scenario in buf[0..len) (named 'file' in diagnostics) against 'env'. On
 * success returns CBK_OK and sets *out (free with cbk_scenario_free(), or give it to a mock).
 * On failure *out is NULL, the result is CBK_E_SCENARIO (or CBK_E_LIMIT) and every problem is
 * in 'diags' with its line and column.
 */
enum cbk_code cbk_scenario_load_buffer(const struct cbk_scenario_env *env, const char *buf,
                                       size_t len, const char *file, struct cbk_scenario **out,
                                       struct cbk_diags *diags);
/* The same for a file; an unreadable file is CBK_E_IO with the reason. */
enum cbk_code cbk_scenario_load_file(const struct cbk_scenario_env *env, const char *path,
                                     struct cbk_scenario **out, struct cbk_diags *diags);
/* The environment scenarios for mock 'm' are compiled against (valid while 'm' lives). */
void cbk_mock_scenario_env(const struct cbk_mock *m, struct cbk_scenario_env *out);
void cbk_scenario_free(struct cbk_scenario *s);
/* The scenario's name (its 'scenario' key). Borrowed. */
const char *cbk_scenario_name(const struct cbk_scenario *s);
size_t cbk_scenario_rule_count(const struct cbk_scenario *s);

/*
 * Give 's' to the mock (which owns it from now on, also on failure): its builds and world are
 * applied and its rules take part in answering, after those of scenarios loaded before. A
 * scenario with the name of a loaded one replaces it. Returns CBK_OK, or CBK_E_SCENARIO with
 * the reason in 'diags' (e.g. a seeded build the mock's world cannot hold).
 */
enum cbk_code cbk_mock_add_scenario_take(struct cbk_mock *m, struct cbk_scenario *s,
                                         struct cbk_diags *diags);
/* Unload the scenario named 'name'; CBK_E_NOT_FOUND if there is none. */
enum cbk_code cbk_mock_remove_scenario(struct cbk_mock *m, const char *name);
/* Put every loaded scenario back in its initial state with zero counts. */
void cbk_mock_reset_scenarios(struct cbk_mock *m);

#ifdef __cplusplus
}
#endif
#endif
