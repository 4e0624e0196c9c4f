# tests/spec - the bundled spec: it is what `cbkit spec import` makes of the model copy and the
# overlay in spec/codebuild/ (spec.regenerate, needs only the repository), and it agrees with
# the real AWS models in ../shared/models (spec.crosscheck).
find_program(CBK_SH NAMES sh)
add_test(NAME spec.regenerate COMMAND ${CBK_SH} ${PROJECT_SOURCE_DIR}/scripts/regen-spec.sh --check)
set_tests_properties(spec.regenerate PROPERTIES LABELS spec ENVIRONMENT "${CBK_TEST_ENV}" TIMEOUT 60)

find_program(CBK_DEBIAN_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(CBK_DEBIAN_PYTHON AND EXISTS ${CBK_SHARED_DIR}/models)
  add_test(NAME spec.crosscheck
           COMMAND ${CBK_DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/spec/crosscheck.py
                   ${PROJECT_SOURCE_DIR}/spec/codebuild/2016-10-06.yaml
                   ${CBK_SHARED_DIR}/models)
  set_tests_properties(spec.crosscheck PROPERTIES LABELS spec TIMEOUT 60)
endif()

# Documented examples are golden files (docs/spec-diff.md shows the expected output of the golden
# CLI case cli.spec-diff-models).
add_test(NAME spec.doc-examples COMMAND ${CBK_SH} ${CMAKE_CURRENT_SOURCE_DIR}/spec/doc-examples.sh)
set_tests_properties(spec.doc-examples PROPERTIES LABELS spec TIMEOUT 60)
