#!/usr/bin/env bash
# Canary Console: regenerate the real `redis-cli INFO` captures that canary-core's Redis tests
# parse (crates/canary-core/tests/fixtures/redis/, described in its README.md).
#
#   bash scripts/capture-redis-info.sh [OUT_DIR]     (default: crates/canary-core/tests/fixtures/redis)
#
# Starts a throw-away redis-server of its own, listening only on 127.0.0.1 on a free port, with
# no persistence (--save '' --appendonly no) and its working directory in a new /tmp directory,
# then writes three captures and stops that server (by its pid) and deletes the directory:
#
#   no-maxmemory.txt   `INFO` (the default sections): a few keys, maxmemory 0 (no limit)
#   evictions.txt      `INFO`: maxmemory 2mb, maxmemory-policy allkeys-lru, filled with ~5 MB of
#                      values so that keys were evicted (evicted_keys > 0)
#   near-75pct.txt     `INFO memory` only: maxmemory set to 4/3 of used_memory (~75 % used),
#                      policy noeviction, no evictions
#
# Byte counts, run ids, ops/s and the like differ on every run: the tests assert what the
# captures must show (no limit; evictions; a warning-level share), not exact numbers, except for
# the numbers read from the committed files themselves.
# Needs Debian's redis-server (redis-cli comes with it, from redis-tools).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_DIR="${1:-$ROOT/crates/canary-core/tests/fixtures/redis}"

log() { printf '[capture-redis-info] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

REDIS_SERVER="$(command -v redis-server)" || die "redis-server not found: apt-get install -y redis-server"
command -v redis-cli >/dev/null 2>&1 || die "redis-cli not found: apt-get install -y redis-tools"

WORK_DIR="$(mktemp -d /tmp/canary-redis.XXXXXX)"
SERVER_PID=""
PORT=""

cleanup() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK_DIR"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@"; }

# A free port can be taken between the probe and the bind: try a few.
start_server() {
  local attempt _
  for attempt in 1 2 3 4 5; do
    PORT="$(free_port)"
    # --daemonize no + `&`: the server is our child, so its pid is known and ours to stop. The
    # absolute path: INFO's `executable` is argv[0] joined to the working directory otherwise.
    "$REDIS_SERVER" --bind 127.0.0.1 --port "$PORT" --protected-mode yes \
      --save '' --appendonly no --daemonize no \
      --dir "$WORK_DIR" --logfile "$WORK_DIR/redis.log" &
    SERVER_PID=$!
    for _ in $(seq 1 50); do
      if [[ "$(cli PING 2>/dev/null || true)" == "PONG" ]]; then
        return 0
      fi
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    log "redis-server did not answer on 127.0.0.1:$PORT (attempt $attempt):"
    tail -n 5 "$WORK_DIR/redis.log" >&2 || true
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  done
  die "could not start redis-server"
}

# SETs N keys (prefix $1, count $2) with 1000-byte values, through one pipelined connection.
fill() {
  local prefix="$1" count="$2"
  awk -v p="$prefix" -v n="$count" 'BEGIN {
    v = sprintf("%1000s", ""); gsub(/ /, "x", v)
    for (i = 0; i < n; i++) printf "SET %s:%06d %s\r\n", p, i, v
  }' | cli --pipe >/dev/null
}

# The value of one `key:value` line of an INFO text (without the trailing CR).
info_value() { cli INFO "$1" | tr -d '\r' | sed -n "s/^$2://p"; }

# Starts from an empty data set with zeroed counters (evicted_keys, total_commands_processed).
reset() {
  cli FLUSHALL >/dev/null
  cli CONFIG SET maxmemory 0 >/dev/null
  cli CONFIG SET maxmemory-policy noeviction >/dev/null
  cli CONFIG RESETSTAT >/dev/null
}

# redis-cli writes the reply raw (CRLF line ends, as the server sends them) when stdout is not a
# terminal: the captures keep those bytes, since pasted INFO texts come with either line end.
capture() {
  local name="$1"
  shift
  cli "$@" >"$WORK_DIR/$name"
  mv "$WORK_DIR/$name" "$OUT_DIR/$name"
  log "wrote $OUT_DIR/$name ($(wc -l <"$OUT_DIR/$name") lines)"
}

mkdir -p "$OUT_DIR"
start_server
log "$("$REDIS_SERVER" --version) on 127.0.0.1:$PORT"

# 1. No limit: the default of a 64-bit server.
reset
fill plain 200
capture no-maxmemory.txt INFO

# 2. A 2 MB limit with LRU eviction, then far more data than fits: the server evicts keys.
reset
cli CONFIG SET maxmemory 2mb >/dev/null
cli CONFIG SET maxmemory-policy allkeys-lru >/dev/null
fill lru 5000
evicted="$(info_value stats evicted_keys)"
[[ "$evicted" =~ ^[0-9]+$ && "$evicted" -gt 0 ]] || die "expected evictions after filling past 2mb, evicted_keys=$evicted"
log "evicted_keys=$evicted"
capture evictions.txt INFO

# 3. A limit a third above what is used: ~75 % of maxmemory, between the 70 % warning and the
#    80 % critical level. Checked after the capture, since used_memory moves a little.
reset
fill warm 2000
used="$(info_value memory used_memory)"
cli CONFIG SET maxmemory "$((used * 4 / 3))" >/dev/null
capture near-75pct.txt INFO memory
read -r used max < <(tr -d '\r' <"$OUT_DIR/near-75pct.txt" | awk -F: '$1 == "used_memory" { u = $2 } $1 == "maxmemory" { m = $2 } END { print u, m }')
pct=$((used * 100 / max))
((pct > 70 && pct < 80)) || die "near-75pct.txt: used_memory is $pct % of maxmemory, expected 71-79 %: run again"
log "near-75pct.txt: used_memory $used of maxmemory $max (~$pct %)"
