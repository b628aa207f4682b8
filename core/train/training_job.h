// A training run as the product runs it (CLI `ctd train`, the GUI's worker, the experiment
// runner): spec -> mixture -> tokenized examples -> Trainer, with the run, its metric curve
// (written in batches) and its checkpoints recorded in the project database.
#pragma once
#include "core/model/lora.h"
#include "core/train/trainer.h"
#include "core/train/training_spec.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace ctd::store {
class Database;
}

namespace ctd::train {

struct TrainingJobHooks {
    std::function<bool(const TrainingProgress&)> onProgress;  // false cancels
    std::function<void(const std::string&)> onMessage;        // human-readable stage messages
    const std::atomic<bool>* stopFlag = nullptr;
};

struct TrainingJobResult {
    int64_t runId = 0;
    std::string state;  // completed | cancelled | failed
    std::string message;
    std::vector<double> losses;
};

// Creates a run and trains it. Failures (bad files, NaN loss, out of memory) end as a failed run
// with a readable message; they are also rethrown unless `swallowErrors`.
TrainingJobResult runTraining(store::Database& database, const TrainingSpec& spec, const TrainingJobHooks& hooks = {},
                              bool swallowErrors = false);
// Continues a cancelled, failed or interrupted (killed) run from its last checkpoint.
TrainingJobResult resumeTraining(store::Database& database, int64_t runId, const TrainingJobHooks& hooks = {},
                                 bool swallowErrors = false);

// The failure message of a training run that ran out of memory at optimizer step `step` (0-based
// steps done; 0 with totalSteps 0: while loading): the device, micro-batch size, accumulation
// steps, cutoff length and dtype that caused it, and what to lower.
std::string describeOutOfMemory(const std::exception& error, const TrainingSpec& spec, int64_t step,
                                int64_t totalSteps);

}  // namespace ctd::train
