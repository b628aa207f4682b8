// The Inspect page; see inspect_page.h.
#include "ui/pages/inspect_page.h"

#include "ui/inspect/word_diff.h"
#include "ui/models/inspect_item_model.h"
#include "ui/project.h"

#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <exception>
#include <set>

namespace ctd::ui {


InspectPage::InspectPage(Project* project, QWidget* parent) : QWidget(parent), m_project(project) {
    m_items = new InspectItemModel(this);
    m_filter = new InspectFilterModel(this);
    m_filter->setSourceModel(m_items);

    m_firstRun = new QComboBox(this);
    m_secondRun = new QComboBox(this);
    auto* swap = new QPushButton("Swap", this);
    m_task = new QComboBox(this);
    m_label = new QComboBox(this);
    m_label->addItems({"Harmful and benign", "Harmful only", "Benign only"});
    m_flipsOnly = new QCheckBox("Refusal flips only", this);
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText("Search documents and responses");
    m_search->setClearButtonEnabled(true);
    m_revealAll = new QCheckBox("Reveal harmful content", this);
    m_count = new QLabel(this);

    auto* runRow = new QHBoxLayout;
    runRow->addWidget(new QLabel("Run A:", this));
    runRow->addWidget(m_firstRun, 1);
    runRow->addWidget(swap);
    runRow->addWidget(new QLabel("Run B:", this));
    runRow->addWidget(m_secondRun, 1);
    auto* filterRow = new QHBoxLayout;
    filterRow->addWidget(m_task);
    filterRow->addWidget(m_label);
    filterRow->addWidget(m_flipsOnly);
    filterRow->addWidget(m_search, 1);
    filterRow->addWidget(m_revealAll);
    filterRow->addWidget(m_count);

    m_table = new QTableView(this);
    m_table->setModel(m_filter);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);  // the suite's order until a click
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);

    m_itemTitle = new QLabel(this);
    QFont bold = m_itemTitle->font();
    bold.setBold(true);
    m_itemTitle->setFont(bold);
    m_document = new QTextBrowser(this);
    m_firstHeader = new QLabel(this);
    m_secondHeader = new QLabel(this);
    m_firstHeader->setWordWrap(true);
    m_secondHeader->setWordWrap(true);
    m_firstText = new QTextBrowser(this);
    m_secondText = new QTextBrowser(this);
    m_revealItem = new QPushButton("Reveal (R)", this);
    m_revealItem->setToolTip("Show this harmful document and the responses to it");
    m_status = new QLabel(this);
    m_status->setWordWrap(true);

    auto* detail = new QWidget(this);
    auto* grid = new QGridLayout(detail);
    grid->setContentsMargins(0, 0, 0, 0);
    auto* titleRow = new QHBoxLayout;
    titleRow->addWidget(m_itemTitle, 1);
    titleRow->addWidget(m_revealItem);
    grid->addLayout(titleRow, 0, 0, 1, 2);
    grid->addWidget(m_document, 1, 0, 1, 2);
    grid->addWidget(m_firstHeader, 2, 0);
    grid->addWidget(m_secondHeader, 2, 1);
    grid->addWidget(m_firstText, 3, 0);
    grid->addWidget(m_secondText, 3, 1);
    grid->setRowStretch(1, 2);
    grid->setRowStretch(3, 3);

    auto* splitter = new QSplitter(this);
    splitter->addWidget(m_table);
    splitter->addWidget(detail);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({440, 660});
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(runRow);
    layout->addLayout(filterRow);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_status);

    auto reloadItems = [this] { loadItems(); };
    connect(m_firstRun, &QComboBox::currentIndexChanged, this, reloadItems);
    connect(m_secondRun, &QComboBox::currentIndexChanged, this, reloadItems);
    connect(swap, &QPushButton::clicked, this, [this] { setRuns(m_secondRun->currentData().toLongLong(), m_firstRun->currentData().toLongLong()); });
    connect(m_task, &QComboBox::currentIndexChanged, this, [this] { m_filter->setTask(m_task->currentData().toString()); showCurrentItem(); });
    connect(m_label, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_filter->setLabel(static_cast<InspectFilterModel::LabelFilter>(index));
        showCurrentItem();
    });
    connect(m_flipsOnly, &QCheckBox::toggled, this, [this](bool on) { m_filter->setFlipsOnly(on); showCurrentItem(); });
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString& text) { m_filter->setSearchText(text); showCurrentItem(); });
    connect(m_revealAll, &QCheckBox::toggled, this, &InspectPage::showCurrentItem);
    connect(m_revealItem, &QPushButton::clicked, this, [this] {
        if (const InspectItem* item = currentItem()) m_revealedKeys.insert(item->task + "|" + item->key);
        showCurrentItem();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &InspectPage::showCurrentItem);

    auto shortcut = [this](Qt::Key key, auto slot) {
        auto* s = new QShortcut(QKeySequence(key), this);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, slot);
    };
    shortcut(Qt::Key_J, [this] { nextItem(); });
    shortcut(Qt::Key_K, [this] { previousItem(); });
    shortcut(Qt::Key_R, [this] { m_revealItem->click(); });

    connect(m_project, &Project::opened, this, &InspectPage::reload);
    connect(m_project, &Project::closed, this, &InspectPage::reload);
    connect(m_project, &Project::changed, this, [this](const QString& what) {
        if (what == "runs" || what == "evaluations") reload();
    });
    if (m_project->isOpen()) reload();
    else showCurrentItem();
}

