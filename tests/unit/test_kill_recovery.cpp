// Kill tests: a real `ctd` is SIGKILLed after a seeded random delay while it imports a dataset,
// trains, evaluates or runs an experiment, many times over one project database. After each kill:
// `PRAGMA integrity_check` is ok and every row stored before the kill is still there; then the
// work is re-run and must finish: an import once (a second import reports the duplicate), a
// training run with the same loss curve as an uninterrupted one, an evaluation with one scored
// response per item, an experiment with every cell done. CTD_KILL_TRIALS=N runs N trials per kind
// (default 5), CTD_KILL_SEED=S replays the delays; see docs/faults.md.
#include "kill/kill_driver.h"
#include "test_experiment_support.h"

#include "core/store/database.h"
#include "core/store/run_store.h"

#include <random>

using namespace ctd;
using namespace ctd::test::kill;
namespace fs = std::filesystem;

namespace {

constexpr int kDefaultTrials = 5;

int64_t scalar(const fs::path& database, const std::string& sql) {
    store::Database db(database);
    auto s = db.prepare(sql);
    return s.step() ? s.columnInt(0) : -1;
}

// A seeded delay between most of the process start-up and nearly a whole uninterrupted
// run (whose length varies with load: some trials finish first), so that kills land in opening
// the database, the work itself and the final writes.
class Delays {
public:
    Delays(std::uint64_t seed, double startupSeconds, double runSeconds)
        : m_random(seed), m_low(0.5 * startupSeconds), m_high(std::max(m_low + 0.05, 0.95 * runSeconds)) {}
    double next() { return std::uniform_real_distribution<double>(m_low, m_high)(m_random); }

private:
    std::mt19937_64 m_random;
    double m_low, m_high;
};

// One kind of trial: a temp project, its database, the tally and the delay source.
struct Scenario {
    test::TempDir temp{"ctd-kill-"};
    test::TinyExperiment project;
    fs::path database = temp / "project.sqlite";
    fs::path work = temp / "work";
    Tally tally;

    Scenario(const std::string& kind, std::uint64_t kindIndex) {
        fs::create_directories(work);
        project = test::makeTinyExperiment(temp.path());
        tally.kind = kind;
        tally.seed = baseSeed() + kindIndex;
        std::cout << "[kill] " << kind << ": seed " << tally.seed << " (replay with CTD_KILL_SEED=" << tally.seed - kindIndex
                  << ")\n";
    }
    double startupSeconds() { return runCtd({"--version"}, work).seconds; }
    std::vector<std::string> withDb(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--db", database.string()});
        return args;
    }
    std::string label(int trial, double delay) const {
        return tally.kind + " trial " + std::to_string(trial) + " (seed " + std::to_string(tally.seed) + ", delay " +
               std::to_string(delay) + " s)";
    }
    ~Scenario() { std::cout << "[kill] " << tally.summary() << "\n"; }
};

fs::path writeTrainingSpec(const test::TinyExperiment& project, const fs::path& file, int64_t maxSteps) {
    const nlohmann::json mixture = {
        {"seed", 3},
        {"data_dir", project.world.string()},
        {"benign", {{{"name", "general"}, {"path", "train_general.json"}, {"count", 16}}}},
        {"defense",
         {{"pool", {{"path", "defense_summarize.json"}}},
          {"refusal", "I'm sorry, but I cannot help with that."},
          {"mode", "single"},
          {"task", "summarize"},
          {"count", 8}}}};
    const nlohmann::json spec = {{"name", "kill"},
                                 {"base_model", project.model.string()},
                                 {"template", "alpaca"},
                                 {"mixture", mixture},
                                 {"loss", "response_only"},
                                 {"micro_batch_size", 2},
                                 {"gradient_accumulation_steps", 2},
                                 {"max_steps", maxSteps},
                                 {"checkpoint_every", 3},
                                 {"cutoff_length", 128},
                                 {"seed", 9},
                                 {"lora", {{"r", 4}, {"alpha", 8}, {"dropout", 0.1}}},
                                 {"optimizer", {{"learning_rate", 5e-3}, {"warmup_steps", 2}}}};
    std::ofstream(file) << spec.dump(2);
    return file;
}

std::vector<double> lossCurve(const fs::path& database, int64_t runId, std::vector<int64_t>* steps = nullptr) {
    store::Database db(database);
    std::vector<double> losses;
    for (const auto& point : store::RunStore(db).metrics(runId)) {
        losses.push_back(point.loss);
        if (steps) steps->push_back(point.step);
    }
    return losses;
}

}  // namespace

