// `ctd world pretrain`: builds tiny-llama1 and tiny-llama2 from the tiny world.
#include "commands.h"
#include "progress_line.h"

#include "core/store/database.h"
#include "core/eval/world_check.h"
#include "core/train/pretrain.h"

#include <iostream>

namespace ctd::cli {

void registerPretrainCommand(CLI::App& app, GlobalOptions& options) {
    CLI::App* world = app.get_subcommand("world");
    auto o = std::make_shared<train::PretrainOptions>();
    o->worldDir = "out/tiny-world";
    o->outputDir = "resources/models";
    auto* pretrain = world->add_subcommand("pretrain", "Train the tiny base models (tiny-llama1, tiny-llama2)");
    auto worldDir = std::make_shared<std::string>("out/tiny-world");
    auto outputDir = std::make_shared<std::string>("resources/models");
    pretrain->add_option("--world", *worldDir, "World folder (generated with --seed when empty)")->capture_default_str();
    pretrain->add_option("--out", *outputDir, "Where the models go")->capture_default_str();
    pretrain->add_option("--seed", o->seed, "Seed of the world and the models")->capture_default_str();
    pretrain->add_option("--epochs", o->epochs, "Epochs over the pretraining mixture")->capture_default_str();
    pretrain->add_option("--threads", o->threads, "CPU threads (results are bit-exact per thread count)")
        ->capture_default_str();
    pretrain->add_option("--model", o->models, "Only these models");
    pretrain->add_option("--hidden", o->hidden)->capture_default_str();
    pretrain->add_option("--layers", o->layers)->capture_default_str();
    pretrain->callback([&options, o, worldDir, outputDir] {
        o->worldDir = *worldDir;
        o->outputDir = *outputDir;
        store::Database database(options.databasePath);
        ProgressLine line;
        train::TrainingJobHooks hooks;
        hooks.onMessage = [&line](const std::string& message) {
            line.finish();
            std::cerr << "ctd: " << message << "\n";
        };
        hooks.onProgress = [&line](const train::TrainingProgress& p) {
            char text[200];
            std::snprintf(text, sizeof text, "[step %lld/%lld] loss %.4f  lr %.2e  %.0f tok/s  ETA %s",
                          static_cast<long long>(p.step), static_cast<long long>(p.totalSteps), p.loss,
                          p.learningRate, p.tokensPerSecond, formatDuration(p.etaSeconds).c_str());
            line.update(text, p.step == p.totalSteps);
            return true;
        };
        train::pretrainTinyModels(database, *o, hooks);
        line.finish();
        std::cout << "tiny models written to " << *outputDir << "\n";
    });

    // `ctd world check MODEL --world DIR`: the base-model quality numbers.
    auto check = std::make_shared<eval::WorldCheckOptions>();
    auto checkModel = std::make_shared<std::string>();
    auto checkWorld = std::make_shared<std::string>("out/tiny-world");
    auto* checkCommand = world->add_subcommand("check", "Measure a tiny base model on the held-out tiny world");
    checkCommand->add_option("MODEL", *checkModel, "Model folder")->required();
    checkCommand->add_option("--world", *checkWorld, "World folder")->capture_default_str();
    checkCommand->add_option("--template", check->templateName, "Template (default: the model's provenance)");
    checkCommand->add_option("--limit", check->limit, "Items per evaluation file")->capture_default_str();
    checkCommand->add_option("--max-new-tokens", check->maxNewTokens)->capture_default_str();
    checkCommand->callback([check, checkModel, checkWorld] {
        check->modelDir = *checkModel;
        check->worldDir = *checkWorld;
        check->progress = [](const std::string& message) { std::cerr << "ctd: " << message << "\n"; };
        const auto report = eval::checkWorldModel(*check);
        std::cout << report.dump(2) << "\n";
    });
}

}  // namespace ctd::cli
