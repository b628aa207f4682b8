// The Data page; see data_page.h.
#include "ui/pages/data_page.h"

#include "ui/models/record_table_model.h"
#include "ui/project.h"

#include "core/data/importers.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

#include <exception>

namespace ctd::ui {

namespace {
constexpr int kDatasetIdRole = Qt::UserRole + 1;
// Stored datasets are browsed through their first records; the preview of an import shows all.
constexpr int kStoredPreviewRecords = 2000;

void setError(QLabel* label, const QString& text) {
    label->setStyleSheet("color: #D55E00;");
    label->setText(text);
}
void setInfo(QLabel* label, const QString& text) {
    label->setStyleSheet("");
    label->setText(text);
}
}  // namespace

DataPage::DataPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    auto* import = new QPushButton("Import File...", this);
    import->setToolTip("Alpaca JSON / JSONL, the authors' evaluation or generation files, or CSV with a header row");
    m_kind = new QComboBox(this);
    m_kind->addItem("detect the format", QString());
    for (const char* kind : {"alpaca", "eval", "generations", "csv"}) m_kind->addItem(kind, QString(kind));
    m_name = new QLineEdit(this);
    m_name->setPlaceholderText("name (default: the file name)");
    m_reveal = new QCheckBox("Reveal harmful content", this);
    auto* top = new QHBoxLayout;
    top->addWidget(import);
    top->addWidget(new QLabel("Format:", this));
    top->addWidget(m_kind);
    top->addWidget(m_name, 1);
    top->addWidget(m_reveal);

    m_datasets = new QTableWidget(0, 5, this);
    m_datasets->setHorizontalHeaderLabels({"Id", "Name", "Kind", "Records", "Created"});
    m_datasets->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_datasets->setSelectionMode(QAbstractItemView::SingleSelection);
    m_datasets->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_datasets->verticalHeader()->hide();
    m_datasets->horizontalHeader()->setStretchLastSection(true);
    m_delete = new QPushButton("Delete Dataset", this);
    auto* left = new QWidget(this);
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(new QLabel("Stored datasets:", this));
    leftLayout->addWidget(m_datasets, 1);
    leftLayout->addWidget(m_delete, 0, Qt::AlignLeft);

    m_records = new RecordTableModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_records);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_previewTitle = new QLabel("Import a file to preview its records before storing them.", this);
    QFont bold = m_previewTitle->font();
    bold.setBold(true);
    m_previewTitle->setFont(bold);
    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_store = new QPushButton("Store in Project", this);
    m_discard = new QPushButton("Discard", this);
    auto* actions = new QHBoxLayout;
    actions->addStretch(1);
    actions->addWidget(m_discard);
    actions->addWidget(m_store);
    auto* right = new QWidget(this);
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addWidget(m_previewTitle);
    rightLayout->addWidget(m_message);
    rightLayout->addWidget(m_table, 1);
    rightLayout->addLayout(actions);

    auto* splitter = new QSplitter(this);
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    connect(import, &QPushButton::clicked, this, &DataPage::chooseFile);
    connect(m_reveal, &QCheckBox::toggled, m_records, &RecordTableModel::setRevealHarmful);
    connect(m_store, &QPushButton::clicked, this, [this] {
        QString error;
        if (!storePreview(&error)) QMessageBox::warning(this, "Cannot store the dataset", error);
    });
    connect(m_discard, &QPushButton::clicked, this, [this] {
        m_preview.reset();
        m_records->setRecords({});
        m_previewTitle->setText("Import a file to preview its records before storing them.");
        m_message->clear();
        m_store->setEnabled(false);
        m_discard->setEnabled(false);
    });
    connect(m_datasets, &QTableWidget::currentCellChanged, this, [this](int row) { showStoredDataset(row); });
    connect(m_delete, &QPushButton::clicked, this, &DataPage::deleteSelectedDataset);
    connect(m_project, &Project::opened, this, &DataPage::reload);
    connect(m_project, &Project::closed, this, &DataPage::reload);
    connect(m_project, &Project::changed, this, [this](const QString& what) {
        if (what == "datasets") reload();
    });
    m_store->setEnabled(false);
    m_discard->setEnabled(false);
    reload();
}

void DataPage::reload() {
    const QSignalBlocker blocker(m_datasets);
    m_datasets->setRowCount(0);
    m_delete->setEnabled(false);
    store::Database* database = m_project->database();
    if (!database) return;
    try {
        for (const store::DatasetSummary& dataset : store::DatasetStore(*database).list()) {
            const int row = m_datasets->rowCount();
            m_datasets->insertRow(row);
            const QStringList cells = {QString::number(dataset.id), QString::fromStdString(dataset.name),
                                       QString::fromStdString(dataset.kind), QString::number(dataset.recordCount),
                                       QString::fromStdString(dataset.createdAt)};
            for (int column = 0; column < cells.size(); ++column) {
                auto* item = new QTableWidgetItem(cells[column]);
                item->setData(kDatasetIdRole, qint64(dataset.id));
                item->setToolTip(QString::fromStdString(dataset.sourcePath + "\nSHA-256 " + dataset.contentHash));
                m_datasets->setItem(row, column, item);
            }
        }
    } catch (const std::exception& error) {
        setError(m_message, QString::fromStdString(error.what()));
    }
    m_datasets->resizeColumnsToContents();
}

