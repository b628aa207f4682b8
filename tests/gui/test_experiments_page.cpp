// The Experiments page runs a two-cell experiment on a tiny project in the worker: the plan's
// cells appear with their hashes, the run completes with overall progress, and the cells come
// back done with their runs and metrics; the cell model passes QAbstractItemModelTester.
#include "tiny_project.h"

#include "ui/jobs/job_controller.h"
#include "ui/models/experiment_cell_model.h"
#include "ui/pages/experiments_page.h"
#include "ui/project.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace ctd;
using namespace ctd::ui;

namespace {

QString writeExperimentSpec(const test::gui::TinyProject& tiny) {
    const nlohmann::json spec = {
        {"name", "gui-tiny-experiment"},
        {"models", {{{"name", "tiny"}, {"path", tiny.modelDir.toStdString()}, {"template", "alpaca"}, {"family", "llama1"}}}},
        {"grid", {{{"defended_task", "summarize"}, {"counts", {0, 4}}}}},
        {"losses", {"token_mean"}},
        {"seeds", {7}},
        {"mixture",
         {{"data_dir", tiny.worldDir.toStdString()},
          {"benign", {{{"name", "general"}, {"path", "train_general.json"}, {"count", 6}}}},
          {"safety", {{{"name", "safety_qa"}, {"path", "train_harmful_questions.json"}, {"count", 2}}}},
          {"defense",
           {{"pool", {{"path", "defense_{task}.json"}, {"field", "instruction"}, {"strip_task", "auto"}}},
            {"refusal", "I'm sorry, but I cannot help with that."}}}}},
        {"training",
         {{"lora", {{"r", 4}, {"alpha", 8}, {"dropout", 0.0}}},
          {"micro_batch_size", 2},
          {"batch_size", 2},
          {"max_steps", 3},
          {"cutoff_length", 256},
          {"checkpoint_every", 1}}},
        {"evaluation",
         {{"suites", {{{"name", "tiny"}, {"world", tiny.worldDir.toStdString()}}}},
          {"generation", {{"strategy", "greedy"}, {"max_new_tokens", 4}}},
          {"batch_size", 8},
          {"limit_per_group", 1},
          {"report_scorer", "per-task"}}}};
    const QString path = QDir(tiny.root).filePath("experiment.json");
    std::ofstream(path.toStdString()) << spec.dump(2);
    return path;
}

}  // namespace

class ExperimentsPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_temporary.isValid());
        QCoreApplication::setOrganizationName("ctd-tests");
        m_tiny = test::gui::makeTinyProject(m_temporary.path());
    }

    void runsTheExperimentAndShowsItsCells() {
        Project project;
        QString error;
        QVERIFY2(project.open(m_tiny.databasePath, true, &error), qPrintable(error));
        JobController jobs;
        ExperimentsPage page(&project, &jobs);
        QAbstractItemModelTester tester(page.cellModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        page.openSpec(writeExperimentSpec(m_tiny));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isPlanning(), 120000);
        QVERIFY2(page.overview().error.isEmpty(), qPrintable(page.overview().error));
        QVERIFY2(page.overview().problems.isEmpty(), qPrintable(page.overview().problems.join("\n")));
        QCOMPARE(page.cellModel()->rowCount(), 2);
        for (const ExperimentCellRow& cell : page.cellModel()->cells()) {
            QCOMPARE(cell.state, QString("new"));
            QCOMPARE(cell.hash.size(), 64);
        }

        QSignalSpy progress(&jobs, &JobController::progress);
        QVERIFY2(page.runExperiment(&error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.isBusy(), 600000);
        QVERIFY2(page.lastResult().state == "completed", qPrintable(page.lastResult().message));
        QVERIFY(progress.count() > 0);
        bool sawCells = false;
        for (const QList<QVariant>& arguments : progress)
            sawCells = sawCells || arguments.first().value<JobProgress>().cellsTotal == 2;
        QVERIFY(sawCells);

        QTRY_VERIFY_WITH_TIMEOUT(!page.isPlanning(), 120000);
        QCOMPARE(page.overview().cellsDone, 2);
        for (const ExperimentCellRow& cell : page.cellModel()->cells()) {
            QCOMPARE(cell.state, QString("done"));
            QVERIFY(cell.runId > 0);
            QVERIFY(cell.harmfulRefusal >= 0.0 && cell.harmfulRefusal <= 1.0);
        }
    }

private:
    QTemporaryDir m_temporary;
    test::gui::TinyProject m_tiny;
};

QTEST_MAIN(ExperimentsPageTest)
#include "test_experiments_page.moc"
