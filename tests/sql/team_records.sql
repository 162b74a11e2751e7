-- Plain-SQL tests of sql/005_team_records.sql: rollouts, phases and their change history,
-- append-only sign-offs and checklist ticks, each under the API role and the JWT claims
-- PostgREST would set, inside a transaction that is rolled back. Run by scripts/test.sh (step
-- "Supabase REST path") against the stand-in stack's database, whose users are
--   oncall@example.com (…0001, approver), lead@example.com (…0006, approver),
--   viewer@example.com (…0005, viewer), outsider@example.com (…0002, not a member):
--   psql "$CANARY_SUPABASE_DB" -X -v ON_ERROR_STOP=1 -f tests/sql/team_records.sql
-- Any failed expectation raises an exception, so psql exits non-zero.
\set QUIET on
begin;
-- The history stores rows as JSON: their times print in the session's time zone.
set local timezone = 'UTC';

-- Runs `sql` as the API role with the claims of `who`; returns null, or the SQLSTATE it failed with.
create function pg_temp.try_as(who text, sql text) returns text language plpgsql as $$
declare
  claims text := case who
    when 'oncall' then '{"sub":"00000000-0000-4000-8000-000000000001","email":"oncall@example.com","role":"authenticated"}'
    when 'lead' then '{"sub":"00000000-0000-4000-8000-000000000006","email":"lead@example.com","role":"authenticated"}'
    when 'viewer' then '{"sub":"00000000-0000-4000-8000-000000000005","email":"viewer@example.com","role":"authenticated"}'
    when 'outsider' then '{"sub":"00000000-0000-4000-8000-000000000002","email":"outsider@example.com","role":"authenticated"}'
    when 'anon' then '{"role":"anon"}'
  end;
  state text;
begin
  perform set_config('request.jwt.claims', claims, true);
  execute format('set local role %I', case who when 'anon' then 'anon' else 'authenticated' end);
  begin
    execute sql;
  exception when others then
    get stacked diagnostics state = returned_sqlstate;
  end;
  reset role;
  return state;
end
$$;

-- Counts the rows `sql` (a select count(*)) gives as `who`.
create function pg_temp.count_as(who text, sql text) returns bigint language plpgsql as $$
declare
  n bigint;
  claims text := case who
    when 'oncall' then '{"sub":"00000000-0000-4000-8000-000000000001","email":"oncall@example.com","role":"authenticated"}'
    when 'viewer' then '{"sub":"00000000-0000-4000-8000-000000000005","email":"viewer@example.com","role":"authenticated"}'
    when 'outsider' then '{"sub":"00000000-0000-4000-8000-000000000002","email":"outsider@example.com","role":"authenticated"}'
    when 'anonymous' then '{"sub":"00000000-0000-4000-8000-000000000003","role":"authenticated","is_anonymous":true}'
  end;
begin
  perform set_config('request.jwt.claims', claims, true);
  set local role authenticated;
  execute sql into n;
  reset role;
  return n;
end
$$;

create function pg_temp.expect(what text, got text, want text) returns void language plpgsql as $$
begin
  if got is distinct from want then
    raise exception '%: got %, expected %', what, coalesce(got, 'success'), coalesce(want, 'success');
  end if;
end
$$;

-- A sign-off's JSON body as a client sends it.
create function pg_temp.signoff_sql(rollout text, extra text default '', markdown text default '# Sign-off', sha text default null) returns text language sql as $$
  select format(
    'insert into public.canary_signoffs (rollout, phase, decision, criteria, markdown, markdown_sha256%s) values (%L, 1, %L, %L, %L, %L%s)',
    case when extra = '' then '' else ', ' || split_part(extra, '=', 1) end,
    rollout, 'approve', '[{"id":"error_rate","value":0.4,"status":"pass"}]', markdown,
    coalesce(sha, encode(sha256(convert_to(markdown, 'UTF8')), 'hex')),
    case when extra = '' then '' else ', ' || split_part(extra, '=', 2) end)
