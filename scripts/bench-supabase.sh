#!/usr/bin/env bash
# Canary Console: the Supabase read benchmark.
#
#   bash scripts/bench-supabase.sh
#
# Starts the local Supabase stand-in (scripts/supabase-local.sh: PostgreSQL 15 + PostgREST
# 12.0.2 + nginx on loopback; stopped on exit, also on failure), loads ~200,000 demo events and
# runs crates/canary-report/examples/bench_supabase.rs:
#   - bytes per event on the wire and total time of the console's read (per-type select, short
#     aliases, text/csv; and the same as JSON) against plain `select=*` JSON in keyset pages;
#   - an incremental refresh after 1,000 new rows against the full read.
# Targets: <= 1/3 of the bytes of select=* JSON; refresh <= 1/50 of the full read.
# About a minute on 2 cores after the build. The log is kept in target/bench-logs/supabase.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source scripts/env.sh
bash scripts/install-tools.sh bench
# shellcheck source=scripts/supabase-local.sh
source scripts/supabase-local.sh
trap supabase_stop EXIT

LOG_DIR="$ROOT/target/bench-logs"
mkdir -p "$LOG_DIR"
cargo build --release -p canary-report --example bench_supabase
supabase_start
"$ROOT/target/release/examples/bench_supabase" 2>&1 | tee "$LOG_DIR/supabase.log"
