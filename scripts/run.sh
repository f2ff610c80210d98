#!/usr/bin/env bash
# scripts/run.sh — install, build and run hearthd on its embedded defaults
# (memory engine, demo namespaces, http://127.0.0.1:8000/ with the pages of
# web/: / the member's live room, /host the host console, /insights the
# community dashboard), keeping its state in ./hearth-data at the top of the
# source tree (delete it to start afresh). Extra arguments go
# to hearthd, e.g. `bash scripts/run.sh --config hearth.json`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/web.sh # the pages' SDK and chart library into web/vendor/
[ -d build ] || meson setup build --buildtype=release
ninja -C build hearthd
exec ./build/hearthd "$@"
