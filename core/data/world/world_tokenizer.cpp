// In-process sentencepiece training for the tiny world (libsentencepiece_train).
#include "core/data/world/world_tokenizer.h"

#include "core/util/error.h"

#include <sentencepiece_trainer.h>

#include <mutex>
#include <unordered_map>

namespace ctd::data::world {
namespace {

// Feeds the lines to the trainer without a temporary file.
class LineIterator : public sentencepiece::SentenceIterator {
public:
    explicit LineIterator(const std::vector<std::pair<std::string, std::int64_t>>& lines) : m_lines(lines) {
        load();
    }
    bool done() const override { return m_index >= m_lines.size(); }
    void Next() override {
        ++m_index;
        load();
    }
    const std::string& value() const override { return m_current; }
    sentencepiece::util::Status status() const override { return {}; }

private:
    // The trainer's "tsv" input: sentence, tab, count.
    void load() {
        if (!done()) m_current = m_lines[m_index].first + "\t" + std::to_string(m_lines[m_index].second);
    }
    const std::vector<std::pair<std::string, std::int64_t>>& m_lines;
    std::size_t m_index = 0;
    std::string m_current;
};

}  // namespace

std::string trainTokenizer(const std::vector<std::pair<std::string, std::int64_t>>& lines,
                           const TokenizerTrainingOptions& options) {
    if (options.modelType != "bpe" && options.modelType != "unigram")
        throw ConfigError("tokenizer model type '" + options.modelType + "' is not supported (expected bpe or unigram)");
    if (options.vocabSize < 300)
        throw ConfigError("tokenizer vocabulary size " + std::to_string(options.vocabSize) +
                          " is too small: byte fallback alone takes 256 pieces");
    if (lines.empty()) throw ConfigError("tokenizer training needs at least one line of text");
    for (const auto& [line, count] : lines)
        if (line.find_first_of("\t\n") != std::string::npos || count < 1)
            throw ConfigError("tokenizer training line holds a tab or newline, or a count below 1: " + line);
    const std::unordered_map<std::string, std::string> arguments{
        {"model_prefix", ""},
        {"model_type", options.modelType},
        {"input_format", "tsv"},
        {"vocab_size", std::to_string(options.vocabSize)},
        {"character_coverage", "1.0"},
        {"byte_fallback", "true"},
        {"split_digits", "true"},
        {"normalization_rule_name", "identity"},
        {"remove_extra_whitespaces", "false"},
        {"add_dummy_prefix", "true"},
        {"unk_id", "0"},
        {"bos_id", "1"},
        {"eos_id", "2"},
        {"pad_id", "-1"},
        {"num_threads", "1"},
        {"input_sentence_size", "0"},
        {"shuffle_input_sentence", "false"},
        {"max_sentence_length", "16384"},
        {"hard_vocab_limit", "true"},
        {"minloglevel", "2"},
    };
    // The trainer keeps global state (log level, random seed): one training at a time.
    static std::mutex trainingMutex;
    std::lock_guard lock(trainingMutex);
    sentencepiece::SetRandomGeneratorSeed(20240515u);
    LineIterator iterator(lines);
    std::string serialized;
    const auto status = sentencepiece::SentencePieceTrainer::Train(arguments, &iterator, &serialized);
    if (!status.ok()) throw ConfigError("tokenizer training failed: " + status.ToString());
    return serialized;
}

}  // namespace ctd::data::world
