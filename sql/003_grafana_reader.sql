-- Canary Console: a read-only role for Grafana's PostgreSQL data source (the dashboard of
-- `canary-report grafana`). Apply after 001_observability_events.sql (before or after the other
-- migrations: it touches nothing of theirs); safe to run again.
--
--   psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/003_grafana_reader.sql
--
-- It creates the group role `canary_grafana` (NOLOGIN): it may read observability_events and
-- nothing else, and Row Level Security lets it see every row (the table has RLS on, so a role
-- without a policy would read none). The policy names `canary_grafana` alone: it gives nothing to
-- anon or authenticated, so the policies that decide what the API roles read stay exactly as
-- strict as they are. PostgREST cannot switch to this role either
-- (`authenticator` is not a member of it); keep it that way. Grafana logs in as a user of its own
-- that is a member of it, e.g.
--
--   create role grafana login password '…' in role canary_grafana;
--   alter role grafana set default_transaction_read_only = on;
--
-- and the data source is set to that user (on Supabase: the project's direct or session pooler
-- connection, database postgres, SSL mode require).

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'canary_grafana') then
    create role canary_grafana nologin;
  end if;
end
$$;

grant usage on schema public to canary_grafana;
revoke all on table public.observability_events from canary_grafana;
grant select on table public.observability_events to canary_grafana;

drop policy if exists "grafana reads events" on public.observability_events;
create policy "grafana reads events"
  on public.observability_events
  for select
  to canary_grafana
  using (true);
