// The one wrapper around QCustomPlot (included only in chart_view.cpp): draws a Figure, shows a
// point's values on hover, reports clicks with the point's run, and saves PNG, SVG or PDF
// (headless too: nothing here needs a display).
#pragma once
#include "ui/plots/figure.h"

#include <QPointF>
#include <QVector>
#include <QWidget>

class QCustomPlot;
class QCPCurve;
class QMouseEvent;
class QVBoxLayout;

namespace ctd::ui {

class ChartView : public QWidget {
    Q_OBJECT
public:
    explicit ChartView(QWidget* parent = nullptr);
    ~ChartView() override;

    // Curves longer than this are downsampled (min/max per bucket) before they are drawn.
    static constexpr int kMaximumDrawnPoints = 2000;

    void setFigure(const Figure& figure);
    const Figure& figure() const { return m_figure; }
    // Replaces one series' points (a live loss curve); points sorted by x.
    void setSeriesPoints(int seriesIndex, const QVector<QPointF>& points);
    // Points of a series as drawn (long curves are downsampled; figure() keeps every point).
    int drawnPointCount(int seriesIndex) const;

    // Format from the suffix: .png, .svg or .pdf. Width/height in pixels (points for PDF/SVG).
    bool saveImage(const QString& path, int width, int height, QString* error);
    // The figure's image and its CSV beside it (same stem, .csv).
    bool exportWithCsv(const QString& imagePath, int width, int height, QString* error);

    // Nearest drawn point within `radius` pixels of `position`: (series, index), or (-1, -1).
    QPair<int, int> pointAt(const QPointF& position, double radius = 8.0) const;
    QString pointText(int seriesIndex, int pointIndex) const;
    // Where a point is drawn, in the coordinates of plotWidget().
    QPointF pixelOfPoint(int seriesIndex, int pointIndex) const;
    QWidget* plotWidget() const;

Q_SIGNALS:
    void pointClicked(int seriesIndex, int pointIndex, qint64 runId);

private:
    void rebuild();
    void applyAxes();
    void addSeries(int index);
    void addHeatmap(int layoutRow);  // chart_heatmap.cpp
    void onMouseMove(QMouseEvent* event);
    void onMousePress(QMouseEvent* event);

    void showHeatmapToolTip(const QPointF& position, const QPoint& globalPosition);

    QVBoxLayout* m_layout = nullptr;
    QCustomPlot* m_plot = nullptr;
    QVector<QCPCurve*> m_curves;  // one per figure series
    QVector<int> m_drawnCounts;   // points drawn per series (after downsampling)
    Figure m_figure;
};

}  // namespace ctd::ui
