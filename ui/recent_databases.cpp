// Recent project databases in QSettings ("recentDatabases"), most recent first.
#include "ui/recent_databases.h"

#include <QFileInfo>
#include <QSettings>

namespace ctd::ui {

namespace {
const char* const kKey = "recentDatabases";

QStringList stored() { return QSettings().value(kKey).toStringList(); }
void store(const QStringList& paths) { QSettings().setValue(kKey, paths); }
}  // namespace

QStringList RecentDatabases::list() {
    QStringList existing;
    for (const QString& path : stored())
        if (QFileInfo::exists(path) && !existing.contains(path)) existing << path;
    return existing.mid(0, kMaximum);
}

void RecentDatabases::add(const QString& path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList paths = stored();
    paths.removeAll(absolute);
    paths.prepend(absolute);
    store(paths.mid(0, kMaximum));
}

void RecentDatabases::remove(const QString& path) {
    QStringList paths = stored();
    paths.removeAll(QFileInfo(path).absoluteFilePath());
    store(paths);
}

void RecentDatabases::clear() { store({}); }

QString RecentDatabases::last() {
    const QStringList paths = list();
    return paths.isEmpty() ? QString() : paths.first();
}

}  // namespace ctd::ui
