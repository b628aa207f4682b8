// A port of sacrebleu 2.5 (tokenizers/tokenizer_13a.py, tokenizer_re.py, metrics/bleu.py). The
// regular expressions of the 13a tokenizer only involve ASCII, so they run here as byte scans
// that reproduce Python's left-to-right, non-overlapping re.sub.
#include "core/eval/bleu.h"

#include "core/eval/text_metrics.h"
#include "core/util/error.h"

#include <cmath>
#include <unordered_map>

namespace ctd::eval {

namespace {

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
    std::string result;
    result.reserve(text.size());
    std::size_t position = 0;
    while (true) {
        const std::size_t found = text.find(from, position);
        if (found == std::string::npos) break;
        result.append(text, position, found - position);
        result.append(to);
        position = found + from.size();
    }
    result.append(text, position, std::string::npos);
    return result;
}

// [\{-\~\[-\` -\&\(-\+\:-\@\/] : ASCII punctuation and symbols except ' , - . (and the space
// itself, which the class also contains).
bool isSeparatedSymbol(char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 0x7B && u <= 0x7E) || (u >= 0x5B && u <= 0x60) || (u >= 0x20 && u <= 0x26) ||
           (u >= 0x28 && u <= 0x2B) || (u >= 0x3A && u <= 0x40) || u == 0x2F;
}

// TokenizerRegexp.__call__. A multi-byte UTF-8 character never contains an ASCII byte, and each
// of its bytes is "not a digit", so scanning bytes gives the same matches as scanning characters.
std::string regexpTokenize(const std::string& line) {
    std::string step1;
    step1.reserve(line.size() * 2);
    for (char c : line) {
        if (isSeparatedSymbol(c)) {
            step1 += ' ';
            step1 += c;
            step1 += ' ';
        } else {
            step1 += c;
        }
    }
    // ([^0-9])([\.,]) -> "\1 \2 "
    std::string step2;
    step2.reserve(step1.size() * 2);
    for (std::size_t i = 0; i < step1.size();) {
        if (i + 1 < step1.size() && !isDigit(step1[i]) && (step1[i + 1] == '.' || step1[i + 1] == ',')) {
            step2 += step1[i];
            step2 += ' ';
            step2 += step1[i + 1];
            step2 += ' ';
            i += 2;
        } else {
            step2 += step1[i++];
        }
    }
    // ([\.,])([^0-9]) -> " \1 \2"
    std::string step3;
    step3.reserve(step2.size() * 2);
    for (std::size_t i = 0; i < step2.size();) {
        if (i + 1 < step2.size() && (step2[i] == '.' || step2[i] == ',') && !isDigit(step2[i + 1])) {
            step3 += ' ';
            step3 += step2[i];
            step3 += ' ';
            step3 += step2[i + 1];
            i += 2;
        } else {
            step3 += step2[i++];
        }
    }
    // ([0-9])(-) -> "\1 \2 "
    std::string step4;
    step4.reserve(step3.size() * 2);
    for (std::size_t i = 0; i < step3.size();) {
        if (i + 1 < step3.size() && isDigit(step3[i]) && step3[i + 1] == '-') {
            step4 += step3[i];
            step4 += " - ";
            i += 2;
        } else {
            step4 += step3[i++];
        }
    }
    std::string joined;
    for (const std::string& token : splitPythonWhitespace(step4)) {
        if (!joined.empty()) joined += ' ';
        joined += token;
    }
    return joined;
}

using NgramCounts = std::unordered_map<std::string, long>;

// All n-grams of orders 1..4 (sacrebleu's extract_all_word_ngrams). Tokens hold no whitespace, so
// a space-joined key identifies each n-gram, and the key's order is its number of spaces + 1.
NgramCounts countNgrams(const std::vector<std::string>& tokens) {
    NgramCounts counts;
    for (std::size_t start = 0; start < tokens.size(); ++start) {
        std::string key;
        for (std::size_t n = 1; n <= static_cast<std::size_t>(kBleuMaxOrder) && start + n <= tokens.size(); ++n) {
            if (n > 1) key += ' ';
            key += tokens[start + n - 1];
            ++counts[key];
        }
    }
    return counts;
}

std::size_t orderOf(const std::string& key) {
    std::size_t spaces = 0;
    for (char c : key) spaces += (c == ' ');
    return spaces + 1;
}

// sacrebleu's my_log: log(0) is floored so that exp() of the mean gives 0.
double flooredLog(double value) {
    if (value == 0.0) return -9999999999.0;
    return std::log(value);
}

}  // namespace

BleuStatistics& BleuStatistics::operator+=(const BleuStatistics& other) {
    hypothesisLength += other.hypothesisLength;
    referenceLength += other.referenceLength;
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        matches[n] += other.matches[n];
        totals[n] += other.totals[n];
    }
    return *this;
}

