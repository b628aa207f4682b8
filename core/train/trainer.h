// The training loop shared by LoRA fine-tuning and full-parameter training (the tiny base
// models): seeded data order, micro-batches with gradient accumulation, AdamW with warm-up and
// decay, gradient clipping, checkpoints that resume bit for bit, progress through plain
// callbacks and a stop flag checked between micro-batches. No Qt, no SQLite: callers persist.
#pragma once
#include "core/model/llama.h"
#include "core/train/loss.h"
#include "core/train/optimizer.h"
#include "core/train/trainer_settings.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ctd::train {

// One tokenized example: labels are -100 where the loss is masked; `task` tags it for the
// mixed-task loss (e.g. "summarize", "benign", "safety_qa").
struct TrainingExample {
    std::vector<int64_t> inputIds;
    std::vector<int64_t> labels;
    std::string task;
};

struct TrainingProgress {
    int64_t step = 0;        // optimizer steps done
    int64_t totalSteps = 0;
    int64_t epoch = 0;       // 0-based epoch of the last step
    double loss = 0.0;       // loss of the last step (window loss)
    double learningRate = 0.0;
    double gradNorm = 0.0;
    double tokensPerSecond = 0.0;
    double etaSeconds = 0.0;
    int64_t tokens = 0;      // tokens processed in this session
};

struct TrainerHooks {
    // After every optimizer step; return false to stop (as the stop flag).
    std::function<bool(const TrainingProgress&)> onStep;
    // Just before a checkpoint is written (step): the caller stores what belongs with it (metric
    // points), so a process killed right after the folder appears cannot resume past unsaved points.
    std::function<void(int64_t)> onBeforeCheckpoint;
    // After a checkpoint was written (folder, step).
    std::function<void(const std::filesystem::path&, int64_t)> onCheckpoint;
    const std::atomic<bool>* stopFlag = nullptr;
};

struct TrainingOutcome {
    enum class State { Completed, Cancelled };
    State state = State::Completed;
    int64_t steps = 0;
    std::vector<double> losses;  // one per optimizer step of this session
    std::filesystem::path lastCheckpoint;
};

class Trainer {
public:
    // `model` must already carry its LoRA adapter unless settings.fullParameter.
    Trainer(model::LlamaForCausalLM model, std::vector<TrainingExample> examples, TrainerSettings settings,
            std::filesystem::path checkpointRoot);

    int64_t totalSteps() const;
    // Trains from the start, or from `resumeCheckpoint` (a folder written by this trainer).
    TrainingOutcome run(const TrainerHooks& hooks = {},
                        const std::optional<std::filesystem::path>& resumeCheckpoint = std::nullopt);

    // The example indices of optimizer step `step` (0-based): a seeded permutation per epoch,
    // cut into windows of microBatchSize * gradientAccumulation (the last one may be short).
    std::vector<int64_t> windowOfStep(int64_t step) const;

    // Writes a checkpoint (weights or adapter, optimizer, RNG state, position) for `step`.
    // `rngState` defaults to the current CPU generator state.
    std::filesystem::path saveCheckpoint(int64_t step, const std::vector<double>& losses,
                                         const at::Tensor& rngState = {});
    // The checkpoint folder with the highest step under `root`, if any.
    static std::optional<std::filesystem::path> latestCheckpoint(const std::filesystem::path& root);

    // A checkpoint's trainer_state.json, checked (a step >= 0 and one loss per step).
    struct CheckpointState {
        uint64_t seed = 0;
        int64_t step = 0;
        std::vector<double> losses;
    };
    static CheckpointState readCheckpointState(const std::filesystem::path& folder);

private:
    void loadCheckpoint(const std::filesystem::path& folder, std::vector<double>& losses, int64_t& step);
    std::vector<std::pair<std::string, at::Tensor>> trainableParameters() const;

    model::LlamaForCausalLM m_model;
    std::vector<TrainingExample> m_examples;
    TrainerSettings m_settings;
    std::filesystem::path m_checkpointRoot;
    std::unique_ptr<AdamW> m_optimizer;
};

// Right-padded micro-batch: input ids (B, T) padded with padId, labels padded with -100.
struct MicroBatch {
    at::Tensor inputIds;
    at::Tensor labels;
    std::vector<std::string> tasks;
    int64_t tokens = 0;  // real (unpadded) tokens
};
MicroBatch collate(const std::vector<TrainingExample>& examples, const std::vector<int64_t>& indices, int64_t padId,
                   const at::Device& device);

// Seeded Fisher-Yates permutation (splitmix64), identical on every platform.
std::vector<int64_t> seededPermutation(int64_t size, uint64_t seed);

}  // namespace ctd::train
