// Runs JobTasks on the worker thread; exceptions from core become a failed result with the
// core's message, so a bad file or a NaN loss shows on the run instead of crashing the UI.
#include "ui/jobs/job_worker.h"

#include "ui/jobs/job_task.h"

#include <QElapsedTimer>

#include <exception>
#include <new>

namespace ctd::ui {

namespace {

// The context a task sees: stop flag, throttled progress and messages.
class ThrottledContext : public JobContext {
public:
    ThrottledContext(const JobReports& reports, int jobId, const std::atomic<bool>* stopFlag)
        : m_reports(reports), m_jobId(jobId), m_stopFlag(stopFlag) {
        m_sinceEmit.start();
    }

    bool stopRequested() const override {
        return m_stopFlag && m_stopFlag->load();
    }
    const std::atomic<bool>* stopFlag() const override { return m_stopFlag; }

    void progress(const ProgressSample& sample) override {
        m_latest.jobId = m_jobId;
        m_latest.step = sample.step;
        m_latest.totalSteps = sample.totalSteps;
        m_latest.epoch = sample.epoch;
        m_latest.learningRate = sample.learningRate;
        m_latest.tokensPerSecond = sample.tokensPerSecond;
        m_latest.etaSeconds = sample.etaSeconds;
        m_latest.cellsDone = sample.cellsDone;
        m_latest.cellsTotal = sample.cellsTotal;
        m_latest.stage = sample.stage;
        if (sample.hasLoss) {
            m_latest.loss = sample.loss;
            m_latest.lossPoints.append(QPointF(double(sample.step), sample.loss));
        }
        m_pending = true;
        // The end of a stage always shows, and so does a new cell or stage.
        const bool last = (sample.totalSteps > 0 && sample.step >= sample.totalSteps) || sample.stage != m_lastStage;
        m_lastStage = sample.stage;
        if (last || m_sinceEmit.elapsed() >= JobWorker::kProgressIntervalMs) flush();
    }

    void message(const QString& text) override { m_reports.message(m_jobId, text); }
    void runStarted(qint64 runId) override { m_reports.runStarted(m_jobId, runId); }

    void flush() {
        if (!m_pending) return;
        m_reports.progress(m_latest);
        m_latest.lossPoints.clear();
        m_pending = false;
        m_sinceEmit.restart();
    }

private:
    const JobReports& m_reports;
    int m_jobId;
    const std::atomic<bool>* m_stopFlag;
    JobProgress m_latest;
    bool m_pending = false;
    QString m_lastStage;
    QElapsedTimer m_sinceEmit;
};

}  // namespace

JobWorker::JobWorker(const std::atomic<bool>* stopFlag, JobReports reports)
    : m_stopFlag(stopFlag), m_reports(std::move(reports)) {}

void JobWorker::execute(int jobId, std::shared_ptr<JobTask> task) {
    ThrottledContext context(m_reports, jobId, m_stopFlag);
    JobResult result;
    try {
        result = task->run(context);
    } catch (const std::bad_alloc&) {
        result.state = "failed";
        result.message = "out of memory";
    } catch (const std::exception& error) {
        result.state = "failed";
        result.message = QString::fromStdString(error.what());
    } catch (...) {
        result.state = "failed";
        result.message = "unknown error";
    }
    context.flush();
    task.reset();  // the last reference may be this one: destroy it before the GUI hears of the end
    result.jobId = jobId;
    if (result.state.isEmpty()) result.state = "failed";
    m_reports.finished(result);
}

}  // namespace ctd::ui
