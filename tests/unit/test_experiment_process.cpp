// The experiment runner as separate processes (the `ctd` binary): killed with SIGKILL in the middle
// of a cell's training, it resumes that cell from its checkpoint on the next run and does not
// redo the finished cell; two processes running one cell each into their own databases merge
// into one database that knows both cells are done.
#include "test_experiment_support.h"

#include "core/experiment/queue.h"
#include "core/experiment/runner.h"
#include "core/store/database.h"
#include "core/store/run_store.h"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ctd;
namespace fs = std::filesystem;

namespace {

// Starts `ctd args...` with its output in `log`; one libtorch thread so it does not oversubscribe.
pid_t spawnCli(const std::vector<std::string>& args, const fs::path& log) {
    std::vector<std::string> all = {CTD_CLI_PATH};
    all.insert(all.end(), args.begin(), args.end());
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("OMP_NUM_THREADS", "1", 1);
        std::vector<char*> argv;
        for (auto& arg : all) argv.push_back(arg.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

int waitFor(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string readText(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int64_t scalar(store::Database& database, const std::string& sql) {
    auto s = database.prepare(sql);
    if (!s.step()) return -1;
    return s.columnInt(0);
}

std::string cli(const std::string& arguments) {
    return "OMP_NUM_THREADS=1 " + test::shellQuote(CTD_CLI_PATH) + " " + arguments;
}

}  // namespace

TEST(ExperimentProcess, KilledRunnerResumesTheInterruptedCellOnly) {
    ASSERT_TRUE(fs::exists(CTD_CLI_PATH)) << "build the ctd target first";
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(
        temp.path(), {{"grid", {{{"defended_task", "summarize"}, {"counts", {0, 4}}}}},
                      {"models", {{{"name", "m1"}, {"path", (temp.path() / "model").string()}}}},
                      {"training", {{"max_steps", 300}, {"checkpoint_every", 5}}}});
    const fs::path database = temp.path() / "project.sqlite";
    const std::vector<std::string> runArgs = {"--db", database.string(), "experiment", "run", project.spec.string(),
                                              "--out", (temp.path() / "out").string(), "--threads", "1"};
    const pid_t child = spawnCli(runArgs, temp.path() / "first.log");

    // Wait until the baseline cell is done and the first training cell has a checkpoint.
    int64_t interruptedRun = 0, stepsAtKill = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            store::Database watch(database);
            auto s = watch.prepare(
                "SELECT r.id, r.steps_done FROM runs r WHERE r.kind = 'train' AND r.state = 'running' AND "
                "r.steps_done >= 5 AND r.steps_done < 300 AND "
                "(SELECT COUNT(*) FROM experiment_cells WHERE state = 'done') >= 1");
            if (s.step()) {
                interruptedRun = s.columnInt(0);
                stepsAtKill = s.columnInt(1);
                break;
            }
        } catch (const std::exception&) {
            // The child is still creating the database.
        }
        int status = 0;
        ASSERT_EQ(waitpid(child, &status, WNOHANG), 0) << "the runner ended before it could be killed:\n"
                                                       << readText(temp.path() / "first.log");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_GT(interruptedRun, 0) << readText(temp.path() / "first.log");
    ASSERT_EQ(kill(child, SIGKILL), 0);
    EXPECT_EQ(waitFor(child), -SIGKILL);

    int64_t baselineRun = 0, baselineEvaluation = 0;
    {
        store::Database db(database);
        baselineRun = scalar(db, "SELECT run_id FROM experiment_cells WHERE state = 'done'");
        baselineEvaluation = scalar(db, "SELECT id FROM evaluations WHERE run_id = " + std::to_string(baselineRun));
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM experiment_cells WHERE state = 'done'"), 1);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM runs"), 2);
    }
    const auto status = test::runCommand(cli("--db " + test::shellQuote(database.string()) + " experiment status " +
                                             test::shellQuote(project.spec.string())));
    EXPECT_EQ(status.exitCode, 0) << status.output;
    EXPECT_NE(status.output.find("stalled"), std::string::npos) << status.output;

    // Run again: the killed cell continues from its checkpoint, the finished one is skipped.
    std::string command = cli("");
    for (const auto& arg : runArgs) {
        command += ' ';
        command += test::shellQuote(arg);
    }
    const auto second = test::runCommand(command + " --no-summary");
    ASSERT_EQ(second.exitCode, 0) << second.output;
    EXPECT_NE(second.output.find("1 of 2 cells already done"), std::string::npos) << second.output;
    EXPECT_NE(second.output.find("taken over from"), std::string::npos) << second.output;
    EXPECT_NE(second.output.find("resuming from"), std::string::npos) << second.output;

    store::Database db(database);
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM runs"), 2);  // no second run for the interrupted cell
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM experiment_cells WHERE state = 'done'"), 2);
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM evaluations WHERE run_id = " + std::to_string(baselineRun)), 1);
    EXPECT_EQ(scalar(db, "SELECT id FROM evaluations WHERE run_id = " + std::to_string(baselineRun)), baselineEvaluation);
    store::RunStore runs(db);
    const auto resumed = runs.get(interruptedRun);
    EXPECT_EQ(resumed.state, "completed");
    EXPECT_EQ(resumed.stepsDone, 300);
    const auto metrics = runs.metrics(interruptedRun);
    ASSERT_EQ(metrics.size(), 300u);  // one point per step, those after the checkpoint recorded once
    for (std::size_t i = 0; i < metrics.size(); ++i) EXPECT_EQ(metrics[i].step, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(scalar(db, "SELECT attempts FROM experiment_cells WHERE run_id = " + std::to_string(interruptedRun)), 2);
    EXPECT_EQ(scalar(db, "SELECT attempts FROM experiment_cells WHERE run_id = " + std::to_string(baselineRun)), 1);
    EXPECT_GE(stepsAtKill, 5);
}

TEST(ExperimentProcess, CellsRunInSeparateProcessesMergeIntoOneDatabase) {
    ASSERT_TRUE(fs::exists(CTD_CLI_PATH)) << "build the ctd target first";
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(
        temp.path(), {{"grid", {{{"defended_task", "summarize"}, {"counts", {0, 4}}}}},
                      {"models", {{{"name", "m1"}, {"path", (temp.path() / "model").string()}}}}});
    const fs::path a = temp.path() / "cell-0.sqlite", b = temp.path() / "cell-1.sqlite";
    auto args = [&](const fs::path& db, const std::string& cell) {
        return std::vector<std::string>{"--db", db.string(), "experiment", "run", project.spec.string(), "--out",
                                        (temp.path() / "out").string(), "--cell", cell, "--no-summary", "--threads", "1"};
    };
    const pid_t first = spawnCli(args(a, "0"), temp.path() / "a.log");
    const pid_t second = spawnCli(args(b, "1"), temp.path() / "b.log");
    ASSERT_EQ(waitFor(first), 0) << readText(temp.path() / "a.log");
    ASSERT_EQ(waitFor(second), 0) << readText(temp.path() / "b.log");

    int64_t responses = 0, scores = 0, metrics = 0;
    for (const auto& path : {a, b}) {
        store::Database db(path);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM runs"), 1);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM experiment_cells WHERE state = 'done'"), 1);
        responses += scalar(db, "SELECT COUNT(*) FROM responses");
        scores += scalar(db, "SELECT COUNT(*) FROM scores");
        metrics += scalar(db, "SELECT COUNT(*) FROM run_metrics");
    }
    const fs::path merged = temp.path() / "merged.sqlite";
    const std::string merge = cli("db merge " + test::shellQuote(merged.string()) + " " + test::shellQuote(a.string()) +
                                  " " + test::shellQuote(b.string()));
    const auto merging = test::runCommand(merge);
    ASSERT_EQ(merging.exitCode, 0) << merging.output;
    EXPECT_NE(merging.output.find("runs: 2 added"), std::string::npos) << merging.output;

