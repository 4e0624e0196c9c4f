#!/usr/bin/env bash
# scripts/setup.sh - install everything cbkit needs to build, test and benchmark on Debian 12.
# Idempotent; run as root or with sudo available. Set CBK_SKIP_SETUP=1 to skip (dev loops).
set -euo pipefail

if [ "${CBK_SKIP_SETUP:-0}" = "1" ]; then
    exit 0
fi

packages=(
    # build
    build-essential cmake pkg-config git
    # the libraries cbkit links (see README "Dependencies")
    libfyaml-dev libjson-c-dev libpcre2-dev libmicrohttpd-dev libcurl4-openssl-dev libssl-dev
    # tests: CMocka, clang (sanitizers, libFuzzer), clang-format, the real AWS clients, pytest
    # (the pytest plugin's tests), groff (man page checks), dpkg-dev (the .deb's dependencies),
    # headless Chromium (the mock's page, /__cbkit/ui)
    libcmocka-dev clang libclang-rt-14-dev clang-format python3 python3-yaml python3-boto3
    awscli python3-pytest python3-pip groff-base dpkg-dev chromium
    # benchmarks: load generator and the nginx baseline
    wrk nginx-light
)

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "setup: need root (or sudo) to install: ${packages[*]}" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup: apt-get update" >&2
$SUDO apt-get update -qq
echo "setup: apt-get install ${#packages[@]} packages" >&2
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

# The JavaScript SDK v3 clients of the end-to-end tests, pinned in tests/js/package-lock.json.
# Node.js and npm come from the machine when it has them (the SDK needs Node.js 20), else from
# Debian.
if ! command -v npm >/dev/null 2>&1; then
    echo "setup: apt-get install nodejs npm" >&2
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$top/tests/js/package-lock.json" ]; then
    echo "setup: npm ci (tests/js)" >&2
    (cd "$top/tests/js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
echo "setup: done" >&2
