-- Plain-SQL tests of sql/002_team_access.sql's policies: each case reads the events as the role
-- and with the JWT claims PostgREST would set, inside a transaction that is rolled back.
-- Run by scripts/test.sh (step "Supabase REST path") against the stand-in stack's database:
--   psql "$CANARY_SUPABASE_DB" -X -v ON_ERROR_STOP=1 -f tests/sql/team_access.sql
-- Any failed expectation raises an exception, so psql exits non-zero.
\set QUIET on
begin;
-- Rows of this test only (ids far above the REST tests' slots), visible to members alone.
insert into public.observability_events (id, event_type, success, processing_time_ms, created_at)
  select 990000000 + g, 'request_completed', true, g, '2031-01-01 00:00:00+00'::timestamptz + g * interval '1 second'
  from generate_series(1, 3) g;

create temporary table expectations (who text, claims text, role_name text, rows_seen bigint, membership json);
grant all on expectations to anon, authenticated;

create function pg_temp.read_as(who text, role_name text, claims text) returns void language plpgsql as $$
declare
  n bigint;
  m json;
begin
  perform set_config('request.jwt.claims', claims, true);
  execute format('set local role %I', role_name);
  select count(*) into n from public.observability_events where id > 990000000 and id <= 990000003;
  begin
    m := public.canary_team_membership();
  exception when insufficient_privilege then
    m := null;
  end;
  reset role;
  insert into expectations values (who, claims, role_name, n, m);
end
$$;

\o /dev/null
select pg_temp.read_as('member', 'authenticated',
  '{"sub":"00000000-0000-4000-8000-000000000001","email":"oncall@example.com","role":"authenticated"}');
select pg_temp.read_as('outsider', 'authenticated',
  '{"sub":"00000000-0000-4000-8000-000000000002","email":"outsider@example.com","role":"authenticated"}');
select pg_temp.read_as('anonymous', 'authenticated',
  '{"sub":"00000000-0000-4000-8000-000000000003","role":"authenticated","is_anonymous":true}');
-- A member's id with the anonymous claim (a forged-looking mix): still not a member.
select pg_temp.read_as('member id, anonymous claim', 'authenticated',
  '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated","is_anonymous":true}');
select pg_temp.read_as('no sub', 'authenticated', '{"role":"authenticated"}');
\o

do $$
declare
  r record;
begin
  for r in select * from expectations loop
    raise notice '% sees % rows, membership %', r.who, r.rows_seen, r.membership;
  end loop;
  if (select rows_seen from expectations where who = 'member') <> 3 then
    raise exception 'a member must see the 3 rows';
  end if;
  if (select membership ->> 'role' from expectations where who = 'member') <> 'approver' then
    raise exception 'the member''s membership must name the role approver';
  end if;
  if exists (select 1 from expectations where who <> 'member' and rows_seen <> 0) then
    raise exception 'only members may see rows: %', (select json_agg(e) from expectations e where who <> 'member' and rows_seen <> 0);
  end if;
  if exists (select 1 from expectations where who <> 'member' and membership ->> 'role' is not null) then
    raise exception 'a non-member was given a role';
  end if;
  if (select (membership ->> 'anonymous')::boolean from expectations where who = 'anonymous') is not true then
    raise exception 'the membership answer must say the user is anonymous';
  end if;
end
$$;

-- The anon key alone: no privilege on the table nor on the membership function.
set local role anon;
set local request.jwt.claims = '{"role":"anon"}';
do $$
begin
  begin
    perform count(*) from public.observability_events;
    raise exception 'anon read the table';
  exception when insufficient_privilege then null;
  end;
  begin
    perform public.canary_team_membership();
    raise exception 'anon called canary_team_membership()';
  exception when insufficient_privilege then null;
  end;
  begin
    perform 1 from canary_private.team_members;
    raise exception 'anon read the member list';
  exception when insufficient_privilege then null;
  end;
end
$$;
reset role;

-- Signed-in users cannot read or change the member list, nor add themselves.
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-8000-000000000002","role":"authenticated"}';
do $$
begin
  begin
    perform 1 from canary_private.team_members;
    raise exception 'a signed-in user read the member list';
  exception when insufficient_privilege then null;
  end;
  begin
    perform canary_private.add_team_member('outsider@example.com', 'approver');
    raise exception 'a signed-in user added a member';
  exception when insufficient_privilege then null;
  end;
end
$$;
reset role;

-- The policy calls the function once per statement (an initPlan), not once per row.
set local role authenticated;
set local request.jwt.claims = '{"sub":"00000000-0000-4000-8000-000000000001","role":"authenticated"}';
do $$
declare
  line text;
  plan text := '';
begin
  for line in execute 'explain select count(*) from public.observability_events' loop
    plan := plan || line || E'\n';
  end loop;
  if plan not like '%InitPlan%' then
    raise exception 'the policy is not evaluated once per statement:%', E'\n' || plan;
  end if;
end
$$;
reset role;
rollback;
\echo 'team access SQL tests: ok'
