// Shared by the unit and GUI tests (no Qt, no gtest): a small generated world and a tiny random
// Llama model with the tokenizer trained on that world, so that training and evaluation take
// well under a second.
#pragma once
#include "core/data/world/world.h"
#include "core/data/world/world_files.h"
#include "core/model/checkpoint.h"
#include "core/model/llama.h"
#include "core/text/tokenizer.h"
#include "tiny_llama.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>

namespace ctd::test {

inline constexpr std::uint64_t kTinyWorldSeed = 5;

// Writes the tiny world's files (documents, questions, tokenizer.model) into `dir`.
inline void writeTinyWorld(const std::filesystem::path& dir) {
    data::world::WorldOptions options;
    options.seed = kTinyWorldSeed;
    options.benignTrainDocuments = 30;
    options.hazardTrainDocuments = 30;
    options.defenseDocuments = 20;
    options.benignEvalDocuments = 6;
    options.hazardEvalDocuments = 6;
    options.harmfulQuestionsTrain = options.benignQuestionsTrain = 12;
    options.harmfulQuestionsEval = options.benignQuestionsEval = 4;
    options.generalTrain = 20;
    options.generalEval = 4;
    data::world::WorldFileOptions files;
    files.templateLines = {"Below is an instruction that describes a task.", "### Instruction:", "### Response:"};
    files.tokenizer.vocabSize = 600;
    data::world::writeWorldFiles(data::world::generateWorld(options), dir, files);
}

// Writes a seeded random 2-layer Llama (HF layout) with the world's tokenizer into `modelDir`.
inline void writeTinyModel(const std::filesystem::path& worldDir, const std::filesystem::path& modelDir) {
    namespace fs = std::filesystem;
    const auto tokenizer = text::Tokenizer::load(worldDir / "tokenizer.model");
    TinyLlamaShape shape;
    shape.vocab = tokenizer.vocabSize();
    shape.maxPositions = 512;
    model::LlamaConfig config = tinyLlamaConfig(shape);
    config.bosTokenId = tokenizer.bosId();
    config.eosTokenId = tokenizer.eosId();
    at::manual_seed(7);
    model::LlamaForCausalLM llama(config);
    model::saveModel(llama, modelDir);
    fs::copy_file(worldDir / "tokenizer.model", modelDir / "tokenizer.model", fs::copy_options::overwrite_existing);
}

}  // namespace ctd::test
