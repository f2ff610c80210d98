#!/usr/bin/env bash
# tests/integration/run.sh HEARTHD — installs the suite's npm packages if
# needed and runs every tests/integration/*.test.mjs (node's test runner,
# one file at a time) against the given hearthd binary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export HEARTHD=$(realpath "${1:-$here/../../build/hearthd}")
cd "$here"
if [ ! -d node_modules/centrifuge ] || [ ! -d node_modules/ws ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec timeout 900 node --test --test-concurrency=1 "$here"/*.test.mjs
