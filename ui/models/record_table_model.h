// Dataset records as a table (index, task, label, instruction, input, output) for the Data page's
// import preview and stored datasets. Texts of records labelled harmful stay hidden unless revealed.
#pragma once
#include "core/data/record.h"

#include <QAbstractTableModel>

#include <vector>

namespace ctd::ui {

class RecordTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Index, Task, Label, Instruction, Input, Output, ColumnCount };
    // Cells show at most this many characters (the tool tip holds up to 4000).
    static constexpr int kCellCharacters = 160;

    explicit RecordTableModel(QObject* parent = nullptr);

    void setRecords(std::vector<data::Record> records);
    const std::vector<data::Record>& records() const { return m_records; }
    void setRevealHarmful(bool reveal);
    bool revealHarmful() const { return m_revealHarmful; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<data::Record> m_records;
    bool m_revealHarmful = false;
};

}  // namespace ctd::ui
