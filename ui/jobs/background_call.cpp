// Latest-only background computations on short-lived threads.
#include "ui/jobs/background_call.h"

#include "ui/jobs/mailbox.h"

#include <exception>

namespace ctd::ui {

BackgroundCall::BackgroundCall(QObject* parent) : QObject(parent), m_mailbox(new Mailbox(this)) {}

BackgroundCall::~BackgroundCall() {
    if (m_currentCancel) *m_currentCancel = true;
    // Joined before the mailbox (a child) goes: no thread can post to it after this.
    for (auto& [generation, thread] : m_threads) thread.join();
}

int BackgroundCall::start(Work work) {
    if (m_currentCancel) *m_currentCancel = true;  // the previous call's result would be dropped anyway
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_currentCancel = cancel;
    const int generation = ++m_generation;
    const bool wasBusy = m_pending;
    m_pending = true;
    Mailbox* mailbox = m_mailbox;
    m_threads.emplace(generation, std::thread([this, mailbox, work = std::move(work), cancel, generation] {
        QVariant result;
        try {
            result = work(*cancel);
        } catch (const std::exception&) {
            // Work reports its errors in its result; an escaped exception just yields nothing.
        }
        // The closures run on the GUI thread, and only while this object lives (its destructor
        // joins every thread before the mailbox is destroyed).
        if (!cancel->load()) mailbox->post([this, generation, result] { deliver(generation, result); });
        mailbox->post([this, generation] { join(generation); });
    }));
    if (!wasBusy) Q_EMIT busyChanged(true);
    return generation;
}

void BackgroundCall::join(int generation) {
    const auto found = m_threads.find(generation);
    if (found == m_threads.end()) return;
    found->second.join();  // it has posted its last closure: at most a moment away from returning
    m_threads.erase(found);
}

void BackgroundCall::deliver(int generation, const QVariant& result) {
    if (generation != m_generation) return;
    m_pending = false;
    Q_EMIT busyChanged(false);
    Q_EMIT finished(generation, result);
}

}  // namespace ctd::ui
