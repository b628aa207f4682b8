// The Mixtures page (mixture composer): edit a mixture spec, see live counts per source and task
// and the mixture hash, browse examples rendered through the template with the loss mask coloured
// token by token (a warning when truncation cuts the response or EOS), a token-length histogram,
// and save the spec file.
#pragma once
#include "ui/mixtures/mixture_preview.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QTableWidget;
class QTextBrowser;
class QTimer;

namespace ctd::ui {

class ChartView;
class MixtureForm;
class MixturePreviewer;
class Project;

class MixturesPage : public QWidget {
    Q_OBJECT
public:
    explicit MixturesPage(Project* project, QWidget* parent = nullptr);

    bool openSpec(const QString& path, QString* error = nullptr);
    // Writes the spec; a relative data folder is rewritten relative to the new file's folder.
    bool saveSpec(const QString& path, QString* error = nullptr);
    // Stores the built mixture as a project dataset; its id, or 0 with `error`.
    qint64 storeMixture(QString* error = nullptr);
    // Recomputes now (the form also triggers it, debounced, on every edit).
    void refreshPreview();
    void selectExample(int index);

    MixtureForm* form() const { return m_form; }
    MixturePreviewer* previewer() const { return m_previewer; }
    const MixturePreview& preview() const { return m_preview; }
    const RenderedExample& renderedExample() const { return m_rendered; }
    // What the token view shows (a placeholder for hidden harmful examples).
    QString tokenViewText() const;
    void setRevealHarmful(bool reveal);
    ChartView* histogram() const { return m_histogram; }

Q_SIGNALS:
    void previewUpdated();

private:
    void onPreview(const ctd::ui::MixturePreview& preview);
    void showCounts();
    void showExamples();
    void showHistogram();
    void chooseAndOpen();
    void chooseAndSave();

    Project* m_project;
    MixtureForm* m_form = nullptr;
    MixturePreviewer* m_previewer = nullptr;
    QTimer* m_debounce = nullptr;
    MixturePreview m_preview;
    RenderedExample m_rendered;
    QString m_specPath;
    QLabel* m_status = nullptr;
    QTableWidget* m_counts = nullptr;
    QTableWidget* m_examples = nullptr;
    QTextBrowser* m_tokens = nullptr;
    QLabel* m_warning = nullptr;
    QCheckBox* m_reveal = nullptr;
    ChartView* m_histogram = nullptr;
};

}  // namespace ctd::ui
