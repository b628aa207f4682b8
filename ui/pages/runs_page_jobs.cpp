// The Runs page's jobs: starting training, resuming, evaluating, and following their progress.
#include "ui/pages/runs_page.h"

#include "ui/figures/figure_builders.h"
#include "ui/jobs/evaluation_task.h"
#include "ui/jobs/job_controller.h"
#include "ui/jobs/training_task.h"
#include "ui/models/run_list_model.h"
#include "ui/plots/chart_view.h"
#include "ui/project.h"

#include "core/store/database.h"
#include "core/store/run_store.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProgressBar>
#include <QTableView>

#include <algorithm>
#include <memory>

namespace ctd::ui {

bool RunsPage::startTrainingFromFile(const QString& specPath, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (!m_project->isOpen()) return fail("Open a project database first.");
    if (m_jobs->isBusy()) return fail(QString("%1 is still running.").arg(m_jobs->activeDescription()));
    QFile file(specPath);
    if (!file.open(QIODevice::ReadOnly)) return fail(QString("%1: %2").arg(specPath, file.errorString()));
    const QByteArray bytes = file.readAll();
    QString name = QJsonDocument::fromJson(bytes).object().value("name").toString();
    if (name.isEmpty()) name = QFileInfo(specPath).completeBaseName();
    auto task = TrainingTask::train(m_project->path(), bytes, QFileInfo(specPath).absolutePath(), name);
    m_livePoints.clear();
    m_liveRunId = 0;
    m_lastResult = {};
    m_table->clearSelection();
    m_chart->setFigure(runLossFigure(name));
    m_message->clear();
    m_title->setText(QString("Starting %1...").arg(name));
    m_ownJobId = m_jobs->start(task);
    return m_ownJobId != 0 || fail("Another job is running.");
}

bool RunsPage::resumeRun(qint64 runId, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    const store::RunRecord* run = m_model->run(runId);
    if (!m_project->isOpen() || !run) return fail("Select a run to resume.");
    if (m_jobs->isBusy()) return fail(QString("%1 is still running.").arg(m_jobs->activeDescription()));
    if (run->state == "completed") return fail("The run has already completed.");
    m_livePoints.clear();
    m_lastResult = {};
    // The curve up to the checkpoint stays; the resumed steps are appended live.
    if (store::Database* database = m_project->database()) {
        for (const store::MetricPoint& point : store::RunStore(*database).metrics(runId))
            if (point.step <= run->stepsDone) m_livePoints.append(QPointF(double(point.step), point.loss));
    }
    m_liveRunId = runId;
    m_ownJobId = m_jobs->start(TrainingTask::resume(m_project->path(), runId, QString::fromStdString(run->name)));
    return m_ownJobId != 0 || fail("Another job is running.");
}

bool RunsPage::evaluateRun(const EvaluationRequest& request, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (!m_project->isOpen()) return fail("Open a project database first.");
    if (m_jobs->isBusy()) return fail(QString("%1 is still running.").arg(m_jobs->activeDescription()));
    if (!m_model->run(request.runId)) return fail("Select a run to evaluate.");
    m_lastResult = {};
    m_evaluating = true;
    m_ownJobId = m_jobs->start(std::make_shared<EvaluationTask>(m_project->path(), request));
    if (!m_ownJobId) return fail("Another job is running.");
    m_progressText->setText("Loading the model...");
    return true;
}

void RunsPage::cancelJob() {
    m_jobs->cancel();
    m_progressText->setText("Cancelling after the current micro-batch...");
}

void RunsPage::onProgress(const JobProgress& progress) {
    if (progress.jobId != m_ownJobId) return;  // e.g. an experiment: the Experiments page shows it
    if (m_evaluating) {
        m_progress->setRange(0, int(std::max<qint64>(1, progress.totalSteps)));
        m_progress->setValue(int(progress.step));
        m_progressText->setText(QString("evaluating: %1 / %2 items").arg(progress.step).arg(progress.totalSteps));
        return;
    }
    for (const QPointF& point : progress.lossPoints) {
        // A resumed run replays from its checkpoint: drop points at or after the first new step.
        while (!m_livePoints.isEmpty() && m_livePoints.last().x() >= point.x()) m_livePoints.removeLast();
        m_livePoints.append(point);
    }
    m_progress->setRange(0, int(std::max<qint64>(1, progress.totalSteps)));
    m_progress->setValue(int(progress.step));
    const QString eta = formatDuration(progress.etaSeconds);
    m_progressText->setText(QString("step %1 / %2   loss %3   %4 tok/s%5")
                                .arg(progress.step)
                                .arg(progress.totalSteps)
                                .arg(progress.loss, 0, 'f', 4)
                                .arg(progress.tokensPerSecond, 0, 'f', 0)
                                .arg(eta.isEmpty() ? QString() : "   ETA " + eta));
    if (m_liveRunId) m_model->updateProgress(m_liveRunId, progress.step, progress.totalSteps);
    if (m_selectedRunId == 0 || m_selectedRunId == m_liveRunId) showCurve(m_livePoints);
}

void RunsPage::onRunStarted(qint64 runId) {
    if (m_jobs->activeJobId() != m_ownJobId) return;
    m_liveRunId = runId;
    reload();
    selectRun(runId);
}

void RunsPage::onFinished(const JobResult& result) {
    if (result.jobId != m_ownJobId) {
        reload();  // another page's job (an experiment) may have added runs
        return;
    }
    m_lastResult = result;
    if (m_evaluating) {
        m_evaluating = false;
        m_progressText->setText(result.state + ": " + result.message);
        m_message->setText(result.state == "failed" ? "Evaluation failed: " + result.message : QString());
        m_message->setStyleSheet("color: #D55E00;");
        m_project->notifyChanged("evaluations");
        Q_EMIT jobFinished(result);
        return;
    }
    if (result.runId) m_liveRunId = result.runId;
    reload();
    if (result.runId) selectRun(result.runId);
    if (result.state == "failed") {
        m_message->setText("Failed: " + (result.message.isEmpty() ? QString("unknown error") : result.message));
        m_message->setStyleSheet("color: #D55E00;");
        if (!result.runId) m_title->setText("Training did not start");
    } else if (result.state == "cancelled") {
        m_progressText->setText("Cancelled: resume to continue from the last checkpoint.");
    }
    m_project->notifyChanged("runs");
    Q_EMIT jobFinished(result);
}

}  // namespace ctd::ui
