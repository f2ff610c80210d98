#!/usr/bin/env bash
# bench/run.sh — the one command behind bench/results/<date>.md: installs the
# peers (bench/peers.sh), builds hearthd and hearth-bench in release mode
# (build-bench/), then runs every scenario against hearth and every peer
# (bench/run.py; ~20-30 min, bounded by a 40 min timeout). Extra arguments go
# to run.py, e.g. `bash bench/run.sh --only bcast1k --servers hearth-json,nchan`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test
bash bench/peers.sh
if [ -d build-bench ]; then meson setup --reconfigure build-bench --buildtype=release >/dev/null
else meson setup build-bench --buildtype=release >/dev/null; fi
nice ninja -C build-bench hearthd bench/hearth-bench
exec timeout 2400 python3 bench/run.py --hearthd build-bench/hearthd "$@"
