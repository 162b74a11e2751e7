-- Canary Console: the page's exact read of `observability_events` through two functions, so a
-- browser reads a whole window with few, large requests to one URL each (the cursor travels in
-- the POST body, so the browser's CORS preflight for that URL is cached instead of repeated for
-- every page). Safe to run more than once; apply it after sql/001 (and 002). Without it the
-- page reads the table itself, page by page, as before.
--
-- Both are `security invoker`: Row Level Security of the table applies to the caller exactly
-- as when it reads the table (sql/002_team_access.sql: team members only).
--
--   canary_exact_extent(p_from, p_to)  → json {first, last, rows}: the lowest and highest id and
--       the number of rows with p_from <= created_at < p_to (either side null: open).
--   canary_exact_page(p_stream, p_after, p_upto, p_from, p_to, p_limit)  → text: up to p_limit
--       (at most 50,000) rows of one stream with p_after < id <= p_upto in the window, in id
--       order, as CSV the way PostgREST writes `text/csv` (a header of one-letter names, then
--       each row's record literal without its parentheses). The streams and their columns are
--       the console's (crates/canary-core/src/supabase/plan.rs, STREAMS), in that order:
--         0 request_completed             i,s,p,e,et,em,c,u
--         1 cache_access                  i,h,p,x,c,u
--         2 cache_miss                    i,k,c,u
--         3 mem0_write                    i,s,p,et,c,u
--         4 circuit_breaker_state_change  i,st,fc,sc,c,u
--         5 feature_flags_loaded          i,d,u
--         6 every other type              i,t,c,u
--       i id, t event_type, s success, h cache_hit, p processing_time_ms, k cache_key,
--       e/et/em/x/st/fc/sc details->>endpoint/error_type/error_message/cache_key_prefix/state/
--       failure_count/success_count, c details->canary (JSON), d details, u created_at in
--       microseconds since 1970-01-01 UTC (exact, and half the bytes of the timestamp's text).
--       `->>` is PostgreSQL's, and numbers are printed by PostgreSQL, so every value is what
--       the guide's SQL sees.

create or replace function public.canary_exact_extent(
  p_from timestamptz default null,
  p_to timestamptz default null
)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  select json_build_object('first', min(e.id), 'last', max(e.id), 'rows', count(*))
  from public.observability_events e
  where (p_from is null or e.created_at >= p_from)
    and (p_to is null or e.created_at < p_to)
$$;

create or replace function public.canary_exact_page(
  p_stream integer,
  p_after bigint default null,
  p_upto bigint default null,
  p_from timestamptz default null,
  p_to timestamptz default null,
  p_limit integer default 10000
)
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  lim constant integer := least(greatest(coalesce(p_limit, 10000), 1), 50000);
  lo constant bigint := coalesce(p_after, -9223372036854775808);
  hi constant bigint := coalesce(p_upto, 9223372036854775807);
  header text;
  body text;
begin
  -- Each branch: the stream's rows as a record (whole-row reference `r`), printed by PostgreSQL.
  case p_stream
  when 0 then
    header := 'i,s,p,e,et,em,c,u';
    select string_agg(substr(r::text, 2, length(r::text) - 2), E'\n' order by r.i) into body
    from (
      select e.id as i, e.success, e.processing_time_ms, e.details->>'endpoint',
             e.details->>'error_type', e.details->>'error_message', e.details->'canary',
             (extract(epoch from e.created_at) * 1000000)::bigint
      from public.observability_events e
      where e.event_type = 'request_completed' and e.id > lo and e.id <= hi
        and (p_from is null or e.created_at >= p_from) and (p_to is null or e.created_at < p_to)
      order by e.id limit lim
    ) r;
  when 1 then
    header := 'i,h,p,x,c,u';
    select string_agg(substr(r::text, 2, length(r::text) - 2), E'\n' order by r.i) into body
    from (
      select e.id as i, e.cache_hit, e.processing_time_ms, e.details->>'cache_key_prefix',
             e.details->'canary', (extract(epoch from e.created_at) * 1000000)::bigint
      from public.observability_events e
      where e.event_type = 'cache_access' and e.id > lo and e.id <= hi
        and (p_from is null or e.created_at >= p_from) and (p_to is null or e.created_at < p_to)
      order by e.id limit lim
    ) r;
  when 2 then
    header := 'i,k,c,u';
    select string_agg(substr(r::text, 2, length(r::text) - 2), E'\n' order by r.i) into body
    from (
      select e.id as i, e.cache_key, e.details->'canary',
             (extract(epoch from e.created_at) * 1000000)::bigint
      from public.observability_events e
      where e.event_type = 'cache_miss' and e.id > lo and e.id <= hi
        and (p_from is null or e.created_at >= p_from) and (p_to is null or e.created_at < p_to)
      order by e.id limit lim
    ) r;
  when 3 then
    header := 'i,s,p,et,c,u';
    select string_agg(substr(r::text, 2, length(r::text) - 2), E'\n' order by r.i) into body
    from (
      select e.id as i, e.success, e.processing_time_ms, e.details->>'error_type',
             e.details->'canary', (extract(epoch from e.created_at) * 1000000)::bigint
      from public.observability_events e
      where e.event_type = 'mem0_write' and e.id > lo and e.id <= hi
        and (p_from is null or e.created_at >= p_from) and (p_to is null or e.created_at < p_to)
      order by e.id limit lim
    ) r;
  when 4 then
    header := 'i,st,fc,sc,c,u';
    select string_agg(substr(r::text, 2, length(r::text) - 2), E'\n' order by r.i) into body
    from (
      select e.id as i, e.details->>'state', e.details->>'failure_count',
             e.details->>'success_count', e.details->'canary',
             (extract(epoch from e.created_at) * 1000000)::bigint
      from public.observability_events e
      where e.event_type = 'circuit_breaker_state_change' and e.id > lo and e.id <= hi
        and (p_from is null or e.created_at >= p_from) and (p_to is null or e.created_at < p_to)
      order by e.id limit lim
    ) r;
  when 5 then
    header := 'i,d,u';
    select string_agg(substr(r::text, 2, length(r::text) - 2), E'\n' order by r.i) into body
    from (
      select e.id as i, e.details, (extract(epoch from e.created_at) * 1000000)::bigint
      from public.observability_events e
      where e.event_type = 'feature_flags_loaded' and e.id > lo and e.id <= hi
        and (p_from is null or e.created_at >= p_from) and (p_to is null or e.created_at < p_to)
      order by e.id limit lim
    ) r;
  when 6 then
    header := 'i,t,c,u';
    select string_agg(substr(r::text, 2, length(r::text) - 2), E'\n' order by r.i) into body
    from (
      select e.id as i, e.event_type, e.details->'canary',
             (extract(epoch from e.created_at) * 1000000)::bigint
      from public.observability_events e
      where e.event_type not in ('request_completed', 'cache_access', 'cache_miss', 'mem0_write',
                                 'circuit_breaker_state_change', 'feature_flags_loaded')
        and e.id > lo and e.id <= hi
        and (p_from is null or e.created_at >= p_from) and (p_to is null or e.created_at < p_to)
      order by e.id limit lim
    ) r;
  else
    raise exception 'canary_exact_page: no stream %', p_stream
      using errcode = '22023', hint = 'streams are numbered 0 to 6';
  end case;
  return header || coalesce(E'\n' || body, '');
end
$$;

revoke all on function public.canary_exact_extent(timestamptz, timestamptz) from public, anon;
revoke all on function public.canary_exact_page(integer, bigint, bigint, timestamptz, timestamptz, integer)
  from public, anon;
grant execute on function public.canary_exact_extent(timestamptz, timestamptz) to authenticated;
grant execute on function public.canary_exact_page(integer, bigint, bigint, timestamptz, timestamptz, integer)
  to authenticated;

notify pgrst, 'reload schema';
