// An experiment's cells as a table: position, state, hash, cell, size, run, key metrics.
#pragma once
#include "ui/experiments/experiment_overview.h"

#include <QAbstractTableModel>

namespace ctd::ui {

class ExperimentCellModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Index, State, Hash, Cell, Steps, Items, Run, DefendedRefusal, HarmfulRefusal, Utility, Message, ColumnCount };

    explicit ExperimentCellModel(QObject* parent = nullptr);

    void setCells(QVector<ExperimentCellRow> cells);
    const QVector<ExperimentCellRow>& cells() const { return m_cells; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<ExperimentCellRow> m_cells;
};

}  // namespace ctd::ui
