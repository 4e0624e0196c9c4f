#!/bin/sh
# tests/install/test-install.sh - the installed cbkit, as a user gets it (issue 12 §4; ctest
# install.tree and install.deb, docs/install.md):
#
#   test-install.sh tree   `cmake --install` into a scratch DESTDIR root: the command, libcbkit
#                          static and shared (versioned soname, the public API exported and
#                          nothing else), headers, cbkit.pc, a man page per subcommand, docs;
#                          `cbkit version` runs from there; a C program built with
#                          `pkg-config --cflags --libs cbkit` (PKG_CONFIG_PATH into the root)
#                          validates requests through the public API, linked to the shared
#                          library and, with `pkg-config --static`, to the static one
#   test-install.sh deb    `cpack -G DEB`, the package unpacked into a scratch root with
#                          dpkg-deb -x: its metadata, `cbkit version` and the same program
#
# Environment (ctest sets it): CBK_BINARY_DIR, CBK_SOURCE_DIR, CBK_CC (the C compiler of the
# build), CBK_EXTRA_CFLAGS (the sanitizer flags of the build, if any). A missing tool
# (pkg-config, cpack, dpkg-deb) is a skip (exit 77) with the reason printed.
set -eu

mode=${1:-tree}
bin=${CBK_BINARY_DIR:?set CBK_BINARY_DIR}
src=${CBK_SOURCE_DIR:?set CBK_SOURCE_DIR}
cc=${CBK_CC:-cc}
extra=${CBK_EXTRA_CFLAGS:-}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
skip() {
    echo "SKIP: $*"
    exit 77
}
need() {
    command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed ($2)"
}

need pkg-config "scripts/setup.sh installs pkg-config"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cbk-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

version=$("$bin/cbkit" version | sed -n '1s/^cbkit //p')
[ -n "$version" ] || fail "the built cbkit prints no version"
major=${version%%.*}

