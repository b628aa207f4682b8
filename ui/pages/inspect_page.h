// The Inspect page (placeholder until its issue part lands).
#pragma once
#include <QWidget>

namespace ctd::ui {

class Project;

class InspectPage : public QWidget {
    Q_OBJECT
public:
    explicit InspectPage(Project* project, QWidget* parent = nullptr);
    void showRun(qint64 runId);

private:
    Project* m_project;
};

}  // namespace ctd::ui
