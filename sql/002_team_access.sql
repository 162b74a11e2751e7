-- Canary Console: only the team reads the events. Upgrades a database that ran
-- 001_observability_events.sql; safe to run more than once. Apply it in Supabase's SQL editor (or
-- with `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/002_team_access.sql`).
--
-- Why: 001 let every signed-in user read every event. In a Supabase project that is anyone who
-- signs up (sign-ups are open by default) and every anonymous sign-in (role authenticated too),
-- so the public anon key plus a self-made account read all error messages, cache keys and
-- endpoints. After this migration:
--
--   anon                        (the anon / publishable key alone)  nothing
--   authenticated, a member     (listed in canary_private.team_members) every row
--   authenticated, not a member (or signed in anonymously)           nothing
--   service_role                (the backend, server side only)      bypasses RLS, as before
--
-- Add a member (SQL editor; the user must have signed in or been invited once):
--   select canary_private.add_team_member('jane@example.com', 'viewer');
-- Remove one:
--   delete from canary_private.team_members where email = 'jane@example.com';
-- The console asks `public.canary_team_membership()` before it reads, so it can tell "you are not
-- a member of this team" from "no events in this window".

-- A schema the Data API does not expose (Supabase exposes `public` and `graphql_public` unless
-- told otherwise): nothing in it is reachable over REST, yet policies may call its functions.
create schema if not exists canary_private;
revoke all on schema canary_private from public;
grant usage on schema canary_private to authenticated;

create table if not exists canary_private.team_members (
  user_id  uuid        primary key references auth.users (id) on delete cascade,
  -- The address the member signs in with, for people reading the table (auth.users is the truth).
  email    text        not null,
  -- viewer: reads the events; approver: reads them and signs phases off.
  role     text        not null check (role in ('viewer', 'approver')),
  added_at timestamptz not null default now()
);
-- No policy: no API role reads the table itself; the functions below (owned by its owner) do.
alter table canary_private.team_members enable row level security;
revoke all on table canary_private.team_members from public, anon, authenticated;

-- The caller's role in the team, or null. Security definer, so the caller needs no access to
-- the table; an empty search_path, so nothing the caller creates can shadow what it reads.
-- Anonymous sign-ins are never members, whatever the table says: the `is_anonymous` claim of
-- their token and their auth.users row both say so.
create or replace function canary_private.team_role()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select m.role
  from canary_private.team_members m
  join auth.users u on u.id = m.user_id
  where m.user_id = auth.uid()
    and coalesce((auth.jwt() ->> 'is_anonymous')::boolean, false) = false
    and coalesce(u.is_anonymous, false) = false
$$;
revoke all on function canary_private.team_role() from public, anon;
grant execute on function canary_private.team_role() to authenticated;

-- Adds (or re-roles) the user with this email. Only the database owner runs it (SQL editor).
create or replace function canary_private.add_team_member(member_email text, member_role text default 'viewer')
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  found_id uuid;
begin
  select u.id into found_id
  from auth.users u
  where lower(u.email) = lower(member_email) and coalesce(u.is_anonymous, false) = false;
  if found_id is null then
    raise exception 'no user with the email % in auth.users: invite them or let them sign in once (Authentication → Users), then run this again', member_email;
  end if;
  insert into canary_private.team_members (user_id, email, role)
  values (found_id, lower(member_email), member_role)
  on conflict (user_id) do update set role = excluded.role, email = excluded.email;
  return found_id;
end
$$;
revoke all on function canary_private.add_team_member(text, text) from public, anon, authenticated;

-- What the console asks first: who the token is and whether it is a member. Exposed (public
-- schema) to signed-in users only; the anon key alone gets "permission denied".
create or replace function public.canary_team_membership()
returns json
language sql
stable
set search_path = ''
as $$
  select json_build_object(
    'email', auth.jwt() ->> 'email',
    'anonymous', coalesce((auth.jwt() ->> 'is_anonymous')::boolean, false),
    'role', (select canary_private.team_role())
  )
$$;
revoke all on function public.canary_team_membership() from public, anon;
grant execute on function public.canary_team_membership() to authenticated;

-- The read policy: members only. `(select …)` makes PostgreSQL evaluate the function once per
-- statement (an initPlan) instead of once per row, as Supabase's RLS performance guide advises.
alter table public.observability_events enable row level security;
drop policy if exists "signed-in users read events" on public.observability_events;
drop policy if exists "team members read events" on public.observability_events;
create policy "team members read events"
  on public.observability_events
  for select
  to authenticated
  using ((select canary_private.team_role()) is not null);

-- As 001 left them: the anon key alone reads nothing, signed-in users only through the policy.
revoke all on table public.observability_events from anon;
revoke all on table public.observability_events from authenticated;
grant select on table public.observability_events to authenticated;
