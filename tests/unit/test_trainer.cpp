// The training loop on a tiny random model: loss falls when overfitting, the same seed gives the
// same curve, resume from a checkpoint equals an uninterrupted run, cancel leaves a resumable run.
#include "test_support.h"
#include "tiny_llama.h"

#include "core/model/checkpoint.h"
#include "core/train/trainer.h"
#include "core/util/error.h"

using namespace ctd;

namespace {

model::LlamaConfig tinyConfig() { return test::tinyLlamaConfig(); }

model::LlamaForCausalLM tinyModel(bool lora, std::vector<std::string> targets = {"q_proj", "v_proj"}) {
    at::manual_seed(3);
    model::LlamaForCausalLM m(tinyConfig());
    {
        // HF-style init (std 0.02) leaves a frozen head too weak for LoRA to move the logits far;
        // a pretrained head is much larger.
        at::NoGradGuard noGrad;
        m->lm_head->weight.mul_(25.0);
    }
    if (lora) {
        model::LoraSettings s;
        s.rank = 4;
        s.alpha = 8;
        s.targetModules = targets;
        s.dropout = 0.1;  // exercises the RNG state in checkpoints
        m->addLora(s);
    }
    return m;
}

std::vector<train::TrainingExample> examples() {
    std::vector<train::TrainingExample> out;
    for (int i = 0; i < 12; ++i) {
        train::TrainingExample e;
        e.inputIds = {1, 5 + i % 7, 9, 11 + i % 3, 20 + i % 5, 2};
        if (i % 2) e.inputIds.push_back(33);
        e.labels = e.inputIds;
        e.labels[0] = e.labels[1] = -100;  // prompt masked
        e.task = i % 3 == 0 ? "summarize" : "benign";
        out.push_back(e);
    }
    return out;
}

train::TrainerSettings settings() {
    train::TrainerSettings s;
    s.microBatchSize = 2;
    s.gradientAccumulation = 2;
    s.maxSteps = 12;
    s.optimizer.learningRate = 1e-2;
    s.optimizer.warmupSteps = 2;
    s.loss = train::LossType::MixedTask;
    s.seed = 11;
    return s;
}

}  // namespace

TEST(Trainer, LossFallsOnASmallOverfitRun) {
    test::TempDir temp;
    auto s = settings();
    s.maxSteps = 30;
    s.loss = train::LossType::TokenMean;  // comparable across windows (mixed-task sums depend on the mix)
    s.optimizer.learningRate = 3e-2;
    train::Trainer trainer(tinyModel(true, model::LoraSettings::knownTargets()), examples(), s, temp.path());
    const auto outcome = trainer.run();
    ASSERT_EQ(outcome.losses.size(), 30u);
    const double first = (outcome.losses[0] + outcome.losses[1] + outcome.losses[2]) / 3.0;
    const double last = (outcome.losses[27] + outcome.losses[28] + outcome.losses[29]) / 3.0;
    EXPECT_LT(last, 0.5 * first) << "first " << first << ", last " << last;
    EXPECT_TRUE(std::filesystem::exists(outcome.lastCheckpoint / "adapter" / "adapter_model.safetensors"));
}

TEST(Trainer, SameSeedSameCurve) {
    test::TempDir a, b;
    const auto first = train::Trainer(tinyModel(true), examples(), settings(), a.path()).run();
    const auto second = train::Trainer(tinyModel(true), examples(), settings(), b.path()).run();
    EXPECT_EQ(first.losses, second.losses);
}

TEST(Trainer, ResumedRunEqualsUninterruptedRun) {
    test::TempDir full, part;
    const auto reference = train::Trainer(tinyModel(true), examples(), settings(), full.path()).run();

    auto s = settings();
    s.checkpointEvery = 5;
    std::atomic<bool> stop{false};
    train::TrainerHooks hooks;
    hooks.onStep = [&](const train::TrainingProgress& p) { return p.step < 7; };  // "killed" after step 7
    const auto interrupted = train::Trainer(tinyModel(true), examples(), s, part.path()).run(hooks);
    EXPECT_EQ(interrupted.state, train::TrainingOutcome::State::Cancelled);

    // Resume from the periodic checkpoint at step 5 (as after a crash), in a fresh model.
    train::Trainer resumed(tinyModel(true), examples(), s, part.path());
    const auto rest = resumed.run({}, part.path() / "checkpoint-5");
    ASSERT_EQ(rest.losses.size(), 7u);
    const std::vector<double> tail(reference.losses.begin() + 5, reference.losses.end());
    EXPECT_EQ(rest.losses, tail);
}

TEST(Trainer, CancelMidWindowCheckpointsAResumableState) {
    test::TempDir full, part;
    const auto reference = train::Trainer(tinyModel(true), examples(), settings(), full.path()).run();
    std::atomic<bool> stop{false};
    train::TrainerHooks hooks;
    hooks.stopFlag = &stop;
    hooks.onStep = [&](const train::TrainingProgress& p) {
        if (p.step == 4) stop = true;  // seen by the next window's first micro-batch check
        return true;
    };
    const auto cancelled = train::Trainer(tinyModel(true), examples(), settings(), part.path()).run(hooks);
    EXPECT_EQ(cancelled.state, train::TrainingOutcome::State::Cancelled);
    const auto latest = train::Trainer::latestCheckpoint(part.path());
    ASSERT_TRUE(latest.has_value());
    const auto rest = train::Trainer(tinyModel(true), examples(), settings(), part.path()).run({}, *latest);
    std::vector<double> all = cancelled.losses;
    all.insert(all.end(), rest.losses.begin(), rest.losses.end());
    EXPECT_EQ(all, reference.losses);
}

TEST(Trainer, FullParameterTrainingUpdatesEveryWeight) {
    test::TempDir temp;
    auto s = settings();
    s.fullParameter = true;
    s.loss = train::LossType::TokenMean;
    s.maxSteps = 3;
    auto m = tinyModel(false);
    const at::Tensor before = m->model->norm->weight.detach().clone();
    train::Trainer(m, examples(), s, temp.path()).run();
    EXPECT_FALSE(at::equal(before, m->model->norm->weight.detach()));
    EXPECT_TRUE(std::filesystem::exists(temp / "checkpoint-3" / "model" / "model.safetensors"));
}

TEST(Trainer, LearningRateScheduleWarmsUpThenDecays) {
    train::OptimizerSettings o;
    o.learningRate = 1.0;
    o.warmupSteps = 4;
    EXPECT_DOUBLE_EQ(train::learningRateAt(o, 0, 14), 0.25);
    EXPECT_DOUBLE_EQ(train::learningRateAt(o, 3, 14), 1.0);
    EXPECT_DOUBLE_EQ(train::learningRateAt(o, 4, 14), 1.0);
    EXPECT_NEAR(train::learningRateAt(o, 9, 14), 0.5, 1e-12);
    o.schedule = "cosine";
    EXPECT_NEAR(train::learningRateAt(o, 9, 14), 0.5, 1e-12);
    o.schedule = "bogus";
    EXPECT_THROW(train::learningRateAt(o, 9, 14), ctd::ConfigError);
}
