// Writes the table behind a figure as CSV.
#include "ui/plots/figure_csv.h"

#include <QFile>
#include <QSaveFile>

#include <cmath>

namespace ctd::ui {

namespace {

QString number(double value) { return std::isnan(value) ? QString() : QString::number(value, 'g', 10); }

void appendRow(QString& out, const QStringList& fields) {
    QStringList quoted;
    quoted.reserve(fields.size());
    for (const QString& field : fields) quoted << csvField(field);
    out += quoted.join(',') + "\r\n";
}

}  // namespace

bool Figure::isEmpty() const {
    if (hasHeatmap) return heatmap.values.isEmpty();
    for (const FigureSeries& s : series)
        if (!s.x.isEmpty()) return false;
    return true;
}

QString csvField(const QString& field) {
    if (!field.contains(QChar(',')) && !field.contains(QChar('"')) && !field.contains(QChar('\n')) &&
        !field.contains(QChar('\r')))
        return field;
    QString escaped = field;
    escaped.replace("\"", "\"\"");
    return "\"" + escaped + "\"";
}

QString figureCsv(const Figure& figure) {
    QString out;
    if (!figure.csvHeader.isEmpty()) {
        appendRow(out, figure.csvHeader);
        for (const QStringList& row : figure.csvRows) appendRow(out, row);
        return out;
    }
    if (figure.hasHeatmap) {
        appendRow(out, {"row", "column", "value"});
        const FigureHeatmap& map = figure.heatmap;
        for (int row = 0; row < map.rowLabels.size(); ++row)
            for (int column = 0; column < map.columnLabels.size(); ++column)
                appendRow(out, {map.rowLabels[row], map.columnLabels[column], number(map.value(row, column))});
        return out;
    }
    appendRow(out, {"series", "x", "y", "low", "high", "run_id"});
    for (const FigureSeries& s : figure.series) {
        for (int i = 0; i < s.x.size(); ++i) {
            appendRow(out, {s.name, number(s.x[i]), number(s.y.value(i)),
                            i < s.low.size() ? number(s.low[i]) : QString(),
                            i < s.high.size() ? number(s.high[i]) : QString(),
                            s.pointRunIds.value(i) ? QString::number(s.pointRunIds[i]) : QString()});
        }
    }
    return out;
}

bool writeFigureCsv(const Figure& figure, const QString& path, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) *error = QString("%1: cannot write: %2").arg(path, file.errorString());
        return false;
    }
    file.write(figureCsv(figure).toUtf8());
    if (!file.commit()) {
        if (error) *error = QString("%1: cannot write: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

}  // namespace ctd::ui
