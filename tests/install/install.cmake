# tests/install/install.cmake - the installed package (included by tests/CMakeLists.txt;
# `ctest -L install`): install.tree (`cmake --install` into a scratch DESTDIR root) and
# install.deb (`cpack -G DEB`, unpacked with dpkg-deb -x); see test-install.sh. Both build a
# C program against the installed libcbkit with pkg-config. Exit 77 is a skip (a tool is
# missing), with the reason printed.
set(cbk_install_cflags "")
if(CBK_SANITIZE)
  set(cbk_install_cflags "-fsanitize=${CBK_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all")
endif()
add_test(NAME install.man COMMAND ${CBK_SH} ${CMAKE_CURRENT_SOURCE_DIR}/install/test-man.sh)
set_tests_properties(install.man PROPERTIES LABELS install TIMEOUT 120 SKIP_RETURN_CODE 77
                     ENVIRONMENT "${CBK_TEST_ENV}")
# The container image's root file system, built and run under chroot (no engine needed)
add_test(NAME install.rootfs COMMAND ${CBK_SH} ${CMAKE_CURRENT_SOURCE_DIR}/install/test-rootfs.sh)
set_tests_properties(install.rootfs PROPERTIES LABELS install TIMEOUT 120 SKIP_RETURN_CODE 77
                     ENVIRONMENT "${CBK_TEST_ENV}")

if(NOT CBK_SHARED)
  message(STATUS "tests/install: CBK_SHARED is OFF: the install tests are not registered")
  return()
endif()
foreach(mode tree deb)
  add_test(NAME install.${mode}
           COMMAND ${CBK_SH} ${CMAKE_CURRENT_SOURCE_DIR}/install/test-install.sh ${mode})
  set_tests_properties(install.${mode} PROPERTIES
    LABELS install TIMEOUT 600 SKIP_RETURN_CODE 77 RESOURCE_LOCK cbk_install
    ENVIRONMENT "${CBK_TEST_ENV};CBK_CC=${CMAKE_C_COMPILER};CBK_EXTRA_CFLAGS=${cbk_install_cflags}")
endforeach()
