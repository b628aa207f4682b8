// `ctd world generate`: writes the tiny world (data files, tokenizer, manifest) for a seed.
#include "commands.h"

#include "core/data/world/world.h"
#include "core/data/world/world_files.h"
#include "core/util/resources.h"

#include <iostream>
#include <memory>

namespace ctd::cli {

void registerWorldCommands(CLI::App& app, GlobalOptions& /*options*/) {
    auto* world = app.add_subcommand("world", "The tiny world: the synthetic corpus of the embedded default experiment");
    world->require_subcommand(1);
    auto* generate = world->add_subcommand(
        "generate", "Generate the tiny world for a seed: Alpaca training files, evaluation files, "
                    "reference answers, corpus, tokenizer.model and the world.json manifest");

    struct Settings {
        data::world::WorldOptions world;
        data::world::TokenizerTrainingOptions tokenizer;
        std::string out = "tiny-world";
        bool noTokenizer = false;
    };
    auto settings = std::make_shared<Settings>();
    auto& counts = settings->world;
    generate->add_option("--seed", counts.seed, "Seed; the same seed writes the same bytes")->capture_default_str();
    generate->add_option("--out", settings->out, "Output folder (created when missing)")->capture_default_str();
    generate->add_option("--benign-train", counts.benignTrainDocuments, "Benign training documents")->capture_default_str();
    generate->add_option("--hazard-train", counts.hazardTrainDocuments, "Hazard training documents")->capture_default_str();
    generate->add_option("--defense", counts.defenseDocuments, "Hazard documents for defense examples")->capture_default_str();
    generate->add_option("--benign-eval", counts.benignEvalDocuments, "Benign evaluation documents")->capture_default_str();
    generate->add_option("--hazard-eval", counts.hazardEvalDocuments, "Hazard evaluation documents")->capture_default_str();
    generate->add_option("--harmful-questions-train", counts.harmfulQuestionsTrain)->capture_default_str();
    generate->add_option("--harmful-questions-eval", counts.harmfulQuestionsEval)->capture_default_str();
    generate->add_option("--benign-questions-train", counts.benignQuestionsTrain)->capture_default_str();
    generate->add_option("--benign-questions-eval", counts.benignQuestionsEval)->capture_default_str();
    generate->add_option("--general-train", counts.generalTrain, "General benign instructions for training")
        ->capture_default_str();
    generate->add_option("--general-eval", counts.generalEval)->capture_default_str();
    generate->add_option("--vocab-size", settings->tokenizer.vocabSize,
                         "Tokenizer vocabulary, 256 byte pieces included")->capture_default_str();
    generate->add_option("--model-type", settings->tokenizer.modelType, "Tokenizer model: bpe or unigram")
        ->capture_default_str();
    generate->add_flag("--no-tokenizer", settings->noTokenizer, "Write the data files only");

    generate->callback([settings] {
        const auto world = data::world::generateWorld(settings->world);
        data::world::WorldFileOptions fileOptions;
        fileOptions.writeTokenizer = !settings->noTokenizer;
        fileOptions.tokenizer = settings->tokenizer;
        fileOptions.templateLines = data::world::templateLinesFromFolder(resourcePath("templates"));
        fileOptions.progress = [](const std::string& note) { std::cerr << "ctd world: " << note << "\n"; };
        const auto manifest = data::world::writeWorldFiles(world, settings->out, fileOptions);
        std::cout << "tiny world (seed " << settings->world.seed << ") written to " << settings->out << ": "
                  << world.trainDocuments.size() << " training, " << world.defenseDocuments.size() << " defense and "
                  << world.evalDocuments.size() << " evaluation documents, " << manifest["files"].size()
                  << " files plus world.json\n";
    });
}

}  // namespace ctd::cli
