// LoRA adapters as PEFT defines them: y = W x + (alpha / r) * B(A(dropout(x))), A random
// (kaiming-uniform, as nn.Linear), B zero, so a fresh adapter leaves the model unchanged.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace ctd::model {

struct LoraSettings {
    int64_t rank = 8;
    double alpha = 16.0;
    double dropout = 0.05;
    std::vector<std::string> targetModules = {"q_proj", "v_proj"};

    double scale() const { return alpha / static_cast<double>(rank); }
    // PEFT's adapter_config.json (LoraConfig fields this engine honours).
    nlohmann::json toPeftConfig(const std::string& baseModelPath) const;
    // Reads adapter_config.json; unsupported settings (bias, DoRA, rsLoRA, per-module ranks,
    // fan_in_fan_out) are refused with an error naming the field.
    static LoraSettings fromPeftConfig(const nlohmann::json& json, const std::string& source);
    static const std::vector<std::string>& knownTargets();
};

}  // namespace ctd::model
