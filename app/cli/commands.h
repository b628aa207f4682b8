// Registration of the `ctd` subcommands; one file per command family.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace ctd::cli {

// Options shared by every subcommand.
struct GlobalOptions {
    std::string databasePath = "ctd-project.sqlite";
};

// Each register function adds its subcommands to `app`. A command's callback throws ctd::Error
// (or std::exception) on failure; main prints it as one line and exits non-zero.
void registerModelCommands(CLI::App& app, GlobalOptions& options);
void registerGenerateCommand(CLI::App& app, GlobalOptions& options);
void registerWorldCommands(CLI::App& app, GlobalOptions& options);
void registerDataCommands(CLI::App& app, GlobalOptions& options);
void registerMetricCommands(CLI::App& app, GlobalOptions& options);
void registerEvalCommands(CLI::App& app, GlobalOptions& options);
void registerMixCommands(CLI::App& app, GlobalOptions& options);
void registerTrainCommands(CLI::App& app, GlobalOptions& options);
// Adds `world pretrain`; call after registerWorldCommands.
void registerPretrainCommand(CLI::App& app, GlobalOptions& options);
void registerExperimentCommands(CLI::App& app, GlobalOptions& options);  // experiment, sweep, db

}  // namespace ctd::cli
