// Adapts core's training job hooks (plain callbacks + a stop flag) to the worker's JobContext.
#include "ui/jobs/training_task.h"

#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/train/training_job.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>

namespace ctd::ui {

namespace {

// The run that runTraining created: the newest running run of that name. (The hooks carry no
// run id; the run row exists before the first step reports.)
qint64 findRunningRun(store::Database& database, const std::string& name) {
    qint64 found = 0;
    for (const store::RunRecord& run : store::RunStore(database).list())
        if (run.state == "running" && run.name == name && run.id > found) found = run.id;
    return found;
}

}  // namespace

std::shared_ptr<TrainingTask> TrainingTask::train(const QString& databasePath, const QByteArray& specJson,
                                                  const QString& specDirectory, const QString& name) {
    std::shared_ptr<TrainingTask> task(new TrainingTask);
    task->m_databasePath = databasePath;
    task->m_specJson = specJson;
    task->m_specDirectory = specDirectory;
    task->m_name = name;
    return task;
}

std::shared_ptr<TrainingTask> TrainingTask::resume(const QString& databasePath, qint64 runId, const QString& name) {
    std::shared_ptr<TrainingTask> task(new TrainingTask);
    task->m_databasePath = databasePath;
    task->m_resumeRunId = runId;
    task->m_name = name;
    return task;
}

QString TrainingTask::description() const {
    return (m_resumeRunId ? QString("Resuming %1") : QString("Training %1")).arg(m_name);
}

JobResult TrainingTask::run(JobContext& context) {
    // One connection per thread: this one belongs to the worker thread for the whole job.
    store::Database database(m_databasePath.toStdString());
    qint64 runId = m_resumeRunId;
    std::string runName;

    train::TrainingJobHooks hooks;
    hooks.stopFlag = context.stopFlag();
    hooks.onMessage = [&context](const std::string& text) { context.message(QString::fromStdString(text)); };
    hooks.onProgress = [&](const train::TrainingProgress& progress) {
        if (runId == 0) {
            runId = findRunningRun(database, runName);
            if (runId) context.runStarted(runId);
        }
        ProgressSample sample;
        sample.step = progress.step;
        sample.totalSteps = progress.totalSteps;
        sample.epoch = progress.epoch;
        sample.loss = progress.loss;
        sample.learningRate = progress.learningRate;
        sample.tokensPerSecond = progress.tokensPerSecond;
        sample.etaSeconds = progress.etaSeconds;
        context.progress(sample);
        return !context.stopRequested();
    };

    train::TrainingJobResult outcome;
    if (m_resumeRunId) {
        context.runStarted(m_resumeRunId);
        outcome = train::resumeTraining(database, m_resumeRunId, hooks, /*swallowErrors=*/true);
    } else {
        nlohmann::json json;
        try {
            json = nlohmann::json::parse(m_specJson.toStdString());
        } catch (const nlohmann::json::exception& error) {
            throw FormatError(m_name.toStdString() + ": the training spec is not valid JSON: " + error.what());
        }
        const train::TrainingSpec spec =
            train::TrainingSpec::fromJson(json, m_name.toStdString(), m_specDirectory.toStdString());
        runName = spec.name;
        outcome = train::runTraining(database, spec, hooks, /*swallowErrors=*/true);
    }

    JobResult result;
    result.runId = outcome.runId;
    result.state = QString::fromStdString(outcome.state);
    result.message = QString::fromStdString(outcome.message);
    return result;
}

}  // namespace ctd::ui
