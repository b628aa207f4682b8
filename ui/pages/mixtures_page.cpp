// The Mixtures page (placeholder).
#include "ui/pages/mixtures_page.h"

#include <QLabel>
#include <QVBoxLayout>

namespace ctd::ui {

MixturesPage::MixturesPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel("Mixtures: open a project database to begin."), 0, Qt::AlignCenter);
}

}  // namespace ctd::ui
