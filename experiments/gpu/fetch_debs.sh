#!/usr/bin/env bash
# Downloads the Debian packages that run_gpu_checks.sh needs on a GPU machine without the
# project's C++ dev packages into experiments/gpu/debs/ (ignored by git), so they can be carried
# there and unpacked without root. Run on a Debian/Ubuntu machine whose apt can reach a mirror.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
packages=(
  libsentencepiece-dev libsentencepiece0      # tokenizer (pkg-config module "sentencepiece")
  nlohmann-json3-dev                          # JSON (CMake config)
  libcli11-dev                                # CLI parser of `ctd` (CMake config)
  libsqlite3-dev libsqlite3-0                 # storage
  libgtest-dev                                # GoogleTest (static libraries, CMake config)
  pkgconf pkgconf-bin libpkgconf3             # pkg-config, in case the machine lacks it
)

mkdir -p "$here/debs"
cd "$here/debs"
rm -f ./*.deb
apt-get download "${packages[@]}"
echo "fetch_debs: $(find . -maxdepth 1 -name '*.deb' | wc -l) packages, $(du -sh . | cut -f1) in $here/debs"
