// The Experiments page; see experiments_page.h.
#include "ui/pages/experiments_page.h"

#include "ui/experiments/experiment_task.h"
#include "ui/jobs/background_call.h"
#include "ui/jobs/job_controller.h"
#include "ui/models/experiment_cell_model.h"
#include "ui/project.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QTableView>
#include <QVBoxLayout>

namespace ctd::ui {

ExperimentsPage::ExperimentsPage(Project* project, JobController* jobs, QWidget* parent)
    : QWidget(parent), m_project(project), m_jobs(jobs) {
    m_planner = new BackgroundCall(this);
    m_cells = new ExperimentCellModel(this);
    auto* open = new QPushButton("Open Experiment Spec...", this);
    auto* refresh = new QPushButton("Refresh", this);
    m_run = new QPushButton("Run / Resume", this);
    m_run->setToolTip("Run every cell that is not done yet; an interrupted cell continues from its checkpoint");
    m_cancel = new QPushButton("Cancel", this);
    m_title = new QLabel("Open an experiment spec (e.g. experiments/tiny-cross-task.json).", this);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_title->setWordWrap(true);
    m_output = new QLineEdit(this);
    m_output->setPlaceholderText("output folder (default: <database folder>/<experiment name>)");
    m_problems = new QLabel(this);
    m_problems->setWordWrap(true);
    m_problems->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progressText = new QLabel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_cells);
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(open);
    buttons->addWidget(refresh);
    buttons->addStretch(1);
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    auto* outputRow = new QHBoxLayout;
    outputRow->addWidget(new QLabel("Output folder:", this));
    outputRow->addWidget(m_output, 1);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_progressText, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(buttons);
    layout->addWidget(m_title);
    layout->addLayout(outputRow);
    layout->addWidget(m_problems);
    layout->addLayout(progressRow);
    layout->addWidget(m_table, 1);

    connect(open, &QPushButton::clicked, this, [this] {
        QSettings settings;
        const QString path = QFileDialog::getOpenFileName(this, "Open experiment spec", settings.value("experiments/folder").toString(),
                                                          "Experiment specs (*.json);;All files (*)");
        if (path.isEmpty()) return;
        settings.setValue("experiments/folder", QFileInfo(path).path());
        openSpec(path);
    });
    connect(refresh, &QPushButton::clicked, this, &ExperimentsPage::refresh);
    connect(m_output, &QLineEdit::editingFinished, this, &ExperimentsPage::refresh);
    connect(m_run, &QPushButton::clicked, this, [this] {
        QString error;
        if (!runExperiment(&error)) QMessageBox::warning(this, "Cannot run the experiment", error);
    });
    connect(m_cancel, &QPushButton::clicked, this, &ExperimentsPage::cancel);
    connect(m_planner, &BackgroundCall::finished, this, [this](int, const QVariant& result) {
        if (result.canConvert<ExperimentOverview>()) onOverview(result.value<ExperimentOverview>());
    });
    connect(m_planner, &BackgroundCall::busyChanged, this, [this](bool busy) {
        if (busy) m_problems->setText("Validating and planning the experiment...");
        updateButtons();
    });
    connect(m_jobs, &JobController::progress, this, &ExperimentsPage::onProgress);
    connect(m_jobs, &JobController::finished, this, &ExperimentsPage::onFinished);
    connect(m_jobs, &JobController::busyChanged, this, &ExperimentsPage::updateButtons);
    connect(m_project, &Project::opened, this, &ExperimentsPage::refresh);
    // The last spec comes back; it is planned once a project is open (planning may write files).
    const QString lastSpec = QSettings().value("experiments/lastSpec").toString();
    if (!lastSpec.isEmpty() && QFileInfo::exists(lastSpec)) m_specPath = lastSpec;
    if (m_project->isOpen()) this->refresh();
    updateButtons();
}

void ExperimentsPage::openSpec(const QString& path) {
    m_specPath = path;
    m_output->clear();
    QSettings().setValue("experiments/lastSpec", path);
    refresh();
}

void ExperimentsPage::refresh() {
    if (m_specPath.isEmpty()) return;
    const QString spec = m_specPath, database = m_project->path(), output = m_output->text().trimmed();
    m_planner->start([spec, database, output](const std::atomic<bool>& cancel) {
        return QVariant::fromValue(loadExperimentOverview(spec, database, output, &cancel));
    });
}

