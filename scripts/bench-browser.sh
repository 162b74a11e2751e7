#!/usr/bin/env bash
# Canary Console: browser benchmark (headless Chromium on this machine).
#
#   bash scripts/bench-browser.sh
#
# Builds the site (trunk, release, offline), prints the .wasm size (raw and gzip -9; target
# <= 450 KB, i.e. 450,000 bytes, gzipped), serves dist/ on loopback and runs
# tests/e2e/browser-bench.mjs: demo numbers on screen after load, and time-range switches over
# 1,000,000 events.
#
#   bash scripts/bench-browser.sh supabase
#
# Also reads a whole day of demo events (about 1,000,000) from the local Supabase stand-in
# (scripts/supabase-local.sh, gzip on as Supabase serves it) in the page, through the exact
# read's functions (sql/006_exact_read.sql) and through the table (tests/e2e/supabase-bench.mjs):
# time to the numbers, bytes on the wire, requests and preflights. A few minutes on 2 cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE="${1:-}"
bash scripts/install-tools.sh app test >/dev/null
# shellcheck source=scripts/env.sh
source scripts/env.sh
cargo fetch --locked
if [[ "$MODE" == supabase ]]; then
  # The page may connect to the stand-in on loopback (scripts/csp-hook.py).
  export CANARY_CSP_CONNECT_SRC="http://127.0.0.1:*"
fi
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
if [[ "$MODE" == supabase ]]; then
  # shellcheck source=scripts/supabase-local.sh
  source scripts/supabase-local.sh
  trap 'kill "$HTTP_PID" 2>/dev/null || true; supabase_stop' EXIT
  cargo build --release -p canary-core --example demo_csv
  supabase_start
  PSQL_BIN="$CANARY_PG_BIN/psql"
  "$ROOT/target/release/examples/demo_csv" 1000000 >"$CANARY_SUPA_DIR/events.csv"
  "$PSQL_BIN" -X -q -v ON_ERROR_STOP=1 -d "$CANARY_SUPABASE_DB" \
    -c "truncate observability_events" \
    -c "\\copy observability_events from '$CANARY_SUPA_DIR/events.csv' with (format csv, header true)" \
    -c "analyze observability_events"
  CANARY_SITE_URL="http://127.0.0.1:$PORT/" CANARY_PSQL="$PSQL_BIN" node tests/e2e/supabase-bench.mjs
  exit 0
fi
CANARY_SITE_URL="http://127.0.0.1:$PORT/" node tests/e2e/browser-bench.mjs
