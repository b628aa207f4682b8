// Shared by the GUI tests: a tiny project on disk (a small generated world, a tiny random Llama
// model with a tokenizer trained on that world, training specs) so training runs in seconds.
#pragma once
#include "tiny_world.h"

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
    TinyProject project;
    project.root = root;
    project.worldDir = QDir(root).filePath("world");
    project.modelDir = QDir(root).filePath("model");
    project.databasePath = QDir(root).filePath("project.ctd");

    writeTinyWorld(project.worldDir.toStdString());
    writeTinyModel(project.worldDir.toStdString(), project.modelDir.toStdString());
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
