// Min/max bucket downsampling.
#include "ui/plots/downsample.h"

#include <algorithm>

namespace ctd::ui {

QVector<QPointF> downsampleMinMax(const QVector<QPointF>& points, int maximumPoints) {
    const int count = int(points.size());
    if (maximumPoints < 4 || count <= maximumPoints) return points;
    const int buckets = (maximumPoints - 2) / 2;
    QVector<QPointF> out;
    out.reserve(buckets * 2 + 2);
    out.append(points.first());
    const int inner = count - 2;
    for (int bucket = 0; bucket < buckets; ++bucket) {
        const int begin = 1 + int(qint64(inner) * bucket / buckets);
        const int end = 1 + int(qint64(inner) * (bucket + 1) / buckets);
        if (begin >= end) continue;
        int low = begin, high = begin;
        for (int i = begin; i < end; ++i) {
            if (points[i].y() < points[low].y()) low = i;
            if (points[i].y() > points[high].y()) high = i;
        }
        out.append(points[std::min(low, high)]);
        if (low != high) out.append(points[std::max(low, high)]);
    }
    out.append(points.last());
    return out;
}

}  // namespace ctd::ui
