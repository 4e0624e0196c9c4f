#!/usr/bin/env bash
# bench/bench_mock.sh - cbkit mock (validation and journal on) against nginx serving the same
# RetryBuild answer as a static body, in the same run, with wrk on loopback. Rounds alternate
# the order of the two servers; the medians and their ratio are printed, with p99 latency,
# the mock's peak RSS and the time from start to first answer of both (bench/first_answer.c,
# starts interleaved). Targets (issue 10, section 7, with the whole CodeBuild spec):
# throughput >= 0.8x nginx at 32 connections, p99 <= 1.5x nginx's p99, peak RSS <= 16 MiB,
# start to first answer <= 1.5x nginx's.
#
# usage: bench/bench_mock.sh [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [-t SERVER_THREADS]
# Environment: BUILD_DIR (default build), with a Release build of cbkit and first_answer.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 duration=5 conns=32 threads=1
while getopts "r:d:c:t:" o; do
    case $o in
    r) rounds=$OPTARG ;;
    d) duration=$OPTARG ;;
    c) conns=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) echo "usage: $0 [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [-t SERVER_THREADS]" >&2; exit 2 ;;
    esac
done
build=${BUILD_DIR:-build}
cbkit=$build/cbkit
for tool in wrk nginx curl; do
    command -v $tool >/dev/null || { echo "bench_mock: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
[ -x "$cbkit" ] || { echo "bench_mock: no $cbkit; build first (cmake --build $build)" >&2; exit 2; }

work=$(mktemp -d)
mock_pid="" nginx_pid=""
cleanup() {
    [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null && wait "$mock_pid" 2>/dev/null
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

. bench/nginx_conf.sh

# the mock, with validation and the journal (always on)
"$cbkit" mock --port 0 --threads "$threads" >"$work/mock.out" 2>"$work/mock.err" &
mock_pid=$!
for _ in $(seq 100); do grep -q listening "$work/mock.out" 2>/dev/null && break; sleep 0.05; done
mock_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/mock.out")
[ -n "$mock_port" ] || { echo "bench_mock: the mock did not start" >&2; cat "$work/mock.err" >&2; exit 1; }

body='{"id":"proj:0e2f7a52-3b6c-4f1e-9d7a-1c2b3d4e5f60"}'
curl -s -X POST "http://127.0.0.1:$mock_port/" -H 'X-Amz-Target: CodeBuild_20161006.RetryBuild' \
    -H 'Content-Type: application/x-amz-json-1.1' -d "$body" >"$work/answer.json"
bytes=$(wc -c <"$work/answer.json")

# nginx serving the same answer as a static body
nginx_port=$(free_port)
nginx_conf "$work/nginx" "$nginx_port" "$threads" "$work/answer.json"
nginx -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null -X POST "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done
nbytes=$(curl -s -X POST "http://127.0.0.1:$nginx_port/" -d "$body" | wc -c)

cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "CodeBuild_20161006.RetryBuild"
EOF

# one measurement: prints "REQ_PER_SEC P99_MS NON2XX"
measure() {
    local out
    out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$1/")
    local rps p99 non2xx
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
    echo "$rps $p99 ${non2xx:-0}"
}

echo "cbkit mock vs nginx: wrk -t1 -c$conns -d${duration}s, $rounds rounds alternating, server threads/workers: $threads"
echo "answer: RetryBuild, $bytes bytes from the mock, $nbytes from nginx"
printf "%-6s %14s %10s %14s %10s %8s\n" round "nginx req/s" "p99 ms" "mock req/s" "p99 ms" ratio
: >"$work/results"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
        n=$(measure "$nginx_port"); m=$(measure "$mock_port")
    else
        m=$(measure "$mock_port"); n=$(measure "$nginx_port")
    fi
    set -- $n; n_rps=$1 n_p99=$2 n_bad=$3
    set -- $m; m_rps=$1 m_p99=$2 m_bad=$3
    ratio=$(awk -v a="$m_rps" -v b="$n_rps" 'BEGIN {printf "%.3f", a/b}')
    printf "%-6s %14s %10s %14s %10s %8s\n" "$r" "$n_rps" "$n_p99" "$m_rps" "$m_p99" "$ratio"
    echo "$n_rps $n_p99 $m_rps $m_p99 $ratio $n_bad $m_bad" >>"$work/results"
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
n_med=$(awk '{print $1}' "$work/results" | median)
m_med=$(awk '{print $3}' "$work/results" | median)
n_p99=$(awk '{print $2}' "$work/results" | median)
m_p99=$(awk '{print $4}' "$work/results" | median)
r_med=$(awk '{print $5}' "$work/results" | median)
bad=$(awk '{s+=$6+$7} END {print s+0}' "$work/results")
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$mock_pid/status")
requests=$(curl -s "http://127.0.0.1:$mock_port/__cbkit/health" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["requests"], d["valid"], d["dropped"])')
# start to first answer: a second nginx (one worker, its own port) and fresh mocks, 21 starts
# each, interleaved, while the servers above are idle
start_port=$(free_port)
nginx_conf "$work/nginx-start" "$start_port" 1 "$work/answer.json"
first=$("$build/bench/first_answer" -n 21 --nginx "$(command -v nginx)" "$work/nginx-start/nginx.conf" \
    "$start_port" "$cbkit")

echo
echo "medians: nginx $n_med req/s (p99 $n_p99 ms), cbkit mock $m_med req/s (p99 $m_p99 ms)"
p99_ratio=$(awk '{printf "%.3f\n", $4/$2}' "$work/results" | median)
echo "throughput ratio (median of per-round ratios): ${r_med}x nginx   [target >= 0.8]"
echo "p99 latency: mock $m_p99 ms, nginx $n_p99 ms (medians over rounds); median of per-round ratios ${p99_ratio}x nginx   [target <= 1.5]"
echo "mock peak RSS: $((rss_kb / 1024)) MiB ($rss_kb kB)   [target <= 16 MiB]"
echo "$first" | sed 's/^ratio/start to first answer, ratio/; s/x  \[min/x nginx   [target <= 1.5; min/'

echo "mock journal: requests valid dropped = $requests; non-2xx answers seen by wrk: $bad"
