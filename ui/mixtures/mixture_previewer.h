// Computes mixture previews on short-lived background threads while the user edits the spec.
// Each request gets a generation number; only the newest result is delivered (older ones are
// dropped, hotspot style), and the destructor cancels and waits for every thread still running.
#pragma once
#include "ui/mixtures/mixture_preview.h"

#include <QList>
#include <QObject>

#include <atomic>

class QThread;

namespace ctd::ui {

class MixturePreviewer : public QObject {
    Q_OBJECT
public:
    explicit MixturePreviewer(QObject* parent = nullptr);
    ~MixturePreviewer() override;

    // Starts computing; returns the request's generation.
    int request(MixturePreviewRequest request);
    bool isBusy() const { return m_pendingGeneration != 0; }
    int latestGeneration() const { return m_generation; }

Q_SIGNALS:
    void ready(const ctd::ui::MixturePreview& preview);
    void busyChanged(bool busy);

private:
    void deliver(const MixturePreview& preview);

    int m_generation = 0;
    int m_pendingGeneration = 0;
    std::atomic<bool> m_shuttingDown{false};
    QList<QThread*> m_threads;
};

}  // namespace ctd::ui

Q_DECLARE_METATYPE(ctd::ui::MixturePreview)
