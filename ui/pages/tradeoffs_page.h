// The Trade-offs page (placeholder until its issue part lands).
#pragma once
#include <QWidget>

namespace ctd::ui {

class Project;

class TradeoffsPage : public QWidget {
    Q_OBJECT
public:
    explicit TradeoffsPage(Project* project, QWidget* parent = nullptr);

Q_SIGNALS:
    void openRunRequested(qint64 runId);

private:
    Project* m_project;
};

}  // namespace ctd::ui
