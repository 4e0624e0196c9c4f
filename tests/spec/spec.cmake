# Cross-check the bundled spec against the real AWS models in ../shared/models.
find_program(CBK_DEBIAN_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(CBK_DEBIAN_PYTHON AND EXISTS ${CBK_SHARED_DIR}/models)
  add_test(NAME spec.crosscheck
           COMMAND ${CBK_DEBIAN_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/spec/crosscheck.py
                   ${PROJECT_SOURCE_DIR}/spec/codebuild/2016-10-06.yaml
                   ${CBK_SHARED_DIR}/models)
  set_tests_properties(spec.crosscheck PROPERTIES LABELS spec TIMEOUT 60)
endif()
