// The job thread's owner; see job_controller.h.
#include "ui/jobs/job_controller.h"

#include "ui/jobs/job_task.h"
#include "ui/jobs/job_worker.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

namespace ctd::ui {

JobController::JobController(QObject* parent) : QObject(parent) {
    m_thread.setObjectName("ctd-job");
    m_worker = new JobWorker(&m_stopFlag);
    m_worker->moveToThread(&m_thread);
    connect(m_worker, &JobWorker::progress, this, &JobController::onProgress, Qt::QueuedConnection);
    connect(m_worker, &JobWorker::message, this, &JobController::onMessage, Qt::QueuedConnection);
    connect(m_worker, &JobWorker::runStarted, this, &JobController::onRunStarted, Qt::QueuedConnection);
    connect(m_worker, &JobWorker::finished, this, &JobController::onFinished, Qt::QueuedConnection);
    m_thread.start();
}

JobController::~JobController() {
    m_stopFlag = true;
    m_thread.requestInterruption();
    m_thread.quit();
    m_thread.wait();
    delete m_worker;  // its thread has ended: no event can reach it any more
}

int JobController::start(std::shared_ptr<JobTask> task) {
    if (isBusy() || !task) return 0;
    m_stopFlag = false;
    const int jobId = m_nextJobId++;
    m_activeJobId = jobId;
    m_activeRunId = 0;
    m_activeDescription = task->description();
    JobWorker* worker = m_worker;
    QMetaObject::invokeMethod(
        m_worker, [worker, jobId, task] { worker->execute(jobId, task); }, Qt::QueuedConnection);
    Q_EMIT busyChanged(true, m_activeDescription);
    return jobId;
}

void JobController::cancel() {
    if (isBusy()) m_stopFlag = true;
}

bool JobController::stopAndWait(int timeoutMs) {
    if (!isBusy()) return true;
    cancel();
    QEventLoop loop;
    QTimer timeout;
    timeout.setSingleShot(true);
    connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
    connect(this, &JobController::busyChanged, &loop, [&loop](bool busy) {
        if (!busy) loop.quit();
    });
    timeout.start(timeoutMs);
    if (isBusy()) loop.exec();
    return !isBusy();
}

void JobController::onProgress(const JobProgress& progress) {
    if (progress.jobId == m_activeJobId) Q_EMIT this->progress(progress);
}

void JobController::onMessage(int jobId, const QString& text) {
    if (jobId == m_activeJobId) Q_EMIT message(text);
}

void JobController::onRunStarted(int jobId, qint64 runId) {
    if (jobId != m_activeJobId) return;
    m_activeRunId = runId;
    Q_EMIT runStarted(runId);
}

void JobController::onFinished(const JobResult& result) {
    if (result.jobId != m_activeJobId) return;
    m_activeJobId = 0;
    m_activeRunId = 0;
    m_activeDescription.clear();
    m_stopFlag = false;
    Q_EMIT finished(result);
    Q_EMIT busyChanged(false, QString());
}

}  // namespace ctd::ui
