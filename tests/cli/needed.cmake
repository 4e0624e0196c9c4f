# tests/cli/needed.cmake - the cbkit executable does not load libcurl or libcrypto when it
# starts: libcurl (and the twenty libraries it brings) is loaded by core/curl.c when a command
# first sends a request, libcrypto by core/crypto.c when SigV4 or the admin token needs it
# (docs/internals.md, "Start-up"). Fails when a NEEDED entry names either, e.g. after something
# links CURL::libcurl or libcrypto again or calls one of their functions directly.
#   cmake -DCBKIT=path/to/cbkit -DOBJDUMP=objdump -P needed.cmake
execute_process(COMMAND ${OBJDUMP} -p ${CBKIT} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} -p ${CBKIT} failed (${rc})")
endif()
string(REGEX MATCHALL "NEEDED +[^\n]+" needed "${out}")
if(NOT needed)
  message(FATAL_ERROR "no NEEDED entries in ${CBKIT}: is it dynamically linked?")
endif()
message(STATUS "${needed}")
foreach(n ${needed})
  if(n MATCHES "libcurl|libcrypto|libssl")
    message(FATAL_ERROR "${CBKIT} links it at start: ${n}")
  endif()
endforeach()
