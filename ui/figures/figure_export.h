// Headless figure export (`ctd-workbench --export-figures DB OUTDIR`): every trade-off figure of
// the project as PNG and SVG, each with the CSV behind it.
#pragma once
#include <QString>
#include <QStringList>

namespace ctd::ui {

struct FigureExportOptions {
    int width = 900;
    int height = 600;
    QStringList formats = {"png", "svg"};
};

// Reads the project database (read-only use), builds the figures and writes
// OUTDIR/<figure>.{png,svg,csv}. Needs a QApplication (offscreen is fine). `written` lists the
// files. False with a readable `error` (the database cannot be opened, OUTDIR cannot be written).
bool exportFigures(const QString& databasePath, const QString& outputDirectory, const FigureExportOptions& options,
                   QStringList* written, QString* error);

}  // namespace ctd::ui
