#!/usr/bin/env bash
# bench/durable.sh [HEARTHD] — publishes per second through the durable store
# (engine memory + data_dir, issue 10): one room, one subscriber, publishers
# on the server API each with one request in flight (closed loop, so the
# figure is what the server acknowledges, i.e. commits). Runs 1 and 100
# publishers for data_dir "" (memory only), durable_sync "normal" and "full",
# each on a fresh data directory under a temp dir, from
# bench/configs/hearth-durable.json. Prints one RESULT line per point.
# Pinned like run.py: the server on CPU 0, the generator on CPU 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
hearthd=$(realpath "${1:-$here/../build-bench/hearthd}")
gen="$(dirname "$hearthd")/bench/hearth-bench"
seconds=${SECONDS_PER_POINT:-5}
tmp=$(mktemp -d /tmp/hearth-bench-durable-XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
pid=
for mode in memory normal full; do
  for pubs in 1 100; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    rm -rf "$tmp/data"
    python3 - "$here/configs/hearth-durable.json" "$tmp/hearth.json" "$mode" "$tmp/data" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c['data_dir'] = '' if sys.argv[3] == 'memory' else sys.argv[4]
c['durable_sync'] = 'normal' if sys.argv[3] == 'memory' else sys.argv[3]
json.dump(c, open(sys.argv[2], 'w'))
PY
    taskset -c 0 "$hearthd" --config "$tmp/hearth.json" --listen "127.0.0.1:$port" &
    pid=$!
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
    taskset -c 1 "$gen" --url "ws://127.0.0.1:$port/connection/websocket" \
      --pub api --pub-url "http://127.0.0.1:$port/api/publish" --api-key bench-key \
      --subs 1 --rooms 1 --pub-conns "$pubs" --rate 1000000 --seconds "$seconds" \
      --server-pid "$pid" --label "durable-$mode-pubs$pubs" --json --quiet | grep '^RESULT'
    kill "$pid"; wait "$pid" || true; pid=
  done
done
