#!/usr/bin/env bash
# bench/bench_record.sh - what `cbkit record` adds to a request: latency percentiles of the
# same RetryBuild request sent straight to an upstream (a `cbkit mock`) and through the
# recorder (re-signing with SigV4, validating both ways, redacting, appending to a cassette
# on disk with fdatasync), in the same run, rounds alternating. Target (DESIGN.md §8): at
# most 1 ms added at p50. Then the cassette lookup benchmark (flat from 10 to 100,000).
#
# usage: bench/bench_record.sh [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 duration=4 conns=1
while getopts "r:d:c:" o; do
    case $o in
    r) rounds=$OPTARG ;;
    d) duration=$OPTARG ;;
    c) conns=$OPTARG ;;
    *) echo "usage: $0 [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS]" >&2; exit 2 ;;
    esac
done
build=${BUILD_DIR:-build}
cbkit=$build/cbkit
command -v wrk >/dev/null || { echo "bench_record: wrk is missing (scripts/setup.sh installs it)" >&2; exit 2; }
[ -x "$cbkit" ] || { echo "bench_record: no $cbkit; build first" >&2; exit 2; }

# the cassette goes to the disk the project is on, not to a tmpfs
case $build in /*) build_abs=$build ;; *) build_abs=$PWD/$build ;; esac
work=$(mktemp -d "${TMPDIR:-$build_abs}/bench-record.XXXXXX")
up_pid="" rec_pid=""
cleanup() {
    [ -n "$rec_pid" ] && kill "$rec_pid" 2>/dev/null && wait "$rec_pid" 2>/dev/null
    [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
port_of() { for _ in $(seq 100); do grep -q listening "$1" 2>/dev/null && break; sleep 0.05; done; sed -n '1s/.*:\([0-9]*\)$/\1/p' "$1"; }

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1
"$cbkit" mock --port 0 --threads 1 --journal-cap 1000 >"$work/up.out" 2>"$work/up.err" &
up_pid=$!
up=$(port_of "$work/up.out")
"$cbkit" record --port 0 --upstream "http://127.0.0.1:$up" --cassette "$work/c.yaml" \
    >"$work/rec.out" 2>"$work/rec.err" &
rec_pid=$!
rec=$(port_of "$work/rec.out")
[ -n "$up" ] && [ -n "$rec" ] || { echo "bench_record: servers did not start" >&2; exit 1; }

cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"id":"proj:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60"}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "CodeBuild_20161006.RetryBuild"
wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/codebuild/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000"
wrk.headers["X-Amz-Date"] = "20261121T000000Z"
EOF
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}'; }
measure() {
    local out p50 p99 rps
    out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/")
    p50=$(echo "$out" | awk '$1=="50%" {print $2}' | to_ms)
    p99=$(echo "$out" | awk '$1=="99%" {print $2}' | to_ms)
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    echo "$p50 $p99 $rps"
}

echo "cbkit record overhead: wrk -t1 -c$conns -d${duration}s, $rounds rounds alternating; cassette on $(df --output=fstype "$work" | tail -1) at $work"
printf "%-6s %12s %12s %14s %14s %12s\n" round "direct p50" "direct p99" "recorder p50" "recorder p99" "added p50"
: >"$work/res"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then d=$(measure "$up"); t=$(measure "$rec"); else t=$(measure "$rec"); d=$(measure "$up"); fi
    set -- $d; d50=$1 d99=$2
    set -- $t; t50=$1 t99=$2
    add=$(awk -v a="$t50" -v b="$d50" 'BEGIN {printf "%.3f", a-b}')
    printf "%-6s %12s %12s %14s %14s %12s\n" "$r" "$d50" "$d99" "$t50" "$t99" "$add"
    echo "$d50 $d99 $t50 $t99 $add" >>"$work/res"
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "medians (ms): direct p50 $(awk '{print $1}' "$work/res" | median), p99 $(awk '{print $2}' "$work/res" | median);" \
    "through the recorder p50 $(awk '{print $3}' "$work/res" | median), p99 $(awk '{print $4}' "$work/res" | median)"
echo "added at p50: $(awk '{print $5}' "$work/res" | median) ms   [target <= 1 ms]"
echo "exchanges recorded: $(grep -c '^exchange:' "$work/c.yaml")"
echo
"$build/bench/bench_cassette" 20000 7
