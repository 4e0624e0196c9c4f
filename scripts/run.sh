#!/usr/bin/env bash
# scripts/run.sh - set everything up, build, and run the main job: the mock on the bundled
# CodeBuild spec and, beside it, CloudWatch Logs (spec/logs/2014-03-28.yaml: the builds' logs,
# docs/mock.md "Build logs"), with the default scenario, on http://127.0.0.1:7766 (Ctrl-C stops
# it). Extra arguments go to `cbkit mock` (e.g. scripts/run.sh --port 0 --seed 1); when they
# include --spec (or CBKIT_SPEC is set), they choose the specs served.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
args=()
given_spec=no
[ -n "${CBKIT_SPEC:-}" ] && given_spec=yes
for a in "$@"; do
    case "$a" in --spec | --spec=*) given_spec=yes ;; esac
done
if [ "$given_spec" = no ] && [ -f spec/logs/2014-03-28.yaml ]; then
    args+=(--spec bundled --spec spec/logs/2014-03-28.yaml)
fi
if [ -f scenarios/default.yaml ] && build/cbkit help mock 2>/dev/null | grep -q -- '--scenario'; then
    args+=(--scenario scenarios/default.yaml)
fi
exec build/cbkit mock "${args[@]}" "$@"
