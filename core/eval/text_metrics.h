// Small text metrics for tasks with a checkable answer (exact match, label accuracy, character
// similarity) and the UTF-8 / Python-whitespace helpers the ROUGE and BLEU ports share.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ctd::eval {

// Decodes UTF-8 into code points. An invalid byte becomes U+FFFD on its own, so odd input never
// throws and never reads past the end.
std::u32string decodeUtf8(std::string_view text);

// The characters Python's str.isspace() / str.split() treat as whitespace. The reference metrics
// (sacrebleu) split with Python's rules, which include U+00A0, U+3000 and friends.
bool isPythonWhitespace(char32_t codePoint);
// Python's `text.split()`: runs of Python whitespace separate tokens; no empty tokens.
std::vector<std::string> splitPythonWhitespace(std::string_view text);
// Python's `text.rstrip()` with no argument.
std::string_view rstripPythonWhitespace(std::string_view text);

struct MatchOptions {
    bool trimWhitespace = true;   // ignore leading/trailing whitespace
    bool ignoreAsciiCase = false; // "Positive" == "positive"
    bool ignoreTrailingPunctuation = false; // "positive." == "positive"
};

// 1 when prediction equals reference after the normalizations in `options`, else 0.
bool exactMatch(std::string_view prediction, std::string_view reference, const MatchOptions& options = {});
// Mean exact match over pairs, with label-friendly defaults (trim, case, trailing punctuation).
// Throws ConfigError when the two lists differ in length; 0 for empty lists.
double labelAccuracy(const std::vector<std::string>& predictions, const std::vector<std::string>& labels);

// Levenshtein distance over code points (insert, delete, substitute all cost 1).
std::size_t characterEditDistance(std::string_view a, std::string_view b);
// 1 - distance / max(length a, length b) over code points; 1 when both are empty.
double characterSimilarity(std::string_view prediction, std::string_view reference);

}  // namespace ctd::eval
