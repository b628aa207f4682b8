// Draws a Figure with QCustomPlot; hover tool tips, click-to-open, and PNG/SVG/PDF export.
#include "ui/plots/chart_view.h"

#include "ui/plots/downsample.h"
#include "ui/plots/qcustomplot_include.h"

#include <QFileInfo>
#include <QToolTip>
#include <QVBoxLayout>

#include <cmath>

namespace ctd::ui {

namespace {

QCPScatterStyle scatterStyle(MarkerShape marker, const QColor& color) {
    QCPScatterStyle::ScatterShape shape = QCPScatterStyle::ssNone;
    switch (marker) {
    case MarkerShape::None: shape = QCPScatterStyle::ssNone; break;
    case MarkerShape::Circle: shape = QCPScatterStyle::ssDisc; break;
    case MarkerShape::Square: shape = QCPScatterStyle::ssSquare; break;
    case MarkerShape::Triangle: shape = QCPScatterStyle::ssTriangle; break;
    case MarkerShape::Diamond: shape = QCPScatterStyle::ssDiamond; break;
    case MarkerShape::Cross: shape = QCPScatterStyle::ssCross; break;
    case MarkerShape::Plus: shape = QCPScatterStyle::ssPlus; break;
    case MarkerShape::Star: shape = QCPScatterStyle::ssStar; break;
    }
    const bool filled = marker == MarkerShape::Square || marker == MarkerShape::Triangle || marker == MarkerShape::Diamond;
    return QCPScatterStyle(shape, QPen(color, 1.5), filled ? QBrush(color.lighter(140)) : QBrush(color), 8);
}

// Long curves (sorted by x, drawn as lines) are downsampled; scatter series are drawn whole.
void setCurveData(QCPCurve* curve, const FigureSeries& series) {
    if (series.x.size() <= ChartView::kMaximumDrawnPoints || series.line == LineKind::None) {
        curve->setData(series.x, series.y);
        return;
    }
    QVector<QPointF> points(series.x.size());
    for (int i = 0; i < points.size(); ++i) points[i] = QPointF(series.x[i], series.y.value(i));
    const QVector<QPointF> drawn = downsampleMinMax(points, ChartView::kMaximumDrawnPoints);
    QVector<double> x(drawn.size()), y(drawn.size());
    for (int i = 0; i < drawn.size(); ++i) {
        x[i] = drawn[i].x();
        y[i] = drawn[i].y();
    }
    curve->setData(x, y);
}


}  // namespace

ChartView::ChartView(QWidget* parent) : QWidget(parent) {
    m_layout = new QVBoxLayout(this);
    m_layout->setContentsMargins(0, 0, 0, 0);
    setMinimumSize(320, 240);
    rebuild();
}

ChartView::~ChartView() = default;

void ChartView::setFigure(const Figure& figure) {
    m_figure = figure;
    rebuild();
}

void ChartView::rebuild() {
    if (m_plot) {
        m_layout->removeWidget(m_plot);
        delete m_plot;
    }
    m_curves.clear();
    m_drawnCounts.clear();
    m_plot = new QCustomPlot(this);
    m_plot->setMouseTracking(true);
    m_layout->addWidget(m_plot);
    connect(m_plot, &QCustomPlot::mouseMove, this, &ChartView::onMouseMove);
    connect(m_plot, &QCustomPlot::mousePress, this, &ChartView::onMousePress);

    int row = 0;
    if (!m_figure.title.isEmpty()) {
        m_plot->plotLayout()->insertRow(row);
        QFont font = m_plot->font();
        font.setPointSizeF(font.pointSizeF() + 1.5);
        font.setBold(true);
        m_plot->plotLayout()->addElement(row++, 0, new QCPTextElement(m_plot, m_figure.title, font));
    }
    if (!m_figure.note.isEmpty()) {
        m_plot->plotLayout()->insertRow(row);
        auto* note = new QCPTextElement(m_plot, m_figure.note, m_plot->font());
        note->setTextColor(QColor(0x55, 0x55, 0x55));
        m_plot->plotLayout()->addElement(row++, 0, note);
    }
    if (m_figure.hasHeatmap) {
        addHeatmap(row);
    } else {
        for (int i = 0; i < m_figure.series.size(); ++i) addSeries(i);
    }
    applyAxes();
    int legendItems = 0;
    for (const FigureSeries& series : m_figure.series) legendItems += series.inLegend ? 1 : 0;
    if (!m_figure.hasHeatmap && legendItems > 4) {
        // A long legend would hide data: give it its own column right of the axes.
        // A column holding the legend on top of an empty stretching cell, so the legend keeps
        // its natural height instead of spreading its rows over the whole plot.
        auto* column = new QCPLayoutGrid;
        m_plot->axisRect()->insetLayout()->take(m_plot->legend);
        m_plot->plotLayout()->addElement(row, 1, column);
        m_plot->plotLayout()->setColumnStretchFactor(1, 0.001);
        column->addElement(0, 0, m_plot->legend);
        column->addElement(1, 0, new QCPLayoutElement(m_plot));
        column->setRowStretchFactor(0, 0.001);
        column->setRowStretchFactor(1, 1.0);
        m_plot->legend->setMargins(QMargins(6, 6, 6, 6));
    }
    m_plot->replot();
}

void ChartView::addSeries(int index) {
    const FigureSeries& series = m_figure.series[index];
    if (series.barWidth > 0) {
        auto* bars = new QCPBars(m_plot->xAxis, m_plot->yAxis);
        bars->setName(series.name);
        bars->setWidth(series.barWidth);
        bars->setPen(QPen(series.color.darker(130), 1));
        bars->setBrush(series.color);
        bars->setData(series.x, series.y);
        if (!series.inLegend) bars->removeFromLegend();
    }
    auto* curve = new QCPCurve(m_plot->xAxis, m_plot->yAxis);
    curve->setName(series.name);
    QPen pen(series.color, series.lineWidth);
    if (series.line == LineKind::Dashed) pen.setStyle(Qt::DashLine);
    const bool drawn = series.barWidth <= 0;  // bars: the curve only carries hover and clicks
    curve->setPen(series.line == LineKind::None || !drawn ? QPen(Qt::NoPen) : pen);
    curve->setLineStyle(series.line == LineKind::None || !drawn ? QCPCurve::lsNone : QCPCurve::lsLine);
    curve->setScatterStyle(drawn ? scatterStyle(series.marker, series.color) : QCPScatterStyle());
    if (!drawn) curve->removeFromLegend();
    setCurveData(curve, series);
    if (!series.inLegend) curve->removeFromLegend();
    m_curves.append(curve);
    m_drawnCounts.append(int(curve->dataCount()));
    if (series.low.size() == series.y.size() && series.high.size() == series.y.size() && !series.y.isEmpty()) {
        QVector<double> minus(series.y.size()), plus(series.y.size());
        for (int i = 0; i < series.y.size(); ++i) {
            minus[i] = std::max(0.0, series.y[i] - series.low[i]);
            plus[i] = std::max(0.0, series.high[i] - series.y[i]);
        }
        auto* bars = new QCPErrorBars(m_plot->xAxis, m_plot->yAxis);
        bars->setDataPlottable(curve);
        bars->setData(minus, plus);
        bars->setPen(QPen(series.color, 1.2));
        bars->setWhiskerWidth(7);
        bars->removeFromLegend();
    }
}

void ChartView::applyAxes() {
    m_plot->xAxis->setLabel(m_figure.xLabel);
    m_plot->yAxis->setLabel(m_figure.yLabel);
    if (m_figure.hasHeatmap) {
        const FigureHeatmap& heatmap = m_figure.heatmap;
        auto columns = QSharedPointer<QCPAxisTickerText>::create();
        for (int c = 0; c < heatmap.columnLabels.size(); ++c) columns->addTick(c, heatmap.columnLabels[c]);
        auto rows = QSharedPointer<QCPAxisTickerText>::create();
        for (int r = 0; r < heatmap.rowLabels.size(); ++r)
            rows->addTick(heatmap.rowLabels.size() - 1 - r, heatmap.rowLabels[r]);
        m_plot->xAxis->setTicker(columns);
        m_plot->yAxis->setTicker(rows);
        m_plot->xAxis->grid()->setVisible(false);
        m_plot->yAxis->grid()->setVisible(false);
        m_plot->xAxis->setRange(-0.5, std::max<qsizetype>(1, heatmap.columnLabels.size()) - 0.5);
        m_plot->yAxis->setRange(-0.5, std::max<qsizetype>(1, heatmap.rowLabels.size()) - 0.5);
        return;
    }
    if (m_figure.logX) {
        m_plot->xAxis->setScaleType(QCPAxis::stLogarithmic);
        if (m_figure.xTicks.isEmpty()) m_plot->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    }
    if (!m_figure.xTicks.isEmpty()) {
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        for (const auto& tick : m_figure.xTicks) ticker->addTick(tick.first, tick.second);
        m_plot->xAxis->setTicker(ticker);
    }
    if (!m_figure.isEmpty()) {
        m_plot->rescaleAxes();
        const QCPRange x = m_plot->xAxis->range();
        if (m_figure.logX && x.lower > 0)
            m_plot->xAxis->setRange(x.lower / 1.6, x.upper * 1.6);
        else
            m_plot->xAxis->setRange(x.lower - 0.05 * std::max(x.size(), 1.0), x.upper + 0.05 * std::max(x.size(), 1.0));
        const QCPRange y = m_plot->yAxis->range();
        const double pad = 0.06 * (y.size() > 0 ? y.size() : std::max(1.0, std::abs(y.upper)));
        m_plot->yAxis->setRange(y.lower - pad, y.upper + pad);
        for (const FigureSeries& series : m_figure.series)
            if (series.barWidth > 0 && y.lower >= 0) m_plot->yAxis->setRangeLower(0);  // bars stand on zero
    } else if (m_figure.logX) {
        m_plot->xAxis->setRange(1, 1000);
    }
    if (m_figure.fixedY) m_plot->yAxis->setRange(m_figure.yMinimum, m_figure.yMaximum);
    int legendItems = 0;
    for (const FigureSeries& series : m_figure.series) legendItems += series.inLegend ? 1 : 0;
    m_plot->legend->setVisible(legendItems > 0);
    QFont legendFont = m_plot->font();
    legendFont.setPointSizeF(legendFont.pointSizeF() - 1);
    m_plot->legend->setFont(legendFont);
    m_plot->legend->setBrush(QColor(255, 255, 255, 220));
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, m_figure.legendAlignment);
}

