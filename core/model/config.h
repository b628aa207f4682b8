// Llama model configuration, read from (and written to) an HF `config.json`.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ctd::model {

struct LlamaConfig {
    int64_t vocabSize = 32000;
    int64_t hiddenSize = 4096;
    int64_t intermediateSize = 11008;
    int64_t numHiddenLayers = 32;
    int64_t numAttentionHeads = 32;
    int64_t numKeyValueHeads = 32;
    int64_t headDim = 128;
    int64_t maxPositionEmbeddings = 2048;
    double rmsNormEps = 1e-6;
    double ropeTheta = 10000.0;
    bool tieWordEmbeddings = false;
    std::optional<int64_t> bosTokenId = 1;
    std::optional<int64_t> eosTokenId = 2;
    std::optional<int64_t> padTokenId;
    std::string torchDtype = "float32";

    // Parses an HF config; `source` names the file in error messages. Unknown architectures,
    // missing required fields, wrong types and inconsistent values (e.g. heads not dividing the
    // hidden size) throw ConfigError naming the field.
    static LlamaConfig fromJson(const nlohmann::json& json, const std::string& source);
    static LlamaConfig load(const std::filesystem::path& configFile);
    nlohmann::json toJson() const;
    void save(const std::filesystem::path& configFile) const;

    int64_t parameterCount() const;
};

}  // namespace ctd::model