    auto check = [&] {
        store::Database db(merged);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM runs"), 2);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM runs WHERE provenance_json LIKE '%merged_from%'"), 2);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM evaluations"), 2);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM responses"), responses);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM scores"), scores);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM run_metrics"), metrics);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM suites"), 1);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM experiments"), 1);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM experiment_cells WHERE state = 'done'"), 2);
        // Every cell points at the run of its own run key, every evaluation at a merged run.
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM experiment_cells c JOIN runs r ON r.id = c.run_id "
                             "WHERE r.cell_hash = c.run_key"),
                  2);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM evaluations e JOIN runs r ON r.id = e.run_id"), 2);
        EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM scores s JOIN responses r ON r.id = s.response_id"), scores);
    };
    check();
    // Merging the same inputs again adds nothing.
    const auto again = test::runCommand(merge);
    ASSERT_EQ(again.exitCode, 0) << again.output;
    EXPECT_NE(again.output.find("runs: 0 added, 2 already there"), std::string::npos) << again.output;
    check();

    // The merged database is a working project: the runner finds both cells done.
    store::Database db(merged);
    experiment::RunOptions options;
    options.outDir = temp.path() / "out";
    const auto result = experiment::runExperiment(db, experiment::ExperimentSpec::load(project.spec), options);
    EXPECT_EQ(result.cellsCached, 2);
    EXPECT_TRUE(result.cells.empty());

    // The output itself and foreign files are refused.
    EXPECT_NE(test::runCommand(cli("db merge " + test::shellQuote(merged.string()) + " " +
                                   test::shellQuote(merged.string())))
                  .exitCode,
              0);
    std::ofstream(temp.path() / "notes.sqlite") << "not a database";
    EXPECT_NE(test::runCommand(cli("db merge " + test::shellQuote((temp.path() / "other.sqlite").string()) + " " +
                                   test::shellQuote((temp.path() / "notes.sqlite").string())))
                  .exitCode,
              0);
}
