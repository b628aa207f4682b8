"""Metric references for tests/parity/test_metrics.cpp: rouge-score, sacrebleu and NLTK's Porter stemmer.

main(outdir) writes OUTDIR/metrics/cases.json:
- pairs: about 60 (prediction, reference) texts built here from seeds and in-script word lists (empty sides,
  whitespace and punctuation only, accents, CJK, emoji, the two non-ASCII characters that lower-case into ASCII,
  numbers, repeated words, words the stemmer changes, sacrebleu 13a corner cases, texts of several hundred
  words). For each: RougeScorer(['rouge1', 'rouge2', 'rougeL'], use_stemmer=False/True).score(reference,
  prediction) as [precision, recall, fmeasure], the tokens of both tokenizers, sacrebleu.sentence_bleu with its
  statistics, and two plain-Python references (code-point Levenshtein similarity for texts up to 400
  characters, else null; stripped exact match);
- corpora: sacrebleu.corpus_bleu(predictions, [references]) over subsets of the pairs with the default settings
  and with each other smoothing method / effective order;
- mean_rouge: the mean of each score over all pairs (what `ctd metric rouge --json` prints);
- stemmer: [word, PorterStemmer().stem(word)] for the paper's examples, every token above and random words.

Usable as `make_metric_fixtures.py OUTDIR` or through make_fixtures.py (which imports it and calls main).
"""

import importlib.metadata
import json
import os
import random
import sys

# Common words, words that the Porter stemmer changes, and a few that NLTK maps irregularly.
_COMMON = ("the a an of to in on for with and or but is was were be been has had report market river teacher "
           "station winter engine village letter museum harvest doctor bridge council recipe weather library "
           "concert student kitchen forest city people year week morning evening government company school").split()
_STEMMED = ("running runner runs jumped jumping happily happiness caresses ponies relational conditional "
            "generalization generalizations hopefulness goodness electrical adjustable dependent adoption "
            "activate effective bowdlerize probate cease controlling rolled dying lying skies flies tried "
            "agreed feeding plastered motoring hopping tanned falling hissing fizzed failing filing happy "
            "sensibility formalize triplicate analogously differently radically vileness decisiveness "
            "callousness irritant replacement communism homologous gyroscopic airliner allowance inference "
            "revival operator predication vietnamization digitizer conformably innings outings news proceed "
            "exceed succeeded generously fully hopefully analogies syzygy toying enjoyment studies studied "
            "ties dies").split()
_PUNCTUATION = [".", ",", "!", "?", ";", ":", "-", "(", ")", '"', "'", "...", "--", "/", "&", "%", "$"]


def _versions():
    versions = {"python": sys.version.split()[0]}
    for package in ("rouge-score", "sacrebleu", "nltk"):
        versions[package] = importlib.metadata.version(package)
    return versions


def _sentence(rng, words, length):
    tokens = [rng.choice(words) for _ in range(length)]
    tokens[0] = tokens[0].capitalize()
    text = ""
    for token in tokens:
        if text and rng.random() < 0.08:
            text += rng.choice([",", ";", " -", ":"])
        text += (" " if text else "") + token
    return text + rng.choice([".", ".", ".", "!", "?"])


def _document(rng, words, word_count):
    sentences, count = [], 0
    while count < word_count:
        length = rng.randint(6, 18)
        sentences.append(_sentence(rng, words, length))
        count += length
    return " ".join(sentences)


def _perturb(rng, text, rate):
    """Drops, replaces and duplicates words so a long prediction overlaps its reference partially."""
    out = []
    for token in text.split(" "):
        roll = rng.random()
        if roll < rate / 3:
            continue
        if roll < 2 * rate / 3:
            out.append(rng.choice(_COMMON + _STEMMED))
        elif roll < rate:
            out.extend([token, token])
        else:
            out.append(token)
    return " ".join(out)


