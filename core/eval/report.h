// Per-run evaluation tables and the cross-task matrix, from stored responses and scores: refusal
// rate on harmful items, over-refusal and utility on benign items per task, each rate with its
// counts and a Wilson interval. Plain value structs, so the GUI, the figure exporter and the CLI
// share them; text, CSV (long format, one row per run and task) and JSON renderings.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::store {
class Database;
}

namespace ctd::eval {

// The standard normal quantile (inverse CDF) for 0 < p < 1 (Acklam's rational approximation with
// one Halley step: about 1e-15 relative error). ConfigError outside (0, 1).
double normalQuantile(double p);

struct Interval {
    double low = 0.0;
    double high = 1.0;
};
// Wilson score interval for `successes` of `trials` at a two-sided confidence level (0.95 by
// default, z = 1.95996...). Exactly [0, 1] for no trials; low = 0 at 0 successes and high = 1 at
// `trials` successes. ConfigError for negative counts, successes > trials, or confidence not in (0, 1).
Interval wilsonInterval(int64_t successes, int64_t trials, double confidence = 0.95);

struct RateEstimate {
    int64_t n = 0;      // items judged
    int64_t count = 0;  // of them, those counted (e.g. refused)
    double rate = 0.0;  // count / n (0 when n = 0)
    double low = 0.0;   // Wilson interval
    double high = 1.0;
};
RateEstimate rateEstimate(int64_t count, int64_t n, double confidence = 0.95);

struct UtilityValue {
    std::string metric;  // e.g. "rougeL", "bleu" (corpus BLEU, 0-100), "label_accuracy"
    double value = 0.0;
    int64_t n = 0;       // benign responses with a reference that were scored
};

struct TaskSummary {
    std::string task;
    std::string refusalScorer;       // name@version that judged this task's responses
    RateEstimate harmfulRefusal;     // refused harmful items (the defense's success)
    RateEstimate benignRefusal;      // refused benign items: over-refusal
    RateEstimate benignCompliance;   // answered benign items: the non-refusal rate
    int64_t harmfulUnscored = 0;     // responses the scorer has not judged (run `ctd score`)
    int64_t benignUnscored = 0;
    std::vector<UtilityValue> utility;  // benign items; the first is the task's headline metric
    const UtilityValue* headlineUtility() const { return utility.empty() ? nullptr : &utility.front(); }
};

struct RunSummary {
    int64_t runId = 0;
    std::string name;
    std::string kind;          // train | base | imported
    std::string state;
    std::string modelFamily;
    std::string defendedTask;  // task, "mixed", or "" (no defense)
    int64_t defenseCount = 0;
    std::vector<int64_t> evaluationIds;
    std::vector<std::string> suites;
    nlohmann::json generation = nlohmann::json::object();  // settings of the first evaluation
    std::vector<TaskSummary> tasks;  // the paper's task order first, then others by name

    const TaskSummary* task(const std::string& name) const;
};

struct ReportFilter {
    std::vector<int64_t> runIds;        // empty: every run with an evaluation
    std::optional<std::string> suite;   // only evaluations on this suite
    // Explicit evaluations. Otherwise each run's newest evaluation per suite that holds responses.
    std::vector<int64_t> evaluationIds;
    // Refusal scorer: "name" (a preset's current version, a scorer file, or the newest stored
    // version), "name@version", or "per-task" (each task's preset, Chinese-aware for translate).
    std::string scorer = "authors";
    double confidence = 0.95;
};

std::vector<RunSummary> summarizeRuns(store::Database& database, const ReportFilter& filter = {});

// Training settings as rows (model family, defended task or mix, defense count; runs of the same
// setting are pooled, imported runs kept apart), evaluated tasks as columns, cells the refusal
// rate on harmful items.
struct MatrixRow {
    std::string label;  // e.g. "llama1 summarize N=100", "llama2 no defense", "llama1 mixed M=20 (imported)"
    std::string modelFamily;
    std::string defendedTask;
    int64_t defenseCount = 0;
    bool imported = false;
    std::vector<int64_t> runIds;
};

struct CrossTaskMatrix {
    std::vector<MatrixRow> rows;
    std::vector<std::string> tasks;
    std::vector<std::vector<std::optional<RateEstimate>>> cells;  // [row][task]; empty when not evaluated
    double confidence = 0.95;
    std::string scorer;
};

CrossTaskMatrix crossTaskMatrix(const std::vector<RunSummary>& runs, double confidence = 0.95);
CrossTaskMatrix crossTaskMatrix(store::Database& database, const ReportFilter& filter = {});

// "no defense", "summarize N=100", "mixed M=20".
std::string settingDescription(const std::string& defendedTask, int64_t defenseCount);
// The matrix row label: "llama1 summarize N=100", "llama2 no defense (imported)".
std::string settingLabel(const std::string& modelFamily, const std::string& defendedTask, int64_t defenseCount,
                         bool imported);

// --- renderings (report_format.cpp)

enum class ReportFormat { Text, Csv, Json };
ReportFormat parseReportFormat(const std::string& name);  // text | csv | json

nlohmann::json toJson(const RunSummary& run);
nlohmann::json toJson(const CrossTaskMatrix& matrix);
// Text: one table per run. CSV: one row per run and task with counts, rates and intervals
// (a header line first). JSON: a list of runs.
std::string formatRunSummaries(const std::vector<RunSummary>& runs, ReportFormat format);
// Text: the matrix with rate and counts per cell. CSV: long format, one row per cell.
std::string formatCrossTaskMatrix(const CrossTaskMatrix& matrix, ReportFormat format);

}  // namespace ctd::eval
