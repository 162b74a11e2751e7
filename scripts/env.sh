# shellcheck shell=bash
# Canary Console: the environment of the project's pinned tools, for the current shell only.
#
#   source scripts/env.sh
#
# Puts the project-local npm tools (wasm-opt from binaryen@132.0.0) and cargo's bin directory
# (trunk, wasm-bindgen) first on PATH and sets trunk's and cargo's options. It changes no file
# and installs nothing (scripts/install-tools.sh does that). Safe to source more than once.

CANARY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CANARY_ROOT

# Project-local npm prefix of scripts/install-tools.sh (wasm-opt lives in node_modules/.bin).
export CANARY_NPM_PREFIX="$CANARY_ROOT/.tools/npm"

_canary_path_prepend() {
  case ":$PATH:" in
    *":$1:"*) ;;
    *) PATH="$1:$PATH" ;;
  esac
}
_canary_path_prepend "${CARGO_HOME:-$HOME/.cargo}/bin"
# Last, so it comes first: our wasm-opt must win over any other (e.g. Debian's binaryen 108).
_canary_path_prepend "$CANARY_NPM_PREFIX/node_modules/.bin"
unset -f _canary_path_prepend
export PATH

# trunk: never check crates.io for a newer trunk; Trunk.toml already sets offline builds.
export TRUNK_SKIP_VERSION_CHECK=true
# cargo: retry registry downloads a little more on a flaky network.
export CARGO_NET_RETRY="${CARGO_NET_RETRY:-5}"
# Browser tests use Debian's Chromium; never let an npm package fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export CANARY_CHROMIUM="${CANARY_CHROMIUM:-/usr/bin/chromium}"
