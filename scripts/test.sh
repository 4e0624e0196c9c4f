#!/usr/bin/env bash
# scripts/test.sh - set everything up and run the whole test suite, as CI does:
#   1. install the Debian packages (scripts/setup.sh)
#   2. check that the tree is clang-formatted
#   3. Release build with warnings as errors (gcc), all tests
#   4. Debug build under ASan+UBSan with recovery off (clang), all tests
#   5. a short libFuzzer smoke run of every fuzz target
# Exit status is 0 only if every step passed. FUZZ_SECONDS (default 10) sets the smoke run.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n=== %s\n' "$*" >&2; }

step "setup"
scripts/setup.sh

step "format check"
scripts/check-format.sh

step "release build (gcc, -Werror) and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCBK_WERROR=ON -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

step "debug build under ASan+UBSan (clang) and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
    -DCBK_WERROR=ON -DCBK_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    CBK_SANITIZED=1 ctest --output-on-failure -j"$jobs")

step "fuzz smoke run"
if [ -x fuzz/smoke.sh ]; then
    FUZZ_SECONDS="${FUZZ_SECONDS:-10}" fuzz/smoke.sh
else
    echo "no fuzz/smoke.sh" >&2
fi

step "all tests passed"
