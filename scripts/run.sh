#!/usr/bin/env bash
# scripts/run.sh — install, build and run hearthd on its embedded defaults
# (memory engine, demo namespaces, http://127.0.0.1:8000/), keeping its state
# in ./hearth-data at the top of the source tree (delete it to start afresh).
# Extra arguments go to hearthd, e.g. `bash scripts/run.sh --config hearth.json`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
[ -d build ] || meson setup build --buildtype=release
ninja -C build hearthd
exec ./build/hearthd "$@"
