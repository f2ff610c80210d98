#!/usr/bin/env bash
# tests/web/run.sh HEARTHD — the faces (web/) in Debian's headless Chromium
# (installs chromium and playwright-core if missing, and the pages' browser
# libraries with scripts/web.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export HEARTHD=$(realpath "${1:-$here/../../build/hearthd}")
command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
bash "$here/../../scripts/web.sh"
cd "$here"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error
[ -d ../integration/node_modules/centrifuge ] || (cd ../integration && npm ci --no-audit --no-fund --loglevel=error)
exec timeout 900 node --test --test-concurrency=1 "$here"/*.test.mjs
