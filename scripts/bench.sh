#!/usr/bin/env bash
# Canary Console: benchmarks of the core on 1,000,000 demo events, against PostgreSQL 15.
#
#   bash scripts/bench.sh [CRITERION ARGS...]     e.g. bash scripts/bench.sh read_csv
#
# Starts a throw-away PostgreSQL (scripts/pg.sh; stopped on exit, also on failure), sets
# CANARY_BENCH_PG and runs `cargo bench -p canary-core --bench core`:
#   (a) read::read_csv of the CSV text, (b) metrics::compute over the whole window,
#   (c) series::compute per minute, the store's bytes per event, and PostgreSQL's time for the
#   guide's percentile_cont-by-endpoint query on the same rows with the ratio
#   (core all-metrics time) / (PostgreSQL time), target <= 0.2.
# Takes about 1-2 minutes on 2 cores (plus the first build). The full log is kept in
# target/bench-logs/core.log; the figures are printed again at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# shellcheck source=scripts/env.sh
[[ -f scripts/env.sh ]] && source scripts/env.sh

LOG_DIR="$ROOT/target/bench-logs"
mkdir -p "$LOG_DIR"
LOG="$LOG_DIR/core.log"

if [[ -f scripts/pg.sh ]]; then
  # shellcheck source=scripts/pg.sh
  source scripts/pg.sh
  trap pg_stop EXIT
  pg_start
else
  # No scripts/pg.sh: a minimal throw-away cluster of our own (Debian's postgresql 15).
  PG_BIN="${CANARY_PG_BIN:-/usr/lib/postgresql/15/bin}"
  [[ -x "$PG_BIN/initdb" ]] || {
    echo "bench.sh: PostgreSQL 15 not found in $PG_BIN (apt-get install postgresql)" >&2
    exit 1
  }
  PG_DIR="$(mktemp -d /tmp/canary-bench-pg.XXXXXX)"
  as_owner() {
    if [[ $EUID -eq 0 ]]; then (cd "$PG_DIR" && runuser -u postgres -- "$@"); else (cd "$PG_DIR" && "$@"); fi
  }
  [[ $EUID -eq 0 ]] && chown postgres:postgres "$PG_DIR"
  stop_pg() {
    as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w -s stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  }
  trap stop_pg EXIT
  PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
  as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log"
  as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -s \
    -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$PG_DIR -c fsync=off" start
  export PGHOST=127.0.0.1 PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres
  export CANARY_TEST_PG="postgresql://postgres@127.0.0.1:$PORT/postgres"
fi

export CANARY_BENCH_PG="$CANARY_TEST_PG"
echo "bench.sh: PostgreSQL at $CANARY_BENCH_PG"

cargo bench -p canary-core --bench core -- "$@" 2>&1 | tee "$LOG"

echo
echo "=== figures (full log: target/bench-logs/core.log) ==="
grep -E '^\[bench\]' "$LOG" || true
# Criterion's estimates: `name  time: [low median high]` (the name may be on the line before).
awk '/^core_/ { name = $1 } /time:/ { sub(/.*time: */, ""); print "  " name "  " $0 }' "$LOG"
