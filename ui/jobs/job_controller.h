// Owns the job thread: starts one JobTask at a time, forwards the worker's reports for the
// current job only (a job counter drops stale ones, hotspot style), and stops cleanly: the
// destructor raises the stop flag, wakes the thread and joins it (Tiled style). The thread is a
// std::thread fed through a mutex and condition variable, and reports come back through a Mailbox,
// so every handoff is one ThreadSanitizer can check.
#pragma once
#include "ui/jobs/job_types.h"

#include <QObject>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace ctd::ui {

class JobTask;
class Mailbox;

class JobController : public QObject {
    Q_OBJECT
public:
    explicit JobController(QObject* parent = nullptr);
    ~JobController() override;

    // Queues `task` on the worker thread and returns its job id, or 0 when a job is running.
    int start(std::shared_ptr<JobTask> task);
    bool isBusy() const { return m_activeJobId != 0; }
    int activeJobId() const { return m_activeJobId; }
    QString activeDescription() const { return m_activeDescription; }
    qint64 activeRunId() const { return m_activeRunId; }

public Q_SLOTS:
    // Asks the running job to stop at its next check (between micro-batches for training).
    void cancel();
    // Cancels and waits (processing events) until the job has finished or `timeoutMs` passed.
    // Returns true when no job is running any more.
    bool stopAndWait(int timeoutMs = 60000);

Q_SIGNALS:
    void progress(const ctd::ui::JobProgress& progress);
    void message(const QString& text);
    void runStarted(qint64 runId);
    void finished(const ctd::ui::JobResult& result);
    // Busy state for the status bar and the buttons; `description` is empty when idle.
    void busyChanged(bool busy, const QString& description);

private:
    void onProgress(const ctd::ui::JobProgress& progress);
    void onMessage(int jobId, const QString& text);
    void onRunStarted(int jobId, qint64 runId);
    void onFinished(const ctd::ui::JobResult& result);
    void threadMain();

    Mailbox* m_mailbox = nullptr;  // a child: outlives the thread, which is joined first
    std::atomic<bool> m_stopFlag{false};
    // The next job for the thread, guarded by m_queueMutex.
    std::mutex m_queueMutex;
    std::condition_variable m_queueChanged;
    std::shared_ptr<JobTask> m_queuedTask;
    int m_queuedJobId = 0;
    bool m_quit = false;
    std::thread m_thread;
    int m_nextJobId = 1;
    int m_activeJobId = 0;
    qint64 m_activeRunId = 0;
    QString m_activeDescription;
};

}  // namespace ctd::ui
