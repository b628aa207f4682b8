"""Writes every reference fixture the parity/golden tests read (CTest runs: make_fixtures.py OUTDIR).

Skips all work when OUTDIR/.stamp matches a hash of the reference scripts and library versions and every file
listed in it still exists. Never touches the network.
"""

import fcntl
import hashlib
import importlib.metadata
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STAMP_NAME = ".stamp"
LOCK_NAME = ".lock"
VERSIONED_PACKAGES = ("torch", "transformers", "peft", "safetensors", "sentencepiece", "tokenizers", "numpy",
                      "rouge-score", "sacrebleu")


def _ensure_environment():
    """Fixed hash seed and offline mode even when run by hand; the hash seed needs a fresh interpreter."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:])


def _forbid_network():
    """Any attempt to open an internet socket is a bug in the fixtures: fail instead of connecting."""
    import socket

    original_connect = socket.socket.connect

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise RuntimeError(f"make_fixtures: network access attempted ({address!r})")
        return original_connect(sock, address)

    socket.socket.connect = guarded_connect


def _source_hash():
    digest = hashlib.sha256()
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".py"):
            digest.update(name.encode())
            with open(os.path.join(HERE, name), "rb") as handle:
                digest.update(hashlib.sha256(handle.read()).digest())
    digest.update(sys.version.encode())
    for package in VERSIONED_PACKAGES:
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{package}={version}".encode())
    return digest.hexdigest()


def _stamp_is_current(outdir, source_hash):
    try:
        with open(os.path.join(outdir, STAMP_NAME), encoding="utf-8") as handle:
            stamp = json.load(handle)
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict) or stamp.get("hash") != source_hash or not stamp.get("files"):
        return False
    return all(os.path.isfile(os.path.join(outdir, path)) for path in stamp["files"])


def _written_files(outdir):
    files = []
    for root, _, names in os.walk(outdir):
        for name in names:
            if name in (STAMP_NAME, LOCK_NAME):
                continue
            files.append(os.path.relpath(os.path.join(root, name), outdir))
    return sorted(files)


def generate(outdir):
    sys.dont_write_bytecode = True  # keep the source tree clean
    sys.path.insert(0, HERE)
    import model_fixtures

    model_fixtures.main(outdir)
    if os.path.isfile(os.path.join(HERE, "make_metric_fixtures.py")):
        import make_metric_fixtures  # present: any failure inside must fail the run

        make_metric_fixtures.main(outdir)
    else:
        print("make_fixtures: make_metric_fixtures.py absent, metric fixtures skipped", file=sys.stderr)

    # Prompt templates and example encoding (tests/parity/test_template_parity.cpp).
    if os.path.isfile(os.path.join(HERE, "make_template_fixtures.py")):
        import make_template_fixtures  # present: any failure inside must fail the run

        make_template_fixtures.main(outdir)
    else:
        print("make_fixtures: make_template_fixtures.py absent, template fixtures skipped", file=sys.stderr)


def main(argv):
    if len(argv) != 2:
        print("usage: make_fixtures.py OUTDIR", file=sys.stderr)
        return 2
    outdir = os.path.abspath(argv[1])
    os.makedirs(outdir, exist_ok=True)
    source_hash = _source_hash()
    with open(os.path.join(outdir, LOCK_NAME), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent ctest runs share one build folder
        if _stamp_is_current(outdir, source_hash):
            print(f"make_fixtures: {outdir} is up to date")
            return 0
        stamp_path = os.path.join(outdir, STAMP_NAME)
        if os.path.exists(stamp_path):
            os.remove(stamp_path)
        started = time.monotonic()
        _forbid_network()
        generate(outdir)
        with open(stamp_path, "w", encoding="utf-8") as handle:
            json.dump({"hash": source_hash, "files": _written_files(outdir)}, handle, indent=1)
            handle.write("\n")
        print(f"make_fixtures: wrote {outdir} in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    _ensure_environment()
    sys.exit(main(sys.argv))
