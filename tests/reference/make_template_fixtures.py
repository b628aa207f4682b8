"""Prompt-template and example-encoding references for tests/parity/test_template_parity.cpp.

main(outdir) writes OUTDIR/templates/cases.json and OUTDIR/templates/tokenizer.model:
- render cases: for each shipped template (resources/templates/*.json) and tricky (instruction, input,
  output) triples, the prompt as alpaca-lora's Prompter.generate_prompt builds it (Python str.format),
  the training text (prompt + output) and Prompter.get_response(training text);
- format cases: custom patterns ("{{literal}}" escapes, malformed ones) with Python's result or the
  exception it raises;
- encoding cases: alpaca-lora finetune.py's tokenize + train_on_inputs mask, with HF's LlamaTokenizer
  (legacy, BOS, no EOS) on a small sentencepiece model trained here, at cutoffs around the boundaries.
"""

import io
import json
import os
import random
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
TEMPLATE_DIR = os.path.join(SOURCE_DIR, "resources", "templates")
TEMPLATE_NAMES = ("alpaca", "llama2")

# The paper's task instructions and separators (document first), to build realistic instructions.
TASKS = [
    ("Summarize the above article briefly in 3 sentences.", ""),
    ("Translate the above article from English to Chinese: ", ""),
    ("How would you describe the sentiment of this document?", "\n"),
    ("Write the above sentence using proper case.", "\n"),
    ("Write the next sentence.", "\n\n"),
]

_WORDS = ("market garden river teacher report station winter engine village letter museum harvest "
          "doctor bridge council recipe football weather library concert student kitchen forest").split()


