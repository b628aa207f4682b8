// `ctd train` end to end on a tiny world: a real child process is SIGKILLed mid-run; the
// database stays intact, the run resumes from its last checkpoint with `--resume`, and its loss
// curve equals that of an uninterrupted run.
#include "test_support.h"

#include "core/model/checkpoint.h"
#include "core/store/database.h"
#include "core/store/run_store.h"

#include <csignal>
#include <fcntl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace ctd;
namespace fs = std::filesystem;

namespace {

std::string cli() { return CTD_CLI_PATH; }

// A small world, a random tiny model on its tokenizer, and a training spec over both.
struct TinyTrainingSetup {
    test::TempDir temp;
    fs::path world = temp / "world";
    fs::path base = temp / "base";
    fs::path spec = temp / "train.json";

    explicit TinyTrainingSetup(int64_t maxSteps = 40) {
        const auto generated = test::runCommand(cli() + " world generate --out " + world.string() +
                                                " --benign-train 30 --hazard-train 30 --defense 60 --benign-eval 10"
                                                " --hazard-eval 10 --vocab-size 600");
        if (generated.exitCode != 0) throw std::runtime_error(generated.output);
        model::LlamaConfig c;
        c.vocabSize = 600;
        c.hiddenSize = 32;
        c.intermediateSize = 64;
        c.numHiddenLayers = 2;
        c.numAttentionHeads = 4;
        c.numKeyValueHeads = 4;
        c.headDim = 8;
        c.maxPositionEmbeddings = 512;
        at::manual_seed(5);
        model::saveModel(model::LlamaForCausalLM(c), base);
        fs::copy_file(world / "tokenizer.model", base / "tokenizer.model");
        nlohmann::json mixture = {
            {"seed", 3},
            {"data_dir", world.string()},
            {"benign", {{{"name", "general"}, {"path", "train_general.json"}, {"count", 40}}}},
            {"defense",
             {{"pool", {{"path", "defense_summarize.json"}}},
              {"refusal", "I'm sorry, but I cannot help with that."},
              {"mode", "single"},
              {"task", "summarize"},
              {"count", 24}}},
            {"evaluation_files", {"test_summarize.json", "test_summarize_useful.json"}}};
        nlohmann::json training = {{"name", "kill-test"},
                                   {"base_model", base.string()},
                                   {"template", "alpaca"},
                                   {"mixture", mixture},
                                   {"loss", "response_only"},
                                   {"micro_batch_size", 4},
                                   {"gradient_accumulation_steps", 2},
                                   {"max_steps", maxSteps},
                                   {"checkpoint_every", 4},
                                   {"seed", 9},
                                   {"lora", {{"r", 4}, {"alpha", 8}, {"dropout", 0.1}}},
                                   {"optimizer", {{"learning_rate", 5e-3}, {"warmup_steps", 2}}}};
        std::ofstream(spec) << training.dump(2);
    }
};

std::vector<double> lossCurve(const fs::path& database, int64_t runId) {
    store::Database db(database);
    std::vector<double> losses;
    for (const auto& point : store::RunStore(db).metrics(runId)) losses.push_back(point.loss);
    return losses;
}

}  // namespace

