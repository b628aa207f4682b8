// Computes mixture previews in the background while the user edits the spec; only the newest
// request's result is delivered (BackgroundCall drops and cancels superseded ones).
#pragma once
#include "ui/mixtures/mixture_preview.h"

#include <QObject>

namespace ctd::ui {

class BackgroundCall;

class MixturePreviewer : public QObject {
    Q_OBJECT
public:
    explicit MixturePreviewer(QObject* parent = nullptr);

    // Starts computing; returns the request's generation.
    int request(MixturePreviewRequest request);
    bool isBusy() const;

Q_SIGNALS:
    void ready(const ctd::ui::MixturePreview& preview);
    void busyChanged(bool busy);

private:
    BackgroundCall* m_call = nullptr;
};

}  // namespace ctd::ui

Q_DECLARE_METATYPE(ctd::ui::MixturePreview)
