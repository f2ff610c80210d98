#!/usr/bin/env bash
# bench/redis-cross.sh [HEARTHD] [cross.mjs options...] — starts a throwaway
# redis-server and two hearthd nodes (engine "redis") on free loopback
# ports, runs bench/node/cross.mjs against them (publisher on node A,
# subscribers on node B), prints its JSON line, and stops everything.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hearthd=$(realpath "${1:-$here/../build/hearthd}")
shift || true
work=$(mktemp -d)
pids=()
cleanup() { # nodes first, then Redis
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; sleep 0.2; done
  wait 2>/dev/null || true; rm -rf "$work"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rp=$(port); pa=$(port); pb=$(port)
redis-server --port "$rp" --bind 127.0.0.1 --save '' --dir "$work" --logfile '' >/dev/null &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$rp" ping >/dev/null 2>&1 && break; sleep 0.1; done
cat >"$work/hearth.json" <<JSON
{"engine":"redis","redis_url":"redis://127.0.0.1:$rp","log_level":"warn",
 "client_command_rate":0,"max_connections_per_ip":0,
 "namespaces":[{"name":"chat","history_size":100,"history_ttl":300,"allow_publish":true},
               {"name":"nohist","allow_publish":true}]}
JSON
"$hearthd" --config "$work/hearth.json" --listen "127.0.0.1:$pa" & pids+=($!)
"$hearthd" --config "$work/hearth.json" --listen "127.0.0.1:$pb" & pids+=($!)
for p in "$pa" "$pb"; do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$p/health" >/dev/null && break; sleep 0.1; done
done
cd "$here/node"
[ -d node_modules/ws ] || npm ci --no-audit --no-fund --loglevel=error >/dev/null
node cross.mjs --pub-url "http://127.0.0.1:$pa" --sub-url "http://127.0.0.1:$pb" "$@"
