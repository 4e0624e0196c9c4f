#!/bin/sh
# tests/spec/doc-examples.sh - documented examples are golden files: in docs/*.md, a fenced block
# between "<!-- begin: PATH -->" and "<!-- end: PATH -->" must be exactly the contents of PATH
# (relative to the top of the checkout), e.g. the expected stdout of a golden CLI case. Fails
# with a diff for each block that differs (ctest: spec.doc-examples).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cbk-docs.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT HUP INT TERM
status=0
checked=0
for doc in "$root"/docs/*.md; do
    for path in $(sed -n 's/^<!-- begin: \(.*\) -->$/\1/p' "$doc"); do
        # the lines strictly inside the code fence that follows the begin marker
        awk -v p="$path" '
            $0 == "<!-- begin: " p " -->" { on = 1; next }
            on && $0 == "<!-- end: " p " -->" { on = 0; next }
            on && /^```/ { fence++; next }
            on && fence == 1 { print }
        ' "$doc" >"$tmp/block"
        checked=$((checked + 1))
        if ! cmp -s "$tmp/block" "$root/$path"; then
            echo "$doc: the example of $path differs from it (- docs, + file):"
            diff -u "$tmp/block" "$root/$path" | head -50
            status=1
        fi
    done
done
echo "doc-examples: $checked example(s) checked"
[ "$checked" -gt 0 ] || status=1
exit $status
