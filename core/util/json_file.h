// Reading and writing JSON files with errors that name the file, line and column.
#pragma once
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

}  // namespace ctd::util
