// Table model over the project's runs.
#include "ui/models/run_list_model.h"

#include <QBrush>
#include <QColor>

namespace ctd::ui {

namespace {
QString text(const std::string& value) { return QString::fromStdString(value); }
}  // namespace

RunListModel::RunListModel(QObject* parent) : QAbstractTableModel(parent) {}

void RunListModel::setRuns(std::vector<store::RunRecord> runs) {
    beginResetModel();
    m_runs = std::move(runs);
    endResetModel();
}

int RunListModel::rowOfRun(qint64 runId) const {
    for (std::size_t row = 0; row < m_runs.size(); ++row)
        if (m_runs[row].id == runId) return int(row);
    return -1;
}

const store::RunRecord* RunListModel::run(qint64 runId) const {
    const int row = rowOfRun(runId);
    return row < 0 ? nullptr : &m_runs[std::size_t(row)];
}

void RunListModel::updateProgress(qint64 runId, qint64 stepsDone, qint64 totalSteps) {
    const int row = rowOfRun(runId);
    if (row < 0) return;
    store::RunRecord& record = m_runs[std::size_t(row)];
    record.stepsDone = stepsDone;
    record.totalSteps = totalSteps;
    record.state = "running";
    Q_EMIT dataChanged(index(row, State), index(row, Steps));
}

int RunListModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_runs.size()); }

int RunListModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant RunListModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const store::RunRecord& run = m_runs[std::size_t(index.row())];
    if (role == RunIdRole) return qint64(run.id);
    if (role == StateRole) return text(run.state);
    if (role == Qt::ToolTipRole) return run.message.empty() ? QVariant() : QVariant(text(run.message));
    if (role == Qt::ForegroundRole && index.column() == State) {
        if (run.state == "failed") return QBrush(QColor(0xD5, 0x5E, 0x00));
        if (run.state == "running") return QBrush(QColor(0x00, 0x72, 0xB2));
        if (run.state == "cancelled") return QBrush(QColor(0x77, 0x77, 0x77));
        return {};
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Id || index.column() == DefenseCount))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole) return {};
    switch (index.column()) {
    case Id: return qint64(run.id);
    case Name: return text(run.name);
    case State: return text(run.state);
    case Family: return text(run.modelFamily);
    case DefendedTask: return run.defendedTask.empty() ? QString("none") : text(run.defendedTask);
    case DefenseCount: return qint64(run.defenseCount);
    case Steps:
        return run.totalSteps > 0 ? QString("%1 / %2").arg(run.stepsDone).arg(run.totalSteps) : QString::number(run.stepsDone);
    case Updated: return text(run.updatedAt);
    default: return {};
    }
}

QVariant RunListModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    static const char* const titles[] = {"Id", "Name", "State", "Family", "Defended task", "N", "Steps", "Updated"};
    return section >= 0 && section < ColumnCount ? QVariant(QString(titles[section])) : QVariant();
}

}  // namespace ctd::ui
