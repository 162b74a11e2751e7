#!/usr/bin/env bash
# Canary Console: runs the cargo-fuzz targets in fuzz/ (nightly; `bash scripts/install-tools.sh
# fuzz` installs it and cargo-fuzz) for a set time each and prints, per target, the seconds run,
# the inputs executed and the crashes found. Not part of the test command.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     (default: 60 s, every target)
#
# Each target starts from its seed corpus (fuzz/seeds/<target>/, made from the test data) plus
# what earlier runs found (fuzz/corpus/<target>/, not committed). A crash stops that target; its
# input is kept in fuzz/artifacts/<target>/ (`cargo +nightly fuzz run <target> <file>` replays
# it) and belongs in a regression test. Runs at the lowest CPU priority.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT/fuzz"
SECONDS_EACH="${1:-60}"
shift || true
if (($# > 0)); then
  TARGETS=("$@")
else
  mapfile -t TARGETS < <(cargo +nightly fuzz list)
fi
mkdir -p logs
printf '%-18s %8s %14s %8s\n' target seconds execs crashes
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  start=$SECONDS
  status=0
  nice -n 19 cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=1024 \
    >"logs/$t.log" 2>&1 || status=$?
  ran=$((SECONDS - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -n1)
  after=$(find "artifacts/$t" -type f | wc -l)
  printf '%-18s %8s %14s %8s\n' "$t" "$ran" "${execs:-?}" "$((after - before))"
  if ((status != 0 && after == before)); then
    echo "  $t failed without a crash input (exit $status): see fuzz/logs/$t.log" >&2
  fi
done
