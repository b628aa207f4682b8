// The Data page (placeholder until its issue part lands).
#pragma once
#include <QWidget>

namespace ctd::ui {

class Project;

class DataPage : public QWidget {
    Q_OBJECT
public:
    explicit DataPage(Project* project, QWidget* parent = nullptr);

private:
    Project* m_project;
};

}  // namespace ctd::ui
