#!/usr/bin/env bash
# Canary Console: benchmark of the database's rollups (sql/004_rollups.sql).
#
#   bash scripts/bench-rollups.sh [EVENTS]     (default 30000000; README: Benchmarks)
#
# On the local Supabase stand-in (PostgreSQL 15 with pg_cron + PostgREST 12.0.2 behind nginx,
# scripts/supabase-local.sh) it generates EVENTS rows over the 7 days before the current hour
# with one generate_series statement (60 % requests on 6 endpoints, 10 % of them canary; 30 %
# cache lookups, 5 % misses, 4 % mem0 writes, a few breaker transitions; log-normal latencies),
# rolls them up once, then measures:
#   1. each rollup RPC over the last 1 h, 24 h, 7 d and the whole rollout through the gateway
#      (time; bytes uncompressed and gzipped: the local gateway does not compress, Supabase's does);
#   2. canary-report metrics on the rollup path for those windows (wall time), and its P50/P95/P99
#      against PostgreSQL's percentile_cont on the same rows (and percentile_cont's own time);
#   3. the refresh job's database time (each run in a new session, as pg_cron starts it) for one
#      minute of 1,000 events/s (60,000 rows), for an hour's 60 minutes re-rolled, and for the
#      run that closes an hour (the hourly level only).
# The job is unscheduled during the run so that it never competes with the measurements.
# Output: a summary on stdout, details in target/bench-logs/rollups.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EVENTS="${1:-30000000}"
LOG_DIR="$ROOT/target/bench-logs"
mkdir -p "$LOG_DIR"
LOG="$LOG_DIR/rollups.log"
: >"$LOG"

# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
# shellcheck source=scripts/supabase-local.sh
source "$ROOT/scripts/supabase-local.sh"
trap supabase_stop EXIT
supabase_start

