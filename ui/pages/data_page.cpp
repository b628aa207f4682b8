// The Data page (placeholder).
#include "ui/pages/data_page.h"

#include <QLabel>
#include <QVBoxLayout>

namespace ctd::ui {

DataPage::DataPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel("Data: open a project database to begin."), 0, Qt::AlignCenter);
}

}  // namespace ctd::ui
