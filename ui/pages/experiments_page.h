// The Experiments page (placeholder until its issue part lands).
#pragma once
#include <QWidget>

namespace ctd::ui {

class JobController;
class Project;

class ExperimentsPage : public QWidget {
    Q_OBJECT
public:
    ExperimentsPage(Project* project, JobController* jobs, QWidget* parent = nullptr);

private:
    Project* m_project;
    JobController* m_jobs;
};

}  // namespace ctd::ui
