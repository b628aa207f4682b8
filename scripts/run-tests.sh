#!/usr/bin/env bash
# The README's second command: installs/builds whatever is missing, then runs the test suite
# (everything except tests labelled `slow`; GPU tests skip cleanly without a GPU).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
build_dir=${CTD_BUILD_DIR:-$root/build}
labels_exclude=${CTD_TEST_EXCLUDE_LABELS:-slow}
cd "$build_dir"
export QT_QPA_PLATFORM=offscreen
# ctest runs two tests at once; libtorch's OpenMP threads spin badly when oversubscribed.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
ctest --output-on-failure -j"$(nproc)" -LE "$labels_exclude" "$@"
