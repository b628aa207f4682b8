// The runs of the project as a table (id, name, state, family, defended task, N, steps, updated).
// Holds plain copies of core's RunRecord; live progress updates one row's steps in place.
#pragma once
#include "core/store/run_store.h"

#include <QAbstractTableModel>

#include <vector>

namespace ctd::ui {

class RunListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Name, State, Family, DefendedTask, DefenseCount, Steps, Updated, ColumnCount };
    static constexpr int RunIdRole = Qt::UserRole + 1;
    static constexpr int StateRole = Qt::UserRole + 2;

    explicit RunListModel(QObject* parent = nullptr);

    void setRuns(std::vector<store::RunRecord> runs);
    const std::vector<store::RunRecord>& runs() const { return m_runs; }
    // Row of `runId`, or -1.
    int rowOfRun(qint64 runId) const;
    const store::RunRecord* run(qint64 runId) const;
    // Shows live progress of a running run without reloading from the database.
    void updateProgress(qint64 runId, qint64 stepsDone, qint64 totalSteps);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<store::RunRecord> m_runs;
};

}  // namespace ctd::ui
