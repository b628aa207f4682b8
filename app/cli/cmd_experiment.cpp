// Experiments from the command line: `ctd experiment run|validate|status|report SPEC`,
// `ctd sweep export --slurm OUTDIR SPEC` and `ctd db merge OUT IN...`.
#include "commands.h"
#include "progress_line.h"

#include "core/experiment/merge.h"
#include "core/experiment/plan.h"
#include "core/experiment/queue.h"
#include "core/experiment/runner.h"
#include "core/experiment/slurm.h"
#include "core/experiment/summary.h"
#include "core/store/database.h"
#include "core/util/error.h"

#include <atomic>
#include <csignal>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>

namespace ctd::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_stop{false};
extern "C" void onStopSignal(int) { g_stop = true; }

// Default output folder: <database folder>/<experiment name>.
fs::path outputFolder(const std::string& given, const GlobalOptions& options, const experiment::ExperimentSpec& spec) {
    if (!given.empty()) return given;
    return fs::absolute(options.databasePath).parent_path() / spec.name;
}

std::string progressText(const experiment::ExperimentProgress& p) {
    std::string text = "[cells " + std::to_string(p.cellsDone) + "/" + std::to_string(p.cellsTotal) + "]";
    if (p.cellPosition >= 0) {
        text += " " + p.cellLabel + ": " + p.stage;
        if (p.stageTotal > 0) text += " " + std::to_string(p.stageDone) + "/" + std::to_string(p.stageTotal);
    }
    text += "  elapsed " + formatDuration(p.elapsedSeconds) + "  ETA " +
            (p.etaSeconds < 0 ? std::string("?") : formatDuration(p.etaSeconds));
    return text;
}

void printSummary(store::Database& database, const experiment::ExperimentSpec& spec,
                  const std::vector<std::string>& suites, const fs::path& outDir, const std::string& scorer) {
    for (const auto& suite : suites) {
        const auto summary = experiment::summarizeExperiment(database, spec.name, suite, scorer);
        std::cout << experiment::formatExperimentTables(summary) << "\n";
        const fs::path folder = suites.size() == 1 ? outDir / "summary" : outDir / "summary" / suite;
        experiment::writeExperimentSummary(summary, folder);
        std::cout << "summary files (tables.txt, runs.csv, matrix.csv, summary.json) in " << folder.string() << "\n";
    }
}

std::vector<std::string> suiteNamesOf(store::Database& database, const experiment::ExperimentPlan& plan) {
    std::vector<std::string> names;
    for (const auto& suite : plan.suites) names.push_back(experiment::storedSuiteName(database, suite));
    return names;
}

