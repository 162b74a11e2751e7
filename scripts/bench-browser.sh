#!/usr/bin/env bash
# Canary Console: browser benchmark (headless Chromium on this machine).
#
#   bash scripts/bench-browser.sh
#
# Builds the site (trunk, release, offline), prints the .wasm size (raw and gzip -9; target
# <= 450 KB, i.e. 450,000 bytes, gzipped), serves dist/ on loopback and runs
# tests/e2e/browser-bench.mjs: demo numbers on screen after load, and time-range switches over
# 1,000,000 events.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install-tools.sh app test >/dev/null
# shellcheck source=scripts/env.sh
source scripts/env.sh
cargo fetch --locked
trunk build --release --offline
for wasm in dist/*.wasm; do
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  # 450 KB read strictly: 450,000 bytes (KiB printed too).
  awk -v name="$(basename "$wasm")" -v raw="$raw" -v gz="$gz" 'BEGIN {
    printf "[bench-browser] %s: %d bytes, gzipped %d bytes (%.1f kB, %.1f KiB); target <= 450 KB (450,000 bytes) gzipped: %s\n",
      name, raw, gz, gz / 1000, gz / 1024, (gz <= 450000 ? "met" : "NOT met") }'
done
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
python3 -m http.server --bind 127.0.0.1 --directory dist "$PORT" >/dev/null 2>&1 &
HTTP_PID=$!
trap 'kill "$HTTP_PID" 2>/dev/null || true' EXIT
sleep 0.5
CANARY_SITE_URL="http://127.0.0.1:$PORT/" node tests/e2e/browser-bench.mjs
