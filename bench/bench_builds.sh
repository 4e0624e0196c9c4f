#!/usr/bin/env bash
# bench/bench_builds.sh - builds that run, measured in one run against baselines of the same run
# (issue 11, section 8):
#   1. BatchGetBuilds of 100 ids: the mock renders each answer from live state (every build's
#      phases computed from its plan and the clock) against nginx serving the same bytes as a
#      static body; wrk on loopback, rounds alternating; target >= 0.5x nginx.
#   2. Peak RSS of a mock holding 10,000 builds (made with StartBuild, then all read back
#      through ListBuilds and BatchGetBuilds); target <= 32 MiB.
# RetryBuild's throughput against nginx is bench/bench_mock.sh (target unchanged, >= 0.8x).
#
# usage: bench/bench_builds.sh [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [-n BUILDS]
# Environment: BUILD_DIR (default build), with a Release build of cbkit.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 duration=5 conns=32 nbuilds=10000
while getopts "r:d:c:n:" o; do
    case $o in
    r) rounds=$OPTARG ;;
    d) duration=$OPTARG ;;
    c) conns=$OPTARG ;;
    n) nbuilds=$OPTARG ;;
    *) echo "usage: $0 [-r ROUNDS] [-d SECONDS] [-c CONNECTIONS] [-n BUILDS]" >&2; exit 2 ;;
    esac
done
build=${BUILD_DIR:-build}
cbkit=$build/cbkit
for tool in wrk nginx curl; do
    command -v $tool >/dev/null || { echo "bench_builds: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done
[ -x "$cbkit" ] || { echo "bench_builds: no $cbkit; build first (cmake --build $build)" >&2; exit 2; }

work=$(mktemp -d)
mock_pid="" nginx_pid="" big_pid=""
cleanup() {
    for p in $mock_pid $nginx_pid $big_pid; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_mock OUT ARGS...: a mock on a free port; its pid in $started_pid, port in $started_port
start_mock() {
    local out=$1
    shift
    "$cbkit" mock --port 0 "$@" >"$out" 2>"$out.err" &
    started_pid=$!
    for _ in $(seq 200); do grep -q listening "$out" 2>/dev/null && break; sleep 0.05; done
    started_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$out")
    [ -n "$started_port" ] || { echo "bench_builds: the mock did not start" >&2; cat "$out.err" >&2; exit 1; }
}

# make_builds PORT N OUT: StartBuild N times over one keep-alive connection (20 projects);
# the build ids, one a line, in OUT
make_builds() {
    /usr/bin/python3 - "$1" "$2" "$3" <<'EOF'
import http.client, json, sys
port, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", port)
h = {"Content-Type": "application/x-amz-json-1.1",
     "X-Amz-Target": "CodeBuild_20161006.StartBuild"}
ids = []
for i in range(n):
    body = {"projectName": "bench-%02d" % (i % 20), "sourceVersion": "refs/heads/b%d" % i,
            "environmentVariablesOverride": [{"name": "N", "value": str(i)}]}
    c.request("POST", "/", json.dumps(body), h)
    r = c.getresponse()
    data = r.read()
    assert r.status == 200, data
    ids.append(json.loads(data)["build"]["id"])
open(out, "w").write("\n".join(ids) + "\n")
EOF
}

post() { # post PORT TARGET BODY
    curl -s -X POST "http://127.0.0.1:$1/" -H "X-Amz-Target: CodeBuild_20161006.$2" \
        -H 'Content-Type: application/x-amz-json-1.1' -d "$3"
}

# ---- 1. BatchGetBuilds of 100 ids against nginx ------------------------------------------
# a virtual clock: the answer is the same bytes every time (nginx can serve them), yet the
# mock renders it from its state for every request
start_mock "$work/mock.out" --threads 1 --clock 2026-01-01T00:00:00Z
mock_pid=$started_pid mock_port=$started_port
make_builds "$mock_port" 100 "$work/ids"
# builds at every stage: some complete, some running, one stopped
curl -s -X POST "http://127.0.0.1:$mock_port/__cbkit/clock" -d '{"advanceSeconds": 75}' >/dev/null
post "$mock_port" StopBuild "{\"id\":\"$(sed -n 3p "$work/ids")\"}" >/dev/null
body=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"ids": open(sys.argv[1]).read().split()}, separators=(",", ":")))' "$work/ids")
post "$mock_port" BatchGetBuilds "$body" >"$work/answer.json"
bytes=$(wc -c <"$work/answer.json")
phases=$(/usr/bin/python3 -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); print(dict(collections.Counter(b["currentPhase"] for b in d["builds"])))' "$work/answer.json")

