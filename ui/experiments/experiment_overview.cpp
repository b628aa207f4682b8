// Reads an experiment's plan, queue and results through core's experiment and report APIs.
#include "ui/experiments/experiment_overview.h"

#include "core/eval/report.h"
#include "core/experiment/plan.h"
#include "core/experiment/queue.h"
#include "core/experiment/spec.h"
#include "core/store/database.h"

#include <QDir>
#include <QFileInfo>

#include <exception>
#include <map>

namespace ctd::ui {

namespace {

QString fromStd(const std::string& text) { return QString::fromStdString(text); }

void readQueue(store::Database& database, const std::string& name, QVector<ExperimentCellRow>& rows) {
    experiment::ExperimentQueue queue(database);
    const auto record = queue.findExperiment(name);
    if (!record) return;
    std::map<std::string, experiment::QueueCell> byHash;
    for (experiment::QueueCell& cell : queue.cells(record->id)) byHash[cell.hash] = std::move(cell);
    for (ExperimentCellRow& row : rows) {
        const auto found = byHash.find(row.hash.toStdString());
        if (found == byHash.end()) continue;
        const experiment::QueueCell& cell = found->second;
        row.state = fromStd(cell.state);
        if (cell.state == "running" && !experiment::ExperimentQueue::workerAlive(cell.worker, cell.heartbeat))
            row.state = "stalled";
        row.stage = fromStd(cell.stage);
        row.runId = cell.runId.value_or(0);
        row.seconds = cell.seconds;
        row.message = fromStd(cell.message);
    }
}

void readMetrics(store::Database& database, const std::string& scorer, QVector<ExperimentCellRow>& rows) {
    eval::ReportFilter filter;
    filter.scorer = scorer;
    for (const ExperimentCellRow& row : rows)
        if (row.state == "done" && row.runId > 0) filter.runIds.push_back(row.runId);
    if (filter.runIds.empty()) return;
    std::map<int64_t, eval::RunSummary> summaries;
    for (eval::RunSummary& summary : eval::summarizeRuns(database, filter)) summaries[summary.runId] = std::move(summary);
    for (ExperimentCellRow& row : rows) {
        const auto found = summaries.find(row.runId);
        if (row.state != "done" || found == summaries.end()) continue;
        int64_t harmfulN = 0, harmfulCount = 0, benignN = 0, benignCount = 0;
        for (const eval::TaskSummary& task : found->second.tasks) {
            harmfulN += task.harmfulRefusal.n;
            harmfulCount += task.harmfulRefusal.count;
            benignN += task.benignCompliance.n;
            benignCount += task.benignCompliance.count;
            if (fromStd(task.task) == row.defendedTask && task.harmfulRefusal.n > 0) row.defendedRefusal = task.harmfulRefusal.rate;
        }
        if (harmfulN > 0) row.harmfulRefusal = double(harmfulCount) / double(harmfulN);
        if (benignN > 0) row.benignCompliance = double(benignCount) / double(benignN);
    }
}

}  // namespace

QString defaultExperimentOutput(const QString& databasePath, const QString& name) {
    return QDir(QFileInfo(databasePath).absolutePath()).filePath(name);
}

QString experimentName(const QString& specPath) {
    try {
        return fromStd(experiment::ExperimentSpec::load(specPath.toStdString()).name);
    } catch (const std::exception&) {
        return {};
    }
}

ExperimentOverview loadExperimentOverview(const QString& specPath, const QString& databasePath,
                                          const QString& outputDirectory, const std::atomic<bool>* cancel) {
    ExperimentOverview overview;
    overview.specPath = specPath;
    try {
        const experiment::ExperimentSpec spec = experiment::ExperimentSpec::load(specPath.toStdString());
        overview.name = fromStd(spec.name);
        overview.description = fromStd(spec.description);
        overview.outputDirectory = outputDirectory.isEmpty() ? defaultExperimentOutput(databasePath, overview.name) : outputDirectory;
        experiment::PlanOptions options;
        options.outDir = overview.outputDirectory.toStdString();
        options.checkDevice = false;
        const experiment::ValidationReport report = experiment::validateExperiment(spec, options);
        for (const std::string& problem : report.problems) overview.problems << fromStd(problem);
        for (const std::string& note : report.notes) overview.notes << fromStd(note);
        if (!report.ok() || (cancel && cancel->load())) return overview;

        const experiment::ExperimentPlan plan = experiment::planExperiment(spec, options);
        for (const experiment::Cell& cell : plan.cells) {
            ExperimentCellRow row;
            row.index = int(cell.index);
            row.hash = fromStd(cell.hash);
            row.label = fromStd(cell.label);
            row.family = fromStd(cell.family);
            row.defendedTask = fromStd(cell.defendedTask);
            row.defenseCount = cell.defenseCount;
            row.estimatedSteps = cell.estimatedSteps;
            row.estimatedItems = cell.estimatedItems;
            overview.cells << row;
        }
        if (!databasePath.isEmpty()) {
            store::Database database(databasePath.toStdString());
            readQueue(database, spec.name, overview.cells);
            try {
                readMetrics(database, spec.reportScorer, overview.cells);
            } catch (const std::exception& error) {
                overview.notes << QString("metrics unavailable: %1").arg(fromStd(error.what()));
            }
        }
        for (const ExperimentCellRow& row : overview.cells) overview.cellsDone += row.state == "done" ? 1 : 0;
    } catch (const std::exception& error) {
        overview.error = fromStd(error.what());
    }
    return overview;
}

}  // namespace ctd::ui