# check_root ROOT PREFIX: the installed tree under ROOT/PREFIX
check_root() {
    root=$1
    prefix=$2
    top=$root$prefix
    [ -x "$top/bin/cbkit" ] || fail "no $prefix/bin/cbkit"
    pc=$(find "$top" -name cbkit.pc -path '*/pkgconfig/*' | head -n 1)
    [ -n "$pc" ] || fail "no cbkit.pc under $prefix"
    libdir=$(dirname "$(dirname "$pc")")
    [ -f "$libdir/libcbkit.a" ] || fail "no libcbkit.a in $libdir"
    real=$libdir/libcbkit.so.$version
    [ -f "$real" ] || fail "no libcbkit.so.$version in $libdir"
    [ "$(readlink "$libdir/libcbkit.so.$major")" = "libcbkit.so.$version" ] ||
        fail "libcbkit.so.$major is not a link to libcbkit.so.$version"
    [ -L "$libdir/libcbkit.so" ] || fail "no libcbkit.so development link"
    soname=$(LC_ALL=C readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "libcbkit.so.$major" ] || fail "soname is '$soname', not libcbkit.so.$major"
    # the shared library exports the public API and nothing else
    exported=$(nm -D --defined-only "$real" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }')
    echo "$exported" | grep -qx cbk_validate_op_buffer || fail "cbk_validate_op_buffer not exported"
    echo "$exported" | grep -qx cbk_mock_new || fail "cbk_mock_new not exported"
    leaked=$(echo "$exported" | grep -v '^cbk_[a-z0-9]' || true)
    [ -z "$leaked" ] || fail "internal symbols exported: $(echo "$leaked" | head -n 5 | tr '\n' ' ')"
    for f in $exported; do
        grep -q "$f(" "$top/include/cbkit/"*.h || fail "$f is exported but in no public header"
    done
    for h in "$src"/include/cbkit/*.h; do
        [ -f "$top/include/cbkit/$(basename "$h")" ] || fail "header $(basename "$h") not installed"
    done
    # a man page for the command and for each subcommand
    man=$top/share/man/man1
    [ -f "$man/cbkit.1" ] || fail "no cbkit.1"
    for sub in $("$bin/cbkit" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
        [ -f "$man/cbkit-$sub.1" ] || fail "no man page cbkit-$sub.1"
    done
    [ -f "$top/share/doc/cbkit/README.md" ] || fail "no README.md in share/doc/cbkit"
    [ -f "$top/share/doc/cbkit/mock.md" ] || fail "no mock.md in share/doc/cbkit"
    # the command runs from there
    out=$("$top/bin/cbkit" version) || fail "installed cbkit version failed"
    [ "$(echo "$out" | head -n 1)" = "cbkit $version" ] || fail "cbkit version printed: $out"
    # a program embedding libcbkit, built as its users would build it
    PKG_CONFIG_PATH=$libdir/pkgconfig
    export PKG_CONFIG_PATH
    [ "$(pkg-config --modversion cbkit)" = "$version" ] || fail "pkg-config --modversion cbkit"
    flags=$(pkg-config --cflags --libs cbkit) || fail "pkg-config --cflags --libs cbkit"
    inc=$(pkg-config --variable=includedir cbkit)
    [ "$(cd "$inc" && pwd -P)" = "$(cd "$top/include" && pwd -P)" ] ||
        fail "cbkit.pc's includedir is not the root's: $inc"
    case $flags in
    *"-I$inc "*) ;;
    *) fail "pkg-config --cflags does not name $inc: $flags" ;;
    esac
    # shellcheck disable=SC2086 # flags are words
    "$cc" $extra -o "$tmp/embed" "$src/tests/install/embed.c" $flags ||
        fail "cannot build a program with pkg-config --cflags --libs cbkit"
    check_embed "$tmp/embed" "$libdir" shared
    static=$(pkg-config --static --libs cbkit | sed 's/-lcbkit//')
    # shellcheck disable=SC2086
    "$cc" $extra -o "$tmp/embed-static" "$src/tests/install/embed.c" \
        $(pkg-config --cflags cbkit) "$libdir/libcbkit.a" $static ||
        fail "cannot build a program with libcbkit.a and pkg-config --static --libs cbkit"
    check_embed "$tmp/embed-static" "" static
}

# check_embed PROGRAM LIBDIR KIND: it validates a good and a bad request
check_embed() {
    prog=$1
    if [ -n "$2" ]; then
        LC_ALL=C LD_LIBRARY_PATH=$2 ldd "$prog" | grep -q "libcbkit.so.$major => $2/" ||
            fail "$3 program does not load libcbkit.so.$major from the root"
    else
        if LC_ALL=C ldd "$prog" | grep -q libcbkit; then
            fail "$3 program loads a shared libcbkit"
        fi
    fi
    good=$(LD_LIBRARY_PATH=$2 "$prog" '{"projectName":"app"}') ||
        fail "$3 program: a valid request reported invalid: $good"
    [ "$good" = "cbkit $version: valid, 0 violation(s)" ] || fail "$3 program printed: $good"
    set +e
    bad=$(LD_LIBRARY_PATH=$2 "$prog" '{"projectName":"","buildTimeoutInMinutesOverride":2161}')
    st=$?
    set -e
    [ $st = 1 ] || fail "$3 program: an invalid request exited $st: $bad"
    expected="cbkit $version: invalid, 2 violation(s)
/projectName [length] Member must have length greater than or equal to 1
/buildTimeoutInMinutesOverride [range] Member must have value less than or equal to 2160"
    [ "$bad" = "$expected" ] || fail "$3 program printed:
$bad
expected:
$expected"
    echo "ok: $3 program built with pkg-config validates requests"
}

case $mode in
tree)
    DESTDIR=$tmp/root cmake --install "$bin" >"$tmp/install.log" 2>&1 ||
        fail "cmake --install failed: $(cat "$tmp/install.log")"
    prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$bin/CMakeCache.txt")
    check_root "$tmp/root" "$prefix"
    echo "ok: cmake --install into DESTDIR=$tmp/root ($prefix)"
    ;;
deb)
    need cpack "comes with cmake"
    need dpkg-deb "Debian's dpkg"
    need dpkg-shlibdeps "Debian's dpkg-dev (build-essential)"
    rm -rf "$bin/package"
    (cd "$bin" && cpack -G DEB >"$tmp/cpack.log" 2>&1) || fail "cpack: $(cat "$tmp/cpack.log")"
    deb=$(find "$bin/package" -maxdepth 1 -name 'cbkit_*.deb' | head -n 1)
    [ -n "$deb" ] || fail "cpack made no cbkit_*.deb: $(cat "$tmp/cpack.log")"
    [ "$(dpkg-deb -f "$deb" Package)" = cbkit ] || fail "package name"
    [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version"
    depends=$(dpkg-deb -f "$deb" Depends)
    for lib in libfyaml libjson-c libpcre2-8 libmicrohttpd libcurl libssl; do
        case $depends in
        *"$lib"*) ;;
        *) fail "Depends lacks $lib: $depends" ;;
        esac
    done
    dpkg-deb -x "$deb" "$tmp/deb"
    check_root "$tmp/deb" /usr
    echo "ok: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB), Depends: $depends"
    ;;
*)
    echo "usage: test-install.sh tree|deb" >&2
    exit 2
    ;;
esac
