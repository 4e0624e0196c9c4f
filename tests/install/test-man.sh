#!/bin/sh
# tests/install/test-man.sh - the man pages in man/ (ctest install.man): one for the command
# and one for each subcommand of `cbkit help` (and spec import, spec diff); each renders
# without a groff warning; each names every long option its command's -h lists, and every
# option it documents exists (an option renamed in one place and not the other fails).
# Environment: CBKIT (the binary), CBK_SOURCE_DIR. Without groff: skip (exit 77).
set -u
cbkit=${CBKIT:?set CBKIT}
man=${CBK_SOURCE_DIR:?set CBK_SOURCE_DIR}/man
command -v groff >/dev/null 2>&1 || {
    echo "SKIP: groff is not installed (Debian's groff-base)"
    exit 77
}
status=0
err() {
    echo "FAIL: $*" >&2
    status=1
}
# options OUTPUT: the long options of a usage text, one a line
options() { grep -o -- '--[a-z][a-z0-9-]*' | sort -u; }

pages="cbkit.1"
for sub in $("$cbkit" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'); do
    pages="$pages cbkit-$sub.1"
done
pages="$pages cbkit-spec-import.1 cbkit-spec-diff.1"
for page in $pages; do
    f=$man/$page
    if [ ! -f "$f" ]; then
        err "no man page man/$page"
        continue
    fi
    warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z "$f" 2>&1)
    [ -z "$warnings" ] || err "$page: groff warns: $warnings"
    case $page in
    cbkit.1) args="-h" ;;
    cbkit-help.1) continue ;; # `cbkit help -h` is the command list of cbkit.1
    cbkit-spec-import.1) args="spec import -h" ;;
    cbkit-spec-diff.1) args="spec diff -h" ;;
    *)
        args=${page#cbkit-}
        args="${args%.1} -h"
        ;;
    esac
    # shellcheck disable=SC2086 # args are words
    usage=$("$cbkit" $args) || err "cbkit $args failed"
    text=$(LC_ALL=C.UTF-8 MANWIDTH=200 groff -man -Tutf8 -P-cbou "$f" 2>/dev/null | sed 's/‐/-/g')
    for opt in $(echo "$usage" | options); do
        echo "$text" | grep -q -- "$opt\b" || err "$page does not document $opt (cbkit $args lists it)"
    done
    for opt in $(echo "$text" | sed -n '/^OPTIONS/,/^[A-Z]/p' | options | grep -vx -- --help); do
        echo "$usage" | grep -q -- "$opt\b" || err "$page documents $opt, which cbkit $args does not list"
    done
done
[ $status = 0 ] && echo "ok: $(echo "$pages" | wc -w) man pages"
exit $status
