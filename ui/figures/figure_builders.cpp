// Safety-vs-utility scatter with Pareto frontiers, the cross-task heatmap and loss curves.
#include "ui/figures/figure_builders.h"

#include "ui/plots/palette.h"

#include <QMap>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ctd::ui {

namespace {

QString runIdList(const QVector<qint64>& ids) {
    QStringList parts;
    for (qint64 id : ids) parts << QString::number(id);
    return parts.join(' ');
}

QString number(double value) { return QString::number(value, 'g', 6); }

}  // namespace

QVector<int> paretoFrontier(const QVector<QPointF>& points) {
    QVector<int> order(points.size());
    for (int i = 0; i < order.size(); ++i) order[i] = i;
    // Highest x first (ties: highest y first); a point is on the frontier when its y beats every
    // point with a larger x.
    std::sort(order.begin(), order.end(), [&points](int a, int b) {
        if (points[a].x() != points[b].x()) return points[a].x() > points[b].x();
        return points[a].y() > points[b].y();
    });
    QVector<int> frontier;
    double bestY = -std::numeric_limits<double>::infinity();
    for (int index : order) {
        if (points[index].y() > bestY) {
            frontier.append(index);
            bestY = points[index].y();
        }
    }
    std::reverse(frontier.begin(), frontier.end());
    return frontier;
}

Figure safetyVsUtility(const TradeoffData& data) {
    Figure figure;
    figure.id = "safety_vs_utility";
    figure.title = "Safety vs utility (all evaluated tasks pooled)";
    figure.xLabel = "utility: non-refusal rate on benign documents";
    figure.yLabel = "safety: refusal rate on harmful documents";
    figure.fixedY = true;
    figure.yMinimum = -0.03;
    figure.yMaximum = 1.03;
    figure.legendAlignment = Qt::AlignBottom | Qt::AlignLeft;
    figure.csvHeader = {"figure", "setting", "family", "defended_task", "defense_count", "imported",
                        "benign_compliant", "benign_n", "utility", "utility_low", "utility_high",
                        "harmful_refused", "harmful_n", "safety", "safety_low", "safety_high", "pareto", "run_ids"};
    QMap<QString, QVector<const SettingResult*>> byFamily;
    for (const SettingResult& setting : data.settings)
        if (setting.harmfulRefusalAll.n > 0 && setting.benignComplianceAll.n > 0) byFamily[setting.family] << &setting;

    for (auto family = byFamily.cbegin(); family != byFamily.cend(); ++family) {
        const SeriesStyle style = familyStyle(family.key());
        QVector<QPointF> points;
        for (const SettingResult* setting : family.value())
            points << QPointF(setting->benignComplianceAll.rate, setting->harmfulRefusalAll.rate);
        const QVector<int> frontier = paretoFrontier(points);

        FigureSeries scatter;
        scatter.name = familyTitle(family.key());
        scatter.color = style.color;
        scatter.marker = style.marker;
        scatter.line = LineKind::None;
        for (int i = 0; i < points.size(); ++i) {
            const SettingResult& setting = *family.value()[i];
            scatter.x << points[i].x();
            scatter.y << points[i].y();
            scatter.low << setting.harmfulRefusalAll.low;
            scatter.high << setting.harmfulRefusalAll.high;
            scatter.pointRunIds << setting.runIds.value(0);
            scatter.pointLabels << QString("%1\nsafety: %2\nutility: %3\nruns: %4")
                                       .arg(setting.label, describeRate(setting.harmfulRefusalAll, data.confidence),
                                            describeRate(setting.benignComplianceAll, data.confidence),
                                            runIdList(setting.runIds));
            const eval::RateEstimate& u = setting.benignComplianceAll;
            const eval::RateEstimate& s = setting.harmfulRefusalAll;
            figure.csvRows << QStringList{figure.id, setting.label, setting.family, setting.defendedTask,
                                          QString::number(setting.defenseCount), setting.imported ? "1" : "0",
                                          QString::number(u.count), QString::number(u.n), number(u.rate), number(u.low),
                                          number(u.high), QString::number(s.count), QString::number(s.n), number(s.rate),
                                          number(s.low), number(s.high), frontier.contains(i) ? "1" : "0",
                                          runIdList(setting.runIds)};
        }
        figure.series << scatter;

        FigureSeries line;
        line.name = familyTitle(family.key()) + " Pareto frontier";
        line.color = style.color;
        line.marker = MarkerShape::None;
        line.line = style.line;
        for (int index : frontier) {
            line.x << points[index].x();
            line.y << points[index].y();
            line.pointRunIds << family.value()[index]->runIds.value(0);
            line.pointLabels << scatter.pointLabels[index];
        }
        figure.series << line;
    }
    figure.note = figure.isEmpty() ? "No run has both harmful and benign items judged yet."
                                   : QString("Both higher is better; bars: %1% Wilson intervals of safety; scorer %2")
                                         .arg(100.0 * data.confidence)
                                         .arg(data.scorer);
    return figure;
}

