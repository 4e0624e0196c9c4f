#!/bin/sh
# tests/install/test-rootfs.sh - the container image's root file system without a container
# engine (ctest install.rootfs): scripts/image-rootfs.sh fills a scratch directory from the
# built cbkit, as the Dockerfile's final stage does; then the tree must be at most 30 MB
# (issue 12's image target) and work on its own, under chroot as the image's user 10001:
# `cbkit version`; `cbkit mock` configured only by CBKIT_* variables answers a CodeBuild request
# from outside; `cbkit health` inside (libcurl loaded from the tree) says ok; a stop by PID exits
# 0; bad input to the script (no arguments, a missing binary, a root not empty) is refused
# first, without root. Needs root for chroot (else exit 77, a skip, saying why); a sanitizer build is skipped too
# (its runtime needs /proc, which the tree does not mount).
# Environment: CBKIT (the binary), CBK_SOURCE_DIR.
set -u
cbkit=${CBKIT:?set CBKIT}
src=${CBK_SOURCE_DIR:?set CBK_SOURCE_DIR}
skip() {
    echo "SKIP: $*"
    exit 77
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
# bad input to the script: a usage error, a missing binary, a root that is not empty; each a
# clear message and a non-zero status, nothing written
bad=$(mktemp -d)
"$src/scripts/image-rootfs.sh" >/dev/null 2>"$bad/err"
[ $? = 2 ] && grep -q '^usage:' "$bad/err" || fail "image-rootfs.sh without arguments: $(cat "$bad/err")"
"$src/scripts/image-rootfs.sh" "$bad/r1" "$bad/no-such-cbkit" >/dev/null 2>"$bad/err"
[ $? = 1 ] && grep -q "no executable '$bad/no-such-cbkit'" "$bad/err" ||
    fail "image-rootfs.sh with a missing binary: $(cat "$bad/err")"
[ ! -e "$bad/r1" ] || fail "image-rootfs.sh wrote $bad/r1 for a missing binary"
mkdir "$bad/r2" && touch "$bad/r2/keep"
"$src/scripts/image-rootfs.sh" "$bad/r2" "$cbkit" >/dev/null 2>"$bad/err"
[ $? = 1 ] && grep -q "is not empty" "$bad/err" || fail "image-rootfs.sh into a full root: $(cat "$bad/err")"
[ "$(ls "$bad/r2")" = keep ] || fail "image-rootfs.sh wrote into a root that was not empty"
rm -rf "$bad"

[ "$(id -u)" = 0 ] || skip "chroot needs root"
chroot=$(command -v chroot) || skip "chroot is not installed"
[ -z "${CBK_SANITIZED:-}" ] || skip "a sanitizer build needs /proc inside the tree"
command -v curl >/dev/null || skip "curl is not installed"

work=$(mktemp -d)
pid=""
cleanup() {
    [ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
    rm -rf "$work"
}
trap cleanup EXIT
cp "$cbkit" "$work/cbkit"
command -v strip >/dev/null && strip "$work/cbkit"
root=$work/root
out=$("$src/scripts/image-rootfs.sh" "$root" "$work/cbkit") || fail "image-rootfs.sh failed: $out"
size=$(echo "$out" | sed -n 's/^size: //p')
[ -n "$size" ] || fail "image-rootfs.sh printed no size: $out"
echo "rootfs: $size bytes ($(echo "$out" | sed -n 's/^libraries: //p') libraries)"
[ "$size" -le 30000000 ] || fail "the tree is $size bytes, more than the 30 MB target"
[ ! -e "$root/bin/sh" ] && [ ! -e "$root/usr/bin/sh" ] || fail "the tree has a shell"

v=$(chroot --userspec=10001:10001 "$root" /usr/local/bin/cbkit version) ||
    fail "cbkit version failed in the tree"
echo "$v" | grep -q '^  libcurl ' || fail "cbkit version in the tree lists no libcurl: $v"

# the mock, configured as the image configures it (but on loopback and a free port)
env -i CBKIT_HOST=127.0.0.1 CBKIT_PORT=0 CBKIT_ADMIN_REMOTE=auto CBKIT_SEED=3 \
    "$chroot" --userspec=10001:10001 "$root" /usr/local/bin/cbkit mock >"$work/out" 2>"$work/err" &
pid=$!
i=0
url=""
while [ $i -lt 200 ]; do
    url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/out")
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || fail "the mock exited before listening: $(cat "$work/err")"
    sleep 0.05
    i=$((i + 1))
done
[ -n "$url" ] || fail "the mock did not say where it listens"
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[ "$uid" = 10001 ] || fail "the mock runs as uid $uid, not 10001"
body=$(curl -s --noproxy '*' -m 10 -X POST "$url/" \
    -H 'X-Amz-Target: CodeBuild_20161006.StartBuild' \
    -H 'Content-Type: application/x-amz-json-1.1' -d '{"projectName":"my-app"}') ||
    fail "no answer to StartBuild"
echo "$body" | grep -q '"projectName":"my-app"' || fail "StartBuild answered $body"
h=$(chroot --userspec=10001:10001 "$root" /usr/local/bin/cbkit health --url "$url" 2>&1) ||
    fail "cbkit health in the tree: $h"
[ "$h" = "ok: $url/__cbkit/health" ] || fail "cbkit health said: $h"
kill "$pid"
wait "$pid"
rc=$?
pid=""
[ $rc = 0 ] || fail "the mock exited $rc after SIGTERM: $(cat "$work/err")"
echo "ok: the tree holds a working cbkit in $size bytes"
