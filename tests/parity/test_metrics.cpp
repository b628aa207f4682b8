// ROUGE, BLEU and the Porter stemmer against rouge-score, sacrebleu and NLTK (fixtures written by
// tests/reference/make_metric_fixtures.py), plus the small text metrics against plain Python.
//
// Tolerance 1e-6 on every number: both sides do double arithmetic on identical integer counts
// (n-gram overlaps, LCS lengths, token totals) with the same operation order, and call the same
// libm log/exp, so results agree to the last bit or within a few ulps. Any real divergence moves
// a count, which moves a score by far more than 1e-6 (one unigram of a 600-word text is ~1.7e-3).
// Tokens and counts are compared exactly.
#include "core/eval/bleu.h"
#include "core/eval/rouge.h"
#include "core/eval/text_metrics.h"
#include "core/util/json_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using namespace ctd::eval;

constexpr double kTolerance = 1e-6;
const std::filesystem::path kFixturePath = std::filesystem::path(CTD_FIXTURE_DIR) / "metrics" / "cases.json";

const json* cases() {
    static const json loaded = std::filesystem::exists(kFixturePath) ? ctd::util::readJsonFile(kFixturePath) : json();
    return loaded.is_null() ? nullptr : &loaded;
}

#define REQUIRE_FIXTURES()                                                                                      \
    if (!cases())                                                                                               \
    GTEST_SKIP() << kFixturePath.string()                                                                       \
                 << " missing: run tests/reference/make_metric_fixtures.py OUTDIR (make_fixtures.py calls it)"

std::vector<std::string> strings(const json& list) {
    return list.get<std::vector<std::string>>();
}

void expectRouge(const RougeScore& actual, const json& expected, const std::string& label) {
    EXPECT_NEAR(actual.precision, expected.at(0).get<double>(), kTolerance) << label << " precision";
    EXPECT_NEAR(actual.recall, expected.at(1).get<double>(), kTolerance) << label << " recall";
    EXPECT_NEAR(actual.f1, expected.at(2).get<double>(), kTolerance) << label << " f1";
}

void expectBleu(const BleuScore& actual, const json& expected, const std::string& label, bool compareCounts = true) {
    EXPECT_NEAR(actual.score, expected.at("score").get<double>(), kTolerance) << label << " score";
    EXPECT_NEAR(actual.brevityPenalty, expected.at("bp").get<double>(), kTolerance) << label << " bp";
    EXPECT_EQ(actual.statistics.hypothesisLength, expected.at("sys_len").get<long>()) << label << " sys_len";
    EXPECT_EQ(actual.statistics.referenceLength, expected.at("ref_len").get<long>()) << label << " ref_len";
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        EXPECT_NEAR(actual.precisions[n], expected.at("precisions").at(n).get<double>(), kTolerance)
            << label << " precision " << n + 1;
        // add-k smoothing adds k to sacrebleu's reported counts; ours stay the raw statistics.
        if (!compareCounts) continue;
        EXPECT_EQ(actual.statistics.matches[n], expected.at("counts").at(n).get<long>()) << label << " count " << n + 1;
        EXPECT_EQ(actual.statistics.totals[n], expected.at("totals").at(n).get<long>()) << label << " total " << n + 1;
    }
}

TEST(MetricParity, PorterStemmerMatchesNltk) {
    REQUIRE_FIXTURES();
    int checked = 0;
    for (const auto& entry : cases()->at("stemmer")) {
        const auto word = entry.at(0).get<std::string>();
        EXPECT_EQ(porterStem(word), entry.at(1).get<std::string>()) << "word: " << word;
        ++checked;
    }
    EXPECT_GT(checked, 500);
}

TEST(MetricParity, RougeTokensMatchRougeScore) {
    REQUIRE_FIXTURES();
    for (const auto& pair : cases()->at("pairs")) {
        const auto name = pair.at("name").get<std::string>();
        for (const auto& [mode, stem] : {std::pair{"plain", false}, std::pair{"stemmed", true}}) {
            const auto& expected = pair.at("rouge_tokens").at(mode);
            EXPECT_EQ(rougeTokenize(pair.at("prediction").get<std::string>(), stem), strings(expected.at("prediction")))
                << name << " " << mode << " prediction";
            EXPECT_EQ(rougeTokenize(pair.at("reference").get<std::string>(), stem), strings(expected.at("reference")))
                << name << " " << mode << " reference";
        }
    }
}

