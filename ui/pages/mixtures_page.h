// The Mixtures page (placeholder until its issue part lands).
#pragma once
#include <QWidget>

namespace ctd::ui {

class Project;

class MixturesPage : public QWidget {
    Q_OBJECT
public:
    explicit MixturesPage(Project* project, QWidget* parent = nullptr);

private:
    Project* m_project;
};

}  // namespace ctd::ui
