// The Trade-offs page; see tradeoffs_page.h.
#include "ui/pages/tradeoffs_page.h"

#include "ui/figures/figure_builders.h"
#include "ui/plots/chart_view.h"
#include "ui/plots/downsample.h"
#include "ui/project.h"

#include "core/store/database.h"
#include "core/store/run_store.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QVBoxLayout>

#include <exception>

namespace ctd::ui {

namespace {
constexpr int kFigureIdRole = Qt::UserRole + 1;
constexpr int kRunIdRole = Qt::UserRole + 2;
const char* const kLossCurves = "loss_curves";
}  // namespace

TradeoffsPage::TradeoffsPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    m_figures = new QListWidget(this);
    m_runs = new QListWidget(this);
    m_runsLabel = new QLabel("Runs to overlay:", this);
    m_scorer = new QComboBox(this);
    m_scorer->setToolTip("Refusal scorer that judged the responses (per-task: the Chinese-aware preset for translate)");
    m_scorer->addItem("per-task");
    auto* refresh = new QPushButton("Refresh", this);
    m_export = new QPushButton("Export...", this);
    m_export->setToolTip("Save the figure as PNG, SVG or PDF, with the CSV behind it beside the image");
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_chart = new ChartView(this);

    auto* side = new QWidget(this);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(0, 0, 0, 0);
    sideLayout->addWidget(new QLabel("Figures:", this));
    sideLayout->addWidget(m_figures, 2);
    sideLayout->addWidget(m_runsLabel);
    sideLayout->addWidget(m_runs, 3);
    auto* scorerRow = new QHBoxLayout;
    scorerRow->addWidget(new QLabel("Scorer:", this));
    scorerRow->addWidget(m_scorer, 1);
    sideLayout->addLayout(scorerRow);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(refresh);
    buttons->addWidget(m_export);
    sideLayout->addLayout(buttons);
    sideLayout->addWidget(m_status);

    auto* splitter = new QSplitter(this);
    splitter->addWidget(side);
    splitter->addWidget(m_chart);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 4);
    splitter->setSizes({260, 1000});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(m_figures, &QListWidget::currentRowChanged, this, &TradeoffsPage::showSelectedFigure);
    connect(m_runs, &QListWidget::itemChanged, this, [this] {
        if (m_figures->currentItem() && m_figures->currentItem()->data(kFigureIdRole).toString() == kLossCurves)
            showSelectedFigure();
    });
    connect(m_scorer, &QComboBox::currentTextChanged, this, [this] { reload(); });
    connect(refresh, &QPushButton::clicked, this, &TradeoffsPage::reload);
    connect(m_export, &QPushButton::clicked, this, &TradeoffsPage::exportDialog);
    connect(m_chart, &ChartView::pointClicked, this, [this](int, int, qint64 runId) {
        if (runId > 0) Q_EMIT openRunRequested(runId);
    });
    connect(m_project, &Project::opened, this, &TradeoffsPage::reload);
    connect(m_project, &Project::closed, this, &TradeoffsPage::reload);
    connect(m_project, &Project::changed, this, [this](const QString& what) {
        if (what == "runs" || what == "evaluations") reload();
    });
    if (m_project->isOpen()) reload();
    else rebuildFigureList();
}

void TradeoffsPage::reload() {
    m_data = TradeoffData();
    m_status->clear();
    if (store::Database* database = m_project->database()) {
        const QString scorer = m_scorer->currentText();
        {
            const QSignalBlocker blocker(m_scorer);
            m_scorer->clear();
            m_scorer->addItems(availableRefusalScorers(*database));
            const int index = m_scorer->findText(scorer);
            m_scorer->setCurrentIndex(index >= 0 ? index : 0);
        }
        QString error;
        if (!loadTradeoffData(*database, m_scorer->currentText(), &m_data, &error))
            m_status->setText("Cannot summarize the evaluations: " + error);
        else
            m_status->setText(QString("%1 training settings, %2 evaluated tasks").arg(m_data.settings.size()).arg(m_data.tasks.size()));
    }
    rebuildRunList();
    rebuildFigureList();
}

void TradeoffsPage::rebuildFigureList() {
    const QString current = m_figures->currentItem() ? m_figures->currentItem()->data(kFigureIdRole).toString() : QString();
    const QSignalBlocker blocker(m_figures);
    m_figures->clear();
    auto add = [this](const QString& title, const QString& id) {
        auto* item = new QListWidgetItem(title, m_figures);
        item->setData(kFigureIdRole, id);
    };
    add("Refusal vs N (defended task)", "refusal_vs_n");
    for (const QString& task : defendedTasks(m_data)) add("Transfer vs N (defending " + task + ")", "transfer_vs_n_" + task);
    add("Utility vs N", "utility_vs_n");
    add("Safety vs utility", "safety_vs_utility");
    add("Cross-task heatmap", "cross_task_heatmap");
    add("Loss curves", kLossCurves);
    int row = 0;
    for (int i = 0; i < m_figures->count(); ++i)
        if (m_figures->item(i)->data(kFigureIdRole).toString() == current) row = i;
    m_figures->setCurrentRow(row);
    showSelectedFigure();
}

