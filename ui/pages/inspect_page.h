// The Inspect page: two runs' responses to the same evaluation items side by side (document,
// both responses with word-level differences, refusal verdicts, scores). Filters: task, harmful
// or benign, refusal flips, full-text search; J / K move through the items. Harmful documents and
// the responses to them stay collapsed until revealed.
#pragma once
#include "ui/inspect/inspect_item.h"

#include <QSet>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace ctd::ui {

class InspectFilterModel;
class InspectItemModel;
class Project;

class InspectPage : public QWidget {
    Q_OBJECT
public:
    explicit InspectPage(Project* project, QWidget* parent = nullptr);

    void reload();
    // Compares `first` and `second` (0: none); false when a run has no evaluation.
    bool setRuns(qint64 first, qint64 second);
    // Opens `runId` against its family's no-defense run (what a click on a trade-off point does).
    void showRun(qint64 runId);

    void setTaskFilter(const QString& task);
    void setHarmfulFilter(int filter);  // 0 any, 1 harmful, 2 benign
    void setFlipsOnly(bool flipsOnly);
    void setSearchText(const QString& text);
    void setRevealHarmful(bool reveal);

    int visibleItemCount() const;
    const InspectItem* currentItem() const;
    void selectVisibleRow(int row);
    void nextItem();
    void previousItem();
    // What the detail pane shows as plain text (the document and both responses, or placeholders).
    QString detailText() const;

    InspectItemModel* itemModel() const { return m_items; }
    InspectFilterModel* filterModel() const { return m_filter; }

private:
    void rebuildRunChoices();
    void loadItems();
    void showCurrentItem();
    bool isRevealed(const InspectItem& item) const;
    QString sideHeader(const InspectResponse& response, const QString& runTitle) const;

    Project* m_project;
    InspectItemModel* m_items = nullptr;
    InspectFilterModel* m_filter = nullptr;
    QComboBox* m_firstRun = nullptr;
    QComboBox* m_secondRun = nullptr;
    QComboBox* m_task = nullptr;
    QComboBox* m_label = nullptr;
    QCheckBox* m_flipsOnly = nullptr;
    QLineEdit* m_search = nullptr;
    QCheckBox* m_revealAll = nullptr;
    QLabel* m_count = nullptr;
    QTableView* m_table = nullptr;
    QLabel* m_itemTitle = nullptr;
    QTextBrowser* m_document = nullptr;
    QLabel* m_firstHeader = nullptr;
    QLabel* m_secondHeader = nullptr;
    QTextBrowser* m_firstText = nullptr;
    QTextBrowser* m_secondText = nullptr;
    QPushButton* m_revealItem = nullptr;
    QLabel* m_status = nullptr;
    QSet<QString> m_revealedKeys;
};

}  // namespace ctd::ui
