#!/usr/bin/env bash
# Runs the engine benchmark and its PyTorch eager twin with the same torch build and thread count,
# and prints the ratios (ctd tokens/s over PyTorch tokens/s; KV cache over no cache).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
threads=${1:-2}
only=${2:-}  # "tiny": that training config alone (quick checks)
build=${CTD_BUILD_DIR:-$root/build}
python=$("$root/scripts/venv-path.sh")/bin/python
cmake --build "$build" --target ctd_bench_engine >/dev/null
out=$(mktemp -d)
"$build/experiments/bench/ctd_bench_engine" "$threads" $only | tee "$out/ctd.jsonl"
"$python" "$root/experiments/bench/bench_engine_torch.py" "$threads" $only 2>/dev/null | tee "$out/torch.jsonl"
"$python" - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for f in ("ctd.jsonl", "torch.jsonl") for l in open(f"{sys.argv[1]}/{f}")]
def get(bench, impl, config):
    return next(r for r in rows if r["bench"] == bench and r["impl"] == impl and r["config"] == config)
print("\nratio                                   value")
configs = [c for c in ("tiny", "2M", "20M") if any(r["config"] == c and r["impl"] == "ctd" for r in rows)]
for config in configs:
    a = get("lora_train_step", "ctd", config)
    b = get("lora_train_step", "pytorch_eager", config)
    print(f"LoRA train step ctd / PyTorch eager {config:>4}  {a['tokens_per_s'] / b['tokens_per_s']:5.2f}x  "
          f"({a['tokens_per_s']:.0f} vs {b['tokens_per_s']:.0f} tok/s; processor time "
          f"{b['cpu_ms_per_step'] / a['cpu_ms_per_step']:.2f}x: {a['cpu_ms_per_step']:.1f} vs "
          f"{b['cpu_ms_per_step']:.1f} ms/step)")
for config in [c for c in ("2M", "20M") if c in configs and len(configs) > 1]:
    a = get("greedy_decode", "ctd_kv_cache", config)["tokens_per_s"]
    b = get("greedy_decode", "ctd_no_cache", config)["tokens_per_s"]
    print(f"greedy decode KV cache / no cache {config:>4}    {a / b:5.2f}x  ({a:.0f} vs {b:.0f} tok/s)")
PY
