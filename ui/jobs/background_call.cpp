// Latest-only background computations on short-lived threads.
#include "ui/jobs/background_call.h"

#include <QCoreApplication>
#include <QPointer>
#include <QThread>

#include <exception>

namespace ctd::ui {

BackgroundCall::BackgroundCall(QObject* parent) : QObject(parent) {}

BackgroundCall::~BackgroundCall() {
    if (m_currentCancel) *m_currentCancel = true;
    for (QThread* thread : m_threads) {
        thread->wait();
        delete thread;
    }
}

int BackgroundCall::start(Work work) {
    if (m_currentCancel) *m_currentCancel = true;  // the previous call's result would be dropped anyway
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    m_currentCancel = cancel;
    const int generation = ++m_generation;
    const bool wasBusy = m_pending;
    m_pending = true;
    // The QPointer is only ever read on the GUI thread: the worker copies the shared_ptr (an atomic
    // count) and posts to the application object, which outlives every page.
    auto self = std::make_shared<QPointer<BackgroundCall>>(this);
    QThread* thread = QThread::create([work = std::move(work), cancel, generation, self] {
        QVariant result;
        try {
            result = work(*cancel);
        } catch (const std::exception&) {
            // Work reports its errors in its result; an escaped exception just yields nothing.
        }
        if (!cancel->load())
            QMetaObject::invokeMethod(
                QCoreApplication::instance(),
                [self, generation, result] { if (*self) (*self)->deliver(generation, result); }, Qt::QueuedConnection);
    });
    m_threads.append(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        m_threads.removeAll(thread);
        thread->deleteLater();
    });
    thread->start(QThread::LowPriority);
    if (!wasBusy) Q_EMIT busyChanged(true);
    return generation;
}

void BackgroundCall::deliver(int generation, const QVariant& result) {
    if (generation != m_generation) return;
    m_pending = false;
    Q_EMIT busyChanged(false);
    Q_EMIT finished(generation, result);
}

}  // namespace ctd::ui
