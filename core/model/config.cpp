// Parsing and validation of HF Llama `config.json` files.
#include "core/model/config.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <fstream>

namespace ctd::model {

namespace {

using nlohmann::json;

std::string where(const std::string& source, const std::string& field) {
    return source + ": field '" + field + "'";
}

int64_t requiredInt(const json& j, const std::string& field, const std::string& source) {
    if (!j.contains(field) || j[field].is_null())
        throw ConfigError(where(source, field) + " is missing (expected a positive integer)");
    if (!j[field].is_number_integer())
        throw ConfigError(where(source, field) + " must be an integer, got " + j[field].dump());
    const int64_t value = j[field].get<int64_t>();
    if (value <= 0) throw ConfigError(where(source, field) + " must be positive, got " + std::to_string(value));
    return value;
}

double optionalDouble(const json& j, const std::string& field, double fallback, const std::string& source) {
    if (!j.contains(field) || j[field].is_null()) return fallback;
    if (!j[field].is_number())
        throw ConfigError(where(source, field) + " must be a number, got " + j[field].dump());
    const double value = j[field].get<double>();
    if (!(value > 0)) throw ConfigError(where(source, field) + " must be positive, got " + j[field].dump());
    return value;
}

std::optional<int64_t> optionalTokenId(const json& j, const std::string& field, std::optional<int64_t> fallback,
                                       const std::string& source) {
    if (!j.contains(field)) return fallback;
    if (j[field].is_null()) return std::nullopt;
    // Some configs list several eos ids; the first is the one generation stops on by default.
    const json& value = j[field].is_array() && !j[field].empty() ? j[field][0] : j[field];
    if (!value.is_number_integer() || value.get<int64_t>() < 0)
        throw ConfigError(where(source, field) + " must be a non-negative integer, got " + j[field].dump());
    return value.get<int64_t>();
}

// A string field that may be absent (or null: the fallback); any other type is an error, never a
// json type_error escaping the parser.
std::string optionalString(const json& j, const std::string& field, const std::string& fallback,
                           const std::string& source) {
    if (!j.contains(field) || j[field].is_null()) return fallback;
    if (!j[field].is_string()) throw ConfigError(where(source, field) + " must be a string, got " + j[field].dump());
    return j[field].get<std::string>();
}

bool optionalBool(const json& j, const std::string& field, bool fallback, const std::string& source) {
    if (!j.contains(field) || j[field].is_null()) return fallback;
    if (!j[field].is_boolean()) throw ConfigError(where(source, field) + " must be true or false, got " + j[field].dump());
    return j[field].get<bool>();
}

}  // namespace

LlamaConfig LlamaConfig::fromJson(const json& j, const std::string& source) {
    if (!j.is_object()) throw ConfigError(source + ": expected a JSON object");
    const std::string modelType = optionalString(j, "model_type", "llama", source);
    if (modelType != "llama")
        throw ConfigError(where(source, "model_type") + " is '" + modelType + "'; only 'llama' models are supported");
    if (j.contains("architectures") && j["architectures"].is_array()) {
        for (const auto& architecture : j["architectures"])
            if (!architecture.is_string() || architecture.get<std::string>().rfind("Llama", 0) != 0)
                throw ConfigError(where(source, "architectures") + " names " + architecture.dump() +
                                  "; only Llama architectures are supported");
    }
    LlamaConfig c;
    c.vocabSize = requiredInt(j, "vocab_size", source);
    c.hiddenSize = requiredInt(j, "hidden_size", source);
    c.intermediateSize = requiredInt(j, "intermediate_size", source);
    c.numHiddenLayers = requiredInt(j, "num_hidden_layers", source);
    c.numAttentionHeads = requiredInt(j, "num_attention_heads", source);
    c.numKeyValueHeads = j.contains("num_key_value_heads") && !j["num_key_value_heads"].is_null()
                             ? requiredInt(j, "num_key_value_heads", source)
                             : c.numAttentionHeads;
    c.maxPositionEmbeddings = j.contains("max_position_embeddings")
                                  ? requiredInt(j, "max_position_embeddings", source)
                                  : 2048;
    c.rmsNormEps = optionalDouble(j, "rms_norm_eps", 1e-6, source);
    c.ropeTheta = optionalDouble(j, "rope_theta", 10000.0, source);
    c.tieWordEmbeddings = optionalBool(j, "tie_word_embeddings", c.tieWordEmbeddings, source);
    c.bosTokenId = optionalTokenId(j, "bos_token_id", 1, source);
    c.eosTokenId = optionalTokenId(j, "eos_token_id", 2, source);
    c.padTokenId = optionalTokenId(j, "pad_token_id", std::nullopt, source);
    // transformers >= 4.56 writes "dtype"; older versions "torch_dtype".
    for (const char* key : {"torch_dtype", "dtype"})
        if (j.contains(key) && j[key].is_string()) c.torchDtype = j[key].get<std::string>();

    if (c.hiddenSize % c.numAttentionHeads != 0 && !j.contains("head_dim"))
        throw ConfigError(where(source, "num_attention_heads") + " (" + std::to_string(c.numAttentionHeads) +
                          ") must divide hidden_size (" + std::to_string(c.hiddenSize) + ")");
    c.headDim = j.contains("head_dim") && !j["head_dim"].is_null() ? requiredInt(j, "head_dim", source)
                                                                   : c.hiddenSize / c.numAttentionHeads;
    if (c.headDim % 2 != 0) throw ConfigError(where(source, "head_dim") + " must be even for rotary embeddings");
    if (c.numAttentionHeads % c.numKeyValueHeads != 0)
        throw ConfigError(where(source, "num_key_value_heads") + " (" + std::to_string(c.numKeyValueHeads) +
                          ") must divide num_attention_heads (" + std::to_string(c.numAttentionHeads) + ")");
    if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
        throw ConfigError(where(source, "rope_scaling") + " is set (" + j["rope_scaling"].dump() +
                          "); rope scaling is not supported");
    for (const char* bias : {"attention_bias", "mlp_bias"})
        if (optionalBool(j, bias, false, source))
            throw ConfigError(where(source, bias) + ": biased projections are not supported");
    const std::string activation = optionalString(j, "hidden_act", "silu", source);
    if (activation != "silu")
        throw ConfigError(where(source, "hidden_act") + " is '" + activation + "'; only 'silu' is supported");
    for (auto [name, id] : {std::pair{"bos_token_id", c.bosTokenId}, {"eos_token_id", c.eosTokenId},
                            {"pad_token_id", c.padTokenId}})
        if (id && *id >= c.vocabSize)
            throw ConfigError(where(source, name) + " (" + std::to_string(*id) + ") is not below vocab_size (" +
                              std::to_string(c.vocabSize) + ")");
    return c;
}

LlamaConfig LlamaConfig::load(const std::filesystem::path& configFile) {
    return fromJson(util::readJsonFile(configFile), configFile.string());
}

json LlamaConfig::toJson() const {
    json j = {{"architectures", {"LlamaForCausalLM"}},
              {"model_type", "llama"},
              {"vocab_size", vocabSize},
              {"hidden_size", hiddenSize},
              {"intermediate_size", intermediateSize},
              {"num_hidden_layers", numHiddenLayers},
              {"num_attention_heads", numAttentionHeads},
              {"num_key_value_heads", numKeyValueHeads},
              {"head_dim", headDim},
              {"max_position_embeddings", maxPositionEmbeddings},
              {"rms_norm_eps", rmsNormEps},
              {"rope_theta", ropeTheta},
              {"tie_word_embeddings", tieWordEmbeddings},
              {"hidden_act", "silu"},
              {"attention_bias", false},
              {"mlp_bias", false},
              {"rope_scaling", nullptr},
              {"torch_dtype", torchDtype}};
    j["bos_token_id"] = bosTokenId ? json(*bosTokenId) : json(nullptr);
    j["eos_token_id"] = eosTokenId ? json(*eosTokenId) : json(nullptr);
    j["pad_token_id"] = padTokenId ? json(*padTokenId) : json(nullptr);
    return j;
}

void LlamaConfig::save(const std::filesystem::path& configFile) const {
    util::writeJsonFile(configFile, toJson());
}

int64_t LlamaConfig::parameterCount() const {
    const int64_t attention = hiddenSize * headDim * (2 * numAttentionHeads + 2 * numKeyValueHeads);
    const int64_t mlp = 3 * hiddenSize * intermediateSize;
    const int64_t perLayer = attention + mlp + 2 * hiddenSize;
    const int64_t embeddings = vocabSize * hiddenSize * (tieWordEmbeddings ? 1 : 2);
    return numHiddenLayers * perLayer + embeddings + hiddenSize;
}

}  // namespace ctd::model
