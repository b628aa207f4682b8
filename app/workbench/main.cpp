// `ctd-workbench`: the GUI. Headless modes render with the offscreen platform:
//   ctd-workbench --screenshot PAGE OUT.png [--db DB]
//   ctd-workbench --export-figures DB OUTDIR
#include "ui/figures/figure_export.h"
#include "ui/main_window.h"
#include "ui/recent_databases.h"
#include "ui/screenshot.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

void printError(const QString& message) { std::fprintf(stderr, "ctd-workbench: %s\n", qPrintable(message)); }

}  // namespace

int main(int argc, char** argv) {
    bool headless = false;
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--screenshot") == 0 || std::strcmp(argv[i], "--export-figures") == 0)
            headless = true;
    if (headless && !std::getenv("QT_QPA_PLATFORM")) setenv("QT_QPA_PLATFORM", "offscreen", 1);

    QApplication application(argc, argv);
    QApplication::setOrganizationName("ctd");
    QApplication::setApplicationName("ctd-workbench");
    QCommandLineParser parser;
    parser.setApplicationDescription("Cross-Task Defense Workbench");
    parser.addHelpOption();
    parser.addOption({"db", "Open the project database DB.", "DB"});
    parser.addOption({"screenshot", "Render PAGE (" + ctd::ui::MainWindow::pageIds().join(", ") +
                                        ") to a PNG file and exit.", "PAGE"});
    parser.addOption({"export-figures", "Export every figure of DB as PNG and SVG with its CSV into OUTDIR and exit.",
                      "DB"});
    parser.addPositionalArgument("output", "OUT.png for --screenshot, OUTDIR for --export-figures.");
    parser.process(application);
    const QStringList positional = parser.positionalArguments();

    if (parser.isSet("export-figures")) {
        if (positional.size() != 1) {
            printError("usage: ctd-workbench --export-figures DB OUTDIR");
            return 2;
        }
        QStringList written;
        QString error;
        if (!ctd::ui::exportFigures(parser.value("export-figures"), positional.first(), {}, &written, &error)) {
            printError(error);
            return 1;
        }
        for (const QString& file : written) std::printf("%s\n", qPrintable(file));
        return 0;
    }
    if (parser.isSet("screenshot")) {
        if (positional.size() != 1) {
            printError("usage: ctd-workbench --screenshot PAGE OUT.png [--db DB]");
            return 2;
        }
        QString error;
        if (!ctd::ui::renderScreenshot(parser.value("screenshot"), positional.first(), parser.value("db"), &error)) {
            printError(error);
            return 1;
        }
        return 0;
    }

    ctd::ui::MainWindow window;
    const QString database = parser.isSet("db") ? parser.value("db") : ctd::ui::RecentDatabases::last();
    window.show();
    if (!database.isEmpty()) {
        QString error;
        if (!window.openDatabase(database, parser.isSet("db"), &error))
            QMessageBox::warning(&window, "Cannot open the database", error);
    }
    return application.exec();
}
