// The settings of an evaluation (generation, batching, device), without torch: experiment specs
// parse into them, and the fuzz targets build those parsers alone.
#pragma once
#include "core/model/generation_settings.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace ctd::eval {

struct EvaluationSettings {
    // Greedy by default; Strategy::Beam with numBeams = 4 is the paper's setting.
    model::GenerationSettings generation;
    int64_t batchSize = 16;      // prompts per generate call (beam search multiplies the rows)
    int64_t limitPerGroup = -1;  // at most this many items per (task, harmful) group; < 0: all
    std::string device = "cpu";
    std::string dtype = "float32";
    bool scoreAfterwards = true;  // scoreDefaults() once every item is stored

    // The settings that decide the responses (a later evaluation with the same hash resumes).
    // Batch size, device and the item limit are left out: they change speed or coverage, not
    // what one item's answer is.
    nlohmann::json toJson() const;
    std::string hash(const std::string& suiteHash, const std::string& modelIdentity) const;
};

}  // namespace ctd::eval