bool ExperimentsPage::isPlanning() const { return m_planner->isBusy(); }

void ExperimentsPage::onOverview(const ExperimentOverview& overview) {
    m_overview = overview;
    m_cells->setCells(overview.cells);
    m_table->resizeColumnsToContents();
    m_title->setText(overview.name.isEmpty() ? QFileInfo(overview.specPath).fileName()
                                             : QString("%1: %2 cells, %3 done").arg(overview.name).arg(overview.cells.size()).arg(overview.cellsDone));
    m_title->setToolTip(overview.description);
    if (m_output->text().isEmpty()) m_output->setText(overview.outputDirectory);
    QStringList lines;
    if (!overview.error.isEmpty()) lines << "Error: " + overview.error;
    for (const QString& problem : overview.problems) lines << "Problem: " + problem;
    m_problems->setStyleSheet(lines.isEmpty() ? "" : "color: #D55E00;");
    for (const QString& note : overview.notes) lines << note;
    m_problems->setText(lines.join('\n'));
    if (!m_jobs->isBusy() || m_jobs->activeJobId() != m_ownJobId) {
        m_progress->setRange(0, std::max(1, int(overview.cells.size())));
        m_progress->setValue(overview.cellsDone);
    }
    updateButtons();
}

bool ExperimentsPage::runExperiment(QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (!m_project->isOpen()) return fail("Open a project database first.");
    if (m_specPath.isEmpty()) return fail("Open an experiment spec first.");
    if (!m_overview.problems.isEmpty() || !m_overview.error.isEmpty()) return fail("Fix the problems listed first.");
    if (m_jobs->isBusy()) return fail(QString("%1 is still running.").arg(m_jobs->activeDescription()));
    const QString name = m_overview.name.isEmpty() ? QFileInfo(m_specPath).completeBaseName() : m_overview.name;
    const QString output = m_output->text().trimmed().isEmpty() ? defaultExperimentOutput(m_project->path(), name)
                                                                : m_output->text().trimmed();
    m_lastResult = {};
    m_ownJobId = m_jobs->start(std::make_shared<ExperimentTask>(m_project->path(), m_specPath, output, name));
    if (!m_ownJobId) return fail("Another job is running.");
    m_progressText->setText("Starting...");
    return true;
}

void ExperimentsPage::cancel() {
    if (m_jobs->activeJobId() != m_ownJobId) return;
    m_jobs->cancel();
    m_progressText->setText("Cancelling after the current step; the experiment resumes where it stopped.");
}

void ExperimentsPage::onProgress(const JobProgress& progress) {
    if (progress.jobId != m_ownJobId || progress.cellsTotal <= 0) return;
    m_progress->setRange(0, progress.cellsTotal);
    m_progress->setValue(progress.cellsDone);
    const QString eta = formatDuration(progress.etaSeconds);
    m_progressText->setText(QString("cells %1 / %2   %3 %4%5")
                                .arg(progress.cellsDone)
                                .arg(progress.cellsTotal)
                                .arg(progress.stage)
                                .arg(progress.totalSteps > 0 ? QString("%1/%2").arg(progress.step).arg(progress.totalSteps) : QString())
                                .arg(eta.isEmpty() ? QString() : "   ETA " + eta));
}

void ExperimentsPage::onFinished(const JobResult& result) {
    if (result.jobId != m_ownJobId) return;
    m_lastResult = result;
    m_progressText->setText(QString("%1: %2").arg(result.state, result.message.section('\n', 0, 0)));
    if (result.state == "failed") m_problems->setText(result.message);
    m_project->notifyChanged("runs");
    m_project->notifyChanged("evaluations");
    refresh();
}

void ExperimentsPage::updateButtons() {
    const bool mine = m_jobs->isBusy() && m_jobs->activeJobId() == m_ownJobId;
    m_run->setEnabled(m_project->isOpen() && !m_specPath.isEmpty() && !m_jobs->isBusy() && !m_planner->isBusy());
    m_cancel->setEnabled(mine);
}

}  // namespace ctd::ui
