// Pools core's per-run summaries into the training settings of core's cross-task matrix.
#include "ui/figures/tradeoff_data.h"

#include "core/store/database.h"
#include "core/store/result_store.h"

#include <exception>
#include <map>

namespace ctd::ui {

namespace {

struct Counts {
    qint64 n = 0, count = 0;
    void add(const eval::RateEstimate& rate) {
        n += rate.n;
        count += rate.count;
    }
    eval::RateEstimate estimate(double confidence) const { return eval::rateEstimate(count, n, confidence); }
};

}  // namespace

QStringList availableRefusalScorers(store::Database& database) {
    QStringList names = {"per-task"};
    try {
        for (const store::ScorerDefinition& scorer : store::ResultStore(database).scorers()) {
            if (scorer.kind != "refusal") continue;
            const QString name = QString::fromStdString(scorer.name + "@" + scorer.version);
            if (!names.contains(name)) names << name;
        }
    } catch (const std::exception&) {
        // An old database without scorer records: per-task still works once scores exist.
    }
    return names;
}

bool loadTradeoffData(store::Database& database, const QString& scorer, TradeoffData* data, QString* error) {
    std::vector<eval::RunSummary> runs;
    eval::ReportFilter filter;
    filter.scorer = scorer.isEmpty() ? std::string("per-task") : scorer.toStdString();
    try {
        runs = eval::summarizeRuns(database, filter);
    } catch (const std::exception& failure) {
        if (error) *error = QString::fromStdString(failure.what());
        return false;
    }
    TradeoffData result;
    result.scorer = QString::fromStdString(filter.scorer);
    result.confidence = filter.confidence;
    result.matrix = eval::crossTaskMatrix(runs, filter.confidence);
    for (const std::string& task : result.matrix.tasks) result.tasks << QString::fromStdString(task);

    std::map<int64_t, const eval::RunSummary*> byId;
    for (const eval::RunSummary& run : runs) byId[run.runId] = &run;

    for (const eval::MatrixRow& row : result.matrix.rows) {
        SettingResult setting;
        setting.family = QString::fromStdString(row.modelFamily);
        setting.defendedTask = QString::fromStdString(row.defendedTask);
        setting.defenseCount = row.defenseCount;
        setting.imported = row.imported;
        setting.label = QString::fromStdString(row.label);
        std::map<std::string, Counts> harmful, benign;
        std::map<std::string, std::pair<double, qint64>> utility;  // weighted sum, n
        std::map<std::string, std::string> utilityMetric;
        Counts harmfulAll, benignAll;
        for (int64_t runId : row.runIds) {
            setting.runIds << runId;
            const auto found = byId.find(runId);
            if (found == byId.end()) continue;
            for (const eval::TaskSummary& task : found->second->tasks) {
                harmful[task.task].add(task.harmfulRefusal);
                benign[task.task].add(task.benignCompliance);
                harmfulAll.add(task.harmfulRefusal);
                benignAll.add(task.benignCompliance);
                if (const eval::UtilityValue* headline = task.headlineUtility(); headline && headline->n > 0) {
                    utility[task.task].first += headline->value * double(headline->n);
                    utility[task.task].second += headline->n;
                    utilityMetric[task.task] = headline->metric;
                }
            }
        }
        for (const auto& [task, counts] : harmful) {
            TaskRates rates;
            rates.harmfulRefusal = counts.estimate(filter.confidence);
            rates.benignCompliance = benign[task].estimate(filter.confidence);
            const auto& [sum, n] = utility[task];
            rates.utilityN = n;
            rates.utility = n > 0 ? sum / double(n) : 0.0;
            rates.utilityMetric = QString::fromStdString(utilityMetric[task]);
            setting.tasks.insert(QString::fromStdString(task), rates);
        }
        setting.harmfulRefusalAll = harmfulAll.estimate(filter.confidence);
        setting.benignComplianceAll = benignAll.estimate(filter.confidence);
        if (!result.families.contains(setting.family)) result.families << setting.family;
        result.settings << setting;
    }
    *data = std::move(result);
    return true;
}

QString describeRate(const eval::RateEstimate& rate, double confidence) {
    if (rate.n == 0) return "no items";
    return QString("%1% (%2/%3), %4% CI %5-%6%")
        .arg(100.0 * rate.rate, 0, 'f', 1)
        .arg(rate.count)
        .arg(rate.n)
        .arg(100.0 * confidence, 0, 'f', 0)
        .arg(100.0 * rate.low, 0, 'f', 1)
        .arg(100.0 * rate.high, 0, 'f', 1);
}

}  // namespace ctd::ui
