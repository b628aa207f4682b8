// Headless export of every trade-off figure with its CSV.
#include "ui/figures/figure_export.h"

#include "ui/figures/figure_builders.h"
#include "ui/figures/tradeoff_data.h"
#include "ui/plots/chart_view.h"
#include "ui/plots/figure_csv.h"

#include "core/store/database.h"

#include <QDir>
#include <QFileInfo>

#include <exception>
#include <memory>

namespace ctd::ui {

bool exportFigures(const QString& databasePath, const QString& outputDirectory, const FigureExportOptions& options,
                   QStringList* written, QString* error) {
    auto fail = [error](const QString& message) {
        if (error) *error = message;
        return false;
    };
    if (!QFileInfo(databasePath).isFile()) return fail(QString("%1: no such database file").arg(databasePath));
    if (!QDir().mkpath(outputDirectory)) return fail(QString("%1: cannot create the folder").arg(outputDirectory));

    TradeoffData data;
    try {
        store::Database database(databasePath.toStdString());
        QString message;
        if (!loadTradeoffData(database, "per-task", &data, &message)) return fail(message);
    } catch (const std::exception& failure) {
        return fail(QString::fromStdString(failure.what()));
    }

    const QDir directory(outputDirectory);
    for (const Figure& figure : allTradeoffFigures(data)) {
        ChartView view;
        view.resize(options.width, options.height);
        view.setFigure(figure);
        for (const QString& format : options.formats) {
            const QString path = directory.filePath(figure.id + "." + format);
            QString message;
            if (!view.saveImage(path, options.width, options.height, &message)) return fail(message);
            if (written) *written << path;
        }
        const QString csvPath = directory.filePath(figure.id + ".csv");
        QString message;
        if (!writeFigureCsv(figure, csvPath, &message)) return fail(message);
        if (written) *written << csvPath;
    }
    return true;
}

}  // namespace ctd::ui
