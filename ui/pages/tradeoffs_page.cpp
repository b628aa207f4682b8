// The Trade-offs page (placeholder).
#include "ui/pages/tradeoffs_page.h"

#include <QLabel>
#include <QVBoxLayout>

namespace ctd::ui {

TradeoffsPage::TradeoffsPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel("Trade-offs: open a project database to begin."), 0, Qt::AlignCenter);
}

}  // namespace ctd::ui
