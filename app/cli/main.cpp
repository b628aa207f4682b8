// `ctd`: the headless command line over ctd_core. Everything the GUI runs, this runs too.
#include "commands.h"

#include "core/util/error.h"
#include "core/util/version.h"

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"ctd: Cross-Task Defense workbench (command line)"};
    app.require_subcommand(0, 1);
    ctd::cli::GlobalOptions options;
    bool showVersion = false;
    app.add_flag("--version", showVersion, "Print versions of ctd and libtorch, and CUDA availability");
    app.add_option("--db", options.databasePath, "Project database (SQLite)")->capture_default_str();
    app.fallthrough();  // global options may also follow the subcommand
    ctd::cli::registerModelCommands(app, options);
    ctd::cli::registerGenerateCommand(app, options);
    ctd::cli::registerWorldCommands(app, options);
    ctd::cli::registerDataCommands(app, options);
    ctd::cli::registerMetricCommands(app, options);
    ctd::cli::registerEvalCommands(app, options);
    ctd::cli::registerMixCommands(app, options);
    ctd::cli::registerTrainCommands(app, options);
    ctd::cli::registerPretrainCommand(app, options);
    ctd::cli::registerExperimentCommands(app, options);

    try {
        app.parse(argc, argv);
        if (showVersion) {
            std::cout << ctd::versionReport() << "\n";
            return 0;
        }
        if (app.get_subcommands().empty()) {
            std::cout << app.help();
            return 0;
        }
    } catch (const CLI::ParseError& error) {
        // Includes CLI::RuntimeError, thrown by commands that already reported (a cancelled run: 3).
        return app.exit(error);
    } catch (const std::exception& error) {
        std::cerr << "ctd: error: " << error.what() << "\n";
        return 1;
    }
    return 0;
}