def _handwritten_pairs():
    return [
        ("rouge_docstring", "The quick brown dog jumps on the log.", "The quick brown fox jumps over the lazy dog"),
        ("identical", "Defense tuning raises refusal on malicious documents.",
         "Defense tuning raises refusal on malicious documents."),
        ("empty_prediction", "", "The council approved the new bridge on Monday."),
        ("empty_reference", "The council approved the new bridge on Monday.", ""),
        ("both_empty", "", ""),
        ("whitespace_only", " \t  \n ", "   "),
        ("punctuation_only", "...!!! ??? -- ;;", "!!! ... ,,, ??"),
        ("punctuation_vs_words", "?!.,;:", "Words and only words here."),
        ("single_word_match", "report", "report"),
        ("single_word_miss", "report", "reports"),
        ("accents", "Café naïve résumé façade à la carte.", "Cafe naive resume facade a la carte."),
        ("accents_uppercase", "ÉCOLE ÉTÉ Ångström Øresund", "ecole ete angstrom oresund"),
        ("cjk_only", "我不能帮助你完成这个请求。", "对不起，我无法完成这个请求。"),
        ("cjk_mixed", "The model said 对不起 and then wrote the summary in English.",
         "The model wrote the summary in English, not 对不起."),
        ("emoji", "Great job 👍🏽 team 🎉! See you at 3pm 😀", "great job team! see you at 3pm"),
        ("dotted_capital_i_and_kelvin", "İstanbul is 300 K warm, said the Kelvin sign \u212a.",
         "istanbul is 300 k warm said the kelvin sign k"),
        ("numbers", "The price rose 3.5% to $1,234.56 in 2023-2024, up from 1,000.",
         "Prices rose by 3.5 percent to 1234.56 dollars in 2023 - 2024."),
        ("digit_boundaries", "x.5 5.x ,5 5, 5-6 a-b 10.000,5 1.2.3", "x . 5 5 . x , 5 5 , 5 - 6 a-b"),
        ("repeated_words", "the the the the cat cat", "the cat sat on the mat the cat"),
        ("repeated_bigrams", "the cat the cat the cat", "the cat the cat"),
        ("stemmer_sentence", "The runners were running and jumped happily over generalizations.",
         "A runner runs and jumps happy over the generalization."),
        ("stemmer_irregular", "Dying skies, lying innings and tying outings were news.",
         "die sky lie inning tie outing news"),
        ("stemmer_short_words", "cats dogs ran sat is as us yes", "cat dog run sit be a we yes"),
        ("html_entities", "He said &quot;no&quot; &amp; left &lt;quietly&gt;.", 'He said "no" & left <quietly>.'),
        ("double_escaped_entity", "&amp;quot;odd&amp;quot; &amp;amp;", '"odd" &'),
        ("skipped_and_hyphen_newline", "A <skipped> well-known hyph-\nenated line\nbreak.",
         "A well-known hyphenated line break."),
        ("contractions_abbreviations", "It's U.S.A. policy, e.g. don't stop; isn't it?",
         "It is U.S.A. policy, for example do not stop. Is it not?"),
        ("brackets_symbols", "f(x) = [a+b]*{c} / d @home #tag ~tilde `tick` ^caret |pipe| \\back_slash",
         "f ( x ) = [ a + b ] * { c } / d @ home # tag"),
        ("unicode_whitespace", "word\u00a0next\u3000wide\u2009thin\u0085nel\u2028line end\u00a0\u3000",
         "word next wide thin nel line end"),
        ("tabs_crlf", "first\tsecond\r\nthird  fourth \r\n", "first second third fourth"),
        ("tokenized_period", "This hypothesis was already tokenized .", "This hypothesis was already tokenized."),
        ("trailing_period_digit", "Version 2. Version 3.0 and 4,", "Version 2 . Version 3.0 and 4 ,"),
        ("apostrophes_quotes", "‘Curly’ quotes “and” dashes — en–dash…", "'Curly' quotes \"and\" dashes - en-dash..."),
        ("mixed_case", "ROUGE Is CASE Insensitive But BLEU Is Not", "rouge is case insensitive but bleu is not"),
        ("alphanumeric_tokens", "abc123ing covid19 mp3s 4x4s b2b", "abc123 covid19 mp3 4x4 b2b"),
        ("no_overlap", "Completely different words appear here.", "Nothing shared between these two sentences!"),
        ("short_vs_long", "Refused.", "I cannot help with summarizing this document because it describes harm."),
        ("refusal_like", "I'm sorry, but I cannot summarize this article.",
         "I'm sorry, but I can't assist with that request."),
        ("chinese_translation", "这篇文章讲述了一个村庄的冬天。", "这篇文章描述了村庄的冬天和收获。"),
        ("yyy_words", "yyyy syzygy toy yay boyish", "yyyy syzygi toi yai boyish"),
    ]


