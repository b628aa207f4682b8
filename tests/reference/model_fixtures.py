"""Tokenizer, tiny random Llama and LoRA fixtures (HF transformers + PEFT) for the C++ engine's parity tests.

main(outdir) writes tokenizer/, models/<name>/ and peft/<name>/ under outdir; see tests/reference/README.md.
"""

import io
import json
import os
import random
import shutil
import sys
import warnings

import sentencepiece
import torch

import transformers
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, LlamaTokenizer

BOS_ID = 1
EOS_ID = 2
PAD_ID = 0
VOCAB_SIZE = 384
MAX_NEW_TOKENS = 16
TEXT_MAX_NEW_TOKENS = 12
NUM_BEAMS = 4
PROMPT_LENGTHS = (3, 7, 12, 20)
# Decisions closer than this (log-prob or logit units) could flip between two correct fp32 implementations,
# so prompts whose greedy/beam decisions come that close are replaced by the next candidate.
MIN_DECISION_GAP = 1e-4

MODEL_SPECS = [
    dict(name="mha_untied", hidden_size=64, intermediate_size=172, num_hidden_layers=2, num_attention_heads=4,
         num_key_value_heads=4, rope_theta=10000.0, tie_word_embeddings=False, max_position_embeddings=256,
         rms_norm_eps=1e-6, seed=1001),
    dict(name="gqa_tied", hidden_size=96, intermediate_size=256, num_hidden_layers=3, num_attention_heads=6,
         num_key_value_heads=2, rope_theta=500000.0, tie_word_embeddings=True, max_position_embeddings=256,
         rms_norm_eps=1e-5, seed=1002),
    dict(name="mqa_small", hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=4,
         num_key_value_heads=1, rope_theta=1000.0, tie_word_embeddings=False, max_position_embeddings=256,
         rms_norm_eps=1e-6, seed=1003),
]

ADAPTER_SPECS = [
    dict(name="mha_untied_qv", base="mha_untied", target_modules=["q_proj", "v_proj"], seed=2001),
    dict(name="gqa_tied_all", base="gqa_tied",
         target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], seed=2002),
]

TEXT_PROMPT_CANDIDATES = [
    "The quick brown fox jumps over the lazy dog.",
    "Question: what is 12 + 30?\nAnswer:",
    "Once upon a time, in a small café,",
    "<s>[INST] Summarize the report. [/INST]",
    "Translate to French: good morning",
    "def add(x, y): return {x + y}",
    "A naïve model counts 1, 2, 3 and stops.",
    "Tell me about the weather today.",
]

TOKENIZER_CASES = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "It costs $12.50, not 1000 dollars!",
    " leading space",
    "trailing space ",
    "double  space  here",
    "   three leading spaces",
    "line one\nline two\n\nline four",
    "tab\tseparated\tvalues",
    "\n starts with a newline",
    "ends with a newline\n",
    "café and naïve résumé",
    "日本語のテキスト",
    "emoji 🙂 and 🚀 rockets",
    "digits 0123456789 and 3.14159",
    "braces {x} and {{y}} and {}",
    "<s>[INST] <<SYS>>\nhello\n<<SYS>>\n\nworld [/INST]",
    "text with </s> inside and <s> too",
    "<unk> literal",
    "Mixed CASE, punctuation: ;:!?()[]-_'\"",
    "a",
    " ",
    "",
]


# ----------------------------------------------------------------------------------------------- utilities

def _round_floats(values):
    """Nested lists of floats rounded to 8 significant digits (enough to round-trip float32 closely)."""
    if isinstance(values, list):
        return [_round_floats(v) for v in values]
    return float(f"{values:.8g}")


def _write_json(path, payload):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, separators=(",", ":"))
        handle.write("\n")


def _strip_generated(new_ids):
    """New tokens up to and including the first EOS; anything after (padding, EOS fill) is dropped."""
    out = []
    for token in new_ids:
        out.append(int(token))
        if token == EOS_ID:
            break
    return out


# ----------------------------------------------------------------------------------------------- tokenizer

