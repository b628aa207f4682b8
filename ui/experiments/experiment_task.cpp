// Adapts core's experiment hooks (progress, messages, stop flag) to the worker's JobContext.
#include "ui/experiments/experiment_task.h"

#include "core/experiment/runner.h"
#include "core/experiment/spec.h"
#include "core/store/database.h"

namespace ctd::ui {

ExperimentTask::ExperimentTask(QString databasePath, QString specPath, QString outputDirectory, QString name)
    : m_databasePath(std::move(databasePath)), m_specPath(std::move(specPath)),
      m_outputDirectory(std::move(outputDirectory)), m_name(std::move(name)) {}

QString ExperimentTask::description() const { return QString("Experiment %1").arg(m_name); }

JobResult ExperimentTask::run(JobContext& context) {
    store::Database database(m_databasePath.toStdString());
    const experiment::ExperimentSpec spec = experiment::ExperimentSpec::load(m_specPath.toStdString());
    experiment::RunOptions options;
    options.outDir = m_outputDirectory.toStdString();
    experiment::ExperimentHooks hooks;
    hooks.stopFlag = context.stopFlag();
    hooks.onMessage = [&context](const std::string& text) { context.message(QString::fromStdString(text)); };
    hooks.onProgress = [&context](const experiment::ExperimentProgress& progress) {
        ProgressSample sample;
        sample.step = progress.stageDone;
        sample.totalSteps = progress.stageTotal;
        sample.hasLoss = false;
        sample.etaSeconds = progress.etaSeconds;
        sample.cellsDone = int(progress.cellsDone);
        sample.cellsTotal = int(progress.cellsTotal);
        if (!progress.stage.empty())
            sample.stage = QString("%1: %2").arg(QString::fromStdString(progress.cellLabel), QString::fromStdString(progress.stage));
        context.progress(sample);
    };
    const experiment::ExperimentResult result = experiment::runExperiment(database, spec, options, hooks);
    JobResult out;
    out.state = QString::fromStdString(result.state);
    out.message = QString("%1 of %2 cells done (%3 before this run), %4 failed")
                      .arg(result.cellsDone)
                      .arg(result.cellsTotal)
                      .arg(result.cellsCached)
                      .arg(result.cellsFailed);
    for (const experiment::CellOutcome& cell : result.cells)
        if (cell.state == "failed") out.message += QString("\n%1: %2").arg(QString::fromStdString(cell.label), QString::fromStdString(cell.message));
    return out;
}

}  // namespace ctd::ui
