#!/usr/bin/env bash
# bench/bench_start.sh - what a cbkit start costs, each figure against a baseline measured in
# the same run with the runs interleaved (bench/first_answer.c, bench/bench_spec.c):
#   1. `cbkit mock` from exec to its first answer (a RetryBuild request) against nginx from
#      exec to its first answer (target, issue 10 section 7: at most 1.5x);
#   2. `cbkit validate --op RetryBuild --request FILE` on a small file, exec to exit, against
#      `cat FILE` (reported as a multiple; it should stay interactive);
#   3. getting the bundled spec: loading its build-time image, compiling its YAML, reading the
#      YAML alone, warm and in fresh processes (bench_spec).
# The whole run takes about half a minute; bench_mock.sh measures 1. too, beside throughput.
#
# usage: bench/bench_start.sh [-n RUNS]        (default 31)   Environment: BUILD_DIR (build)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=31
while getopts "n:" o; do
    case $o in
    n) runs=$OPTARG ;;
    *) echo "usage: $0 [-n RUNS]" >&2; exit 2 ;;
    esac
done
build=${BUILD_DIR:-build}
cbkit=$build/cbkit
command -v nginx >/dev/null || { echo "bench_start: nginx is missing (scripts/setup.sh installs it)" >&2; exit 2; }
for b in "$cbkit" "$build/bench/first_answer" "$build/bench/bench_spec"; do
    [ -x "$b" ] || { echo "bench_start: no $b; build first (cmake --build $build)" >&2; exit 2; }
done
. bench/nginx_conf.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== 1. start to first answer: cbkit mock against nginx ($runs starts each, interleaved)"
printf '{"build":{"id":"proj:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60"}}' >"$work/answer.json"
port=$(free_port)
nginx_conf "$work/nginx" "$port" 1 "$work/answer.json"
"$build/bench/first_answer" -n "$runs" --nginx "$(command -v nginx)" "$work/nginx/nginx.conf" "$port" \
    "$cbkit"
echo "   target: ratio <= 1.5x"

echo
echo "== 2. cbkit validate on one small file against cat on the same file ($runs runs each)"
printf '{"id":"proj:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60"}\n' >"$work/small.json"
"$build/bench/first_answer" -n "$runs" --exit "$work/small.json" \
    "$cbkit" validate --op RetryBuild --request -- cat

echo
echo "== 3. the bundled spec: build-time image, YAML compile, YAML read"
"$build/bench/bench_spec" -n 40 -c "$runs"
echo
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min); $(nproc) CPUs"