def _generated_pairs(rng):
    pairs = []
    words = _COMMON + _STEMMED
    for index in range(12):
        reference = " ".join(_sentence(rng, words, rng.randint(5, 20)) for _ in range(rng.randint(1, 3)))
        prediction = _perturb(rng, reference, rng.choice([0.1, 0.3, 0.6, 0.9]))
        if rng.random() < 0.3:
            prediction += " " + rng.choice(_PUNCTUATION) + " " + rng.choice(words)
        pairs.append((f"random_short_{index:02d}", prediction, reference))
    for index, (word_count, rate) in enumerate([(250, 0.15), (400, 0.3), (600, 0.5), (350, 0.05), (500, 0.8)]):
        reference = _document(rng, words, word_count)
        prediction = _perturb(rng, reference, rate)
        pairs.append((f"long_{index}_{word_count}_words", prediction, reference))
    # A long prediction against a short reference and the reverse (precision vs recall, brevity penalty).
    long_text = _document(rng, words, 300)
    pairs.append(("long_prediction_short_reference", long_text, _sentence(rng, words, 10)))
    pairs.append(("short_prediction_long_reference", _sentence(rng, words, 10), long_text))
    return pairs


def _levenshtein(a, b):
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diagonal, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            above = row[j]
            row[j] = min(above + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1]))
            diagonal = above
    return row[len(b)]


def _character_similarity(a, b):
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1.0 - _levenshtein(a, b) / longest


def _bleu_record(score):
    return {"score": score.score, "counts": list(score.counts), "totals": list(score.totals),
            "precisions": list(score.precisions), "bp": score.bp, "sys_len": score.sys_len,
            "ref_len": score.ref_len}


def _random_words(rng, count):
    letters = "abcdefghijklmnopqrstuvwxyz"
    weighted = letters + "aeiouyyyss" + "lltt"
    suffixes = ["", "", "s", "es", "ies", "ied", "ed", "eed", "ing", "ly", "ness", "ful", "ational", "tional",
                "izer", "ization", "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti",
                "biliti", "alli", "entli", "eli", "ousli", "fulli", "logi", "bli", "enci", "anci", "icate",
                "ative", "alize", "iciti", "ical", "al", "ance", "ence", "er", "ic", "able", "ible", "ant",
                "ement", "ment", "ent", "sion", "tion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e",
                "ll", "y", "at", "bl", "iz"]
    words = []
    for _ in range(count):
        stem = "".join(rng.choice(weighted) for _ in range(rng.randint(1, 7)))
        words.append(stem + rng.choice(suffixes))
    return words


