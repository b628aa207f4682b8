// Scoring stored responses: refusal (a versioned RefusalScorer, or the preset for each task's
// language) and utility (ROUGE, BLEU statistics, label accuracy, exact match, character
// similarity). Scores land in the scores table under the scorer's name and version, so any
// scorer can re-judge responses already stored without generating them again.
#pragma once
#include "core/eval/refusal.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ctd::store {
class Database;
}

namespace ctd::eval {

// Refusal scores use this metric name (1 = refused, 0 = not), detail = the marker that matched.
inline constexpr const char* kRefusedMetric = "refused";
// The utility scorer; bump the version whenever a metric or its settings change.
inline constexpr const char* kUtilityScorerName = "utility";
inline constexpr const char* kUtilityScorerVersion = "1";
// "bleu" scores carry sentence BLEU as value and the segment's sufficient statistics as detail,
// so corpus BLEU over any subset is summed from stored rows.
inline constexpr const char* kBleuMetric = "bleu";

// The utility metrics of a task; the first is its headline number in reports:
//   summarize rougeL, rouge1, rouge2 | translate bleu | sentiment label_accuracy |
//   case exact_match, char_similarity | cloze exact_match, rougeL | any other task rougeL.
std::vector<std::string> utilityMetricsForTask(const std::string& task);
// Per-response values of those metrics: (metric, value, detail).
struct MetricValue {
    std::string metric;
    double value = 0.0;
    std::string detail;
};
std::vector<MetricValue> utilityValues(const std::string& task, const std::string& response,
                                       const std::string& reference);
// The utility scorer's definition as recorded in the scorers table.
nlohmann::json utilityScorerDefinition();

// Corpus BLEU from stored "bleu" score details (the statistics of each segment).
double corpusBleuFromDetails(const std::vector<std::string>& details);

struct ScoringOptions {
    std::optional<std::string> task;  // only responses of this task
    std::optional<bool> harmful;      // only harmful (true) or benign (false) items
};

struct ScoringResult {
    int64_t responses = 0;  // responses judged
    int64_t refused = 0;    // of them, judged refusals (refusal scoring)
    int64_t scores = 0;     // score rows written
    std::vector<std::string> scorers;  // "name@version" of each scorer used
};

// Judges every stored response of the evaluations with `scorer`, replacing earlier scores of the
// same name and version. Records the scorer's definition first: the same name@version with other
// markers is a ConfigError (give changed scorers a new version).
ScoringResult scoreRefusals(store::Database& database, const std::vector<int64_t>& evaluationIds,
                            const RefusalScorer& scorer, const ScoringOptions& options = {});
// Judges each response with presetForTask(its task): the Chinese-aware preset for translate.
ScoringResult scoreRefusalsPerTask(store::Database& database, const std::vector<int64_t>& evaluationIds,
                                   const ScoringOptions& options = {});
// Utility metrics of every response with a reference answer.
ScoringResult scoreUtility(store::Database& database, const std::vector<int64_t>& evaluationIds,
                           const ScoringOptions& options = {});
// What an evaluation gets by default: the authors' preset on every response, the task's preset
// where it differs (translate), and utility.
ScoringResult scoreDefaults(store::Database& database, const std::vector<int64_t>& evaluationIds);

// "per-task" (presetForTask), "utility", a preset name, or a scorer JSON file.
ScoringResult scoreByName(store::Database& database, const std::vector<int64_t>& evaluationIds,
                          const std::string& scorerName, const ScoringOptions& options = {});

// Every evaluation of a run, oldest first (ConfigError when the run has none).
std::vector<int64_t> evaluationIdsOfRun(store::Database& database, int64_t runId);

}  // namespace ctd::eval
