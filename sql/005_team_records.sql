-- Canary Console: the rollout as a team record. Upgrades a database that ran
-- 001_observability_events.sql and 002_team_access.sql (003 and 004 are independent of it); safe
-- to run more than once. Apply it in Supabase's SQL editor (or with
-- `psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -f sql/005_team_records.sql`).
--
-- What it adds, all in `public` (the Data API exposes it), all readable by team members only
-- (002's `canary_private.team_role()`), none readable by the anon key or by non-members:
--
--   canary_rollouts                a named rollout                 approvers add; members read
--   canary_rollout_phases          its phases: number, traffic,   approvers add and change;
--                                  start, planned length, config  members read
--   canary_rollout_changes         every change of the two above  written by a trigger only;
--                                  (who, when, old → new)         members read
--   canary_signoffs                phase sign-offs, append-only   approvers add; members read;
--                                                                 nobody changes or deletes one
--   canary_checklist_ticks         checklist ticks and notes,     approvers add; members read;
--                                  append-only                    nobody changes or deletes one
--   canary_checklist_state         the latest tick of each item   (a view of the ticks)
--
-- Who and when are never taken from the request: the signer's id and email come from the JWT
-- (`auth.uid()`, the `email` claim) and the time from the database (`now()`). The API roles have
-- no insert privilege on those columns, so a request that names them is refused rather than
-- overwritten, and the insert policies check them again. A sign-off's `markdown_sha256` must be
-- the SHA-256 of its Markdown (a check constraint), so the record and the Markdown a person read
-- agree. A correction is a new sign-off whose `supersedes` names the record it corrects (each
-- record is corrected at most once, so two people correcting the same one at once cannot both
-- win).
--
-- Set a rollout up (SQL editor, or as an approver through the console or the REST API):
--   insert into public.canary_rollouts (name) values ('Checkout backend');
--   insert into public.canary_rollout_phases (rollout, phase, traffic_pct, starts_at, planned_hours)
--     values ('Checkout backend', 1, 10, '2025-10-16 18:35:00+00', 24);

-- ---------------------------------------------------------------------------------------------
-- Who may do what: 002's role function, wrapped so policies stay one-line.

create or replace function canary_private.is_member()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$ select canary_private.team_role() is not null $$;

create or replace function canary_private.is_approver()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$ select canary_private.team_role() is not distinct from 'approver' $$;

revoke all on function canary_private.is_member(), canary_private.is_approver() from public, anon;
grant execute on function canary_private.is_member(), canary_private.is_approver() to authenticated;

-- The signed-in user's email, from the JWT (null without one).
create or replace function canary_private.jwt_email()
returns text
language sql
stable
set search_path = ''
as $$ select nullif(auth.jwt() ->> 'email', '') $$;
revoke all on function canary_private.jwt_email() from public, anon;
grant execute on function canary_private.jwt_email() to authenticated;

-- Refuses any change of an append-only table, whoever asks (service_role included: it bypasses
-- RLS, not triggers).
create or replace function canary_private.refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only: % is not allowed; record a new row instead (a sign-off is corrected by a new one that supersedes it)',
    TG_TABLE_NAME, lower(TG_OP)
    using errcode = '42501';
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Rollouts and their phases.

create table if not exists public.canary_rollouts (
  name        text        primary key check (length(btrim(name)) between 1 and 200),
  created_at  timestamptz not null default now(),
  created_by  uuid        default auth.uid()
);

create table if not exists public.canary_rollout_phases (
  rollout            text             not null references public.canary_rollouts (name),
  phase              smallint         not null check (phase between 1 and 9),
  -- Share of traffic on the new backend, percent.
  traffic_pct        double precision not null check (traffic_pct > 0 and traffic_pct <= 100),
  -- When the phase started (or is planned to); null: not yet set.
  starts_at          timestamptz,
  planned_hours      double precision not null default 24 check (planned_hours > 0 and planned_hours <= 8760),
  -- The phase's configuration (docs/metrics.md: the guide's phase table).
  fast_path_enabled  boolean          not null default true,
  canary_sample_rate double precision not null default 0.1 check (canary_sample_rate >= 0 and canary_sample_rate <= 1),
  updated_at         timestamptz      not null default now(),
  updated_by         uuid             default auth.uid(),
  updated_by_email   text             default canary_private.jwt_email(),
  primary key (rollout, phase)
);

-- Every change of a rollout or a phase: who, when, the row before and after (null for an insert
-- or a delete). Ordered by `id` (changes within one transaction share `changed_at`).
create table if not exists public.canary_rollout_changes (
  id               bigint      generated always as identity primary key,
  table_name       text        not null,
  rollout          text        not null,
  phase            smallint,
  operation        text        not null check (operation in ('insert', 'update', 'delete')),
  old_row          jsonb,
  new_row          jsonb,
  changed_by       uuid,
  changed_by_email text,
  changed_at       timestamptz not null default now()
);
create index if not exists canary_rollout_changes_rollout on public.canary_rollout_changes (rollout, id);

