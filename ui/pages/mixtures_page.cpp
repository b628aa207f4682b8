// The Mixtures page; see mixtures_page.h.
#include "ui/pages/mixtures_page.h"

#include "ui/mixtures/mixture_form.h"
#include "ui/mixtures/mixture_previewer.h"
#include "ui/plots/chart_view.h"
#include "ui/plots/palette.h"
#include "ui/project.h"

#include "core/data/mixture.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QCheckBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <exception>

namespace ctd::ui {

namespace {
QTableWidget* makeTable(const QStringList& headers, QWidget* parent) {
    auto* table = new QTableWidget(0, int(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setSelectionMode(QAbstractItemView::SingleSelection);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    return table;
}

}  // namespace

MixturesPage::MixturesPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    m_form = new MixtureForm(this);
    m_previewer = new MixturePreviewer(this);
    m_debounce = new QTimer(this);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(300);

    auto* open = new QPushButton("Open Spec...", this);
    auto* save = new QPushButton("Save Spec...", this);
    auto* refresh = new QPushButton("Rebuild Preview", this);
    auto* store = new QPushButton("Store in Project", this);
    store->setToolTip("Store the built mixture as a dataset of the project (kind mixture, its hash as content hash)");
    m_status = new QLabel("Open a mixture spec or fill in the form.", this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(open);
    buttons->addWidget(save);
    buttons->addWidget(refresh);
    buttons->addWidget(store);
    leftLayout->addLayout(buttons);
    leftLayout->addWidget(scroll, 1);

    m_counts = makeTable({"Source / task", "Examples"}, this);
    m_counts->setMaximumHeight(170);
    m_examples = makeTable({"#", "Source", "Index", "Task", "Tokens", "Truncation"}, this);
    m_tokens = new QTextBrowser(this);
    m_warning = new QLabel(this);
    m_warning->setWordWrap(true);
    m_warning->setStyleSheet("color: #D55E00;");
    m_histogram = new ChartView(this);
    m_histogram->setMinimumHeight(200);
    m_reveal = new QCheckBox("Reveal harmful content", this);
    m_reveal->setToolTip("Defense examples hold malicious documents and safety examples harmful questions: hidden until revealed");
    auto* tokenLegend = new QLabel(
        "<span style=\"background-color:#BFE3F7; color:#003A5C;\">&nbsp;trained tokens&nbsp;</span>&nbsp;&nbsp;"
        "<span style=\"color:#8A8A8A;\">masked tokens (no loss)</span>",
        this);

    auto* right = new QSplitter(Qt::Vertical, this);
    auto* top = new QWidget(this);
    auto* topLayout = new QHBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(m_counts, 1);
    topLayout->addWidget(m_examples, 2);
    auto* middle = new QWidget(this);
    auto* middleLayout = new QVBoxLayout(middle);
    middleLayout->setContentsMargins(0, 0, 0, 0);
    auto* legendRow = new QHBoxLayout;
    legendRow->addWidget(tokenLegend, 1);
    legendRow->addWidget(m_reveal);
    middleLayout->addLayout(legendRow);
    middleLayout->addWidget(m_warning);
    middleLayout->addWidget(m_tokens, 1);
    right->addWidget(top);
    right->addWidget(middle);
    right->addWidget(m_histogram);

    auto* splitter = new QSplitter(this);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    connect(m_form, &MixtureForm::changed, m_debounce, qOverload<>(&QTimer::start));
    connect(m_debounce, &QTimer::timeout, this, &MixturesPage::refreshPreview);
    connect(refresh, &QPushButton::clicked, this, &MixturesPage::refreshPreview);
    connect(open, &QPushButton::clicked, this, &MixturesPage::chooseAndOpen);
    connect(store, &QPushButton::clicked, this, [this] {
        QString error;
        const qint64 id = storeMixture(&error);
        if (!id) QMessageBox::warning(this, "Cannot store the mixture", error);
        else m_status->setText(QString("Stored as dataset %1 (%2).").arg(id).arg(m_preview.hash.left(16)));
    });
    connect(save, &QPushButton::clicked, this, &MixturesPage::chooseAndSave);
    connect(m_previewer, &MixturePreviewer::ready, this, &MixturesPage::onPreview);
    connect(m_previewer, &MixturePreviewer::busyChanged, this, [this](bool busy) {
        if (busy) m_status->setText("Building the mixture...");
    });
    connect(m_examples, &QTableWidget::currentCellChanged, this, [this](int row) { selectExample(row); });
    connect(m_reveal, &QCheckBox::toggled, this, [this] { selectExample(m_examples->currentRow()); });
    connect(m_form, &MixtureForm::changed, this, [this] { QSettings().setValue("mixtures/tokenizer", m_form->tokenizerPath()); });
    showHistogram();
    // Pick up where the user left off: the last spec and tokenizer.
    QSettings settings;
    const QString tokenizer = settings.value("mixtures/tokenizer").toString();
    if (!tokenizer.isEmpty() && QFileInfo::exists(tokenizer)) m_form->setTokenizerPath(tokenizer);
    const QString lastSpec = settings.value("mixtures/lastSpec").toString();
    if (!lastSpec.isEmpty() && QFileInfo::exists(lastSpec)) openSpec(lastSpec);
}

bool MixturesPage::openSpec(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error) *error = QString("%1: %2").arg(path, file.errorString());
        return false;
    }
    QString message;
    if (!m_form->setSpec(file.readAll(), QFileInfo(path).absolutePath(), &message)) {
        if (error) *error = QString("%1: %2").arg(path, message);
        return false;
    }
    m_specPath = path;
    QSettings().setValue("mixtures/lastSpec", QFileInfo(path).absoluteFilePath());
    refreshPreview();
    return true;
}

bool MixturesPage::saveSpec(const QString& path, QString* error) {
    QJsonObject spec = QJsonDocument::fromJson(m_form->spec()).object();
    const QString target = QFileInfo(path).absolutePath();
    const QString dataDir = spec.value("data_dir").toString();
    const QString base = m_form->baseDirectory().isEmpty() ? target : m_form->baseDirectory();
    // Relative paths resolve against the spec's folder: keep them pointing at the same data.
    const QString absoluteData = dataDir.isEmpty() ? base : QDir(base).absoluteFilePath(dataDir);
    const QString relative = QDir(target).relativeFilePath(absoluteData);
    if (relative != ".") spec.insert("data_dir", relative);
    else spec.remove("data_dir");
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) *error = QString("%1: %2").arg(path, file.errorString());
        return false;
    }
    file.write(QJsonDocument(spec).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        if (error) *error = QString("%1: %2").arg(path, file.errorString());
        return false;
    }
    m_form->setSpec(QJsonDocument(spec).toJson(), target);
    m_specPath = path;
    QSettings().setValue("mixtures/lastSpec", QFileInfo(path).absoluteFilePath());
    return true;
}