TEST(KillRecovery, DatasetImport) {
    Scenario scenario("import", 0);
    auto& tally = scenario.tally;
    constexpr int kRecords = 10000;
    auto writeFile = [&](int index) {
        nlohmann::json records = nlohmann::json::array();
        for (int i = 0; i < kRecords; ++i)
            records.push_back({{"instruction", "file " + std::to_string(index) + " instruction " + std::to_string(i)},
                               {"input", "some input text for record " + std::to_string(i)},
                               {"output", "the answer to record " + std::to_string(i)}});
        const fs::path file = scenario.temp / ("import-" + std::to_string(index) + ".json");
        std::ofstream(file) << records.dump();
        return file;
    };
    auto importArgs = [&](const fs::path& file) { return scenario.withDb({"data", "import", file.string()}); };
    // Whole or nothing: the dataset of `file` is absent, or present once with all its records.
    auto datasetState = [&](const fs::path& file) {
        const std::string where = " FROM datasets WHERE source_path = '" + file.string() + "'";
        const int64_t count = scalar(scenario.database, "SELECT COUNT(*)" + where);
        if (count == 0) return std::string("absent");
        const int64_t records = scalar(scenario.database, "SELECT COUNT(*) FROM records WHERE dataset_id IN (SELECT id" +
                                                              where + ")");
        return count == 1 && records == kRecords ? std::string("complete")
                                                 : std::to_string(count) + " datasets, " + std::to_string(records) + " records";
    };
    const double startup = scenario.startupSeconds();
    const auto warmUp = runCtd(importArgs(writeFile(0)), scenario.work);
    ASSERT_EQ(warmUp.exitCode, 0) << warmUp.output;
    Delays delays(tally.seed, startup, warmUp.seconds);

    const int trials = trialCount(kDefaultTrials);
    for (int trial = 1; trial <= trials; ++trial) {
        const fs::path file = writeFile(trial);
        const double delay = delays.next();
        const std::string label = scenario.label(trial, delay);
        const auto outcome = runAndKill(importArgs(file), scenario.work, scenario.database, delay);
        ++tally.trials;
        if (outcome.killed) {
            ++tally.killed;
            checkAfterKill(scenario.database, outcome, tally, label);
            const std::string state = datasetState(file);
            EXPECT_TRUE(state == "absent" || state == "complete") << label << ": half an import is visible: " << state;
        } else {
            ++tally.finished;
            EXPECT_EQ(outcome.exitCode, 0) << label << "\n" << outcome.output;
        }
        // Re-running the import finishes it once; a further import reports the duplicate.
        const auto again = runCtd(importArgs(file), scenario.work);
        const auto duplicate = runCtd(importArgs(file), scenario.work);
        const bool resumed = again.exitCode == 0 &&
                             (again.output.find("imported dataset") != std::string::npos ||
                              again.output.find("already imported") != std::string::npos) &&
                             duplicate.exitCode == 0 && duplicate.output.find("already imported") != std::string::npos &&
                             datasetState(file) == "complete";
        if (!resumed) {
            ++tally.failedResumes;
            ADD_FAILURE() << label << ": re-import failed (" << datasetState(file) << ")\n"
                          << again.output << duplicate.output;
        }
    }
    EXPECT_EQ(scalar(scenario.database, "SELECT COUNT(*) FROM datasets"), trials + 1);
}

