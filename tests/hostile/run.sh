#!/usr/bin/env bash
# tests/hostile/run.sh HEARTHD — the hostile-peer suite: each file replays one
# family of attacks an anonymous peer can make (HTTP framing and slow bodies,
# non-reading clients, room-killing payloads, state growth, API amplification)
# against a real hearthd on loopback, bounded in count and time, and asserts
# that the server keeps serving, gives back what it took, and tells the peer
# the right error or close code. The files share tests/integration's harness
# and npm packages (lib/hearthd.mjs re-exports the SDK and ws).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export HEARTHD=$(realpath "${1:-$here/../../build/hearthd}")
[ -d "$here/../integration/node_modules/centrifuge" ] ||
  (cd "$here/../integration" && npm ci --no-audit --no-fund --loglevel=error)
cd "$here"
exec timeout 900 node --test --test-concurrency=1 "$here"/*.test.mjs
