#!/usr/bin/env bash
# Idempotent setup: Debian packages, the pinned Python environment (official libtorch + test
# references) in a per-user cache keyed by the requirements, then a Release/Ninja build.
# When everything is present it only runs an incremental build.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

apt_packages=(build-essential cmake ninja-build ccache pkg-config git
  qt6-base-dev qt6-svg-dev libqcustomplot-dev libqcustomplot2.1-qt6
  libsentencepiece-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev python3-venv clang-14 libclang-rt-14-dev)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The venv lives outside the clone so a fresh clone (and CI) reuses it.
venv=$("$root/scripts/venv-path.sh")
if [ ! -f "$venv/.complete" ]; then
  echo "[setup] creating Python environment $venv (torch wheel + references; takes a while once)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q -r "$root/scripts/requirements.txt"
  touch "$venv/.complete"
fi

# ccache: paths relative to the clone, so a fresh clone (and CI) reuses earlier compilations; the
# precompiled header needs the pch sloppiness.
export CCACHE_BASEDIR="$root"
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}

build_dir=${CTD_BUILD_DIR:-$root/build}
build_type=${CTD_BUILD_TYPE:-Release}
if [ ! -f "$build_dir/build.ninja" ]; then
  torch_prefix=$("$venv/bin/python" -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
  echo "[setup] configuring $build_dir ($build_type)"
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_PREFIX_PATH="$torch_prefix" -DCTD_PYTHON="$venv/bin/python" \
    ${CTD_CMAKE_ARGS:-} >/dev/null
fi
echo "[setup] building $build_dir"
cmake --build "$build_dir" -- -j"$(nproc)"
