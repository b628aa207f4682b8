// The Inspect page on a fixture database: refusal flips, harmful/benign and task filters, search,
// J/K navigation, harmful content collapsed until revealed; the word diff; the item models pass
// QAbstractItemModelTester while they are reset and filtered.
#include "fixture_database.h"

#include "ui/inspect/word_diff.h"
#include "ui/models/inspect_item_model.h"
#include "ui/models/run_list_model.h"
#include "ui/pages/inspect_page.h"
#include "ui/project.h"

#include "core/store/run_store.h"

#include <QAbstractItemModelTester>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace ctd;
using namespace ctd::ui;

class InspectTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_temporary.isValid());
        QCoreApplication::setOrganizationName("ctd-tests");
        m_database = m_temporary.filePath("fixture.ctd");
        m_ids = test::gui::buildFixtureDatabase(m_database);
        QString error;
        QVERIFY2(m_project.open(m_database, false, &error), qPrintable(error));
    }

    void filtersRefusalFlips() {
        InspectPage page(&m_project);
        QAbstractItemModelTester itemTester(page.itemModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester filterTester(page.filterModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY(page.setRuns(m_ids.llama1Base, m_ids.llama1Summarize100));
        QCOMPARE(page.visibleItemCount(), 5 * 2 * test::gui::kFixtureItemsPerGroup);

        // The base run refuses nothing; summarize N=100 refuses harmful summarize items 0-5, the
        // other tasks' harmful items 0-1, and benign items 0-1 of every task.
        page.setFlipsOnly(true);
        QCOMPARE(page.visibleItemCount(), 6 + 4 * 2 + 5 * 2);
        for (int row = 0; row < page.visibleItemCount(); ++row) {
            const InspectItem* item = page.filterModel()->item(page.filterModel()->index(row, 0));
            QVERIFY(item && item->isRefusalFlip());
            QVERIFY(!item->first.refused);
            QVERIFY(item->second.refused);
            QVERIFY(item->second.storedVerdict);
            const int index = item->key.section(':', 1).toInt();
            QVERIFY(index < (item->harmful && item->task == "summarize" ? 6 : 2));
        }
        page.setHarmfulFilter(1);
        QCOMPARE(page.visibleItemCount(), 6 + 4 * 2);
        page.setHarmfulFilter(2);
        QCOMPARE(page.visibleItemCount(), 5 * 2);
        page.setHarmfulFilter(0);
        page.setTaskFilter("summarize");
        QCOMPARE(page.visibleItemCount(), 6 + 2);
        page.setTaskFilter("");
        page.setFlipsOnly(false);
        QCOMPARE(page.visibleItemCount(), 100);

        // Two runs of the same setting do not flip; swapping the runs keeps the flips.
        page.setRuns(m_ids.llama1Summarize100, m_ids.llama1Summarize100);
        page.setFlipsOnly(true);
        QCOMPARE(page.visibleItemCount(), 0);
        page.setRuns(m_ids.llama1Summarize100, m_ids.llama1Base);
        QCOMPARE(page.visibleItemCount(), 24);
    }

    void searchesDocumentsAndResponses() {
        InspectPage page(&m_project);
        page.setRuns(m_ids.llama2Base, m_ids.llama2Summarize100);
        page.setSearchText("fixture document 7 ");
        QCOMPARE(page.visibleItemCount(), 10);  // item 7 of each task, harmful and benign
        page.setSearchText("CANNOT HELP");      // case-insensitive, in responses
        QVERIFY(page.visibleItemCount() > 0);
        for (int row = 0; row < page.visibleItemCount(); ++row) {
            const InspectItem* item = page.filterModel()->item(page.filterModel()->index(row, 0));
            QVERIFY(item->first.refused || item->second.refused);
        }
        page.setSearchText("no such words anywhere");
        QCOMPARE(page.visibleItemCount(), 0);
        QVERIFY(page.currentItem() == nullptr);
    }

    void jAndKMoveThroughTheItems() {
        InspectPage page(&m_project);
        page.resize(1000, 700);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.activateWindow();
        page.setRuns(m_ids.llama1Base, m_ids.llama1Summarize100);
        page.setFlipsOnly(true);
        page.selectVisibleRow(0);
        auto* table = page.findChild<QTableView*>();
        QVERIFY(table);
        table->setFocus();
        const InspectItem* first = page.currentItem();
        QVERIFY(first);
        QTest::keyClick(table, Qt::Key_J);
        QCOMPARE(table->currentIndex().row(), 1);
        QVERIFY(page.currentItem() != first);
        QTest::keyClick(table, Qt::Key_J);
        QTest::keyClick(table, Qt::Key_K);
        QCOMPARE(table->currentIndex().row(), 1);
        page.previousItem();
        QCOMPARE(table->currentIndex().row(), 0);
    }

    void harmfulContentIsCollapsedUntilRevealed() {
        InspectPage page(&m_project);
        page.setRuns(m_ids.llama1Base, m_ids.llama1Summarize100);
        page.setHarmfulFilter(1);
        page.selectVisibleRow(0);
        const InspectItem* item = page.currentItem();
        QVERIFY(item && item->harmful);
        QVERIFY(!page.detailText().contains(item->document));
        QVERIFY(!page.detailText().contains(item->first.text));
        QVERIFY(page.detailText().contains("hidden"));
        page.setRevealHarmful(true);
        QVERIFY(page.detailText().contains(item->document));
        QVERIFY(page.detailText().contains(item->first.text));
        page.setRevealHarmful(false);
        page.setHarmfulFilter(2);
        page.selectVisibleRow(0);
        QVERIFY(page.detailText().contains(page.currentItem()->document));  // benign: shown
    }

    void wordDiffMarksTheChangedWords() {
        const QVector<DiffSegment> diff = wordDiff("the cat sat down", "the dog sat down");
        QCOMPARE(diff.size(), 4);
        QCOMPARE(diff[0].kind, DiffSegment::Same);
        QCOMPARE(diff[0].text, QString("the "));
        QCOMPARE(diff[1].kind, DiffSegment::OnlyFirst);
        QCOMPARE(diff[1].text, QString("cat "));
        QCOMPARE(diff[2].kind, DiffSegment::OnlySecond);
        QCOMPARE(diff[2].text, QString("dog "));
        QCOMPARE(diff[3].text, QString("sat down"));
        QVERIFY(diffHtml(diff, true).contains(">cat</span>"));
        QVERIFY(!diffHtml(diff, true).contains("dog"));
        QVERIFY(diffHtml(wordDiff("a <b>", "a <b>"), false).contains("&lt;b&gt;"));
        QCOMPARE(wordDiff("", "").size(), 0);
        QCOMPARE(wordDiff("only", "").size(), 1);
    }

    void runListModelPassesTheTester() {
        RunListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRuns(store::RunStore(*m_project.database()).list());
        QCOMPARE(model.rowCount(), 10);
        const int row = model.rowOfRun(m_ids.llama2Summarize100);
        QVERIFY(row >= 0);
        QCOMPARE(model.index(row, RunListModel::DefendedTask).data().toString(), QString("summarize"));
        model.updateProgress(m_ids.llama2Summarize100, 3, 9);
        QCOMPARE(model.index(row, RunListModel::Steps).data().toString(), QString("3 / 9"));
        model.setRuns({});
        QCOMPARE(model.rowCount(), 0);
    }

private:
    QTemporaryDir m_temporary;
    QString m_database;
    test::gui::FixtureIds m_ids;
    Project m_project;
};

QTEST_MAIN(InspectTest)
#include "test_inspect.moc"
