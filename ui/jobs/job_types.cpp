// Formatting helpers for job progress.
#include "ui/jobs/job_types.h"

#include <cmath>

namespace ctd::ui {

QString formatDuration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return {};
    const qint64 total = static_cast<qint64>(std::llround(seconds));
    const qint64 hours = total / 3600, minutes = (total / 60) % 60, rest = total % 60;
    if (hours > 0) return QString("%1:%2:%3").arg(hours).arg(minutes, 2, 10, QChar('0')).arg(rest, 2, 10, QChar('0'));
    return QString("%1:%2").arg(minutes).arg(rest, 2, 10, QChar('0'));
}

}  // namespace ctd::ui
