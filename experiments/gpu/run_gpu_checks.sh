#!/usr/bin/env bash
# GPU checks of the kernels layer, in one go: configure a CUDA build without the GUI, build
# ctd_core, ctd_kernels, the CLI `ctd`, the kernel and GPU tests and the kernel benchmark, run the
# tests and the benchmark, and print a short table. Budget: under 8 minutes on a 16-core machine.
#
# Meant for a GPU machine that has PyTorch 2.11 (CUDA 13) in its Python, nvcc, cmake and ninja,
# but no Qt (the GUI is not built) and maybe none of the project's C++ dev packages. Those are
# (Debian/Ubuntu names):
#   libsentencepiece-dev libsentencepiece0   sentencepiece (pkg-config module "sentencepiece")
#   nlohmann-json3-dev                       nlohmann_json (CMake config)
#   libcli11-dev                             CLI11 (CMake config)
#   libsqlite3-dev libsqlite3-0              SQLite3
#   libgtest-dev                             GoogleTest (CMake config, static libraries)
#   pkgconf pkgconf-bin libpkgconf3          pkg-config itself, if the machine has none
# Where they cannot be installed, carry the .debs: experiments/gpu/fetch_debs.sh runs
# `apt-get download` for exactly these into experiments/gpu/debs/ (ignored by git; bring that
# folder along, ~3.5 MB). This script then unpacks every .deb found there with `dpkg -x` (or
# ar + tar) into a private prefix, rewrites the pkg-config files to point into it, and passes it
# through CMAKE_PREFIX_PATH and PKG_CONFIG_PATH. No root, nothing written outside the build dir.
#
# Usage: experiments/gpu/run_gpu_checks.sh [build-dir]        (default: build-gpu)
# Environment: PYTHON     a python that imports torch (default: python3)
#              JOBS       build parallelism (default: nproc)
#              DEBS       folder of carried .debs (default: experiments/gpu/debs)
#              LOG_DIR    where logs and the gtest XML go (default: <build-dir>/gpu-logs)
#              BENCH_ARGS extra arguments of ctd_kernel_bench (default: none; see its header)
#              STOP_AFTER=configure  stop once configured: a dry run of the dependency set-up
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
build="$(realpath -m "${1:-build-gpu}")"
python="${PYTHON:-python3}"
jobs="${JOBS:-$(nproc)}"
debs="${DEBS:-$root/experiments/gpu/debs}"
logs="${LOG_DIR:-$build/gpu-logs}"
mkdir -p "$build" "$logs"
started=$(date +%s)
phase() { echo "== $1 ($(( $(date +%s) - started ))s)"; }

# --- toolchain -------------------------------------------------------------------------------
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi
torch_prefix="$("$python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
torch_version="$("$python" -c 'import torch; print(torch.__version__)')"
# Build machine code for this GPU only (e.g. 9.0 on an H100/H200): halves the nvcc time.
arch="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -n1 | tr -d ' ' || true)"
arch="${arch:-8.0;9.0}"
prefix_path="$torch_prefix"
cmake_extra=()

