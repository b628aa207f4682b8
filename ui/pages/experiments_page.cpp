// The Experiments page (placeholder).
#include "ui/pages/experiments_page.h"

#include <QLabel>
#include <QVBoxLayout>

namespace ctd::ui {

ExperimentsPage::ExperimentsPage(Project* project, JobController* jobs, QWidget* parent)
    : QWidget(parent), m_project(project), m_jobs(jobs) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel("Experiments: open a project database to begin."), 0, Qt::AlignCenter);
}

}  // namespace ctd::ui
