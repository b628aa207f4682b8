// A training run as the product runs it (CLI `ctd train`, the GUI's worker, the experiment
// runner): spec -> mixture -> tokenized examples -> Trainer, with the run, its metric curve
// (written in batches) and its checkpoints recorded in the project database.
#pragma once
#include "core/model/lora.h"
#include "core/train/trainer.h"

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

// A training spec (JSON). Defaults follow the authors' hyperparameters (DESIGN.md section 2).
struct TrainingSpec {
    std::string name;
    std::string baseModel;           // HF model folder
    std::string modelFamily;         // "llama1" / "llama2" (for plots); guessed from the template if empty
    std::string templateName = "alpaca";  // built-in template name or a template JSON path
    std::string mixture;             // mixture spec JSON path (built on the fly)
    nlohmann::json mixtureSpec;      // or the mixture spec inline
    model::LoraSettings lora;
    TrainerSettings trainer;
    std::string lossName = "token_mean";
    bool trainOnInputs = true;       // authors' default; forced off for losses that mask the prompt
    int64_t cutoffLength = 1024;
    std::string truncation = "document";  // document | tail
    std::string device = "cpu";
    std::string dtype = "float32";
    std::string outputDir;           // where checkpoints go; default <db folder>/<db name>.runs/run-<id>
    std::filesystem::path specDir;   // folder of the spec file: relative paths resolve against it

    static TrainingSpec fromJson(const nlohmann::json& json, const std::string& source,
                                 const std::filesystem::path& specDir);
    static TrainingSpec load(const std::filesystem::path& file);
    nlohmann::json toJson() const;
};

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

}  // namespace ctd::train
