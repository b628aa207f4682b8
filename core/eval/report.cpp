// Run summaries, Wilson intervals and the cross-task matrix from the store (see report.h).
#include "core/eval/report.h"

#include "core/eval/refusal.h"
#include "core/eval/scoring.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"
#include "core/util/error.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>

namespace ctd::eval {
namespace {

const std::vector<std::string>& paperTaskOrder() {
    static const std::vector<std::string> order{"summarize", "translate", "sentiment", "case", "cloze"};
    return order;
}

// Paper tasks in the paper's order, then the others by name.
bool taskBefore(const std::string& a, const std::string& b) {
    const auto& order = paperTaskOrder();
    const auto ia = std::find(order.begin(), order.end(), a), ib = std::find(order.begin(), order.end(), b);
    if (ia != ib) return ia < ib;
    return a < b;
}

std::string idList(const std::vector<int64_t>& ids) {
    std::string list;
    for (int64_t id : ids) {
        if (!list.empty()) list += ", ";
        list += std::to_string(id);
    }
    return list;
}

struct ScorerChoice {
    bool perTask = false;
    std::string name, version;
    std::string label() const { return perTask ? "per-task" : name + "@" + version; }
};

ScorerChoice resolveScorer(store::ResultStore& results, const std::string& text, const std::string& databasePath) {
    ScorerChoice choice;
    if (text == "per-task") {
        choice.perTask = true;
        return choice;
    }
    const auto at = text.rfind('@');
    if (at != std::string::npos && at > 0 && at + 1 < text.size()) {
        choice.name = text.substr(0, at);
        choice.version = text.substr(at + 1);
        return choice;
    }
    const auto presets = RefusalScorer::presetNames();
    if (std::find(presets.begin(), presets.end(), text) != presets.end() || std::filesystem::is_regular_file(text)) {
        const RefusalScorer scorer = RefusalScorer::resolve(text);
        choice.name = scorer.name();
        choice.version = scorer.version();
        return choice;
    }
    if (auto version = results.latestScorerVersion(text)) {
        choice.name = text;
        choice.version = *version;
        return choice;
    }
    std::string known;
    for (const auto& scorer : results.scorers())
        if (scorer.kind == "refusal") known += (known.empty() ? "" : ", ") + scorer.name + "@" + scorer.version;
    throw ConfigError(databasePath + ": no refusal scorer \"" + text + "\" has judged responses here" +
                      (known.empty() ? std::string() : " (recorded: " + known + ")") +
                      "; score with it first (`ctd score RUN --scorer " + text + "`)");
}

std::pair<std::string, std::string> scorerForTask(const ScorerChoice& choice, const std::string& task) {
    if (!choice.perTask) return {choice.name, choice.version};
    const RefusalScorer scorer = presetForTask(task);
    return {scorer.name(), scorer.version()};
}

std::vector<TaskSummary> aggregate(store::Database& database, const std::vector<int64_t>& evaluationIds,
                                   const ScorerChoice& choice, double confidence) {
    if (evaluationIds.empty()) return {};
    const std::string in = "(" + idList(evaluationIds) + ")";
    // (task, harmful) -> responses
    std::map<std::pair<std::string, bool>, int64_t> totals;
    {
        store::Statement s = database.prepare("SELECT task, harmful, COUNT(*) FROM responses WHERE evaluation_id IN " +
                                              in + " GROUP BY 1, 2");
        while (s.step()) totals[{s.columnText(0), s.columnInt(1) != 0}] = s.columnInt(2);
    }
    // (task, harmful, scorer, version) -> (judged, refused)
    std::map<std::tuple<std::string, bool, std::string, std::string>, std::pair<int64_t, int64_t>> refusals;
    {
        store::Statement s = database.prepare(
            "SELECT r.task, r.harmful, s.scorer, s.scorer_version, COUNT(*), SUM(s.value > 0.5) FROM responses r "
            "JOIN scores s ON s.response_id = r.id AND s.metric = ? WHERE r.evaluation_id IN " +
            in + " GROUP BY 1, 2, 3, 4");
        s.bind(1, kRefusedMetric);
        while (s.step())
            refusals[{s.columnText(0), s.columnInt(1) != 0, s.columnText(2), s.columnText(3)}] = {s.columnInt(4),
                                                                                                  s.columnInt(5)};
    }
    // task -> metric -> (n, mean); BLEU details separately for the corpus score.
    std::map<std::string, std::map<std::string, std::pair<int64_t, double>>> utility;
    std::map<std::string, std::vector<std::string>> bleuDetails;
    {
        store::Statement s = database.prepare(
            "SELECT r.task, s.metric, COUNT(*), AVG(s.value) FROM responses r JOIN scores s ON s.response_id = r.id "
            "AND s.scorer = ? AND s.scorer_version = ? WHERE r.harmful = 0 AND r.evaluation_id IN " +
            in + " GROUP BY 1, 2");
        s.bind(1, kUtilityScorerName).bind(2, kUtilityScorerVersion);
        while (s.step()) utility[s.columnText(0)][s.columnText(1)] = {s.columnInt(2), s.columnDouble(3)};
        store::Statement b = database.prepare(
            "SELECT r.task, s.detail FROM responses r JOIN scores s ON s.response_id = r.id AND s.scorer = ? "
            "AND s.scorer_version = ? AND s.metric = ? WHERE r.harmful = 0 AND r.evaluation_id IN " +
            in);
        b.bind(1, kUtilityScorerName).bind(2, kUtilityScorerVersion).bind(3, kBleuMetric);
        while (b.step()) bleuDetails[b.columnText(0)].push_back(b.columnText(1));
    }

    std::vector<std::string> tasks;
    for (const auto& [key, count] : totals)
        if (std::find(tasks.begin(), tasks.end(), key.first) == tasks.end()) tasks.push_back(key.first);
    std::sort(tasks.begin(), tasks.end(), taskBefore);

    std::vector<TaskSummary> summaries;
    for (const auto& task : tasks) {
        TaskSummary summary;
        summary.task = task;
        const auto [name, version] = scorerForTask(choice, task);
        summary.refusalScorer = name + "@" + version;
        for (bool harmful : {true, false}) {
            const auto total = totals.find({task, harmful});
            const int64_t responses = total == totals.end() ? 0 : total->second;
            const auto judged = refusals.find({task, harmful, name, version});
            const int64_t n = judged == refusals.end() ? 0 : judged->second.first;
            const int64_t refused = judged == refusals.end() ? 0 : judged->second.second;
            if (harmful) {
                summary.harmfulRefusal = rateEstimate(refused, n, confidence);
                summary.harmfulUnscored = responses - n;
            } else {
                summary.benignRefusal = rateEstimate(refused, n, confidence);
                summary.benignCompliance = rateEstimate(n - refused, n, confidence);
                summary.benignUnscored = responses - n;
            }
        }
        const auto found = utility.find(task);
        for (const auto& metric : utilityMetricsForTask(task)) {
            if (found == utility.end() || !found->second.count(metric)) continue;
            const auto [n, mean] = found->second.at(metric);
            const double value = metric == kBleuMetric ? corpusBleuFromDetails(bleuDetails[task]) : mean;
            summary.utility.push_back({metric, value, n});
        }
        summaries.push_back(std::move(summary));
    }
    return summaries;
}

}  // namespace

double normalQuantile(double p) {
    if (!(p > 0.0 && p < 1.0)) throw ConfigError("normal quantile: p must lie strictly between 0 and 1");
    // Acklam's coefficients.
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01,  -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double low = 0.02425;
    double x;
    if (p < low) {
        const double q = std::sqrt(-2 * std::log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - low) {
        const double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        const double q = std::sqrt(-2 * std::log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    // One Halley step on the CDF brings the 1e-9 approximation to full double precision.
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

Interval wilsonInterval(int64_t successes, int64_t trials, double confidence) {
    if (trials < 0 || successes < 0 || successes > trials)
        throw ConfigError("Wilson interval: expected 0 <= successes <= trials, got " + std::to_string(successes) +
                          " of " + std::to_string(trials));
    if (!(confidence > 0.0 && confidence < 1.0))
        throw ConfigError("Wilson interval: the confidence level must lie strictly between 0 and 1");
    if (trials == 0) return {0.0, 1.0};
    const double z = normalQuantile(0.5 + confidence / 2.0);
    const double n = static_cast<double>(trials), p = static_cast<double>(successes) / n, z2 = z * z;
    const double denominator = 1.0 + z2 / n;
    const double center = (p + z2 / (2 * n)) / denominator;
    const double half = z / denominator * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    Interval interval{std::max(0.0, center - half), std::min(1.0, center + half)};
    if (successes == 0) interval.low = 0.0;
    if (successes == trials) interval.high = 1.0;
    return interval;
}

RateEstimate rateEstimate(int64_t count, int64_t n, double confidence) {
    const Interval interval = wilsonInterval(count, n, confidence);
    return {n, count, n > 0 ? static_cast<double>(count) / static_cast<double>(n) : 0.0, interval.low, interval.high};
}

const TaskSummary* RunSummary::task(const std::string& name) const {
    for (const auto& summary : tasks)
        if (summary.task == name) return &summary;
    return nullptr;
}

std::vector<RunSummary> summarizeRuns(store::Database& database, const ReportFilter& filter) {
    store::RunStore runStore(database);
    store::ResultStore results(database);
    const ScorerChoice choice = resolveScorer(results, filter.scorer, database.path().string());
    std::vector<store::RunRecord> runs;
    if (filter.runIds.empty()) runs = runStore.list();
    else
        for (int64_t id : filter.runIds) runs.push_back(runStore.get(id));

    std::vector<RunSummary> summaries;
    for (const auto& run : runs) {
        const auto evaluations = results.evaluations(run.id);
        std::vector<const store::EvaluationRecord*> chosen;
        if (!filter.evaluationIds.empty()) {
            for (const auto& evaluation : evaluations)
                if (std::find(filter.evaluationIds.begin(), filter.evaluationIds.end(), evaluation.id) !=
                    filter.evaluationIds.end())
                    chosen.push_back(&evaluation);
        } else {
            std::map<std::string, const store::EvaluationRecord*> newestPerSuite;
            for (const auto& evaluation : evaluations) {
                if (evaluation.responseCount == 0) continue;
                if (filter.suite && evaluation.suite != *filter.suite) continue;
                newestPerSuite[evaluation.suite] = &evaluation;  // ordered by id: the last is the newest
            }
            for (const auto& [suite, evaluation] : newestPerSuite) chosen.push_back(evaluation);
            std::sort(chosen.begin(), chosen.end(), [](auto* a, auto* b) { return a->id < b->id; });
        }
        if (chosen.empty() && filter.runIds.empty()) continue;

        RunSummary summary;
        summary.runId = run.id;
        summary.name = run.name;
        summary.kind = run.kind;
        summary.state = run.state;
        summary.modelFamily = run.modelFamily;
        summary.defendedTask = run.defendedTask;
        summary.defenseCount = run.defenseCount;
        for (const auto* evaluation : chosen) {
            summary.evaluationIds.push_back(evaluation->id);
            if (std::find(summary.suites.begin(), summary.suites.end(), evaluation->suite) == summary.suites.end())
                summary.suites.push_back(evaluation->suite);
        }
        if (!chosen.empty()) summary.generation = chosen.front()->settings;
        summary.tasks = aggregate(database, summary.evaluationIds, choice, filter.confidence);
        summaries.push_back(std::move(summary));
    }
    return summaries;
}

CrossTaskMatrix crossTaskMatrix(const std::vector<RunSummary>& runs, double confidence) {
    CrossTaskMatrix matrix;
    matrix.confidence = confidence;
    struct Pooled {
        MatrixRow row;
        std::map<std::string, std::pair<int64_t, int64_t>> cells;  // task -> (n, refused)
    };
    using Key = std::tuple<std::string, int, std::string, int64_t, bool>;  // family, order, task, count, imported
    std::map<Key, Pooled> rows;
    std::set<std::string> scorers;
    for (const auto& run : runs) {
        const bool imported = run.kind == "imported";
        const auto& order = paperTaskOrder();
        const auto at = std::find(order.begin(), order.end(), run.defendedTask);
        const int rank = run.defendedTask.empty() ? 0
                         : at != order.end()      ? 1 + static_cast<int>(at - order.begin())
                         : run.defendedTask == "mixed" ? 100
                                                       : 200;
        Pooled& pooled = rows[{run.modelFamily, rank, run.defendedTask, run.defenseCount, imported}];
        pooled.row.modelFamily = run.modelFamily;
        pooled.row.defendedTask = run.defendedTask;
        pooled.row.defenseCount = run.defenseCount;
        pooled.row.imported = imported;
        pooled.row.label = settingLabel(run.modelFamily, run.defendedTask, run.defenseCount, imported);
        pooled.row.runIds.push_back(run.runId);
        for (const auto& task : run.tasks) {
            if (task.harmfulRefusal.n == 0) continue;
            auto& cell = pooled.cells[task.task];
            cell.first += task.harmfulRefusal.n;
            cell.second += task.harmfulRefusal.count;
            scorers.insert(task.refusalScorer);
            if (std::find(matrix.tasks.begin(), matrix.tasks.end(), task.task) == matrix.tasks.end())
                matrix.tasks.push_back(task.task);
        }
    }
    std::sort(matrix.tasks.begin(), matrix.tasks.end(), taskBefore);
    for (const auto& name : scorers) matrix.scorer += (matrix.scorer.empty() ? "" : ", ") + name;
    for (auto& [key, pooled] : rows) {
        std::vector<std::optional<RateEstimate>> cells;
        for (const auto& task : matrix.tasks) {
            const auto found = pooled.cells.find(task);
            if (found == pooled.cells.end()) cells.emplace_back();
            else cells.push_back(rateEstimate(found->second.second, found->second.first, confidence));
        }
        matrix.rows.push_back(std::move(pooled.row));
        matrix.cells.push_back(std::move(cells));
    }
    return matrix;
}

CrossTaskMatrix crossTaskMatrix(store::Database& database, const ReportFilter& filter) {
    return crossTaskMatrix(summarizeRuns(database, filter), filter.confidence);
}

// "no defense", "summarize N=100", "mixed M=20".
std::string settingDescription(const std::string& defendedTask, int64_t count) {
    if (defendedTask.empty()) return "no defense";
    if (defendedTask == "mixed") return "mixed M=" + std::to_string(count);
    return defendedTask + " N=" + std::to_string(count);
}

std::string settingLabel(const std::string& family, const std::string& defendedTask, int64_t count, bool imported) {
    return (family.empty() ? "model" : family) + " " + settingDescription(defendedTask, count) +
           (imported ? " (imported)" : "");
}

}  // namespace ctd::eval
