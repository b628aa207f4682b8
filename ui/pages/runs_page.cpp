// The Runs page; see runs_page.h.
#include "ui/pages/runs_page.h"

#include "ui/jobs/evaluation_task.h"
#include "ui/jobs/job_controller.h"
#include "ui/jobs/training_task.h"
#include "ui/figures/figure_builders.h"
#include "ui/models/run_list_model.h"
#include "ui/pages/evaluate_dialog.h"
#include "ui/pages/run_details.h"
#include "ui/plots/chart_view.h"
#include "ui/plots/palette.h"
#include "ui/project.h"

#include "core/store/database.h"
#include "core/store/run_store.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

#include <exception>

namespace ctd::ui {

RunsPage::RunsPage(Project* project, JobController* jobs, QWidget* parent)
    : QWidget(parent), m_project(project), m_jobs(jobs) {
    m_model = new RunListModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);

    m_trainButton = new QPushButton("Train from Spec...", this);
    m_resumeButton = new QPushButton("Resume", this);
    m_cancelButton = new QPushButton("Cancel", this);
    m_evaluateButton = new QPushButton("Evaluate...", this);
    m_evaluateButton->setToolTip("Generate and score responses of the selected run on an evaluation suite");
    auto* refresh = new QPushButton("Refresh", this);
    m_trainButton->setToolTip("Start LoRA training from a training spec (JSON) in the background");
    m_resumeButton->setToolTip("Continue the selected cancelled or failed run from its last checkpoint");
    m_cancelButton->setToolTip("Stop the running job after the current micro-batch; the run stays resumable");
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_trainButton);
    buttons->addWidget(m_resumeButton);
    buttons->addWidget(m_cancelButton);
    buttons->addWidget(m_evaluateButton);
    buttons->addStretch(1);
    buttons->addWidget(refresh);

    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(m_table, 1);

    m_title = new QLabel("No run selected", this);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() + 2);
    m_title->setFont(titleFont);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progressText = new QLabel(this);
    m_chart = new ChartView(this);
    m_chart->setFigure(runLossFigure(QString()));
    m_details = new QPlainTextEdit(this);
    m_details->setReadOnly(true);
    m_details->setMaximumHeight(160);

    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_title);
    rightLayout->addWidget(m_message);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_progressText);
    rightLayout->addLayout(progressRow);
    rightLayout->addWidget(m_chart, 1);
    rightLayout->addWidget(m_details);

    auto* splitter = new QSplitter(this);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(m_trainButton, &QPushButton::clicked, this, &RunsPage::chooseSpecFile);
    connect(m_resumeButton, &QPushButton::clicked, this, [this] {
        QString error;
        if (!resumeRun(m_selectedRunId, &error)) QMessageBox::warning(this, "Cannot resume", error);
    });
    connect(m_cancelButton, &QPushButton::clicked, this, &RunsPage::cancelJob);
    connect(m_evaluateButton, &QPushButton::clicked, this, [this] {
        const store::RunRecord* run = m_model->run(m_selectedRunId);
        if (!run || !m_project->database()) return;
        EvaluateDialog dialog(*m_project->database(), run->id, QString::fromStdString(run->name), this);
        if (dialog.exec() != QDialog::Accepted) return;
        QString error;
        if (!evaluateRun(dialog.request(), &error)) QMessageBox::warning(this, "Cannot evaluate", error);
    });
    connect(refresh, &QPushButton::clicked, this, &RunsPage::reload);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunsPage::onSelectionChanged);
    connect(m_jobs, &JobController::progress, this, &RunsPage::onProgress);
    connect(m_jobs, &JobController::runStarted, this, &RunsPage::onRunStarted);
    connect(m_jobs, &JobController::finished, this, &RunsPage::onFinished);
    connect(m_jobs, &JobController::busyChanged, this, &RunsPage::onBusyChanged);
    connect(m_project, &Project::opened, this, &RunsPage::reload);
    connect(m_project, &Project::closed, this, &RunsPage::reload);
    connect(m_project, &Project::changed, this, [this](const QString& what) {
        if (what == "runs") reload();
    });
    if (m_project->isOpen()) reload();
    updateButtons();
}

