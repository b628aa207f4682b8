// Adapts core's evaluateRun (progress callback returning false to cancel) to the JobContext.
#include "ui/jobs/evaluation_task.h"

#include "core/eval/evaluator.h"
#include "core/eval/suite.h"
#include "core/store/database.h"

namespace ctd::ui {

EvaluationTask::EvaluationTask(QString databasePath, EvaluationRequest request)
    : m_databasePath(std::move(databasePath)), m_request(std::move(request)) {}

QString EvaluationTask::description() const {
    return QString("Evaluating %1 on %2").arg(m_request.runName, m_request.suiteName);
}

JobResult EvaluationTask::run(JobContext& context) {
    store::Database database(m_databasePath.toStdString());
    eval::EvaluationSettings settings;
    settings.generation.maxNewTokens = m_request.maxNewTokens;
    if (m_request.beams > 1) {
        settings.generation.strategy = model::GenerationSettings::Strategy::Beam;
        settings.generation.numBeams = m_request.beams;
    }
    settings.limitPerGroup = m_request.limitPerGroup > 0 ? m_request.limitPerGroup : -1;
    settings.batchSize = m_request.batchSize;
    settings.device = m_request.device.toStdString();
    context.runStarted(m_request.runId);
    context.message(QString("evaluating run %1 on %2").arg(m_request.runId).arg(m_request.suiteName));
    auto progress = [&context](int64_t done, int64_t total) {
        ProgressSample sample;
        sample.step = done;
        sample.totalSteps = total;
        sample.hasLoss = false;
        context.progress(sample);
        return !context.stopRequested();
    };
    eval::EvaluationResult result;
    if (!m_request.worldFolder.isEmpty()) {
        const eval::Suite suite = eval::worldSuite(m_request.worldFolder.toStdString(), m_request.suiteName.toStdString());
        result = eval::evaluateRun(database, m_request.runId, suite, settings, progress);
    } else {
        result = eval::evaluateRun(database, m_request.runId, m_request.suiteName.toStdString(), settings, progress);
    }
    JobResult out;
    out.runId = m_request.runId;
    out.state = QString::fromStdString(result.state);
    out.message = QString("evaluation %1: %2 of %3 items generated now, %4 stored before (%5 tokens/s)")
                      .arg(result.evaluationId)
                      .arg(result.generated)
                      .arg(result.total)
                      .arg(result.skipped)
                      .arg(result.tokensPerSecond(), 0, 'f', 1);
    return out;
}

}  // namespace ctd::ui
