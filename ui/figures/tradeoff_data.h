// What the trade-off figures plot, read through core's report (summarizeRuns / crossTaskMatrix):
// runs pooled per training setting (family, defended task, N, imported), with per-task refusal on
// harmful documents, non-refusal on benign ones and the task's headline utility metric.
#pragma once
#include "core/eval/report.h"

#include <QMap>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ctd::store {
class Database;
}

namespace ctd::ui {

struct TaskRates {
    eval::RateEstimate harmfulRefusal;    // n == 0: no harmful items judged
    eval::RateEstimate benignCompliance;  // n == 0: no benign items judged
    QString utilityMetric;                // headline metric of the task, e.g. "rougeL"
    double utility = 0.0;                 // n-weighted mean over the pooled runs
    qint64 utilityN = 0;
};

struct SettingResult {
    QString family;
    QString defendedTask;  // a task, "mixed", or "" (no defense)
    qint64 defenseCount = 0;
    bool imported = false;
    QString label;  // core's row label, e.g. "llama1 summarize N=100"
    QVector<qint64> runIds;
    QMap<QString, TaskRates> tasks;
    eval::RateEstimate harmfulRefusalAll;    // pooled over every evaluated task
    eval::RateEstimate benignComplianceAll;  // pooled over every evaluated task

    bool isBaseline() const { return defendedTask.isEmpty(); }
    bool isSingleTask() const { return !defendedTask.isEmpty() && defendedTask != "mixed"; }
};

struct TradeoffData {
    QVector<SettingResult> settings;  // in core's matrix row order
    QStringList tasks;                // evaluated tasks, paper order first
    QStringList families;
    eval::CrossTaskMatrix matrix;
    QString scorer;  // refusal scorer that judged the responses
    double confidence = 0.95;
};

// Refusal scorers a user can pick: "per-task" first, then the refusal scorers stored in the db.
QStringList availableRefusalScorers(store::Database& database);

// Loads every evaluated run. False with `error` when core refuses (e.g. an unknown scorer).
bool loadTradeoffData(store::Database& database, const QString& scorer, TradeoffData* data, QString* error);

// "83.0% (83/100), 95% CI 74.5-89.1%".
QString describeRate(const eval::RateEstimate& rate, double confidence);

}  // namespace ctd::ui
