// The Runs page drives real (tiny) training in the background worker: loss points arrive and the
// run completes; Cancel leaves a cancelled run that Resume finishes; a bad spec fails readably;
// closing the main window during training stops the job cleanly.
#include "tiny_project.h"

#include "ui/jobs/job_controller.h"
#include "ui/main_window.h"
#include "ui/models/run_list_model.h"
#include "ui/pages/runs_page.h"
#include "ui/plots/chart_view.h"
#include "ui/project.h"

#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace ctd;
using namespace ctd::ui;

class RunsPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_temporary.isValid());
        QCoreApplication::setOrganizationName("ctd-tests");
        m_project = test::gui::makeTinyProject(m_temporary.path());
    }

    void trainingProducesLossPointsAndCompletes() {
        Project project;
        QString error;
        QVERIFY2(project.open(m_project.databasePath, true, &error), qPrintable(error));
        JobController jobs;
        RunsPage page(&project, &jobs);
        const QString spec = test::gui::writeTrainingSpec(m_project, "tiny-complete", 6);
        QSignalSpy progress(&jobs, &JobController::progress);
        QVERIFY2(page.startTrainingFromFile(spec, &error), qPrintable(error));
        QVERIFY(jobs.isBusy());
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.isBusy(), 180000);
        QCOMPARE(page.lastResult().state, QString("completed"));
        QVERIFY(page.lastResult().runId > 0);
        QVERIFY(progress.count() >= 1);
        QCOMPARE(page.liveLossPoints().size(), 6);
        QCOMPARE(page.lossChart()->drawnPointCount(0), 6);
        for (const QPointF& point : page.liveLossPoints()) QVERIFY(std::isfinite(point.y()) && point.y() > 0);

        store::RunStore runs(*project.database());
        const store::RunRecord run = runs.get(page.lastResult().runId);
        QCOMPARE(QString::fromStdString(run.state), QString("completed"));
        QCOMPARE(runs.metrics(run.id).size(), std::size_t(6));
        QVERIFY(!run.adapterDir.empty());
        const int row = page.runModel()->rowOfRun(run.id);
        QVERIFY(row >= 0);
        QCOMPARE(page.runModel()->index(row, RunListModel::State).data().toString(), QString("completed"));
        QCOMPARE(page.selectedRunId(), run.id);

        // Evaluate the trained run on the tiny world's suite from the same page.
        EvaluationRequest request;
        request.runId = run.id;
        request.runName = "tiny-complete";
        request.suiteName = "tiny-world";
        request.worldFolder = m_project.worldDir;
        request.maxNewTokens = 4;
        request.limitPerGroup = 1;
        QVERIFY2(page.evaluateRun(request, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.isBusy(), 180000);
        QVERIFY2(page.lastResult().state == "completed", qPrintable(page.lastResult().message));
        const auto evaluations = store::ResultStore(*project.database()).evaluations(run.id);
        QCOMPARE(int(evaluations.size()), 1);
        QCOMPARE(evaluations.front().responseCount, qint64(10));  // five tasks x harmful/benign x 1
    }

    void cancelLeavesAResumableRun() {
        Project project;
        QString error;
        QVERIFY2(project.open(m_project.databasePath, true, &error), qPrintable(error));
        JobController jobs;
        RunsPage page(&project, &jobs);
        const int totalSteps = 400;
        const QString spec = test::gui::writeTrainingSpec(m_project, "tiny-cancel", totalSteps);
        const auto cancelAfterTwoSteps = connect(&jobs, &JobController::progress, &page, [&page](const JobProgress& progress) {
            if (progress.step >= 2) page.cancelJob();
        });
        QVERIFY2(page.startTrainingFromFile(spec, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.isBusy(), 180000);
        QCOMPARE(page.lastResult().state, QString("cancelled"));
        const qint64 runId = page.lastResult().runId;
        {
            store::RunStore runs(*project.database());
            const store::RunRecord run = runs.get(runId);
            QCOMPARE(QString::fromStdString(run.state), QString("cancelled"));
            QVERIFY(run.stepsDone >= 2);
            QVERIFY(run.stepsDone < totalSteps);
            QVERIFY(!run.lastCheckpoint.empty());
            QVERIFY(QFileInfo::exists(QString::fromStdString(run.lastCheckpoint)));
        }

        // Resume from the Runs page finishes the same run.
        disconnect(cancelAfterTwoSteps);
        page.selectRun(runId);
        QVERIFY2(page.resumeRun(runId, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.isBusy(), 300000);
        QCOMPARE(page.lastResult().state, QString("completed"));
        QCOMPARE(page.lastResult().runId, runId);
        store::RunStore runs(*project.database());
        QCOMPARE(QString::fromStdString(runs.get(runId).state), QString("completed"));
        QCOMPARE(runs.metrics(runId).size(), std::size_t(totalSteps));
        QCOMPARE(page.liveLossPoints().size(), totalSteps);
    }

    void aBadSpecFailsWithAReadableMessage() {
        Project project;
        QString error;
        QVERIFY2(project.open(m_project.databasePath, true, &error), qPrintable(error));
        JobController jobs;
        RunsPage page(&project, &jobs);
        const QString spec =
            test::gui::writeTrainingSpec(m_project, "tiny-missing-model", 3, m_temporary.filePath("no-such-model"));
        QVERIFY2(page.startTrainingFromFile(spec, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.isBusy(), 60000);
        QCOMPARE(page.lastResult().state, QString("failed"));
        QVERIFY(page.lastResult().message.contains("no-such-model"));
        if (page.lastResult().runId) {
            store::RunStore runs(*project.database());
            QCOMPARE(QString::fromStdString(runs.get(page.lastResult().runId).state), QString("failed"));
        }
        // A file that is not JSON fails too, without a crash.
        const QString garbage = m_temporary.filePath("garbage.json");
        QFile file(garbage);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{ not json");
        file.close();
        QVERIFY(page.startTrainingFromFile(garbage, &error));
        QTRY_VERIFY_WITH_TIMEOUT(!jobs.isBusy(), 60000);
        QCOMPARE(page.lastResult().state, QString("failed"));
        QVERIFY(page.lastResult().message.contains("JSON"));
    }

    void closingTheWindowStopsTheJobCleanly() {
        MainWindow window;
        window.setConfirmStopOnClose(false);
        QString error;
        QVERIFY2(window.openDatabase(m_project.databasePath, false, &error), qPrintable(error));
        const QString spec = test::gui::writeTrainingSpec(m_project, "tiny-close", 400);
        QSignalSpy progress(window.jobs(), &JobController::progress);
        QVERIFY2(window.runsPage()->startTrainingFromFile(spec, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(progress.count() > 0, 120000);
        QVERIFY(window.jobs()->isBusy());
        QVERIFY(window.close());
        QVERIFY(!window.jobs()->isBusy());
        store::Database database(m_project.databasePath.toStdString());
        bool found = false;
        for (const store::RunRecord& run : store::RunStore(database).list()) {
            if (run.name != "tiny-close") continue;
            found = true;
            QCOMPARE(QString::fromStdString(run.state), QString("cancelled"));
        }
        QVERIFY(found);
    }

private:
    QTemporaryDir m_temporary;
    test::gui::TinyProject m_project;
};

QTEST_MAIN(RunsPageTest)
#include "test_runs_page.moc"
