#!/usr/bin/env bash
# Install test: `cmake --install` into a scratch prefix, then run the installed launchers (ctd
# --version, ctd generate on the shipped tiny model, ctd world generate which reads the shipped
# templates, ctd-workbench --screenshot runs) with the build and source trees out of reach.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
#
# Out of reach: where the kernel allows a private mount namespace (`unshare -m`, root or user
# namespaces), both trees are covered by empty tmpfs mounts for the runs; otherwise the runs only
# use a clean environment and a working directory outside both, and the RUNPATH check below is what
# guards against the build tree.
set -euo pipefail
build=$(cd "${1:?usage: install_test.sh BUILD_DIR SOURCE_DIR}" && pwd -P)
source=$(cd "${2:?usage: install_test.sh BUILD_DIR SOURCE_DIR}" && pwd -P)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/ctd-install-test.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix
fail() { echo "install test: FAIL: $*" >&2; exit 1; }
case "$scratch/" in
    "$build"/* | "$source"/*) fail "TMPDIR ($scratch) lies inside the build or source tree" ;;
esac

"${CMAKE_COMMAND:-cmake}" --install "$build" --prefix "$prefix" >"$scratch/install.log" || { cat "$scratch/install.log"; fail "cmake --install"; }
echo "installed into $prefix ($(du -sh "$prefix" | cut -f1))"

gui=yes
[ -x "$prefix/lib/ctd/ctd-workbench" ] || gui=no
for file in bin/ctd lib/ctd/ctd share/ctd/templates share/ctd/models/tiny-llama1/config.json; do
    [ -e "$prefix/$file" ] || fail "$file not installed"
done
if [ "$gui" = yes ]; then
    for file in bin/ctd-workbench share/applications/ctd-workbench.desktop \
                share/icons/hicolor/scalable/apps/ctd-workbench.svg; do
        [ -e "$prefix/$file" ] || fail "$file not installed"
    done
fi

# No RPATH/RUNPATH of an installed binary may point into the build or source tree.
for binary in "$prefix"/lib/ctd/ctd "$prefix"/lib/ctd/ctd-workbench; do
    [ -e "$binary" ] || continue
    paths=$(readelf -d "$binary" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p')
    echo "$(basename "$binary") runpath: $paths"
    case ":$paths:" in
        *"$build"* | *"$source"*) fail "$binary has a runpath into the build or source tree: $paths" ;;
    esac
done

# The runs, as one script, so that they can be started inside a private mount namespace.
cat >"$scratch/runs.sh" <<'EOF'
set -euo pipefail
prefix=$1 work=$2 gui=$3 build=$4 source=$5
fail() { echo "install test: FAIL: $*" >&2; exit 1; }
for tree in "$build" "$source"; do
    if [ -e "$tree" ] && [ -n "$(ls -A "$tree" 2>/dev/null)" ] && [ "${CTD_TREES_HIDDEN:-0}" = 1 ]; then
        fail "$tree is still visible"
    fi
done
cd "$work"
"$prefix/bin/ctd" --version | tee version.txt
grep -q '^ctd ' version.txt || fail "ctd --version printed no version"

"$prefix/bin/ctd" generate --model "$prefix/share/ctd/models/tiny-llama1" \
    --prompt "Hello" --max-new-tokens 8 --json >generate.jsonl
# Greedy decoding of this prompt gives text (other prompts may end at once with </s>).
grep -q '"text":"[^"]' generate.jsonl || fail "ctd generate produced no text: $(cat generate.jsonl)"
echo "generate: $(head -c 200 generate.jsonl)"

"$prefix/bin/ctd" world generate --out world --no-tokenizer --seed 3 --benign-train 4 --hazard-train 4 \
    --defense 4 --benign-eval 2 --hazard-eval 2 --harmful-questions-train 2 --harmful-questions-eval 2 \
    --benign-questions-train 2 --benign-questions-eval 2 --general-train 2 --general-eval 2 \
    >world.log 2>&1 || { cat world.log; fail "ctd world generate (reads the installed templates)"; }
[ -f world/world.json ] || fail "ctd world generate wrote no world.json"
echo "world generate: $(tail -n 1 world.log)"

# The launcher's refusals: an unusable CTD_LIBTORCH_DIR and a torch of another release.
if CTD_LIBTORCH_DIR=/nonexistent "$prefix/bin/ctd" --version 2>refusal.txt; then
    fail "ctd ran with CTD_LIBTORCH_DIR=/nonexistent"
fi
grep -q 'CTD_LIBTORCH_DIR=/nonexistent is not usable' refusal.txt || fail "no clear message: $(cat refusal.txt)"
mkdir -p faketorch/lib
touch faketorch/lib/libtorch_cpu.so faketorch/lib/libc10.so faketorch/lib/libtorch_cuda.so
echo "__version__ = '1.0.0+cpu'" >faketorch/version.py
if CTD_LIBTORCH_DIR=$PWD/faketorch/lib "$prefix/bin/ctd" --version 2>refusal.txt; then
    fail "ctd ran with a torch of another release"
fi
grep -q 'torch 1.0.0+cpu, but this ctd was built against torch' refusal.txt || fail "no clear message: $(cat refusal.txt)"

if [ "$gui" = yes ]; then
    QT_QPA_PLATFORM=offscreen "$prefix/bin/ctd-workbench" --screenshot runs runs.png
    [ "$(head -c 4 runs.png | tail -c 3)" = PNG ] || fail "ctd-workbench --screenshot runs wrote no PNG"
    echo "screenshot: runs.png $(stat -c %s runs.png) bytes"
fi
echo "install test: OK"
EOF

mkdir -p "$scratch/work" "$scratch/home"
# A clean environment: no CTD_* (CTD_RESOURCE_DIR would bypass the installed resources), no
# LD_LIBRARY_PATH, a fresh HOME for Qt settings.
run_env=(env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$scratch/home" OMP_NUM_THREADS=1
         LANG=C.UTF-8 TMPDIR="$scratch")
unshare_cmd=()
if unshare -m --propagation private true 2>/dev/null; then
    unshare_cmd=(unshare -m --propagation private)
elif unshare -rm --propagation private true 2>/dev/null; then
    unshare_cmd=(unshare -rm --propagation private)  # unprivileged: a user namespace
fi
if [ ${#unshare_cmd[@]} -gt 0 ]; then
    echo "hiding $build and $source (private mount namespace)"
    # shellcheck disable=SC2016  # expanded by the inner bash, from its arguments
    "${unshare_cmd[@]}" "${run_env[@]}" CTD_TREES_HIDDEN=1 bash -c '
        for tree in "$1" "$2"; do [ -d "$tree" ] && mount -t tmpfs -o size=1m ctd-hidden "$tree"; done
        exec bash "$3" "$4" "$5" "$6" "$1" "$2"' _ "$build" "$source" "$scratch/runs.sh" "$prefix" \
        "$scratch/work" "$gui"
else
    echo "no private mount namespace here: trees stay visible; runs use a clean environment"
    "${run_env[@]}" bash "$scratch/runs.sh" "$prefix" "$scratch/work" "$gui" "$build" "$source"
fi
