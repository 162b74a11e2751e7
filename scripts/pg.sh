# shellcheck shell=bash
# Canary Console: a throw-away PostgreSQL cluster for tests and benchmarks.
#
# Source it and call the functions (pair pg_stop with a trap on EXIT):
#
#   source scripts/pg.sh
#   trap pg_stop EXIT
#   pg_start        # exports CANARY_TEST_PG (libpq URI) and PGHOST PGPORT PGUSER PGDATABASE
#   ...             # psql / cargo test / benchmarks
#   pg_stop         # stops the server and deletes its directory (safe to call twice)
#
# Or run it:  bash scripts/pg.sh check        start, SELECT version(), stop
#             bash scripts/pg.sh run CMD...   run CMD with a cluster up, stop it afterwards
#
# The cluster lives in a new directory under /tmp, listens only on 127.0.0.1 on a free port
# (plus a Unix socket in its own directory), trusts every local connection, skips fsync, and
# has a database `canary` owned by the superuser `postgres`. As root, initdb and the server run
# as the OS user `postgres` (the Debian package creates it), since PostgreSQL refuses root.
# Needs Debian's `postgresql` (15): bash scripts/install-tools.sh bench.

CANARY_PG_VERSION="${CANARY_PG_VERSION:-15}"
CANARY_PG_BIN="${CANARY_PG_BIN:-/usr/lib/postgresql/$CANARY_PG_VERSION/bin}"
CANARY_PG_DB="${CANARY_PG_DB:-canary}"
CANARY_PG_DIR="${CANARY_PG_DIR:-}" # directory of the running cluster; empty when none

_pg_log() { printf '[pg] %s\n' "$*" >&2; }

# Runs "$@" as the cluster's owner, from the cluster directory (the caller's may be unreadable).
_pg_as_owner() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$CANARY_PG_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$CANARY_PG_DIR" && "$@")
  fi
}

_pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_start() {
  if [[ -n "$CANARY_PG_DIR" && -f "$CANARY_PG_DIR/data/postmaster.pid" ]]; then
    _pg_log "already running on 127.0.0.1:${PGPORT:-?} ($CANARY_PG_DIR)"
    return 0
  fi
  if [[ ! -x "$CANARY_PG_BIN/initdb" || ! -x "$CANARY_PG_BIN/pg_ctl" ]]; then
    _pg_log "PostgreSQL $CANARY_PG_VERSION not found in $CANARY_PG_BIN: run 'bash scripts/install-tools.sh bench' (Debian package postgresql)"
    return 1
  fi
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    _pg_log "running as root but there is no OS user 'postgres' to own the cluster (reinstall Debian's postgresql)"
    return 1
  fi
  CANARY_PG_DIR="$(mktemp -d /tmp/canary-pg.XXXXXX)" || return 1
  if [[ $EUID -eq 0 ]]; then
    chown postgres:postgres "$CANARY_PG_DIR" || return 1
  fi
  chmod 700 "$CANARY_PG_DIR"

  if ! _pg_as_owner "$CANARY_PG_BIN/initdb" -D "$CANARY_PG_DIR/data" -U postgres -A trust \
    -E UTF8 --locale=C --no-sync >"$CANARY_PG_DIR/initdb.log" 2>&1; then
    _pg_log "initdb failed:"
    cat "$CANARY_PG_DIR/initdb.log" >&2
    return 1
  fi

  # pg_cron (Debian postgresql-15-cron) runs sql/004_rollups.sql's refresh every minute where it is
  # installed: preloaded, in background workers (no connection settings needed), for the database.
  local cron_opts=""
  if [[ -f "$(dirname "$CANARY_PG_BIN")/lib/pg_cron.so" ]]; then
    cron_opts="-c shared_preload_libraries=pg_cron -c cron.database_name=$CANARY_PG_DB -c cron.use_background_workers=on -c max_worker_processes=20"
  fi

  # A free port can be taken between the probe and the bind: try a few.
  local port="" attempt
  for attempt in 1 2 3 4 5; do
    port="$(_pg_free_port)" || return 1
    if _pg_as_owner "$CANARY_PG_BIN/pg_ctl" -D "$CANARY_PG_DIR/data" -l "$CANARY_PG_DIR/server.log" \
      -w -t 60 -s -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$CANARY_PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off $cron_opts" \
      start >/dev/null 2>&1; then
      break
    fi
    _pg_log "start on port $port failed (attempt $attempt):"
    tail -n 5 "$CANARY_PG_DIR/server.log" >&2 || true
    port=""
  done
  if [[ -z "$port" ]]; then
    _pg_log "could not start PostgreSQL; log: $CANARY_PG_DIR/server.log"
    return 1
  fi

  export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=postgres PGDATABASE="$CANARY_PG_DB"
  if ! "$CANARY_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "CREATE DATABASE \"$CANARY_PG_DB\"" >/dev/null; then
    _pg_log "CREATE DATABASE $CANARY_PG_DB failed"
    return 1
  fi
  export CANARY_TEST_PG="postgresql://postgres@127.0.0.1:$port/$CANARY_PG_DB"
  export CANARY_PG_DIR
  _pg_log "PostgreSQL $CANARY_PG_VERSION up: CANARY_TEST_PG=$CANARY_TEST_PG (data in $CANARY_PG_DIR)"
}

pg_stop() {
  local dir="$CANARY_PG_DIR"
  [[ -n "$dir" ]] || return 0
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    if ! _pg_as_owner "$CANARY_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 -s stop >/dev/null 2>&1; then
      # pg_ctl could not stop it: end the postmaster we started, by its pid.
      local pid
      pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
      if [[ "$pid" =~ ^[0-9]+$ ]]; then
        _pg_log "pg_ctl stop failed; sending SIGQUIT to postmaster $pid"
        kill -QUIT "$pid" 2>/dev/null || true
        sleep 1
      fi
    fi
  fi
  rm -rf "$dir"
  CANARY_PG_DIR=""
  unset CANARY_TEST_PG PGHOST PGPORT PGUSER PGDATABASE
  _pg_log "PostgreSQL stopped"
}

# Executed rather than sourced: a small command-line front end.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  case "${1:-}" in
    check)
      trap pg_stop EXIT
      pg_start
      "$CANARY_PG_BIN/psql" -X -A -t -c "SELECT version()"
      ;;
    run)
      shift
      (($# > 0)) || {
        echo "usage: bash scripts/pg.sh run CMD [ARG...]" >&2
        exit 2
      }
      trap pg_stop EXIT
      pg_start
      "$@"
      ;;
    *)
      echo "usage: bash scripts/pg.sh check | run CMD [ARG...]   (or: source scripts/pg.sh; pg_start; pg_stop)" >&2
      exit 2
      ;;
  esac
fi
