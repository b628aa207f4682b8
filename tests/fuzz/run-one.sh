#!/usr/bin/env bash
# One fuzz target briefly, as the test suite runs it (label `fuzz`): on a fresh copy of its seed
# corpus (the corpus in the source tree is never modified), with a fixed seed and a fixed number of
# executions, so the suite is reproducible: the same tree fuzzes the same inputs on every machine
# and a failure in CI replays here. Exploring with fresh seeds is tests/fuzz/run-long.sh's job.
# Usage: run-one.sh <fuzz binary> <seed corpus folder> <work folder> [executions, default 20000]
#   CTD_FUZZ_SEED=<n>  another seed (default 1)
set -euo pipefail
binary="$1" seeds="$2" work="$3" runs="${4:-20000}"
rm -rf "$work" && mkdir -p "$work/corpus" "$work/crashes"
cp "$seeds"/* "$work/corpus/"
# max_total_time only caps a slow machine; it is not meant to be reached (~2-10 s per target here).
exec "$binary" "$work/corpus" -seed="${CTD_FUZZ_SEED:-1}" -runs="$runs" -max_total_time=45 -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/crashes/"
