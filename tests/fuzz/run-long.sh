#!/usr/bin/env bash
# Runs every fuzz target for longer than the suite does, one after another (nice'd), on a copy of
# its seed corpus, and prints executions and crashes per target. Crash inputs are kept in
# <work>/<target>/crashes/ (add each to tests/unit/test_fuzz_regressions.cpp and the corpus).
# Usage: tests/fuzz/run-long.sh [seconds per target, default 60] [target ...]
#   CTD_FUZZ_BUILD=<dir>  the fuzz build folder (default build/fuzz, made by the main build)
#   CTD_FUZZ_WORK=<dir>   where corpora copies, logs and crashes go (default <build>/long-run)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"
shift || true
build="${CTD_FUZZ_BUILD:-$here/../../build/fuzz}"
work="${CTD_FUZZ_WORK:-$build/long-run}"
if [[ ! -f "$build/fuzz_targets.txt" ]]; then
  echo "run-long.sh: no fuzz build in $build (build the main project with clang++-14 installed," >&2
  echo "  or: cmake -S tests/fuzz -B $build -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 && ninja -C $build)" >&2
  exit 2
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || read -r -a targets <<<"$(tr ';' ' ' <"$build/fuzz_targets.txt")"

printf '%-20s %12s %8s %8s\n' target executions crashes seconds
total_crashes=0
for target in "${targets[@]}"; do
  dir="$work/$target"
  rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/crashes"
  cp "$here/corpus/$target/"* "$dir/corpus/" 2>/dev/null || true
  start=$(date +%s)
  # -fork keeps going after a crash, so one finding does not hide the next.
  nice -n 10 "$build/fuzz_$target" "$dir/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/crashes/" -fork=1 -ignore_crashes=1 \
    >"$dir/log.txt" 2>&1 || true
  elapsed=$(($(date +%s) - start))
  # Fork mode reports running totals as "#N: cov: ..."; a plain run ends with stat::number_executed_units.
  execs=$(grep -aoE 'stat::number_executed_units: *[0-9]+|#[0-9]+: cov' "$dir/log.txt" | tail -1 | grep -oE '[0-9]+' | head -1)
  crashes=$(find "$dir/crashes" -type f | wc -l)
  total_crashes=$((total_crashes + crashes))
  printf '%-20s %12s %8s %8s\n' "$target" "${execs:-?}" "$crashes" "$elapsed"
done
echo "logs and crash inputs: $work"
[[ $total_crashes -eq 0 ]]