std::string tokenize13a(std::string_view input) {
    std::string line(rstripPythonWhitespace(input));
    line = replaceAll(std::move(line), "<skipped>", "");
    line = replaceAll(std::move(line), "-\n", "");
    line = replaceAll(std::move(line), "\n", " ");
    if (line.find('&') != std::string::npos) {
        line = replaceAll(std::move(line), "&quot;", "\"");
        line = replaceAll(std::move(line), "&amp;", "&");
        line = replaceAll(std::move(line), "&lt;", "<");
        line = replaceAll(std::move(line), "&gt;", ">");
    }
    return regexpTokenize(" " + line + " ");
}

BleuStatistics bleuStatistics(std::string_view prediction, std::string_view reference) {
    const std::vector<std::string> hypothesisTokens = splitPythonWhitespace(tokenize13a(prediction));
    const std::vector<std::string> referenceTokens = splitPythonWhitespace(tokenize13a(reference));
    const NgramCounts hypothesisNgrams = countNgrams(hypothesisTokens);
    const NgramCounts referenceNgrams = countNgrams(referenceTokens);

    BleuStatistics statistics;
    statistics.hypothesisLength = static_cast<long>(hypothesisTokens.size());
    statistics.referenceLength = static_cast<long>(referenceTokens.size());
    for (const auto& [ngram, count] : hypothesisNgrams) {
        const std::size_t order = orderOf(ngram) - 1;
        statistics.totals[order] += count;
        const auto found = referenceNgrams.find(ngram);
        if (found != referenceNgrams.end()) statistics.matches[order] += std::min(count, found->second);
    }
    return statistics;
}

BleuScore bleuFromStatistics(const BleuStatistics& statistics, const BleuOptions& options) {
    BleuScore result;
    result.statistics = statistics;
    double smoothValue = options.smoothValue;
    if (smoothValue < 0) smoothValue = options.smoothing == BleuSmoothing::AddK ? 1.0 : 0.1;

    const long hypothesisLength = statistics.hypothesisLength;
    const long referenceLength = statistics.referenceLength;
    if (hypothesisLength < referenceLength) {
        result.brevityPenalty =
            hypothesisLength > 0
                ? std::exp(1.0 - static_cast<double>(referenceLength) / static_cast<double>(hypothesisLength))
                : 0.0;
    }

    bool anyMatch = false;
    for (long count : statistics.matches) anyMatch = anyMatch || count != 0;
    if (!anyMatch) return result;  // sacrebleu's early stop: score 0

    std::array<double, kBleuMaxOrder> matches{};
    std::array<double, kBleuMaxOrder> totals{};
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        matches[n] = static_cast<double>(statistics.matches[n]);
        totals[n] = static_cast<double>(statistics.totals[n]);
    }
    double mtevalSmoothing = 1.0;
    int effectiveOrder = kBleuMaxOrder;
    for (int n = 1; n <= kBleuMaxOrder; ++n) {
        const int i = n - 1;
        if (options.smoothing == BleuSmoothing::AddK && n > 1) {
            matches[i] += smoothValue;
            totals[i] += smoothValue;
        }
        if (totals[i] == 0) break;
        if (options.effectiveOrder) effectiveOrder = n;
        if (matches[i] == 0) {
            if (options.smoothing == BleuSmoothing::Exponential) {
                mtevalSmoothing *= 2;
                result.precisions[i] = 100.0 / (mtevalSmoothing * totals[i]);
            } else if (options.smoothing == BleuSmoothing::Floor) {
                result.precisions[i] = 100.0 * smoothValue / totals[i];
            }
        } else {
            result.precisions[i] = 100.0 * matches[i] / totals[i];
        }
    }
    double logSum = 0.0;
    for (int i = 0; i < effectiveOrder; ++i) logSum += flooredLog(result.precisions[i]);
    result.score = result.brevityPenalty * std::exp(logSum / effectiveOrder);
    return result;
}

BleuScore corpusBleu(const std::vector<std::string>& predictions, const std::vector<std::string>& references,
                     const BleuOptions& options) {
    if (predictions.size() != references.size()) {
        throw ConfigError("BLEU: " + std::to_string(predictions.size()) + " predictions but " +
                          std::to_string(references.size()) + " references; expected one reference per prediction");
    }
    BleuStatistics total;
    for (std::size_t i = 0; i < predictions.size(); ++i) total += bleuStatistics(predictions[i], references[i]);
    return bleuFromStatistics(total, options);
}

BleuScore sentenceBleu(std::string_view prediction, std::string_view reference) {
    BleuOptions options;
    options.effectiveOrder = true;
    return bleuFromStatistics(bleuStatistics(prediction, reference), options);
}

}  // namespace ctd::eval
