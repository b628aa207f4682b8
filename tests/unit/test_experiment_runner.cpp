// The experiment runner in process: every cell ends done with its run, evaluation and scores; a
// second run skips everything; a changed evaluation reuses the trained runs; a new grid point
// runs alone; progress counts cells and reaches an ETA; a stop request leaves a resumable cell.
#include "test_experiment_support.h"

#include "core/eval/report.h"
#include "core/experiment/queue.h"
#include "core/experiment/runner.h"
#include "core/experiment/summary.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"

using namespace ctd;

namespace {

experiment::ExperimentResult runProject(store::Database& database, const test::TinyExperiment& project,
                                        const experiment::ExperimentHooks& hooks = {}) {
    experiment::RunOptions options;
    options.outDir = project.root / "out";
    options.threads = 1;
    return experiment::runExperiment(database, experiment::ExperimentSpec::load(project.spec), options, hooks);
}

int64_t count(store::Database& database, const std::string& table) {
    auto s = database.prepare("SELECT COUNT(*) FROM " + table);
    s.step();
    return s.columnInt(0);
}

}  // namespace

TEST(ExperimentRunner, RunsEveryCellThenSkipsThemAll) {
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(temp.path());
    store::Database database(temp.path() / "project.sqlite");

    std::vector<experiment::ExperimentProgress> progress;
    experiment::ExperimentHooks hooks;
    hooks.onProgress = [&](const experiment::ExperimentProgress& p) { progress.push_back(p); };
    const auto first = runProject(database, project, hooks);
    EXPECT_EQ(first.state, "completed");
    EXPECT_EQ(first.cellsTotal, 6);
    EXPECT_EQ(first.cellsDone, 6);
    EXPECT_EQ(first.cellsCached, 0);
    ASSERT_EQ(first.cells.size(), 6u);
    EXPECT_EQ(first.suiteNames, std::vector<std::string>{"tiny"});

    store::RunStore runs(database);
    const auto all = runs.list();
    ASSERT_EQ(all.size(), 6u);
    int base = 0;
    for (const auto& run : all) {
        EXPECT_EQ(run.state, "completed") << run.name;
        ASSERT_TRUE(run.cellHash.has_value());
        if (run.kind == "base") {
            ++base;
            EXPECT_EQ(run.defenseCount, 0);
        } else {
            EXPECT_FALSE(run.adapterDir.empty());
            EXPECT_EQ(run.stepsDone, 3);
            EXPECT_TRUE(run.defendedTask == "summarize" || run.defendedTask == "mixed") << run.defendedTask;
        }
    }
    EXPECT_EQ(base, 2);
    EXPECT_EQ(count(database, "evaluations"), 6);
    EXPECT_EQ(count(database, "responses"), 60);
    EXPECT_GT(count(database, "scores"), 60);

    // Progress: cells counted up, each cell's stages reported, an ETA once rates are known.
    ASSERT_FALSE(progress.empty());
    EXPECT_EQ(progress.front().cellsTotal, 6);
    bool training = false, evaluating = false, eta = false;
    for (const auto& p : progress) {
        training = training || p.stage == "training";
        evaluating = evaluating || p.stage == "evaluating";
        eta = eta || p.etaSeconds >= 0;
    }
    EXPECT_TRUE(training && evaluating && eta);
    EXPECT_EQ(progress.back().cellsDone, 5);  // reported while the last cell ran

    // Summary tables name every cell.
    const auto summary = experiment::summarizeExperiment(database, "tiny-test", "tiny", "per-task");
    EXPECT_EQ(summary.cellsDone, 6);
    EXPECT_EQ(summary.labels.size(), 6u);
    const std::string tables = experiment::formatExperimentTables(summary);
    EXPECT_NE(tables.find("m2 summarize N=4"), std::string::npos) << tables;
    EXPECT_NE(tables.find("cross-task refusal rate"), std::string::npos) << tables;
    const auto files = experiment::writeExperimentSummary(summary, temp.path() / "summary");
    EXPECT_EQ(files.size(), 4u);

    // Again: nothing to do.
    const auto second = runProject(database, project);
    EXPECT_EQ(second.state, "completed");
    EXPECT_EQ(second.cellsCached, 6);
    EXPECT_TRUE(second.cells.empty());
    EXPECT_EQ(runs.list().size(), 6u);
    EXPECT_EQ(count(database, "evaluations"), 6);
}