void ChartView::setSeriesPoints(int seriesIndex, const QVector<QPointF>& points) {
    if (seriesIndex < 0 || seriesIndex >= m_curves.size()) return;
    FigureSeries& series = m_figure.series[seriesIndex];
    series.x.resize(points.size());
    series.y.resize(points.size());
    for (int i = 0; i < points.size(); ++i) {
        series.x[i] = points[i].x();
        series.y[i] = points[i].y();
    }
    series.low.clear();
    series.high.clear();
    series.pointLabels.clear();
    setCurveData(m_curves[seriesIndex], series);
    m_drawnCounts[seriesIndex] = int(m_curves[seriesIndex]->dataCount());
    applyAxes();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

int ChartView::drawnPointCount(int seriesIndex) const { return m_drawnCounts.value(seriesIndex); }

QPair<int, int> ChartView::pointAt(const QPointF& position, double radius) const {
    QPair<int, int> best(-1, -1);
    double bestDistance = radius * radius;
    for (int s = 0; s < m_figure.series.size(); ++s) {
        const FigureSeries& series = m_figure.series[s];
        for (int i = 0; i < series.x.size(); ++i) {
            const double dx = m_plot->xAxis->coordToPixel(series.x[i]) - position.x();
            const double dy = m_plot->yAxis->coordToPixel(series.y[i]) - position.y();
            const double distance = dx * dx + dy * dy;
            if (distance <= bestDistance) {
                bestDistance = distance;
                best = {s, i};
            }
        }
    }
    return best;
}

QPointF ChartView::pixelOfPoint(int seriesIndex, int pointIndex) const {
    if (seriesIndex < 0 || seriesIndex >= m_figure.series.size()) return {};
    const FigureSeries& series = m_figure.series[seriesIndex];
    return QPointF(m_plot->xAxis->coordToPixel(series.x.value(pointIndex)),
                   m_plot->yAxis->coordToPixel(series.y.value(pointIndex)));
}

QWidget* ChartView::plotWidget() const { return m_plot; }

QString ChartView::pointText(int seriesIndex, int pointIndex) const {
    if (seriesIndex < 0 || seriesIndex >= m_figure.series.size()) return {};
    const FigureSeries& series = m_figure.series[seriesIndex];
    if (pointIndex < series.pointLabels.size()) return series.pointLabels[pointIndex];
    return QString("%1\n%2: %3\n%4: %5")
        .arg(series.name, m_figure.xLabel.isEmpty() ? "x" : m_figure.xLabel)
        .arg(series.x.value(pointIndex), 0, 'g', 6)
        .arg(m_figure.yLabel.isEmpty() ? "y" : m_figure.yLabel)
        .arg(series.y.value(pointIndex), 0, 'g', 6);
}

void ChartView::onMouseMove(QMouseEvent* event) {
    const QPointF position = event->position();
    const QPoint global = m_plot->mapToGlobal(position.toPoint());
    if (m_figure.hasHeatmap) {
        showHeatmapToolTip(position, global);
        return;
    }
    const auto [series, index] = pointAt(position);
    if (series < 0)
        QToolTip::hideText();
    else
        QToolTip::showText(global, pointText(series, index), m_plot);
}

void ChartView::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton || m_figure.hasHeatmap) return;
    const auto [series, index] = pointAt(event->position());
    if (series < 0) return;
    Q_EMIT pointClicked(series, index, m_figure.series[series].pointRunIds.value(index));
}

}  // namespace ctd::ui