TEST(KillRecovery, Training) {
    Scenario scenario("training", 1);
    auto& tally = scenario.tally;
    constexpr int64_t kSteps = 15;
    const fs::path spec = writeTrainingSpec(scenario.project, scenario.temp / "train.json", kSteps);
    const double startup = scenario.startupSeconds();
    // The reference: one uninterrupted run in its own database.
    const fs::path referenceDb = scenario.temp / "reference.sqlite";
    const auto reference = runCtd({"--db", referenceDb.string(), "train", spec.string()}, scenario.work);
    ASSERT_EQ(reference.exitCode, 0) << reference.output;
    const auto expected = lossCurve(referenceDb, 1);
    ASSERT_EQ(expected.size(), static_cast<size_t>(kSteps));
    Delays delays(tally.seed, startup, reference.seconds);

    auto unfinishedRun = [&]() -> int64_t {
        if (!fs::exists(scenario.database)) return 0;
        return std::max<int64_t>(0, scalar(scenario.database, "SELECT COALESCE(MIN(id), 0) FROM runs WHERE "
                                                              "kind = 'train' AND state != 'completed'"));
    };
    auto commandFor = [&](int64_t runId) {
        return runId ? scenario.withDb({"train", "--resume", std::to_string(runId)})
                     : scenario.withDb({"train", spec.string()});
    };
    const int trials = trialCount(kDefaultTrials);
    for (int trial = 1; trial <= trials; ++trial) {
        const int64_t runId = unfinishedRun();
        const double delay = delays.next();
        const std::string label = scenario.label(trial, delay) + (runId ? " resuming run " + std::to_string(runId) : "");
        const auto outcome = runAndKill(commandFor(runId), scenario.work, scenario.database, delay);
        ++tally.trials;
        if (outcome.killed) {
            ++tally.killed;
            checkAfterKill(scenario.database, outcome, tally, label);
            // Every checkpoint the database names is a whole folder on disk.
            store::Database db(scenario.database);
            for (const auto& run : store::RunStore(db).list()) {
                if (run.lastCheckpoint.empty()) continue;
                EXPECT_TRUE(fs::exists(fs::path(run.lastCheckpoint) / "trainer_state.json"))
                    << label << ": run " << run.id << " names a missing checkpoint " << run.lastCheckpoint;
            }
        } else {
            ++tally.finished;
            if (outcome.exitCode != 0) {
                ++tally.failedResumes;
                ADD_FAILURE() << label << ": ended with " << outcome.exitCode << "\n" << outcome.output;
            }
        }
    }
    // Finish whatever the last kill left, then every run must equal the uninterrupted one.
    for (int64_t runId = unfinishedRun(), guard = 0; runId && guard < 50; runId = unfinishedRun(), ++guard) {
        const auto finished = runCtd(commandFor(runId), scenario.work);
        if (finished.exitCode != 0) {
            ++tally.failedResumes;
            ADD_FAILURE() << "resuming run " << runId << " failed:\n" << finished.output;
            break;
        }
    }
    store::Database db(scenario.database);
    for (const auto& run : store::RunStore(db).list()) {
        std::vector<int64_t> steps;
        const auto losses = lossCurve(scenario.database, run.id, &steps);
        const bool same = run.state == "completed" && losses == expected;
        if (!same) ++tally.failedResumes;
        EXPECT_EQ(run.state, "completed") << "run " << run.id << ": " << run.message;
        EXPECT_EQ(losses, expected) << "run " << run.id << " differs from the uninterrupted run";
        for (size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i], static_cast<int64_t>(i) + 1) << "run " << run.id;
    }
    // Nothing was written relative to the working folder (a run without its output folder).
    for (const auto& entry : fs::directory_iterator(scenario.work))
        EXPECT_EQ(entry.path().filename(), "ctd.log") << "stray output: " << entry.path();
}

