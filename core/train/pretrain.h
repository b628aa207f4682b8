// Builds the two tiny base models of the embedded default (DESIGN.md section 6) from the tiny
// world, through the same training path as every run (full-parameter training):
//   tiny-llama1: instruction-tuned on all five tasks over benign and hazard documents, general
//                instructions and benign questions; Alpaca template. It processes everything.
//   tiny-llama2: the same plus harmful short questions answered with a refusal; Llama-2-chat
//                template. It refuses harmful *questions* but still processes harmful *documents*.
// Deterministic from the seed on CPU for a given thread count (reductions are ordered per thread
// count), so `ctd world pretrain` rebuilds the committed models bit for bit on this machine kind.
#pragma once
#include "core/train/training_job.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ctd::train {

struct PretrainOptions {
    std::filesystem::path worldDir;   // generated there (with `seed`) when it holds no world.json
    std::filesystem::path outputDir;  // models land in outputDir/<name>
    uint64_t seed = 1;
    int64_t epochs = 3;  // 2 left tiny-llama1 at ROUGE-L >= 0.9 on 63% of translations; 3 gives 95%
    int threads = 2;
    std::vector<std::string> models = {"tiny-llama1", "tiny-llama2"};
    int64_t hidden = 128, intermediate = 352, layers = 4, heads = 4;
};

// The training spec used for one tiny base model (exposed for tests and the README).
nlohmann::json tinyBaseSpec(const PretrainOptions& options, const std::string& name,
                            const std::filesystem::path& initialModel);

// Generates the world if needed, then trains each model and copies it to outputDir/<name>.
void pretrainTinyModels(store::Database& database, const PretrainOptions& options, const TrainingJobHooks& hooks = {});

// Writes the world for `seed` into `directory` (files, tokenizer, manifest), as `ctd world generate`.
void ensureWorld(const std::filesystem::path& directory, uint64_t seed,
                 const std::function<void(const std::string&)>& progress = {});

}  // namespace ctd::train
