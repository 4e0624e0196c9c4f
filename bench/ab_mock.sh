#!/usr/bin/env bash
# bench/ab_mock.sh - two builds of cbkit mock against each other: both run at once, short wrk
# runs alternate between them (the order flips every round), and the median of the per-round
# ratios B/A is printed. Slow drifts of a shared machine hit both alike, which bench_mock.sh's
# longer rounds against nginx cannot promise; use this to decide whether a change is faster.
#
# usage: bench/ab_mock.sh CBKIT_A CBKIT_B [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS]
# Both mocks run with --threads 1 on 127.0.0.1, with the same RetryBuild request as bench_mock.sh.
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 CBKIT_A CBKIT_B [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS]" >&2; exit 2; }
a_bin=$1 b_bin=$2
shift 2
rounds=16 duration=3 conns=32
while getopts "r:d:c:" o; do
    case $o in
    r) rounds=$OPTARG ;;
    d) duration=$OPTARG ;;
    c) conns=$OPTARG ;;
    *) echo "usage: $0 CBKIT_A CBKIT_B [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS]" >&2; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "ab_mock: wrk is missing (scripts/setup.sh installs it)" >&2; exit 2; }
for b in "$a_bin" "$b_bin"; do
    [ -x "$b" ] || { echo "ab_mock: $b is not an executable" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# start_mock NAME BINARY: starts it on a free port, sets $port (not in a subshell: the PID must
# reach $pids for the cleanup)
start_mock() {
    "$2" mock --port 0 --threads 1 >"$work/$1.out" 2>"$work/$1.err" &
    pids+=($!)
    for _ in $(seq 100); do grep -q listening "$work/$1.out" 2>/dev/null && break; sleep 0.05; done
    port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/$1.out")
    [ -n "$port" ] || { echo "ab_mock: $2 did not start" >&2; cat "$work/$1.err" >&2; exit 1; }
}
start_mock a "$a_bin"
a_port=$port
start_mock b "$b_bin"
b_port=$port

cat >"$work/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"id":"proj:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60"}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "CodeBuild_20161006.RetryBuild"
EOF
rps() {
    wrk -t1 -c"$conns" -d"${duration}s" -s "$work/post.lua" "http://127.0.0.1:$1/" |
        awk '/Requests\/sec/ {print $2}'
}

echo "A: $a_bin"
echo "B: $b_bin"
echo "wrk -t1 -c$conns -d${duration}s, $rounds rounds alternating"
printf "%-6s %12s %12s %8s\n" round "A req/s" "B req/s" "B/A"
: >"$work/results"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
        a=$(rps "$a_port"); b=$(rps "$b_port")
    else
        b=$(rps "$b_port"); a=$(rps "$a_port")
    fi
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", b/a}')
    printf "%-6s %12s %12s %8s\n" "$r" "$a" "$b" "$ratio"
    echo "$ratio" >>"$work/results"
done
median=$(sort -g "$work/results" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
echo
echo "median of per-round ratios B/A: ${median}x"
