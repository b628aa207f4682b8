// Runs that go wrong numerically or run out of memory: a loss or weights that become NaN/inf stop
// the run with the step in the message and never reach a checkpoint (the last good one stays the
// newest); a CUDA out-of-memory error (constructed here: no GPU needed) becomes a failure message
// that names the batch settings, the device and what to lower, for training and evaluation alike.
#include "tiny_llama.h"
#include "test_experiment_support.h"

#include "core/eval/evaluator.h"
#include "core/eval/suite.h"
#include "core/model/safetensors.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"
#include "core/train/trainer.h"
#include "core/train/training_job.h"
#include "core/util/error.h"
#include "core/util/out_of_memory.h"

#include <c10/util/Exception.h>

#include <cmath>

using namespace ctd;
namespace fs = std::filesystem;

namespace {

model::LlamaForCausalLM tinyLoraModel() {
    const model::LlamaConfig c = test::tinyLlamaConfig();
    at::manual_seed(3);
    model::LlamaForCausalLM m(c);
    model::LoraSettings lora;
    lora.rank = 4;
    lora.alpha = 8;
    m->addLora(lora);
    return m;
}

std::vector<train::TrainingExample> examples() {
    std::vector<train::TrainingExample> out;
    for (int i = 0; i < 8; ++i) out.push_back({{1, 5 + i % 7, 9, 11 + i % 3, 2}, {-100, 5 + i % 7, 9, 11 + i % 3, 2}, "benign"});
    return out;
}

train::TrainerSettings settings() {
    train::TrainerSettings s;
    s.microBatchSize = 2;
    s.gradientAccumulation = 2;
    s.maxSteps = 8;
    s.checkpointEvery = 1;
    s.optimizer.learningRate = 1e-2;
    return s;
}

// Sets one weight to NaN once step `atStep` is reported, as an overflow would: a trainable LoRA
// weight, or a frozen base weight (the final norm), which the next forward pass reads.
train::TrainerHooks poisonAt(model::LlamaForCausalLM model, int64_t atStep, bool trainable) {
    train::TrainerHooks hooks;
    hooks.onStep = [model, atStep, trainable](const train::TrainingProgress& p) {
        if (p.step == atStep) {
            at::NoGradGuard noGrad;
            at::Tensor weight = trainable ? model->loraState().front().second : model->model->norm->weight;
            weight.view(-1)[0].fill_(std::nan(""));
        }
        return true;
    };
    return hooks;
}

std::string messageOf(const std::function<void()>& action) {
    try {
        action();
    } catch (const std::exception& error) {
        return error.what();
    }
    return "(no error)";
}

c10::OutOfMemoryError cudaOutOfMemory() {
    return c10::OutOfMemoryError(c10::SourceLocation{__func__, __FILE__, __LINE__},
                                 "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.11 "
                                 "GiB of which 1.02 GiB is free.\nException raised from malloc at CUDACachingAllocator.cpp");
}

}  // namespace

TEST(NonFiniteTraining, PoisonedWeightsAreNeverCheckpointed) {
    test::TempDir temp;
    auto model = tinyLoraModel();
    train::Trainer trainer(model, examples(), settings(), temp.path());
    const std::string message = messageOf([&] { trainer.run(poisonAt(model, 3, true)); });
    EXPECT_NE(message.find("weights became non-finite at step 3 of 8"), std::string::npos) << message;
    EXPECT_NE(message.find("no checkpoint written"), std::string::npos) << message;
    EXPECT_NE(message.find("checkpoint-2"), std::string::npos) << message;
    // The newest checkpoint is the last good one, and it holds finite weights.
    const auto latest = train::Trainer::latestCheckpoint(temp.path());
    ASSERT_TRUE(latest);
    EXPECT_EQ(latest->filename(), "checkpoint-2");
    EXPECT_FALSE(fs::exists(temp / "checkpoint-3"));
    EXPECT_FALSE(fs::exists(temp / "checkpoint-3.partial"));
    const auto adapter = model::SafetensorsFile::open(*latest / "adapter" / "adapter_model.safetensors");
    for (const auto& name : adapter->names()) EXPECT_TRUE(at::isfinite(adapter->load(name)).all().item<bool>()) << name;
}

TEST(NonFiniteTraining, LossThatBecomesNanStopsWithTheStep) {
    test::TempDir temp;
    auto model = tinyLoraModel();
    auto s = settings();
    s.checkpointEvery = 2;  // step 3 writes no checkpoint: the poisoned weights reach step 4's loss
    train::Trainer trainer(model, examples(), s, temp.path());
    const std::string message = messageOf([&] { trainer.run(poisonAt(model, 3, false)); });
    EXPECT_NE(message.find("loss became nan at step 4 of 8"), std::string::npos) << message;
    EXPECT_NE(message.find("micro-batch 1 of 2"), std::string::npos) << message;
    EXPECT_NE(message.find("the last good checkpoint is " + (temp / "checkpoint-2").string()), std::string::npos)
        << message;
    EXPECT_EQ(train::Trainer::latestCheckpoint(temp.path())->filename(), "checkpoint-2");
}

