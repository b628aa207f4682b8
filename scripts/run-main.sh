#!/usr/bin/env bash
# The README's first command: installs/builds whatever is missing, then runs the main job on the
# embedded default (see README: what it runs and where it writes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
build_dir=${CTD_BUILD_DIR:-$root/build}
out=${CTD_OUT:-$root/out}
mkdir -p "$out"
"$build_dir/app/ctd" demo engine --out "$out/engine-demo" "$@"
