// Writing a generated tiny world to a folder: Alpaca training files per purpose, evaluation files
// in the authors' format with their reference answers, the corpus, the tokenizer and a manifest.
#pragma once
#include "core/data/world/world.h"
#include "core/data/world/world_tokenizer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ctd::data::world {

struct WorldFileOptions {
    bool writeTokenizer = true;
    TokenizerTrainingOptions tokenizer;
    // Prompt-template text (Alpaca, Llama-2-chat) the models will see around every example; the
    // tokenizer learns it once per training example so it encodes compactly.
    std::vector<std::string> templateLines;
    // Called with a short note before each slow step; may be empty.
    std::function<void(const std::string&)> progress;
};

// Training files (Alpaca JSON lists):
//   train_benign_tasks.json, train_hazard_tasks.json  every training document with every task,
//                                                      answered (how the base models learn tasks)
//   train_general.json                                general benign instructions
//   train_benign_questions.json                       benign short questions with answers
//   train_harmful_questions.json                      harmful short questions with the refusal
//   defense_{task}.json                               defense documents with the refusal
// Evaluation files ({"instructions": [...], "inputs": []}):
//   test_{task}.json (hazard), test_{task}_useful.json (benign), test_harmful_questions.json,
//   test_benign_questions.json, test_general.json (its "inputs" aligned with "instructions")
// references.json (file name -> reference answers, aligned), corpus.tsv (the tokenizer's input:
// each distinct line with its count, `spm_train --input_format=tsv` reads it), tokenizer.model,
// and world.json (seed, counts, files with SHA-256 and record counts).
// Returns the manifest written to world.json. IoError naming the path when writing fails.
nlohmann::json writeWorldFiles(const World& world, const std::filesystem::path& directory,
                               const WorldFileOptions& options = {});

// The tokenizer's corpus: each distinct line of every file above (texts split at newlines) with
// how often it occurs, in order of first occurrence; template lines count once per training record.
std::vector<std::pair<std::string, std::int64_t>> corpusLines(const World& world,
                                                              const std::vector<std::string>& templateLines);

// The text lines of every prompt template (*.json with prompt_input / prompt_no_input) in
// `folder`, files in name order, placeholders and control tokens removed. IoError / FormatError
// naming the file.
std::vector<std::string> templateLinesFromFolder(const std::filesystem::path& folder);

}  // namespace ctd::data::world
