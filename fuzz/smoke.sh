#!/bin/sh
# fuzz/smoke.sh - build the libFuzzer targets (if not built) and run each for a while.
#
#   fuzz/smoke.sh                      every target, 60 s each
#   FUZZ_SECONDS=10 fuzz/smoke.sh      CI: a short run
#   fuzz/smoke.sh fuzz_validate        one target
#
# Each target first replays its seed corpus fuzz/corpus/<target>/ (which holds the regression
# inputs of every bug the fuzzers found), then fuzzes with fuzz/<target>.dict. New inputs go
# to $FUZZ_BUILD_DIR/fuzz/corpus-<target>/ (kept between runs), crash inputs to
# $FUZZ_BUILD_DIR/fuzz/artifacts/. The script fails if any target crashes, leaks, hits
# undefined behaviour, times out or runs out of memory.
#
# Environment: FUZZ_SECONDS (default 60), FUZZ_BUILD_DIR (default build-fuzz at the top of
# the checkout), CC (default clang), FUZZ_ARGS (extra libFuzzer flags).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
targets=${*:-fuzz_spec_load fuzz_validate fuzz_yaml fuzz_cassette fuzz_scenario fuzz_mock_request fuzz_model_import}

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCBK_FUZZ=ON -DCMAKE_C_COMPILER="${CC:-clang}" \
        -DCBK_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
# shellcheck disable=SC2086 # word splitting of the target list is intended
cmake --build "$build" --target $targets -j2

# Inputs larger than this are not useful: specs a few KiB, documents, cassettes and scenarios
# less, a few requests (a scenario in an admin body among them) as much; models more (a slice
# of the CodeBuild model is in the seeds).
max_len() {
    case $1 in
    fuzz_spec_load) echo 16384 ;;
    fuzz_yaml) echo 8192 ;;
    fuzz_cassette) echo 8192 ;;
    fuzz_scenario) echo 8192 ;;
    fuzz_mock_request) echo 8192 ;;
    fuzz_model_import) echo 32768 ;;
    *) echo 4096 ;;
    esac
}

# Leaks inside third-party libraries we cannot fix are listed in fuzz/lsan.supp.
LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS UBSAN_OPTIONS

status=0
artifacts=$build/fuzz/artifacts
mkdir -p "$artifacts"
for t in $targets; do
    work=$build/fuzz/corpus-$t
    mkdir -p "$work"
    dict=
    [ -f "$here/$t.dict" ] && dict=-dict=$here/$t.dict
    echo "== $t: ${seconds}s"
    # shellcheck disable=SC2086 # FUZZ_ARGS may hold several flags
    if ! "$build/fuzz/$t" $dict -max_len="$(max_len "$t")" -max_total_time="$seconds" \
        -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$t-" ${FUZZ_ARGS:-} "$work" "$here/corpus/$t"; then
        echo "== $t: FAILED (the input is in $artifacts/)" >&2
        status=1
    fi
done
exit $status
