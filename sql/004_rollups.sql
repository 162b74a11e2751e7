-- Canary Console: rollups of observability_events kept by the database, so that a whole rollout
-- (tens of millions of rows) is read as a few hundred KB: per-minute and per-hour exact counters
-- and a latency histogram with a guaranteed relative error (docs/metrics.md#rollups-and-the-latency-histogram).
-- Upgrades a database that ran 001–003; safe to run more than once. Apply it in Supabase's SQL
-- editor (or with `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/004_rollups.sql`).
--
-- How they stay right:
--   * every insert, update or delete of events marks the minutes it touched (a statement
--     trigger appends them to canary_private.rollup_dirty, committed with the rows), and
--     canary_private.refresh_rollups() recomputes the marked minutes plus the last few from the
--     rows, then the hours above them. A late commit, or a row dated days back, marks its own
--     minute: nothing is missed and the result equals a recomputation from scratch
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
--     → [{minute_end, event_type, cohort, <counters>, hist_keys, hist_counts}] for
--       request_completed, cache_access and mem0_write, one per minute (minute_end − 1 min,
--       minute_end] (the buckets of the alert samples), event type and cohort.
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
-- docs/metrics.md#rollups-and-the-latency-histogram: from the IEEE 754 bits of a double, never
-- from a logarithm, so that it equals canary_engine::histogram::bucket_key for every value.

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

create or replace function canary_private.latency_bucket(v double precision)
returns integer
language sql immutable parallel safe
as $$ select canary_private.latency_bucket_of_bits(canary_private.float8_bits(v)) $$;

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
-- (minute_end − 1 min, minute_end] and cohort, labels merged, kept beside the minutes so that a
-- long window's samples are read, not merged, by canary_rollup_minutes.
create table if not exists public.canary_rollup_sample (
  minute_end      timestamptz      not null,
  event_type      text             not null,
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

-- Recomputes the minutes marked dirty and the last p_recent_minutes minutes (a safety net; the
-- marks alone are complete), then their hours. Idempotent; returns how many minutes it
-- recomputed. Correct under concurrent inserts: a mark is taken (deleted) only once committed,
-- so its rows are visible to the recomputation, whose statement starts after the take; a mark
-- committed later stays for the next run. One run at a time (an advisory lock).
create or replace function canary_private.refresh_rollups(p_recent_minutes integer default 2)
returns integer
language plpgsql
security definer
set search_path = ''
-- Short statements with large cost estimates: compiling them (JIT) would cost more than it saves.
set jit = off
as $$
declare
  epoch constant timestamptz := timestamptz '1970-01-01 00:00:00+00';
  now_minute timestamptz := date_bin('1 minute', clock_timestamp(), epoch);
  now_hour timestamptz;
  v_complete timestamptz;
  v_minutes timestamptz[];
  v_hours timestamptz[];
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
  delete from public.canary_rollup_minute where minute = any (v_minutes);
  insert into public.canary_rollup_minute
  -- Materialized: the bits are computed once per row (an inlined latency_bucket would
  -- compute them once per use).
  with ev as materialized (
    select d.minute,
           e.created_at = d.minute as on_minute,
           e.event_type,
           case e.event_type
             when 'request_completed' then e.details ->> 'endpoint'
             when 'cache_access' then e.details ->> 'cache_key_prefix'
           end as label,
           -- details.canary where it is a JSON boolean (one lookup).
           case e.details -> 'canary' when 'true'::jsonb then true when 'false'::jsonb then false
           end as cohort,
           e.success, e.cache_hit,
           e.processing_time_ms as t,
           canary_private.float8_bits(e.processing_time_ms) as bits,
           coalesce(e.processing_time_ms > '-infinity' and e.processing_time_ms < 'infinity', false) as finite
    from unnest(v_minutes) as d (minute)
    join public.observability_events e
      on e.created_at >= d.minute and e.created_at < d.minute + interval '1 minute'
  ),
  by_bucket as (
    select minute, on_minute, event_type, label, cohort,
           case when event_type = 'request_completed' and finite
                then canary_private.latency_bucket_of_bits(bits) end as k,
           count(*) as events,
           count(*) filter (where success) as successes,
           count(*) filter (where not success) as failures,
           count(*) filter (where cache_hit) as hits,
           count(*) filter (where not cache_hit) as misses,
           count(*) filter (where finite) as times,
           count(*) filter (where t is null) as null_times,
           count(*) filter (where t is not null and not finite) as nonfinite_times,
           count(*) filter (where finite and t < 0) as negative_times,
           count(*) filter (where finite and t > 5000) as slow,
           coalesce(sum(t) filter (where finite), 0) as time_sum,
           min(t) filter (where finite) as time_min,
           max(t) filter (where finite) as time_max,
           count(*) filter (where finite and cache_hit = false) as miss_times,
           coalesce(sum(t) filter (where finite and cache_hit = false), 0) as miss_time_sum
    from ev
    group by 1, 2, 3, 4, 5, 6
  )
  select minute, on_minute, event_type, label, cohort,
         sum(events), sum(successes), sum(failures), sum(hits), sum(misses), sum(times),
         sum(null_times), sum(nonfinite_times), sum(negative_times), sum(slow),
         sum(time_sum), min(time_min), max(time_max), sum(miss_times), sum(miss_time_sum),
         coalesce(array_agg(k order by k) filter (where k is not null), '{}'),
         coalesce(array_agg(times order by k) filter (where k is not null), '{}')
  from by_bucket
  group by 1, 2, 3, 4, 5;

  -- The sample buckets the refreshed minutes feed: a minute's rows end buckets at its start
  -- (rows exactly on it) and at its end.
  delete from public.canary_rollup_sample
  where minute_end = any (v_minutes) or minute_end - interval '1 minute' = any (v_minutes);
  insert into public.canary_rollup_sample
  with src as (
    select case when r.on_minute then r.minute else r.minute + interval '1 minute' end as minute_end, r.*
    from public.canary_rollup_minute r
    where r.event_type in ('request_completed', 'cache_access', 'mem0_write')
      and (r.minute = any (v_minutes) or r.minute + interval '1 minute' = any (v_minutes)
           or r.minute - interval '1 minute' = any (v_minutes))
  ),
  ends as (
    select m as minute_end from unnest(v_minutes) m
    union
    select m + interval '1 minute' from unnest(v_minutes) m
  ),
  picked as (select s.* from src s join ends e using (minute_end)),
  c as (
    select s.minute_end, s.event_type, s.cohort,
           sum(s.events) as events, sum(s.successes) as successes, sum(s.failures) as failures,
           sum(s.hits) as hits, sum(s.misses) as misses, sum(s.times) as times,
           sum(s.null_times) as null_times, sum(s.nonfinite_times) as nonfinite_times,
           sum(s.negative_times) as negative_times, sum(s.slow) as slow, sum(s.time_sum) as time_sum,
           min(s.time_min) as time_min, max(s.time_max) as time_max, sum(s.miss_times) as miss_times,
           sum(s.miss_time_sum) as miss_time_sum
    from picked s group by 1, 2, 3
  ),
  h as (
    select b.minute_end, b.event_type, b.cohort,
           array_agg(b.k order by b.k) as hist_keys, array_agg(b.n order by b.k) as hist_counts
    from (
      select s.minute_end, s.event_type, s.cohort, u.k, sum(u.n)::bigint as n
      from picked s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
      group by 1, 2, 3, 4
    ) b
    group by 1, 2, 3
  )
  select c.*, coalesce(h.hist_keys, '{}'), coalesce(h.hist_counts, '{}')
  from c
  left join h on h.minute_end = c.minute_end and h.event_type = c.event_type
             and h.cohort is not distinct from c.cohort;

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
  c as (
    select hour, event_type, label, cohort,
           sum(events) as events, sum(successes) as successes, sum(failures) as failures,
           sum(hits) as hits, sum(misses) as misses, sum(times) as times,
           sum(null_times) as null_times, sum(nonfinite_times) as nonfinite_times,
           sum(negative_times) as negative_times, sum(slow) as slow, sum(time_sum) as time_sum,
           min(time_min) as time_min, max(time_max) as time_max, sum(miss_times) as miss_times,
           sum(miss_time_sum) as miss_time_sum
    from src group by 1, 2, 3, 4
  ),
  h as (
    select hour, event_type, label, cohort,
           array_agg(k order by k) as hist_keys, array_agg(n order by k) as hist_counts
    from (
      select s.hour, s.event_type, s.label, s.cohort, u.k, sum(u.n)::bigint as n
      from src s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
      group by 1, 2, 3, 4, 5
    ) b
    group by 1, 2, 3, 4
  )
  select c.*, coalesce(h.hist_keys, '{}'), coalesce(h.hist_counts, '{}')
  from c
  left join h on h.hour = c.hour and h.event_type = c.event_type
             and h.label is not distinct from c.label and h.cohort is not distinct from c.cohort;
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
  c as (
    select s.event_type, s.label, s.cohort,
           sum(s.events)::bigint as events, sum(s.successes)::bigint as successes,
           sum(s.failures)::bigint as failures, sum(s.hits)::bigint as hits,
           sum(s.misses)::bigint as misses, sum(s.times)::bigint as times,
           sum(s.null_times)::bigint as null_times, sum(s.nonfinite_times)::bigint as nonfinite_times,
           sum(s.negative_times)::bigint as negative_times, sum(s.slow)::bigint as slow,
           sum(s.time_sum) as time_sum, min(s.time_min) as time_min, max(s.time_max) as time_max,
           sum(s.miss_times)::bigint as miss_times, sum(s.miss_time_sum) as miss_time_sum
    from src s group by 1, 2, 3
  ),
  h as (
    select b.event_type, b.label, b.cohort,
           array_agg(b.k order by b.k) as hist_keys, array_agg(b.n order by b.k) as hist_counts
    from (
      select s.event_type, s.label, s.cohort, u.k, sum(u.n)::bigint as n
      from src s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
      group by 1, 2, 3, 4
    ) b
    group by 1, 2, 3
  )
  select coalesce(json_agg(t order by t.event_type, t.label, t.cohort), '[]'::json)
  from (
    select c.event_type, c.label, c.cohort, c.events, c.successes, c.failures, c.hits, c.misses,
           c.times, c.null_times, c.nonfinite_times, c.negative_times, c.slow, c.time_sum,
           c.time_min, c.time_max, c.miss_times, c.miss_time_sum,
           coalesce(h.hist_keys, '{}') as hist_keys, coalesce(h.hist_counts, '{}') as hist_counts
    from c
    left join h on h.event_type = c.event_type and h.label is not distinct from c.label
               and h.cohort is not distinct from c.cohort
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
  with src as (
    select case when r.on_minute then r.minute else r.minute + interval '1 minute' end as minute_end,
           r.*
    from public.canary_rollup_minute r
    where r.event_type in ('request_completed', 'cache_access', 'mem0_write')
      and ((r.minute = p_from and r.on_minute)
           or (r.minute = p_to - interval '1 minute' and not r.on_minute and p_to > p_from))
  ),
  c as (
    select s.minute_end, s.event_type, s.cohort,
           sum(s.events)::bigint as events, sum(s.successes)::bigint as successes,
           sum(s.failures)::bigint as failures, sum(s.hits)::bigint as hits,
           sum(s.misses)::bigint as misses, sum(s.times)::bigint as times,
           sum(s.null_times)::bigint as null_times, sum(s.nonfinite_times)::bigint as nonfinite_times,
           sum(s.negative_times)::bigint as negative_times, sum(s.slow)::bigint as slow,
           sum(s.time_sum) as time_sum, min(s.time_min) as time_min, max(s.time_max) as time_max,
           sum(s.miss_times)::bigint as miss_times, sum(s.miss_time_sum) as miss_time_sum
    from src s group by 1, 2, 3
  ),
  h as (
    select b.minute_end, b.event_type, b.cohort,
           array_agg(b.k order by b.k) as hist_keys, array_agg(b.n order by b.k) as hist_counts
    from (
      select s.minute_end, s.event_type, s.cohort, u.k, sum(u.n)::bigint as n
      from src s cross join lateral unnest(s.hist_keys, s.hist_counts) as u (k, n)
      group by 1, 2, 3, 4
    ) b
    group by 1, 2, 3
  )
  select coalesce(json_agg(t order by t.minute_end, t.event_type, t.cohort), '[]'::json)
  from (
    select c.minute_end, c.event_type, c.cohort, c.events, c.successes, c.failures, c.hits,
           c.misses, c.times, c.null_times, c.nonfinite_times, c.negative_times, c.slow,
           c.time_sum, c.time_min, c.time_max, c.miss_times, c.miss_time_sum,
           coalesce(h.hist_keys, '{}') as hist_keys, coalesce(h.hist_counts, '{}') as hist_counts
    from c
    left join h on h.minute_end = c.minute_end and h.event_type = c.event_type
               and h.cohort is not distinct from c.cohort
    union all
    select r.minute_end, r.event_type, r.cohort, r.events, r.successes, r.failures, r.hits,
           r.misses, r.times, r.null_times, r.nonfinite_times, r.negative_times, r.slow,
           r.time_sum, r.time_min, r.time_max, r.miss_times, r.miss_time_sum,
           r.hist_keys, r.hist_counts
    from public.canary_rollup_sample r
    where r.minute_end > p_from and r.minute_end < p_to
  ) t);
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
