// Shared by the experiment tests: a tiny project on disk (a small generated world, a tiny random
// Llama model with a tokenizer trained on that world) and an experiment spec over it whose cells
// train and evaluate in well under a second each.
#pragma once
#include "test_support.h"
#include "tiny_world.h"

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace ctd::test {

struct TinyExperiment {
    std::filesystem::path root, world, model, spec;
};

// Writes the world and the model once per folder; the spec is rewritten every call.
inline TinyExperiment makeTinyExperiment(const std::filesystem::path& root, const nlohmann::json& overrides = {}) {
    namespace fs = std::filesystem;
    at::set_num_threads(1);
    TinyExperiment project{root, root / "world", root / "model", root / "experiment.json"};
    if (!fs::exists(project.world / "world.json")) writeTinyWorld(project.world);
    if (!fs::exists(project.model / "model.safetensors")) writeTinyModel(project.world, project.model);
    nlohmann::json spec = {
        {"name", "tiny-test"},
        {"world", {{"seed", kTinyWorldSeed}, {"dir", project.world.string()}}},
        {"models",
         {{{"name", "m1"}, {"path", project.model.string()}, {"template", "alpaca"}, {"family", "llama1"}},
          {{"name", "m2"}, {"path", project.model.string()}, {"template", "llama2"}, {"family", "llama2"}}}},
        {"grid", {{{"defended_task", "summarize"}, {"counts", {0, 4}}}, {{"defended_task", "mixed"}, {"counts", {1}}}}},
        {"losses", {"response_only"}},
        {"seeds", {3}},
        {"mixture",
         {{"data_dir", "${world}"},
          {"benign", {{{"name", "general"}, {"path", "train_general.json"}, {"count", 6}}}},
          {"safety", {{{"name", "safety_qa"}, {"path", "train_harmful_questions.json"}, {"count", 2}}}},
          {"defense",
           {{"pool", {{"path", "defense_{task}.json"}, {"field", "instruction"}, {"strip_task", "auto"}}},
            {"refusal", "I'm sorry, but I cannot help with that."}}}}},
        {"training",
         {{"lora", {{"r", 4}, {"alpha", 8}, {"dropout", 0.0}}},
          {"optimizer", {{"learning_rate", 3e-3}, {"warmup_steps", 1}}},
          {"micro_batch_size", 2},
          {"batch_size", 2},
          {"max_steps", 3},
          {"checkpoint_every", 1},
          {"cutoff_length", 256}}},
        {"evaluation",
         {{"suites", {{{"name", "tiny"}, {"world", "${world}"}}}},
          {"generation", {{"strategy", "greedy"}, {"max_new_tokens", 3}}},
          {"batch_size", 8},
          {"limit_per_group", 1}}}};
    if (overrides.is_object()) spec.merge_patch(overrides);
    std::ofstream(project.spec) << spec.dump(2);
    return project;
}

// A small LoRA training spec on the tiny experiment's world and model (8 general examples,
// micro-batch 2, r=2); `overrides` replace or add top-level fields.
inline nlohmann::json tinyTrainingSpec(const TinyExperiment& project, const std::string& name,
                                       const nlohmann::json& overrides = nlohmann::json::object()) {
    nlohmann::json spec = {
        {"name", name},
        {"base_model", project.model.string()},
        {"mixture",
         {{"seed", 3},
          {"data_dir", project.world.string()},
          {"benign", {{{"name", "general"}, {"path", "train_general.json"}, {"count", 8}}}}}},
        {"micro_batch_size", 2},
        {"gradient_accumulation_steps", 1},
        {"cutoff_length", 64},
        {"lora", {{"r", 2}, {"alpha", 4}}}};
    spec.update(overrides);
    return spec;
}

}  // namespace ctd::test
