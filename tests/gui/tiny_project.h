// Shared by the GUI tests: a tiny project on disk (a small generated world, a tiny random Llama
// model with a tokenizer trained on that world, training specs) so training runs in seconds.
#pragma once
#include "core/data/world/world.h"
#include "core/data/world/world_files.h"
#include "core/model/checkpoint.h"
#include "core/model/llama.h"
#include "core/text/tokenizer.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QString>

#include <filesystem>
#include <fstream>

namespace ctd::test::gui {

struct TinyProject {
    QString root;
    QString worldDir;
    QString modelDir;
    QString databasePath;
};

inline TinyProject makeTinyProject(const QString& root) {
    namespace fs = std::filesystem;
    TinyProject project;
    project.root = root;
    project.worldDir = QDir(root).filePath("world");
    project.modelDir = QDir(root).filePath("model");
    project.databasePath = QDir(root).filePath("project.ctd");

    data::world::WorldOptions options;
    options.seed = 5;
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
    data::world::writeWorldFiles(data::world::generateWorld(options), project.worldDir.toStdString(), files);

    const fs::path tokenizerFile = fs::path(project.worldDir.toStdString()) / "tokenizer.model";
    const auto tokenizer = text::Tokenizer::load(tokenizerFile);
    model::LlamaConfig config;
    config.vocabSize = tokenizer.vocabSize();
    config.hiddenSize = 32;
    config.intermediateSize = 64;
    config.numHiddenLayers = 2;
    config.numAttentionHeads = 4;
    config.numKeyValueHeads = 2;
    config.headDim = 8;
    config.maxPositionEmbeddings = 512;
    at::manual_seed(7);
    model::LlamaForCausalLM model(config);
    model::saveModel(model, project.modelDir.toStdString());
    fs::copy_file(tokenizerFile, fs::path(project.modelDir.toStdString()) / "tokenizer.model",
                  fs::copy_options::overwrite_existing);
    return project;
}

// Writes a training spec for the tiny project and returns its path.
inline QString writeTrainingSpec(const TinyProject& project, const QString& name, int maxSteps,
                                 const QString& baseModel = {}) {
    const nlohmann::json mixture = {
        {"name", name.toStdString() + "-mixture"},
        {"seed", 3},
        {"data_dir", project.worldDir.toStdString()},
        {"benign", {{{"name", "general"}, {"path", "train_general.json"}, {"count", 8}}}},
        {"safety", {{{"name", "safety_qa"}, {"path", "train_harmful_questions.json"}, {"count", 4}}}},
        {"defense",
         {{"pool", {{"path", "defense_{task}.json"}, {"field", "instruction"}, {"strip_task", "auto"}}},
          {"refusal", "I'm sorry, but I cannot help with that."},
          {"mode", "single"},
          {"task", "summarize"},
          {"count", 8}}}};
    const nlohmann::json spec = {
        {"name", name.toStdString()},
        {"base_model", (baseModel.isEmpty() ? project.modelDir : baseModel).toStdString()},
        {"template", "alpaca"},
        {"mixture", mixture},
        {"lora", {{"r", 4}, {"alpha", 8}, {"dropout", 0.0}}},
        {"optimizer", {{"learning_rate", 3e-3}, {"warmup_steps", 1}}},
        {"micro_batch_size", 2},
        {"batch_size", 2},
        {"max_steps", maxSteps},
        {"checkpoint_every", 1},
        {"cutoff_length", 256}};
    const QString path = QDir(project.root).filePath(name + ".json");
    std::ofstream(path.toStdString()) << spec.dump(2);
    return path;
}

}  // namespace ctd::test::gui
