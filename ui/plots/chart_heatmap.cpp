// ChartView's heatmap: a QCPColorMap with a colour-blind-safe ramp, values written in the
// cells, a colour scale, and tool tips naming the row, column and value.
#include "ui/plots/chart_view.h"

#include "ui/plots/qcustomplot_include.h"

#include <QToolTip>

#include <cmath>

namespace ctd::ui {

namespace {

// A perceptually ordered, colour-blind-safe ramp (viridis stops); QCustomPlot 2.1 ships none.
QCPColorGradient viridis() {
    QCPColorGradient gradient;
    gradient.clearColorStops();
    gradient.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
    gradient.setColorStopAt(0.25, QColor(0x3B, 0x52, 0x8B));
    gradient.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8C));
    gradient.setColorStopAt(0.75, QColor(0x5E, 0xC9, 0x62));
    gradient.setColorStopAt(1.0, QColor(0xFD, 0xE7, 0x25));
    gradient.setNanHandling(QCPColorGradient::nhNanColor);
    gradient.setNanColor(QColor(0xDD, 0xDD, 0xDD));
    return gradient;
}

QCPRange cellRange(int cells) { return cells > 1 ? QCPRange(0, cells - 1) : QCPRange(-0.5, 0.5); }

}  // namespace

void ChartView::addHeatmap(int layoutRow) {
    const FigureHeatmap& heatmap = m_figure.heatmap;
    const int columns = int(heatmap.columnLabels.size()), rows = int(heatmap.rowLabels.size());
    if (columns == 0 || rows == 0) return;
    auto* map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    map->data()->setSize(columns, rows);
    map->data()->setRange(cellRange(columns), cellRange(rows));
    map->setInterpolate(false);
    map->removeFromLegend();
    const double span = heatmap.maximum - heatmap.minimum;
    for (int row = 0; row < rows; ++row) {
        for (int column = 0; column < columns; ++column) {
            const double value = heatmap.value(row, column);
            const int y = rows - 1 - row;  // the first row at the top
            map->data()->setCell(column, y, value);
            auto* text = new QCPItemText(m_plot);
            text->position->setCoords(column, y);
            text->setText(std::isnan(value) ? QString("n/a")
                          : heatmap.showValuesAsPercent ? QString::number(100.0 * value, 'f', 0) + "%"
                                                        : QString::number(value, 'g', 3));
            const double level = span > 0 && !std::isnan(value) ? (value - heatmap.minimum) / span : 0.0;
            text->setColor(level > 0.6 || std::isnan(value) ? Qt::black : Qt::white);
        }
    }
    auto* scale = new QCPColorScale(m_plot);
    m_plot->plotLayout()->addElement(layoutRow, 1, scale);
    scale->axis()->setLabel(heatmap.valueLabel);
    // Linking hands the scale's gradient and range to the map: set them afterwards.
    map->setColorScale(scale);
    scale->setGradient(viridis());
    scale->setDataRange(QCPRange(heatmap.minimum, heatmap.maximum));
    auto* group = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
}

void ChartView::showHeatmapToolTip(const QPointF& position, const QPoint& globalPosition) {
    const FigureHeatmap& heatmap = m_figure.heatmap;
    const int column = int(std::lround(m_plot->xAxis->pixelToCoord(position.x())));
    const int y = int(std::lround(m_plot->yAxis->pixelToCoord(position.y())));
    const int row = int(heatmap.rowLabels.size()) - 1 - y;
    if (column < 0 || column >= heatmap.columnLabels.size() || row < 0 || row >= heatmap.rowLabels.size()) {
        QToolTip::hideText();
        return;
    }
    const double value = heatmap.value(row, column);
    QToolTip::showText(globalPosition,
                       QString("%1 / %2\n%3: %4")
                           .arg(heatmap.rowLabels[row], heatmap.columnLabels[column], heatmap.valueLabel,
                                std::isnan(value) ? QString("no data") : QString::number(value, 'g', 4)),
                       m_plot);
}

}  // namespace ctd::ui
