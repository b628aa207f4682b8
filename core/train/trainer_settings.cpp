// Loss type names (see trainer_settings.h): torch-free, so the fuzz build parses specs with them.
#include "core/train/trainer_settings.h"
#include "core/util/error.h"

namespace ctd::train {

LossType parseLossType(const std::string& name) {
    if (name == "token_mean") return LossType::TokenMean;
    if (name == "response_only") return LossType::ResponseOnly;
    if (name == "single_task") return LossType::SingleTask;
    if (name == "mixed_task") return LossType::MixedTask;
    throw ConfigError("unknown loss type '" + name +
                      "' (expected token_mean, response_only, single_task or mixed_task)");
}

std::string lossTypeName(LossType type) {
    switch (type) {
    case LossType::TokenMean: return "token_mean";
    case LossType::ResponseOnly: return "response_only";
    case LossType::SingleTask: return "single_task";
    case LossType::MixedTask: return "mixed_task";
    }
    return "?";
}

bool lossMasksPrompt(LossType type) { return type != LossType::TokenMean; }

}  // namespace ctd::train
