#!/bin/sh
# scripts/regen-spec.sh - make the generated specs again: the bundled CodeBuild spec (the import
# of the model copy in spec/codebuild/model/ with its paginators and spec/codebuild/overlay.yaml
# merged over it) and the CloudWatch Logs spec (spec/logs/model/ and spec/logs/overlay.yaml).
#
#   scripts/regen-spec.sh            rewrite spec/codebuild/2016-10-06.yaml, spec/logs/2014-03-28.yaml
#   scripts/regen-spec.sh --check    import into temporary files and fail (exit 1, with the
#                                    diff) if one differs from the committed spec (ctest:
#                                    spec.regenerate), so that no spec drifts by hand
#
# Environment: CBKIT, the cbkit binary (default: build/cbkit).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cbkit=${CBKIT:-$root/build/cbkit}

# Relative paths keep the file names in the spec's header the same wherever the checkout is.
cd "$root"
# import NAME OUT: the import of spec NAME (codebuild or logs) into OUT
import() {
    case $1 in
    codebuild)
        "$cbkit" spec import spec/codebuild/model/codebuild-botocore-1.43.11.json \
            --paginators spec/codebuild/model/codebuild-botocore-1.43.11.paginators.json \
            --overlay spec/codebuild/overlay.yaml --source-id model-1.43.11 --docs summary -o "$2"
        ;;
    logs)
        "$cbkit" spec import spec/logs/model/logs-botocore-1.43.11.json \
            --overlay spec/logs/overlay.yaml --source-id model-1.43.11 --docs summary -o "$2"
        ;;
    esac
}

status=0
for pair in codebuild:spec/codebuild/2016-10-06.yaml logs:spec/logs/2014-03-28.yaml; do
    name=${pair%%:*}
    out=${pair#*:}
    if [ "${1:-}" = --check ]; then
        tmp=$(mktemp "${TMPDIR:-/tmp}/cbk-spec.XXXXXX")
        import "$name" "$tmp"
        if ! cmp -s "$tmp" "$out"; then
            diff -u "$out" "$tmp" | head -200
            echo "regen-spec: $out differs from its import; run scripts/regen-spec.sh (and edit" \
                "spec/$name/overlay.yaml, never the generated spec)" >&2
            status=1
        else
            echo "regen-spec: $out is the import of the model and the overlay"
        fi
        rm -f "$tmp"
    else
        import "$name" "$out"
        echo "regen-spec: wrote $out"
    fi
done
exit $status
