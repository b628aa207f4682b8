// The GUI reading while a worker writes: reader threads, each with its own connection (as the GUI's
// pages have), list runs, read a run's loss curve and an evaluation's responses while a writer
// stores metric points and responses in batched transactions on the same WAL database. No read
// may fail with "database is locked" and every read sees whole batches. Also checks that a real
// training run and a real evaluation commit in batches, not once per step or response.
#include "test_experiment_support.h"

#include "core/eval/evaluator.h"
#include "core/eval/suite.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"
#include "core/train/training_job.h"

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace ctd;
namespace fs = std::filesystem;

namespace {

constexpr int kMetricBatch = 25;
constexpr int kResponseBatch = 16;
constexpr int kBatches = 400;
constexpr int kReaders = 4;

// Failures seen by any thread, with the "locked"/"busy" ones counted apart.
struct Failures {
    std::mutex mutex;
    std::vector<std::string> messages;
    std::atomic<int> locked{0};
    void add(const std::string& message) {
        if (message.find("locked") != std::string::npos || message.find("busy") != std::string::npos) ++locked;
        std::lock_guard lock(mutex);
        if (messages.size() < 10) messages.push_back(message);
    }
};

store::ResponseRecord response(int index) {
    store::ResponseRecord record;
    record.itemKey = "item-" + std::to_string(index);
    record.task = index % 2 ? "summarize" : "translate";
    record.harmful = index % 3 == 0;
    record.document = std::string(400, 'd');  // GUI-sized rows, not empty ones
    record.prompt = "prompt " + std::to_string(index) + std::string(200, 'p');
    record.response = "response " + std::to_string(index);
    record.newTokens = 12;
    return record;
}

// Counts the commits of one connection (a statement outside a transaction is one commit too).
int countCommit(void* counter) {
    ++*static_cast<int*>(counter);
    return 0;
}

}  // namespace

TEST(StoreConcurrency, ReadersNeverSeeLockedWhileAWriterStoresBatches) {
    test::TempDir temp;
    const fs::path path = temp / "project.sqlite";
    int64_t runId = 0, evaluationId = 0;
    {
        store::Database database(path);
        store::RunRecord run;
        run.name = "writer";
        run.state = "running";
        runId = store::RunStore(database).create(run);
        evaluationId = store::ResultStore(database).createEvaluation(runId, "suite", {}, "hash");
    }
    Failures failures;
    std::atomic<bool> writing{true};
    std::atomic<int64_t> reads{0}, inconsistent{0};

    std::thread writer([&] {
        try {
            store::Database database(path);
            store::RunStore runs(database);
            store::ResultStore results(database);
            for (int batch = 0; batch < kBatches; ++batch) {
                std::vector<store::MetricPoint> points;
                for (int i = 1; i <= kMetricBatch; ++i)
                    points.push_back({batch * kMetricBatch + i, 1.0 / (batch + i), 1e-4, 0.5, 100.0});
                runs.appendMetrics(runId, points);
                runs.updateProgress(runId, (batch + 1) * kMetricBatch, kBatches * kMetricBatch, "");
                std::vector<store::ResponseRecord> responses;
                for (int i = 0; i < kResponseBatch; ++i) responses.push_back(response(batch * kResponseBatch + i));
                results.insertResponses(evaluationId, responses);
                if (batch % 20 == 19) results.addGenerationSeconds(evaluationId, 0.1);
            }
            results.setEvaluationState(evaluationId, "completed");
        } catch (const std::exception& error) {
            failures.add(std::string("writer: ") + error.what());
        }
        writing = false;
    });

    std::vector<std::thread> readers;
    for (int reader = 0; reader < kReaders; ++reader) {
        readers.emplace_back([&, reader] {
            try {
                std::optional<store::Database> database(std::in_place, path);
                for (int iteration = 0; writing || iteration < 3; ++iteration) {
                    // Half the readers reopen now and then, as a page opening its own connection does.
                    if (reader % 2 == 1 && iteration % 10 == 0) database.emplace(path);
                    store::RunStore runs(*database);
                    store::ResultStore results(*database);
                    // The runs list, then one run and its curve in one read transaction: the
                    // progress recorded never runs ahead of the points stored before it.
                    const auto list = runs.list();
                    store::Transaction snapshot(*database, store::Transaction::Mode::Deferred);
                    const auto run = runs.get(runId);
                    const auto metrics = runs.metrics(runId);
                    snapshot.commit();
                    bool ok = list.size() == 1 && metrics.size() % kMetricBatch == 0 &&
                              run.stepsDone <= static_cast<int64_t>(metrics.size());
                    for (std::size_t i = 0; ok && i < metrics.size(); ++i) ok = metrics[i].step == static_cast<int64_t>(i) + 1;
                    // Responses of one task (the inspect page) and the whole evaluation's count.
                    store::ResponseFilter filter;
                    filter.task = "summarize";
                    const auto some = results.responses({evaluationId}, filter);
                    const auto all = results.responses({evaluationId});
                    ok = ok && all.size() % kResponseBatch == 0 && some.size() <= all.size();
                    const auto evaluation = results.getEvaluation(evaluationId);
                    ok = ok && evaluation.responseCount % kResponseBatch == 0;
                    if (!ok) ++inconsistent;
                    ++reads;
                }
            } catch (const std::exception& error) {
                failures.add("reader " + std::to_string(reader) + ": " + error.what());
            }
        });
    }
    writer.join();
    for (auto& thread : readers) thread.join();

    EXPECT_EQ(failures.locked.load(), 0);
    EXPECT_TRUE(failures.messages.empty()) << failures.messages.front();
    EXPECT_EQ(inconsistent.load(), 0) << "reads that saw part of a batch";
    EXPECT_GT(reads.load(), kReaders * 3);
    store::Database database(path);
    EXPECT_EQ(store::RunStore(database).metrics(runId).size(), static_cast<size_t>(kBatches * kMetricBatch));
    EXPECT_EQ(store::ResultStore(database).countResponses(evaluationId), kBatches * kResponseBatch);
    std::cout << "[concurrency] " << reads.load() << " reads by " << kReaders << " readers while " << kBatches
              << " batches were written\n";
}

