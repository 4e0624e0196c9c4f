#!/usr/bin/env bash
# scripts/check-format.sh - fail if any tracked C file is not clang-formatted (.clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || true)
if [ -z "$files" ]; then
    files=$(find . -path ./build\* -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -w) files clean" >&2
