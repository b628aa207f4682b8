// The worker object that lives on the job thread (Tiled style): runs one JobTask at a time,
// throttles its progress (heaptrack style) and reports back through queued signals.
#pragma once
#include "ui/jobs/job_types.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace ctd::ui {

class JobTask;

class JobWorker : public QObject {
    Q_OBJECT
public:
    // `stopFlag` is owned by the controller and outlives the worker.
    explicit JobWorker(const std::atomic<bool>* stopFlag, QObject* parent = nullptr);

    // Minimum time between two progress signals; the last sample is always delivered.
    static constexpr int kProgressIntervalMs = 100;

    // Runs on the worker thread (invoke it queued). Never throws.
    void execute(int jobId, std::shared_ptr<JobTask> task);

Q_SIGNALS:
    void progress(const ctd::ui::JobProgress& progress);
    void message(int jobId, const QString& text);
    void runStarted(int jobId, qint64 runId);
    void finished(const ctd::ui::JobResult& result);

private:
    const std::atomic<bool>* m_stopFlag;
};

}  // namespace ctd::ui