void registerExperimentFamily(CLI::App& app, GlobalOptions& options) {
    auto* family = app.add_subcommand("experiment", "Run, validate and follow experiment grids (models x defended task "
                                                    "x N x loss x seed)");
    family->require_subcommand(1);

    struct RunSettings {
        std::string spec, out, cell, scorer;
        int threads = 0;
        bool noSummary = false;
    };
    auto run = std::make_shared<RunSettings>();
    auto* runCommand = family->add_subcommand(
        "run", "Run every cell not yet done (mixture -> training -> evaluation -> scoring); resumes an interrupted "
               "cell, skips finished ones; Ctrl-C stops after the current step (resumable)");
    runCommand->add_option("SPEC", run->spec, "Experiment spec JSON")->required();
    runCommand->add_option("--out", run->out, "Output folder (world, runs, summary); default <db folder>/<name>");
    runCommand->add_option("--cell", run->cell, "Run only this cell: 0-based index or hash prefix");
    runCommand->add_option("--threads", run->threads, "CPU threads for libtorch (default: libtorch's choice)");
    runCommand->add_option("--scorer", run->scorer, "Refusal scorer of the summary (default: the spec's report_scorer)");
    runCommand->add_flag("--no-summary", run->noSummary, "Do not print or write the summary tables");
    runCommand->callback([&options, run] {
        std::signal(SIGINT, onStopSignal);
        std::signal(SIGTERM, onStopSignal);  // Slurm's warning before the time limit
        const auto spec = experiment::ExperimentSpec::load(run->spec);
        const fs::path outDir = outputFolder(run->out, options, spec);
        store::Database database(options.databasePath);
        ProgressLine line;
        experiment::ExperimentHooks hooks;
        hooks.stopFlag = &g_stop;
        hooks.onMessage = [&line](const std::string& message) {
            line.finish();
            std::cerr << "ctd: " << message << "\n";
        };
        hooks.onProgress = [&line](const experiment::ExperimentProgress& p) { line.update(progressText(p)); };
        experiment::RunOptions runOptions;
        runOptions.outDir = outDir;
        runOptions.threads = run->threads;
        if (!run->cell.empty()) runOptions.onlyCell = run->cell;
        experiment::PlanOptions planOptions;
        planOptions.outDir = outDir;
        planOptions.onMessage = hooks.onMessage;
        const auto plan = experiment::planExperiment(spec, planOptions);
        const auto result = experiment::runExperiment(database, plan, runOptions, hooks);
        line.finish();
        std::cerr << "ctd: experiment " << spec.name << ": " << result.state << "; " << result.cellsDone << " of "
                  << (runOptions.onlyCell ? 1 : result.cellsTotal) << " cells done (" << result.cellsCached
                  << " cached, " << result.cells.size() << " worked on this time), " << result.cellsFailed
                  << " failed, " << formatDuration(result.seconds) << "\n";
        for (const auto& cell : result.cells)
            if (cell.state == "failed") std::cerr << "ctd: failed: " << cell.label << ": " << cell.message << "\n";
        if (!run->noSummary && result.state != "cancelled")
            printSummary(database, spec, result.suiteNames, outDir, run->scorer.empty() ? spec.reportScorer : run->scorer);
        if (result.state == "cancelled") {
            std::cerr << "ctd: stopped; run the same command again to continue\n";
            throw CLI::RuntimeError(3);
        }
        if (result.state == "failed")
            throw Error(std::to_string(result.cellsFailed) + " cell(s) failed; see the messages above (re-running "
                                                             "retries them)");
    });

    struct ValidateSettings {
        std::string spec, out;
        bool noDevice = false;
        bool cells = false;
    };
    auto validate = std::make_shared<ValidateSettings>();
    auto* validateCommand = family->add_subcommand(
        "validate", "Check that everything the spec needs is there (models, data, suites, GPU) and list its cells");
    validateCommand->add_option("SPEC", validate->spec, "Experiment spec JSON")->required();
    validateCommand->add_option("--out", validate->out, "Output folder (as for run)");
    validateCommand->add_flag("--no-device-check", validate->noDevice, "Do not probe for a GPU (e.g. on a login node)");
    validateCommand->add_flag("--cells", validate->cells, "Also plan the cells (builds every mixture; may take a while)");
    validateCommand->callback([&options, validate] {
        const auto spec = experiment::ExperimentSpec::load(validate->spec);
        experiment::PlanOptions planOptions;
        planOptions.outDir = outputFolder(validate->out, options, spec);
        planOptions.checkDevice = !validate->noDevice;
        const auto report = experiment::validateExperiment(spec, planOptions);
        std::cout << report.text();
        if (!report.ok())
            throw ConfigError("experiment " + spec.name + ": " + std::to_string(report.problems.size()) +
                              " problem(s); fix them before running");
        if (validate->cells) {
            const auto plan = experiment::planExperiment(spec, planOptions);
            for (const auto& cell : plan.cells)
                std::cout << std::setw(4) << cell.index << "  " << cell.hash.substr(0, 12) << "  " << std::setw(6)
                          << cell.estimatedSteps << " steps  " << std::setw(5) << cell.estimatedItems << " items  "
                          << cell.label << "\n";
        }
        std::cout << "experiment " << spec.name << ": ready to run\n";
    });

    auto statusSpec = std::make_shared<std::string>();
    auto* statusCommand = family->add_subcommand("status", "Show the queue of an experiment: each cell's state and run");
    statusCommand->add_option("SPEC", *statusSpec, "Experiment spec JSON or experiment name")->required();
    statusCommand->callback([&options, statusSpec] {
        const std::string name =
            fs::exists(*statusSpec) ? experiment::ExperimentSpec::load(*statusSpec).name : *statusSpec;
        store::Database database(options.databasePath);
        experiment::ExperimentQueue queue(database);
        const auto record = queue.findExperiment(name);
        if (!record) throw ConfigError(options.databasePath + ": experiment \"" + name + "\" has not run here yet");
        int64_t done = 0, running = 0, failed = 0, pending = 0;
        std::cout << std::left << std::setw(5) << "pos" << std::setw(9) << "state" << std::setw(12) << "stage"
                  << std::setw(6) << "run" << std::setw(9) << "time" << std::setw(14) << "hash" << "cell\n";
        for (const auto& cell : queue.cells(record->id)) {
            std::string state = cell.state;
            if (state == "running" && !experiment::ExperimentQueue::workerAlive(cell.worker, cell.heartbeat))
                state = "stalled";
            done += cell.state == "done";
            failed += cell.state == "failed";
            running += state == "running";
            pending += cell.state == "pending" || state == "stalled";
            std::cout << std::setw(5) << cell.position << std::setw(9) << state << std::setw(12)
                      << (cell.stage.empty() ? "-" : cell.stage) << std::setw(6)
                      << (cell.runId ? std::to_string(*cell.runId) : "-") << std::setw(9) << formatDuration(cell.seconds)
                      << std::setw(14) << cell.hash.substr(0, 12) << cell.label
                      << (cell.message.empty() ? "" : "  (" + cell.message + ")") << "\n";
        }
        std::cout << "experiment " << name << ": " << done << " done, " << running << " running, " << pending
                  << " pending, " << failed << " failed\n";
    });

    struct ReportSettings {
        std::string spec, out, scorer;
    };
    auto report = std::make_shared<ReportSettings>();
    auto* reportCommand = family->add_subcommand("report", "Print (and write) the summary tables of an experiment");
    reportCommand->add_option("SPEC", report->spec, "Experiment spec JSON")->required();
    reportCommand->add_option("--out", report->out, "Output folder (as for run)");
    reportCommand->add_option("--scorer", report->scorer, "Refusal scorer (default: the spec's report_scorer)");
    reportCommand->callback([&options, report] {
        const auto spec = experiment::ExperimentSpec::load(report->spec);
        const fs::path outDir = outputFolder(report->out, options, spec);
        store::Database database(options.databasePath);
        experiment::PlanOptions planOptions;
        planOptions.outDir = outDir;
        planOptions.checkDevice = false;
        const auto plan = experiment::planExperiment(spec, planOptions);
        printSummary(database, spec, suiteNamesOf(database, plan), outDir,
                     report->scorer.empty() ? spec.reportScorer : report->scorer);
    });
}