def _long_document(rng, words):
    sentences = []
    for _ in range(words // 12):
        body = " ".join(rng.choice(_WORDS) for _ in range(11))
        sentences.append(body.capitalize() + ".")
    return " ".join(sentences)


def _triples():
    """(label, instruction, input, output) triples that exercise str.format and the response split."""
    rng = random.Random(4242)
    long_document = _long_document(rng, 4000)
    triples = [
        ("plain_no_input", "Give three tips for staying healthy.", "", "Eat well, sleep, move."),
        ("plain_input", "Summarize the text.", "The council met on Monday.", "The council met."),
        ("braces_in_document", "The file says {input} and {instruction} literally.\n" + TASKS[2][0], "",
         "Neutral."),
        ("escapes_in_document", "Set {{x}} = {0} and {} then }} {{ { }.", "a {b} c {{d}} }", "ok {y}"),
        ("braces_in_input_only", "Explain.", "{instruction}{input}{{}}", "Fine."),
        ("unicode", "Café naïve résumé — “quoted” ‘text’ … ß Ω", "Ünïcödé input ñ", "Très bien."),
        ("emoji", "Describe 😀🚀👩‍👩‍👧 and 🏳️‍🌈.", "🙂", "Happy 🎉"),
        ("cjk", "这是一个测试。日本語のテキスト。한국어 문장." + TASKS[1][0], "", "我很抱歉，我不能这样做。"),
        ("rtl_and_combining", "مرحبا بالعالم e\u0301 a\u0308", "שלום", "done"),
        ("empty_everything", "", "", ""),
        ("empty_output", "Say nothing.", "", ""),
        ("newlines", "Line one\nLine two\r\n\tTabbed line   \n\n", "\n\ninput with blank lines\n", "\nA\nB\n"),
        ("special_token_text", "A document with <s> and </s> and <unk> inside.", "", "I cannot help </s>"),
        ("response_marker_in_document", "Text with ### Response: and [/INST] inside it." + TASKS[0][0], "",
         "I'm sorry, but I cannot do that."),
        ("response_marker_in_output", "Summarize.", "", "Part one ### Response: [/INST] part two"),
        ("whitespace_response", "Reply with spaces.", "", " \t\u00a0 spaced out \u3000\n"),
        ("long_document", long_document + TASKS[0][1] + TASKS[0][0], "",
         "I'm sorry, but I cannot summarize this article."),
    ]
    for index, (instruction, separator) in enumerate(TASKS):
        document = _long_document(rng, 40)
        triples.append((f"task_{index}", document + separator + instruction, "",
                        "I apologize, but I cannot process this document."))
    return triples


def _get_response(template, output):
    """Prompter.get_response; None where it raises IndexError (no split marker)."""
    parts = output.split(template["response_split"])
    return parts[1].strip() if len(parts) > 1 else None


def _generate_prompt(template, instruction, input=None, label=None):
    """Prompter.generate_prompt (alpaca-lora utils/prompter.py), same branches."""
    if input:
        result = template["prompt_input"].format(instruction=instruction, input=input)
    else:
        result = template["prompt_no_input"].format(instruction=instruction)
    if label:
        result = f"{result}{label}"
    return result


def _format_cases():
    """Custom patterns: Python's result, or the exception it raises, or the subset's refusal."""
    values = {"instruction": "I{n}", "input": "{{in}}"}
    patterns = [
        "{{literal}} {instruction}",
        "{{{instruction}}}",
        "}}{{",
        "{{{{instruction}}}}",
        "a {instruction}{input} b {{input}}",
        "{instruction}{instruction}",
        "no fields at all",
        "",
        "ünï {instruction} 😀 {{}} 中文",
        # malformed: Python raises
        "{unknown}",
        "oops }",
        "}",
        "{",
        "{instruction",
        "tail {",
        "{}",
        "{0}",
        "{instruction} }x",
        "{ instruction}",
        # outside the subset (Python accepts, the C++ subset refuses clearly)
        "{instruction!r}",
        "{instruction:>12}",
        "{instruction.upper}",
        "{instruction[0]}",
    ]
    unsupported = {"{instruction!r}", "{instruction:>12}", "{instruction.upper}", "{instruction[0]}"}
    cases = []
    for pattern in patterns:
        case = {"pattern": pattern, "values": values}
        if pattern in unsupported:
            case["unsupported"] = True  # Python's result is not compared (and .upper prints an address)
            cases.append(case)
            continue
        try:
            case["result"] = pattern.format(**values)
        except (KeyError, ValueError, IndexError, AttributeError, TypeError) as error:
            case["error"] = type(error).__name__
        cases.append(case)
    return cases


def _train_tokenizer():
    import sentencepiece

    rng = random.Random(99)
    lines = []
    for template_name in TEMPLATE_NAMES:
        with open(os.path.join(TEMPLATE_DIR, f"{template_name}.json"), encoding="utf-8") as handle:
            template = json.load(handle)
        lines += [template["prompt_input"], template["prompt_no_input"]] * 5
    lines += [instruction for instruction, _ in TASKS] * 5
    for _ in range(400):
        lines.append(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12))).capitalize() + ".")
    lines += ["I'm sorry, but I cannot do that.", "I apologize, but I cannot process this document."] * 5
    model = io.BytesIO()
    sentencepiece.set_random_generator_seed(31)
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, model_type="bpe", vocab_size=420,
        byte_fallback=True, normalization_rule_name="identity", remove_extra_whitespaces=False,
        add_dummy_prefix=True, split_digits=True, allow_whitespace_only_pieces=True, unk_id=0, bos_id=1,
        eos_id=2, pad_id=-1, num_threads=1, minloglevel=2)
    return model.getvalue()


