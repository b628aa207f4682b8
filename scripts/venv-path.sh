#!/usr/bin/env bash
# Prints the per-user virtual environment path for the pinned requirements.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hash=$(sha256sum "$root/scripts/requirements.txt" | cut -c1-12)
echo "${XDG_CACHE_HOME:-$HOME/.cache}/ctd/venv-$hash"