void InspectPage::reload() {
    rebuildRunChoices();
    // Nothing chosen yet: compare the newest evaluated run with its family's no-defense run.
    if (m_firstRun->currentIndex() == 0 && m_secondRun->currentIndex() == 0 && m_firstRun->count() > 1) {
        showRun(m_firstRun->itemData(m_firstRun->count() - 1).toLongLong());
        return;
    }
    loadItems();
}

void InspectPage::rebuildRunChoices() {
    const qint64 first = m_firstRun->currentData().toLongLong(), second = m_secondRun->currentData().toLongLong();
    const QSignalBlocker blockFirst(m_firstRun), blockSecond(m_secondRun);
    m_firstRun->clear();
    m_secondRun->clear();
    m_firstRun->addItem("(none)", qint64(0));
    m_secondRun->addItem("(none)", qint64(0));
    store::Database* database = m_project->database();
    if (!database) return;
    try {
        std::set<int64_t> evaluated;
        for (const store::EvaluationRecord& evaluation : store::ResultStore(*database).evaluations())
            if (evaluation.responseCount > 0) evaluated.insert(evaluation.runId);
        for (const store::RunRecord& run : store::RunStore(*database).list()) {
            if (!evaluated.count(run.id)) continue;
            const QString title = QString("%1  %2 (%3)").arg(run.id).arg(QString::fromStdString(run.name),
                                                                         QString::fromStdString(run.modelFamily));
            m_firstRun->addItem(title, qint64(run.id));
            m_secondRun->addItem(title, qint64(run.id));
        }
    } catch (const std::exception& error) {
        m_status->setText(QString::fromStdString(error.what()));
    }
    m_firstRun->setCurrentIndex(std::max(0, m_firstRun->findData(first)));
    m_secondRun->setCurrentIndex(std::max(0, m_secondRun->findData(second)));
}

bool InspectPage::setRuns(qint64 first, qint64 second) {
    const int firstIndex = first ? m_firstRun->findData(first) : 0;
    const int secondIndex = second ? m_secondRun->findData(second) : 0;
    {
        const QSignalBlocker blockFirst(m_firstRun), blockSecond(m_secondRun);
        m_firstRun->setCurrentIndex(std::max(0, firstIndex));
        m_secondRun->setCurrentIndex(std::max(0, secondIndex));
    }
    loadItems();
    return firstIndex >= 0 && secondIndex >= 0;
}

void InspectPage::showRun(qint64 runId) {
    store::Database* database = m_project->database();
    if (!database) return;
    qint64 baseline = 0;
    try {
        store::RunStore runs(*database);
        const store::RunRecord run = runs.get(runId);
        for (const store::RunRecord& other : runs.list())
            if (other.id != runId && other.defendedTask.empty() && other.modelFamily == run.modelFamily &&
                m_firstRun->findData(qint64(other.id)) >= 0)
                baseline = other.id;
    } catch (const std::exception& error) {
        m_status->setText(QString::fromStdString(error.what()));
        return;
    }
    setRuns(runId, baseline);
}

void InspectPage::loadItems() {
    QVector<InspectItem> items;
    m_status->clear();
    if (store::Database* database = m_project->database()) {
        QString error;
        if (!loadInspectItems(*database, m_firstRun->currentData().toLongLong(), m_secondRun->currentData().toLongLong(),
                              "per-task", &items, &error))
            m_status->setText("Cannot read the responses: " + error);
    }
    QStringList tasks;
    for (const InspectItem& item : items)
        if (!tasks.contains(item.task)) tasks << item.task;
    {
        const QString task = m_task->currentData().toString();
        const QSignalBlocker blocker(m_task);
        m_task->clear();
        m_task->addItem("All tasks", QString());
        for (const QString& name : tasks) m_task->addItem(name, name);
        m_task->setCurrentIndex(std::max(0, m_task->findData(task)));
        m_filter->setTask(m_task->currentData().toString());
    }
    m_items->setRunTitles(m_firstRun->currentIndex() > 0 ? "A: run " + m_firstRun->currentData().toString() : "A",
                          m_secondRun->currentIndex() > 0 ? "B: run " + m_secondRun->currentData().toString() : "B");
    m_items->setItems(std::move(items));
    m_table->resizeColumnsToContents();
    if (m_filter->rowCount() > 0) selectVisibleRow(0);
    showCurrentItem();
}

void InspectPage::setTaskFilter(const QString& task) { m_task->setCurrentIndex(std::max(0, m_task->findData(task))); }
void InspectPage::setHarmfulFilter(int filter) { m_label->setCurrentIndex(filter); }
void InspectPage::setFlipsOnly(bool flipsOnly) { m_flipsOnly->setChecked(flipsOnly); }
void InspectPage::setSearchText(const QString& text) { m_search->setText(text); }
void InspectPage::setRevealHarmful(bool reveal) { m_revealAll->setChecked(reveal); }

int InspectPage::visibleItemCount() const { return m_filter->rowCount(); }

const InspectItem* InspectPage::currentItem() const { return m_filter->item(m_table->currentIndex()); }

void InspectPage::selectVisibleRow(int row) {
    if (row < 0 || row >= m_filter->rowCount()) return;
    m_table->setCurrentIndex(m_filter->index(row, 0));
    m_table->scrollTo(m_filter->index(row, 0));
}

void InspectPage::nextItem() {
    const QModelIndex current = m_table->currentIndex();
    selectVisibleRow(current.isValid() ? current.row() + 1 : 0);
}

void InspectPage::previousItem() {
    const QModelIndex current = m_table->currentIndex();
    selectVisibleRow(current.isValid() ? current.row() - 1 : 0);
}

}  // namespace ctd::ui
