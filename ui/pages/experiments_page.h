// The Experiments page: open an experiment spec, see its validation and its cells (state, hash,
// size, run, key metrics), and run or resume the whole experiment in the background worker with
// overall progress (cells done, the current cell's stage, ETA) and Cancel.
#pragma once
#include "ui/experiments/experiment_overview.h"
#include "ui/jobs/job_types.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableView;

namespace ctd::ui {

class BackgroundCall;
class ExperimentCellModel;
class JobController;
class Project;

class ExperimentsPage : public QWidget {
    Q_OBJECT
public:
    ExperimentsPage(Project* project, JobController* jobs, QWidget* parent = nullptr);

    // Loads the spec and plans it in the background (cells appear when planning is done).
    void openSpec(const QString& path);
    void refresh();
    // Runs the experiment (finished cells are skipped). False with `error` when it cannot start.
    bool runExperiment(QString* error = nullptr);
    void cancel();

    bool isPlanning() const;
    const ExperimentOverview& overview() const { return m_overview; }
    ExperimentCellModel* cellModel() const { return m_cells; }
    JobResult lastResult() const { return m_lastResult; }

private:
    void onOverview(const ExperimentOverview& overview);
    void onProgress(const ctd::ui::JobProgress& progress);
    void onFinished(const ctd::ui::JobResult& result);
    void updateButtons();

    Project* m_project;
    JobController* m_jobs;
    BackgroundCall* m_planner = nullptr;
    ExperimentCellModel* m_cells = nullptr;
    ExperimentOverview m_overview;
    QString m_specPath;
    int m_ownJobId = 0;
    JobResult m_lastResult;
    QLabel* m_title = nullptr;
    QLineEdit* m_output = nullptr;
    QLabel* m_problems = nullptr;
    QPushButton* m_run = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_progressText = nullptr;
    QTableView* m_table = nullptr;
};

}  // namespace ctd::ui
