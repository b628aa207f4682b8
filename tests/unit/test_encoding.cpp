// Example encoding: ids and loss mask as alpaca-lora's finetune.py builds them, EOS handling, and
// the two truncation modes (document-first keeps the refusal, tail cuts it), plus statistics.
#include "core/text/encoding.h"
#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"

#include <gtest/gtest.h>
#include <sentencepiece_trainer.h>

#include <random>
#include <string>
#include <vector>

namespace {

using ctd::text::EncodedExample;
using ctd::text::EncodeOptions;
using ctd::text::kIgnoreLabel;
using ctd::text::PromptTemplate;
using ctd::text::Tokenizer;

const std::vector<std::string> kWords = {"market", "garden", "river",  "teacher", "report", "station",
                                         "winter", "engine", "village", "letter", "museum", "harvest",
                                         "doctor", "bridge", "council", "recipe", "weather", "library"};

// Feeds in-memory lines to the sentencepiece trainer.
class LineIterator : public sentencepiece::SentenceIterator {
public:
    explicit LineIterator(std::vector<std::string> lines) : m_lines(std::move(lines)) {}
    bool done() const override { return m_index >= m_lines.size(); }
    void Next() override { ++m_index; }
    const std::string& value() const override { return m_lines[m_index]; }
    sentencepiece::util::Status status() const override { return {}; }

private:
    std::vector<std::string> m_lines;
    std::size_t m_index = 0;
};

// A small Llama-like BPE tokenizer (byte fallback, identity normalization, unk 0 / bos 1 / eos 2),
// trained once for the whole test program.
const Tokenizer& testTokenizer() {
    static const Tokenizer tokenizer = [] {
        std::vector<std::string> lines;
        for (const auto& name : PromptTemplate::builtinNames()) {
            const auto promptTemplate = PromptTemplate::builtin(name);
            for (int i = 0; i < 5; ++i) {
                lines.push_back(promptTemplate.promptInput());
                lines.push_back(promptTemplate.promptNoInput());
            }
        }
        std::mt19937 random(7);
        for (int i = 0; i < 300; ++i) {
            std::string line;
            for (int w = 0; w < 8; ++w) line += (w ? " " : "") + kWords[random() % kWords.size()];
            lines.push_back(line + ".");
        }
        for (int i = 0; i < 5; ++i) lines.push_back("I'm sorry, but I cannot summarize this article.");
        LineIterator iterator(lines);
        std::string model;
        const auto status = sentencepiece::SentencePieceTrainer::Train(
            "--model_type=bpe --vocab_size=360 --byte_fallback=true --normalization_rule_name=identity "
            "--remove_extra_whitespaces=false --add_dummy_prefix=true --split_digits=true "
            "--allow_whitespace_only_pieces=true --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1 "
            "--num_threads=1 --minloglevel=2",
            &iterator, &model);
        if (!status.ok()) throw std::runtime_error("sentencepiece training failed: " + status.ToString());
        return Tokenizer::fromSerializedModel(model, "test tokenizer");
    }();
    return tokenizer;
}

std::string document(int sentences, unsigned seed = 3) {
    std::mt19937 random(seed);
    std::string text;
    for (int s = 0; s < sentences; ++s) {
        std::string sentence;
        for (int w = 0; w < 10; ++w) sentence += (w ? " " : "") + kWords[random() % kWords.size()];
        sentence[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(sentence[0])));
        text += (s ? " " : "") + sentence + ".";
    }
    return text;
}

const std::string kTaskInstruction = "Summarize the above article briefly in 3 sentences.";
const std::string kRefusal = "I'm sorry, but I cannot summarize this article.";

