// Runs one JobTask at a time on the job thread (JobController's std::thread), throttles its
// progress (heaptrack style) and hands every report to the callbacks it was given (the controller
// posts them to the GUI thread through its Mailbox).
#pragma once
#include "ui/jobs/job_types.h"

#include <atomic>
#include <functional>
#include <memory>

namespace ctd::ui {

class JobTask;

// Where the worker's reports go; each is called on the job thread.
struct JobReports {
    std::function<void(const JobProgress&)> progress;
    std::function<void(int jobId, const QString& text)> message;
    std::function<void(int jobId, qint64 runId)> runStarted;
    std::function<void(const JobResult&)> finished;
};

class JobWorker {
public:
    // `stopFlag` is owned by the controller and outlives the worker.
    JobWorker(const std::atomic<bool>* stopFlag, JobReports reports);

    // Minimum time between two progress reports; the last sample is always delivered.
    static constexpr int kProgressIntervalMs = 100;

    // Runs `task` on the calling thread, lets go of it and then reports `finished` (so the GUI
    // never sees a task the job thread still touches). Never throws.
    void execute(int jobId, std::shared_ptr<JobTask> task);

private:
    const std::atomic<bool>* m_stopFlag;
    JobReports m_reports;
};

}  // namespace ctd::ui
