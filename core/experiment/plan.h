// From a spec to a plan: validation up front (model folders, data files, suites, GPU: every
// problem listed at once instead of a failure halfway through a grid), then the tiny world, the
// evaluation suites and the cells with their content hashes.
//
// Two hashes per cell:
//   run key    what decides the trained weights: base model content, template, family, the
//              mixture's content hash and the training settings (for a baseline: the model only).
//              It is stored as runs.cell_hash, so a cell whose evaluation changed reuses its run.
//   cell hash  the run key plus the evaluation (suite contents, generation settings, item limit,
//              scorers): what a finished cell has done.
#pragma once
#include "core/eval/evaluator.h"
#include "core/eval/suite.h"
#include "core/experiment/spec.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ctd::experiment {

struct Cell {
    int64_t index = 0;  // position in the plan (0-based)
    std::string hash;
    std::string runKey;
    std::string label;  // e.g. "tiny-llama1 summarize N=50"
    std::string modelName, modelPath, templateName, family;
    std::string defendedTask;  // "" for the baseline, a task, or "mixed"
    int64_t defenseCount = 0;  // N, or M per task for mixed
    std::string loss;          // "" for the baseline
    uint64_t seed = 0;
    bool trains() const { return defenseCount > 0; }
    nlohmann::json trainingSpec;  // trained cells: TrainingSpec JSON (output_dir filled in by the runner)
    nlohmann::json definition;    // what `hash` covers
    std::string mixtureHash;
    int64_t estimatedSteps = 0;  // optimizer steps (0 for the baseline)
    int64_t estimatedItems = 0;  // evaluation items
};

struct ValidationReport {
    std::vector<std::string> problems;  // anything that would stop the grid
    std::vector<std::string> notes;     // what will happen (e.g. the world will be generated)
    bool ok() const { return problems.empty(); }
    std::string text() const;  // one line per problem and note
};

struct PlanOptions {
    std::filesystem::path outDir;  // ${out}: the tiny world and the runs' folders
    bool checkDevice = true;       // probe CUDA when the spec needs it
    std::function<void(const std::string&)> onMessage;
};

struct ExperimentPlan {
    ExperimentSpec spec;
    std::filesystem::path outDir;
    std::filesystem::path worldDir;  // empty without a world
    std::vector<eval::Suite> suites;
    eval::EvaluationSettings evaluation;
    std::vector<Cell> cells;

    // A cell by 0-based index or by a prefix of its hash (at least 6 characters).
    const Cell& findCell(const std::string& indexOrHash) const;
};

// Checks what can be checked without building anything: variables, model folders, templates,
// data files, suite files, losses, training fields, devices.
ValidationReport validateExperiment(const ExperimentSpec& spec, const PlanOptions& options);

// Validates (ConfigError with the whole report when it fails), writes the tiny world when the
// spec has one and it is missing, loads the suites, and expands the cells (building each cell's
// mixture to hash it and to check that the pool holds enough documents).
ExperimentPlan planExperiment(const ExperimentSpec& spec, const PlanOptions& options);

// Content fingerprint of a model folder: config, tokenizer and weight files (whole files up to
// 64 MB; larger ones by size and the first megabyte, which holds the safetensors header).
std::string modelFingerprint(const std::filesystem::path& folder);

}  // namespace ctd::experiment
