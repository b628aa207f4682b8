// Quality of a tiny base model on the held-out tiny world (issue: the two base models must do
// every task on benign documents, tiny-llama2 must refuse harmful questions, and both must still
// process hazard documents). Greedy generation, the authors' refusal markers.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace ctd::eval {

struct WorldCheckOptions {
    std::filesystem::path modelDir;
    std::filesystem::path worldDir;
    std::string templateName;   // empty: from the model's provenance.json, else "alpaca"
    int64_t limit = 100;        // items per file
    int64_t batchSize = 32;
    int64_t maxNewTokens = 96;
    std::function<void(const std::string&)> progress;
};

// Returns {"tasks": {task: {"n", "exact", "exact_rate", "rouge_l"?}}, "refusal": {"hazard_documents",
// "harmful_questions", "benign_questions", "benign_documents"}: {n, refused, rate}}.
nlohmann::json checkWorldModel(const WorldCheckOptions& options);

}  // namespace ctd::eval
