// The workbench main window: pages for data, mixtures, runs, experiments, trade-offs, inspect.
#pragma once
#include <QMainWindow>
#include <QString>

class QTabWidget;

namespace ctd::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    // Page ids as used on the command line: data, mixtures, runs, experiments, tradeoffs, inspect.
    static QStringList pageIds();
    bool showPage(const QString& pageId);

private:
    void buildMenus();
    QTabWidget* m_pages = nullptr;
};

}  // namespace ctd::ui
