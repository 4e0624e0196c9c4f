# cmake/install.cmake - what `cmake --install` puts where, and the Debian package CPack makes
# of it (included by the top-level CMakeLists.txt; docs/install.md):
#
#   bin/cbkit                           the command (libcbkit linked in statically)
#   lib/<multiarch>/libcbkit.a          the static library
#   lib/<multiarch>/libcbkit.so.0.1.0   the shared library, soname libcbkit.so.0, + dev symlink
#   lib/<multiarch>/pkgconfig/cbkit.pc  for `pkg-config --cflags --libs cbkit`
#   include/cbkit/*.h                   the public headers
#   share/man/man1/cbkit*.1             man pages of the command and each subcommand (man/)
#   share/doc/cbkit/                    README.md and docs/*.md
#
# `cpack -G DEB` (in the build directory) makes cbkit_VERSION_ARCH.deb with the dependencies
# dpkg-shlibdeps finds.

install(TARGETS cbkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS cbkit_lib ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(CBK_SHARED)
  install(TARGETS cbkit_shared
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Unspecified)
endif()
install(FILES ${CBK_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cbkit)

# pkg-config: the shared library by default; --static adds what libcbkit.a needs
file(RELATIVE_PATH CBK_PC_UP ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" CBK_PC_UP "${CBK_PC_UP}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/cbkit.pc.in ${PROJECT_BINARY_DIR}/cbkit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cbkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

file(GLOB CBK_MAN_PAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.1)
install(FILES ${CBK_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

file(GLOB CBK_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${CBK_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# --- the Debian package ---------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "cbkit")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "cbkit maintainers <cbkit@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "cbkit validates requests against the AWS CodeBuild API contract, serves a mock endpoint
with faults, scenarios and a journal, records and replays real traffic. The package holds
the cbkit command, libcbkit (static and shared), its headers, pkg-config file and manuals.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${PROJECT_HOMEPAGE_URL}")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# libcurl and libcrypto are loaded with dlopen() (core/curl.h, core/crypto.h), so shlibdeps
# cannot see them: the packages that hold the sonames cbkit loads are named here (asked of
# dpkg; Debian's names when dpkg does not know the file).
set(CBK_DLOPEN_DEPENDS "")
foreach(pair "${CBK_CURL_SONAME_USED}|libcurl4" "${CBK_CRYPTO_SONAME_USED}|libssl3")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 soname)
  list(GET pair 1 fallback)
  unset(_cbk_dl_path CACHE)
  find_library(_cbk_dl_path NAMES ${soname})
  set(pkg ${fallback})
  if(_cbk_dl_path)
    get_filename_component(_cbk_dl_real ${_cbk_dl_path} REALPATH)
    execute_process(COMMAND dpkg -S ${_cbk_dl_real} OUTPUT_VARIABLE out ERROR_QUIET
                    RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0 AND out MATCHES "^([^:, ]+)")
      set(pkg ${CMAKE_MATCH_1})
    endif()
  endif()
  unset(_cbk_dl_path CACHE)
  list(APPEND CBK_DLOPEN_DEPENDS ${pkg})
endforeach()
list(JOIN CBK_DLOPEN_DEPENDS ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
include(CPack)
