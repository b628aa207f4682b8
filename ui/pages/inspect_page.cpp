// The Inspect page (placeholder).
#include "ui/pages/inspect_page.h"

#include <QLabel>
#include <QVBoxLayout>

namespace ctd::ui {

InspectPage::InspectPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel("Inspect: open a project database to begin."), 0, Qt::AlignCenter);
}

void InspectPage::showRun(qint64) {}

}  // namespace ctd::ui
