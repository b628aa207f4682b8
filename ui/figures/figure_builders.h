// The trade-off figures as Figure values (what the Trade-offs page shows and the headless export
// writes): refusal on the defended task vs N, transfer to the other tasks vs N, utility vs N,
// safety vs utility with each family's Pareto frontier, the cross-task heatmap, loss curves.
#pragma once
#include "ui/figures/tradeoff_data.h"
#include "ui/plots/figure.h"

#include <QPointF>
#include <QVector>

namespace ctd::ui {

// Refusal on each run's own defended task vs the number of defense examples N (log x axis,
// no-defense runs at the left as N = 0), one series per model family and defended task.
Figure refusalVsDefenseCount(const TradeoffData& data);
// For runs defending `defendedTask`: refusal on every other evaluated task vs N.
Figure transferVsDefenseCount(const TradeoffData& data, const QString& defendedTask);
// The defended tasks present (single-task settings), in the data's task order.
QStringList defendedTasks(const TradeoffData& data);
// Utility (non-refusal rate on benign documents, all tasks pooled) vs N per family.
Figure utilityVsDefenseCount(const TradeoffData& data);
// Safety (refusal on harmful documents) vs utility (non-refusal on benign ones), all tasks
// pooled, one point per setting, with each family's Pareto frontier (both higher is better).
Figure safetyVsUtility(const TradeoffData& data);
// Settings (rows) x evaluated tasks (columns): refusal rate on harmful documents.
Figure crossTaskHeatmap(const TradeoffData& data);

struct RunCurve {
    qint64 runId = 0;
    QString name;
    QString family;
    QVector<QPointF> points;  // (step, loss)
};
// Loss curves overlaid, coloured per run, dashed for Llama2-family runs.
Figure lossCurves(const QVector<RunCurve>& curves);

// One run's loss curve, empty, for the Runs page to fill live (series 0).
Figure runLossFigure(const QString& title);

// Every figure the export writes, in order.
QVector<Figure> allTradeoffFigures(const TradeoffData& data);

// Indices of the Pareto-optimal points when both coordinates are maximised, sorted by x.
QVector<int> paretoFrontier(const QVector<QPointF>& points);

}  // namespace ctd::ui
