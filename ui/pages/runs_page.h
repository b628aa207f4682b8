// The Runs page: the project's runs, training launched from a spec in the background worker
// (progress bar with ETA, live downsampled loss curve), Cancel (the run stays resumable) and
// Resume; a failed run shows core's message instead of crashing anything.
#pragma once
#include "ui/jobs/evaluation_task.h"
#include "ui/jobs/job_types.h"

#include <QPointF>
#include <QVector>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableView;

namespace ctd::ui {

class ChartView;
class JobController;
class Project;
class RunListModel;

class RunsPage : public QWidget {
    Q_OBJECT
public:
    RunsPage(Project* project, JobController* jobs, QWidget* parent = nullptr);

    // Starts training from a spec file (what "Train from spec..." does). False with `error` when
    // no project is open, a job is running or the file cannot be read.
    bool startTrainingFromFile(const QString& specPath, QString* error = nullptr);
    bool resumeRun(qint64 runId, QString* error = nullptr);
    // Evaluates a completed run in the worker (what "Evaluate..." does after its dialog).
    bool evaluateRun(const EvaluationRequest& request, QString* error = nullptr);
    void cancelJob();
    void reload();
    void selectRun(qint64 runId);

    RunListModel* runModel() const { return m_model; }
    ChartView* lossChart() const { return m_chart; }
    // Every loss point received for the job now running (or the last one), not downsampled.
    const QVector<QPointF>& liveLossPoints() const { return m_livePoints; }
    qint64 selectedRunId() const { return m_selectedRunId; }
    JobResult lastResult() const { return m_lastResult; }

Q_SIGNALS:
    void jobFinished(const ctd::ui::JobResult& result);

private:
    void chooseSpecFile();
    void onSelectionChanged();
    void onProgress(const ctd::ui::JobProgress& progress);
    void onRunStarted(qint64 runId);
    void onFinished(const ctd::ui::JobResult& result);
    void onBusyChanged(bool busy);
    void showRun(qint64 runId);
    void showCurve(const QVector<QPointF>& points);
    void updateButtons();

    Project* m_project;
    JobController* m_jobs;
    RunListModel* m_model = nullptr;
    QTableView* m_table = nullptr;
    QPushButton* m_trainButton = nullptr;
    QPushButton* m_resumeButton = nullptr;
    QPushButton* m_cancelButton = nullptr;
    QPushButton* m_evaluateButton = nullptr;
    QLabel* m_title = nullptr;
    QLabel* m_message = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_progressText = nullptr;
    ChartView* m_chart = nullptr;
    QPlainTextEdit* m_details = nullptr;
    qint64 m_selectedRunId = 0;
    qint64 m_liveRunId = 0;
    int m_ownJobId = 0;
    bool m_evaluating = false;  // the page's job is an evaluation (no loss curve)  // the job this page started; others' progress is not shown here
    QVector<QPointF> m_livePoints;
    JobResult m_lastResult;
};

}  // namespace ctd::ui
