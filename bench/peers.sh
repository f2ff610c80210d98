#!/usr/bin/env bash
# bench/peers.sh — installs the servers hearth is compared with (run as root):
# nginx + the nchan module from Debian, and the Node peers' npm packages
# (bench/peers/package.json + package-lock.json: ws, socket.io,
# @socket.io/redis-adapter, redis). Only what is missing is installed. The
# peers themselves are started, on loopback with their own configs, by
# bench/run.py (configs and scripts in bench/peers/).
set -euo pipefail
cd "$(dirname "$0")"
missing=()
for p in nginx libnginx-mod-nchan redis-server; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "peers: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d may refuse to start nginx as a service: fine, run.py starts its own
  apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
fi
if [ ! -d peers/node_modules/socket.io ] || [ ! -d peers/node_modules/@socket.io/redis-adapter ]; then
  (cd peers && npm ci --no-audit --no-fund --loglevel=error)
fi
