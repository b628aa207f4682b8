// Inspect's item table and its filter.
#include "ui/models/inspect_item_model.h"

#include <QBrush>
#include <QColor>

namespace ctd::ui {

namespace {

QString verdict(const InspectResponse& response) {
    if (!response.present) return QString::fromUtf8("\u2014");
    return response.refused ? "refused" : "answered";
}

}  // namespace

InspectItemModel::InspectItemModel(QObject* parent) : QAbstractTableModel(parent) {}

void InspectItemModel::setItems(QVector<InspectItem> items) {
    beginResetModel();
    m_items = std::move(items);
    endResetModel();
}

void InspectItemModel::setRunTitles(const QString& first, const QString& second) {
    m_firstTitle = first;
    m_secondTitle = second;
    Q_EMIT headerDataChanged(Qt::Horizontal, First, Second);
}

int InspectItemModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_items.size()); }

int InspectItemModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant InspectItemModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const InspectItem& item = m_items[index.row()];
    if (role == ItemRowRole) return index.row();
    if (role == Qt::ForegroundRole) {
        if (index.column() == Label && item.harmful) return QBrush(QColor(0xD5, 0x5E, 0x00));
        if (index.column() == Flip && item.isRefusalFlip()) return QBrush(QColor(0x00, 0x72, 0xB2));
        return {};
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole) return {};
    switch (index.column()) {
    case Key: return item.key;
    case Task: return item.task;
    case Label: return item.harmful ? "harmful" : "benign";
    case First: return verdict(item.first);
    case Second: return verdict(item.second);
    case Flip:
        if (!item.isRefusalFlip()) return QString();
        return item.first.refused ? QString::fromUtf8("refused \u2192 answered") : QString::fromUtf8("answered \u2192 refused");
    default: return {};
    }
}

QVariant InspectItemModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Key: return "Item";
    case Task: return "Task";
    case Label: return "Document";
    case First: return m_firstTitle;
    case Second: return m_secondTitle;
    case Flip: return "Flip";
    default: return {};
    }
}

InspectFilterModel::InspectFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {}

void InspectFilterModel::setTask(const QString& task) {
    m_task = task;
    invalidateFilter();
}

void InspectFilterModel::setLabel(LabelFilter label) {
    m_label = label;
    invalidateFilter();
}

void InspectFilterModel::setFlipsOnly(bool flipsOnly) {
    m_flipsOnly = flipsOnly;
    invalidateFilter();
}

void InspectFilterModel::setSearchText(const QString& text) {
    m_search = text.trimmed();
    invalidateFilter();
}

const InspectItem* InspectFilterModel::item(const QModelIndex& proxyIndex) const {
    const auto* source = qobject_cast<const InspectItemModel*>(sourceModel());
    if (!source || !proxyIndex.isValid()) return nullptr;
    return source->item(mapToSource(proxyIndex).row());
}

bool InspectFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
    const auto* source = qobject_cast<const InspectItemModel*>(sourceModel());
    const InspectItem* item = source && !sourceParent.isValid() ? source->item(sourceRow) : nullptr;
    if (!item) return false;
    if (!m_task.isEmpty() && item->task != m_task) return false;
    if (m_label == LabelFilter::Harmful && !item->harmful) return false;
    if (m_label == LabelFilter::Benign && item->harmful) return false;
    if (m_flipsOnly && !item->isRefusalFlip()) return false;
    if (!m_search.isEmpty()) {
        const Qt::CaseSensitivity cs = Qt::CaseInsensitive;
        if (!item->document.contains(m_search, cs) && !item->first.text.contains(m_search, cs) &&
            !item->second.text.contains(m_search, cs) && !item->key.contains(m_search, cs) &&
            !item->prompt.contains(m_search, cs))
            return false;
    }
    return true;
}

}  // namespace ctd::ui
