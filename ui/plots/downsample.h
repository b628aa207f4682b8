// Downsampling long curves before they reach the plot (heaptrack style): min/max per bucket
// keeps spikes visible (a NaN-free loss curve of 100k steps draws from a few thousand points).
#pragma once
#include <QPointF>
#include <QVector>

namespace ctd::ui {

// Points sorted by x. Returns at most about `maximumPoints` points (the first and last kept,
// and each bucket's minimum and maximum y in x order); shorter input comes back unchanged.
QVector<QPointF> downsampleMinMax(const QVector<QPointF>& points, int maximumPoints);

}  // namespace ctd::ui
