// Headless page screenshots: the window at a fixed size, events processed until plots replot.
#include "ui/screenshot.h"

#include "ui/main_window.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QPixmap>

namespace ctd::ui {

bool renderScreenshot(const QString& pageId, const QString& outputPath, const QString& databasePath, QString* error) {
    MainWindow window;
    window.setConfirmStopOnClose(false);
    if (!window.showPage(pageId)) {
        if (error)
            *error = QString("unknown page '%1' (expected one of: %2)").arg(pageId, MainWindow::pageIds().join(", "));
        return false;
    }
    if (!databasePath.isEmpty()) {
        QString message;
        if (!window.openDatabase(databasePath, false, &message)) {
            if (error) *error = message;
            return false;
        }
        window.showPage(pageId);
    }
    window.resize(1280, 800);
    window.show();
    // Let layouts settle and queued replots run.
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < 300 || (window.backgroundWorkPending() && timer.elapsed() < 20000))
        QApplication::processEvents(QEventLoop::AllEvents, 50);
    timer.restart();
    while (timer.elapsed() < 200) QApplication::processEvents(QEventLoop::AllEvents, 50);
    if (!window.grab().save(outputPath)) {
        if (error) *error = QString("%1: cannot write the screenshot").arg(outputPath);
        return false;
    }
    return true;
}

}  // namespace ctd::ui