$$;

\o /dev/null
-- Rollouts and phases: approvers write, viewers and outsiders cannot.
select pg_temp.expect('an approver adds a rollout',
  pg_temp.try_as('oncall', $$insert into public.canary_rollouts (name) values ('sqltest rollout')$$), null);
select pg_temp.expect('a viewer cannot add a rollout',
  pg_temp.try_as('viewer', $$insert into public.canary_rollouts (name) values ('viewer rollout')$$), '42501');
select pg_temp.expect('the anon key cannot add a rollout',
  pg_temp.try_as('anon', $$insert into public.canary_rollouts (name) values ('anon rollout')$$), '42501');
select pg_temp.expect('an approver adds phase 1',
  pg_temp.try_as('oncall', $$insert into public.canary_rollout_phases (rollout, phase, traffic_pct, starts_at, planned_hours)
    values ('sqltest rollout', 1, 10, '2025-10-16 18:35:00+00', 24)$$), null);
select pg_temp.expect('a viewer cannot add a phase',
  pg_temp.try_as('viewer', $$insert into public.canary_rollout_phases (rollout, phase, traffic_pct) values ('sqltest rollout', 2, 50)$$), '42501');
select pg_temp.expect('an approver cannot stamp a phase change in another name',
  pg_temp.try_as('oncall', $$insert into public.canary_rollout_phases (rollout, phase, traffic_pct, updated_by)
    values ('sqltest rollout', 2, 50, '00000000-0000-4000-8000-000000000005')$$), '42501');
select pg_temp.expect('another approver moves the start',
  pg_temp.try_as('lead', $$update public.canary_rollout_phases set starts_at = '2025-10-16 19:00:00+00' where rollout = 'sqltest rollout' and phase = 1$$), null);
select pg_temp.expect('an approver changes the traffic',
  pg_temp.try_as('oncall', $$update public.canary_rollout_phases set traffic_pct = 12 where rollout = 'sqltest rollout' and phase = 1$$), null);
-- A viewer's update matches no row it may change (RLS), so nothing changes.
select pg_temp.expect('a viewer''s update changes nothing',
  pg_temp.try_as('viewer', $$update public.canary_rollout_phases set traffic_pct = 99 where rollout = 'sqltest rollout'$$), null);
select pg_temp.expect('nobody deletes a phase through the API',
  pg_temp.try_as('oncall', $$delete from public.canary_rollout_phases where rollout = 'sqltest rollout'$$), '42501');
select pg_temp.expect('nobody writes the change history',
  pg_temp.try_as('oncall', $$insert into public.canary_rollout_changes (table_name, rollout, operation) values ('x', 'sqltest rollout', 'insert')$$), '42501');
select pg_temp.expect('nobody rewrites the change history',
  pg_temp.try_as('oncall', $$update public.canary_rollout_changes set changed_by_email = 'x' where rollout = 'sqltest rollout'$$), '42501');
\o

do $$
declare
  h jsonb;
begin
  if (select traffic_pct from public.canary_rollout_phases where rollout = 'sqltest rollout' and phase = 1) <> 12 then
    raise exception 'the viewer''s update changed the phase';
  end if;
  if (select updated_by_email from public.canary_rollout_phases where rollout = 'sqltest rollout' and phase = 1) <> 'oncall@example.com' then
    raise exception 'the phase does not name who changed it last';
  end if;
  select jsonb_agg(jsonb_build_object('op', operation, 'table', table_name, 'by', changed_by_email,
      'old_start', old_row ->> 'starts_at', 'new_start', new_row ->> 'starts_at',
      'old_traffic', old_row ->> 'traffic_pct', 'new_traffic', new_row ->> 'traffic_pct') order by id)
    into h from public.canary_rollout_changes where rollout = 'sqltest rollout';
  raise notice 'history: %', h;
  if jsonb_array_length(h) <> 4
    or h -> 0 ->> 'table' <> 'canary_rollouts' or h -> 0 ->> 'by' <> 'oncall@example.com'
    or h -> 1 ->> 'op' <> 'insert' or h -> 1 ->> 'new_traffic' <> '10'
    or h -> 2 ->> 'op' <> 'update' or h -> 2 ->> 'by' <> 'lead@example.com'
    or h -> 2 ->> 'old_start' <> '2025-10-16T18:35:00+00:00' or h -> 2 ->> 'new_start' <> '2025-10-16T19:00:00+00:00'
    or h -> 3 ->> 'old_traffic' <> '10' or h -> 3 ->> 'new_traffic' <> '12' or h -> 3 ->> 'by' <> 'oncall@example.com'
  then
    raise exception 'the change history is not complete and in order: %', h;
  end if;
