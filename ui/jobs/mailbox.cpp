// See mailbox.h.
#include "ui/jobs/mailbox.h"

#include <QSocketNotifier>
#include <QtGlobal>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <system_error>

namespace ctd::ui {

Mailbox::Mailbox(QObject* parent) : QObject(parent) {
    m_eventFd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_eventFd < 0) throw std::system_error(errno, std::generic_category(), "Mailbox: eventfd");
    m_notifier = new QSocketNotifier(m_eventFd, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &Mailbox::drain);
}

Mailbox::~Mailbox() {
    delete m_notifier;
    ::close(m_eventFd);
}

void Mailbox::post(std::function<void()> closure) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_queue.push_back(std::move(closure));
    }
    const std::uint64_t one = 1;
    // EAGAIN means the counter is saturated: the owner has a wake-up pending anyway.
    while (::write(m_eventFd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void Mailbox::drain() {
    std::uint64_t count = 0;
    while (::read(m_eventFd, &count, sizeof count) < 0 && errno == EINTR) {
    }
    for (;;) {
        std::function<void()> closure;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            if (m_queue.empty()) return;
            closure = std::move(m_queue.front());
            m_queue.pop_front();
        }
        try {
            closure();
        } catch (const std::exception& error) {
            qWarning("ctd: a posted UI update failed: %s", error.what());
        }
    }
}

}  // namespace ctd::ui