TEST(KillRecovery, Evaluation) {
    Scenario scenario("evaluation", 2);
    auto& tally = scenario.tally;
    const fs::path spec = writeTrainingSpec(scenario.project, scenario.temp / "train.json", 2);
    const auto trained = runCtd(scenario.withDb({"train", spec.string()}), scenario.work);
    ASSERT_EQ(trained.exitCode, 0) << trained.output;
    int cycle = 0;
    auto suiteName = [&] { return "kill-" + std::to_string(cycle); };
    auto createSuite = [&] {
        const auto created = runCtd(scenario.withDb({"suite", "create", suiteName(), "--world",
                                                     scenario.project.world.string()}),
                                    scenario.work);
        ASSERT_EQ(created.exitCode, 0) << created.output;
    };
    auto evalArgs = [&] {
        return scenario.withDb({"eval", "1", "--suite", suiteName(), "--batch-size", "2", "--max-new-tokens", "6",
                                "--limit", "3", "--quiet"});
    };
    // One evaluation per suite (a killed one is continued, not duplicated), completed, with one
    // response per item and every response scored.
    auto evaluationComplete = [&](std::string* why) {
        const std::string suite = "'" + suiteName() + "'";
        const std::string evaluation = "(SELECT id FROM evaluations WHERE suite = " + suite + ")";
        const int64_t evaluations = scalar(scenario.database, "SELECT COUNT(*) FROM evaluations WHERE suite = " + suite);
        const int64_t completed = scalar(scenario.database, "SELECT COUNT(*) FROM evaluations WHERE suite = " + suite +
                                                                " AND state = 'completed'");
        const int64_t responses = scalar(scenario.database, "SELECT COUNT(*) FROM responses WHERE evaluation_id = " +
                                                                evaluation);
        const int64_t unscored = scalar(scenario.database,
                                        "SELECT COUNT(*) FROM responses r WHERE evaluation_id = " + evaluation +
                                            " AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.response_id = r.id)");
        *why = std::to_string(evaluations) + " evaluations (" + std::to_string(completed) + " completed), " +
               std::to_string(responses) + " responses, " + std::to_string(unscored) + " unscored";
        return evaluations == 1 && completed == 1 && responses > 0 && unscored == 0;
    };
    const double startup = scenario.startupSeconds();
    createSuite();
    const auto warmUp = runCtd(evalArgs(), scenario.work);
    ASSERT_EQ(warmUp.exitCode, 0) << warmUp.output;
    std::string why;
    ASSERT_TRUE(evaluationComplete(&why)) << why;
    const int64_t itemsPerSuite = scalar(scenario.database, "SELECT COUNT(*) FROM responses");
    Delays delays(tally.seed, startup, warmUp.seconds);

    ++cycle;
    createSuite();
    const int trials = trialCount(kDefaultTrials);
    for (int trial = 1; trial <= trials; ++trial) {
        const double delay = delays.next();
        const std::string label = scenario.label(trial, delay) + " on suite " + suiteName();
        const auto outcome = runAndKill(evalArgs(), scenario.work, scenario.database, delay);
        ++tally.trials;
        if (outcome.killed) {
            ++tally.killed;
            checkAfterKill(scenario.database, outcome, tally, label);
            continue;
        }
        ++tally.finished;
        if (outcome.exitCode != 0 || !evaluationComplete(&why)) {
            ++tally.failedResumes;
            ADD_FAILURE() << label << ": " << why << "\n" << outcome.output;
        }
        ++cycle;
        createSuite();
    }
    const auto last = runCtd(evalArgs(), scenario.work);
    if (last.exitCode != 0 || !evaluationComplete(&why)) {
        ++tally.failedResumes;
        ADD_FAILURE() << "finishing " << suiteName() << ": " << why << "\n" << last.output;
    }
    EXPECT_EQ(scalar(scenario.database, "SELECT COUNT(*) FROM responses"), itemsPerSuite * (cycle + 1));
}

