// Filling "{placeholder}" frames of the tiny world's tables, and numbering what they make.
#pragma once
#include "core/util/error.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace ctd::data::world {

using FrameValues = std::vector<std::pair<std::string, std::string>>;

// Replaces every "{key}" of `frame`; a placeholder without a value is a table bug, reported.
inline std::string fillFrame(const std::string& frame, const FrameValues& values) {
    std::string out;
    std::size_t position = 0;
    while (position < frame.size()) {
        const std::size_t open = frame.find('{', position);
        if (open == std::string::npos) {
            out.append(frame, position, std::string::npos);
            break;
        }
        const std::size_t close = frame.find('}', open);
        if (close == std::string::npos) throw ConfigError("tiny world: unclosed placeholder in frame '" + frame + "'");
        out.append(frame, position, open - position);
        const std::string key = frame.substr(open + 1, close - open - 1);
        bool found = false;
        for (const auto& [name, value] : values) {
            if (name == key) {
                out += value;
                found = true;
                break;
            }
        }
        if (!found) throw ConfigError("tiny world: no value for {" + key + "} in frame '" + frame + "'");
        position = close + 1;
    }
    return out;
}

// "train-benign-00012": fixed width, so ids sort in generation order.
inline std::string numberedId(const std::string& prefix, std::size_t index) {
    char digits[24];
    std::snprintf(digits, sizeof digits, "%05zu", index);
    return prefix + "-" + digits;
}

}  // namespace ctd::data::world