TEST(TrainCli, SigkillMidRunLeavesADatabaseThatResumesExactly) {
    TinyTrainingSetup setup;
    // Reference: one uninterrupted run.
    const fs::path referenceDb = setup.temp / "reference.sqlite";
    const auto reference = test::runCommand(cli() + " --db " + referenceDb.string() + " train " + setup.spec.string());
    ASSERT_EQ(reference.exitCode, 0) << reference.output;
    const auto expected = lossCurve(referenceDb, 1);
    ASSERT_EQ(expected.size(), 40u);

    // The same run in a child process, killed once it has passed a few checkpoints.
    const fs::path killedDb = setup.temp / "killed.sqlite";
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const std::string dbArgument = killedDb.string(), specArgument = setup.spec.string(), binary = cli();
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execl(binary.c_str(), binary.c_str(), "--db", dbArgument.c_str(), "train", specArgument.c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
    }
    int64_t stepsSeen = 0;
    for (int attempt = 0; attempt < 600 && stepsSeen < 12; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        try {
            store::Database db(killedDb);
            if (const auto run = store::RunStore(db).find(1)) stepsSeen = run->stepsDone;
        } catch (const std::exception&) {
            // The child may still be creating the database.
        }
    }
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
    ASSERT_GE(stepsSeen, 12);

    {
        store::Database db(killedDb);
        store::Statement check = db.prepare("PRAGMA integrity_check");
        ASSERT_TRUE(check.step());
        EXPECT_EQ(check.columnText(0), "ok");
        const auto run = store::RunStore(db).get(1);
        EXPECT_EQ(run.state, "running");  // killed: nobody could mark it
        EXPECT_FALSE(run.lastCheckpoint.empty());
        EXPECT_TRUE(fs::exists(run.lastCheckpoint));
    }
    const auto resumed = test::runCommand(cli() + " --db " + killedDb.string() + " train --resume 1");
    ASSERT_EQ(resumed.exitCode, 0) << resumed.output;
    EXPECT_EQ(lossCurve(killedDb, 1), expected) << resumed.output;

    store::Database db(killedDb);
    const auto run = store::RunStore(db).get(1);
    EXPECT_EQ(run.state, "completed");
    EXPECT_TRUE(fs::exists(fs::path(run.adapterDir) / "adapter_model.safetensors"));
    EXPECT_FALSE(run.mixtureHash.empty());
    EXPECT_FALSE(run.baseModelHash.empty());
    EXPECT_TRUE(run.provenance.contains("versions"));
}

TEST(TrainCli, BadSpecFailsWithOneReadableLine) {
    test::TempDir temp;
    std::ofstream(temp / "bad.json") << R"({"name": "x", "base_model": "missing-folder", "mixture": {}, "loss": "focal"})";
    const auto result = test::runCommand(cli() + " --db " + (temp / "p.sqlite").string() + " train " +
                                         (temp / "bad.json").string());
    EXPECT_NE(result.exitCode, 0);
    EXPECT_NE(result.output.find("ctd: error:"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("focal"), std::string::npos) << result.output;
}

TEST(TrainCli, CancelledRunIsMarkedAndResumable) {
    // Long enough that the run cannot finish while `ctd runs cancel` starts (~1 s here; 40 steps of
    // this model take about as long on an idle machine, which made a 40-step version flaky).
    constexpr int64_t kSteps = 200;
    TinyTrainingSetup setup(kSteps);
    const fs::path database = setup.temp / "cancel.sqlite";
    // Cancel through the database, as `ctd runs cancel` from another shell does.
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        const std::string dbArgument = database.string(), specArgument = setup.spec.string(), binary = cli();
        const int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execl(binary.c_str(), binary.c_str(), "--db", dbArgument.c_str(), "train", specArgument.c_str(),
              static_cast<char*>(nullptr));
        _exit(127);
    }
    bool requested = false, finishedFirst = false;
    for (int attempt = 0; attempt < 600 && !requested && !finishedFirst; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        try {
            store::Database db(database);
            const auto run = store::RunStore(db).find(1);
            finishedFirst = run && run->state == "completed";
            if (run && run->stepsDone >= 4 && !finishedFirst) {
                requested = test::runCommand(cli() + " --db " + database.string() + " runs cancel 1").exitCode == 0;
            }
        } catch (const std::exception&) {
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_FALSE(finishedFirst) << "the run completed before the cancel request landed";
    ASSERT_TRUE(requested);
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 3);  // cancelled
    {
        store::Database db(database);
        const auto run = store::RunStore(db).get(1);
        EXPECT_EQ(run.state, "cancelled");
        EXPECT_LT(run.stepsDone, kSteps);
    }
    const auto resumed = test::runCommand(cli() + " --db " + database.string() + " train --resume 1");
    EXPECT_EQ(resumed.exitCode, 0) << resumed.output;
}
