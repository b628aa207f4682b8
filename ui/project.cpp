// Opening and closing the project database on the UI thread.
#include "ui/project.h"

#include "core/store/database.h"

#include <QFileInfo>

#include <exception>

namespace ctd::ui {

Project::Project(QObject* parent) : QObject(parent) {}

Project::~Project() = default;

bool Project::open(const QString& path, bool create, QString* error) {
    const QFileInfo info(path);
    if (!create && !info.exists()) {
        if (error) *error = QString("%1: no such file").arg(path);
        return false;
    }
    if (info.exists() && !info.isFile()) {
        if (error) *error = QString("%1: not a file").arg(path);
        return false;
    }
    std::unique_ptr<store::Database> database;
    try {
        database = std::make_unique<store::Database>(info.absoluteFilePath().toStdString());
    } catch (const std::exception& failure) {
        if (error) *error = QString::fromStdString(failure.what());
        return false;
    }
    close();
    m_database = std::move(database);
    m_path = info.absoluteFilePath();
    Q_EMIT opened(m_path);
    return true;
}

void Project::close() {
    if (!m_database) return;
    m_database.reset();
    m_path.clear();
    Q_EMIT closed();
}

void Project::notifyChanged(const QString& what) { Q_EMIT changed(what); }

}  // namespace ctd::ui
