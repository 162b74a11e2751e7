#!/usr/bin/env bash
# Canary Console: see it run (README command 1).
#
#   bash scripts/serve-demo.sh
#
# Installs the pinned app tools (first time: ~10-15 min on 2 cores, then seconds), prints the
# command-line report of the built-in demo data, then builds the web app in release mode and
# serves it on http://127.0.0.1:8080/ (Ctrl-C to stop). Nothing is downloaded but packages
# from the registries; trunk itself runs offline.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\n==> %s\n' "$*"; }

say "installing the pinned app tools (scripts/install-tools.sh app)"
bash scripts/install-tools.sh app

# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

say "fetching the locked crates (cargo fetch --locked)"
cargo fetch --locked

say "the CLI on the demo data: cargo run --release --bin canary-report -- metrics --demo"
cargo run --release --bin canary-report -- metrics --demo

say "building and serving the web app: http://127.0.0.1:8080/ (Ctrl-C to stop)"
# No autoreload: its injected inline script would be refused by the page's CSP.
exec trunk serve --release --offline --no-autoreload
