// A port of rouge_score 0.1.2 (rouge_scorer.py, tokenize.py) and of NLTK 3.x's PorterStemmer in
// NLTK_EXTENSIONS mode. Rule order and conditions follow the Python sources line for line, since
// any deviation changes which suffix wins and therefore the scores.
#include "core/eval/rouge.h"

#include "core/eval/text_metrics.h"
#include "core/util/error.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace ctd::eval {

namespace {

bool endsWith(const std::string& word, std::string_view suffix) {
    return word.size() >= suffix.size() && word.compare(word.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string withoutSuffix(const std::string& word, std::size_t suffixLength) {
    return word.substr(0, word.size() - suffixLength);
}

bool isVowelLetter(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

// Porter's consonant test: 'y' is a consonant when it starts the word or follows a vowel. Walking
// back over a run of 'y's (as NLTK does) keeps this linear and non-recursive.
bool isConsonant(const std::string& word, std::size_t index) {
    if (isVowelLetter(word[index])) return false;
    if (word[index] != 'y') return true;
    bool negate = false;
    while (index > 0 && word[index] == 'y') {
        negate = !negate;
        --index;
    }
    return (!isVowelLetter(word[index])) != negate;
}

std::vector<bool> consonantFlags(const std::string& word) {
    std::vector<bool> flags(word.size());
    for (std::size_t i = 0; i < word.size(); ++i) {
        if (isVowelLetter(word[i])) {
            flags[i] = false;
        } else if (word[i] == 'y') {
            flags[i] = (i == 0) ? true : !flags[i - 1];
        } else {
            flags[i] = true;
        }
    }
    return flags;
}

// The number of vowel-to-consonant transitions ("m" in the paper).
int measure(const std::string& stem) {
    const std::vector<bool> flags = consonantFlags(stem);
    int count = 0;
    for (std::size_t i = 1; i < flags.size(); ++i) count += (!flags[i - 1] && flags[i]) ? 1 : 0;
    return count;
}

bool containsVowel(const std::string& stem) {
    const std::vector<bool> flags = consonantFlags(stem);
    return std::any_of(flags.begin(), flags.end(), [](bool consonant) { return !consonant; });
}

bool endsDoubleConsonant(const std::string& word) {
    const std::size_t n = word.size();
    return n >= 2 && word[n - 1] == word[n - 2] && isConsonant(word, n - 1);
}

// Condition *o, with NLTK's extension that a two-letter vowel-consonant stem also counts.
bool endsConsonantVowelConsonant(const std::string& word) {
    const std::size_t n = word.size();
    if (n >= 3 && isConsonant(word, n - 3) && !isConsonant(word, n - 2) && isConsonant(word, n - 1) &&
        word[n - 1] != 'w' && word[n - 1] != 'x' && word[n - 1] != 'y') {
        return true;
    }
    return n == 2 && !isConsonant(word, 0) && isConsonant(word, 1);
}

using Condition = std::function<bool(const std::string&)>;

struct Rule {
    std::string suffix;  // "*d" stands for "ends in a double consonant"
    std::string replacement;
    Condition condition;  // empty: unconditional
};

// NLTK's _apply_rule_list: the first rule whose suffix matches decides, whether or not its
// condition holds.
std::string applyRuleList(const std::string& word, const std::vector<Rule>& rules) {
    for (const Rule& rule : rules) {
        if (rule.suffix == "*d" && endsDoubleConsonant(word)) {
            const std::string stem = withoutSuffix(word, 2);
            return (!rule.condition || rule.condition(stem)) ? stem + rule.replacement : word;
        }
        if (endsWith(word, rule.suffix)) {
            const std::string stem = withoutSuffix(word, rule.suffix.size());
            return (!rule.condition || rule.condition(stem)) ? stem + rule.replacement : word;
        }
    }
    return word;
}

bool positiveMeasure(const std::string& stem) {
    return measure(stem) > 0;
}

bool measureAboveOne(const std::string& stem) {
    return measure(stem) > 1;
}

std::string step1a(const std::string& word) {
    if (endsWith(word, "ies") && word.size() == 4) return withoutSuffix(word, 3) + "ie";
    return applyRuleList(word, {{"sses", "ss", {}}, {"ies", "i", {}}, {"ss", "ss", {}}, {"s", "", {}}});
}

std::string step1b(const std::string& word) {
    if (endsWith(word, "ied")) return withoutSuffix(word, 3) + (word.size() == 4 ? "ie" : "i");
    if (endsWith(word, "eed")) {
        const std::string stem = withoutSuffix(word, 3);
        return measure(stem) > 0 ? stem + "ee" : word;
    }
    std::string intermediate;
    bool removed = false;
    for (std::string_view suffix : {std::string_view("ed"), std::string_view("ing")}) {
        if (endsWith(word, suffix)) {
            intermediate = withoutSuffix(word, suffix.size());
            if (containsVowel(intermediate)) {
                removed = true;
                break;
            }
        }
    }
    if (!removed) return word;
    // A vowel was found, so `intermediate` is not empty.
    const char last = intermediate.back();
    return applyRuleList(
        intermediate,
        {{"at", "ate", {}},
         {"bl", "ble", {}},
         {"iz", "ize", {}},
         {"*d", std::string(1, last), [last](const std::string&) { return last != 'l' && last != 's' && last != 'z'; }},
         {"", "e", [](const std::string& stem) { return measure(stem) == 1 && endsConsonantVowelConsonant(stem); }}});
}

std::string step1c(const std::string& word) {
    return applyRuleList(word, {{"y", "i", [](const std::string& stem) {
                                     return stem.size() > 1 && isConsonant(stem, stem.size() - 1);
                                 }}});
}

std::string step2(const std::string& word) {
    if (endsWith(word, "alli") && positiveMeasure(withoutSuffix(word, 4))) {
        return step2(withoutSuffix(word, 4) + "al");
    }
    const Condition m = positiveMeasure;
    const std::vector<Rule> rules = {
        {"ational", "ate", m}, {"tional", "tion", m}, {"enci", "ence", m},   {"anci", "ance", m},
        {"izer", "ize", m},    {"bli", "ble", m},     {"alli", "al", m},     {"entli", "ent", m},
        {"eli", "e", m},       {"ousli", "ous", m},   {"ization", "ize", m}, {"ation", "ate", m},
        {"ator", "ate", m},    {"alism", "al", m},    {"iveness", "ive", m}, {"fulness", "ful", m},
        {"ousness", "ous", m}, {"aliti", "al", m},    {"iviti", "ive", m},   {"biliti", "ble", m},
        {"fulli", "ful", m},
        // NLTK measures the stem with the "l" kept ("logi" -> "log" needs m("...l") > 0).
        {"logi", "log", [&word](const std::string&) { return positiveMeasure(withoutSuffix(word, 3)); }},
    };
    return applyRuleList(word, rules);
}

std::string step3(const std::string& word) {
    const Condition m = positiveMeasure;
    return applyRuleList(word, {{"icate", "ic", m},
                                {"ative", "", m},
                                {"alize", "al", m},
                                {"iciti", "ic", m},
                                {"ical", "ic", m},
                                {"ful", "", m},
                                {"ness", "", m}});
}

std::string step4(const std::string& word) {
    const Condition m = measureAboveOne;
    return applyRuleList(
        word, {{"al", "", m},   {"ance", "", m}, {"ence", "", m},  {"er", "", m},   {"ic", "", m},
               {"able", "", m}, {"ible", "", m}, {"ant", "", m},   {"ement", "", m}, {"ment", "", m},
               {"ent", "", m},
               {"ion", "", [](const std::string& stem) {
                    return measure(stem) > 1 && (stem.back() == 's' || stem.back() == 't');
                }},
               {"ou", "", m},   {"ism", "", m},  {"ate", "", m},   {"iti", "", m},  {"ous", "", m},
               {"ive", "", m},  {"ize", "", m}});
}

std::string step5a(const std::string& word) {
    if (endsWith(word, "e")) {
        const std::string stem = withoutSuffix(word, 1);
        const int m = measure(stem);
        if (m > 1) return stem;
        if (m == 1 && !endsConsonantVowelConsonant(stem)) return stem;
    }
    return word;
}

std::string step5b(const std::string& word) {
    return applyRuleList(word, {{"ll", "l", [&word](const std::string&) {
                                     return measure(withoutSuffix(word, 1)) > 1;
                                 }}});
}

const std::unordered_map<std::string, std::string>& irregularForms() {
    static const std::unordered_map<std::string, std::string> forms = {
        {"sky", "sky"},         {"skies", "sky"},     {"dying", "die"},       {"lying", "lie"},
        {"tying", "tie"},       {"news", "news"},     {"innings", "inning"},  {"inning", "inning"},
        {"outings", "outing"},  {"outing", "outing"}, {"cannings", "canning"}, {"canning", "canning"},
        {"howe", "howe"},       {"proceed", "proceed"}, {"exceed", "exceed"},  {"succeed", "succeed"},
    };
    return forms;
}

// Python's str.lower() followed by rouge_score's [^a-z0-9] -> " " substitution, in one pass.
// Only two non-ASCII characters lower-case into ASCII letters: U+0130 (-> "i" + U+0307) and the
// Kelvin sign U+212A (-> "k"); every other non-ASCII character separates tokens.
std::vector<std::string> alphanumericRuns(std::string_view text) {
    std::vector<std::string> runs;
    std::string current;
    auto flush = [&] {
        if (!current.empty()) runs.push_back(std::move(current));
        current.clear();
    };
    for (char32_t c : decodeUtf8(text)) {
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            current.push_back(static_cast<char>(c));
        } else if (c >= 'A' && c <= 'Z') {
            current.push_back(static_cast<char>(c - 'A' + 'a'));
        } else if (c == 0x212A) {
            current.push_back('k');
        } else if (c == 0x130) {
            current.push_back('i');
            flush();  // the combining dot above that follows is not alphanumeric
        } else {
            flush();
        }
    }
    flush();
    return runs;
}

using NgramCounts = std::unordered_map<std::string, long>;

// Tokens are [a-z0-9]+ here, so joining with a space gives a unique key per n-gram.
NgramCounts countNgrams(const std::vector<std::string>& tokens, int n) {
    NgramCounts counts;
    const auto size = static_cast<long>(tokens.size());
    for (long start = 0; start + n <= size; ++start) {
        std::string key = tokens[static_cast<std::size_t>(start)];
        for (long i = start + 1; i < start + n; ++i) key += ' ' + tokens[static_cast<std::size_t>(i)];
        ++counts[key];
    }
    return counts;
}

// rouge_score's scoring.fmeasure, with the same operation order so rounding matches.
double fmeasure(double precision, double recall) {
    if (precision + recall > 0) return 2 * precision * recall / (precision + recall);
    return 0.0;
}

long sumCounts(const NgramCounts& counts) {
    long total = 0;
    for (const auto& [key, count] : counts) total += count;
    return total;
}

}  // namespace

std::string porterStem(std::string_view input) {
    std::string word(input);
    for (char& c : word) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    const auto& irregular = irregularForms();
    if (const auto found = irregular.find(word); found != irregular.end()) return found->second;
    if (word.size() <= 2) return word;
    word = step1a(word);
    word = step1b(word);
    word = step1c(word);
    word = step2(word);
    word = step3(word);
    word = step4(word);
    word = step5a(word);
    word = step5b(word);
    return word;
}

std::vector<std::string> rougeTokenize(std::string_view text, bool useStemmer) {
    std::vector<std::string> tokens = alphanumericRuns(text);
    if (useStemmer) {
        for (std::string& token : tokens) {
            if (token.size() > 3) token = porterStem(token);
        }
        // rouge_score drops tokens that are not [a-z0-9]+ after stemming; a stem is never empty
        // for words longer than 3 characters, but keep the check as the reference does.
        std::erase_if(tokens, [](const std::string& token) { return token.empty(); });
    }
    return tokens;
}

RougeScore rougeN(const std::vector<std::string>& predictionTokens, const std::vector<std::string>& referenceTokens,
                  int n) {
    if (n <= 0) throw ConfigError("ROUGE-N: n must be positive, got " + std::to_string(n));
    const NgramCounts reference = countNgrams(referenceTokens, n);
    const NgramCounts prediction = countNgrams(predictionTokens, n);
    long overlap = 0;
    for (const auto& [ngram, count] : reference) {
        const auto found = prediction.find(ngram);
        if (found != prediction.end()) overlap += std::min(count, found->second);
    }
    RougeScore score;
    score.precision = static_cast<double>(overlap) / static_cast<double>(std::max(sumCounts(prediction), 1L));
    score.recall = static_cast<double>(overlap) / static_cast<double>(std::max(sumCounts(reference), 1L));
    score.f1 = fmeasure(score.precision, score.recall);
    return score;
}

RougeScore rougeLcs(const std::vector<std::string>& predictionTokens,
                    const std::vector<std::string>& referenceTokens) {
    if (predictionTokens.empty() || referenceTokens.empty()) return {};
    // Two rows of the LCS table: memory stays linear for documents of thousands of tokens.
    std::vector<long> previous(predictionTokens.size() + 1, 0);
    std::vector<long> current(predictionTokens.size() + 1, 0);
    for (const std::string& referenceToken : referenceTokens) {
        for (std::size_t j = 1; j <= predictionTokens.size(); ++j) {
            current[j] = referenceToken == predictionTokens[j - 1] ? previous[j - 1] + 1
                                                                   : std::max(previous[j], current[j - 1]);
        }
        std::swap(previous, current);
    }
    const long length = previous.back();
    RougeScore score;
    score.precision = static_cast<double>(length) / static_cast<double>(predictionTokens.size());
    score.recall = static_cast<double>(length) / static_cast<double>(referenceTokens.size());
    score.f1 = fmeasure(score.precision, score.recall);
    return score;
}

RougeScores scoreRouge(std::string_view prediction, std::string_view reference, bool useStemmer) {
    const std::vector<std::string> predictionTokens = rougeTokenize(prediction, useStemmer);
    const std::vector<std::string> referenceTokens = rougeTokenize(reference, useStemmer);
    return {rougeN(predictionTokens, referenceTokens, 1), rougeN(predictionTokens, referenceTokens, 2),
            rougeLcs(predictionTokens, referenceTokens)};
}

RougeScores meanRouge(const std::vector<std::string>& predictions, const std::vector<std::string>& references,
                      bool useStemmer) {
    if (predictions.size() != references.size()) {
        throw ConfigError("ROUGE: " + std::to_string(predictions.size()) + " predictions but " +
                          std::to_string(references.size()) + " references; expected one reference per prediction");
    }
    RougeScores mean;
    if (predictions.empty()) return mean;
    auto accumulate = [](RougeScore& total, const RougeScore& score) {
        total.precision += score.precision;
        total.recall += score.recall;
        total.f1 += score.f1;
    };
    for (std::size_t i = 0; i < predictions.size(); ++i) {
        const RougeScores scores = scoreRouge(predictions[i], references[i], useStemmer);
        accumulate(mean.rouge1, scores.rouge1);
        accumulate(mean.rouge2, scores.rouge2);
        accumulate(mean.rougeL, scores.rougeL);
    }
    const auto count = static_cast<double>(predictions.size());
    for (RougeScore* score : {&mean.rouge1, &mean.rouge2, &mean.rougeL}) {
        score->precision /= count;
        score->recall /= count;
        score->f1 /= count;
    }
    return mean;
}

}  // namespace ctd::eval
