// Mixture previews through BackgroundCall.
#include "ui/mixtures/mixture_previewer.h"

#include "ui/jobs/background_call.h"

namespace ctd::ui {

MixturePreviewer::MixturePreviewer(QObject* parent) : QObject(parent), m_call(new BackgroundCall(this)) {
    connect(m_call, &BackgroundCall::busyChanged, this, &MixturePreviewer::busyChanged);
    connect(m_call, &BackgroundCall::finished, this, [this](int, const QVariant& result) {
        if (result.canConvert<MixturePreview>()) Q_EMIT ready(result.value<MixturePreview>());
    });
}

int MixturePreviewer::request(MixturePreviewRequest request) {
    const int generation = m_call->latestGeneration() + 1;
    request.generation = generation;
    return m_call->start([request](const std::atomic<bool>& cancel) {
        return QVariant::fromValue(computeMixturePreview(request, &cancel));
    });
}

bool MixturePreviewer::isBusy() const { return m_call->isBusy(); }

}  // namespace ctd::ui
