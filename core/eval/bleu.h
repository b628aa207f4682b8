// BLEU as sacrebleu 2.x computes it: the "13a" tokenizer (mteval-v13a), n-grams up to 4, brevity
// penalty over the corpus, and its smoothing methods. Defaults equal sacrebleu.corpus_bleu's.
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace ctd::eval {

inline constexpr int kBleuMaxOrder = 4;

enum class BleuSmoothing {
    Exponential,  // sacrebleu "exp" (NIST mteval smoothing), the default
    None,         // "none"
    Floor,        // "floor": zero-match precisions become smoothValue / total (default 0.1)
    AddK,         // "add-k": adds smoothValue (default 1) to matches and totals from 2-grams on
};

struct BleuOptions {
    BleuSmoothing smoothing = BleuSmoothing::Exponential;
    // Negative: sacrebleu's default for the method (0.1 for floor, 1 for add-k).
    double smoothValue = -1.0;
    // Stop at the highest n-gram order the hypothesis has; sacrebleu enables it for sentence BLEU.
    bool effectiveOrder = false;
};

// The sufficient statistics of one segment (or, summed, of a corpus).
struct BleuStatistics {
    long hypothesisLength = 0;
    long referenceLength = 0;
    std::array<long, kBleuMaxOrder> matches{};  // clipped n-gram matches, n = 1..4
    std::array<long, kBleuMaxOrder> totals{};   // hypothesis n-grams, n = 1..4

    BleuStatistics& operator+=(const BleuStatistics& other);
};

struct BleuScore {
    double score = 0.0;  // 0-100, like sacrebleu's BLEUScore.score
    std::array<double, kBleuMaxOrder> precisions{};  // percentages
    double brevityPenalty = 1.0;
    BleuStatistics statistics;
};

// sacrebleu's Tokenizer13a applied to `line.rstrip()`, returning the space-joined tokens.
std::string tokenize13a(std::string_view line);

// Statistics of one hypothesis against one reference (both untokenized).
BleuStatistics bleuStatistics(std::string_view prediction, std::string_view reference);
// sacrebleu's BLEU.compute_bleu.
BleuScore bleuFromStatistics(const BleuStatistics& statistics, const BleuOptions& options = {});

// sacrebleu.corpus_bleu(predictions, [references]).score with the given options (one reference
// per prediction). Throws ConfigError when the lists differ in length; an empty corpus scores 0.
BleuScore corpusBleu(const std::vector<std::string>& predictions, const std::vector<std::string>& references,
                     const BleuOptions& options = {});
// sacrebleu.sentence_bleu(prediction, [reference]): exponential smoothing, effective order on.
BleuScore sentenceBleu(std::string_view prediction, std::string_view reference);

}  // namespace ctd::eval
