// What the worker thread runs: a JobTask (training, resume, an experiment) reporting through a
// JobContext. Tasks are plain C++ over core; the worker posts their reports to the GUI thread.
#pragma once
#include "ui/jobs/job_types.h"

#include <QString>

#include <atomic>

namespace ctd::ui {

// One progress sample from a task, e.g. after every optimizer step. The context throttles.
struct ProgressSample {
    qint64 step = 0;
    qint64 totalSteps = 0;
    qint64 epoch = 0;
    double loss = 0.0;
    double learningRate = 0.0;
    double tokensPerSecond = 0.0;
    double etaSeconds = 0.0;
    bool hasLoss = true;
    int cellsDone = 0;
    int cellsTotal = 0;
    QString stage;  // experiments: "<cell>: training"
};

class JobContext {
public:
    virtual ~JobContext() = default;
    // True once Cancel was pressed or the window is closing; core reads the same flag.
    virtual bool stopRequested() const = 0;
    virtual const std::atomic<bool>* stopFlag() const = 0;
    virtual void progress(const ProgressSample& sample) = 0;
    virtual void message(const QString& text) = 0;
    // The task learnt the id of the run it works on (shown while the job runs).
    virtual void runStarted(qint64 runId) = 0;
};

class JobTask {
public:
    virtual ~JobTask() = default;
    // Short text for the status bar, e.g. "Training defense-summarize-100".
    virtual QString description() const = 0;
    // Runs on the worker thread. May throw: the worker turns exceptions into a failed result.
    virtual JobResult run(JobContext& context) = 0;
};

}  // namespace ctd::ui
