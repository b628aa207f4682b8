// The UI's thread handoffs (ui/jobs): Mailbox keeps order across threads and through nested event
// loops and drops what is left when it goes; BackgroundCall delivers only the latest result and
// joins its threads; JobController runs jobs on its thread, reports in order and cancels. Run under
// ThreadSanitizer too (scripts/run-sanitizers.sh tsan), where these handoffs must not race.
#include "ui/jobs/background_call.h"
#include "ui/jobs/job_controller.h"
#include "ui/jobs/job_task.h"
#include "ui/jobs/mailbox.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSignalSpy>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace ctd::ui;

namespace {

// A task that reports `steps` progress samples and a message, checking the stop flag between them.
class CountingTask : public JobTask {
public:
    explicit CountingTask(int steps, int sleepMs = 0) : m_steps(steps), m_sleepMs(sleepMs) {}
    QString description() const override { return "count"; }
    JobResult run(JobContext& context) override {
        context.runStarted(42);
        for (int step = 1; step <= m_steps; ++step) {
            if (context.stopRequested()) return {0, 42, "cancelled", "stopped at " + QString::number(step)};
            if (m_sleepMs) std::this_thread::sleep_for(std::chrono::milliseconds(m_sleepMs));
            ProgressSample sample;
            sample.step = step;
            sample.totalSteps = m_steps;
            sample.loss = 1.0 / step;
            context.progress(sample);
        }
        context.message("done counting");
        return {0, 42, "completed", ""};
    }

private:
    int m_steps;
    int m_sleepMs;
};

}  // namespace

class JobsThreadsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void mailboxKeepsOrderFromManyThreads() {
        Mailbox mailbox;
        std::vector<std::vector<int>> seen(4);  // touched on this thread only
        int delivered = 0;
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 500; ++i) mailbox.post([&, t, i] { seen[t].push_back(i), ++delivered; });
            });
        for (auto& thread : threads) thread.join();
        QTRY_COMPARE(delivered, 2000);
        for (const auto& perThread : seen) {
            QCOMPARE(int(perThread.size()), 500);
            for (int i = 0; i < 500; ++i) QCOMPARE(perThread[std::size_t(i)], i);
        }
    }

    void mailboxKeepsOrderThroughNestedEventLoops() {
        Mailbox mailbox;
        std::vector<int> order;
        mailbox.post([&] {
            order.push_back(1);
            std::thread([&] { mailbox.post([&] { order.push_back(4); }); }).join();
            QEventLoop nested;  // a closure that waits with an event loop (e.g. stopAndWait)
            QTimer::singleShot(50, &nested, &QEventLoop::quit);
            nested.exec();  // runs 3 and 4, in the order they were posted
            order.push_back(2);
        });
        mailbox.post([&] { order.push_back(3); });
        QTRY_COMPARE(int(order.size()), 4);
        QCOMPARE(order, (std::vector<int>{1, 3, 4, 2}));
    }

    void mailboxDropsWhatIsLeftWhenDestroyed() {
        auto ran = std::make_shared<int>(0);
        {
            Mailbox mailbox;
            for (int i = 0; i < 10; ++i) mailbox.post([ran] { ++*ran; });
        }
        QTest::qWait(20);
        QCOMPARE(*ran, 0);
    }

    void backgroundCallDeliversOnlyTheLatest() {
        BackgroundCall call;
        QSignalSpy finished(&call, &BackgroundCall::finished);
        std::atomic<int> cancelledSeen{0};
        auto slow = [&](int value) {
            return [&, value](const std::atomic<bool>& cancel) {
                for (int i = 0; i < 200 && !cancel; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                if (cancel) ++cancelledSeen;
                return QVariant(value);
            };
        };
        call.start(slow(1));
        call.start(slow(2));
        const int latest = call.start([](const std::atomic<bool>&) { return QVariant(3); });
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).toInt(), latest);
        QCOMPARE(finished.at(0).at(1).toInt(), 3);
        QTRY_COMPARE(cancelledSeen.load(), 2);
        QTest::qWait(50);
        QCOMPARE(finished.count(), 1);
        QVERIFY(!call.isBusy());
    }

    void backgroundCallJoinsOnDestruction() {
        std::atomic<bool> stopped{false};
        {
            BackgroundCall call;
            call.start([&](const std::atomic<bool>& cancel) {
                while (!cancel) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                stopped = true;
                return QVariant();
            });
        }
        QVERIFY(stopped.load());  // the destructor cancelled and joined
    }

    void jobControllerReportsInOrderAndFinishes() {
        JobController controller;
        QSignalSpy progress(&controller, &JobController::progress);
        QSignalSpy messages(&controller, &JobController::message);
        QSignalSpy runs(&controller, &JobController::runStarted);
        QSignalSpy finished(&controller, &JobController::finished);
        QVERIFY(controller.start(std::make_shared<CountingTask>(300)) > 0);
        QVERIFY(controller.isBusy());
        QCOMPARE(controller.start(std::make_shared<CountingTask>(1)), 0);  // one job at a time
        QTRY_COMPARE(finished.count(), 1);
        QCOMPARE(runs.count(), 1);
        QCOMPARE(messages.count(), 1);
        QVERIFY(progress.count() >= 1);
        qint64 lastStep = 0;
        for (const auto& arguments : progress) {
            const auto sample = arguments.at(0).value<JobProgress>();
            QVERIFY(sample.step > lastStep);
            lastStep = sample.step;
        }
        QCOMPARE(lastStep, qint64(300));  // the last sample always arrives, before `finished`
        QCOMPARE(finished.at(0).at(0).value<JobResult>().state, QString("completed"));
        QVERIFY(!controller.isBusy());
        // The thread takes the next job.
        QVERIFY(controller.start(std::make_shared<CountingTask>(5)) > 0);
        QTRY_COMPARE(finished.count(), 2);
    }

    void jobControllerCancels() {
        JobController controller;
        QSignalSpy finished(&controller, &JobController::finished);
        QVERIFY(controller.start(std::make_shared<CountingTask>(100000, 1)) > 0);
        QTest::qWait(20);
        QVERIFY(controller.stopAndWait(10000));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<JobResult>().state, QString("cancelled"));
    }

    void jobControllerDestroyedMidJobStopsIt() {
        auto controller = std::make_unique<JobController>();
        QVERIFY(controller->start(std::make_shared<CountingTask>(100000, 1)) > 0);  // ~100 s if never stopped
        QTest::qWait(20);
        QElapsedTimer destroying;
        destroying.start();
        controller.reset();  // raises the stop flag and joins
        QVERIFY2(destroying.elapsed() < 5000, "the job thread did not stop at its next check");
    }
};

QTEST_MAIN(JobsThreadsTest)
#include "test_jobs_threads.moc"
