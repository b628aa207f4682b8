// Background mixture previews with stale results dropped.
#include "ui/mixtures/mixture_previewer.h"

#include <QPointer>
#include <QThread>

namespace ctd::ui {

MixturePreviewer::MixturePreviewer(QObject* parent) : QObject(parent) {}

MixturePreviewer::~MixturePreviewer() {
    m_shuttingDown = true;
    for (QThread* thread : m_threads) {
        thread->wait();
        delete thread;
    }
}

int MixturePreviewer::request(MixturePreviewRequest request) {
    request.generation = ++m_generation;
    const bool wasBusy = isBusy();
    m_pendingGeneration = request.generation;
    const std::atomic<bool>* shuttingDown = &m_shuttingDown;
    QPointer<MixturePreviewer> self(this);
    QThread* thread = QThread::create([request, shuttingDown, self] {
        MixturePreview preview = computeMixturePreview(request, shuttingDown);
        // Queued to the previewer's thread; dropped by Qt if the previewer is gone by then.
        if (!shuttingDown->load() && self)
            QMetaObject::invokeMethod(self, [self, preview] { if (self) self->deliver(preview); }, Qt::QueuedConnection);
    });
    m_threads.append(thread);
    connect(thread, &QThread::finished, this, [this, thread] {
        m_threads.removeAll(thread);
        thread->deleteLater();
    });
    thread->start(QThread::LowPriority);
    if (!wasBusy) Q_EMIT busyChanged(true);
    return request.generation;
}

void MixturePreviewer::deliver(const MixturePreview& preview) {
    if (preview.generation != m_generation) return;  // a newer request is on its way
    m_pendingGeneration = 0;
    Q_EMIT busyChanged(false);
    Q_EMIT ready(preview);
}

}  // namespace ctd::ui