PSQL=("$CANARY_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "$CANARY_SUPABASE_DB")
sql() { "${PSQL[@]}" -c "SET TIME ZONE 'UTC'" -c "$1"; }
# Milliseconds of one statement, as psql's \timing reports it (the server's time plus loopback).
sql_ms() {
  "${PSQL[@]}" -c '\timing on' -c "$1" | awk '/^Time: /{print $2}' | tail -n 1
}
log() { printf '%s\n' "$*" | tee -a "$LOG"; }

cargo build --release --bin canary-report >>"$LOG" 2>&1
CLI="$ROOT/target/release/canary-report"

sql "select cron.unschedule('canary-refresh-rollups');" >/dev/null
END="$(sql "select date_bin('1 hour', now(), 'epoch'::timestamptz)")"
log "generating $EVENTS events over the 7 days before $END"
GEN_MS="$(sql_ms "
select setseed(0.42);
insert into observability_events (event_type, success, cache_hit, processing_time_ms, cache_key, details, created_at)
select case when k < 60 then 'request_completed' when k < 90 then 'cache_access' when k < 95 then 'cache_miss'
            when k < 99 or g % 50000 <> 0 then 'mem0_write' else 'circuit_breaker_state_change' end,
       case when k < 60 then random() > 0.004 when k >= 95 then random() > 0.003 end,
       case when k >= 60 and k < 90 then random() > 0.06 when k >= 90 and k < 95 then false end,
       case when k < 60 then exp(5.3 + 0.6 * sqrt(-2 * ln(greatest(random(), 1e-12))) * cos(6.283185307179586 * random()))
            when k < 95 then 2 + 40 * random() else 300 + 900 * random() end,
       case when k >= 60 and k < 95 then 'user:' || (g % 20000) || ':profile' end,
       case when k < 60 then jsonb_build_object('endpoint', (array['/api/chat','/api/search','/api/profile','/api/history','/api/upload','/health'])[1 + g % 6],
                                                'canary', g % 10 = 0, 'error_type', 'SupabaseAPIError')
            when k < 95 then jsonb_build_object('cache_key_prefix', (array['user','session','appointment','doc'])[1 + g % 4])
            when k < 99 or g % 50000 <> 0 then jsonb_build_object('error_type', 'Mem0APIError')
            else jsonb_build_object('state', (array['half_open','open','closed'])[1 + (g / 50000) % 3], 'failure_count', 5, 'success_count', 0) end,
       timestamptz '$END' - interval '7 days' + (g::float8 / $EVENTS) * interval '7 days'
from (select g, (g * 7919) % 100 as k from generate_series(0::bigint, $EVENTS - 1) g) s;")"
log "  loaded in $(awk -v ms="$GEN_MS" 'BEGIN{printf "%.1f s", ms/1000}')"
sql "analyze observability_events;" >/dev/null
SIZE="$(sql "select pg_size_pretty(pg_total_relation_size('observability_events'))")"
ROLL_MS="$(sql_ms "select canary_private.refresh_rollups(0);")"
ROLL_SIZE="$(sql "select pg_size_pretty(pg_total_relation_size('canary_rollup_minute') + pg_total_relation_size('canary_rollup_hour'))")"
MINUTE_ROWS="$(sql "select count(*) from canary_rollup_minute")"
HOUR_ROWS="$(sql "select count(*) from canary_rollup_hour")"
log "  table $SIZE; first roll-up of every row: $(awk -v ms="$ROLL_MS" 'BEGIN{printf "%.1f s", ms/1000}'); rollups $ROLL_SIZE ($MINUTE_ROWS minute rows, $HOUR_ROWS hour rows)"

# The windows: whole minutes ending at the data's end.
iso() { sql "select to_char(timestamptz '$1', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"; }
TO="$(iso "$END")"
declare -A FROM
FROM[1h]="$(iso "$(sql "select timestamptz '$END' - interval '1 hour'")")"
FROM[24h]="$(iso "$(sql "select timestamptz '$END' - interval '24 hours'")")"
FROM[7d]="$(iso "$(sql "select timestamptz '$END' - interval '7 days'")")"
EXTENT="$(curl -s "$CANARY_SUPABASE_URL/rest/v1/rpc/canary_rollup_extent" -H "apikey: $CANARY_SUPABASE_ANON_KEY" -H "Authorization: Bearer $CANARY_SUPABASE_USER_TOKEN")"
WHOLE_FROM="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["from"].replace("+00:00","Z"))' "$EXTENT")"
WHOLE_TO="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["to"].replace("+00:00","Z"))' "$EXTENT")"
log ""
log "| window | rows | RPC | time | on the wire (gzip) | uncompressed |"
log "|---|---|---|---|---|---|"
for w in 1h 24h 7d whole; do
  if [[ $w == whole ]]; then from="$WHOLE_FROM" to="$WHOLE_TO"; else from="${FROM[$w]}" to="$TO"; fi
  rows="$(sql "select count(*) from observability_events where created_at >= '$from' and created_at < '$to'")"
  total_ms=0 total_gz=0 total_raw=0
  for rpc in canary_rollup_totals canary_rollup_minutes canary_window_groups canary_exact_rows; do
    url="$CANARY_SUPABASE_URL/rest/v1/rpc/$rpc?p_from=$from&p_to=$to"
    # Median of 3 (the first also warms the caches). The local gateway does not compress, so
    # the bytes on the wire are the body gzipped here (gzip -6), as Supabase's gateway sends it.
    t="$(for _ in 1 2 3; do
      curl -s -o /dev/null -w '%{time_total}\n' "$url" \
        -H "apikey: $CANARY_SUPABASE_ANON_KEY" -H "Authorization: Bearer $CANARY_SUPABASE_USER_TOKEN" ||
        echo "curl failed ($?) on $url" >>"$LOG"
    done | sort -n | sed -n 2p)"
    status="$(curl -s -o "$LOG_DIR/rpc-body.json" -w '%{http_code}' "$url" \
      -H "apikey: $CANARY_SUPABASE_ANON_KEY" -H "Authorization: Bearer $CANARY_SUPABASE_USER_TOKEN")" ||
      status="curl failed ($?)"
    [[ "$status" == 200 ]] || log "  $rpc over $w answered: $status ($(head -c 300 "$LOG_DIR/rpc-body.json"))"
    raw="$(wc -c <"$LOG_DIR/rpc-body.json")"
    gz="$(gzip -6 -c "$LOG_DIR/rpc-body.json" | wc -c)"
    ms="$(awk -v t="$t" 'BEGIN{printf "%.0f", t*1000}')"
    log "| $w | $rows | $rpc | $ms ms | $gz B | $raw B |"
    total_ms=$((total_ms + ms)) total_gz=$((total_gz + gz)) total_raw=$((total_raw + raw))
  done
  log "| $w | $rows | **all four** | **$total_ms ms** | **$total_gz B** | $total_raw B |"
done

