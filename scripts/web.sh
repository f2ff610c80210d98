#!/usr/bin/env bash
# scripts/web.sh — installs the browser libraries the pages in web/ use (the
# official `centrifuge` SDK and uPlot, pinned by scripts/web/package-lock.json)
# with npm and copies their built files into web/vendor/, where hearthd serves
# them (/vendor/centrifuge.js, /vendor/uPlot.iife.min.js, /vendor/uPlot.min.css).
# Neither node_modules nor web/vendor/ is committed. Cheap when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=scripts/web
if [ ! -f "$pkg/node_modules/centrifuge/dist/centrifuge.js" ] || [ ! -f "$pkg/node_modules/uplot/dist/uPlot.iife.min.js" ] \
   || [ "$pkg/package-lock.json" -nt "$pkg/node_modules/.package-lock.json" ]; then
  (cd "$pkg" && npm ci --no-audit --no-fund --loglevel=error)
fi
mkdir -p web/vendor
cp "$pkg/node_modules/centrifuge/dist/centrifuge.js" "$pkg/node_modules/centrifuge/dist/centrifuge.js.map" web/vendor/
cp "$pkg/node_modules/uplot/dist/uPlot.iife.min.js" "$pkg/node_modules/uplot/dist/uPlot.min.css" web/vendor/
