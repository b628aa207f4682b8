// `ctd-workbench`: the GUI. Headless modes (--screenshot) render with the offscreen platform.
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QPixmap>

#include <cstdio>
#include <cstdlib>
#include <cstring>

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
    parser.addHelpOption();
    parser.addOption({"screenshot", "Render PAGE to a PNG file and exit.", "PAGE"});
    parser.addPositionalArgument("out", "Output file for --screenshot.");
    parser.process(application);

    ctd::ui::MainWindow window;
    if (parser.isSet("screenshot")) {
        const QString page = parser.value("screenshot");
        if (parser.positionalArguments().isEmpty()) {
            std::fprintf(stderr, "ctd-workbench: --screenshot needs an output file\n");
            return 2;
        }
        if (!window.showPage(page)) {
            std::fprintf(stderr, "ctd-workbench: unknown page '%s' (expected one of: %s)\n",
                         qPrintable(page), qPrintable(ctd::ui::MainWindow::pageIds().join(", ")));
            return 2;
        }
        window.show();
        QApplication::processEvents();
        if (!window.grab().save(parser.positionalArguments().first())) {
            std::fprintf(stderr, "ctd-workbench: cannot write %s\n", qPrintable(parser.positionalArguments().first()));
            return 1;
        }
        return 0;
    }
    window.show();
    return application.exec();
}
