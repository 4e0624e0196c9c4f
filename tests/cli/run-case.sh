#!/bin/sh
# tests/cli/run-case.sh - run one golden CLI case and compare what cbkit prints with what the
# case expects (STYLE.md §7.6, jq's %%FAIL: error text is asserted exactly).
#
#   run-case.sh CASE_DIR            run tests/cli/cases/<name>/ (ctest: cli.<name>)
#   run-case.sh --help-check ARG... `cbkit ARG...` must exit 0, print something on stdout
#                                   and nothing on stderr (ctest: cli.h.<cmd>, cli.help.<cmd>)
#
# A case directory holds:
#   cmd      the arguments of cbkit, on one line, split as the shell splits words ('quotes'
#            work); $DATA names tests/cli/data (as a path relative to the case directory, so
#            that output does not depend on where the checkout lives)
#   stdin    optional: standard input (default: /dev/null)
#   env      optional: environment variables of cbkit, one NAME=VALUE a line (taken as they
#            are: no quotes, no expansion)
#   filter   optional: a sed script applied to the actual stdout before comparing (for
#            output that legitimately varies, such as library versions)
#   stdout, stderr, exit   the expected output and exit code
#
# cbkit runs in the case directory with a clean environment (env -i; LC_ALL=C, TZ=UTC; the
# sanitizer options pass through). On a mismatch the unified diffs are printed and the script
# exits 1. With CBK_UPDATE_GOLDEN=1 the expectations are rewritten from the actual output
# instead: review every rewritten file before committing it.
#
# Environment: CBKIT, the cbkit binary (ctest sets it; default: build/cbkit).
set -u

here=$(cd "$(dirname "$0")" && pwd)
cbkit=${CBKIT:-$here/../../build/cbkit}
case $cbkit in
/*) ;;
*) cbkit=$(pwd)/$cbkit ;;
esac
if [ ! -x "$cbkit" ]; then
    echo "run-case.sh: '$cbkit' is not an executable; set CBKIT" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cbk-cli.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# run_cbkit DIR STDIN ENVFILE ARG...: cbkit's output in $tmp/stdout, $tmp/stderr, $tmp/exit;
# ENVFILE (may not exist) holds NAME=VALUE lines added to the clean environment
run_cbkit() {
    dir=$1
    input=$2
    envfile=$3
    shift 3
    (
        cd "$dir" || exit 2
        # "$@" becomes NAME=VALUE... cbkit ARG... for env (the lines prepended last first)
        set -- "$cbkit" "$@"
        if [ -f "$envfile" ]; then
            lines=$(grep -c '' "$envfile")
            i=$lines
            while [ "$i" -gt 0 ]; do
                set -- "$(sed -n "${i}p" "$envfile")" "$@"
                i=$((i - 1))
            done
        fi
        exec env -i PATH=/usr/bin:/bin LC_ALL=C TZ=UTC \
            ${ASAN_OPTIONS:+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
            ${LSAN_OPTIONS:+"LSAN_OPTIONS=$LSAN_OPTIONS"} \
            ${UBSAN_OPTIONS:+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
            "$@" <"$input" >"$tmp/stdout" 2>"$tmp/stderr"
    )
    echo $? >"$tmp/exit"
}

if [ "${1:-}" = --help-check ]; then
    shift
    run_cbkit "$tmp" /dev/null /nonexistent "$@"
    ok=1
    if [ "$(cat "$tmp/exit")" != 0 ]; then
        echo "cbkit $*: exit $(cat "$tmp/exit"), expected 0" >&2
        ok=0
    fi
    if [ ! -s "$tmp/stdout" ]; then
        echo "cbkit $*: nothing on stdout" >&2
        ok=0
    fi
    if [ -s "$tmp/stderr" ]; then
        echo "cbkit $*: stderr is not empty:" >&2
        cat "$tmp/stderr" >&2
        ok=0
    fi
    [ $ok = 1 ] && exit 0
    exit 1
fi

if [ $# -ne 1 ] || [ ! -f "$1/cmd" ]; then
    echo "usage: run-case.sh CASE_DIR (a directory with a 'cmd' file)" >&2
    echo "       run-case.sh --help-check ARG..." >&2
    exit 2
fi
dir=$(cd "$1" && pwd)
name=$(basename "$dir")

# The command line: one line, word-split by the shell, $DATA expanded, no globbing.
# shellcheck disable=SC2034 # used by the eval below
DATA=../../data
line=
IFS= read -r line <"$dir/cmd" || true # an empty line runs cbkit without arguments
set -f
eval "set -- $line" || {
    echo "$name: cannot parse cmd: $line" >&2
    exit 2
}
set +f

input=/dev/null
[ -f "$dir/stdin" ] && input=$dir/stdin
run_cbkit "$dir" "$input" "$dir/env" "$@"
if [ -f "$dir/filter" ]; then
    sed -f "$dir/filter" "$tmp/stdout" >"$tmp/stdout.filtered" || exit 2
    mv "$tmp/stdout.filtered" "$tmp/stdout"
fi

if [ "${CBK_UPDATE_GOLDEN:-}" = 1 ]; then
    for f in stdout stderr exit; do
        if ! cmp -s "$tmp/$f" "$dir/$f" 2>/dev/null; then
            cp "$tmp/$f" "$dir/$f"
            echo "$name: updated $f (review it before committing)"
        fi
    done
    exit 0
fi

status=0
for f in stdout stderr exit; do
    if [ ! -f "$dir/$f" ]; then
        echo "$name: missing expectation file '$f' (CBK_UPDATE_GOLDEN=1 writes it)" >&2
        status=1
    elif ! cmp -s "$dir/$f" "$tmp/$f"; then
        echo "$name: $f differs (- expected, + actual):"
        diff -u "$dir/$f" "$tmp/$f"
        status=1
    fi
done
if [ $status != 0 ]; then
    echo "$name: FAILED: cbkit $line"
fi
exit $status
