// The CSV behind a figure: the builder's table when it made one, else the plotted data.
#pragma once
#include "ui/plots/figure.h"

#include <QString>

namespace ctd::ui {

QString figureCsv(const Figure& figure);
// RFC 4180 quoting: fields with commas, quotes or line breaks are quoted, quotes doubled.
QString csvField(const QString& field);
bool writeFigureCsv(const Figure& figure, const QString& path, QString* error);

}  // namespace ctd::ui
