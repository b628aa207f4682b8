// The workbench main window: the project database (File > New / Open / Open Recent), six pages
// (data, mixtures, runs, experiments, tradeoffs, inspect), the job status in the status bar, a
// job log dock, and window/dock layout restored from QSettings.
#pragma once
#include <QMainWindow>
#include <QString>
#include <QStringList>

class QTabWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QDockWidget;

namespace ctd::ui {

class Project;
class JobController;
class DataPage;
class MixturesPage;
class RunsPage;
class ExperimentsPage;
class TradeoffsPage;
class InspectPage;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Page ids as used on the command line: data, mixtures, runs, experiments, tradeoffs, inspect.
    static QStringList pageIds();
    bool showPage(const QString& pageId);
    QString currentPageId() const;

    // Opens (or creates) a project database; shows no dialog. False with `error` on failure.
    bool openDatabase(const QString& path, bool create, QString* error = nullptr);
    // Asks before closing while a job runs (off for tests and headless modes).
    void setConfirmStopOnClose(bool confirm) { m_confirmStopOnClose = confirm; }

    // Previews still computing in the background (screenshots wait for them).
    bool backgroundWorkPending() const;

    Project* project() const { return m_project; }
    JobController* jobs() const { return m_jobs; }
    RunsPage* runsPage() const { return m_runsPage; }
    InspectPage* inspectPage() const { return m_inspectPage; }
    TradeoffsPage* tradeoffsPage() const { return m_tradeoffsPage; }

public Q_SLOTS:
    void newDatabase();
    void openDatabaseDialog();
    void openRunInInspect(qint64 runId);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildPages();
    void buildMenus();
    void buildDocks();
    void buildStatusBar();
    void rebuildRecentMenu();
    void onProjectOpened(const QString& path);
    void onBusyChanged(bool busy, const QString& description);
    void restoreLayout();
    void saveLayout();

    Project* m_project = nullptr;
    JobController* m_jobs = nullptr;
    QTabWidget* m_pages = nullptr;
    DataPage* m_dataPage = nullptr;
    MixturesPage* m_mixturesPage = nullptr;
    RunsPage* m_runsPage = nullptr;
    ExperimentsPage* m_experimentsPage = nullptr;
    TradeoffsPage* m_tradeoffsPage = nullptr;
    InspectPage* m_inspectPage = nullptr;
    QMenu* m_recentMenu = nullptr;
    QDockWidget* m_logDock = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QLabel* m_databaseLabel = nullptr;
    QLabel* m_jobLabel = nullptr;
    QProgressBar* m_jobProgress = nullptr;
    bool m_confirmStopOnClose = true;
};

}  // namespace ctd::ui
