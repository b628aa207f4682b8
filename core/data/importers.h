// Importers for the formats researchers bring (DESIGN.md section 5): Alpaca JSON/JSONL, the
// authors' evaluation files, the authors' generation outputs, and CSV with a header row.
// Every error is a ctd::FormatError naming the file, the record index (0-based) and the field.
#pragma once
#include "core/data/record.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace ctd::data {

struct ImportOptions {
    std::string kind;  // "alpaca", "eval", "generations" or "csv"; empty = detect from content
    std::string name;  // empty = the file name without extension
};

// Reads, validates and parses a file into a Dataset (content hash included). Stores nothing.
Dataset importFile(const std::filesystem::path& path, const ImportOptions& options = {});
// The same on bytes already in memory; `source` names them in errors and in Dataset::sourcePath.
Dataset importBytes(const std::string& bytes, const std::string& source, const ImportOptions& options = {});

// Guesses the kind from content: a JSON object with "outputs" -> generations, with
// "instructions" -> eval; a JSON list or JSON lines of objects -> alpaca; otherwise a header row
// with an "instruction" column -> csv. FormatError naming the file when nothing fits.
std::string detectKind(const std::string& bytes, const std::string& source);

// Parsers per format; `source` names the file in errors and in each Record::sourceFile.
Dataset parseAlpaca(const std::string& bytes, const std::string& source);  // JSON list or JSONL
Dataset parseEvaluation(const std::string& bytes, const std::string& source);
Dataset parseGenerations(const std::string& bytes, const std::string& source);
Dataset parseCsv(const std::string& bytes, const std::string& source);

// Byte offset of the first invalid UTF-8 sequence (overlongs, surrogates and values past
// U+10FFFF count as invalid), or nothing when all of `bytes` is valid.
std::optional<std::size_t> findInvalidUtf8(std::string_view bytes);

}  // namespace ctd::data
