// The Data page: import a file (Alpaca JSON/JSONL, the authors' evaluation or generation files,
// CSV) into a preview table, see the importer's error naming the record and field, then store
// it in the project; browse and delete stored datasets.
#pragma once
#include "core/data/record.h"

#include <QWidget>

#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTableWidget;

namespace ctd::ui {

class Project;
class RecordTableModel;

class DataPage : public QWidget {
    Q_OBJECT
public:
    explicit DataPage(Project* project, QWidget* parent = nullptr);

    // Parses the file into the preview (nothing stored). False with the importer's message.
    bool previewFile(const QString& path, const QString& kind = {}, QString* error = nullptr);
    // Stores the previewed dataset; returns its id (0 with `error` on failure).
    qint64 storePreview(QString* error = nullptr);
    void reload();

    RecordTableModel* recordModel() const { return m_records; }
    QString previewMessage() const;
    int storedDatasetCount() const;

private:
    void chooseFile();
    void showStoredDataset(int row);
    void deleteSelectedDataset();

    Project* m_project;
    std::optional<data::Dataset> m_preview;
    RecordTableModel* m_records = nullptr;
    QComboBox* m_kind = nullptr;
    QLineEdit* m_name = nullptr;
    QCheckBox* m_reveal = nullptr;
    QTableWidget* m_datasets = nullptr;
    QPushButton* m_delete = nullptr;
    QLabel* m_previewTitle = nullptr;
    QLabel* m_message = nullptr;
    QTableView* m_table = nullptr;
    QPushButton* m_store = nullptr;
    QPushButton* m_discard = nullptr;
};

}  // namespace ctd::ui