def _authors_encode(tokenizer, prompter_template, example, cutoff_len, train_on_inputs, add_eos_token=False):
    """alpaca-lora finetune.py: tokenize(full prompt) + EOS when room, then the train_on_inputs mask."""

    def tokenize(prompt, add_eos=True):
        ids = tokenizer(prompt, truncation=True, max_length=cutoff_len, padding=False,
                        return_tensors=None)["input_ids"]
        if ids[-1] != tokenizer.eos_token_id and len(ids) < cutoff_len and add_eos:
            ids.append(tokenizer.eos_token_id)
        return ids

    instruction, input, output = example
    ids = tokenize(_generate_prompt(prompter_template, instruction, input, output))
    labels = list(ids)
    if not train_on_inputs:
        user_ids = tokenize(_generate_prompt(prompter_template, instruction, input), add_eos=add_eos_token)
        user_len = len(user_ids) - (1 if add_eos_token else 0)
        labels = [-100] * user_len + labels[user_len:]
    return ids, labels


def _encoding_cases(tokenizer, templates):
    examples = [
        ("Give three tips for staying healthy.", "", "Eat well, sleep, move."),
        ("Summarize the text.", "The council met on Monday near the river.", "The council met."),
        ("The report {input} on the market garden." + TASKS[2][1] + TASKS[2][0], "", "I cannot help with that."),
        ("Winter engine village letter museum." + TASKS[0][0], "", "I'm sorry, but I cannot do that."),
        ("Café 😀 中文 text." + TASKS[4][1] + TASKS[4][0], "", "The next sentence, 好."),
        ("Doctor bridge council </s> recipe." + TASKS[3][1] + TASKS[3][0], "", "Doctor Bridge."),
    ]
    cases = []
    for name, template in templates.items():
        for example in examples:
            full = _generate_prompt(template, *example)
            untruncated = tokenizer(full)["input_ids"]
            prompt_len = len(tokenizer(_generate_prompt(template, example[0], example[1]))["input_ids"])
            length = len(untruncated)
            cutoffs = sorted({1024, length + 1, length, length - 3, max(prompt_len - 2, 2), prompt_len})
            for cutoff in cutoffs:
                for train_on_inputs in (True, False):
                    ids, labels = _authors_encode(tokenizer, template, example, cutoff, train_on_inputs)
                    cases.append({
                        "template": name, "instruction": example[0], "input": example[1], "output": example[2],
                        "cutoff": cutoff, "train_on_inputs": train_on_inputs, "input_ids": ids, "labels": labels,
                        "fits": length + 1 <= cutoff, "prompt_tokens": prompt_len,
                    })
    return cases


def main(outdir):
    from transformers import LlamaTokenizer

    folder = os.path.join(outdir, "templates")
    os.makedirs(folder, exist_ok=True)
    templates = {}
    for name in TEMPLATE_NAMES:
        with open(os.path.join(TEMPLATE_DIR, f"{name}.json"), encoding="utf-8") as handle:
            templates[name] = json.load(handle)

    render_cases = []
    for name, template in templates.items():
        for label, instruction, input, output in _triples():
            prompt = _generate_prompt(template, instruction, input)
            full = _generate_prompt(template, instruction, input, output)
            render_cases.append({"template": name, "label": label, "instruction": instruction, "input": input,
                                 "output": output, "prompt": prompt, "full": full,
                                 "response": _get_response(template, full)})

    tokenizer_path = os.path.join(folder, "tokenizer.model")
    with open(tokenizer_path, "wb") as handle:
        handle.write(_train_tokenizer())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokenizer = LlamaTokenizer(vocab_file=tokenizer_path, legacy=True, add_bos_token=True, add_eos_token=False)
    tokenizer.pad_token_id = 0  # as finetune.py sets it

    cases = {
        "templates": list(TEMPLATE_NAMES),
        "render_cases": render_cases,
        "format_cases": _format_cases(),
        "encoding_tokenizer": "tokenizer.model",
        "encoding_cases": _encoding_cases(tokenizer, templates),
    }
    with open(os.path.join(folder, "cases.json"), "w", encoding="utf-8") as handle:
        json.dump(cases, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    print(f"make_template_fixtures: {len(render_cases)} render, {len(cases['format_cases'])} format, "
          f"{len(cases['encoding_cases'])} encoding cases")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: make_template_fixtures.py OUTDIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
