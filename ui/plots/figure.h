// A figure as plain data: series (points, intervals, style, what a click opens), an optional
// heatmap, axes, and the CSV behind it. Builders fill it from the database; ChartView draws it
// on screen and into PNG/SVG/PDF, so the page and the headless export show the same figure.
#pragma once
#include <QColor>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

namespace ctd::ui {

enum class MarkerShape { None, Circle, Square, Triangle, Diamond, Cross, Plus, Star };
enum class LineKind { None, Solid, Dashed };

struct FigureSeries {
    QString name;
    QVector<double> x, y;
    // Interval bounds (absolute values, e.g. a Wilson interval); empty when the series has none.
    QVector<double> low, high;
    // Hover text per point; empty to show "name: (x, y)".
    QStringList pointLabels;
    // The run a click on the point opens (0: none).
    QVector<qint64> pointRunIds;
    QColor color = Qt::black;
    MarkerShape marker = MarkerShape::Circle;
    LineKind line = LineKind::Solid;
    double lineWidth = 1.6;
    bool inLegend = true;
    // Drawn as bars of this width (in x units) instead of a curve, e.g. a histogram; 0 = curve.
    double barWidth = 0.0;
};

struct FigureHeatmap {
    QStringList rowLabels;     // y axis, top to bottom
    QStringList columnLabels;  // x axis, left to right
    QVector<double> values;    // row-major, rowLabels.size() x columnLabels.size(); NaN = no data
    double minimum = 0.0, maximum = 1.0;
    QString valueLabel;
    bool showValuesAsPercent = true;

    double value(int row, int column) const { return values.value(row * columnLabels.size() + column); }
};

struct Figure {
    QString id;  // file stem for exports, e.g. "refusal_vs_n"
    QString title;
    QString xLabel, yLabel;
    bool logX = false;
    bool fixedY = false;
    double yMinimum = 0.0, yMaximum = 1.0;
    // Explicit x tick positions and labels (e.g. the N values, with the base model at the left).
    QVector<QPair<double, QString>> xTicks;
    QVector<FigureSeries> series;
    bool hasHeatmap = false;
    FigureHeatmap heatmap;
    QString note;  // shown under the title (scorer, intervals) or why the figure is empty
    Qt::Alignment legendAlignment = Qt::AlignTop | Qt::AlignRight;
    // The table behind the figure; when empty, exports derive one from the series/heatmap.
    QStringList csvHeader;
    QVector<QStringList> csvRows;

    bool isEmpty() const;
};

}  // namespace ctd::ui
