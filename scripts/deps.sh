#!/usr/bin/env bash
# scripts/deps.sh — installs what hearth needs on Debian 12 (run as root).
#   deps.sh          build + run: compiler, meson, the libraries, Node.js + npm
#                    (scripts/web.sh installs the pages' browser libraries)
#   deps.sh --test   also the test tools: clang (libFuzzer), cmocka, redis-server,
#                    chromium and an emoji font (page tests)
# Only missing packages are installed, so a prepared machine pays nothing.
set -euo pipefail
pkgs=(gcc pkg-config meson ninja-build libwebsockets-dev libwebsockets-evlib-uv libuv1-dev
      libhiredis-dev libmsgpack-dev libssl-dev libjansson-dev libicu-dev libsqlite3-dev)
if [ "${1:-}" = "--test" ]; then
  pkgs+=(clang libclang-rt-14-dev libcmocka-dev redis-server chromium fonts-noto-color-emoji curl python3 procps openssl systemd)
fi
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
