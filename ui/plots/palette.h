// Colour-blind-safe styling (Okabe-Ito palette): model families differ by colour AND marker
// shape, so Llama1 and Llama2 runs stay apart in grey-scale prints too.
#pragma once
#include "ui/plots/figure.h"

#include <QColor>
#include <QString>

namespace ctd::ui {

// The eight Okabe-Ito colours, black last (index wraps).
QColor okabeItoColor(int index);

struct SeriesStyle {
    QColor color;
    MarkerShape marker = MarkerShape::Circle;
    LineKind line = LineKind::Solid;
};

// llama1: vermillion circles, solid; llama2: blue squares, dashed; others cycle the rest.
SeriesStyle familyStyle(const QString& family);
// A distinct colour per task name (stable across figures).
QColor taskColor(const QString& task);
// "Llama1" for "llama1", the name itself otherwise; "(no family)" for "".
QString familyTitle(const QString& family);

}  // namespace ctd::ui