TEST(ExperimentRunner, ChangedEvaluationReusesRunsAndNewCountRunsAlone) {
    test::TempDir temp;
    const nlohmann::json oneModel = {{"grid", {{{"defended_task", "summarize"}, {"counts", {0, 4}}}}},
                                     {"models", {{{"name", "m1"}, {"path", (temp.path() / "model").string()}}}}};
    auto with = [&](nlohmann::json patch) {
        nlohmann::json overrides = oneModel;
        overrides.merge_patch(patch);
        return overrides;
    };
    auto project = test::makeTinyExperiment(temp.path(), oneModel);
    store::Database database(temp.path() / "project.sqlite");
    ASSERT_EQ(runProject(database, project).cellsDone, 2);
    store::RunStore runs(database);
    const auto before = runs.list();
    ASSERT_EQ(before.size(), 2u);

    // More new tokens: both cells are new, their runs are not retrained, only evaluated again.
    project = test::makeTinyExperiment(temp.path(), with({{"evaluation", {{"generation", {{"max_new_tokens", 4}}}}}}));
    const auto reevaluated = runProject(database, project);
    EXPECT_EQ(reevaluated.cells.size(), 2u);
    EXPECT_EQ(runs.list().size(), 2u);
    for (const auto& cell : reevaluated.cells) EXPECT_TRUE(cell.runId == before[0].id || cell.runId == before[1].id);
    EXPECT_EQ(count(database, "evaluations"), 4);

    // One more grid point: only that cell runs.
    project = test::makeTinyExperiment(temp.path(), with({{"grid", {{{"defended_task", "summarize"}, {"counts", {0, 4, 6}}}}},
                                                          {"evaluation", {{"generation", {{"max_new_tokens", 4}}}}}}));
    const auto grown = runProject(database, project);
    ASSERT_EQ(grown.cells.size(), 1u);
    EXPECT_EQ(grown.cells.front().label, "m1 summarize N=6");
    EXPECT_EQ(grown.cellsCached, 2);
    EXPECT_EQ(runs.list().size(), 3u);

    // The queue holds exactly the current spec's cells.
    experiment::ExperimentQueue queue(database);
    const auto record = queue.findExperiment("tiny-test");
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(queue.cells(record->id).size(), 3u);
}

TEST(ExperimentRunner, StopRequestLeavesAResumableCell) {
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(
        temp.path(), {{"grid", {{{"defended_task", "summarize"}, {"counts", {4}}}}},
                      {"models", {{{"name", "m1"}, {"path", (temp.path() / "model").string()}}}},
                      {"training", {{"max_steps", 8}, {"checkpoint_every", 2}}}});
    store::Database database(temp.path() / "project.sqlite");
    std::atomic<bool> stop{false};
    experiment::ExperimentHooks hooks;
    hooks.stopFlag = &stop;
    hooks.onProgress = [&](const experiment::ExperimentProgress& p) {
        if (p.stage == "training" && p.stageDone >= 4) stop = true;
    };
    const auto stopped = runProject(database, project, hooks);
    EXPECT_EQ(stopped.state, "cancelled");
    EXPECT_EQ(stopped.cellsDone, 0);
    store::RunStore runs(database);
    ASSERT_EQ(runs.list().size(), 1u);
    const auto interrupted = runs.list().front();
    EXPECT_EQ(interrupted.state, "cancelled");
    EXPECT_GE(interrupted.stepsDone, 4);
    experiment::ExperimentQueue queue(database);
    EXPECT_EQ(queue.cells(stopped.experimentId).front().state, "pending");

    const auto resumed = runProject(database, project);
    EXPECT_EQ(resumed.state, "completed");
    ASSERT_EQ(runs.list().size(), 1u);
    EXPECT_EQ(runs.list().front().state, "completed");
    EXPECT_EQ(runs.list().front().stepsDone, 8);
    EXPECT_EQ(runs.metrics(interrupted.id).size(), 8u);
    EXPECT_EQ(queue.cells(resumed.experimentId).front().attempts, 2);
}

TEST(ExperimentQueue, WorkerLiveness) {
    const double now = experiment::ExperimentQueue::now();
    EXPECT_TRUE(experiment::ExperimentQueue::workerAlive(experiment::ExperimentQueue::workerIdentity(), now));
    EXPECT_FALSE(experiment::ExperimentQueue::workerAlive(experiment::ExperimentQueue::workerIdentity(), now - 3600));
    EXPECT_FALSE(experiment::ExperimentQueue::workerAlive("", now));
    // Another host: trusted while its heartbeat is fresh.
    EXPECT_TRUE(experiment::ExperimentQueue::workerAlive("elsewhere.example:1", now));
    EXPECT_FALSE(experiment::ExperimentQueue::workerAlive("elsewhere.example:1", now - 3600));
}

TEST(ExperimentRunner, FailedCellsAreReportedAndRetriedWithoutRetraining) {
    test::TempDir temp;
    // An unknown extra scorer fails every cell at its last stage, after training and generation.
    const auto project = test::makeTinyExperiment(
        temp.path(), {{"grid", {{{"defended_task", "summarize"}, {"counts", {0, 4}}}}},
                      {"models", {{{"name", "m1"}, {"path", (temp.path() / "model").string()}}}},
                      {"evaluation", {{"scorers", {"no-such-scorer"}}}}});
    store::Database database(temp.path() / "project.sqlite");
    const auto first = runProject(database, project);
    EXPECT_EQ(first.state, "failed");
    EXPECT_EQ(first.cellsFailed, 2);
    ASSERT_EQ(first.cells.size(), 2u);
    EXPECT_NE(first.cells[0].message.find("no-such-scorer"), std::string::npos) << first.cells[0].message;
    store::RunStore runs(database);
    ASSERT_EQ(runs.list().size(), 2u);

    const auto second = runProject(database, project);
    EXPECT_EQ(second.state, "failed");
    EXPECT_EQ(second.cells.size(), 2u);  // retried
    EXPECT_EQ(runs.list().size(), 2u);   // with the same runs: nothing trained or generated again
    EXPECT_EQ(count(database, "evaluations"), 2);
    experiment::ExperimentQueue queue(database);
    for (const auto& cell : queue.cells(second.experimentId)) {
        EXPECT_EQ(cell.state, "failed");
        EXPECT_EQ(cell.attempts, 2);
    }
}
