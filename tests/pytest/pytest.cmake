# tests/pytest/pytest.cmake - the pytest plugin (python/pytest_cbkit) tested with pytester
# (included by tests/CMakeLists.txt; `ctest -L pytest`), run by Debian's Python, whose pytest
# (python3-pytest) and boto3 (python3-boto3) the plugin is made for.
set(CBK_PYTEST_PYTHON /usr/bin/python3)
if(NOT EXISTS ${CBK_PYTEST_PYTHON})
  message(WARNING "tests/pytest: ${CBK_PYTEST_PYTHON} not found: the plugin tests are not registered")
  return()
endif()
execute_process(COMMAND ${CBK_PYTEST_PYTHON} -c "import pytest, boto3"
                RESULT_VARIABLE cbk_pytest_ok OUTPUT_QUIET ERROR_QUIET)
if(NOT cbk_pytest_ok EQUAL 0)
  message(WARNING "tests/pytest: ${CBK_PYTEST_PYTHON} cannot import pytest and boto3: the plugin "
                  "tests are not registered (scripts/setup.sh installs python3-pytest)")
  return()
endif()
add_test(NAME pytest.plugin
         COMMAND ${CBK_PYTEST_PYTHON} -m pytest -v -p no:cacheprovider -rs
                 ${CMAKE_CURRENT_SOURCE_DIR}/pytest
         WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/pytest)
set_tests_properties(pytest.plugin PROPERTIES LABELS pytest TIMEOUT 900
                     ENVIRONMENT "${CBK_TEST_ENV};PYTHONDONTWRITEBYTECODE=1")
