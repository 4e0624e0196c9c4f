#!/bin/sh
# scripts/regen-spec.sh - make the bundled CodeBuild spec again: the import of the model copy
# in spec/codebuild/model/ with its paginators and spec/codebuild/overlay.yaml merged over it.
#
#   scripts/regen-spec.sh            rewrite spec/codebuild/2016-10-06.yaml
#   scripts/regen-spec.sh --check    import into a temporary file and fail (exit 1, with the
#                                    diff) if it differs from the committed spec (ctest:
#                                    spec.regenerate), so that the spec never drifts by hand
#
# Environment: CBKIT, the cbkit binary (default: build/cbkit).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cbkit=${CBKIT:-$root/build/cbkit}
spec=$root/spec/codebuild
out=$spec/2016-10-06.yaml

# Relative paths keep the file names in the spec's header the same wherever the checkout is.
cd "$root"
import() {
    "$cbkit" spec import spec/codebuild/model/codebuild-botocore-1.43.11.json \
        --paginators spec/codebuild/model/codebuild-botocore-1.43.11.paginators.json \
        --overlay spec/codebuild/overlay.yaml --source-id model-1.43.11 --docs summary -o "$1"
}

if [ "${1:-}" = --check ]; then
    tmp=$(mktemp "${TMPDIR:-/tmp}/cbk-spec.XXXXXX")
    trap 'rm -f "$tmp"' EXIT HUP INT TERM
    import "$tmp"
    if ! cmp -s "$tmp" "$out"; then
        diff -u "$out" "$tmp" | head -200
        echo "regen-spec: $out differs from its import; run scripts/regen-spec.sh (and edit" \
            "spec/codebuild/overlay.yaml, never the generated spec)" >&2
        exit 1
    fi
    echo "regen-spec: $out is the import of the model and the overlay"
    exit 0
fi
import "$out"
echo "regen-spec: wrote $out"
