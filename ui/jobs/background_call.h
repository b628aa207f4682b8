// Short background computations for the UI (previews, experiment plans) on their own threads,
// outside the one-at-a-time job queue. A newer call supersedes older ones: their cancel flags are
// raised and their results dropped (hotspot's job counter); the destructor cancels and joins.
// Results come back through a Mailbox (std::thread + mutex: ordering ThreadSanitizer can check).
#pragma once
#include <QObject>
#include <QVariant>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <thread>

namespace ctd::ui {

class Mailbox;

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
    void join(int generation);

    int m_generation = 0;
    bool m_pending = false;
    std::shared_ptr<std::atomic<bool>> m_currentCancel;
    Mailbox* m_mailbox = nullptr;
    std::map<int, std::thread> m_threads;  // by generation; each posts its own join when done
};

}  // namespace ctd::ui