log ""
log "| window | canary-report metrics (rollup path), wall | P50 / P95 / P99 from rollups | percentile_cont | largest relative difference | percentile_cont time |"
log "|---|---|---|---|---|---|"
for w in 1h 24h 7d whole; do
  if [[ $w == whole ]]; then from="$WHOLE_FROM" to="$WHOLE_TO"; else from="${FROM[$w]}" to="$TO"; fi
  start=$(date +%s%N)
  json="$(SUPABASE_ANON_KEY="$CANARY_SUPABASE_ANON_KEY" SUPABASE_ACCESS_TOKEN="$CANARY_SUPABASE_USER_TOKEN" \
    CANARY_EXACT_ROWS_LIMIT=0 "$CLI" metrics --supabase-url "$CANARY_SUPABASE_URL" --from "$from" --to "$to" --json 2>>"$LOG")"
  wall=$((($(date +%s%N) - start) / 1000000))
  exact_ms="$(sql_ms "select percentile_cont(array[0.5, 0.95, 0.99]) within group (order by processing_time_ms) from observability_events where event_type = 'request_completed' and created_at >= '$from' and created_at < '$to'")"
  exact="$(sql "select array_to_string(percentile_cont(array[0.5, 0.95, 0.99]) within group (order by processing_time_ms), ' ') from observability_events where event_type = 'request_completed' and created_at >= '$from' and created_at < '$to'")"
  python3 - "$w" "$wall" "$exact_ms" "$exact" "$json" <<'PY' | tee -a "$LOG"
import json, sys
w, wall, exact_ms, exact, doc = sys.argv[1:]
lat = json.loads(doc)["latency"]
est = [lat["p50_ms"], lat["p95_ms"], lat["p99_ms"]]
ref = [float(x) for x in exact.split()]
worst = max(abs(e - r) / abs(r) for e, r in zip(est, ref))
fmt = lambda v: " / ".join(f"{x:.2f}" for x in v)
assert lat["exact"] is False and lat["relative_error"] == 0.01
print(f"| {w} | {wall} ms | {fmt(est)} ms | {fmt(ref)} ms | {worst * 100:.3f} % | {float(exact_ms):.0f} ms |")
if worst > 0.01:
    sys.exit(f"{w}: a percentile is {worst:.2%} off percentile_cont, over the 1 % bound")
PY
done

# The job at 1,000 events/s: one minute of 60,000 rows after the data, then the refresh that
# rolls that minute up (the marks of the insert; the last two minutes are empty).
log ""
JOB=()
for i in 1 2 3 4 5; do
  minute="$(sql "select timestamptz '$END' + interval '$((i * 3)) minutes'")"
  sql "insert into observability_events (event_type, success, cache_hit, processing_time_ms, details, created_at)
       select case when g % 20 < 12 then 'request_completed' when g % 20 < 18 then 'cache_access' when g % 20 = 18 then 'cache_miss' else 'mem0_write' end,
              g % 250 <> 0, g % 20 <> 13, exp(5 + (g % 1000) / 400.0),
              jsonb_build_object('endpoint', '/api/' || (g % 6), 'cache_key_prefix', 'p' || (g % 4), 'canary', g % 10 = 0),
              timestamptz '$minute' + g * interval '1 millisecond'
       from generate_series(0, 59999) g;" >/dev/null
  JOB+=("$(sql_ms "select canary_private.refresh_rollups();")")
done
log "refresh job, one minute of 60,000 rows (1,000 events/s), 5 runs: ${JOB[*]} ms"
# The hourly level: one hour recomputed from its minute rows.
HOUR_MS="$(sql_ms "insert into canary_private.rollup_dirty select generate_series(timestamptz '$END' - interval '2 hours', timestamptz '$END' - interval '61 minutes', interval '1 minute');
  select canary_private.refresh_rollups(0);")"
log "one hour of $((EVENTS / 168)) rows re-rolled (60 minutes and their hour): $HOUR_MS ms"
# The run that closes an hour: the hourly level of the last hour from its 60 minute rows.
CLOSE=()
for i in 1 2 3; do
  sql "update canary_private.rollup_state set hours_complete = date_bin('1 hour', now(), 'epoch'::timestamptz) - interval '1 hour';" >/dev/null
  CLOSE+=("$(sql_ms "select canary_private.refresh_rollups();")")
done
log "the run that closes an hour (its hourly rows from 60 minutes), 3 runs: ${CLOSE[*]} ms"
log ""
log "details: $LOG"
