#!/usr/bin/env bash
# Canary Console: run EVERY check and test (README command 2; CI runs it through .ci/run).
#
#   bash scripts/test.sh
#
# Steps, in order, stopping at the first failure:
#   1 tools      scripts/install-tools.sh app test (pinned; skips what is already there)
#   2 fetch      cargo fetch --locked (Cargo.lock must be committed and up to date)
#   3 fmt        cargo fmt --all --check
#   4 clippy     cargo clippy --workspace --all-targets -- -D warnings
#   5 test       cargo test --workspace (native)
#   5b wasm      component tests in headless Chromium (wasm-bindgen-test, chromedriver)
#   6 postgres   throw-away PostgreSQL 15 (scripts/pg.sh) + the SQL exactness test + every
#                Grafana panel's SQL (macros expanded as Grafana does) against the console
#   7 supabase   PostgreSQL + PostgREST 12.0.2 + nginx on loopback (scripts/supabase-local.sh)
#                + tests/sql/team_access.sql (the RLS policies in plain SQL)
#                + tests/sql/team_records.sql (rollouts, sign-offs, ticks: RLS, privileges, history)
#                + crates/canary-report/tests/supabase.rs, rollups_db.rs, reports_rollups_db.rs (pg_cron running the
#                rollup job, the RPCs with RLS) and team_records.rs; the stack stays up for step 9
#   7b delivery  the CLI's email over SMTP against aiosmtpd (plain, STARTTLS + AUTH, TLS, and
#                the failures), chat webhooks against a local HTTP server, the HTML screenshotted
#                in Chromium (tests/delivery/, Python in .tools/venv-delivery)
#   8 wasm       trunk build --release --offline  (into dist/)
#   9 e2e        dist/ served by python3 on 127.0.0.1 + node --test tests/e2e/ (Chromium);
#                tests/e2e/supabase.test.mjs, team-access.test.mjs and team-records.test.mjs
#                read step 7's stack from the page (CORS: another origin)
#  10 sub-path   trunk build --public-url /canary-console/ (GitHub Pages layout), served under
#                /canary-console/ + node --test tests/e2e-subpath/ (Chromium), including sign-in
#                through the Auth stand-in; step 7's stack is stopped after this step
# Logs of the test steps are kept in target/test-logs/. PostgreSQL, the Supabase stand-in and the
# web server are stopped on exit, also on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TOTAL_STEPS=12
STEP_NO=0
STEP_NAME="start"
STEP_START=$SECONDS
RUN_START=$SECONDS
LOG_DIR="$ROOT/target/test-logs"
HTTP_PID=""
TIMINGS=()
PASSED=0
FAILED=0
SKIPPED=0

if [[ -t 1 ]]; then
  BOLD=$'\033[1m' RED=$'\033[1;31m' RESET=$'\033[0m'
else
  BOLD="" RED="" RESET=""
fi

say() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$RESET"; }

step() {
  finish_step
  STEP_NO=$((STEP_NO + 1))
  STEP_NAME="$1"
  STEP_START=$SECONDS
  say "[$STEP_NO/$TOTAL_STEPS] $STEP_NAME"
}

finish_step() {
  if ((STEP_NO > 0)); then
    TIMINGS+=("$(printf '  %-46s %5d s' "$STEP_NO. $STEP_NAME" $((SECONDS - STEP_START)))")
  fi
}

