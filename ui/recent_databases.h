// The most recently opened project databases, remembered in QSettings for File > Open Recent.
#pragma once
#include <QStringList>

namespace ctd::ui {

class RecentDatabases {
public:
    static constexpr int kMaximum = 8;

    // Most recent first; entries whose file vanished are dropped.
    static QStringList list();
    // Moves `path` (made absolute) to the front.
    static void add(const QString& path);
    static void remove(const QString& path);
    static void clear();
    // The database to reopen at start-up, if it still exists; empty otherwise.
    static QString last();
};

}  // namespace ctd::ui
