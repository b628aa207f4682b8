// Short background computations for the UI (previews, experiment plans) on their own threads,
// outside the one-at-a-time job queue. A newer call supersedes older ones: their cancel flags are
// raised and their results dropped (hotspot's job counter); the destructor cancels and waits.
#pragma once
#include <QList>
#include <QObject>
#include <QVariant>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace ctd::ui {

class BackgroundCall : public QObject {
    Q_OBJECT
public:
    // Runs on a worker thread; should return early once `cancel` is raised.
    using Work = std::function<QVariant(const std::atomic<bool>& cancel)>;

    explicit BackgroundCall(QObject* parent = nullptr);
    ~BackgroundCall() override;

    // Starts `work` and returns its generation.
    int start(Work work);
    bool isBusy() const { return m_pending; }
    int latestGeneration() const { return m_generation; }

Q_SIGNALS:
    // Only for the latest call.
    void finished(int generation, const QVariant& result);
    void busyChanged(bool busy);

private:
    void deliver(int generation, const QVariant& result);

    int m_generation = 0;
    bool m_pending = false;
    std::shared_ptr<std::atomic<bool>> m_currentCancel;
    QList<QThread*> m_threads;
};

}  // namespace ctd::ui