-- Stamps who and when on a phase row: the JWT's user and the database's time, whatever the
-- request said.
create or replace function canary_private.stamp_phase()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  new.updated_by := auth.uid();
  new.updated_by_email := canary_private.jwt_email();
  return new;
end
$$;

-- Records a change of a rollout or a phase. Security definer: the API roles cannot write the
-- change table themselves.
create or replace function canary_private.record_rollout_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  old_json jsonb := case when TG_OP in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  new_json jsonb := case when TG_OP in ('INSERT', 'UPDATE') then to_jsonb(new) end;
  row_json jsonb := coalesce(new_json, old_json);
begin
  if TG_OP = 'UPDATE' and old_json = new_json then
    return null;
  end if;
  insert into public.canary_rollout_changes
    (table_name, rollout, phase, operation, old_row, new_row, changed_by, changed_by_email)
  values (
    TG_TABLE_NAME,
    coalesce(row_json ->> 'rollout', row_json ->> 'name'),
    (row_json ->> 'phase')::smallint,
    lower(TG_OP),
    old_json,
    new_json,
    auth.uid(),
    canary_private.jwt_email()
  );
  return null;
end
$$;
revoke all on function canary_private.record_rollout_change() from public, anon, authenticated;

drop trigger if exists stamp on public.canary_rollout_phases;
create trigger stamp before insert or update on public.canary_rollout_phases
  for each row execute function canary_private.stamp_phase();
drop trigger if exists record_change on public.canary_rollout_phases;
create trigger record_change after insert or update or delete on public.canary_rollout_phases
  for each row execute function canary_private.record_rollout_change();
drop trigger if exists record_change on public.canary_rollouts;
create trigger record_change after insert or update or delete on public.canary_rollouts
  for each row execute function canary_private.record_rollout_change();
drop trigger if exists append_only on public.canary_rollout_changes;
create trigger append_only before update or delete on public.canary_rollout_changes
  for each row execute function canary_private.refuse_change();
drop trigger if exists append_only_truncate on public.canary_rollout_changes;
create trigger append_only_truncate before truncate on public.canary_rollout_changes
  for each statement execute function canary_private.refuse_change();

-- ---------------------------------------------------------------------------------------------
-- Sign-offs: append-only records of the guide's "Phase Transition Approval".

create table if not exists public.canary_signoffs (
  id              bigint      generated always as identity primary key,
  rollout         text        not null references public.canary_rollouts (name),
  phase           smallint    not null check (phase between 1 and 9),
  -- approve: the next phase may start; hold: stay in this phase; rollback: roll the phase back.
  decision        text        not null check (decision in ('approve', 'hold', 'rollback')),
  -- The phase's success criteria as judged, with their measured values: an array of
  -- {id, criterion, target, value, display, status}.
  criteria        jsonb       not null check (jsonb_typeof(criteria) = 'array'),
  -- The sign-off exactly as rendered, and its SHA-256 (lower-case hex of the UTF-8 bytes).
  markdown        text        not null check (length(markdown) between 1 and 1000000),
  markdown_sha256 text        not null,
  notes           text        check (length(notes) <= 20000),
  -- The record this one corrects, of the same rollout and phase.
  supersedes      bigint,
  -- From the JWT and the database: the API roles cannot insert these columns.
  approver_id     uuid        not null default auth.uid(),
  approver_email  text        default canary_private.jwt_email(),
  signed_at       timestamptz not null default now(),
  constraint canary_signoffs_sha256_matches
    check (markdown_sha256 = encode(sha256(convert_to(markdown, 'UTF8')), 'hex')),
  constraint canary_signoffs_same_phase unique (id, rollout, phase),
  constraint canary_signoffs_supersedes_same_phase foreign key (supersedes, rollout, phase)
    references public.canary_signoffs (id, rollout, phase),
  constraint canary_signoffs_not_self check (supersedes is null or supersedes <> id)
);
-- A record is corrected at most once.
create unique index if not exists canary_signoffs_superseded_once
  on public.canary_signoffs (supersedes) where supersedes is not null;
create index if not exists canary_signoffs_rollout on public.canary_signoffs (rollout, signed_at, id);

drop trigger if exists append_only on public.canary_signoffs;
create trigger append_only before update or delete on public.canary_signoffs
  for each row execute function canary_private.refuse_change();
drop trigger if exists append_only_truncate on public.canary_signoffs;
create trigger append_only_truncate before truncate on public.canary_signoffs
  for each statement execute function canary_private.refuse_change();

-- ---------------------------------------------------------------------------------------------
-- Checklist ticks: each tick, untick or note is a record; the latest per item is its state.

create table if not exists public.canary_checklist_ticks (
  id              bigint      generated always as identity primary key,
  rollout         text        not null references public.canary_rollouts (name),
  phase           smallint    not null check (phase between 1 and 9),
  -- The scheduled check, e.g. `hour4`.
  item            text        not null check (item ~ '^[a-z0-9_]{1,64}$'),
  ticked          boolean     not null,
  note            text        not null default '' check (length(note) <= 20000),
  ticked_by       uuid        not null default auth.uid(),
  ticked_by_email text        default canary_private.jwt_email(),
  ticked_at       timestamptz not null default now()
);
create index if not exists canary_checklist_ticks_item on public.canary_checklist_ticks (rollout, phase, item, id);

