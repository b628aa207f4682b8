// The workbench main window (minimal shell; pages grow in the GUI issue).
#include "ui/main_window.h"

#include "core/util/version.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QTabWidget>

namespace ctd::ui {

namespace {
const QStringList kPageIds = {"data", "mixtures", "runs", "experiments", "tradeoffs", "inspect"};
const QStringList kPageTitles = {"Data", "Mixtures", "Runs", "Experiments", "Trade-offs", "Inspect"};
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("Cross-Task Defense Workbench");
    m_pages = new QTabWidget(this);
    for (int i = 0; i < kPageIds.size(); ++i) {
        auto* placeholder = new QLabel(kPageTitles[i] + ": open a project database to begin.");
        placeholder->setAlignment(Qt::AlignCenter);
        placeholder->setObjectName(kPageIds[i]);
        m_pages->addTab(placeholder, kPageTitles[i]);
    }
    setCentralWidget(m_pages);
    buildMenus();
    statusBar()->showMessage(QString::fromStdString("libtorch " + ctd::torchVersion()) +
                             (ctd::cudaUsable() ? ", CUDA usable" : ", CPU only"));
    resize(1100, 720);
}

QStringList MainWindow::pageIds() { return kPageIds; }

bool MainWindow::showPage(const QString& pageId) {
    const int index = kPageIds.indexOf(pageId);
    if (index < 0) return false;
    m_pages->setCurrentIndex(index);
    return true;
}

void MainWindow::buildMenus() {
    QMenu* fileMenu = menuBar()->addMenu("&File");
    QAction* quit = fileMenu->addAction("&Quit");
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    QMenu* helpMenu = menuBar()->addMenu("&Help");
    QAction* about = helpMenu->addAction("&About");
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, "About", QString::fromStdString(ctd::versionReport()));
    });
}

}  // namespace ctd::ui
