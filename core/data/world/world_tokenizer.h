// Training the tiny world's sentencepiece tokenizer in process, deterministically, so one seed
// rebuilds the same tokenizer.model byte for byte.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ctd::data::world {

struct TokenizerTrainingOptions {
    // Counts the 256 byte-fallback pieces and the 3 controls too. The world holds about 450
    // English words, 270 made-up target words and the prompt templates: 1024 makes nearly every
    // word occurrence one piece (about 1.3 pieces per word with punctuation, 1.7 for the
    // two-syllable target words), where 512 leaves about 2.8.
    int vocabSize = 1024;
    std::string modelType = "bpe";  // "bpe" (as Llama's) or "unigram"
};

// Llama-style settings: byte fallback, identity normalization, whitespace kept as is, a dummy
// prefix, split digits, unk=0 bos=1 eos=2 and no pad. One thread and the whole corpus (no
// sampling), so the result depends only on `lines`. Returns the serialized model;
// ConfigError carrying sentencepiece's message when training fails (e.g. vocabSize too large).
// Each line comes with its count (the trainer weighs it as that many copies); lines must not hold
// tabs or newlines.
std::string trainTokenizer(const std::vector<std::pair<std::string, std::int64_t>>& lines,
                           const TokenizerTrainingOptions& options);

}  // namespace ctd::data::world
