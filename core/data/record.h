// The in-memory model of imported data: one Record per example, one Dataset per imported file.
// Importers produce these; the store persists them; tasks and mixtures consume them.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::data {

struct Record {
    std::string instruction;
    std::string input;
    std::string output;
    std::optional<std::string> task;  // e.g. "summarize" for defense and evaluation examples
    std::optional<bool> harmful;      // known label of the document, when the source says so
    nlohmann::json extra = nlohmann::json::object();  // source fields we do not model
    std::string sourceFile;
    std::int64_t sourceIndex = 0;  // 0-based position of the record in its source file
};

struct Dataset {
    std::string name;
    std::string kind;  // one of datasetKinds()
    std::string sourcePath;
    std::string contentHash;  // SHA-256 hex of the source file bytes
    std::vector<Record> records;
    nlohmann::json metadata = nlohmann::json::object();
};

// Kinds accepted by the store (the datasets.kind CHECK constraint lists the same).
inline const std::vector<std::string>& datasetKinds() {
    static const std::vector<std::string> kinds{"alpaca", "eval", "generations", "csv", "world", "mixture"};
    return kinds;
}

}  // namespace ctd::data
