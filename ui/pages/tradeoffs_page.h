// The Trade-offs page: refusal vs N per family and task (log x, Wilson intervals), transfer to
// the other tasks, utility vs N, safety vs utility with Pareto frontiers, the cross-task heatmap
// and overlaid loss curves. Hover shows a point's values; a click opens the run in Inspect;
// every figure exports as PNG, SVG or PDF with its CSV.
#pragma once
#include "ui/figures/tradeoff_data.h"
#include "ui/plots/figure.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;

namespace ctd::ui {

class ChartView;
class Project;

class TradeoffsPage : public QWidget {
    Q_OBJECT
public:
    explicit TradeoffsPage(Project* project, QWidget* parent = nullptr);

    void reload();
    // Figure ids offered in the list (refusal_vs_n, transfer_vs_n_<task>, ..., loss_curves).
    QStringList figureIds() const;
    bool showFigure(const QString& figureId);
    // Runs whose loss curves are overlaid (the checked runs of the list).
    void setLossCurveRuns(const QVector<qint64>& runIds);
    bool exportCurrentFigure(const QString& imagePath, QString* error);

    ChartView* chart() const { return m_chart; }
    const TradeoffData& data() const { return m_data; }

Q_SIGNALS:
    void openRunRequested(qint64 runId);

private:
    void rebuildFigureList();
    void rebuildRunList();
    void showSelectedFigure();
    Figure lossCurveFigure() const;
    void exportDialog();

    Project* m_project;
    TradeoffData m_data;
    QListWidget* m_figures = nullptr;
    QListWidget* m_runs = nullptr;
    QLabel* m_runsLabel = nullptr;
    QComboBox* m_scorer = nullptr;
    QLabel* m_status = nullptr;
    QPushButton* m_export = nullptr;
    ChartView* m_chart = nullptr;
};

}  // namespace ctd::ui
