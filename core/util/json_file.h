// Reading and writing JSON files with errors that name the file, line and column.
#pragma once
#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace ctd::util {

// Reads a whole file as bytes; IoError names the file when it cannot be read.
std::string readFileBytes(const std::filesystem::path& path);
// Parses JSON; FormatError names `source`, the line and column of a syntax error.
nlohmann::json parseJson(const std::string& text, const std::string& source);
nlohmann::json readJsonFile(const std::filesystem::path& path);
// Writes through a temporary file renamed into place (never half a file).
void writeJsonFile(const std::filesystem::path& path, const nlohmann::json& json, int indent = 2);
void writeFileAtomically(const std::filesystem::path& path, const std::string& bytes);

// A field of a file we read back (a checkpoint's state, a provenance record, a stored manifest) that
// may be absent or null (then `fallback`); a value of another type is a FormatError naming `where`
// and the field (or `Failure`, e.g. ConfigError for a spec), never a json type_error escaping the reader.
template <typename T, typename Failure = FormatError>
T optionalField(const nlohmann::json& j, const std::string& name, T fallback, const std::string& where) {
    if (!j.is_object() || !j.contains(name) || j[name].is_null()) return fallback;
    try {
        return j[name].get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Failure(where + ": field '" + name + "' has the wrong type (" + j[name].dump() + ")");
    }
}

}  // namespace ctd::util