_WORDS = ("time person year way day thing man world life hand part child eye woman place work week case point "
          "government company number group problem fact model data token layer attention query value key "
          "server report policy answer question system history science music river mountain city garden "
          "window letter market doctor teacher student engine memory signal").split()
_VERBS = "is was runs reads writes sees finds makes takes gives keeps tells asks shows builds tests".split()
_ADJECTIVES = "small large quick lazy bright dark old new happy careful simple strange early late".split()
_UNICODE_WORDS = ["café", "naïve", "日本", "résumé", "über", "façade", "São Paulo", "Zürich", "東京", "ñandú"]


def tokenizer_training_text():
    """A few hundred varied, deterministic English-ish lines (the corpus the test tokenizer is trained on)."""
    rng = random.Random(1234)
    lines = []
    for index in range(600):
        kind = index % 8
        words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 9))]
        if kind == 0:
            line = f"The {rng.choice(_ADJECTIVES)} {words[0]} {rng.choice(_VERBS)} the {' '.join(words[1:])}."
        elif kind == 1:
            line = f"Did the {words[0]} {rng.choice(_VERBS).rstrip('s')} {rng.randint(0, 9999)} {words[1]}s?"
        elif kind == 2:
            line = f"In {rng.randint(1900, 2030)}, {rng.randint(1, 99)}% of the {words[0]}s were {rng.choice(_ADJECTIVES)}!"
        elif kind == 3:
            line = f"{rng.choice(_UNICODE_WORDS)} {words[0]}, {rng.choice(_UNICODE_WORDS)}; {' '.join(words[1:])}"
        elif kind == 4:
            line = f"value = {{{words[0]}}} + {rng.randint(0, 99)}.{rng.randint(0, 99)} ({words[1]}: \"{words[2]}\")"
        elif kind == 5:
            line = f"[INST] {' '.join(words).capitalize()} [/INST] {rng.choice(_ADJECTIVES)} {words[0]}"
        elif kind == 6:
            line = f"- {words[0]}'s {words[1]} - {' '.join(words[2:])} :) #{rng.randint(1, 50)}"
        else:
            line = f"  {' '.join(words)}  and  {rng.choice(_WORDS)}\t{rng.randint(10, 99)}"
        lines.append(line)
    return lines


def _train_sentencepiece():
    model = io.BytesIO()
    sentencepiece.set_random_generator_seed(17)
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(tokenizer_training_text()),
        model_writer=model,
        model_type="bpe",
        vocab_size=VOCAB_SIZE,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        split_digits=True,
        allow_whitespace_only_pieces=True,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        train_extremely_large_corpus=False,
        minloglevel=2,
    )
    return model.getvalue()


TOKENIZER_CONFIG = {
    "tokenizer_class": "LlamaTokenizer",
    "legacy": True,
    "add_bos_token": True,
    "add_eos_token": False,
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": None,
    "clean_up_tokenization_spaces": False,
    "model_max_length": 256,
}


def _slow_tokenizer(folder):
    return LlamaTokenizer(vocab_file=os.path.join(folder, "tokenizer.model"), legacy=True, add_bos_token=True,
                          add_eos_token=False)