TEST(KillRecovery, ExperimentRun) {
    Scenario scenario("experiment", 3);
    auto& tally = scenario.tally;
    const fs::path out = scenario.temp / "out";
    int cycle = 0;
    auto experimentName = [&] { return "kill-" + std::to_string(cycle); };
    // A new experiment per cycle (its own name and seed, so its own cells); the world and model
    // are shared.
    auto writeSpec = [&] {
        test::makeTinyExperiment(scenario.temp.path(),
                                 {{"name", experimentName()},
                                  {"seeds", {cycle + 1}},
                                  {"models", {{{"name", "m1"}, {"path", scenario.project.model.string()}}}},
                                  {"grid", {{{"defended_task", "summarize"}, {"counts", {0, 2}}}}},
                                  {"training", {{"max_steps", 6}, {"checkpoint_every", 2}}}});
    };
    const std::vector<std::string> runArgs = scenario.withDb({"experiment", "run", scenario.project.spec.string(),
                                                              "--out", out.string(), "--threads", "1", "--no-summary"});
    // Every cell done, one run per cell, trained runs complete with one metric point per step,
    // every evaluation complete and scored.
    auto experimentComplete = [&](std::string* why) {
        const std::string cells = "experiment_cells WHERE experiment_id = (SELECT id FROM experiments WHERE name = '" +
                                  experimentName() + "')";
        const std::string runs = "(SELECT run_id FROM " + cells + ")";
        const int64_t total = scalar(scenario.database, "SELECT COUNT(*) FROM " + cells);
        const int64_t done = scalar(scenario.database, "SELECT COUNT(*) FROM " + cells + " AND state = 'done'");
        const int64_t distinctRuns = scalar(scenario.database, "SELECT COUNT(DISTINCT run_id) FROM " + cells);
        const int64_t badRuns = scalar(
            scenario.database, "SELECT COUNT(*) FROM runs r WHERE r.id IN " + runs +
                                   " AND (r.state != 'completed' OR (r.kind = 'train' AND ((SELECT COUNT(*) FROM "
                                   "run_metrics m WHERE m.run_id = r.id) != 6 OR (SELECT MAX(step) FROM run_metrics m "
                                   "WHERE m.run_id = r.id) != 6)))");
        const int64_t badEvaluations = scalar(
            scenario.database, "SELECT COUNT(*) FROM evaluations e WHERE e.run_id IN " + runs +
                                   " AND (e.state != 'completed' OR NOT EXISTS (SELECT 1 FROM responses r WHERE "
                                   "r.evaluation_id = e.id) OR EXISTS (SELECT 1 FROM responses r WHERE r.evaluation_id "
                                   "= e.id AND NOT EXISTS (SELECT 1 FROM scores s WHERE s.response_id = r.id)))");
        *why = std::to_string(done) + " of " + std::to_string(total) + " cells done, " + std::to_string(distinctRuns) +
               " runs, " + std::to_string(badRuns) + " incomplete runs, " + std::to_string(badEvaluations) +
               " incomplete evaluations";
        return total == 2 && done == total && distinctRuns == total && badRuns == 0 && badEvaluations == 0;
    };
    const double startup = scenario.startupSeconds();
    writeSpec();
    const auto warmUp = runCtd(runArgs, scenario.work);
    ASSERT_EQ(warmUp.exitCode, 0) << warmUp.output;
    std::string why;
    ASSERT_TRUE(experimentComplete(&why)) << why;
    Delays delays(tally.seed, startup, warmUp.seconds);

    ++cycle;
    writeSpec();
    const int trials = trialCount(kDefaultTrials);
    for (int trial = 1; trial <= trials; ++trial) {
        const double delay = delays.next();
        const std::string label = scenario.label(trial, delay) + " in " + experimentName();
        const auto outcome = runAndKill(runArgs, scenario.work, scenario.database, delay);
        ++tally.trials;
        if (outcome.killed) {
            ++tally.killed;
            checkAfterKill(scenario.database, outcome, tally, label);
            continue;
        }
        ++tally.finished;
        if (outcome.exitCode != 0 || !experimentComplete(&why)) {
            ++tally.failedResumes;
            ADD_FAILURE() << label << ": " << why << "\n" << outcome.output;
        }
        ++cycle;
        writeSpec();
    }
    const auto last = runCtd(runArgs, scenario.work);
    if (last.exitCode != 0 || !experimentComplete(&why)) {
        ++tally.failedResumes;
        ADD_FAILURE() << "finishing " << experimentName() << ": " << why << "\n" << last.output;
    }
}