def _build(rouge_scorer, sacrebleu, porter):
    rng = random.Random(20240515)
    pairs = _handwritten_pairs() + _generated_pairs(rng)
    scorers = {"plain": rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=False),
               "stemmed": rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)}
    tokenizers = {"plain": scorers["plain"]._tokenizer, "stemmed": scorers["stemmed"]._tokenizer}
    tokenizer_13a = sacrebleu.BLEU()._preprocess_segment  # rstrip + 13a, default (mixed case) settings

    records = []
    sums = {mode: {kind: [0.0, 0.0, 0.0] for kind in ("rouge1", "rouge2", "rougeL")} for mode in scorers}
    for name, prediction, reference in pairs:
        record = {"name": name, "prediction": prediction, "reference": reference, "rouge": {}, "rouge_tokens": {}}
        for mode, scorer in scorers.items():
            scores = scorer.score(reference, prediction)
            record["rouge"][mode] = {kind: [scores[kind].precision, scores[kind].recall, scores[kind].fmeasure]
                                     for kind in ("rouge1", "rouge2", "rougeL")}
            for kind in ("rouge1", "rouge2", "rougeL"):
                for i in range(3):
                    sums[mode][kind][i] += record["rouge"][mode][kind][i]
            record["rouge_tokens"][mode] = {"prediction": tokenizers[mode].tokenize(prediction),
                                            "reference": tokenizers[mode].tokenize(reference)}
        record["bleu_tokens"] = {"prediction": tokenizer_13a(prediction), "reference": tokenizer_13a(reference)}
        record["sentence_bleu"] = _bleu_record(sacrebleu.sentence_bleu(prediction, [reference]))
        # Plain-Python Levenshtein is quadratic and slow: only for texts of up to 400 characters.
        short = max(len(prediction), len(reference)) <= 400
        record["character_similarity"] = _character_similarity(prediction, reference) if short else None
        record["exact_match"] = prediction.strip() == reference.strip()
        records.append(record)

    mean_rouge = {mode: {kind: [value / len(pairs) for value in sums[mode][kind]] for kind in sums[mode]}
                  for mode in sums}

    names = [record["name"] for record in records]
    subsets = {
        "all": list(range(len(pairs))),
        "handwritten": [i for i, n in enumerate(names) if not n.startswith(("random_", "long"))],
        "random_short": [i for i, n in enumerate(names) if n.startswith("random_")],
        "long": [i for i, n in enumerate(names) if n.startswith("long")],
        "no_match": [names.index("no_overlap"), names.index("punctuation_vs_words")],
        "empty_hypotheses": [names.index("empty_prediction"), names.index("both_empty")],
        "single_pair": [names.index("rouge_docstring")],
        "short_hypotheses": [names.index("short_vs_long"), names.index("single_word_match")],
    }
    settings = {
        "default": {},
        "none": {"smooth_method": "none"},
        "floor": {"smooth_method": "floor"},
        "floor_0.3": {"smooth_method": "floor", "smooth_value": 0.3},
        "add-k": {"smooth_method": "add-k"},
        "add-k_2": {"smooth_method": "add-k", "smooth_value": 2},
        "effective_order": {"use_effective_order": True},
    }
    corpora = []
    for subset, indices in subsets.items():
        predictions = [pairs[i][1] for i in indices]
        references = [pairs[i][2] for i in indices]
        for setting, kwargs in settings.items():
            score = sacrebleu.corpus_bleu(predictions, [references], **kwargs)
            corpora.append({"subset": subset, "indices": indices, "setting": setting,
                            "smooth_method": kwargs.get("smooth_method", "exp"),
                            "smooth_value": kwargs.get("smooth_value"),
                            "effective_order": kwargs.get("use_effective_order", False),
                            **_bleu_record(score)})

    stemmer = porter.PorterStemmer()
    words = list(_STEMMED)
    for record in records:
        for mode in ("plain",):
            words += record["rouge_tokens"][mode]["prediction"] + record["rouge_tokens"][mode]["reference"]
    words += _random_words(rng, 800)
    words += ["a", "is", "by", "sky", "yy", "ied", "ies", "eed", "ing", "y", "ll", "tied", "cried", "ties"]
    unique = sorted(set(words))
    stems = [[word, stemmer.stem(word)] for word in unique]

    return {"versions": _versions(), "pairs": records, "mean_rouge": mean_rouge, "corpora": corpora,
            "stemmer": stems}


def main(outdir):
    from nltk.stem import porter
    from rouge_score import rouge_scorer
    import sacrebleu

    import logging
    logging.getLogger("sacrebleu").setLevel(logging.ERROR)  # sentence-BLEU advice is noise here
    logging.getLogger("absl").setLevel(logging.ERROR)

    data = _build(rouge_scorer, sacrebleu, porter)
    folder = os.path.join(outdir, "metrics")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "cases.json")
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    os.replace(path + ".tmp", path)
    print(f"make_metric_fixtures: {len(data['pairs'])} pairs, {len(data['corpora'])} corpora, "
          f"{len(data['stemmer'])} stemmer words -> {path}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: make_metric_fixtures.py OUTDIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
