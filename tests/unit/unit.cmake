# tests/unit - CMocka unit tests of the foundation (core helpers, JSON scanner, YAML layer,
# spec compiler, validator). Each test_<module>.c becomes test `unit.<module>` (label unit).
cbk_unit_test(core)
cbk_unit_test(jsonscan)
cbk_unit_test(yaml)
cbk_unit_test(spec)
# The bundled spec's build-time image (spec/spec_image.c) against its YAML, field by field
cbk_unit_test(spec_image)
# `cbkit spec import` and `cbkit spec diff` (spec/spec_import.c, spec_diff.c)
cbk_unit_test(spec_tools)
cbk_unit_test(validate)
# The mock pipeline without sockets, and cbk_wire_parse_error against the botocore vectors
cbk_unit_test(mock_route)
cbk_unit_test(wire)
cbk_unit_test(sigv4)
# Scenarios: matchers, schedules, latency, the loader's located errors, the run-time
cbk_unit_test(scenario)
# Cassettes (writer, loader, index, cut and damaged files) and the recorder's redaction
cbk_unit_test(cassette)
cbk_unit_test(redact)
cbk_unit_test(replay)
# The CodeBuild service: a build's lifecycle as a function of its plan and the clock
cbk_unit_test(cb_lifecycle)
# Build logs: a build's log stream from its plan and the clock; CloudWatch Logs' tokens, filter
# patterns and event order (services/codebuild/build_log.c, services/logs/events.c)
cbk_unit_test(logs)
# One account's CodeBuild world without sockets: builds that move with the clock, outcome rules,
# the admin outcome route, stops, the state cap and paging, build logs through the logs_read hook
cbk_unit_test(cb_store)