nginx_port=$(free_port)
mkdir -p "$work/nginx" "$work/www"
cp "$work/answer.json" "$work/www/answer.json"
chmod 755 "$work" "$work/www" && chmod 644 "$work/www/answer.json" # nginx workers may run as another user
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/www;
    location / {
      default_type application/x-amz-json-1.1;
      add_header x-amzn-RequestId 6be43a16-eaa5-440c-abb2-bed26139872c;
      error_page 405 =200 \$uri;
      try_files /answer.json =404;
    }
  }
}
EOF
nginx -c "$work/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break; sleep 0.05; done
curl -s -X POST "http://127.0.0.1:$nginx_port/" -d "$body" >"$work/nginx.json"
cmp -s "$work/answer.json" "$work/nginx.json" || { echo "bench_builds: nginx does not serve the mock's bytes" >&2; head -c 300 "$work/nginx.json" >&2; cat "$work/nginx-error.log" >&2; exit 1; }

cat >"$work/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "CodeBuild_20161006.BatchGetBuilds"
EOF

minflt() { awk '{print $10}' "/proc/$1/stat"; } # minor page faults of process $1 so far

measure() { # measure PORT [PID]: "REQ_PER_SEC NON2XX [PAGE_FAULTS_PER_ANSWER]"
    local out f0 f1 n
    [ -z "${2:-}" ] || f0=$(minflt "$2")
    out=$(wrk -t1 -c"$conns" -d"${duration}s" -s "$work/post.lua" "http://127.0.0.1:$1/")
    echo -n "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '/Non-2xx/ {n = $5} END {print n + 0}')"
    if [ -n "${2:-}" ]; then
        f1=$(minflt "$2")
        n=$(echo "$out" | awk '/requests in/ {print $1}')
        echo -n " $(awk -v f="$((f1 - f0))" -v n="$n" 'BEGIN {printf "%.1f", n ? f / n : 0}')"
    fi
    echo
}

echo "BatchGetBuilds of 100 ids: cbkit mock (--threads 1) vs nginx (1 worker) serving the same $bytes bytes"
echo "builds by current phase: $phases"
echo "wrk -t1 -c$conns -d${duration}s, $rounds rounds alternating"
printf "%-6s %14s %14s %8s %22s\n" round "nginx req/s" "mock req/s" ratio "mock page faults/answer"
: >"$work/results"
for r in $(seq "$rounds"); do
    if [ $((r % 2)) -eq 1 ]; then
        n=$(measure "$nginx_port"); m=$(measure "$mock_port" "$mock_pid")
    else
        m=$(measure "$mock_port" "$mock_pid"); n=$(measure "$nginx_port")
    fi
    set -- $n; n_rps=$1 n_bad=${2:-0}
    set -- $m; m_rps=$1 m_bad=${2:-0} m_flt=${3:-}
    ratio=$(awk -v a="$m_rps" -v b="$n_rps" 'BEGIN {printf "%.3f", a/b}')
    printf "%-6s %14s %14s %8s %22s\n" "$r" "$n_rps" "$m_rps" "$ratio" "$m_flt"
    echo "$n_rps $m_rps $ratio $n_bad $m_bad" >>"$work/results"
done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
r_med=$(awk '{print $3}' "$work/results" | median)
bad=$(awk '{s+=$4+$5} END {print s+0}' "$work/results")
echo "BatchGetBuilds throughput ratio (median of per-round ratios): ${r_med}x nginx   [target >= 0.5]"
echo "non-2xx answers seen by wrk: $bad"
kill "$mock_pid" "$nginx_pid"; wait "$mock_pid" "$nginx_pid" 2>/dev/null || true
mock_pid="" nginx_pid=""

# ---- 2. peak RSS with 10,000 builds ---------------------------------------------------------
start_mock "$work/big.out" --threads 1 --clock 2026-01-01T00:00:00Z --state-cap "$nbuilds"
big_pid=$started_pid big_port=$started_port
idle_kb=$(awk '/VmHWM/ {print $2}' "/proc/$big_pid/status")
make_builds "$big_port" "$nbuilds" "$work/big-ids"
curl -s -X POST "http://127.0.0.1:$big_port/__cbkit/clock" -d '{"advanceSeconds": 120}' >/dev/null
# read every build back: ListBuilds pages, BatchGetBuilds in hundreds
/usr/bin/python3 - "$big_port" "$nbuilds" <<'EOF'
import http.client, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port)
def call(op, body):
    c.request("POST", "/", json.dumps(body), {"Content-Type": "application/x-amz-json-1.1",
                                             "X-Amz-Target": "CodeBuild_20161006." + op})
    r = c.getresponse()
    d = r.read()
    assert r.status == 200, d
    return json.loads(d)
ids, tok = [], None
while True:
    page = call("ListBuilds", {"nextToken": tok} if tok else {})
    ids += page["ids"]
    tok = page.get("nextToken")
    if not tok:
        break
assert len(ids) == n, len(ids)
seen = 0
for i in range(0, n, 100):
    seen += len(call("BatchGetBuilds", {"ids": ids[i:i + 100]})["builds"])
assert seen == n, seen
EOF
builds=$(curl -s "http://127.0.0.1:$big_port/__cbkit/health" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$big_pid/status")
echo
echo "peak RSS with $nbuilds builds retained (and read back): $((rss_kb / 1024)) MiB ($rss_kb kB; $((idle_kb / 1024)) MiB at start; $builds requests journaled)   [target <= 32 MiB]"
