// Table model over an experiment's cells.
#include "ui/models/experiment_cell_model.h"

#include "ui/jobs/job_types.h"

#include <QBrush>
#include <QColor>

namespace ctd::ui {

namespace {
QVariant percent(double rate) { return rate < 0 ? QVariant() : QVariant(QString::number(100.0 * rate, 'f', 1) + "%"); }
}  // namespace

ExperimentCellModel::ExperimentCellModel(QObject* parent) : QAbstractTableModel(parent) {}

void ExperimentCellModel::setCells(QVector<ExperimentCellRow> cells) {
    beginResetModel();
    m_cells = std::move(cells);
    endResetModel();
}

int ExperimentCellModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_cells.size()); }

int ExperimentCellModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ExperimentCellModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const ExperimentCellRow& cell = m_cells[index.row()];
    if (role == Qt::ForegroundRole && index.column() == State) {
        if (cell.state == "failed" || cell.state == "stalled") return QBrush(QColor(0xD5, 0x5E, 0x00));
        if (cell.state == "running") return QBrush(QColor(0x00, 0x72, 0xB2));
        if (cell.state == "done") return QBrush(QColor(0x00, 0x9E, 0x73));
        return {};
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Hash) return cell.hash;
        if (index.column() == Message || index.column() == State) return cell.message.isEmpty() ? QVariant() : QVariant(cell.message);
        return {};
    }
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Index: return cell.index;
    case State: return cell.stage.isEmpty() || cell.state != "running" ? cell.state : cell.state + " (" + cell.stage + ")";
    case Hash: return cell.hash.left(12);
    case Cell: return cell.label;
    case Steps: return cell.estimatedSteps;
    case Items: return cell.estimatedItems;
    case Run: return cell.runId > 0 ? QVariant(cell.runId) : QVariant();
    case DefendedRefusal: return percent(cell.defendedRefusal);
    case HarmfulRefusal: return percent(cell.harmfulRefusal);
    case Utility: return percent(cell.benignCompliance);
    case Message: return cell.message.isEmpty() ? (cell.seconds > 0 ? formatDuration(cell.seconds) : QString()) : cell.message;
    default: return {};
    }
}

QVariant ExperimentCellModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    static const char* const titles[] = {"#", "State", "Hash", "Cell", "Steps", "Items", "Run",
                                         "Refusal (defended)", "Refusal (all tasks)", "Utility", "Time / message"};
    return section >= 0 && section < ColumnCount ? QVariant(QString(titles[section])) : QVariant();
}

}  // namespace ctd::ui
