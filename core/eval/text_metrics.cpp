// Exact match, label accuracy and character similarity, plus the UTF-8 and Python-whitespace
// helpers that make the ROUGE/BLEU ports split text exactly as the Python references do.
#include "core/eval/text_metrics.h"

#include "core/util/error.h"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace ctd::eval {

namespace {

constexpr char32_t kReplacementCharacter = 0xFFFD;

// Length of the UTF-8 sequence at `text[position]` and its code point; an invalid or truncated
// sequence counts as one byte decoding to U+FFFD.
std::size_t decodeOne(std::string_view text, std::size_t position, char32_t& codePoint) {
    const auto lead = static_cast<unsigned char>(text[position]);
    std::size_t length = 0;
    char32_t value = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
        codePoint = lead;
        return 1;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2, value = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, value = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
        codePoint = kReplacementCharacter;
        return 1;
    }
    if (position + length > text.size()) {
        codePoint = kReplacementCharacter;
        return 1;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(text[position + i]);
        if ((next & 0xC0) != 0x80) {
            codePoint = kReplacementCharacter;
            return 1;
        }
        value = (value << 6) | (next & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
        codePoint = kReplacementCharacter;
        return 1;
    }
    codePoint = value;
    return length;
}

std::string_view trimPythonWhitespace(std::string_view text) {
    text = rstripPythonWhitespace(text);
    std::size_t start = 0;
    while (start < text.size()) {
        char32_t codePoint = 0;
        const std::size_t length = decodeOne(text, start, codePoint);
        if (!isPythonWhitespace(codePoint)) break;
        start += length;
    }
    return text.substr(start);
}

std::string normalizeForMatch(std::string_view text, const MatchOptions& options) {
    if (options.trimWhitespace) text = trimPythonWhitespace(text);
    std::string result(text);
    if (options.ignoreTrailingPunctuation) {
        while (!result.empty() && std::ispunct(static_cast<unsigned char>(result.back()))) result.pop_back();
        if (options.trimWhitespace) result = std::string(rstripPythonWhitespace(result));
    }
    if (options.ignoreAsciiCase) {
        for (char& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return result;
}

}  // namespace

std::u32string decodeUtf8(std::string_view text) {
    std::u32string result;
    result.reserve(text.size());
    for (std::size_t position = 0; position < text.size();) {
        char32_t codePoint = 0;
        position += decodeOne(text, position, codePoint);
        result.push_back(codePoint);
    }
    return result;
}

bool isPythonWhitespace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

std::vector<std::string> splitPythonWhitespace(std::string_view text) {
    std::vector<std::string> tokens;
    std::size_t tokenStart = std::string_view::npos;
    for (std::size_t position = 0; position < text.size();) {
        char32_t codePoint = 0;
        const std::size_t length = decodeOne(text, position, codePoint);
        if (isPythonWhitespace(codePoint)) {
            if (tokenStart != std::string_view::npos) {
                tokens.emplace_back(text.substr(tokenStart, position - tokenStart));
                tokenStart = std::string_view::npos;
            }
        } else if (tokenStart == std::string_view::npos) {
            tokenStart = position;
        }
        position += length;
    }
    if (tokenStart != std::string_view::npos) tokens.emplace_back(text.substr(tokenStart));
    return tokens;
}

std::string_view rstripPythonWhitespace(std::string_view text) {
    // Scan forward (UTF-8 cannot be decoded backwards safely when invalid) and remember where the
    // last non-whitespace character ended.
    std::size_t end = 0;
    for (std::size_t position = 0; position < text.size();) {
        char32_t codePoint = 0;
        const std::size_t length = decodeOne(text, position, codePoint);
        position += length;
        if (!isPythonWhitespace(codePoint)) end = position;
    }
    return text.substr(0, end);
}

bool exactMatch(std::string_view prediction, std::string_view reference, const MatchOptions& options) {
    return normalizeForMatch(prediction, options) == normalizeForMatch(reference, options);
}

double labelAccuracy(const std::vector<std::string>& predictions, const std::vector<std::string>& labels) {
    if (predictions.size() != labels.size()) {
        throw ConfigError("label accuracy: " + std::to_string(predictions.size()) + " predictions but " +
                          std::to_string(labels.size()) + " labels; expected one label per prediction");
    }
    if (predictions.empty()) return 0.0;
    const MatchOptions options{.trimWhitespace = true, .ignoreAsciiCase = true, .ignoreTrailingPunctuation = true};
    std::size_t correct = 0;
    for (std::size_t i = 0; i < predictions.size(); ++i) correct += exactMatch(predictions[i], labels[i], options);
    return static_cast<double>(correct) / static_cast<double>(predictions.size());
}

std::size_t characterEditDistance(std::string_view a, std::string_view b) {
    const std::u32string left = decodeUtf8(a);
    const std::u32string right = decodeUtf8(b);
    // One row of the dynamic-programming table suffices.
    std::vector<std::size_t> row(right.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= left.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= right.size(); ++j) {
            const std::size_t above = row[j];
            const std::size_t substitution = diagonal + (left[i - 1] == right[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitution});
            diagonal = above;
        }
    }
    return row[right.size()];
}

double characterSimilarity(std::string_view prediction, std::string_view reference) {
    const std::size_t longest = std::max(decodeUtf8(prediction).size(), decodeUtf8(reference).size());
    if (longest == 0) return 1.0;
    return 1.0 - static_cast<double>(characterEditDistance(prediction, reference)) / static_cast<double>(longest);
}

}  // namespace ctd::eval
