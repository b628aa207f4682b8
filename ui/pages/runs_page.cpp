// The Runs page; see runs_page.h.
#include "ui/pages/runs_page.h"

#include "ui/jobs/job_controller.h"
#include "ui/jobs/training_task.h"
#include "ui/models/run_list_model.h"
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

namespace {

Figure lossFigure(const QString& title) {
    Figure figure;
    figure.id = "loss";
    figure.title = title;
    figure.xLabel = "optimizer step";
    figure.yLabel = "training loss";
    FigureSeries loss;
    loss.name = "loss";
    loss.color = okabeItoColor(4);
    loss.marker = MarkerShape::None;
    loss.inLegend = false;
    figure.series.append(loss);
    return figure;
}

}  // namespace

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

    m_trainButton = new QPushButton("Train from Spec...", this);
    m_resumeButton = new QPushButton("Resume", this);
    m_cancelButton = new QPushButton("Cancel", this);
    auto* refresh = new QPushButton("Refresh", this);
    m_trainButton->setToolTip("Start LoRA training from a training spec (JSON) in the background");
    m_resumeButton->setToolTip("Continue the selected cancelled or failed run from its last checkpoint");
    m_cancelButton->setToolTip("Stop the running job after the current micro-batch; the run stays resumable");
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_trainButton);
    buttons->addWidget(m_resumeButton);
    buttons->addWidget(m_cancelButton);
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
    m_chart->setFigure(lossFigure(QString()));
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
    if (selected && m_model->rowOfRun(selected) >= 0)
        selectRun(selected);
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
    m_details->setPlainText(QString("Family: %1   Template: %2   Defended task: %3   N: %4   Seed: %5\n"
                                    "Base model: %6\nOutput: %7\nAdapter: %8\nLast checkpoint: %9\n\nSpec:\n%10")
                                .arg(QString::fromStdString(run->modelFamily), QString::fromStdString(run->templateName),
                                     QString::fromStdString(run->defendedTask.empty() ? "none" : run->defendedTask))
                                .arg(run->defenseCount)
                                .arg(qulonglong(run->seed))
                                .arg(QString::fromStdString(run->baseModel), QString::fromStdString(run->outputDir),
                                     QString::fromStdString(run->adapterDir), QString::fromStdString(run->lastCheckpoint),
                                     QString::fromStdString(run->spec.dump(2))));
    m_chart->setFigure(lossFigure(QString::fromStdString(run->name)));
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

bool RunsPage::startTrainingFromFile(const QString& specPath, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (!m_project->isOpen()) return fail("Open a project database first.");
    if (m_jobs->isBusy()) return fail(QString("%1 is still running.").arg(m_jobs->activeDescription()));
    QFile file(specPath);
    if (!file.open(QIODevice::ReadOnly)) return fail(QString("%1: %2").arg(specPath, file.errorString()));
    const QByteArray bytes = file.readAll();
    QString name = QJsonDocument::fromJson(bytes).object().value("name").toString();
    if (name.isEmpty()) name = QFileInfo(specPath).completeBaseName();
    auto task = TrainingTask::train(m_project->path(), bytes, QFileInfo(specPath).absolutePath(), name);
    m_livePoints.clear();
    m_liveRunId = 0;
    m_lastResult = {};
    m_table->clearSelection();
    m_chart->setFigure(lossFigure(name));
    m_message->clear();
    m_title->setText(QString("Starting %1...").arg(name));
    return m_jobs->start(task) != 0 || fail("Another job is running.");
}

bool RunsPage::resumeRun(qint64 runId, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    const store::RunRecord* run = m_model->run(runId);
    if (!m_project->isOpen() || !run) return fail("Select a run to resume.");
    if (m_jobs->isBusy()) return fail(QString("%1 is still running.").arg(m_jobs->activeDescription()));
    if (run->state == "completed") return fail("The run has already completed.");
    m_livePoints.clear();
    m_lastResult = {};
    // The curve up to the checkpoint stays; the resumed steps are appended live.
    if (store::Database* database = m_project->database()) {
        for (const store::MetricPoint& point : store::RunStore(*database).metrics(runId))
            if (point.step <= run->stepsDone) m_livePoints.append(QPointF(double(point.step), point.loss));
    }
    m_liveRunId = runId;
    return m_jobs->start(TrainingTask::resume(m_project->path(), runId, QString::fromStdString(run->name))) != 0 ||
           fail("Another job is running.");
}

void RunsPage::cancelJob() {
    m_jobs->cancel();
    m_progressText->setText("Cancelling after the current micro-batch...");
}

void RunsPage::onProgress(const JobProgress& progress) {
    if (progress.cellsTotal > 0 && progress.lossPoints.isEmpty() && progress.totalSteps == 0) return;
    for (const QPointF& point : progress.lossPoints) {
        // A resumed run replays from its checkpoint: drop points at or after the first new step.
        while (!m_livePoints.isEmpty() && m_livePoints.last().x() >= point.x()) m_livePoints.removeLast();
        m_livePoints.append(point);
    }
    m_progress->setRange(0, int(std::max<qint64>(1, progress.totalSteps)));
    m_progress->setValue(int(progress.step));
    const QString eta = formatDuration(progress.etaSeconds);
    m_progressText->setText(QString("step %1 / %2   loss %3   %4 tok/s%5")
                                .arg(progress.step)
                                .arg(progress.totalSteps)
                                .arg(progress.loss, 0, 'f', 4)
                                .arg(progress.tokensPerSecond, 0, 'f', 0)
                                .arg(eta.isEmpty() ? QString() : "   ETA " + eta));
    if (m_liveRunId) m_model->updateProgress(m_liveRunId, progress.step, progress.totalSteps);
    if (m_selectedRunId == 0 || m_selectedRunId == m_liveRunId) showCurve(m_livePoints);
}

void RunsPage::onRunStarted(qint64 runId) {
    m_liveRunId = runId;
    reload();
    selectRun(runId);
}

void RunsPage::onFinished(const JobResult& result) {
    m_lastResult = result;
    if (result.runId) m_liveRunId = result.runId;
    reload();
    if (result.runId) selectRun(result.runId);
    if (result.state == "failed") {
        m_message->setText("Failed: " + (result.message.isEmpty() ? QString("unknown error") : result.message));
        m_message->setStyleSheet("color: #D55E00;");
        if (!result.runId) m_title->setText("Training did not start");
    } else if (result.state == "cancelled") {
        m_progressText->setText("Cancelled: resume to continue from the last checkpoint.");
    }
    m_project->notifyChanged("runs");
    Q_EMIT jobFinished(result);
}

void RunsPage::onBusyChanged(bool) { updateButtons(); }

void RunsPage::updateButtons() {
    const bool open = m_project->isOpen();
    const bool busy = m_jobs->isBusy();
    const store::RunRecord* run = m_selectedRunId ? m_model->run(m_selectedRunId) : nullptr;
    m_trainButton->setEnabled(open && !busy);
    m_resumeButton->setEnabled(open && !busy && run && run->kind == "train" && run->state != "completed");
    m_cancelButton->setEnabled(busy);
}

}  // namespace ctd::ui
