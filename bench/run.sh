#!/bin/sh
# bench/run.sh - build cbkit in Release and run the validation benchmark.
#
#   bench/run.sh [bench_validate options...]     e.g. bench/run.sh --rounds 21 --check
#
# BUILD_DIR (default: build-bench, next to the sources) is configured with
# CMAKE_BUILD_TYPE=Release and without the tests, so that the shared build/ directory keeps
# whatever configuration it has.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
jobs=${JOBS:-2}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCBK_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target bench_validate -j "$jobs" >/dev/null
exec "$build/bench/bench_validate" "$@"