void registerSweepFamily(CLI::App& app) {
    auto* sweep = app.add_subcommand("sweep", "Run experiments beyond one machine");
    sweep->require_subcommand(1);
    struct ExportSettings {
        std::string spec, slurm;
        experiment::SlurmOptions options;
    };
    auto settings = std::make_shared<ExportSettings>();
    auto* exportCommand = sweep->add_subcommand(
        "export", "Write a Slurm job array (one cell per element, each with its own database) and a merge job");
    exportCommand->add_option("--slurm", settings->slurm, "Output folder for the job files")->required();
    exportCommand->add_option("SPEC", settings->spec, "Experiment spec JSON")->required();
    exportCommand->add_option("--partition", settings->options.partition, "Slurm partition");
    exportCommand->add_option("--account", settings->options.account, "Slurm account");
    exportCommand->add_option("--time", settings->options.time, "Time limit per cell")->capture_default_str();
    exportCommand->add_option("--mem", settings->options.memory, "Memory per cell")->capture_default_str();
    exportCommand->add_option("--cpus", settings->options.cpusPerTask, "CPUs per cell")->capture_default_str();
    exportCommand->add_option("--gpus", settings->options.gpus, "GPUs per cell (default: 1 when the spec needs one)");
    exportCommand->add_option("--threads", settings->options.threads, "CPU threads for libtorch in each cell");
    exportCommand->add_option("--ctd", settings->options.ctdPath, "The ctd binary on the cluster (default: this one)");
    exportCommand->add_option("--directive", settings->options.extraDirectives,
                              "Further #SBATCH lines, e.g. --directive '--qos=long'");
    exportCommand->callback([settings] {
        const auto spec = experiment::ExperimentSpec::load(settings->spec);
        settings->options.outDir = settings->slurm;
        settings->options.onMessage = [](const std::string& message) { std::cerr << "ctd: " << message << "\n"; };
        const auto result = experiment::exportSlurm(spec, settings->options);
        for (const auto& file : result.files) std::cout << file.string() << "\n";
        std::cout << result.cells << " cells; submit with " << (fs::path(settings->slurm) / "submit.sh").string()
                  << " (array + merge into merged.sqlite)\n";
    });
}

void registerDatabaseFamily(CLI::App& app) {
    auto* db = app.add_subcommand("db", "Project database maintenance");
    db->require_subcommand(1);
    auto output = std::make_shared<std::string>();
    auto inputs = std::make_shared<std::vector<std::string>>();
    auto* merge = db->add_subcommand(
        "merge", "Merge databases into OUT (runs, metrics, evaluations, responses, scores, datasets, suites, "
                 "experiment queues), remapping ids and skipping what OUT already holds");
    merge->add_option("OUT", *output, "Output database (created when missing)")->required();
    merge->add_option("IN", *inputs, "Input databases (opened read-only)")->required();
    merge->callback([output, inputs] {
        std::vector<fs::path> paths(inputs->begin(), inputs->end());
        const auto report = experiment::mergeDatabases(
            *output, paths, [](const std::string& message) { std::cerr << "ctd: " << message << "\n"; });
        std::cout << report.text();
    });
}

}  // namespace

void registerExperimentCommands(CLI::App& app, GlobalOptions& options) {
    registerExperimentFamily(app, options);
    registerSweepFamily(app);
    registerDatabaseFamily(app);
}

}  // namespace ctd::cli
