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
# Loopback runs at millions of packets/s overflow the kernel's per-CPU input
# backlog (net.core.netdev_max_backlog, 1000 by default; see the "dropped"
# column of /proc/net/softnet_stat): a dropped segment comes back only after a
# >= 200 ms retransmission timeout, which shows up as a latency spike for
# whichever server is being measured. Raise it for the run (the same for every
# server) and put it back afterwards.
old_backlog=$(sysctl -n net.core.netdev_max_backlog 2>/dev/null || echo "")
if [ -n "$old_backlog" ] && [ "$old_backlog" -lt 30000 ]; then
  if sysctl -qw net.core.netdev_max_backlog=30000 2>/dev/null; then
    trap 'sysctl -qw net.core.netdev_max_backlog='"$old_backlog" EXIT
  fi
fi
timeout 2400 python3 bench/run.py --hearthd build-bench/hearthd "$@"
