// Shared by the fuzz targets: the project's typed errors (core/util/error.h) are the expected
// outcome of bad input; anything else escaping a parser (a std exception, a crash, a sanitizer
// report) reaches libFuzzer and is a finding.
#pragma once
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

namespace ctd::fuzz {

inline std::string bytesOf(const std::uint8_t* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs `parse`; a ctd::Error is the parser refusing the input as it should.
template <typename Parse>
int expectTypedErrors(Parse&& parse) {
    try {
        parse();
    } catch (const ctd::Error&) {
    }
    return 0;
}

// The JSON a spec file holds, parsed as readJsonFile does (FormatError on a syntax error).
inline nlohmann::json jsonOf(const std::uint8_t* data, std::size_t size, const std::string& source) {
    return util::parseJson(bytesOf(data, size), source);
}

}  // namespace ctd::fuzz
