#!/usr/bin/env bash
# The README's first command: installs/builds whatever is missing, then runs the main job on the
# embedded default (see README: what it runs and where it writes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
build_dir=${CTD_BUILD_DIR:-$root/build}
out=${CTD_OUT:-$root/out}
mkdir -p "$out"
# The tiny cross-task experiment (experiments/tiny-cross-task.json): every cell not yet in the
# database runs (mixture -> LoRA training -> evaluation -> scoring); a re-run only prints the tables.
# One thread by default: at these model sizes a second thread gains little, and libtorch's OpenMP
# threads slow down badly when the machine is busy (CTD_THREADS overrides).
database="$out/tiny-cross-task.sqlite"
"$build_dir/app/ctd" --db "$database" experiment run "$root/experiments/tiny-cross-task.json" \
    --out "$out/tiny-cross-task" --threads "${CTD_THREADS:-1}" "$@"
if [ -x "$build_dir/app/ctd-workbench" ]; then
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$build_dir/app/ctd-workbench" \
        --export-figures "$database" "$out/tiny-cross-task/figures" ||
        echo "run-main: the figure export failed (the tables and the database above are complete)" >&2
fi
