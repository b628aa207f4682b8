// `ctd mix build|stats`: training mixtures from a spec, stored in the project database (--db).
#include "commands.h"

#include "core/data/mixture.h"
#include "core/data/mixture_statistics.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"
#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <optional>

namespace ctd::cli {
namespace {

void printCounts(const std::string& label, const std::map<std::string, std::int64_t>& counts) {
    std::cout << "  " << std::left << std::setw(11) << label;
    bool first = true;
    for (const auto& [name, count] : counts) {
        std::cout << (first ? "" : ", ") << name << " " << count;
        first = false;
    }
    std::cout << (counts.empty() ? "none\n" : "\n");
}

void printStatisticsRow(const std::string& label, const text::EncodingStatistics& statistics) {
    std::cout << "  " << std::left << std::setw(14) << label << std::right << std::setw(8) << statistics.examples
              << std::setw(8) << statistics.minTokens << std::setw(10) << std::fixed << std::setprecision(1)
              << statistics.meanTokens << std::setw(8) << statistics.maxTokens << std::setw(11) << statistics.truncated
              << std::setw(11) << statistics.responseTruncated << std::setw(12) << statistics.totalTokens << "\n";
}

// A shipped template name ("alpaca", "llama2") or a template file.
text::PromptTemplate loadTemplate(const std::string& nameOrPath) {
    std::error_code error;
    if (std::filesystem::is_regular_file(nameOrPath, error)) return text::PromptTemplate::load(nameOrPath);
    return text::PromptTemplate::builtin(nameOrPath);
}

}  // namespace

void registerMixCommands(CLI::App& app, GlobalOptions& options) {
    auto* mix = app.add_subcommand("mix", "Training mixtures: benign data + safety Q&A + defense examples");
    mix->require_subcommand(1);

    struct BuildSettings {
        std::string spec;
        std::string out;
        std::string dataDir;
        std::optional<std::uint64_t> seed;
        std::string name;
        std::vector<std::string> evaluationFiles;
        bool noStore = false;
    };
    auto build = std::make_shared<BuildSettings>();
    auto* buildCommand = mix->add_subcommand(
        "build", "Build a mixture from a spec (JSON): seeded sampling with exact counts, defense examples, a leak "
                 "check against evaluation files, a provenance hash; stored as a dataset of kind 'mixture'");
    buildCommand->add_option("spec", build->spec, "Mixture spec (JSON); relative paths in it resolve against its "
                                                  "\"data_dir\", itself relative to the spec's folder")
        ->required();
    buildCommand->add_option("--out", build->out, "Also write the mixture as Alpaca JSON (with task, source, source_index)");
    buildCommand->add_option("--data-dir", build->dataDir, "Folder the spec's relative data paths resolve against "
                                                           "(overrides the spec's \"data_dir\")");
    buildCommand->add_option("--seed", build->seed, "Seed (overrides the spec's)");
    buildCommand->add_option("--name", build->name, "Name (overrides the spec's)");
    buildCommand->add_option("--eval", build->evaluationFiles, "Further evaluation files for the leak check");
    buildCommand->add_flag("--no-store", build->noStore, "Do not store the mixture in the database");
    buildCommand->callback([build, &options] {
        data::MixtureSpec spec = data::MixtureSpec::load(build->spec);
        if (!build->dataDir.empty()) spec.dataDir = std::filesystem::absolute(build->dataDir).lexically_normal().string();
        if (build->seed) spec.seed = *build->seed;
        if (!build->name.empty()) spec.name = build->name;
        data::BuildOptions buildOptions;
        for (const auto& file : build->evaluationFiles) buildOptions.evaluationFiles.emplace_back(file);
        buildOptions.progress = [](const data::BuildProgress& progress) {
            if (progress.done == 0) std::cerr << "ctd mix: " << progress.step << "\n";
            return true;
        };
        const data::Mixture mixture = data::buildMixture(spec, buildOptions);

        std::cout << "mixture \"" << spec.name << "\": " << mixture.examples.size() << " examples, seed " << spec.seed
                  << ", sha256 " << mixture.hash << "\n";
        printCounts("by source", mixture.countsBySource);
        printCounts("by task", mixture.countsByTask);
        if (mixture.evaluationFilesChecked.empty())
            std::cout << "  leak check skipped: no evaluation files (give \"evaluation_files\" or --eval)\n";
        else
            std::cout << "  leak check passed against " << mixture.evaluationFilesChecked.size() << " evaluation files\n";
        if (!build->noStore) {
            store::Database database(options.databasePath);
            store::DatasetStore datasets(database);
            const store::InsertResult result = datasets.insert(data::mixtureDataset(mixture));
            if (result.alreadyPresent)
                std::cout << "  already stored as dataset " << result.datasetId << " \"" << datasets.get(result.datasetId).name
                          << "\" (same hash); nothing written to " << options.databasePath << "\n";
            else
                std::cout << "  stored as dataset " << result.datasetId << " in " << options.databasePath << "\n";
        }
        if (!build->out.empty()) {
            util::writeJsonFile(build->out, data::mixtureAlpacaJson(mixture.examples));
            std::cout << "  wrote " << build->out << "\n";
        }
    });

    struct StatsSettings {
        std::int64_t id = 0;
        std::string model;
        std::string templateName;
        std::int64_t cutoff = 1024;
        std::string truncation = "document";
        bool maskPrompt = false;
    };
    auto stats = std::make_shared<StatsSettings>();
    auto* statsCommand = mix->add_subcommand(
        "stats", "Counts per source and task of a stored mixture; with --model, token statistics under a template "
                 "and cutoff (tokens per example, truncated examples)");
    statsCommand->add_option("id", stats->id, "Dataset id of the mixture (see `ctd data list`)")->required();
    statsCommand->add_option("--model", stats->model, "Model folder holding tokenizer.model (or the tokenizer.model file)");
    statsCommand->add_option("--template", stats->templateName,
                             "Prompt template: alpaca, llama2 or a template file (default: the mixture's)");
    statsCommand->add_option("--cutoff", stats->cutoff, "Cutoff length in tokens")->capture_default_str()->check(CLI::PositiveNumber);
    statsCommand->add_option("--truncation", stats->truncation, "document: shorten the document; tail: the authors' cut")
        ->capture_default_str()
        ->check(CLI::IsMember({"document", "tail"}));
    statsCommand->add_flag("--mask-prompt", stats->maskPrompt, "Count only response tokens as trained");
    statsCommand->callback([stats, &options] {
        store::Database database(options.databasePath);
        const data::Mixture mixture = data::mixtureFromDataset(store::DatasetStore(database).load(stats->id));
        std::cout << "mixture " << stats->id << " \"" << mixture.spec.name << "\": " << mixture.examples.size()
                  << " examples, sha256 " << mixture.hash << "\n";
        printCounts("by source", mixture.countsBySource);
        printCounts("by task", mixture.countsByTask);
        if (stats->model.empty()) {
            if (!stats->templateName.empty())
                throw ConfigError("--template needs --model (the tokenizer) for token statistics");
            return;
        }
        const auto tokenizer = text::Tokenizer::load(stats->model);
        const std::string templateName = stats->templateName.empty() ? mixture.spec.templateName : stats->templateName;
        const auto promptTemplate = loadTemplate(templateName);
        text::EncodeOptions encodeOptions;
        encodeOptions.cutoffLength = stats->cutoff;
        encodeOptions.trainOnInputs = !stats->maskPrompt;
        encodeOptions.truncation =
            stats->truncation == "tail" ? text::EncodeOptions::TruncateTail : text::EncodeOptions::TruncateDocument;
        const auto statistics = data::mixtureTokenStatistics(mixture.examples, tokenizer, promptTemplate, encodeOptions);
        std::cout << "tokens (template " << templateName << ", cutoff " << stats->cutoff << ", truncation "
                  << stats->truncation << "):\n"
                  << "  " << std::left << std::setw(14) << "task" << std::right << std::setw(8) << "examples"
                  << std::setw(8) << "min" << std::setw(10) << "mean" << std::setw(8) << "max" << std::setw(11)
                  << "truncated" << std::setw(11) << "resp.cut" << std::setw(12) << "tokens" << "\n";
        for (const auto& [task, taskStatistics] : statistics.byTask) printStatisticsRow(task, taskStatistics);
        printStatisticsRow("all", statistics.overall);
        std::cout << "  trained tokens: " << statistics.overall.trainedTokens << "\n";
    });
}

}  // namespace ctd::cli
