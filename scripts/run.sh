#!/usr/bin/env bash
# scripts/run.sh - set everything up, build, and run the main job: the mock on the bundled
# CodeBuild spec with the default scenario, on http://127.0.0.1:7766 (Ctrl-C stops it).
# Extra arguments go to `cbkit mock` (e.g. scripts/run.sh --port 0 --seed 1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
args=()
if [ -f scenarios/default.yaml ] && build/cbkit help mock 2>/dev/null | grep -q -- '--scenario'; then
    args+=(--scenario scenarios/default.yaml)
fi
exec build/cbkit mock "${args[@]}" "$@"
