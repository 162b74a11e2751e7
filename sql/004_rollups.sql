-- Canary Console: rollups of observability_events kept by the database, so that a whole rollout
-- (tens of millions of rows) is read as a few hundred KB: per-minute and per-hour exact counters
-- and a latency histogram with a guaranteed relative error (docs/metrics.md#rollups-and-the-latency-histogram).
-- Upgrades a database that ran 001–003; safe to run more than once. Apply it in Supabase's SQL
-- editor (or with `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/004_rollups.sql`).
--
-- How they stay right:
--   * every insert, update or delete of events marks the minutes it touched (a statement
--     trigger appends them to canary_private.rollup_dirty, committed with the rows), and
--     canary_private.refresh_rollups() recomputes only the marked minutes from the rows (one
--     index range per run of consecutive minutes), their alert sample buckets, and the hours
--     above them once those hours have ended. A late commit, or a row dated days back, marks
--     its own minute: nothing is missed and the result equals a recomputation from scratch
--     (canary_private.rebuild_rollups()). TRUNCATE is not tracked: rebuild after one.
--   * pg_cron (Supabase Cron) runs the refresh every minute when the extension is available
--     (Supabase: Database → Extensions → pg_cron); without it, schedule
--     `select canary_private.refresh_rollups()` every minute some other way.
--
-- Who reads what: the rollup tables have Row Level Security like the events (team members only,
-- sql/002_team_access.sql); the RPCs below are `security invoker`, so they read with the
-- caller's rights and policies: a non-member gets no rows from them either.
--
-- The RPCs (PostgREST: GET /rest/v1/rpc/<name>?p_from=…&p_to=… (they are stable) or POST with
-- a JSON body; times are timestamptz text, windows half-open [p_from, p_to)). Each returns one
-- JSON value (an array of objects where rows are listed), so Supabase's cap on the rows of an
-- answer (db-max-rows, 1000 by default) never cuts one short:
--
--   canary_rollup_totals(p_from, p_to)   whole minutes only (else error 22023)
--     → [{event_type, label, cohort, <counters>, hist_keys, hist_counts}]: one per event
--       type, label and cohort, summed over the window (hours where whole hours fit, minutes at
--       the edges). label: details->>'endpoint' of requests, details->>'cache_key_prefix' of
--       cache lookups, else null; cohort: details.canary where it is a JSON boolean, else null.
--   canary_rollup_minutes(p_from, p_to)  whole minutes only
--     → [[minute_end, event_type, events, successes, failures, hits, misses, time_min,
--       time_max, hist, cohort]] for request_completed, cache_access and mem0_write: one array
--       per minute (minute_end − 1 min, minute_end] (the buckets of the alert samples), event
--       type and cohort, labels merged, holding only what the windowed alert rules and the
--       cohort rules read (docs/metrics.md#alerts): minute_end in Unix seconds; time_min,
--       time_max (finite times) and hist for requests only (null and [] otherwise); hist the
--       latency histogram run-length coded (canary_private.histogram_runs); cohort as in the
--       totals. Arrays, not objects: a week of them is a few MB gzipped.
--   <counters> = events, successes, failures, hits, misses, times, null_times,
--       nonfinite_times, negative_times, slow, time_sum, time_min, time_max, miss_times,
--       miss_time_sum (docs/metrics.md#rollups-and-the-latency-histogram; bigint and double
--       precision; time_min/time_max null without a finite time).
--   hist_keys integer[], hist_counts bigint[]: the latency histogram of request_completed rows
--       (bucket keys ascending, canary_private.latency_bucket), empty for other types.
--   canary_window_groups(p_from, p_to)   any window → json {errors_by_type: [{error_type,
--       error_message, occurrences, last_seen}], mem0_failures_by_type: [{error_type, failures,
--       avg_time_ms, last_failure}], last_1000_requests: {requests, failures}}: exact.
--   canary_exact_rows(p_from, p_to)      any window → [rows of observability_events]: every
--       circuit-breaker transition before p_to, and the cache_miss rows in the window of the
--       keys with more than 10 misses inside some 15 minutes (stampede candidates).
--   canary_rollup_extent()               → json {from, to, events}: the whole minutes holding
--       rolled-up rows (from inclusive, to exclusive) and how many rows they hold.

create schema if not exists canary_private;
revoke all on schema canary_private from public;
grant usage on schema canary_private to authenticated;

-- ------------------------------------------------------------------------- the bucket key
-- docs/metrics.md#rollups-and-the-latency-histogram: from the IEEE 754 bits of a double (or
-- exact comparisons with the doubles that bound the buckets), never from a logarithm, so that it
-- equals canary_engine::histogram::bucket_key for every value.

create or replace function canary_private.float8_bits(v double precision)
returns bigint
language sql immutable parallel safe
as $$ select ('x' || encode(float8send(v), 'hex'))::bit(64)::bigint $$;

-- The mantissa bits of the doubles nearest to 2^(j/64), j = 0…63 (MANTISSA_BOUNDS in the code).
create or replace function canary_private.latency_bucket_of_bits(b bigint)
returns integer
language sql immutable parallel safe
as $$
  select case
    when (b >> 52) & 2047 = 2047 then null
    when (b >> 52) & 2047 = 0 then 0
    else (case when b < 0 then -1 else 1 end)
       * (100000 + 64 * (((b >> 52) & 2047)::integer - 1023)
          + width_bucket(b & 4503599627370495,
              '{0,49040984604769,98615990519156,148730832853960,199391390042383,250603604529570,302373483469649,354707099430368,407610591105403,461090164034421,515152091330986,569802714418390,625048443773496,680895759678685,737351212981985,794421425865483,852113092622101,910432980440831,969387930200523,1028984857272311,1089230752330786,1150132682173994,1211697790552365,1273933299006672,1336846507715111,1400444796349607,1464735624941442,1529726534756314,1595425149178921,1661839174607176,1728976401356165,1796844704571941,1865452045155277,1934806470695471,2004916116414324,2075789206120393,2147434053173639,2219859061460578,2293072726380051,2367083635839725,2441900471263451,2517532008609590,2593987119400421,2671274771762768,2749404031479952,2828384063055205,2908224130786653,2988933599854015,3070521937417133,3152998713726459,3236373603245639,3320656385786322,3405856947655324,3491985282814283,3579051494051945,3667065794169212,3756038507177095,3845980069507717,3936901031238495,4028812057329654,4121723928875226,4215647544367655,4310593920976192,4406574195839192}'::bigint[]) - 1)
  end
$$;

-- The lower bounds of the buckets of [2^-20, 2^30) ms (about a microsecond to twelve days):
-- 2^e · (1 + M[j]/2^52), each an exact double, so comparing a value with them decides its
-- bucket exactly as its bits do. Immutable without arguments: the planner folds it into a
-- constant once per statement.
create or replace function canary_private.latency_bounds()
returns double precision[]
language sql immutable parallel safe
set search_path = ''
as $$
  select array_agg(power(2::float8, e) * b order by e, j)
  from generate_series(-20, 29) e,
       unnest('{1.0,1.0108892860517005,1.0218971486541166,1.0330248790212284,1.0442737824274138,1.0556451783605572,1.0671404006768237,1.0787607977571199,1.0905077326652577,1.102382583307841,1.1143867425958924,1.1265216186082418,1.1387886347566916,1.1511892299529827,1.1637248587775775,1.1763969916502812,1.189207115002721,1.202156731452703,1.215247359980469,1.22848053610687,1.241857812073484,1.255380757024691,1.2690509571917332,1.2828700160787783,1.2968395546510096,1.3109612115247644,1.3252366431597413,1.339667524053303,1.3542555469368927,1.3690024229745905,1.383909881963832,1.3989796725383112,1.4142135623730951,1.42961333839197,1.4451808069770467,1.460917794180647,1.4768261459394993,1.4929077282912648,1.5091644275934228,1.5255981507445384,1.5422108254079407,1.559004400237837,1.5759808451078865,1.593142151342267,1.6104903319492543,1.6280274218573478,1.645755478153965,1.6636765803267364,1.681792830507429,1.7001063537185235,1.718619298122478,1.7373338352737062,1.7562521603732995,1.7753764925265212,1.7947090750031072,1.8142521755003989,1.8340080864093424,1.8539791250833855,1.8741676341103,1.8945759815869656,1.9152065613971474,1.9360617934922943,1.9571441241754002,1.978456026387951}'::float8[]) with ordinality as u (b, j)
$$;

-- Times in that range (every latency in practice) by a binary search of the bounds, a few
-- times faster than reading the bits; any other value by its bits.
create or replace function canary_private.latency_bucket(v double precision)
returns integer
language sql immutable parallel safe
as $$
  select case
    when v >= 9.5367431640625e-07 and v < 1073741824
      then 98719 + width_bucket(v, canary_private.latency_bounds())
    else canary_private.latency_bucket_of_bits(canary_private.float8_bits(v))
  end
$$;

-- ------------------------------------------------------------------------------ the tables

create table if not exists public.canary_rollup_minute (
  -- The minute [minute, minute + 1 min) of the rows.
  minute          timestamptz      not null,
  -- Rows exactly at `minute`: an alert sample's (t − 5 min, t] takes them into the minute before.
  on_minute       boolean          not null,
  event_type      text             not null,
  label           text,
  cohort          boolean,
  events          bigint           not null,
  successes       bigint           not null,
  failures        bigint           not null,
  hits            bigint           not null,
  misses          bigint           not null,
  times           bigint           not null,
  null_times      bigint           not null,
  nonfinite_times bigint           not null,
  negative_times  bigint           not null,
  slow            bigint           not null,
  time_sum        double precision not null,
  time_min        double precision,
  time_max        double precision,
  miss_times      bigint           not null,
  miss_time_sum   double precision not null,
  hist_keys       integer[]        not null,
  hist_counts     bigint[]         not null
);
create unique index if not exists canary_rollup_minute_key
  on public.canary_rollup_minute (minute, on_minute, event_type, label, cohort) nulls not distinct;

create table if not exists public.canary_rollup_hour (
  hour            timestamptz      not null,
  event_type      text             not null,
  label           text,
  cohort          boolean,
  events          bigint           not null,
  successes       bigint           not null,
  failures        bigint           not null,
  hits            bigint           not null,
  misses          bigint           not null,
  times           bigint           not null,
  null_times      bigint           not null,
  nonfinite_times bigint           not null,
  negative_times  bigint           not null,
  slow            bigint           not null,
  time_sum        double precision not null,
  time_min        double precision,
  time_max        double precision,
  miss_times      bigint           not null,
  miss_time_sum   double precision not null,
  hist_keys       integer[]        not null,
  hist_counts     bigint[]         not null
);
create unique index if not exists canary_rollup_hour_key
  on public.canary_rollup_hour (hour, event_type, label, cohort) nulls not distinct;

-- The alert samples' buckets: requests, cache lookups and mem0 writes per minute
-- (minute_end − 1 min, minute_end] and cohort, labels merged (the windowed alert rules merge
-- the cohorts, the cohort rules compare them, docs/metrics.md#alerts), kept beside the minutes so that a long
-- window's samples are read, not merged, by canary_rollup_minutes. Only what those rules read:
-- the counts of rows, successes, failures, hits and misses, and for requests the minimum and
-- maximum finite time and the latency histogram, run-length coded as the RPC sends it
-- (canary_private.histogram_runs). Derived from canary_rollup_minute alone.
do $$
begin
  -- An earlier shape (the histogram as two arrays, or no cohort): rebuilt below.
  if exists (select 1 from information_schema.tables
             where table_schema = 'public' and table_name = 'canary_rollup_sample')
     and (exists (select 1 from information_schema.columns
                  where table_schema = 'public' and table_name = 'canary_rollup_sample'
                    and column_name = 'hist_keys')
          or not exists (select 1 from information_schema.columns
                         where table_schema = 'public' and table_name = 'canary_rollup_sample'
                           and column_name = 'cohort')) then
    drop table public.canary_rollup_sample;
  end if;
end
$$;
create table if not exists public.canary_rollup_sample (
  minute_end      timestamptz      not null,
  event_type      text             not null,
  events          bigint           not null,
  successes       bigint           not null,
  failures        bigint           not null,
  hits            bigint           not null,
  misses          bigint           not null,
  time_min        double precision,
  time_max        double precision,
  hist            bigint[]         not null,
  cohort          boolean
);
create unique index if not exists canary_rollup_sample_key
  on public.canary_rollup_sample (minute_end, event_type, cohort) nulls not distinct;

-- The minutes whose rollups are stale: appended by the trigger, taken by the refresh. No key,
-- so writers never wait on each other for it.
create table if not exists canary_private.rollup_dirty (minute timestamptz not null);
alter table canary_private.rollup_dirty enable row level security;
revoke all on table canary_private.rollup_dirty from public, anon, authenticated;

-- The hourly level covers the hours before this time (whole hours that ended before the last
-- refresh); the RPCs read minutes after it. A single row.
create table if not exists canary_private.rollup_state (
  singleton      boolean     primary key default true check (singleton),
  hours_complete timestamptz not null default '-infinity'
);
insert into canary_private.rollup_state default values on conflict do nothing;
alter table canary_private.rollup_state enable row level security;
revoke all on table canary_private.rollup_state from public, anon, authenticated;

create or replace function canary_private.rollup_hours_complete()
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$ select s.hours_complete from canary_private.rollup_state s $$;
revoke all on function canary_private.rollup_hours_complete() from public, anon;
grant execute on function canary_private.rollup_hours_complete() to authenticated;

-- The failures of a window (error breakdowns) and the newest requests are read from the rows:
-- an index on failures keeps that a small read on any window.
create index if not exists observability_events_failures_idx
  on public.observability_events (event_type, created_at) where success = false;

-- ------------------------------------------------------------------- keeping them current

create or replace function canary_private.mark_rollups_dirty()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    insert into canary_private.rollup_dirty (minute)
    select distinct date_bin('1 minute', n.created_at, timestamptz '1970-01-01 00:00:00+00')
    from new_rows n;
  end if;
  if tg_op in ('DELETE', 'UPDATE') then
    insert into canary_private.rollup_dirty (minute)
    select distinct date_bin('1 minute', o.created_at, timestamptz '1970-01-01 00:00:00+00')
    from old_rows o;
  end if;
  return null;
end
$$;
revoke all on function canary_private.mark_rollups_dirty() from public, anon, authenticated;

drop trigger if exists canary_rollups_insert on public.observability_events;
create trigger canary_rollups_insert after insert on public.observability_events
  referencing new table as new_rows
  for each statement execute function canary_private.mark_rollups_dirty();
drop trigger if exists canary_rollups_update on public.observability_events;
create trigger canary_rollups_update after update on public.observability_events
  referencing old table as old_rows new table as new_rows
  for each statement execute function canary_private.mark_rollups_dirty();
drop trigger if exists canary_rollups_delete on public.observability_events;
create trigger canary_rollups_delete after delete on public.observability_events
  referencing old table as old_rows
  for each statement execute function canary_private.mark_rollups_dirty();

-- A latency histogram (bucket keys ascending, their counts) as the RPCs send it: the first key,
-- its count, then for each further bucket its count, preceded by −g when g empty keys lie
-- between it and the one before (counts are positive, so a negative entry is always a gap).
-- Most buckets of a minute's requests are neighbours, so this is about a third the size of
-- both arrays. Empty for no values.
create or replace function canary_private.histogram_runs(p_keys integer[], p_counts bigint[])
returns bigint[]
language sql immutable parallel safe
set search_path = ''
as $$
  select coalesce(array_agg(v.x order by u.i, v.j), '{}')
  from (
    select k, n, i, lag(k) over (order by i) as prev
    from unnest(p_keys, p_counts) with ordinality as z (k, n, i)
  ) u
  cross join lateral (
    values (0, case when u.prev is null then u.k::bigint
                    when u.k - u.prev > 1 then -(u.k - u.prev - 1)::bigint end),
           (1, u.n)
  ) as v (j, x)
  where v.x is not null
$$;
grant execute on function canary_private.histogram_runs(integer[], bigint[]) to authenticated;

-- Recomputes the alert samples' buckets ending at p_ends from the minute rows.
create or replace function canary_private.refresh_samples(p_ends timestamptz[])
returns void
language plpgsql
security definer
set search_path = ''
set jit = off
as $$
declare
  -- The minute rows feeding those buckets: a bucket ending at t takes the rows of the minute
  -- before t and those exactly on t.
  v_scan timestamptz[] := array(select e from unnest(p_ends) e
                                union select e - interval '1 minute' from unnest(p_ends) e);
begin
  delete from public.canary_rollup_sample where minute_end = any (p_ends);
  insert into public.canary_rollup_sample
    (minute_end, event_type, events, successes, failures, hits, misses, time_min, time_max,
     hist, cohort)
  with src as materialized (
    select case when r.on_minute then r.minute else r.minute + interval '1 minute' end as minute_end,
           r.event_type, r.cohort, r.events, r.successes, r.failures, r.hits, r.misses,
           r.time_min, r.time_max, r.hist_keys, r.hist_counts
    from public.canary_rollup_minute r
    where r.minute = any (v_scan)
      and r.event_type in ('request_completed', 'cache_access', 'mem0_write')
  ),
  picked as (select s.* from src s where s.minute_end = any (p_ends)),
  c as (
    select s.minute_end, s.event_type, s.cohort, sum(s.events) as events,
           sum(s.successes) as successes, sum(s.failures) as failures, sum(s.hits) as hits,
           sum(s.misses) as misses, min(s.time_min) as time_min, max(s.time_max) as time_max
    from picked s group by 1, 2, 3
  ),
  h as (
    select b.minute_end, b.event_type, b.cohort,
           canary_private.histogram_runs(array_agg(b.k order by b.k), array_agg(b.n order by b.k)) as hist
    from (
      select s.minute_end, s.event_type, s.cohort, u.k, sum(u.n)::bigint as n
      from picked s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
      where s.event_type = 'request_completed'
      group by 1, 2, 3, 4
    ) b
    group by 1, 2, 3
  )
  select c.minute_end, c.event_type, c.events, c.successes, c.failures, c.hits, c.misses,
         case when c.event_type = 'request_completed' then c.time_min end,
         case when c.event_type = 'request_completed' then c.time_max end,
         coalesce(h.hist, '{}'), c.cohort
  from c
  left join h on h.minute_end = c.minute_end and h.event_type = c.event_type
             and h.cohort is not distinct from c.cohort;
end
$$;
revoke all on function canary_private.refresh_samples(timestamptz[]) from public, anon, authenticated;

-- Recomputes the minutes marked dirty, their alert samples' buckets and their hours, and every
-- hour that ended since the last run. Idempotent; returns how many minutes it recomputed.
-- The marks are complete (every insert, update and delete writes them, committed with its
-- rows), so only the minutes that changed are read again; p_recent_minutes also recomputes the
-- last minutes whatever their marks (after rows were written with triggers off, e.g. by a
-- replication role). Correct under concurrent inserts: a mark is taken (deleted) only once
-- committed, so its rows are visible to the recomputation, whose statement starts after the
-- take; a mark committed later stays for the next run. One run at a time (an advisory lock).
create or replace function canary_private.refresh_rollups(p_recent_minutes integer default 0)
returns integer
language plpgsql
security definer
set search_path = ''
-- Short statements with large cost estimates: compiling them (JIT) would cost more than it saves.
set jit = off
-- A minute at 1,000 events/s is grouped in memory (hashed), not sorted on disk.
set work_mem = '64MB'
as $$
declare
  epoch constant timestamptz := timestamptz '1970-01-01 00:00:00+00';
  now_minute timestamptz := date_bin('1 minute', clock_timestamp(), epoch);
  now_hour timestamptz;
  v_complete timestamptz;
  v_minutes timestamptz[];
  v_hours timestamptz[];
  v_lo timestamptz;
  v_hi timestamptz;
begin
  perform pg_advisory_xact_lock(hashtextextended('canary_private.refresh_rollups', 0));
  with taken as (delete from canary_private.rollup_dirty returning minute)
  select coalesce(array_agg(distinct m), '{}') into v_minutes
  from (
    select minute as m from taken
    union
    select generate_series(now_minute - greatest(p_recent_minutes, 0) * interval '1 minute',
                           now_minute, interval '1 minute')
    where p_recent_minutes > 0
  ) x;
  -- The minutes in runs of consecutive ones, at most an hour each: one range of the index per
  -- run, whose bounds the planner sees (a few thousand groups, hashed in memory).
  for v_lo, v_hi in
    select min(m), max(m) + interval '1 minute'
    from (
      select m, run, (row_number() over (partition by run order by m) - 1) / 60 as part
      from (
        select m, m - row_number() over (order by m) * interval '1 minute' as run
        from unnest(v_minutes) m
      ) a
    ) b
    group by run, part
  loop
  delete from public.canary_rollup_minute where minute >= v_lo and minute < v_hi;
  insert into public.canary_rollup_minute
  -- First the rows grouped by everything a counter or the histogram tells apart (a few
  -- thousand groups a minute, hashed, four aggregates), then those groups into the counters.
  with g as materialized (
    select r.minute, r.on_minute, r.event_type, r.label, r.cohort, r.success, r.cache_hit,
           r.kind,
           r.k,
           count(*) as n, sum(r.t) as t_sum, min(r.t) as t_min, max(r.t) as t_max
    from (
      select date_bin('1 minute', e.created_at, epoch) as minute,
             e.created_at = date_bin('1 minute', e.created_at, epoch) as on_minute,
             e.event_type,
             case e.event_type
               when 'request_completed' then e.details ->> 'endpoint'
               when 'cache_access' then e.details ->> 'cache_key_prefix'
             end as label,
             -- details.canary where it is a JSON boolean (one lookup).
             case e.details -> 'canary' when 'true'::jsonb then true when 'false'::jsonb then false
             end as cohort,
             e.success, e.cache_hit,
             -- 0: no time; 1: finite, 0 to 5000 ms; 2: negative; 3: over 5000 ms; 4: NaN, ±inf.
             case when e.processing_time_ms is null then 0
                  when not (e.processing_time_ms > '-infinity' and e.processing_time_ms < 'infinity') then 4
                  when e.processing_time_ms < 0 then 2
                  when e.processing_time_ms > 5000 then 3
                  else 1
             end as kind,
             case when e.processing_time_ms > '-infinity' and e.processing_time_ms < 'infinity'
                  then e.processing_time_ms end as t,
             case when e.event_type = 'request_completed'
                  then canary_private.latency_bucket(e.processing_time_ms) end as k
      from public.observability_events e
      where e.created_at >= v_lo and e.created_at < v_hi
      offset 0
    ) r
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9
  ),
  c as (
    select minute, on_minute, event_type, label, cohort,
           sum(n)::bigint as events,
           coalesce(sum(n) filter (where success), 0)::bigint as successes,
           coalesce(sum(n) filter (where not success), 0)::bigint as failures,
           coalesce(sum(n) filter (where cache_hit), 0)::bigint as hits,
           coalesce(sum(n) filter (where not cache_hit), 0)::bigint as misses,
           coalesce(sum(n) filter (where kind in (1, 2, 3)), 0)::bigint as times,
           coalesce(sum(n) filter (where kind = 0), 0)::bigint as null_times,
           coalesce(sum(n) filter (where kind = 4), 0)::bigint as nonfinite_times,
           coalesce(sum(n) filter (where kind = 2), 0)::bigint as negative_times,
           coalesce(sum(n) filter (where kind = 3), 0)::bigint as slow,
           coalesce(sum(t_sum), 0) as time_sum,
           min(t_min) as time_min,
           max(t_max) as time_max,
           coalesce(sum(n) filter (where kind in (1, 2, 3) and cache_hit = false), 0)::bigint as miss_times,
           coalesce(sum(t_sum) filter (where cache_hit = false), 0) as miss_time_sum
    from g group by 1, 2, 3, 4, 5
  ),
  h as (
    select minute, on_minute, event_type, label, cohort,
           array_agg(k order by k) as hist_keys, array_agg(n order by k)::bigint[] as hist_counts
    from (
      select minute, on_minute, event_type, label, cohort, k, sum(n)::bigint as n
      from g where k is not null group by 1, 2, 3, 4, 5, 6
    ) b
    group by 1, 2, 3, 4, 5
  )
  select c.*, coalesce(h.hist_keys, '{}'), coalesce(h.hist_counts, '{}')
  from c
  left join h on h.minute = c.minute and h.on_minute = c.on_minute and h.event_type = c.event_type
             -- Equalities (hashed, where "is not distinct from" would compare every pair).
             and coalesce(h.label, '') = coalesce(c.label, '')
             and (h.label is null) = (c.label is null)
             and coalesce(h.cohort, false) = coalesce(c.cohort, false)
             and (h.cohort is null) = (c.cohort is null);
  end loop;

  -- The sample buckets the refreshed minutes feed: a minute's rows end buckets at its start
  -- (rows exactly on it) and at its end.
  perform canary_private.refresh_samples(
    array(select m from unnest(v_minutes) m union select m + interval '1 minute' from unnest(v_minutes) m));

  -- Hours are computed once they have ended (the current hour changes every minute, and the
  -- RPCs read its minutes): those of the refreshed minutes, and every hour that ended since the
  -- last run.
  now_hour := date_bin('1 hour', now_minute, epoch);
  select hours_complete into v_complete from canary_private.rollup_state for update;
  select coalesce(array_agg(distinct h), '{}') into v_hours
  from (
    select date_bin('1 hour', m, epoch) as h from unnest(v_minutes) m
    union
    select generate_series(greatest(v_complete, now_hour - interval '48 hours'),
                           now_hour - interval '1 hour', interval '1 hour')
    where v_complete < now_hour
  ) x
  where h < now_hour;
  delete from public.canary_rollup_hour where hour = any (v_hours);
  insert into public.canary_rollup_hour
  with src as (
    select date_bin('1 hour', r.minute, epoch) as hour, r.*
    from public.canary_rollup_minute r
    join unnest(v_hours) as h (hour) on r.minute >= h.hour and r.minute < h.hour + interval '1 hour'
  ),
  -- Counters and histogram buckets in one grouping (no join of the two: an hour with many
  -- endpoints has as many groups, and a join of them is only as good as the statistics).
  parts as (
    select s.hour, s.event_type, s.label, s.cohort, s.events, s.successes, s.failures, s.hits,
           s.misses, s.times, s.null_times, s.nonfinite_times, s.negative_times, s.slow,
           s.time_sum, s.time_min, s.time_max, s.miss_times, s.miss_time_sum,
           null::integer as k, null::bigint as n
    from src s
    union all
    select s.hour, s.event_type, s.label, s.cohort, null, null, null, null, null, null, null,
           null, null, null, null, null, null, null, null, u.k, sum(u.n)::bigint
    from src s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
    group by s.hour, s.event_type, s.label, s.cohort, u.k
  )
  select p.hour, p.event_type, p.label, p.cohort,
         sum(p.events), sum(p.successes), sum(p.failures), sum(p.hits), sum(p.misses),
         sum(p.times), sum(p.null_times), sum(p.nonfinite_times), sum(p.negative_times),
         sum(p.slow), sum(p.time_sum), min(p.time_min), max(p.time_max), sum(p.miss_times),
         sum(p.miss_time_sum),
         coalesce(array_agg(p.k order by p.k) filter (where p.k is not null), '{}'),
         coalesce(array_agg(p.n order by p.k) filter (where p.k is not null), '{}')
  from parts p
  group by p.hour, p.event_type, p.label, p.cohort;
  update canary_private.rollup_state set hours_complete = now_hour;
  return cardinality(v_minutes);
end
$$;
revoke all on function canary_private.refresh_rollups(integer) from public, anon, authenticated;

-- Recomputes every rollup from the rows (after a TRUNCATE, or to check them).
create or replace function canary_private.rebuild_rollups()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(hashtextextended('canary_private.refresh_rollups', 0));
  delete from public.canary_rollup_minute;
  delete from public.canary_rollup_hour;
  delete from public.canary_rollup_sample;
  update canary_private.rollup_state set hours_complete = '-infinity';
  insert into canary_private.rollup_dirty (minute)
  select distinct date_bin('1 minute', created_at, timestamptz '1970-01-01 00:00:00+00')
  from public.observability_events;
  return canary_private.refresh_rollups(0);
end
$$;
revoke all on function canary_private.rebuild_rollups() from public, anon, authenticated;

-- ----------------------------------------------------------------------- who reads them

alter table public.canary_rollup_minute enable row level security;
alter table public.canary_rollup_hour enable row level security;
alter table public.canary_rollup_sample enable row level security;
drop policy if exists "team members read rollups" on public.canary_rollup_sample;
create policy "team members read rollups" on public.canary_rollup_sample
  for select to authenticated using ((select canary_private.team_role()) is not null);
revoke all on table public.canary_rollup_sample from anon, authenticated;
grant select on table public.canary_rollup_sample to authenticated;
drop policy if exists "team members read rollups" on public.canary_rollup_minute;
create policy "team members read rollups" on public.canary_rollup_minute
  for select to authenticated using ((select canary_private.team_role()) is not null);
drop policy if exists "team members read rollups" on public.canary_rollup_hour;
create policy "team members read rollups" on public.canary_rollup_hour
  for select to authenticated using ((select canary_private.team_role()) is not null);
revoke all on table public.canary_rollup_minute, public.canary_rollup_hour from anon, authenticated;
grant select on table public.canary_rollup_minute, public.canary_rollup_hour to authenticated;

-- ------------------------------------------------------------------------------ the RPCs

create or replace function canary_private.require_whole_minutes(p_from timestamptz, p_to timestamptz)
returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_from is null or p_to is null or p_from > p_to then
    raise exception 'the window needs p_from <= p_to (got % and %)', p_from, p_to
      using errcode = '22023';
  end if;
  if p_from <> date_bin('1 minute', p_from, timestamptz '1970-01-01 00:00:00+00')
     or p_to <> date_bin('1 minute', p_to, timestamptz '1970-01-01 00:00:00+00') then
    raise exception 'rollups cover whole minutes: % to % does not start and end on a minute', p_from, p_to
      using errcode = '22023', hint = 'widen the window to whole minutes, or read the rows';
  end if;
end
$$;
grant execute on function canary_private.require_whole_minutes(timestamptz, timestamptz) to authenticated;

drop function if exists public.canary_rollup_totals(timestamptz, timestamptz);
create or replace function public.canary_rollup_totals(p_from timestamptz, p_to timestamptz)
returns json
language plpgsql
stable
security invoker
set search_path = ''
-- Short statements with large cost estimates: compiling them (JIT) would cost more than it saves.
set jit = off
as $$
declare
  epoch constant timestamptz := timestamptz '1970-01-01 00:00:00+00';
  -- The whole hours inside the window: [h0, h1) from the hourly level, the rest from minutes.
  h0 timestamptz;
  h1 timestamptz;
begin
  perform canary_private.require_whole_minutes(p_from, p_to);
  h0 := date_bin('1 hour', p_from, epoch);
  if h0 < p_from then
    h0 := h0 + interval '1 hour';
  end if;
  h1 := greatest(least(date_bin('1 hour', p_to, epoch), canary_private.rollup_hours_complete()), h0);
  return (
  with src as (
    select r.event_type, r.label, r.cohort, r.events, r.successes, r.failures, r.hits, r.misses,
           r.times, r.null_times, r.nonfinite_times, r.negative_times, r.slow, r.time_sum,
           r.time_min, r.time_max, r.miss_times, r.miss_time_sum, r.hist_keys, r.hist_counts
    from public.canary_rollup_hour r
    where r.hour >= h0 and r.hour < h1
    union all
    select r.event_type, r.label, r.cohort, r.events, r.successes, r.failures, r.hits, r.misses,
           r.times, r.null_times, r.nonfinite_times, r.negative_times, r.slow, r.time_sum,
           r.time_min, r.time_max, r.miss_times, r.miss_time_sum, r.hist_keys, r.hist_counts
    from public.canary_rollup_minute r
    where r.minute >= p_from and r.minute < p_to and not (r.minute >= h0 and r.minute < h1)
  ),
  -- Counters and histogram buckets in one grouping (no join of the two: a window with many
  -- endpoints has as many groups, and a join of them is only as good as the statistics).
  parts as (
    select s.event_type, s.label, s.cohort, s.events, s.successes, s.failures, s.hits, s.misses,
           s.times, s.null_times, s.nonfinite_times, s.negative_times, s.slow, s.time_sum,
           s.time_min, s.time_max, s.miss_times, s.miss_time_sum, null::integer as k,
           null::bigint as n
    from src s
    union all
    select s.event_type, s.label, s.cohort, null, null, null, null, null, null, null, null, null,
           null, null, null, null, null, null, u.k, sum(u.n)::bigint
    from src s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
    group by s.event_type, s.label, s.cohort, u.k
  )
  select coalesce(json_agg(t order by t.event_type, t.label, t.cohort), '[]'::json)
  from (
    select p.event_type, p.label, p.cohort,
           sum(p.events)::bigint as events, sum(p.successes)::bigint as successes,
           sum(p.failures)::bigint as failures, sum(p.hits)::bigint as hits,
           sum(p.misses)::bigint as misses, sum(p.times)::bigint as times,
           sum(p.null_times)::bigint as null_times, sum(p.nonfinite_times)::bigint as nonfinite_times,
           sum(p.negative_times)::bigint as negative_times, sum(p.slow)::bigint as slow,
           sum(p.time_sum) as time_sum, min(p.time_min) as time_min, max(p.time_max) as time_max,
           sum(p.miss_times)::bigint as miss_times, sum(p.miss_time_sum) as miss_time_sum,
           coalesce(array_agg(p.k order by p.k) filter (where p.k is not null), '{}') as hist_keys,
           coalesce(array_agg(p.n order by p.k) filter (where p.k is not null), '{}') as hist_counts
    from parts p
    group by p.event_type, p.label, p.cohort
  ) t);
end
$$;

drop function if exists public.canary_rollup_minutes(timestamptz, timestamptz);
create or replace function public.canary_rollup_minutes(p_from timestamptz, p_to timestamptz)
returns json
language plpgsql
stable
security invoker
set search_path = ''
-- Short statements with large cost estimates: compiling them (JIT) would cost more than it saves.
set jit = off
as $$
begin
  perform canary_private.require_whole_minutes(p_from, p_to);
  return (
  -- Buckets inside the window are read whole from canary_rollup_sample; the two at its edges
  -- hold rows outside it and are merged here from the window's own minute rows.
  with edge as (
    select case when r.on_minute then r.minute else r.minute + interval '1 minute' end as minute_end,
           r.event_type, r.cohort, r.events, r.successes, r.failures, r.hits, r.misses,
           r.time_min, r.time_max, r.hist_keys, r.hist_counts
    from public.canary_rollup_minute r
    where r.event_type in ('request_completed', 'cache_access', 'mem0_write')
      and r.minute in (p_from, p_to - interval '1 minute')
      and ((r.minute = p_from and r.on_minute)
           or (r.minute = p_to - interval '1 minute' and not r.on_minute and p_to > p_from))
  ),
  c as (
    select s.minute_end, s.event_type, s.cohort, sum(s.events)::bigint as events,
           sum(s.successes)::bigint as successes, sum(s.failures)::bigint as failures,
           sum(s.hits)::bigint as hits, sum(s.misses)::bigint as misses,
           min(s.time_min) as time_min, max(s.time_max) as time_max
    from edge s group by 1, 2, 3
  ),
  h as (
    select b.minute_end, b.event_type, b.cohort,
           canary_private.histogram_runs(array_agg(b.k order by b.k), array_agg(b.n order by b.k)) as hist
    from (
      select s.minute_end, s.event_type, s.cohort, u.k, sum(u.n)::bigint as n
      from edge s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
      where s.event_type = 'request_completed'
      group by 1, 2, 3, 4
    ) b
    group by 1, 2, 3
  ),
  buckets as (
    select c.minute_end, c.event_type, c.cohort, c.events, c.successes, c.failures, c.hits,
           c.misses,
           case when c.event_type = 'request_completed' then c.time_min end as time_min,
           case when c.event_type = 'request_completed' then c.time_max end as time_max,
           coalesce(h.hist, '{}') as hist
    from c
    left join h on h.minute_end = c.minute_end and h.event_type = c.event_type
               and h.cohort is not distinct from c.cohort
    union all
    select r.minute_end, r.event_type, r.cohort, r.events, r.successes, r.failures, r.hits,
           r.misses, r.time_min, r.time_max, r.hist
    from public.canary_rollup_sample r
    where r.minute_end > p_from and r.minute_end < p_to
  )
  select coalesce(json_agg(json_build_array(
           extract(epoch from b.minute_end)::bigint, b.event_type, b.events, b.successes,
           b.failures, b.hits, b.misses, b.time_min, b.time_max, b.hist, b.cohort)
         order by b.minute_end, b.event_type, b.cohort nulls first), '[]'::json)
  from buckets b);
end
$$;

create or replace function public.canary_window_groups(p_from timestamptz, p_to timestamptz)
returns json
language sql
stable
security invoker
set search_path = ''
-- Short statements with large cost estimates: compiling them (JIT) would cost more than it saves.
set jit = off
as $$
  select json_build_object(
    'errors_by_type', coalesce((
      select json_agg(g)
      from (
        select e.details ->> 'error_type' as error_type,
               e.details ->> 'error_message' as error_message,
               count(*) as occurrences,
               max(e.created_at) as last_seen
        from public.observability_events e
        where e.event_type = 'request_completed' and e.success = false
          and e.created_at >= p_from and e.created_at < p_to
        group by 1, 2
      ) g), '[]'::json),
    'mem0_failures_by_type', coalesce((
      select json_agg(g)
      from (
        select e.details ->> 'error_type' as error_type,
               count(*) as failures,
               avg(e.processing_time_ms) filter (
                 where e.processing_time_ms > '-infinity' and e.processing_time_ms < 'infinity'
               ) as avg_time_ms,
               max(e.created_at) as last_failure
        from public.observability_events e
        where e.event_type = 'mem0_write' and e.success = false
          and e.created_at >= p_from and e.created_at < p_to
        group by 1
      ) g), '[]'::json),
    'last_1000_requests', (
      select json_build_object('requests', count(*), 'failures', count(*) filter (where not r.success))
      from (
        select e.success
        from public.observability_events e
        where e.event_type = 'request_completed'
          and e.created_at >= p_from and e.created_at < p_to
        order by e.created_at desc, e.id desc
        limit 1000
      ) r)
  )
$$;

drop function if exists public.canary_exact_rows(timestamptz, timestamptz);
create or replace function public.canary_exact_rows(p_from timestamptz, p_to timestamptz)
returns json
language sql
stable
security invoker
set search_path = ''
-- Short statements with large cost estimates: compiling them (JIT) would cost more than it saves.
set jit = off
as $$
  with misses as (
    select e.*
    from public.observability_events e
    where e.event_type = 'cache_miss' and e.created_at >= p_from and e.created_at < p_to
  ),
  -- Keys with more than 10 misses in some span [t, t + 15 min) (docs/metrics.md#metrics).
  stampeding as (
    select distinct w.cache_key
    from (
      select m.cache_key,
             count(*) over (
               partition by m.cache_key order by m.created_at
               range between current row and interval '15 minutes' - interval '1 microsecond' following
             ) as in_span
      from misses m
    ) w
    where w.in_span > 10
  ),
  picked as (
    select e.*
    from public.observability_events e
    where e.event_type = 'circuit_breaker_state_change' and e.created_at < p_to
    union all
    select m.*
    from misses m
    where exists (select 1 from stampeding k where k.cache_key is not distinct from m.cache_key)
  )
  select coalesce(json_agg(p order by p.created_at, p.id), '[]'::json) from picked p
$$;

create or replace function public.canary_rollup_extent()
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  select json_build_object(
    'from', (select min(r.minute) from public.canary_rollup_minute r),
    'to', (select max(r.minute) + interval '1 minute' from public.canary_rollup_minute r),
    'events', (select coalesce(sum(r.events), 0) from public.canary_rollup_hour r)
  )
$$;

revoke all on function public.canary_rollup_totals(timestamptz, timestamptz) from public, anon;
revoke all on function public.canary_rollup_minutes(timestamptz, timestamptz) from public, anon;
revoke all on function public.canary_window_groups(timestamptz, timestamptz) from public, anon;
revoke all on function public.canary_exact_rows(timestamptz, timestamptz) from public, anon;
revoke all on function public.canary_rollup_extent() from public, anon;
grant execute on function public.canary_rollup_totals(timestamptz, timestamptz) to authenticated;
grant execute on function public.canary_rollup_minutes(timestamptz, timestamptz) to authenticated;
grant execute on function public.canary_window_groups(timestamptz, timestamptz) to authenticated;
grant execute on function public.canary_exact_rows(timestamptz, timestamptz) to authenticated;
grant execute on function public.canary_rollup_extent() to authenticated;

-- ------------------------------------------------------------- first fill, and the schedule

-- Rows logged before this migration: rolled up once, when the rollups are still empty.
do $$
begin
  if not exists (select 1 from public.canary_rollup_minute)
     and exists (select 1 from public.observability_events) then
    perform canary_private.rebuild_rollups();
  end if;
  -- The alert samples' buckets in their current shape, from minute rows kept by an earlier
  -- version of this migration.
  if not exists (select 1 from public.canary_rollup_sample)
     and exists (select 1 from public.canary_rollup_minute) then
    perform canary_private.refresh_samples(array(
      select distinct case when r.on_minute then r.minute else r.minute + interval '1 minute' end
      from public.canary_rollup_minute r));
  end if;
end
$$;

-- Every minute with pg_cron (Supabase Cron) where the server has it; a notice otherwise.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    begin
      create extension if not exists pg_cron;
      perform cron.schedule('canary-refresh-rollups', '* * * * *',
                            'select canary_private.refresh_rollups()');
    exception when others then
      raise notice 'pg_cron is installed but not usable here (%): run select canary_private.refresh_rollups() every minute another way', sqlerrm;
    end;
  else
    raise notice 'pg_cron is not available: run select canary_private.refresh_rollups() every minute another way';
  end if;
end
$$;

-- PostgREST (Supabase's Data API) reloads its schema cache, so the RPCs answer at once.
notify pgrst, 'reload schema';
