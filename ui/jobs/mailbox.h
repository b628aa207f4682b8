// Hands closures from worker threads to the thread that owns the mailbox (the GUI thread).
//
// The closures wait in a std::mutex-guarded queue; an eventfd watched by a QSocketNotifier wakes the
// owning thread's event loop, which runs them in the order they were posted. No Qt object or event
// crosses threads: Qt's queued connections order a post before its delivery with Qt's own futex
// mutex, which ThreadSanitizer cannot see in an uninstrumented Qt (Debian's), so every handoff through
// them read as a race. Here each handoff is a mutex TSan checks, and the GUI tests run clean under it.
#pragma once
#include <QObject>

#include <deque>
#include <functional>
#include <mutex>

class QSocketNotifier;

namespace ctd::ui {

class Mailbox : public QObject {
public:
    // Create it on the thread that should run the closures (it needs that thread's event loop).
    explicit Mailbox(QObject* parent = nullptr);
    ~Mailbox() override;  // closures still queued are dropped without running

    // Any thread. Never blocks for long: a lock and a write to the eventfd.
    void post(std::function<void()> closure);
    // Runs the queued closures one by one on the owning thread (the notifier calls it). One at a time
    // so that a closure which spins a nested event loop keeps the order of those posted after it.
    void drain();

private:
    std::mutex m_mutex;
    std::deque<std::function<void()>> m_queue;
    int m_eventFd = -1;
    QSocketNotifier* m_notifier = nullptr;
};

}  // namespace ctd::ui