TEST(NonFiniteTraining, AHugeLearningRateFailsTheRunKeepingAResumableCheckpoint) {
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(temp.path());
    store::Database database(temp / "project.sqlite");
    const nlohmann::json spec = test::tinyTrainingSpec(
        project, "diverges",
        {{"max_steps", 10}, {"checkpoint_every", 1}, {"optimizer", {{"learning_rate", 1e30}, {"warmup_steps", 0}}}});
    const auto result = train::runTraining(database, train::TrainingSpec::fromJson(spec, "test", temp.path()), {},
                                           /*swallowErrors=*/true);
    EXPECT_EQ(result.state, "failed");
    // Step 1 moves every weight by about 1e30; step 2's backward overflows.
    EXPECT_NE(result.message.find("gradient norm became nan at step 2 of 10"), std::string::npos) << result.message;
    EXPECT_NE(result.message.find(" at step "), std::string::npos) << result.message;
    const auto run = store::RunStore(database).get(result.runId);
    EXPECT_EQ(run.state, "failed");
    EXPECT_EQ(run.message, result.message);
    EXPECT_LT(run.stepsDone, 10);
    // Whatever checkpoint exists holds finite weights.
    if (const auto latest = train::Trainer::latestCheckpoint(fs::path(run.outputDir) / "checkpoints")) {
        const auto adapter = model::SafetensorsFile::open(*latest / "adapter" / "adapter_model.safetensors");
        for (const auto& name : adapter->names())
            EXPECT_TRUE(at::isfinite(adapter->load(name)).all().item<bool>()) << name;
    }
    std::cout << "[nonfinite] " << run.message << "\n";
}

TEST(OutOfMemory, TranslationNamesTheSettingsAndTheHint) {
    const auto error = cudaOutOfMemory();
    EXPECT_TRUE(util::isOutOfMemory(error));
    EXPECT_TRUE(util::isOutOfMemory(c10::Error(c10::SourceLocation{__func__, __FILE__, __LINE__},
                                               "CUDA error: out of memory")));
    EXPECT_TRUE(util::isOutOfMemory(std::bad_alloc()));
    EXPECT_FALSE(util::isOutOfMemory(ConfigError("micro batch size must be positive")));

    train::TrainingSpec spec;
    spec.device = "cuda:0";
    spec.dtype = "bfloat16";
    spec.cutoffLength = 1024;
    spec.trainer.microBatchSize = 4;
    spec.trainer.gradientAccumulation = 32;
    const std::string message = train::describeOutOfMemory(error, spec, 11, 300);
    EXPECT_EQ(message,
              "out of memory on cuda:0 while training at step 12 of 300 (micro_batch_size 4, "
              "gradient_accumulation_steps 32, cutoff_length 1024, dtype bfloat16): CUDA out of memory. Tried to "
              "allocate 2.00 GiB. GPU 0 has a total capacity of 79.11 GiB of which 1.02 GiB is free. Hint: lower "
              "micro_batch_size (and raise gradient_accumulation_steps to keep the batch of 128 examples), or lower "
              "cutoff_length");
}

TEST(OutOfMemory, TrainingAndEvaluationFailWithTheReadableMessage) {
    test::TempDir temp;
    const auto project = test::makeTinyExperiment(temp.path());
    store::Database database(temp / "project.sqlite");
    const nlohmann::json spec =
        test::tinyTrainingSpec(project, "oom", {{"gradient_accumulation_steps", 3}, {"max_steps", 4}});
    const auto trainingSpec = train::TrainingSpec::fromJson(spec, "test", temp.path());
    // The allocator's error surfacing from inside the training loop (after step 2).
    train::TrainingJobHooks hooks;
    hooks.onProgress = [](const train::TrainingProgress& p) {
        if (p.step == 2) throw cudaOutOfMemory();
        return true;
    };
    const std::string message = messageOf([&] { train::runTraining(database, trainingSpec, hooks); });
    EXPECT_NE(message.find("out of memory on cpu while training at step 3 of 4"), std::string::npos) << message;
    EXPECT_NE(message.find("micro_batch_size 2, gradient_accumulation_steps 3, cutoff_length 64"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("Exception raised from"), std::string::npos) << message;
    const auto failed = store::RunStore(database).get(1);
    EXPECT_EQ(failed.state, "failed");
    EXPECT_EQ(failed.message, message);

    // Evaluation: the same from inside generation.
    const auto trained = train::runTraining(database, trainingSpec);
    ASSERT_EQ(trained.state, "completed");
    eval::saveSuite(database, eval::worldSuite(project.world, "tiny"));
    eval::EvaluationSettings settings;
    settings.generation.maxNewTokens = 3;
    settings.batchSize = 4;
    const std::string evaluationMessage = messageOf([&] {
        eval::evaluateRun(database, trained.runId, "tiny", settings, [](int64_t done, int64_t) {
            if (done >= 4) throw cudaOutOfMemory();
            return true;
        });
    });
    EXPECT_NE(evaluationMessage.find("out of memory on cpu while generating responses (4 of"), std::string::npos)
        << evaluationMessage;
    EXPECT_NE(evaluationMessage.find("batch_size 4, max_new_tokens 3, longest prompt tokens"), std::string::npos)
        << evaluationMessage;
    EXPECT_NE(evaluationMessage.find("Hint: lower --batch-size"), std::string::npos) << evaluationMessage;
    const auto evaluations = store::ResultStore(database).evaluations(trained.runId);
    ASSERT_EQ(evaluations.size(), 1u);
    EXPECT_EQ(evaluations.front().state, "failed");
    EXPECT_EQ(evaluations.front().message, evaluationMessage);
}
