// The job thread's owner; see job_controller.h.
#include "ui/jobs/job_controller.h"

#include "ui/jobs/job_task.h"
#include "ui/jobs/job_worker.h"
#include "ui/jobs/mailbox.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

namespace ctd::ui {

JobController::JobController(QObject* parent) : QObject(parent), m_mailbox(new Mailbox(this)) {
    m_thread = std::thread([this] { threadMain(); });
}

JobController::~JobController() {
    m_stopFlag = true;
    {
        std::lock_guard<std::mutex> lock(m_queueMutex);
        m_quit = true;
    }
    m_queueChanged.notify_all();
    m_thread.join();  // reports it posted and nobody ran are dropped with the mailbox
}

void JobController::threadMain() {
    // The reports are posted, so the slots below run on the GUI thread in the order they were made.
    JobWorker worker(&m_stopFlag,
                     {[this](const JobProgress& p) { m_mailbox->post([this, p] { onProgress(p); }); },
                      [this](int jobId, const QString& text) { m_mailbox->post([this, jobId, text] { onMessage(jobId, text); }); },
                      [this](int jobId, qint64 runId) { m_mailbox->post([this, jobId, runId] { onRunStarted(jobId, runId); }); },
                      [this](const JobResult& r) { m_mailbox->post([this, r] { onFinished(r); }); }});
    for (;;) {
        std::shared_ptr<JobTask> task;
        int jobId = 0;
        {
            std::unique_lock<std::mutex> lock(m_queueMutex);
            m_queueChanged.wait(lock, [this] { return m_quit || m_queuedTask; });
            if (m_quit) return;
            task = std::move(m_queuedTask);
            jobId = m_queuedJobId;
        }
        worker.execute(jobId, std::move(task));
    }
}

int JobController::start(std::shared_ptr<JobTask> task) {
    if (isBusy() || !task) return 0;
    m_stopFlag = false;
    const int jobId = m_nextJobId++;
    m_activeJobId = jobId;
    m_activeRunId = 0;
    m_activeDescription = task->description();
    {
        std::lock_guard<std::mutex> lock(m_queueMutex);
        m_queuedTask = std::move(task);
        m_queuedJobId = jobId;
    }
    m_queueChanged.notify_one();
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