void DataPage::chooseFile() {
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, "Import data", settings.value("data/lastFolder").toString(),
                                                      "Data files (*.json *.jsonl *.csv);;All files (*)");
    if (path.isEmpty()) return;
    settings.setValue("data/lastFolder", QFileInfo(path).path());
    previewFile(path, m_kind->currentData().toString());
}

bool DataPage::previewFile(const QString& path, const QString& kind, QString* error) {
    data::ImportOptions options;
    options.kind = kind.toStdString();
    options.name = m_name->text().trimmed().toStdString();
    m_store->setEnabled(false);
    m_discard->setEnabled(true);
    try {
        m_preview = data::importFile(path.toStdString(), options);
    } catch (const std::exception& failure) {
        m_preview.reset();
        m_records->setRecords({});
        m_previewTitle->setText(QString("Cannot import %1").arg(QFileInfo(path).fileName()));
        const QString message = QString::fromStdString(failure.what());
        setError(m_message, message + "\n\nNothing was stored. Fix the record named above and import again.");
        if (error) *error = message;
        return false;
    }
    m_previewTitle->setText(QString("Preview of %1: %2 records, format %3 (not stored yet)")
                                .arg(QString::fromStdString(m_preview->name))
                                .arg(m_preview->records.size())
                                .arg(QString::fromStdString(m_preview->kind)));
    setInfo(m_message, QString("%1\nSHA-256 %2").arg(path, QString::fromStdString(m_preview->contentHash)));
    m_records->setRecords(m_preview->records);
    m_table->resizeColumnsToContents();
    m_store->setEnabled(m_project->isOpen());
    return true;
}

qint64 DataPage::storePreview(QString* error) {
    auto fail = [error](const QString& message) -> qint64 {
        if (error) *error = message;
        return 0;
    };
    if (!m_preview) return fail("Nothing to store: import a file first.");
    store::Database* database = m_project->database();
    if (!database) return fail("Open a project database first.");
    store::InsertResult result;
    try {
        result = store::DatasetStore(*database).insert(*m_preview);
    } catch (const std::exception& failure) {
        return fail(QString::fromStdString(failure.what()));
    }
    setInfo(m_message, result.alreadyPresent
                           ? QString("The same file was stored before as dataset %1; nothing written.").arg(result.datasetId)
                           : QString("Stored as dataset %1.").arg(result.datasetId));
    m_store->setEnabled(false);
    m_project->notifyChanged("datasets");
    return result.datasetId;
}

void DataPage::showStoredDataset(int row) {
    QTableWidgetItem* item = row >= 0 ? m_datasets->item(row, 0) : nullptr;
    m_delete->setEnabled(item != nullptr);
    store::Database* database = m_project->database();
    if (!item || !database) return;
    const qint64 id = item->data(kDatasetIdRole).toLongLong();
    try {
        store::DatasetStore datasets(*database);
        const store::DatasetSummary summary = datasets.get(id);
        m_preview.reset();
        m_store->setEnabled(false);
        m_records->setRecords(datasets.records(id, 0, kStoredPreviewRecords));
        m_previewTitle->setText(QString("Dataset %1: %2 (%3 records, %4)%5")
                                    .arg(id)
                                    .arg(QString::fromStdString(summary.name))
                                    .arg(summary.recordCount)
                                    .arg(QString::fromStdString(summary.kind))
                                    .arg(summary.recordCount > kStoredPreviewRecords
                                             ? QString(", first %1 shown").arg(kStoredPreviewRecords)
                                             : QString()));
        setInfo(m_message, QString::fromStdString(summary.sourcePath + "\nSHA-256 " + summary.contentHash));
    } catch (const std::exception& error) {
        setError(m_message, QString::fromStdString(error.what()));
    }
}

void DataPage::deleteSelectedDataset() {
    QTableWidgetItem* item = m_datasets->item(m_datasets->currentRow(), 0);
    store::Database* database = m_project->database();
    if (!item || !database) return;
    const qint64 id = item->data(kDatasetIdRole).toLongLong();
    if (QMessageBox::question(this, "Delete dataset", QString("Delete dataset %1 and its records?").arg(id)) !=
        QMessageBox::Yes)
        return;
    try {
        store::DatasetStore(*database).remove(id);
    } catch (const std::exception& error) {
        QMessageBox::warning(this, "Cannot delete the dataset", QString::fromStdString(error.what()));
    }
    m_records->setRecords({});
    m_project->notifyChanged("datasets");
}

QString DataPage::previewMessage() const { return m_previewTitle->text() + "\n" + m_message->text(); }

int DataPage::storedDatasetCount() const { return m_datasets->rowCount(); }

}  // namespace ctd::ui
