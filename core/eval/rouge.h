// ROUGE-1, ROUGE-2 and ROUGE-L as Google's `rouge_score` package computes them (RougeScorer with
// its default tokenizer, with or without NLTK's Porter stemmer), so numbers match the paper's.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ctd::eval {

struct RougeScore {
    double precision = 0.0;
    double recall = 0.0;
    double f1 = 0.0;
};

struct RougeScores {
    RougeScore rouge1;
    RougeScore rouge2;
    RougeScore rougeL;
};

// NLTK's PorterStemmer in its default NLTK_EXTENSIONS mode (the one rouge_score uses): lowercases,
// maps NLTK's irregular forms ("dying" -> "die"), leaves words of up to 2 characters alone.
// Expects ASCII; other bytes are treated as consonants.
std::string porterStem(std::string_view word);

// rouge_score's tokenizer: Python-lowercase, every character outside [a-z0-9] separates tokens,
// and with stemming only tokens longer than 3 characters are stemmed.
std::vector<std::string> rougeTokenize(std::string_view text, bool useStemmer);

// Scores from token lists (rouge_score's _score_ngrams / _score_lcs). A side with no n-grams
// gives zero precision, recall and F1.
RougeScore rougeN(const std::vector<std::string>& predictionTokens, const std::vector<std::string>& referenceTokens,
                  int n);
RougeScore rougeLcs(const std::vector<std::string>& predictionTokens,
                    const std::vector<std::string>& referenceTokens);

// The same numbers as RougeScorer(['rouge1','rouge2','rougeL'], use_stemmer).score(reference,
// prediction). Note the argument order: prediction first, like every metric here.
RougeScores scoreRouge(std::string_view prediction, std::string_view reference, bool useStemmer = false);

// Mean of each field over pairs (the usual way summarization results are reported).
// Throws ConfigError when the lists differ in length; all zeros for empty lists.
RougeScores meanRouge(const std::vector<std::string>& predictions, const std::vector<std::string>& references,
                      bool useStemmer = false);

}  // namespace ctd::eval
