# tests/e2e/e2e.cmake - end-to-end tests of `cbkit mock` with real clients over real sockets
# (included by tests/CMakeLists.txt; `ctest -L e2e`). Each tests/e2e/test_<name>.py becomes test
# `e2e.<name>`, run by Debian's Python (/usr/bin/python3, whose boto3/botocore 1.29 and the AWS
# CLI v2 at /usr/bin/aws are the clients under test). CBKIT in ${CBK_TEST_ENV} names the binary.
set(CBK_E2E_PYTHON /usr/bin/python3)
set(CBK_E2E_DIR ${CMAKE_CURRENT_SOURCE_DIR}/e2e)
# The JS SDK v3 clients (tests/js, installed by `npm ci` there): each tests/js/<name>.mjs becomes
# `e2e.js_<name>`, run by node; it exits 77 (skipped) when the SDK is not installed. A script
# that a Python test drives (tests/e2e/test_js_<name>.py) is that test's, not one of its own.
find_program(CBK_NODE node)
if(CBK_NODE)
  file(GLOB cbk_js_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/js/*.mjs)
  foreach(file ${cbk_js_tests})
    get_filename_component(name ${file} NAME_WE)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/e2e/test_js_${name}.py)
      continue()
    endif()
    add_test(NAME e2e.js_${name} COMMAND ${CBK_NODE} ${file})
    set_tests_properties(e2e.js_${name} PROPERTIES LABELS e2e TIMEOUT 300 SKIP_RETURN_CODE 77
                         ENVIRONMENT "${CBK_TEST_ENV};NODE_NO_WARNINGS=1")
  endforeach()
else()
  message(WARNING "tests/e2e: node not found: the JS SDK tests (tests/js) are not registered")
endif()

if(NOT EXISTS ${CBK_E2E_PYTHON})
  message(WARNING "tests/e2e: ${CBK_E2E_PYTHON} not found: the e2e tests are not registered "
                  "(CI installs python3-boto3 and awscli from Debian)")
  return()
endif()
execute_process(COMMAND ${CBK_E2E_PYTHON} -c "import boto3, botocore"
                RESULT_VARIABLE cbk_e2e_boto3 OUTPUT_QUIET ERROR_QUIET)
if(NOT cbk_e2e_boto3 EQUAL 0)
  message(WARNING "tests/e2e: ${CBK_E2E_PYTHON} cannot import boto3: the e2e tests are not "
                  "registered (CI installs python3-boto3 and awscli from Debian)")
  return()
endif()
if(NOT EXISTS /usr/bin/aws)
  message(WARNING "tests/e2e: /usr/bin/aws not found: the AWS CLI cases will be skipped")
endif()

file(GLOB cbk_e2e_tests CONFIGURE_DEPENDS ${CBK_E2E_DIR}/test_*.py)
foreach(file ${cbk_e2e_tests})
  get_filename_component(module ${file} NAME_WE)
  string(REGEX REPLACE "^test_" "" name ${module})
  add_test(NAME e2e.${name} COMMAND ${CBK_E2E_PYTHON} -m unittest -v ${module}
           WORKING_DIRECTORY ${CBK_E2E_DIR})
  set_tests_properties(e2e.${name} PROPERTIES LABELS e2e TIMEOUT 300
                       ENVIRONMENT "${CBK_TEST_ENV};PYTHONDONTWRITEBYTECODE=1")
endforeach()
# The tests that go through every operation start the CLI hundreds of times (slow under
# ASan+UBSan, on a loaded machine): they get longer.
foreach(name all_operations cli_all_operations js_all_operations)
  if(TEST e2e.${name})
    set_tests_properties(e2e.${name} PROPERTIES TIMEOUT 900)
  endif()
endforeach()