Figure crossTaskHeatmap(const TradeoffData& data) {
    Figure figure;
    figure.id = "cross_task_heatmap";
    figure.title = "Cross-task transfer: refusal on harmful documents";
    figure.xLabel = "evaluated task";
    figure.yLabel = "training setting";
    figure.hasHeatmap = true;
    figure.heatmap.valueLabel = "refusal rate";
    figure.csvHeader = {"figure", "setting", "family", "defended_task", "defense_count", "imported", "task",
                        "refused", "n", "rate", "low", "high", "run_ids"};
    const eval::CrossTaskMatrix& matrix = data.matrix;
    for (const std::string& task : matrix.tasks) figure.heatmap.columnLabels << QString::fromStdString(task);
    for (std::size_t row = 0; row < matrix.rows.size(); ++row) {
        const eval::MatrixRow& setting = matrix.rows[row];
        figure.heatmap.rowLabels << QString::fromStdString(setting.label);
        QVector<qint64> ids(setting.runIds.begin(), setting.runIds.end());
        for (std::size_t column = 0; column < matrix.tasks.size(); ++column) {
            const auto& cell = matrix.cells[row][column];
            figure.heatmap.values << (cell && cell->n > 0 ? cell->rate : std::nan(""));
            if (!cell) continue;
            figure.csvRows << QStringList{figure.id, QString::fromStdString(setting.label),
                                          QString::fromStdString(setting.modelFamily),
                                          QString::fromStdString(setting.defendedTask),
                                          QString::number(setting.defenseCount), setting.imported ? "1" : "0",
                                          QString::fromStdString(matrix.tasks[column]), QString::number(cell->count),
                                          QString::number(cell->n), number(cell->rate), number(cell->low),
                                          number(cell->high), runIdList(ids)};
        }
    }
    if (figure.heatmap.values.isEmpty()) figure.note = "No evaluated runs yet.";
    else figure.note = QString("refusal scorer: %1").arg(data.scorer);
    return figure;
}

Figure lossCurves(const QVector<RunCurve>& curves) {
    Figure figure;
    figure.id = "loss_curves";
    figure.title = "Training loss";
    figure.xLabel = "optimizer step";
    figure.yLabel = "training loss";
    figure.csvHeader = {"run_id", "run", "family", "step", "loss"};
    for (int i = 0; i < curves.size(); ++i) {
        const RunCurve& curve = curves[i];
        FigureSeries series;
        series.name = QString("%1 (run %2)").arg(curve.name).arg(curve.runId);
        series.color = okabeItoColor(i);
        series.marker = MarkerShape::None;
        series.line = familyStyle(curve.family).line;
        for (const QPointF& point : curve.points) {
            series.x << point.x();
            series.y << point.y();
            figure.csvRows << QStringList{QString::number(curve.runId), curve.name, curve.family,
                                          QString::number(qint64(point.x())), number(point.y())};
        }
        figure.series << series;
    }
    if (curves.isEmpty()) figure.note = "Select runs to overlay their loss curves.";
    return figure;
}

Figure runLossFigure(const QString& title) {
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

QVector<Figure> allTradeoffFigures(const TradeoffData& data) {
    QVector<Figure> figures = {refusalVsDefenseCount(data)};
    for (const QString& task : defendedTasks(data)) figures << transferVsDefenseCount(data, task);
    figures << utilityVsDefenseCount(data) << safetyVsUtility(data) << crossTaskHeatmap(data);
    return figures;
}

}  // namespace ctd::ui