# Adds the counts of a cargo test or node --test log to the totals.
count_tests() {
  local log=$1 kind=$2 p f s
  if [[ "$kind" == python ]]; then
    # unittest: "Ran N tests", then "OK", "OK (skipped=S)" or "FAILED (failures=F, errors=E)".
    read -r p f s < <(awk '/^Ran [0-9]+ tests? /{n += $2}
      /^FAILED/{ if (match($0, /failures=[0-9]+/)) f += substr($0, RSTART + 9, RLENGTH - 9)
                 if (match($0, /errors=[0-9]+/)) f += substr($0, RSTART + 7, RLENGTH - 7) }
      /skipped=[0-9]+/{ if (match($0, /skipped=[0-9]+/)) s += substr($0, RSTART + 8, RLENGTH - 8) }
      END { print n - f - s, f + 0, s + 0 }' "$log")
  elif [[ "$kind" == cargo ]]; then
    read -r p f s < <(awk '/^test result: /{
        for (i = 1; i <= NF; i++) {
          if ($(i+1) ~ /^passed;?$/) p += $i
          if ($(i+1) ~ /^failed;?$/) f += $i
          if ($(i+1) ~ /^ignored;?$/) s += $i
        }
      } END { print p + 0, f + 0, s + 0 }' "$log")
  else
    read -r p f s < <(awk '/^# pass /{p += $3} /^# fail /{f += $3} /^# (skipped|todo) /{s += $3}
      END { print p + 0, f + 0, s + 0 }' "$log")
  fi
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  SKIPPED=$((SKIPPED + s))
}

# Runs a test command, keeping its output in target/test-logs/NAME.log, and counts its tests.
run_tests() {
  local name=$1 kind=$2
  shift 2
  local log="$LOG_DIR/$name.log" rc=0
  "$@" 2>&1 | tee "$log" || rc=$?
  count_tests "$log" "$kind"
  return "$rc"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
# shellcheck source=scripts/pg.sh
source "$ROOT/scripts/pg.sh"
# shellcheck source=scripts/supabase-local.sh
source "$ROOT/scripts/supabase-local.sh"

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$HTTP_PID" ]]; then
    kill "$HTTP_PID" 2>/dev/null
    wait "$HTTP_PID" 2>/dev/null
    HTTP_PID=""
  fi
  supabase_stop
  pg_stop
  if ((rc != 0)); then
    printf '\n%stest.sh: FAILED at step %d/%d "%s" (exit %d) after %d s; tests so far: %d passed, %d failed; logs in target/test-logs/%s\n' \
      "$RED" "$STEP_NO" "$TOTAL_STEPS" "$STEP_NAME" "$rc" $((SECONDS - RUN_START)) "$PASSED" "$FAILED" "$RESET"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$LOG_DIR"

step "install pinned tools (app test)"
bash scripts/install-tools.sh app test

step "cargo fetch --locked"
cargo fetch --locked

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace"
run_tests cargo-test cargo cargo test --workspace

step "component tests in Chromium (wasm-bindgen-test)"
CHROMEDRIVER=/usr/bin/chromedriver run_tests wasm-components cargo \
  cargo test --target wasm32-unknown-unknown --test wasm_components

step "PostgreSQL exactness (postgres_exactness, release)"
pg_start
run_tests postgres-exactness cargo \
  cargo test --release -p canary-report --test postgres_exactness -- --include-ignored
run_tests grafana-sql cargo \
  cargo test --release -p canary-report --test grafana_sql -- --include-ignored
pg_stop

step "Supabase REST path (PostgREST 12.0.2 behind nginx, supabase tests, release)"
supabase_start
# The team-only read policies of sql/002_team_access.sql, in plain SQL under each API role.
"$CANARY_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$CANARY_SUPABASE_DB" -f tests/sql/team_access.sql \
  2>&1 | tee "$LOG_DIR/team-access-sql.log"
# The team records of sql/005_team_records.sql (rollouts, append-only sign-offs and ticks).
"$CANARY_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$CANARY_SUPABASE_DB" -f tests/sql/team_records.sql \
  2>&1 | tee "$LOG_DIR/team-records-sql.log"
run_tests supabase cargo \
  cargo test --release -p canary-report --test supabase -- --include-ignored
# The rollups of sql/004_rollups.sql: pg_cron's job, recomputation, RPCs with RLS, the CLI's path.
# One test at a time: a test's own refresh holds the refresh lock, and pg_cron's run of the job
# waits for it, so beside a long one the job test would be waiting on another test, not on cron.
run_tests rollups-db cargo \
  cargo test --release -p canary-report --test rollups_db -- --include-ignored --nocapture --test-threads=1
# The email and the sign-off from the rollups above the row limit, and from the rows below it.
run_tests reports-rollups-db cargo \
  cargo test --release -p canary-report --test reports_rollups_db -- --include-ignored
# The team records through PostgREST with real JWTs, and the CLI's sign-off commands.
run_tests team-records cargo \
  cargo test --release -p canary-report --test team_records -- --include-ignored
# Kept running for the page's Supabase test in step 9 (the CANARY_SUPABASE_* and CANARY_SUPA_DIR
# variables supabase_start exported reach node); cleanup stops it on a failure in between.
export CANARY_PSQL="${CANARY_PSQL:-$CANARY_PG_BIN/psql}"

step "delivery: SMTP (aiosmtpd), webhooks, HTML email in Chromium (tests/delivery/)"
cargo build --release --bin canary-report
CANARY_REPORT_BIN="$ROOT/target/release/canary-report" run_tests delivery python \
  "$ROOT/.tools/venv-delivery/bin/python" -m unittest discover -s tests/delivery -v
echo "the received emails, their HTML and screenshots: target/test-logs/email-*"

step "trunk build --release --offline"
# The page's CSP lets it connect to loopback only in these test builds (the Supabase stand-in,
# the Auth stand-in and test servers run on 127.0.0.1; scripts/csp-hook.py).
export CANARY_CSP_CONNECT_SRC="http://127.0.0.1:*"
trunk build --release --offline
[[ -f dist/index.html ]] || {
  echo "trunk build produced no dist/index.html" >&2
  exit 1
}
compgen -G "dist/*.wasm" >/dev/null || {
  echo "trunk build produced no .wasm in dist/" >&2
  exit 1
}
ls -l dist/*.wasm

step "browser e2e (node --test tests/e2e/)"
PORT="$(free_port)"
python3 -m http.server --bind 127.0.0.1 --directory dist "$PORT" >"$LOG_DIR/http-server.log" 2>&1 &
HTTP_PID=$!
SITE_URL="http://127.0.0.1:$PORT/"
for _ in $(seq 1 50); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$SITE_URL" 2>/dev/null; then
    break
  fi
  kill -0 "$HTTP_PID" 2>/dev/null || {
    echo "the web server exited:" >&2
    cat "$LOG_DIR/http-server.log" >&2
    exit 1
  }
  sleep 0.2
done
echo "serving dist/ at $SITE_URL"
export CANARY_SITE_URL="$SITE_URL"
# The page's demo numbers are compared with the native CLI's.
cargo build --release --bin canary-report
export CANARY_REPORT_BIN="$ROOT/target/release/canary-report"
run_tests e2e node node --test tests/e2e/
kill "$HTTP_PID" 2>/dev/null || true
wait "$HTTP_PID" 2>/dev/null || true
HTTP_PID=""

step "sub-path build + browser e2e (node --test tests/e2e-subpath/)"
# GitHub Pages serves a project site under /<repository>/ (.github/workflows/pages.yml builds
# with that public URL): build the same way and load the page from under that path.
trunk build --release --offline --public-url /canary-console/ --dist target/dist-subpath
rm -rf target/subpath-site
mkdir -p target/subpath-site
cp -R target/dist-subpath target/subpath-site/canary-console
PORT="$(free_port)"
python3 -m http.server --bind 127.0.0.1 --directory target/subpath-site "$PORT" \
  >"$LOG_DIR/http-server-subpath.log" 2>&1 &
HTTP_PID=$!
SUBPATH_URL="http://127.0.0.1:$PORT/canary-console/"
for _ in $(seq 1 50); do
  if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$SUBPATH_URL" 2>/dev/null; then
    break
  fi
  kill -0 "$HTTP_PID" 2>/dev/null || {
    echo "the web server exited:" >&2
    cat "$LOG_DIR/http-server-subpath.log" >&2
    exit 1
  }
  sleep 0.2
done
echo "serving target/dist-subpath/ at $SUBPATH_URL"
CANARY_SUBPATH_URL="$SUBPATH_URL" run_tests e2e-subpath node node --test tests/e2e-subpath/
kill "$HTTP_PID" 2>/dev/null || true
wait "$HTTP_PID" 2>/dev/null || true
HTTP_PID=""
supabase_stop

finish_step
STEP_NO=0
say "all $TOTAL_STEPS steps passed in $((SECONDS - RUN_START)) s"
printf '%s\n' "${TIMINGS[@]}"
echo "screenshot: target/e2e/page.png"
printf 'summary: %d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
