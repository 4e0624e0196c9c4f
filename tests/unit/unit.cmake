# tests/unit - CMocka unit tests of the foundation (core helpers, JSON scanner, YAML layer,
# spec compiler, validator). Each test_<module>.c becomes test `unit.<module>` (label unit).
cbk_unit_test(core)
cbk_unit_test(jsonscan)
cbk_unit_test(yaml)
cbk_unit_test(spec)
# `cbkit spec import` and `cbkit spec diff` (spec/spec_import.c, spec_diff.c)
cbk_unit_test(spec_tools)
cbk_unit_test(validate)
# The mock pipeline without sockets, and cbk_wire_parse_error against the botocore vectors
cbk_unit_test(mock_route)
cbk_unit_test(wire)
cbk_unit_test(sigv4)
# Scenarios: matchers, schedules, latency, the loader's located errors, the run-time
cbk_unit_test(scenario)
# Large inputs whose cost must grow linearly (250,000 rule names): the same executable, alone,
# under a TIMEOUT the quadratic code exceeds (see many_rule_names in test_scenario.c)
add_test(NAME unit.scenario_scale COMMAND test_scenario scale)
set_tests_properties(unit.scenario_scale PROPERTIES LABELS unit ENVIRONMENT "${CBK_TEST_ENV}"
                     TIMEOUT 60)
# Cassettes (writer, loader, index, cut and damaged files) and the recorder's redaction
cbk_unit_test(cassette)
cbk_unit_test(redact)
cbk_unit_test(replay)
# The CodeBuild service: a build's lifecycle as a function of its plan and the clock
cbk_unit_test(cb_lifecycle)
# One account's CodeBuild world without sockets: builds that move with the clock, outcome rules,
# the admin outcome route, stops, the state cap and paging
cbk_unit_test(cb_store)
