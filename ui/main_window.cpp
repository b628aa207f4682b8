// The workbench main window; see main_window.h.
#include "ui/main_window.h"

#include "ui/jobs/job_controller.h"
#include "ui/mixtures/mixture_previewer.h"
#include "ui/pages/data_page.h"
#include "ui/pages/experiments_page.h"
#include "ui/pages/inspect_page.h"
#include "ui/pages/mixtures_page.h"
#include "ui/pages/runs_page.h"
#include "ui/pages/tradeoffs_page.h"
#include "ui/project.h"
#include "ui/recent_databases.h"

#include "core/util/version.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>

namespace ctd::ui {

namespace {
const QStringList kPageIds = {"data", "mixtures", "runs", "experiments", "tradeoffs", "inspect"};
const char* const kDatabaseFilter = "Project databases (*.ctd *.sqlite *.db);;All files (*)";
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("Cross-Task Defense Workbench");
    m_project = new Project(this);
    m_jobs = new JobController(this);
    buildPages();
    buildDocks();
    buildMenus();
    buildStatusBar();
    connect(m_project, &Project::opened, this, &MainWindow::onProjectOpened);
    connect(m_jobs, &JobController::busyChanged, this, &MainWindow::onBusyChanged);
    connect(m_jobs, &JobController::message, this, [this](const QString& text) {
        m_log->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss  ") + text);
    });
    connect(m_jobs, &JobController::progress, this, [this](const JobProgress& progress) {
        if (progress.totalSteps <= 0) return;
        m_jobProgress->setRange(0, int(progress.totalSteps));
        m_jobProgress->setValue(int(progress.step));
    });
    resize(1200, 780);
    restoreLayout();
}

MainWindow::~MainWindow() {
    // Pages hold pointers to the controller: stop the job before they go.
    m_jobs->stopAndWait(30000);
}

QStringList MainWindow::pageIds() { return kPageIds; }

bool MainWindow::backgroundWorkPending() const {
    return m_mixturesPage->previewer()->isBusy() || m_experimentsPage->isPlanning();
}

bool MainWindow::showPage(const QString& pageId) {
    const int index = int(kPageIds.indexOf(pageId));
    if (index < 0) return false;
    m_pages->setCurrentIndex(index);
    return true;
}

QString MainWindow::currentPageId() const { return kPageIds.value(m_pages->currentIndex()); }

void MainWindow::buildPages() {
    m_pages = new QTabWidget(this);
    m_pages->setDocumentMode(true);
    m_dataPage = new DataPage(m_project);
    m_mixturesPage = new MixturesPage(m_project);
    m_runsPage = new RunsPage(m_project, m_jobs);
    m_experimentsPage = new ExperimentsPage(m_project, m_jobs);
    m_tradeoffsPage = new TradeoffsPage(m_project);
    m_inspectPage = new InspectPage(m_project);
    const QList<QWidget*> pages = {m_dataPage, m_mixturesPage, m_runsPage, m_experimentsPage, m_tradeoffsPage,
                                   m_inspectPage};
    const QStringList titles = {"Data", "Mixtures", "Runs", "Experiments", "Trade-offs", "Inspect"};
    for (int i = 0; i < pages.size(); ++i) {
        pages[i]->setObjectName(kPageIds[i]);
        m_pages->addTab(pages[i], titles[i]);
    }
    setCentralWidget(m_pages);
    connect(m_tradeoffsPage, &TradeoffsPage::openRunRequested, this, &MainWindow::openRunInInspect);
}

void MainWindow::buildMenus() {
    QMenu* fileMenu = menuBar()->addMenu("&File");
    QAction* newAction = fileMenu->addAction("&New Project Database...", this, &MainWindow::newDatabase);
    newAction->setShortcut(QKeySequence::New);
    QAction* openAction = fileMenu->addAction("&Open Project Database...", this, &MainWindow::openDatabaseDialog);
    openAction->setShortcut(QKeySequence::Open);
    m_recentMenu = fileMenu->addMenu("Open &Recent");
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    fileMenu->addSeparator();
    QAction* closeAction = fileMenu->addAction("&Close Project", m_project, &Project::close);
    closeAction->setShortcut(QKeySequence::Close);
    fileMenu->addSeparator();
    QAction* quit = fileMenu->addAction("&Quit", this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* viewMenu = menuBar()->addMenu("&View");
    const QStringList titles = {"&Data", "&Mixtures", "&Runs", "&Experiments", "&Trade-offs", "&Inspect"};
    for (int i = 0; i < kPageIds.size(); ++i) {
        QAction* action = viewMenu->addAction(titles[i], this, [this, i] { m_pages->setCurrentIndex(i); });
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
    }
    viewMenu->addSeparator();
    viewMenu->addAction(m_logDock->toggleViewAction());
    QAction* fullScreen = viewMenu->addAction("&Full Screen", this, [this] {
        isFullScreen() ? showNormal() : showFullScreen();
    });
    fullScreen->setShortcut(QKeySequence::FullScreen);

    QMenu* jobMenu = menuBar()->addMenu("&Job");
    // No shortcut on purpose: Escape is too easy to press while a long run trains.
    QAction* cancel = jobMenu->addAction("&Cancel Running Job", m_jobs, &JobController::cancel);
    cancel->setEnabled(false);
    connect(m_jobs, &JobController::busyChanged, cancel, &QAction::setEnabled);

    QMenu* helpMenu = menuBar()->addMenu("&Help");
    QAction* about = helpMenu->addAction("&About", this, [this] {
        QMessageBox::about(this, "About the Cross-Task Defense Workbench", QString::fromStdString(ctd::versionReport()));
    });
    about->setShortcut(QKeySequence::HelpContents);
}

void MainWindow::buildDocks() {
    m_logDock = new QDockWidget("Job Log", this);
    m_logDock->setObjectName("jobLogDock");
    m_log = new QPlainTextEdit(m_logDock);
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_logDock->setWidget(m_log);
    addDockWidget(Qt::BottomDockWidgetArea, m_logDock);
    m_logDock->hide();
}

void MainWindow::buildStatusBar() {
    m_databaseLabel = new QLabel("No project database open", this);
    m_jobLabel = new QLabel(this);
    m_jobProgress = new QProgressBar(this);
    m_jobProgress->setMaximumWidth(160);
    m_jobProgress->setTextVisible(false);
    m_jobProgress->hide();
    statusBar()->addWidget(m_databaseLabel, 1);
    statusBar()->addPermanentWidget(m_jobLabel);
    statusBar()->addPermanentWidget(m_jobProgress);
    m_jobLabel->setText(QString::fromStdString("libtorch " + ctd::torchVersion()) +
                        (ctd::cudaUsable() ? ", CUDA" : ", CPU only"));
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList recent = RecentDatabases::list();
    for (const QString& path : recent) {
        m_recentMenu->addAction(QFileInfo(path).fileName() + "   " + QFileInfo(path).path(), this, [this, path] {
            QString error;
            if (!openDatabase(path, false, &error)) QMessageBox::warning(this, "Cannot open the database", error);
        });
    }
    if (recent.isEmpty()) m_recentMenu->addAction("(none)")->setEnabled(false);
    m_recentMenu->addSeparator();
    m_recentMenu->addAction("Clear List", this, [] { RecentDatabases::clear(); });
}

bool MainWindow::openDatabase(const QString& path, bool create, QString* error) {
    if (m_jobs->isBusy()) {
        if (error) *error = "A job is running; cancel it before switching projects.";
        return false;
    }
    QString message;
    if (!m_project->open(path, create, &message)) {
        if (error) *error = message;
        return false;
    }
    return true;
}

void MainWindow::newDatabase() {
    const QString path = QFileDialog::getSaveFileName(this, "New project database", "project.ctd", kDatabaseFilter);
    if (path.isEmpty()) return;
    QString error;
    if (!openDatabase(path, true, &error)) QMessageBox::warning(this, "Cannot create the database", error);
}

void MainWindow::openDatabaseDialog() {
    const QString path = QFileDialog::getOpenFileName(this, "Open project database", QString(), kDatabaseFilter);
    if (path.isEmpty()) return;
    QString error;
    if (!openDatabase(path, false, &error)) QMessageBox::warning(this, "Cannot open the database", error);
}

void MainWindow::openRunInInspect(qint64 runId) {
    m_inspectPage->showRun(runId);
    showPage("inspect");
}

void MainWindow::onProjectOpened(const QString& path) {
    RecentDatabases::add(path);
    m_databaseLabel->setText(path);
    setWindowTitle(QFileInfo(path).fileName() + " - Cross-Task Defense Workbench");
}

void MainWindow::onBusyChanged(bool busy, const QString& description) {
    m_jobLabel->setText(busy ? description : QString("Idle"));
    m_jobProgress->setVisible(busy);
    if (busy) {
        m_jobProgress->setRange(0, 0);
        m_log->appendPlainText(QDateTime::currentDateTime().toString("HH:mm:ss  ") + description);
    }
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_jobs->isBusy()) {
        if (m_confirmStopOnClose) {
            const auto answer = QMessageBox::question(
                this, "Stop the running job?",
                QString("%1 is still running.\n\nStop it and quit? The run is checkpointed and can be resumed later.")
                    .arg(m_jobs->activeDescription()),
                QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
            if (answer != QMessageBox::Yes) {
                event->ignore();
                return;
            }
        }
        statusBar()->showMessage("Stopping the running job...");
        m_jobs->stopAndWait();
    }
    saveLayout();
    event->accept();
}

void MainWindow::restoreLayout() {
    QSettings settings;
    restoreGeometry(settings.value("mainWindow/geometry").toByteArray());
    restoreState(settings.value("mainWindow/state").toByteArray());
    m_pages->setCurrentIndex(settings.value("mainWindow/page", 2).toInt());
}

void MainWindow::saveLayout() {
    QSettings settings;
    settings.setValue("mainWindow/geometry", saveGeometry());
    settings.setValue("mainWindow/state", saveState());
    settings.setValue("mainWindow/page", m_pages->currentIndex());
}

}  // namespace ctd::ui
