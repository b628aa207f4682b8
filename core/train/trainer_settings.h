// The settings of a training loop (loss, optimizer, batching) as plain structs without torch, so
// training specs can be parsed (and fuzzed) on their own.
#pragma once
#include <cstdint>
#include <string>

namespace ctd::train {

enum class LossType { TokenMean, ResponseOnly, SingleTask, MixedTask };

LossType parseLossType(const std::string& name);
std::string lossTypeName(LossType type);
// Whether the prompt tokens must be masked for this loss (all but token_mean, whose masking
// follows train_on_inputs).
bool lossMasksPrompt(LossType type);

struct OptimizerSettings {
    double learningRate = 3e-4;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
    double weightDecay = 0.0;
    int64_t warmupSteps = 10;
    std::string schedule = "linear";  // linear | cosine | constant (after warm-up)
    double maxGradNorm = 1.0;         // 0: no clipping
};

struct TrainerSettings {
    OptimizerSettings optimizer;
    LossType loss = LossType::TokenMean;
    int64_t microBatchSize = 4;
    int64_t gradientAccumulation = 32;
    int64_t epochs = 3;
    int64_t maxSteps = 0;            // > 0: a step budget instead of epochs
    uint64_t seed = 42;
    int64_t checkpointEvery = 0;     // optimizer steps; 0: only at the end
    bool fullParameter = false;      // train every weight (tiny base models) instead of LoRA
    std::string autocastDtype;       // CUDA only: "bfloat16" / "float16"; CPU stays fp32
    int64_t padId = 0;
};

}  // namespace ctd::train