TEST(MetricParity, RougeScoresMatchRougeScore) {
    REQUIRE_FIXTURES();
    int checked = 0;
    for (const auto& pair : cases()->at("pairs")) {
        const auto name = pair.at("name").get<std::string>();
        for (const auto& [mode, stem] : {std::pair{"plain", false}, std::pair{"stemmed", true}}) {
            const RougeScores scores =
                scoreRouge(pair.at("prediction").get<std::string>(), pair.at("reference").get<std::string>(), stem);
            const auto& expected = pair.at("rouge").at(mode);
            const std::string label = name + " " + mode;
            expectRouge(scores.rouge1, expected.at("rouge1"), label + " rouge1");
            expectRouge(scores.rouge2, expected.at("rouge2"), label + " rouge2");
            expectRouge(scores.rougeL, expected.at("rougeL"), label + " rougeL");
            ++checked;
        }
    }
    EXPECT_GE(checked, 100);
}

TEST(MetricParity, MeanRougeOverAllPairs) {
    REQUIRE_FIXTURES();
    std::vector<std::string> predictions, references;
    for (const auto& pair : cases()->at("pairs")) {
        predictions.push_back(pair.at("prediction").get<std::string>());
        references.push_back(pair.at("reference").get<std::string>());
    }
    for (const auto& [mode, stem] : {std::pair{"plain", false}, std::pair{"stemmed", true}}) {
        const RougeScores mean = meanRouge(predictions, references, stem);
        const auto& expected = cases()->at("mean_rouge").at(mode);
        expectRouge(mean.rouge1, expected.at("rouge1"), std::string("mean ") + mode + " rouge1");
        expectRouge(mean.rouge2, expected.at("rouge2"), std::string("mean ") + mode + " rouge2");
        expectRouge(mean.rougeL, expected.at("rougeL"), std::string("mean ") + mode + " rougeL");
    }
}

TEST(MetricParity, Tokenizer13aMatchesSacrebleu) {
    REQUIRE_FIXTURES();
    for (const auto& pair : cases()->at("pairs")) {
        const auto name = pair.at("name").get<std::string>();
        EXPECT_EQ(tokenize13a(pair.at("prediction").get<std::string>()),
                  pair.at("bleu_tokens").at("prediction").get<std::string>())
            << name << " prediction";
        EXPECT_EQ(tokenize13a(pair.at("reference").get<std::string>()),
                  pair.at("bleu_tokens").at("reference").get<std::string>())
            << name << " reference";
    }
}

TEST(MetricParity, SentenceBleuMatchesSacrebleu) {
    REQUIRE_FIXTURES();
    for (const auto& pair : cases()->at("pairs")) {
        const BleuScore score =
            sentenceBleu(pair.at("prediction").get<std::string>(), pair.at("reference").get<std::string>());
        expectBleu(score, pair.at("sentence_bleu"), pair.at("name").get<std::string>());
    }
}

TEST(MetricParity, CorpusBleuMatchesSacrebleu) {
    REQUIRE_FIXTURES();
    const auto& pairs = cases()->at("pairs");
    int checked = 0;
    for (const auto& corpus : cases()->at("corpora")) {
        std::vector<std::string> predictions, references;
        for (const auto& index : corpus.at("indices")) {
            predictions.push_back(pairs.at(index.get<std::size_t>()).at("prediction").get<std::string>());
            references.push_back(pairs.at(index.get<std::size_t>()).at("reference").get<std::string>());
        }
        BleuOptions options;
        const auto method = corpus.at("smooth_method").get<std::string>();
        if (method == "exp") {
            options.smoothing = BleuSmoothing::Exponential;
        } else if (method == "none") {
            options.smoothing = BleuSmoothing::None;
        } else if (method == "floor") {
            options.smoothing = BleuSmoothing::Floor;
        } else if (method == "add-k") {
            options.smoothing = BleuSmoothing::AddK;
        } else {
            FAIL() << "unknown smoothing in fixture: " << method;
        }
        if (!corpus.at("smooth_value").is_null()) options.smoothValue = corpus.at("smooth_value").get<double>();
        options.effectiveOrder = corpus.at("effective_order").get<bool>();
        const BleuScore score = corpusBleu(predictions, references, options);
        const std::string label =
            corpus.at("subset").get<std::string>() + "/" + corpus.at("setting").get<std::string>();
        expectBleu(score, corpus, label, method != "add-k");
        ++checked;
    }
    EXPECT_GE(checked, 50);
}

TEST(MetricParity, CharacterSimilarityAndExactMatchMatchPython) {
    REQUIRE_FIXTURES();
    for (const auto& pair : cases()->at("pairs")) {
        const auto name = pair.at("name").get<std::string>();
        const auto prediction = pair.at("prediction").get<std::string>();
        const auto reference = pair.at("reference").get<std::string>();
        if (!pair.at("character_similarity").is_null()) {
            EXPECT_NEAR(characterSimilarity(prediction, reference), pair.at("character_similarity").get<double>(),
                        kTolerance)
                << name;
        }
        EXPECT_EQ(exactMatch(prediction, reference), pair.at("exact_match").get<bool>()) << name;
    }
}

}  // namespace
