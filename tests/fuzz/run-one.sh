#!/usr/bin/env bash
# One fuzz target for a few seconds, as the test suite runs it (label `fuzz`): on a fresh copy of
# its seed corpus, so the corpus in the source tree is never modified.
# Usage: run-one.sh <fuzz binary> <seed corpus folder> <work folder> [seconds, default 3]
set -euo pipefail
binary="$1" seeds="$2" work="$3" seconds="${4:-3}"
rm -rf "$work" && mkdir -p "$work/corpus" "$work/crashes"
cp "$seeds"/* "$work/corpus/"
exec "$binary" "$work/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/crashes/"
