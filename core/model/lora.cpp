// LoRA settings <-> PEFT's adapter_config.json.
#include "core/model/lora.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <algorithm>

namespace ctd::model {

const std::vector<std::string>& LoraSettings::knownTargets() {
    static const std::vector<std::string> targets = {"q_proj", "k_proj", "v_proj", "o_proj",
                                                     "gate_proj", "up_proj", "down_proj"};
    return targets;
}

nlohmann::json LoraSettings::toPeftConfig(const std::string& baseModelPath) const {
    return {{"peft_type", "LORA"},
            {"task_type", "CAUSAL_LM"},
            {"base_model_name_or_path", baseModelPath},
            {"r", rank},
            {"lora_alpha", alpha},
            {"lora_dropout", dropout},
            {"target_modules", targetModules},
            {"bias", "none"},
            {"fan_in_fan_out", false},
            {"inference_mode", true},
            {"init_lora_weights", true},
            {"use_rslora", false},
            {"use_dora", false},
            {"modules_to_save", nullptr},
            {"layers_to_transform", nullptr},
            {"layers_pattern", nullptr},
            {"rank_pattern", nlohmann::json::object()},
            {"alpha_pattern", nlohmann::json::object()},
            {"revision", nullptr}};
}

LoraSettings LoraSettings::fromPeftConfig(const nlohmann::json& j, const std::string& source) {
    auto field = [&](const std::string& name) { return source + ": field '" + name + "'"; };
    if (!j.is_object()) throw FormatError(source + ": expected a JSON object");
    if (util::optionalField<std::string>(j, "peft_type", "LORA", source) != "LORA")
        throw ConfigError(field("peft_type") + " is " + j["peft_type"].dump() + "; only LORA adapters are supported");
    LoraSettings s;
    if (!j.contains("r") || !j["r"].is_number_integer() || j["r"].get<int64_t>() <= 0)
        throw ConfigError(field("r") + " must be a positive integer");
    s.rank = j["r"].get<int64_t>();
    if (j.contains("lora_alpha")) {
        if (!j["lora_alpha"].is_number()) throw ConfigError(field("lora_alpha") + " must be a number");
        s.alpha = j["lora_alpha"].get<double>();
    }
    if (j.contains("lora_dropout") && j["lora_dropout"].is_number()) s.dropout = j["lora_dropout"].get<double>();
    if (!j.contains("target_modules")) throw ConfigError(field("target_modules") + " is missing");
    const auto& targets = j["target_modules"];
    s.targetModules.clear();
    if (targets.is_string()) {
        // PEFT accepts a regex here; only the "all linear" shorthand and plain names are supported.
        if (targets.get<std::string>() == "all-linear") s.targetModules = knownTargets();
        else s.targetModules = {targets.get<std::string>()};
    } else if (targets.is_array()) {
        for (const auto& t : targets) {
            if (!t.is_string()) throw ConfigError(field("target_modules") + " must list strings");
            s.targetModules.push_back(t.get<std::string>());
        }
    } else {
        throw ConfigError(field("target_modules") + " must be a list of module names");
    }
    for (const auto& t : s.targetModules)
        if (std::find(knownTargets().begin(), knownTargets().end(), t) == knownTargets().end())
            throw ConfigError(field("target_modules") + " names '" + t +
                              "'; supported: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj");
    auto refuseTrue = [&](const std::string& name) {
        if (j.contains(name) && j[name].is_boolean() && j[name].get<bool>())
            throw ConfigError(field(name) + " is true; this setting is not supported");
    };
    refuseTrue("use_dora");
    refuseTrue("use_rslora");
    refuseTrue("fan_in_fan_out");
    if (j.contains("bias") && j["bias"].is_string() && j["bias"].get<std::string>() != "none")
        throw ConfigError(field("bias") + " is '" + j["bias"].get<std::string>() + "'; only 'none' is supported");
    for (const char* pattern : {"rank_pattern", "alpha_pattern"})
        if (j.contains(pattern) && j[pattern].is_object() && !j[pattern].empty())
            throw ConfigError(field(pattern) + " is set; per-module ranks are not supported");
    if (j.contains("layers_to_transform") && !j["layers_to_transform"].is_null())
        throw ConfigError(field("layers_to_transform") + " is set; adapters on a subset of layers are not supported");
    if (j.contains("modules_to_save") && !j["modules_to_save"].is_null() && !j["modules_to_save"].empty())
        throw ConfigError(field("modules_to_save") + " is set; fully trained extra modules are not supported");
    return s;
}

}  // namespace ctd::model
