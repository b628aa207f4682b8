// Table model over dataset records.
#include "ui/models/record_table_model.h"

#include <QBrush>
#include <QColor>

namespace ctd::ui {

namespace {

QString shorten(const std::string& text, int characters) {
    QString value = QString::fromStdString(text);
    value.replace('\n', QString::fromUtf8(" \u21b5 "));
    return value.size() > characters ? value.left(characters) + QString::fromUtf8("\u2026") : value;
}

}  // namespace

RecordTableModel::RecordTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void RecordTableModel::setRecords(std::vector<data::Record> records) {
    beginResetModel();
    m_records = std::move(records);
    endResetModel();
}

void RecordTableModel::setRevealHarmful(bool reveal) {
    if (reveal == m_revealHarmful) return;
    m_revealHarmful = reveal;
    if (!m_records.empty()) Q_EMIT dataChanged(index(0, Instruction), index(rowCount() - 1, Output));
}

int RecordTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_records.size()); }

int RecordTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RecordTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const data::Record& record = m_records[std::size_t(index.row())];
    const bool hidden = record.harmful.value_or(false) && !m_revealHarmful && index.column() >= Instruction;
    if (role == Qt::ForegroundRole && hidden) return QBrush(QColor(0x88, 0x88, 0x88));
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    const int limit = role == Qt::ToolTipRole ? 4000 : kCellCharacters;
    if (hidden) return role == Qt::ToolTipRole ? QVariant("Harmful text hidden; tick \"Reveal harmful content\"")
                                                : QVariant("[hidden]");
    switch (index.column()) {
    case Index: return qint64(record.sourceIndex);
    case Task: return record.task ? QString::fromStdString(*record.task) : QString();
    case Label: return record.harmful ? QString(*record.harmful ? "harmful" : "benign") : QString();
    case Instruction: return shorten(record.instruction, limit);
    case Input: return shorten(record.input, limit);
    case Output: return shorten(record.output, limit);
    default: return {};
    }
}

QVariant RecordTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    static const char* const titles[] = {"#", "Task", "Label", "Instruction", "Input", "Output"};
    return section >= 0 && section < ColumnCount ? QVariant(QString(titles[section])) : QVariant();
}

}  // namespace ctd::ui
