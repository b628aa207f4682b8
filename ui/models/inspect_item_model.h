// Inspect's items as a table (key, task, label, each run's verdict, flip), and the filter on top
// of it: task, harmful or benign, refusal flips only, and full-text search over the document and
// both responses.
#pragma once
#include "ui/inspect/inspect_item.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

namespace ctd::ui {

class InspectItemModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Key, Task, Label, First, Second, Flip, ColumnCount };
    static constexpr int ItemRowRole = Qt::UserRole + 1;

    explicit InspectItemModel(QObject* parent = nullptr);

    void setItems(QVector<InspectItem> items);
    const QVector<InspectItem>& items() const { return m_items; }
    const InspectItem* item(int row) const { return row >= 0 && row < m_items.size() ? &m_items[row] : nullptr; }
    // Column titles name the runs, e.g. "Run 3".
    void setRunTitles(const QString& first, const QString& second);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<InspectItem> m_items;
    QString m_firstTitle = "Run A", m_secondTitle = "Run B";
};

class InspectFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    enum class LabelFilter { Any, Harmful, Benign };

    explicit InspectFilterModel(QObject* parent = nullptr);

    void setTask(const QString& task);  // "" = every task
    void setLabel(LabelFilter label);
    void setFlipsOnly(bool flipsOnly);
    void setSearchText(const QString& text);  // case-insensitive, over document and responses
    const InspectItem* item(const QModelIndex& proxyIndex) const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

private:
    QString m_task;
    LabelFilter m_label = LabelFilter::Any;
    bool m_flipsOnly = false;
    QString m_search;
};

}  // namespace ctd::ui