end
$$;

\o /dev/null
-- Sign-offs.
select pg_temp.expect('an approver signs off',
  pg_temp.try_as('oncall', pg_temp.signoff_sql('sqltest rollout')), null);
select pg_temp.expect('a viewer cannot sign off',
  pg_temp.try_as('viewer', pg_temp.signoff_sql('sqltest rollout')), '42501');
select pg_temp.expect('an outsider cannot sign off',
  pg_temp.try_as('outsider', pg_temp.signoff_sql('sqltest rollout')), '42501');
select pg_temp.expect('the anon key cannot sign off',
  pg_temp.try_as('anon', pg_temp.signoff_sql('sqltest rollout')), '42501');
select pg_temp.expect('an approver cannot sign in another''s name',
  pg_temp.try_as('oncall', pg_temp.signoff_sql('sqltest rollout', 'approver_id=''00000000-0000-4000-8000-000000000006''')), '42501');
select pg_temp.expect('an approver cannot name another email',
  pg_temp.try_as('oncall', pg_temp.signoff_sql('sqltest rollout', 'approver_email=''lead@example.com''')), '42501');
select pg_temp.expect('an approver cannot choose the time',
  pg_temp.try_as('oncall', pg_temp.signoff_sql('sqltest rollout', 'signed_at=''2020-01-01 00:00:00+00''')), '42501');
select pg_temp.expect('a SHA-256 that is not the Markdown''s is refused',
  pg_temp.try_as('oncall', pg_temp.signoff_sql('sqltest rollout', '', '# Sign-off', encode(sha256('something else'), 'hex'))), '23514');
select pg_temp.expect('an approver cannot change a sign-off',
  pg_temp.try_as('oncall', $$update public.canary_signoffs set decision = 'rollback' where rollout = 'sqltest rollout'$$), '42501');
select pg_temp.expect('an approver cannot delete a sign-off',
  pg_temp.try_as('oncall', $$delete from public.canary_signoffs where rollout = 'sqltest rollout'$$), '42501');
select pg_temp.expect('another approver corrects it',
  pg_temp.try_as('lead', pg_temp.signoff_sql('sqltest rollout',
    format('supersedes=%s', (select id from public.canary_signoffs where rollout = 'sqltest rollout')), '# Sign-off, corrected')), null);
select pg_temp.expect('a record is corrected only once',
  pg_temp.try_as('oncall', pg_temp.signoff_sql('sqltest rollout',
    format('supersedes=%s', (select min(id) from public.canary_signoffs where rollout = 'sqltest rollout')))), '23505');
\o

do $$
declare
  s jsonb;
