# tests/cli/cli.cmake - golden CLI tests (included by tests/CMakeLists.txt; `ctest -L cli`).
#
#  - cli.<name>: one test per case directory tests/cli/cases/<name>/ (see tests/cli/run-case.sh
#    for the format). Regenerate expectations with `CBK_UPDATE_GOLDEN=1 ctest -L cli`, then
#    read every changed file: a golden file must encode the right output, not just today's.
#  - cli.h.<cmd> and cli.help.<cmd>: for every subcommand in the table of cli/main.c,
#    `cbkit <cmd> -h` and `cbkit help <cmd>` exit 0 with usage on stdout and nothing on
#    stderr (git's t0012-help.sh).
find_program(CBK_SH NAMES sh)
if(NOT CBK_SH)
  message(WARNING "no POSIX sh found: the golden CLI tests are not registered")
  return()
endif()
set(CBK_CLI_DIR ${CMAKE_CURRENT_SOURCE_DIR}/cli)

file(GLOB cbk_cli_cases LIST_DIRECTORIES true CONFIGURE_DEPENDS ${CBK_CLI_DIR}/cases/*)
foreach(dir ${cbk_cli_cases})
  if(IS_DIRECTORY ${dir} AND EXISTS ${dir}/cmd)
    get_filename_component(name ${dir} NAME)
    add_test(NAME cli.${name} COMMAND ${CBK_SH} ${CBK_CLI_DIR}/run-case.sh ${dir})
    set_tests_properties(cli.${name} PROPERTIES LABELS cli ENVIRONMENT "${CBK_TEST_ENV}"
                         TIMEOUT 60)
  endif()
endforeach()

# The subcommands, read from the dispatch table (rows like {"spec", cmd_spec, "..."},).
file(STRINGS ${PROJECT_SOURCE_DIR}/cli/main.c cbk_cli_rows
     REGEX "^[ \t]*{\"[a-z][a-z0-9-]*\",[ \t]*cmd_[a-z0-9_]+,")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/cli/main.c)
set(cbk_cli_cmds "")
foreach(row ${cbk_cli_rows})
  string(REGEX REPLACE "^[ \t]*{\"([a-z][a-z0-9-]*)\".*" "\\1" cmd "${row}")
  list(APPEND cbk_cli_cmds ${cmd})
endforeach()
if(NOT cbk_cli_cmds)
  message(WARNING "tests/cli/cli.cmake: no subcommands found in cli/main.c")
endif()
foreach(cmd ${cbk_cli_cmds})
  add_test(NAME cli.h.${cmd} COMMAND ${CBK_SH} ${CBK_CLI_DIR}/run-case.sh --help-check ${cmd} -h)
  add_test(NAME cli.help.${cmd}
           COMMAND ${CBK_SH} ${CBK_CLI_DIR}/run-case.sh --help-check help ${cmd})
  set_tests_properties(cli.h.${cmd} cli.help.${cmd} PROPERTIES LABELS cli
                       ENVIRONMENT "${CBK_TEST_ENV}" TIMEOUT 60)
endforeach()

# cli.no-libcurl-at-start: libcurl and libcrypto are loaded on first use, never linked
# (tests/cli/needed.cmake).
if(CMAKE_OBJDUMP)
  add_test(NAME cli.no-libcurl-at-start
           COMMAND ${CMAKE_COMMAND} -DCBKIT=${PROJECT_BINARY_DIR}/cbkit -DOBJDUMP=${CMAKE_OBJDUMP}
                   -P ${CBK_CLI_DIR}/needed.cmake)
  set_tests_properties(cli.no-libcurl-at-start PROPERTIES LABELS cli TIMEOUT 60)
endif()
