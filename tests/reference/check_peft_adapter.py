"""Loads a LoRA adapter with PEFT onto a Llama base and writes its logits, to check adapters written by ctd.

usage: check_peft_adapter.py BASE_DIR ADAPTER_DIR PROMPTS_JSON OUT_JSON
PROMPTS_JSON holds a list of token id lists; OUT_JSON receives {"logits": [[[float x V] x T] per prompt], ...}.
Exits non-zero with a message when the adapter's tensors do not match what PEFT expects (missing, unexpected,
misshapen or not loaded keys), because PEFT itself only warns about missing keys and ignores unexpected ones.
"""

import json
import os
import sys
import warnings


def _fail(message):
    print(f"check_peft_adapter: error: {message}", file=sys.stderr)
    sys.exit(1)


def _read_prompts(path):
    try:
        with open(path, encoding="utf-8") as handle:
            prompts = json.load(handle)
    except (OSError, ValueError) as error:
        _fail(f"cannot read prompts from {path}: {error}")
    if not isinstance(prompts, list) or not prompts or not all(
            isinstance(p, list) and p and all(isinstance(t, int) for t in p) for p in prompts):
        _fail(f"{path}: expected a non-empty JSON list of non-empty lists of token ids")
    return prompts


def _verify_adapter_tensors(peft_model, adapter_dir):
    """Compares the adapter file's tensors with the ones PEFT would save for the loaded model: same keys, same
    shapes, same values (proves every tensor was loaded into the module it was meant for)."""
    import torch
    from peft.utils import get_peft_model_state_dict, load_peft_weights

    on_disk = load_peft_weights(adapter_dir, device="cpu")
    in_model = get_peft_model_state_dict(peft_model, adapter_name="default", save_embedding_layers=False)
    missing = sorted(set(in_model) - set(on_disk))
    unexpected = sorted(set(on_disk) - set(in_model))
    problems = []
    if missing:
        problems.append(f"missing adapter keys: {missing}")
    if unexpected:
        problems.append(f"unexpected adapter keys: {unexpected}")
    for key in sorted(set(in_model) & set(on_disk)):
        expected, found = in_model[key], on_disk[key]
        if tuple(expected.shape) != tuple(found.shape):
            problems.append(f"{key}: shape {tuple(found.shape)} in file, {tuple(expected.shape)} in model")
        elif not torch.equal(expected.detach().float().cpu(), found.detach().float().cpu()):
            problems.append(f"{key}: loaded values differ from the file")
    return problems, missing, unexpected


def main(argv):
    if len(argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    base_dir, adapter_dir, prompts_path, out_path = argv[1:]
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    for path, what in ((base_dir, "base model folder"), (adapter_dir, "adapter folder")):
        if not os.path.isdir(path):
            _fail(f"{what} {path} does not exist")
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        if not os.path.isfile(os.path.join(adapter_dir, name)):
            _fail(f"{adapter_dir} has no {name}")
    prompts = _read_prompts(prompts_path)

    import torch
    import transformers
    from peft import PeftModel

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(1)
    base = transformers.LlamaForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32,
                                                         attn_implementation="eager")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=False)
        except Exception as error:  # shape mismatches and bad configs raise inside PEFT
            _fail(f"PEFT could not load {adapter_dir}: {type(error).__name__}: {error}")
    peft_warnings = [str(w.message) for w in caught if "adapter keys" in str(w.message)
                     or "were not initialized" in str(w.message)]
    problems, missing, unexpected = _verify_adapter_tensors(model, adapter_dir)
    problems += [f"PEFT warning: {message}" for message in peft_warnings]
    if problems:
        _fail(f"adapter {adapter_dir} does not load cleanly:\n  " + "\n  ".join(problems))

    model.eval()
    vocab_size = model.config.vocab_size
    logits = []
    with torch.no_grad():
        for prompt in prompts:
            if min(prompt) < 0 or max(prompt) >= vocab_size:
                _fail(f"{prompts_path}: token id out of range [0, {vocab_size})")
            logits.append(model(input_ids=torch.tensor([prompt])).logits[0].float().tolist())
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump({"logits": logits, "missing_keys": missing, "unexpected_keys": unexpected,
                   "peft_type": str(model.peft_config["default"].peft_type.value)}, handle)
        handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