drop trigger if exists append_only on public.canary_checklist_ticks;
create trigger append_only before update or delete on public.canary_checklist_ticks
  for each row execute function canary_private.refuse_change();
drop trigger if exists append_only_truncate on public.canary_checklist_ticks;
create trigger append_only_truncate before truncate on public.canary_checklist_ticks
  for each statement execute function canary_private.refuse_change();

-- The current state of each item: its latest record. security_invoker: read with the caller's
-- rights, so the ticks' policy applies.
create or replace view public.canary_checklist_state
with (security_invoker = true) as
  select distinct on (rollout, phase, item)
    rollout, phase, item, ticked, note, ticked_by, ticked_by_email, ticked_at, id
  from public.canary_checklist_ticks
  order by rollout, phase, item, id desc;

-- ---------------------------------------------------------------------------------------------
-- Row Level Security and privileges. `(select …)` evaluates each function once per statement.

alter table public.canary_rollouts enable row level security;
alter table public.canary_rollout_phases enable row level security;
alter table public.canary_rollout_changes enable row level security;
alter table public.canary_signoffs enable row level security;
alter table public.canary_checklist_ticks enable row level security;

drop policy if exists "members read rollouts" on public.canary_rollouts;
create policy "members read rollouts" on public.canary_rollouts
  for select to authenticated using ((select canary_private.is_member()));
drop policy if exists "approvers add rollouts" on public.canary_rollouts;
create policy "approvers add rollouts" on public.canary_rollouts
  for insert to authenticated with check ((select canary_private.is_approver()));

drop policy if exists "members read phases" on public.canary_rollout_phases;
create policy "members read phases" on public.canary_rollout_phases
  for select to authenticated using ((select canary_private.is_member()));
drop policy if exists "approvers add phases" on public.canary_rollout_phases;
create policy "approvers add phases" on public.canary_rollout_phases
  for insert to authenticated with check ((select canary_private.is_approver()));
drop policy if exists "approvers change phases" on public.canary_rollout_phases;
create policy "approvers change phases" on public.canary_rollout_phases
  for update to authenticated
  using ((select canary_private.is_approver()))
  with check ((select canary_private.is_approver()));

drop policy if exists "members read changes" on public.canary_rollout_changes;
create policy "members read changes" on public.canary_rollout_changes
  for select to authenticated using ((select canary_private.is_member()));

drop policy if exists "members read sign-offs" on public.canary_signoffs;
create policy "members read sign-offs" on public.canary_signoffs
  for select to authenticated using ((select canary_private.is_member()));
drop policy if exists "approvers sign in their own name" on public.canary_signoffs;
create policy "approvers sign in their own name" on public.canary_signoffs
  for insert to authenticated with check (
    (select canary_private.is_approver())
    and approver_id = (select auth.uid())
    and approver_email is not distinct from (select canary_private.jwt_email())
  );

drop policy if exists "members read ticks" on public.canary_checklist_ticks;
create policy "members read ticks" on public.canary_checklist_ticks
  for select to authenticated using ((select canary_private.is_member()));
drop policy if exists "approvers tick in their own name" on public.canary_checklist_ticks;
create policy "approvers tick in their own name" on public.canary_checklist_ticks
  for insert to authenticated with check (
    (select canary_private.is_approver())
    and ticked_by = (select auth.uid())
    and ticked_by_email is not distinct from (select canary_private.jwt_email())
  );

-- Supabase grants every API role everything on new tables in public; take it back and grant only
-- what the policies above are for. Insert privileges name the columns a person supplies: a
-- request naming who or when is refused.
revoke all on table public.canary_rollouts, public.canary_rollout_phases,
  public.canary_rollout_changes, public.canary_signoffs, public.canary_checklist_ticks,
  public.canary_checklist_state
  from public, anon, authenticated;

grant select on table public.canary_rollouts, public.canary_rollout_phases,
  public.canary_rollout_changes, public.canary_signoffs, public.canary_checklist_ticks,
  public.canary_checklist_state
  to authenticated;
grant insert (name) on table public.canary_rollouts to authenticated;
grant insert (rollout, phase, traffic_pct, starts_at, planned_hours, fast_path_enabled, canary_sample_rate)
  on table public.canary_rollout_phases to authenticated;
grant update (traffic_pct, starts_at, planned_hours, fast_path_enabled, canary_sample_rate)
  on table public.canary_rollout_phases to authenticated;
grant insert (rollout, phase, decision, criteria, markdown, markdown_sha256, notes, supersedes)
  on table public.canary_signoffs to authenticated;
grant insert (rollout, phase, item, ticked, note)
  on table public.canary_checklist_ticks to authenticated;
