#!/usr/bin/env bash
# Builds and runs the sanitizer suites (README "Sanitizers"):
#   scripts/run-sanitizers.sh asan   unit, golden and parity tests under AddressSanitizer + UBSan
#   scripts/run-sanitizers.sh tsan   the worker-thread, database-concurrency and GUI tests under TSan
# Extra arguments go to ctest (e.g. -R Trainer). Build folders: build-asan/, build-tsan/ (presets).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kind=${1:?usage: run-sanitizers.sh asan|tsan [ctest args]}
shift
venv=$("$root/scripts/venv-path.sh")
[ -x "$venv/bin/python" ] || "$root/scripts/setup.sh"
torch_prefix=$("$venv/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
build=$root/build-$kind
export CCACHE_BASEDIR="$root" CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
if [ ! -f "$build/build.ninja" ]; then
  cmake --preset "$kind" -S "$root" -DCMAKE_PREFIX_PATH="$torch_prefix" -DCTD_PYTHON="$venv/bin/python" >/dev/null
fi
export OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen
supp=$root/tests/sanitizers
case "$kind" in
  asan)
    # libtorch and the CUDA runtime are not instrumented: their one-off global allocations are not
    # ours to fix, so leak detection uses a suppression list; everything else is fatal.
    export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:protect_shadow_gap=0:detect_odr_violation=0:alloc_dealloc_mismatch=0"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$supp/ubsan.supp"
    cmake --build "$build" --target ctd $(cd "$build" && ninja -t targets all | grep -oE '^ctd_(unit|golden|parity)_test_[a-z_]+' | sort -u)
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -L "unit|golden|parity" "$@"
    ;;
  tsan)
    # libtorch's OpenMP pool and Qt are not instrumented; suppressions name only those libraries.
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
    cmake --build "$build" --target $(cd "$build" && ninja -t targets all | grep -oE '^(ctd_unit_test_(trainer|store_concurrency|database|experiment_runner)|ctd_gui_test_[a-z_]+)' | sort -u)
    # The GUI tests too: the UI's threads hand over through ui/jobs/mailbox.h (std primitives TSan
    # sees), never through Qt's event queue, whose futex QMutex an uninstrumented Qt hides from TSan.
    pattern="Trainer|TrainingJob|StoreConcurrency|Database|ExperimentRunner|gui\\."
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -R "$pattern" "$@"
    ;;
  *) echo "run-sanitizers.sh: unknown kind '$kind' (asan or tsan)" >&2; exit 2 ;;
esac