TEST(StoreConcurrency, TrainingAndEvaluationCommitInBatches) {
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(temp.path());
    store::Database database(temp / "project.sqlite");
    int commits = 0;
    sqlite3_commit_hook(database.handle(), countCommit, &commits);

    constexpr int64_t kSteps = 40;
    const nlohmann::json spec = test::tinyTrainingSpec(project, "batched", {{"max_steps", kSteps}});
    const auto trained = train::runTraining(database, train::TrainingSpec::fromJson(spec, "test", temp.path()));
    ASSERT_EQ(trained.state, "completed") << trained.message;
    EXPECT_EQ(store::RunStore(database).metrics(trained.runId).size(), static_cast<size_t>(kSteps));
    // Run bookkeeping (create, state, provenance, hashes, progress, adapter) plus the metric batches
    // (10 here; slack for slow sanitizer builds, where the 2 s flush timer fires more often).
    EXPECT_LE(commits, 20) << "training committed " << commits << " times for " << kSteps << " steps";
    const int trainingCommits = commits;

    eval::saveSuite(database, eval::worldSuite(project.world, "tiny"));
    commits = 0;
    eval::EvaluationSettings settings;
    settings.generation.maxNewTokens = 2;
    settings.batchSize = 8;
    settings.scoreAfterwards = false;
    const auto evaluated = eval::evaluateRun(database, trained.runId, "tiny", settings);
    ASSERT_EQ(evaluated.state, "completed");
    const int64_t batches = (evaluated.total + settings.batchSize - 1) / settings.batchSize;
    // Per batch: its responses in one transaction and the generation time; plus create and states.
    EXPECT_LE(commits, 2 * batches + 4) << "evaluation committed " << commits << " times for " << evaluated.total
                                        << " responses";
    std::cout << "[batching] training: " << trainingCommits << " commits for " << kSteps << " steps; evaluation: "
              << commits << " commits for " << evaluated.total << " responses in " << batches << " batches\n";
}