void RunsPage::reload() {
    std::vector<store::RunRecord> runs;
    if (store::Database* database = m_project->database()) {
        try {
            runs = store::RunStore(*database).list();
        } catch (const std::exception& error) {
            m_message->setText(QString("Cannot read the runs: %1").arg(QString::fromStdString(error.what())));
        }
    }
    const qint64 selected = m_selectedRunId;
    m_model->setRuns(std::move(runs));
    m_table->resizeColumnsToContents();
    if (selected && m_model->rowOfRun(selected) >= 0)
        selectRun(selected);
    else if (!m_jobs->isBusy() && m_model->rowCount() > 0)
        selectRun(m_model->runs().back().id);  // the newest run
    else
        showRun(0);
    updateButtons();
}

void RunsPage::selectRun(qint64 runId) {
    const int row = m_model->rowOfRun(runId);
    if (row < 0) return;
    m_table->selectRow(row);
    m_table->scrollTo(m_model->index(row, 0));
    showRun(runId);
}

void RunsPage::onSelectionChanged() {
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    showRun(rows.isEmpty() ? 0 : rows.first().data(RunListModel::RunIdRole).toLongLong());
}

void RunsPage::showRun(qint64 runId) {
    m_selectedRunId = runId;
    const store::RunRecord* run = runId ? m_model->run(runId) : nullptr;
    updateButtons();
    if (!run) {
        m_title->setText(m_jobs->isBusy() ? m_jobs->activeDescription() : QString("No run selected"));
        if (!m_jobs->isBusy()) m_details->clear();
        return;
    }
    m_title->setText(QString("Run %1: %2  [%3]").arg(run->id).arg(QString::fromStdString(run->name),
                                                                  QString::fromStdString(run->state)));
    const QString message = QString::fromStdString(run->message);
    m_message->setText(message.isEmpty() ? QString()
                                          : (run->state == "failed" ? "Failed: " : "") + message);
    m_message->setStyleSheet(run->state == "failed" ? "color: #D55E00;" : "");
    m_details->setPlainText(runDetailsText(*run));
    m_chart->setFigure(runLossFigure(QString::fromStdString(run->name)));
    if (runId == m_liveRunId && m_jobs->isBusy()) {
        showCurve(m_livePoints);
        return;
    }
    QVector<QPointF> points;
    if (store::Database* database = m_project->database()) {
        try {
            for (const store::MetricPoint& point : store::RunStore(*database).metrics(runId))
                points.append(QPointF(double(point.step), point.loss));
        } catch (const std::exception& error) {
            m_message->setText(QString("Cannot read the loss curve: %1").arg(QString::fromStdString(error.what())));
        }
    }
    showCurve(points);
    m_progress->setRange(0, int(std::max<int64_t>(1, run->totalSteps)));
    m_progress->setValue(int(run->stepsDone));
    m_progressText->setText(run->totalSteps > 0 ? QString("step %1 / %2").arg(run->stepsDone).arg(run->totalSteps)
                                                : QString());
}

void RunsPage::showCurve(const QVector<QPointF>& points) { m_chart->setSeriesPoints(0, points); }

void RunsPage::chooseSpecFile() {
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, "Training spec", settings.value("runs/lastSpecFolder").toString(),
                                                      "Training specs (*.json);;All files (*)");
    if (path.isEmpty()) return;
    settings.setValue("runs/lastSpecFolder", QFileInfo(path).path());
    QString error;
    if (!startTrainingFromFile(path, &error)) QMessageBox::warning(this, "Cannot start training", error);
}

void RunsPage::onBusyChanged(bool) { updateButtons(); }

void RunsPage::updateButtons() {
    const bool open = m_project->isOpen();
    const bool busy = m_jobs->isBusy();
    const store::RunRecord* run = m_selectedRunId ? m_model->run(m_selectedRunId) : nullptr;
    m_trainButton->setEnabled(open && !busy);
    m_resumeButton->setEnabled(open && !busy && run && run->kind == "train" && run->state != "completed");
    m_cancelButton->setEnabled(busy);
    m_evaluateButton->setEnabled(open && !busy && run && run->state == "completed" && run->kind != "imported");
}

}  // namespace ctd::ui
