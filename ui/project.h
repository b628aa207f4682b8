// The open project database as the UI thread sees it: one store::Database connection owned by
// the UI thread (workers open their own on the same file), plus change notifications for pages.
#pragma once
#include <QObject>
#include <QString>

#include <memory>

namespace ctd::store {
class Database;
}

namespace ctd::ui {

class Project : public QObject {
    Q_OBJECT
public:
    explicit Project(QObject* parent = nullptr);
    ~Project() override;

    // Opens (creating it when `create`) the database at `path`. Returns false with a readable
    // message in `error` instead of throwing (Tiled's loader style); the old project stays open.
    bool open(const QString& path, bool create, QString* error);
    void close();

    bool isOpen() const { return m_database != nullptr; }
    QString path() const { return m_path; }
    // The UI thread's connection; nullptr when no project is open. Never hand it to a worker.
    store::Database* database() const { return m_database.get(); }

    // Pages call this after writing (or after a worker wrote) so that other pages reload.
    void notifyChanged(const QString& what);

Q_SIGNALS:
    void opened(const QString& path);
    void closed();
    // `what` is "runs", "datasets", "mixtures" or "evaluations".
    void changed(const QString& what);

private:
    std::unique_ptr<store::Database> m_database;
    QString m_path;
};

}  // namespace ctd::ui