def write_tokenizer(outdir):
    folder = os.path.join(outdir, "tokenizer")
    os.makedirs(folder, exist_ok=True)
    first = _train_sentencepiece()
    second = _train_sentencepiece()
    if first != second:
        raise RuntimeError("sentencepiece training is not deterministic: two runs gave different models")
    with open(os.path.join(folder, "tokenizer.model"), "wb") as handle:
        handle.write(first)
    _write_json(os.path.join(folder, "tokenizer_config.json"), TOKENIZER_CONFIG)

    slow = _slow_tokenizer(folder)
    if len(slow) != VOCAB_SIZE:
        raise RuntimeError(f"tokenizer has {len(slow)} pieces, expected {VOCAB_SIZE}")

    fast, fast_error = None, None
    try:
        fast = transformers.LlamaTokenizerFast.from_pretrained(folder, legacy=True, add_bos_token=True,
                                                               add_eos_token=False)
    except Exception as error:  # conversion needs protobuf, which the pinned venv may lack
        fast_error = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
        print(f"model_fixtures: fast tokenizer conversion failed, ids_fast recorded as null ({fast_error})",
              file=sys.stderr)

    cases = []
    for text in TOKENIZER_CASES:
        ids = slow(text)["input_ids"]
        cases.append({
            "text": text,
            "ids": ids,
            "decoded": slow.decode(ids, skip_special_tokens=True),
            "ids_fast": fast(text)["input_ids"] if fast is not None else None,
        })
    processor = sentencepiece.SentencePieceProcessor(model_proto=first)
    _write_json(os.path.join(folder, "expected.json"), {
        "tokenizer": {"class": "LlamaTokenizer", "legacy": True, "add_bos_token": True, "add_eos_token": False,
                      "vocab_size": len(slow), "transformers": transformers.__version__,
                      "fast_tokenizer_error": fast_error},
        "pieces": [processor.id_to_piece(i) for i in range(processor.get_piece_size())],
        "cases": cases,
    })
    return folder, slow


# ----------------------------------------------------------------------------------------------- models

def _llama_config(spec):
    return LlamaConfig(
        vocab_size=VOCAB_SIZE,
        hidden_size=spec["hidden_size"],
        intermediate_size=spec["intermediate_size"],
        num_hidden_layers=spec["num_hidden_layers"],
        num_attention_heads=spec["num_attention_heads"],
        num_key_value_heads=spec["num_key_value_heads"],
        rope_theta=spec["rope_theta"],
        tie_word_embeddings=spec["tie_word_embeddings"],
        max_position_embeddings=spec["max_position_embeddings"],
        rms_norm_eps=spec["rms_norm_eps"],
        initializer_range=0.1,
        hidden_act="silu",
        bos_token_id=BOS_ID,
        eos_token_id=EOS_ID,
        pad_token_id=None,
        attention_bias=False,
        mlp_bias=False,
        torch_dtype="float32",
    )


