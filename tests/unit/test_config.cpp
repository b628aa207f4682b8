// LlamaConfig parsing: HF field names, defaults, and clear errors naming the field.
#include <gtest/gtest.h>

#include "core/model/config.h"
#include "core/util/error.h"

using ctd::model::LlamaConfig;
using nlohmann::json;

namespace {

json validConfig() {
    return {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"vocab_size", 32000},
            {"hidden_size", 4096}, {"intermediate_size", 11008}, {"num_hidden_layers", 32},
            {"num_attention_heads", 32}, {"num_key_value_heads", 8}, {"rms_norm_eps", 1e-5},
            {"rope_theta", 10000.0}, {"max_position_embeddings", 4096}, {"bos_token_id", 1},
            {"eos_token_id", 2}, {"pad_token_id", nullptr}, {"tie_word_embeddings", false}};
}

void expectError(const json& config, const std::string& field) {
    try {
        LlamaConfig::fromJson(config, "model/config.json");
        FAIL() << "expected an error naming " << field;
    } catch (const ctd::ConfigError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("model/config.json"), std::string::npos) << message;
        EXPECT_NE(message.find(field), std::string::npos) << message;
    }
}

}  // namespace

TEST(LlamaConfig, ReadsHfFields) {
    const auto c = LlamaConfig::fromJson(validConfig(), "config.json");
    EXPECT_EQ(c.hiddenSize, 4096);
    EXPECT_EQ(c.numKeyValueHeads, 8);
    EXPECT_EQ(c.headDim, 128);
    EXPECT_DOUBLE_EQ(c.rmsNormEps, 1e-5);
    EXPECT_FALSE(c.padTokenId.has_value());
    EXPECT_EQ(c.parameterCount(), LlamaConfig::fromJson(c.toJson(), "round trip").parameterCount());
}

TEST(LlamaConfig, MissingFieldIsNamed) {
    auto config = validConfig();
    config.erase("hidden_size");
    expectError(config, "hidden_size");
}

TEST(LlamaConfig, WrongTypeIsNamed) {
    auto config = validConfig();
    config["num_hidden_layers"] = "32";
    expectError(config, "num_hidden_layers");
}

TEST(LlamaConfig, InconsistentHeadsAreRefused) {
    auto config = validConfig();
    config["num_key_value_heads"] = 5;
    expectError(config, "num_key_value_heads");
    config = validConfig();
    config["num_attention_heads"] = 3;
    expectError(config, "num_attention_heads");
}

// Found by fuzzing: a field of the wrong JSON type escaped as nlohmann's type_error and killed the
// process; each is a ConfigError naming the field.
TEST(LlamaConfig, FieldsOfTheWrongTypeAreConfigErrors) {
    for (const auto& [field, value] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"model_type", nullptr}, {"model_type", false}, {"model_type", 1024}, {"hidden_act", 5},
             {"attention_bias", "yes"}, {"mlp_bias", 1}, {"tie_word_embeddings", "no"},
             {"architectures", {1}}, {"rms_norm_eps", "small"}, {"bos_token_id", "1"}}) {
        auto config = validConfig();
        config[field] = value;
        if (field == "model_type" && value.is_null()) {  // null means absent: the default, llama
            EXPECT_NO_THROW(ctd::model::LlamaConfig::fromJson(config, "config.json"));
            continue;
        }
        SCOPED_TRACE(field + " = " + value.dump());
        expectError(config, field);
    }
}

TEST(LlamaConfig, UnsupportedSettingsAreRefused) {
    auto config = validConfig();
    config["model_type"] = "mistral";
    expectError(config, "model_type");
    config = validConfig();
    config["rope_scaling"] = {{"type", "linear"}, {"factor", 2.0}};
    expectError(config, "rope_scaling");
    config = validConfig();
    config["eos_token_id"] = 40000;
    expectError(config, "eos_token_id");
}

TEST(LlamaConfig, DefaultsKeyValueHeadsToAttentionHeads) {
    auto config = validConfig();
    config.erase("num_key_value_heads");
    EXPECT_EQ(LlamaConfig::fromJson(config, "c").numKeyValueHeads, 32);
}
