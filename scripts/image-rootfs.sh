#!/bin/sh
# scripts/image-rootfs.sh - the root file system of the container image (Dockerfile, docs/ci.md):
# the cbkit binary, every shared library it needs, and the libraries it loads at run time
# (libcurl for `cbkit health`, `record` and `replay`; libcrypto for SigV4 and the admin token),
# each with the libraries those need, copied from the system that built cbkit (Debian 12 slim in
# the Dockerfile's build stage); a non-root user cbkit (uid 10001), /tmp, /work, the CA
# certificates when the system has them, and the example scenarios. Nothing else: no shell, no
# package manager. The image's final stage is `FROM scratch` with this tree.
#
# usage: scripts/image-rootfs.sh ROOT CBKIT [CURL_SONAME [CRYPTO_SONAME]]
#   ROOT           an empty or missing directory to fill
#   CBKIT          the built, stripped cbkit binary
#   CURL_SONAME    default libcurl.so.4;  CRYPTO_SONAME  default libcrypto.so.3
# Prints the tree's size in bytes on the last line ("size: N"). Exit 1 on any failure, saying
# what failed; 2 on a usage error.
set -eu

usage() {
    echo "usage: $0 ROOT CBKIT [CURL_SONAME [CRYPTO_SONAME]]" >&2
    exit 2
}
[ $# -ge 2 ] && [ $# -le 4 ] || usage
root=$1 cbkit=$2
curl_so=${3:-libcurl.so.4} crypto_so=${4:-libcrypto.so.3}
src=$(cd "$(dirname "$0")/.." && pwd)
die() {
    echo "image-rootfs: $*" >&2
    exit 1
}
[ -x "$cbkit" ] || die "no executable '$cbkit'"
if [ -e "$root" ] && [ -n "$(ls -A "$root")" ]; then
    die "'$root' is not empty"
fi
command -v ldd >/dev/null || die "ldd is missing (libc-bin)"

# the path of a library known to the dynamic loader by its soname
lib_path() {
    p=$(ldconfig -p 2>/dev/null | awk -v so="$1" '$1 == so && /x86-64|AArch64|64bit/ { print $NF; exit }')
    [ -n "$p" ] || p=$(ldconfig -p 2>/dev/null | awk -v so="$1" '$1 == so { print $NF; exit }')
    [ -n "$p" ] || die "the dynamic loader does not know $1 (is its package installed?)"
    echo "$p"
}

# every file a binary or library loads: itself is not listed; the loader is
closure() {
    out=$(ldd "$1") || die "ldd $1 failed"
    echo "$out" | awk '/=>/ && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

mkdir -p "$root"
list=$(mktemp)
trap 'rm -f "$list"' EXIT
curl=$(lib_path "$curl_so")
crypto=$(lib_path "$crypto_so")
{
    closure "$cbkit"
    echo "$curl"
    closure "$curl"
    echo "$crypto"
    closure "$crypto"
} | sort -u >"$list"

# copy each library under its own path, and under the real file's name when it is a link
while IFS= read -r f; do
    [ -n "$f" ] || continue
    real=$(readlink -f "$f")
    for p in "$f" "$real"; do
        mkdir -p "$root$(dirname "$p")"
    done
    cp -L "$real" "$root$real"
    [ "$f" = "$real" ] || [ -e "$root$f" ] || ln -s "$real" "$root$f"
done <"$list"
# the loader is found by the absolute path in the binary (/lib64/ld-linux-x86-64.so.2); on
# merged-/usr systems /lib64 is a link to usr/lib64 or usr/lib: keep that shape
for d in lib lib64 bin sbin; do
    if [ -L "/$d" ] && [ ! -e "$root/$d" ]; then
        ln -s "$(readlink "/$d")" "$root/$d"
    fi
done

mkdir -p "$root/usr/local/bin" "$root/usr/local/share/cbkit" "$root/etc" "$root/tmp" "$root/work"
cp "$cbkit" "$root/usr/local/bin/cbkit"
cp -R "$src/scenarios/examples" "$root/usr/local/share/cbkit/scenarios"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/nonexistent\ncbkit:x:10001:10001:cbkit:/work:/nonexistent\n' \
    >"$root/etc/passwd"
printf 'root:x:0:\ncbkit:x:10001:\n' >"$root/etc/group"
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$root/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
fi
chown 10001:10001 "$root/work" 2>/dev/null || true

echo "libraries: $(wc -l <"$list")"
echo "size: $(du -sb "$root" | cut -f1)"