begin
  select jsonb_agg(jsonb_build_object('email', approver_email, 'by', approver_id, 'supersedes', supersedes,
      'sha_ok', markdown_sha256 = encode(sha256(convert_to(markdown, 'UTF8')), 'hex'),
      'recent', signed_at = now()) order by signed_at, id)
    into s from public.canary_signoffs where rollout = 'sqltest rollout';
  raise notice 'sign-offs: %', s;
  if jsonb_array_length(s) <> 2
    or s -> 0 ->> 'email' <> 'oncall@example.com' or s -> 0 ->> 'by' <> '00000000-0000-4000-8000-000000000001'
    or s -> 1 ->> 'email' <> 'lead@example.com' or (s -> 1 ->> 'supersedes') is null
    or (s -> 0 ->> 'sha_ok')::boolean is not true or (s -> 1 ->> 'sha_ok')::boolean is not true
    or (s -> 0 ->> 'recent')::boolean is not true
  then
    raise exception 'the sign-offs are not the two expected records: %', s;
  end if;
end
$$;

\o /dev/null
-- Checklist ticks.
select pg_temp.expect('an approver ticks',
  pg_temp.try_as('oncall', $$insert into public.canary_checklist_ticks (rollout, phase, item, ticked, note) values ('sqltest rollout', 1, 'hour4', true, 'looked fine')$$), null);
select pg_temp.expect('another approver unticks',
  pg_temp.try_as('lead', $$insert into public.canary_checklist_ticks (rollout, phase, item, ticked) values ('sqltest rollout', 1, 'hour4', false)$$), null);
select pg_temp.expect('a viewer cannot tick',
  pg_temp.try_as('viewer', $$insert into public.canary_checklist_ticks (rollout, phase, item, ticked) values ('sqltest rollout', 1, 'hour8', true)$$), '42501');
select pg_temp.expect('an approver cannot tick in another''s name',
  pg_temp.try_as('oncall', $$insert into public.canary_checklist_ticks (rollout, phase, item, ticked, ticked_by) values ('sqltest rollout', 1, 'hour8', true, '00000000-0000-4000-8000-000000000006')$$), '42501');
select pg_temp.expect('an approver cannot change a tick',
  pg_temp.try_as('oncall', $$update public.canary_checklist_ticks set ticked = true$$), '42501');
\o

-- Even the table's owner (and service_role, which bypasses RLS) cannot rewrite a sign-off.
do $$
begin
  begin
    update public.canary_signoffs set decision = 'rollback' where rollout = 'sqltest rollout';
    raise exception 'the owner changed a sign-off';
  exception when insufficient_privilege then null;
  end;
  begin
    delete from public.canary_checklist_ticks where rollout = 'sqltest rollout';
    raise exception 'the owner deleted ticks';
  exception when insufficient_privilege then null;
  end;
  begin
    truncate public.canary_signoffs cascade;
    raise exception 'the owner truncated the sign-offs';
  exception when insufficient_privilege then null;
  end;
end
$$;

-- Who reads what: members everything, a non-member, an anonymous sign-in nothing.
do $$
declare
  who text;
  t text;
  n bigint;
begin
  foreach t in array array['canary_rollouts', 'canary_rollout_phases', 'canary_rollout_changes',
      'canary_signoffs', 'canary_checklist_ticks', 'canary_checklist_state'] loop
    foreach who in array array['oncall', 'viewer', 'outsider', 'anonymous'] loop
      n := pg_temp.count_as(who, format('select count(*) from public.%I where %s = %L', t,
        case t when 'canary_rollouts' then 'name' else 'rollout' end, 'sqltest rollout'));
      if (who in ('oncall', 'viewer')) <> (n > 0) then
        raise exception '% sees % rows of %', who, n, t;
      end if;
    end loop;
  end loop;
  if pg_temp.count_as('viewer', $q$select count(*) from public.canary_checklist_state where rollout = 'sqltest rollout' and item = 'hour4' and not ticked and ticked_by_email = 'lead@example.com'$q$) <> 1 then
    raise exception 'the checklist state is not the latest tick';
  end if;
end
$$;

-- The anon key alone has no privilege on any of the tables.
set local role anon;
do $$
begin
  perform 1 from public.canary_signoffs;
  raise exception 'anon read the sign-offs';
exception when insufficient_privilege then null;
end
$$;
reset role;
rollback;
\echo 'team records SQL tests: ok'