def _fill_weights(model, seed):
    """Explicit, order-independent random weights (HF's own init order may change between versions).

    Norm weights are 1 +- noise so a missing norm scale shows up in parity tests; the EOS row of the output
    projection is enlarged so that EOS is generated now and then and the stopping logic gets exercised.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            noise = torch.randn(parameter.shape, generator=generator, dtype=torch.float32)
            if name.endswith("norm.weight"):
                parameter.copy_(1.0 + 0.1 * noise)
            elif "embed_tokens" in name or "lm_head" in name:
                parameter.copy_(0.25 * noise)
            else:
                parameter.copy_(0.1 * noise)
        model.get_output_embeddings().weight[EOS_ID] *= 2.0


def _generation_config():
    return GenerationConfig(bos_token_id=BOS_ID, eos_token_id=EOS_ID, pad_token_id=PAD_ID)


def _logits(model, prompt):
    with torch.no_grad():
        return model(torch.tensor([prompt])).logits[0].float()


def reference_greedy(model, prompt, max_new_tokens):
    """Greedy decoding by full forwards (no cache); returns (new ids, smallest top-1/top-2 logit gap)."""
    sequence = list(prompt)
    new, smallest_gap = [], float("inf")
    for _ in range(max_new_tokens):
        last = _logits(model, sequence)[-1]
        top = torch.topk(last, 2)
        smallest_gap = min(smallest_gap, float(top.values[0] - top.values[1]))
        token = int(torch.argmax(last))
        sequence.append(token)
        new.append(token)
        if token == EOS_ID:
            break
    return new, smallest_gap


def reference_beam_search(model, prompt, num_beams, max_new_tokens, length_penalty=1.0):
    """Plain-Python transcription of transformers 4.57.1 GenerationMixin._beam_search (decoder-only, one EOS,
    early_stopping=False, no logits processors, batch of one), used to check the pseudo-code the C++ engine
    follows and to measure how close its decisions are. Returns (new ids of the best hypothesis, smallest gap).
    """
    big = 1.0e9
    prompt_length = len(prompt)
    max_length = prompt_length + max_new_tokens
    running = [(list(prompt), 0.0 if b == 0 else -big) for b in range(num_beams)]
    finished = []  # (score, sequence); at most num_beams, best first
    heuristic_open = True
    smallest_gap = float("inf")
    cur_len = prompt_length
    while True:
        with torch.no_grad():
            logits = model(torch.tensor([seq for seq, _ in running])).logits[:, -1, :].float()
        log_probs = torch.log_softmax(logits, dim=-1)
        totals = log_probs + torch.tensor([score for _, score in running])[:, None]
        flat = totals.reshape(-1)
        keep = 2 * num_beams
        values, indices = torch.topk(flat, keep + 1)
        relevant = [float(v) for v in values if float(v) > -big / 2]
        for a, b in zip(relevant, relevant[1:]):
            smallest_gap = min(smallest_gap, a - b)
        candidates = []
        for rank in range(keep):
            beam, token = divmod(int(indices[rank]), VOCAB_SIZE)
            sequence = running[beam][0] + [token]
            done = token == EOS_ID or len(sequence) >= max_length
            candidates.append((float(values[rank]), sequence, done, rank))
        # Next running beams: best num_beams candidates that did not finish (finished ones get -1e9).
        ordered = sorted(candidates, key=lambda c: c[0] - (big if c[2] else 0.0), reverse=True)
        running = [(c[1], c[0] - (big if c[2] else 0.0)) for c in ordered[:num_beams]]
        # Finished hypotheses: only ranks < num_beams may enter, score normalised by the generated length.
        if heuristic_open:
            generated = cur_len + 1 - prompt_length
            for score, sequence, done, rank in candidates:
                if done and rank < num_beams:
                    finished.append((score / generated ** length_penalty, sequence))
            finished.sort(key=lambda f: f[0], reverse=True)
            for a, b in zip(finished, finished[1:num_beams + 1]):
                smallest_gap = min(smallest_gap, a[0] - b[0])
            finished = finished[:num_beams]
        cur_len += 1
        if len(finished) == num_beams and running[0][1] > -big / 2:
            best_running = running[0][1] / (cur_len - prompt_length) ** length_penalty
            worst_finished = finished[-1][0]
            smallest_gap = min(smallest_gap, abs(best_running - worst_finished))
            heuristic_open = heuristic_open and best_running > worst_finished
        all_done = all(c[2] for c in candidates)
        if not heuristic_open or all_done:
            break
    return finished[0][1][prompt_length:], smallest_gap


def _hf_generate(model, input_ids, attention_mask, num_beams, max_new_tokens):
    with torch.no_grad():
        output = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            do_sample=False,
            num_beams=num_beams,
            num_return_sequences=1,
            max_new_tokens=max_new_tokens,
            length_penalty=1.0,
            early_stopping=False,
            eos_token_id=EOS_ID,
            pad_token_id=PAD_ID,
            bos_token_id=BOS_ID,
        )
    return output[:, input_ids.shape[1]:].tolist()


def _generate_single(model, prompt, num_beams, max_new_tokens):
    ids = torch.tensor([prompt])
    return _strip_generated(_hf_generate(model, ids, torch.ones_like(ids), num_beams, max_new_tokens)[0])


def _generate_batched(model, prompts, num_beams, max_new_tokens):
    width = max(len(p) for p in prompts)
    ids = torch.tensor([[PAD_ID] * (width - len(p)) + list(p) for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    return [_strip_generated(row) for row in _hf_generate(model, ids, mask, num_beams, max_new_tokens)]


def _varied(sequence):
    body = sequence[:-1] if sequence and sequence[-1] == EOS_ID else sequence
    return len(set(body)) >= min(3, len(body))


def _choose_prompts(model, seed):
    """Four prompts (BOS + random ids) whose greedy and beam decisions are well separated; one of them
    must make greedy stop at EOS early and one must make beam search differ from greedy, when achievable."""
    rng = random.Random(seed)
    chosen, checks = [], []
    wants = ["eos", "beam_differs", None, None]
    for length, want in zip(PROMPT_LENGTHS, wants):
        for attempt in range(400):
            prompt = [BOS_ID] + [rng.randrange(3, VOCAB_SIZE) for _ in range(length - 1)]
            greedy, greedy_gap = reference_greedy(model, prompt, MAX_NEW_TOKENS)
            if greedy_gap < MIN_DECISION_GAP or not _varied(greedy):
                continue
            if want == "eos" and attempt < 300 and not (greedy[-1] == EOS_ID and len(greedy) < MAX_NEW_TOKENS):
                continue
            beam, beam_gap = reference_beam_search(model, prompt, NUM_BEAMS, MAX_NEW_TOKENS)
            if beam_gap < MIN_DECISION_GAP:
                continue
            if want == "beam_differs" and attempt < 300 and beam == greedy:
                continue
            chosen.append(prompt)
            checks.append({"greedy_min_gap": greedy_gap, "beam_min_gap": beam_gap, "reference_greedy": greedy,
                           "reference_beam": beam})
            break
        else:
            raise RuntimeError(f"no well-separated prompt of length {length} found")
    return chosen, checks


def _choose_text_prompts(model, tokenizer):
    chosen = []
    for text in TEXT_PROMPT_CANDIDATES:
        ids = tokenizer(text)["input_ids"]
        greedy, gap = reference_greedy(model, ids, TEXT_MAX_NEW_TOKENS)
        if gap >= MIN_DECISION_GAP and _varied(greedy):
            chosen.append((text, ids))
        if len(chosen) == 2:
            return chosen
    raise RuntimeError("no two well-separated text prompts")


def write_model(outdir, spec, tokenizer_folder, tokenizer):
    name = spec["name"]
    folder = os.path.join(outdir, "models", name)
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(spec["seed"])
    model = LlamaForCausalLM(_llama_config(spec)).to(torch.float32)
    model.config._attn_implementation = "eager"
    _fill_weights(model, spec["seed"])
    model.generation_config = _generation_config()
    model.eval()

    prompts, checks = _choose_prompts(model, spec["seed"] + 7)
    logits = [_logits(model, p).tolist() for p in prompts]
    greedy = [_generate_single(model, p, 1, MAX_NEW_TOKENS) for p in prompts]
    beam4 = [_generate_single(model, p, NUM_BEAMS, MAX_NEW_TOKENS) for p in prompts]
    batched_greedy = _generate_batched(model, prompts, 1, MAX_NEW_TOKENS)
    batched_beam4 = _generate_batched(model, prompts, NUM_BEAMS, MAX_NEW_TOKENS)
    for index, check in enumerate(checks):
        if greedy[index] != check["reference_greedy"]:
            raise RuntimeError(f"{name}: HF greedy {greedy[index]} != reference {check['reference_greedy']}")
        if beam4[index] != check["reference_beam"]:
            raise RuntimeError(f"{name}: HF beam {beam4[index]} != reference beam {check['reference_beam']}")
    if batched_greedy != greedy or batched_beam4 != beam4:
        print(f"model_fixtures: {name}: batched generations differ from single-prompt ones", file=sys.stderr)
    if len({tuple(g) for g in greedy}) < len(greedy):
        raise RuntimeError(f"{name}: greedy generations do not vary between prompts: {greedy}")

    text_prompts = []
    for text, ids in _choose_text_prompts(model, tokenizer):
        new_ids = _generate_single(model, ids, 1, TEXT_MAX_NEW_TOKENS)
        text_prompts.append({"text": text, "ids": ids, "greedy": new_ids,
                             "greedy_text": tokenizer.decode(new_ids, skip_special_tokens=True)})

    model.save_pretrained(folder, safe_serialization=True)
    shutil.copyfile(os.path.join(tokenizer_folder, "tokenizer.model"), os.path.join(folder, "tokenizer.model"))
    _write_json(os.path.join(folder, "tokenizer_config.json"), TOKENIZER_CONFIG)
    _write_json(os.path.join(folder, "expected.json"), {
        "prompts": prompts,
        "logits": _round_floats(logits),
        "greedy": greedy,
        "beam4": beam4,
        "batched_greedy": batched_greedy,
        "batched_beam4": batched_beam4,
        "text_prompts": text_prompts,
        "decision_gaps": [{"greedy": c["greedy_min_gap"], "beam4": c["beam_min_gap"]} for c in checks],
        "generation_settings": {
            "do_sample": False, "max_new_tokens": MAX_NEW_TOKENS, "text_max_new_tokens": TEXT_MAX_NEW_TOKENS,
            "num_beams": NUM_BEAMS, "length_penalty": 1.0, "early_stopping": False, "num_return_sequences": 1,
            "eos_token_id": EOS_ID, "bos_token_id": BOS_ID, "pad_token_id": PAD_ID, "padding_side": "left",
            "attn_implementation": "eager", "dtype": "float32", "new_tokens_only": True,
            "stripping": "new tokens up to and including the first EOS",
            "transformers": transformers.__version__, "torch": torch.__version__,
        },
    })
    return folder, prompts


# ----------------------------------------------------------------------------------------------- adapters

def write_adapter(outdir, spec, base_prompts):
    import peft

    name, base = spec["name"], spec["base"]
    base_folder = os.path.join(outdir, "models", base)
    folder = os.path.join(outdir, "peft", name)
    os.makedirs(folder, exist_ok=True)
    model = LlamaForCausalLM.from_pretrained(base_folder, torch_dtype=torch.float32, attn_implementation="eager")
    config = peft.LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                             target_modules=list(spec["target_modules"]))
    peft_model = peft.get_peft_model(model, config)
    generator = torch.Generator().manual_seed(spec["seed"])
    filled = 0
    with torch.no_grad():
        for parameter_name, parameter in sorted(peft_model.named_parameters()):
            if ".lora_A." in parameter_name or ".lora_B." in parameter_name:
                parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator, dtype=torch.float32))
                filled += 1
    expected_filled = 2 * len(spec["target_modules"]) * model.config.num_hidden_layers
    if filled != expected_filled:
        raise RuntimeError(f"{name}: filled {filled} LoRA matrices, expected {expected_filled}")
    peft_model.peft_config["default"].base_model_name_or_path = base
    peft_model.eval()
    peft_model.save_pretrained(folder, safe_serialization=True, save_embedding_layers=False)
    os.remove(os.path.join(folder, "README.md"))  # PEFT's model card embeds absolute paths

    with torch.no_grad():
        logits = [peft_model(input_ids=torch.tensor([p])).logits[0].float().tolist() for p in base_prompts]
        merged = peft_model.merge_and_unload()
        merged.eval()
        merged_logits = [merged(torch.tensor([p])).logits[0].float() for p in base_prompts]
    difference = max(float((torch.tensor(a) - b).abs().max()) for a, b in zip(logits, merged_logits))
    if difference > 1e-4:
        raise RuntimeError(f"{name}: merged logits differ from adapter logits by {difference}")
    _write_json(os.path.join(folder, "expected.json"), {
        "base": base,
        "base_dir": os.path.join("..", "..", "models", base),
        "lora": {"r": 4, "lora_alpha": 8, "scaling": 2.0, "target_modules": list(spec["target_modules"])},
        "prompts": base_prompts,
        "logits": _round_floats(logits),
        "merged_logits": _round_floats([m.tolist() for m in merged_logits]),
        "peft": peft.__version__,
    })


# ----------------------------------------------------------------------------------------------- entry point

def main(outdir):
    outdir = os.path.abspath(outdir)
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore", message=".*generation flags are not valid.*")
    tokenizer_folder, tokenizer = write_tokenizer(outdir)
    prompts_by_model = {}
    for spec in MODEL_SPECS:
        _, prompts_by_model[spec["name"]] = write_model(outdir, spec, tokenizer_folder, tokenizer)
    for spec in ADAPTER_SPECS:
        write_adapter(outdir, spec, prompts_by_model[spec["base"]])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fixtures")
