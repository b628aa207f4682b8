// A training spec (JSON) as a plain struct without torch: what `ctd train` and the experiment
// runner read, parsed by core/train/training_spec.cpp (which the fuzz targets build alone).
#pragma once
#include "core/model/lora.h"
#include "core/train/trainer_settings.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

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

}  // namespace ctd::train