void TradeoffsPage::rebuildRunList() {
    QSet<qint64> checked;
    for (int i = 0; i < m_runs->count(); ++i)
        if (m_runs->item(i)->checkState() == Qt::Checked) checked.insert(m_runs->item(i)->data(kRunIdRole).toLongLong());
    const QSignalBlocker blocker(m_runs);
    m_runs->clear();
    store::Database* database = m_project->database();
    if (!database) return;
    try {
        for (const store::RunRecord& run : store::RunStore(*database).list()) {
            if (run.kind != "train") continue;
            auto* item = new QListWidgetItem(QString("%1  %2 (%3)").arg(run.id).arg(QString::fromStdString(run.name),
                                                                              QString::fromStdString(run.modelFamily)),
                                             m_runs);
            item->setData(kRunIdRole, qint64(run.id));
            item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
            item->setCheckState(checked.contains(run.id) ? Qt::Checked : Qt::Unchecked);
        }
    } catch (const std::exception& error) {
        m_status->setText(QString::fromStdString(error.what()));
    }
}

QStringList TradeoffsPage::figureIds() const {
    QStringList ids;
    for (int i = 0; i < m_figures->count(); ++i) ids << m_figures->item(i)->data(kFigureIdRole).toString();
    return ids;
}

bool TradeoffsPage::showFigure(const QString& figureId) {
    const int row = int(figureIds().indexOf(figureId));
    if (row < 0) return false;
    m_figures->setCurrentRow(row);
    showSelectedFigure();
    return true;
}

void TradeoffsPage::setLossCurveRuns(const QVector<qint64>& runIds) {
    {
        const QSignalBlocker blocker(m_runs);
        for (int i = 0; i < m_runs->count(); ++i) {
            QListWidgetItem* item = m_runs->item(i);
            item->setCheckState(runIds.contains(item->data(kRunIdRole).toLongLong()) ? Qt::Checked : Qt::Unchecked);
        }
    }
    showSelectedFigure();
}

Figure TradeoffsPage::lossCurveFigure() const {
    QVector<RunCurve> curves;
    store::Database* database = m_project->database();
    if (database) {
        store::RunStore runs(*database);
        for (int i = 0; i < m_runs->count(); ++i) {
            const QListWidgetItem* item = m_runs->item(i);
            if (item->checkState() != Qt::Checked) continue;
            try {
                const store::RunRecord run = runs.get(item->data(kRunIdRole).toLongLong());
                RunCurve curve;
                curve.runId = run.id;
                curve.name = QString::fromStdString(run.name);
                curve.family = QString::fromStdString(run.modelFamily);
                for (const store::MetricPoint& point : runs.metrics(run.id))
                    curve.points << QPointF(double(point.step), point.loss);
                curves << curve;
            } catch (const std::exception&) {
                // The run vanished since the list was built: skip it.
            }
        }
    }
    return lossCurves(curves);
}

void TradeoffsPage::showSelectedFigure() {
    const QString id = m_figures->currentItem() ? m_figures->currentItem()->data(kFigureIdRole).toString() : QString();
    const bool loss = id == kLossCurves;
    m_runs->setVisible(loss);
    m_runsLabel->setVisible(loss);
    if (loss) {
        m_chart->setFigure(lossCurveFigure());
        return;
    }
    if (id == "refusal_vs_n") m_chart->setFigure(refusalVsDefenseCount(m_data));
    else if (id.startsWith("transfer_vs_n_")) m_chart->setFigure(transferVsDefenseCount(m_data, id.mid(14)));
    else if (id == "utility_vs_n") m_chart->setFigure(utilityVsDefenseCount(m_data));
    else if (id == "safety_vs_utility") m_chart->setFigure(safetyVsUtility(m_data));
    else if (id == "cross_task_heatmap") m_chart->setFigure(crossTaskHeatmap(m_data));
}

bool TradeoffsPage::exportCurrentFigure(const QString& imagePath, QString* error) {
    return m_chart->exportWithCsv(imagePath, 1200, 800, error);
}

void TradeoffsPage::exportDialog() {
    QSettings settings;
    const QString folder = settings.value("tradeoffs/exportFolder").toString();
    QString filter;
    const QString path = QFileDialog::getSaveFileName(this, "Export figure", QFileInfo(folder, m_chart->figure().id + ".png").filePath(),
                                                      "PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)", &filter);
    if (path.isEmpty()) return;
    QString imagePath = path;
    if (QFileInfo(path).suffix().isEmpty())
        imagePath += filter.contains("svg") ? ".svg" : filter.contains("pdf") ? ".pdf" : ".png";
    settings.setValue("tradeoffs/exportFolder", QFileInfo(path).path());
    QString error;
    if (!exportCurrentFigure(imagePath, &error)) QMessageBox::warning(this, "Cannot export the figure", error);
}

}  // namespace ctd::ui