# --- carried .debs ---------------------------------------------------------------------------
if compgen -G "$debs/*.deb" >/dev/null; then
  phase "unpacking $(find "$debs" -maxdepth 1 -name '*.deb' | wc -l) carried .debs"
  deps="$build/deps"
  rm -rf "$deps" && mkdir -p "$deps"
  for deb in "$debs"/*.deb; do
    if command -v dpkg-deb >/dev/null; then
      dpkg-deb -x "$deb" "$deps"
    else  # a .deb is an ar archive holding data.tar.*
      scratch="$(mktemp -d)"
      (cd "$scratch" && ar x "$deb" && tar -xf data.tar.* -C "$deps")
      rm -rf "$scratch"
    fi
  done
  multiarch="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
  # The .pc files name prefix=/usr: point them into the private prefix.
  find "$deps" -name '*.pc' -exec sed -i "s|^prefix=/usr\$|prefix=$deps/usr|" {} +
  export PKG_CONFIG_PATH="$deps/usr/lib/$multiarch/pkgconfig:$deps/usr/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  export LD_LIBRARY_PATH="$deps/usr/lib/$multiarch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  prefix_path="$prefix_path;$deps/usr"
  if ! command -v pkg-config >/dev/null && [ -x "$deps/usr/bin/pkgconf" ]; then
    cmake_extra+=("-DPKG_CONFIG_EXECUTABLE=$deps/usr/bin/pkgconf")
  fi
fi

# --- configure and build ---------------------------------------------------------------------
phase "configure (torch $torch_version, CUDA arch $arch)"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCTD_BUILD_GUI=OFF -DCTD_CUDA=ON \
  -DCTD_BUILD_BENCH=ON -DCTD_PYTHON= "-DTORCH_CUDA_ARCH_LIST=$arch" "-DCMAKE_PREFIX_PATH=$prefix_path" \
  "${cmake_extra[@]}" >"$logs/configure.log" 2>&1 || { tail -n 40 "$logs/configure.log"; exit 1; }
grep -E "ctd: CUDA kernels" "$logs/configure.log" || true
if [ "${STOP_AFTER:-}" = configure ]; then phase "configured; stopping (STOP_AFTER=configure)"; exit 0; fi

phase "build (-j$jobs)"
kernel_tests=""
for source in "$root"/tests/kernels/test_*.cpp; do kernel_tests+=" ctd_kernels_$(basename "$source" .cpp)"; done
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target ctd_core ctd_kernels ctd ctd_gpu_test_cuda_kernels ctd_kernel_bench \
  $kernel_tests >"$logs/build.log" 2>&1 || { grep -E "error|Error" "$logs/build.log" | head -n 40; exit 1; }
grep -E "\.cu\.o" "$build/.ninja_log" 2>/dev/null | awk '{printf "   nvcc %-40s %5.1fs\n", $4, ($2-$1)/1000}' || true

# --- tests -----------------------------------------------------------------------------------
phase "GPU tests"
gpu_status=0
"$build/tests/ctd_gpu_test_cuda_kernels" --gtest_output="xml:$logs/gpu_tests.xml" >"$logs/gpu_tests.log" 2>&1 \
  || gpu_status=$?
phase "CPU kernel tests"
cpu_status=0
for test in $kernel_tests; do
  "$build/tests/$test" --gtest_output="xml:$logs/$test.xml" >"$logs/$test.log" 2>&1 || cpu_status=1
done

# --- benchmark -------------------------------------------------------------------------------
phase "benchmark"
bench_status=0
# shellcheck disable=SC2086
timeout 240 "$build/kernels/ctd_kernel_bench" ${BENCH_ARGS:-} >"$logs/bench.log" 2>&1 || bench_status=$?

# --- summary ---------------------------------------------------------------------------------
phase "summary"
"$python" - "$logs" <<'PY'
import glob, os, sys
import xml.etree.ElementTree as ET
rows = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.xml"))):
    for case in ET.parse(path).getroot().iter("testcase"):
        failures = case.findall("failure")
        skipped = case.find("skipped") is not None or case.get("result") == "skipped"
        status = "FAIL" if failures else ("SKIP" if skipped else "pass")
        rows.append((status, f"{case.get('classname')}.{case.get('name')}", float(case.get("time", 0))))
        for failure in failures:
            rows.append(("", "  " + (failure.get("message") or "").splitlines()[0][:150], 0.0))
print(f"{'status':6} {'test':64} {'s':>6}")
for status, name, seconds in rows:
    print(f"{status:6} {name:64} {seconds:6.2f}" if status else f"{'':6} {name}")
counts = {s: sum(1 for r in rows if r[0] == s) for s in ("pass", "FAIL", "SKIP")}
print(f"tests: {counts['pass']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
PY
echo
cat "$logs/bench.log"
echo
echo "logs in $logs; total $(( $(date +%s) - started ))s"
if [ "$gpu_status" -ne 0 ] || [ "$cpu_status" -ne 0 ] || [ "$bench_status" -ne 0 ]; then
  echo "run_gpu_checks: FAILED (gpu tests $gpu_status, cpu kernel tests $cpu_status, benchmark $bench_status)"
  exit 1
fi
echo "run_gpu_checks: OK"