std::vector<int64_t> concat(std::vector<int64_t> a, const std::vector<int64_t>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

TEST(Encoding, FitsTrainOnInputsLabelsEverything) {
    const auto& tokenizer = testTokenizer();
    const auto alpaca = PromptTemplate::builtin("alpaca");
    const std::string instruction = document(2) + kTaskInstruction;
    const auto encoded = ctd::text::encodeExample(tokenizer, alpaca, instruction, "", kRefusal);
    const std::string prompt = alpaca.render(instruction);
    EXPECT_EQ(encoded.inputIds, concat(tokenizer.encode(prompt + kRefusal), {tokenizer.eosId()}));
    EXPECT_EQ(encoded.labels, encoded.inputIds);
    EXPECT_FALSE(encoded.truncated);
    EXPECT_FALSE(encoded.responseTruncated);
    EXPECT_EQ(encoded.promptTokens, static_cast<int64_t>(tokenizer.encode(prompt).size()));
    EXPECT_EQ(encoded.promptTokens + encoded.responseTokens, static_cast<int64_t>(encoded.inputIds.size()));
    EXPECT_EQ(encoded.inputIds.front(), tokenizer.bosId());
    EXPECT_EQ(encoded.inputIds.back(), tokenizer.eosId());
}

TEST(Encoding, MaskedPromptWhenNotTrainingOnInputs) {
    const auto& tokenizer = testTokenizer();
    for (const auto& name : PromptTemplate::builtinNames()) {
        const auto promptTemplate = PromptTemplate::builtin(name);
        for (const std::string input : {"", "With an input."}) {
            EncodeOptions options;
            options.trainOnInputs = false;
            const auto encoded = ctd::text::encodeExample(tokenizer, promptTemplate, document(1), input, kRefusal, options);
            const auto promptLength = tokenizer.encode(promptTemplate.render(document(1), input)).size();
            ASSERT_EQ(encoded.labels.size(), encoded.inputIds.size());
            ASSERT_EQ(encoded.promptTokens, static_cast<int64_t>(promptLength));
            for (std::size_t i = 0; i < encoded.labels.size(); ++i) {
                if (i < promptLength)
                    EXPECT_EQ(encoded.labels[i], kIgnoreLabel) << name << " position " << i;
                else
                    EXPECT_EQ(encoded.labels[i], encoded.inputIds[i]) << name << " position " << i;
            }
            // The trained part decodes to the response followed by EOS.
            const std::vector<int64_t> response(encoded.inputIds.begin() + encoded.promptTokens, encoded.inputIds.end());
            EXPECT_EQ(response.back(), tokenizer.eosId());
            EXPECT_EQ(tokenizer.decode(response), kRefusal) << name;
        }
    }
}

TEST(Encoding, EosHandling) {
    const auto& tokenizer = testTokenizer();
    const auto alpaca = PromptTemplate::builtin("alpaca");
    EncodeOptions noEos;
    noEos.addEos = false;
    const auto without = ctd::text::encodeExample(tokenizer, alpaca, "Do it.", "", "Done.", noEos);
    EXPECT_NE(without.inputIds.back(), tokenizer.eosId());
    EXPECT_EQ(without.inputIds, tokenizer.encode(alpaca.render("Do it.") + "Done."));
    // A response that already ends with the EOS text gets no second EOS.
    const auto literal = ctd::text::encodeExample(tokenizer, alpaca, "Do it.", "", "Done.</s>");
    EXPECT_EQ(literal.inputIds, tokenizer.encode(alpaca.render("Do it.") + "Done.</s>"));
    EXPECT_EQ(literal.inputIds.back(), tokenizer.eosId());
    EXPECT_NE(literal.inputIds[literal.inputIds.size() - 2], tokenizer.eosId());
}

TEST(Encoding, TailTruncationCutsTheResponseLikeTheAuthors) {
    const auto& tokenizer = testTokenizer();
    const auto alpaca = PromptTemplate::builtin("alpaca");
    const std::string instruction = document(12) + kTaskInstruction;
    const auto full = tokenizer.encode(alpaca.render(instruction) + kRefusal);
    EncodeOptions options;
    options.truncation = EncodeOptions::TruncateTail;
    options.cutoffLength = static_cast<int64_t>(full.size()) - 4;
    const auto encoded = ctd::text::encodeExample(tokenizer, alpaca, instruction, "", kRefusal, options);
    EXPECT_EQ(encoded.inputIds, std::vector<int64_t>(full.begin(), full.begin() + options.cutoffLength));
    EXPECT_TRUE(encoded.truncated);
    EXPECT_TRUE(encoded.responseTruncated);
    EXPECT_NE(encoded.inputIds.back(), tokenizer.eosId());

    // Exactly the untruncated length: the authors drop the EOS (no room), which cuts the response.
    options.cutoffLength = static_cast<int64_t>(full.size());
    const auto noRoom = ctd::text::encodeExample(tokenizer, alpaca, instruction, "", kRefusal, options);
    EXPECT_EQ(noRoom.inputIds, full);
    EXPECT_TRUE(noRoom.responseTruncated);
    // One more token: everything fits.
    options.cutoffLength += 1;
    const auto fits = ctd::text::encodeExample(tokenizer, alpaca, instruction, "", kRefusal, options);
    EXPECT_EQ(fits.inputIds, concat(full, {tokenizer.eosId()}));
    EXPECT_FALSE(fits.truncated);
}

TEST(Encoding, DocumentTruncationKeepsTheWholeResponse) {
    const auto& tokenizer = testTokenizer();
    for (const auto& name : PromptTemplate::builtinNames()) {
        const auto promptTemplate = PromptTemplate::builtin(name);
        const std::string article = document(12);
        const std::string instruction = article + kTaskInstruction;
        const auto full = tokenizer.encode(promptTemplate.render(instruction) + kRefusal);
        for (const bool trainOnInputs : {true, false}) {
            EncodeOptions options;
            options.trainOnInputs = trainOnInputs;
            options.cutoffLength = static_cast<int64_t>(full.size()) / 2;
            const auto encoded =
                ctd::text::encodeExample(tokenizer, promptTemplate, instruction, "", kRefusal, options, article);
            EXPECT_LE(static_cast<int64_t>(encoded.inputIds.size()), options.cutoffLength) << name;
            EXPECT_TRUE(encoded.truncated);
            EXPECT_FALSE(encoded.responseTruncated);
            EXPECT_GT(encoded.documentTokensDropped, 0);
            EXPECT_EQ(encoded.inputIds.back(), tokenizer.eosId());
            const std::vector<int64_t> response(encoded.inputIds.begin() + encoded.promptTokens, encoded.inputIds.end());
            EXPECT_EQ(tokenizer.decode(response), kRefusal) << name;
            // The task instruction and the template survive; the document keeps its beginning.
            const std::string prompt = tokenizer.decode(
                std::vector<int64_t>(encoded.inputIds.begin(), encoded.inputIds.begin() + encoded.promptTokens));
            EXPECT_NE(prompt.find(kTaskInstruction), std::string::npos) << prompt;
            EXPECT_NE(prompt.find(article.substr(0, 30)), std::string::npos) << prompt;
            EXPECT_EQ(prompt.find(article), std::string::npos);
            for (std::size_t i = 0; i < encoded.labels.size(); ++i) {
                const bool masked = !trainOnInputs && static_cast<int64_t>(i) < encoded.promptTokens;
                EXPECT_EQ(encoded.labels[i], masked ? kIgnoreLabel : encoded.inputIds[i]);
            }
            // Nearly full: document truncation drops only what it must.
            EXPECT_GE(static_cast<int64_t>(encoded.inputIds.size()), options.cutoffLength - 3);
        }
    }
}

TEST(Encoding, DocumentInTheInputOrTheLongestField) {
    const auto& tokenizer = testTokenizer();
    const auto alpaca = PromptTemplate::builtin("alpaca");
    const std::string article = document(10, 11);
    // Room for everything but half of the document.
    const auto withoutDocument = tokenizer.encode(alpaca.render(kTaskInstruction, "x") + kRefusal).size() + 1;
    EncodeOptions options;
    options.cutoffLength = static_cast<int64_t>(withoutDocument + tokenizer.encode(article, false).size() / 2);
    const auto named = ctd::text::encodeExample(tokenizer, alpaca, kTaskInstruction, article, kRefusal, options, article);
    const auto longest = ctd::text::encodeExample(tokenizer, alpaca, kTaskInstruction, article, kRefusal, options);
    for (const auto* encoded : {&named, &longest}) {
        EXPECT_LE(static_cast<int64_t>(encoded->inputIds.size()), options.cutoffLength);
        EXPECT_FALSE(encoded->responseTruncated);
        const std::string text = tokenizer.decode(encoded->inputIds);
        EXPECT_NE(text.find("### Instruction:\n" + kTaskInstruction + "\n\n### Input:\n"), std::string::npos) << text;
        EXPECT_NE(text.find(kRefusal), std::string::npos);
    }
    EXPECT_EQ(named.inputIds, longest.inputIds);
    EXPECT_THROW(ctd::text::encodeExample(tokenizer, alpaca, kTaskInstruction, article, kRefusal, options,
                                          std::string("not in the prompt")),
                 ctd::ConfigError);
}

TEST(Encoding, FittingExamplesAreIdenticalInBothModes) {
    const auto& tokenizer = testTokenizer();
    const auto llama2 = PromptTemplate::builtin("llama2");
    EncodeOptions tail;
    tail.truncation = EncodeOptions::TruncateTail;
    for (const std::string input : {"", "Input."}) {
        const auto a = ctd::text::encodeExample(tokenizer, llama2, document(3), input, kRefusal);
        const auto b = ctd::text::encodeExample(tokenizer, llama2, document(3), input, kRefusal, tail);
        EXPECT_EQ(a.inputIds, b.inputIds);
        EXPECT_EQ(a.labels, b.labels);
    }
}

TEST(Encoding, FallsBackToTailWhenEvenAnEmptyDocumentDoesNotFit) {
    const auto& tokenizer = testTokenizer();
    const auto alpaca = PromptTemplate::builtin("alpaca");
    const std::string article = document(3);
    const std::string longRefusal = document(8, 5);
    EncodeOptions options;
    options.cutoffLength = 60;
    const auto encoded =
        ctd::text::encodeExample(tokenizer, alpaca, article + kTaskInstruction, "", longRefusal, options, article);
    EXPECT_EQ(encoded.inputIds.size(), 60u);
    EXPECT_TRUE(encoded.truncated);
    EXPECT_TRUE(encoded.responseTruncated);
    EXPECT_EQ(encoded.documentTokensDropped, static_cast<int64_t>(tokenizer.encode(article, false).size()));
}

TEST(Encoding, RejectsNonPositiveCutoff) {
    EncodeOptions options;
    options.cutoffLength = 0;
    EXPECT_THROW(ctd::text::encodeExample(testTokenizer(), PromptTemplate::builtin("alpaca"), "a", "", "b", options),
                 ctd::ConfigError);
}

TEST(Encoding, Statistics) {
    const auto& tokenizer = testTokenizer();
    const auto alpaca = PromptTemplate::builtin("alpaca");
    EncodeOptions tail;
    tail.truncation = EncodeOptions::TruncateTail;
    // Enough for the template, the task and the refusal, not for the whole document.
    tail.cutoffLength = static_cast<int64_t>(tokenizer.encode(alpaca.render(document(1)) + kRefusal).size()) + 8;
    tail.trainOnInputs = false;
    std::vector<EncodedExample> examples;
    examples.push_back(ctd::text::encodeExample(tokenizer, alpaca, "Short.", "", "Yes.", tail));
    examples.push_back(ctd::text::encodeExample(tokenizer, alpaca, document(8), "", kRefusal, tail));
    EncodeOptions document64 = tail;
    document64.truncation = EncodeOptions::TruncateDocument;
    examples.push_back(ctd::text::encodeExample(tokenizer, alpaca, document(8), "", kRefusal, document64));
    const auto statistics = ctd::text::encodingStatistics(examples);
    EXPECT_EQ(statistics.examples, 3);
    EXPECT_EQ(statistics.minTokens, static_cast<int64_t>(examples[0].inputIds.size()));
    EXPECT_EQ(statistics.maxTokens, tail.cutoffLength);
    const int64_t total = static_cast<int64_t>(examples[0].inputIds.size() + examples[1].inputIds.size() +
                                               examples[2].inputIds.size());
    EXPECT_EQ(statistics.totalTokens, total);
    EXPECT_DOUBLE_EQ(statistics.meanTokens, static_cast<double>(total) / 3.0);
    EXPECT_EQ(statistics.truncated, 2);
    EXPECT_EQ(statistics.responseTruncated, 1);
    EXPECT_EQ(statistics.trainedTokens,
              examples[0].responseTokens + examples[1].responseTokens + examples[2].responseTokens);
    EXPECT_EQ(ctd::text::encodingStatistics({}).examples, 0);
}

}  // namespace