qint64 MixturesPage::storeMixture(QString* error) {
    auto fail = [error](const QString& message) -> qint64 {
        if (error) *error = message;
        return 0;
    };
    store::Database* database = m_project->database();
    if (!database) return fail("Open a project database first.");
    if (!m_preview.mixture) return fail(m_preview.error.isEmpty() ? "Build the mixture first." : m_preview.error);
    try {
        const qint64 id = store::DatasetStore(*database).insert(data::mixtureDataset(*m_preview.mixture)).datasetId;
        m_project->notifyChanged("datasets");
        return id;
    } catch (const std::exception& failure) {
        return fail(QString::fromStdString(failure.what()));
    }
}

void MixturesPage::refreshPreview() {
    m_debounce->stop();
    MixturePreviewRequest request;
    request.specJson = m_form->spec();
    request.baseDirectory = m_form->baseDirectory().isEmpty() ? QDir::currentPath() : m_form->baseDirectory();
    request.tokenizerPath = m_form->tokenizerPath();
    request.templateName = m_form->templateName();
    request.cutoffLength = m_form->cutoffLength();
    request.trainOnInputs = m_form->trainOnInputs();
    request.tailTruncation = m_form->tailTruncation();
    m_previewer->request(request);
}

void MixturesPage::onPreview(const MixturePreview& preview) {
    m_preview = preview;
    if (!preview.error.isEmpty()) {
        m_status->setText("Cannot build the mixture: " + preview.error);
        m_status->setStyleSheet("color: #D55E00;");
    } else {
        m_status->setStyleSheet("");
        QString text = QString("%1 examples, hash %2").arg(preview.rows.size()).arg(preview.hash.left(16));
        if (preview.tokenized)
            text += QString("; tokens: mean %1, max %2; %3 truncated, %4 with the response or EOS cut")
                        .arg(preview.meanTokens, 0, 'f', 1)
                        .arg(preview.maxTokens)
                        .arg(preview.truncated)
                        .arg(preview.responseTruncated);
        else if (!preview.tokenizerError.isEmpty())
            text += "; " + preview.tokenizerError;
        m_status->setText(text);
    }
    showCounts();
    showExamples();
    showHistogram();
    Q_EMIT previewUpdated();
}

void MixturesPage::chooseAndOpen() {
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, "Open mixture spec", settings.value("mixtures/folder").toString(),
                                                      "Mixture specs (*.json);;All files (*)");
    if (path.isEmpty()) return;
    settings.setValue("mixtures/folder", QFileInfo(path).path());
    QString error;
    if (!openSpec(path, &error)) QMessageBox::warning(this, "Cannot open the spec", error);
}

void MixturesPage::chooseAndSave() {
    QSettings settings;
    const QString path = QFileDialog::getSaveFileName(this, "Save mixture spec", m_specPath.isEmpty() ? settings.value("mixtures/folder").toString() : m_specPath,
                                                      "Mixture specs (*.json)");
    if (path.isEmpty()) return;
    settings.setValue("mixtures/folder", QFileInfo(path).path());
    QString error;
    if (!saveSpec(path, &error)) QMessageBox::warning(this, "Cannot save the spec", error);
}

}  // namespace ctd::ui
