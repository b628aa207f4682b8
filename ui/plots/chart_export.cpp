// ChartView's image export: PNG and PDF through QCustomPlot, SVG through QSvgGenerator, and the
// figure's CSV beside the image.
#include "ui/plots/chart_view.h"

#include "ui/plots/figure_csv.h"
#include "ui/plots/qcustomplot_include.h"

#include <QFileInfo>
#include <QSvgGenerator>

namespace ctd::ui {

bool ChartView::saveImage(const QString& path, int width, int height, QString* error) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool saved = false;
    if (suffix == "png") {
        saved = m_plot->savePng(path, width, height);
    } else if (suffix == "pdf") {
        saved = m_plot->savePdf(path, width, height);
    } else if (suffix == "svg") {
        QSvgGenerator generator;
        generator.setFileName(path);
        generator.setSize(QSize(width, height));
        generator.setViewBox(QRect(0, 0, width, height));
        generator.setTitle(m_figure.title);
        QCPPainter painter;
        if (painter.begin(&generator)) {
            m_plot->toPainter(&painter, width, height);
            saved = painter.end();
        }
    } else {
        if (error) *error = QString("%1: unknown image format (use .png, .svg or .pdf)").arg(path);
        return false;
    }
    if (!saved || !QFileInfo::exists(path)) {
        if (error) *error = QString("%1: cannot write the figure").arg(path);
        return false;
    }
    return true;
}

bool ChartView::exportWithCsv(const QString& imagePath, int width, int height, QString* error) {
    if (!saveImage(imagePath, width, height, error)) return false;
    const QFileInfo info(imagePath);
    return writeFigureCsv(m_figure, info.path() + "/" + info.completeBaseName() + ".csv", error);
}

}  // namespace ctd::ui
