// `ctd train SPEC.json [--resume RUN]` and `ctd runs list|show|cancel`.
#include "commands.h"
#include "progress_line.h"

#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/train/training_job.h"
#include "core/util/error.h"

#include <atomic>
#include <csignal>
#include <iomanip>
#include <iostream>

namespace ctd::cli {

namespace {

std::atomic<bool> g_stopRequested{false};

void onInterrupt(int) { g_stopRequested = true; }

train::TrainingJobHooks progressHooks(ProgressLine& line) {
    train::TrainingJobHooks hooks;
    hooks.stopFlag = &g_stopRequested;
    hooks.onMessage = [&line](const std::string& message) {
        line.finish();
        std::cerr << "ctd: " << message << "\n";
    };
    hooks.onProgress = [&line](const train::TrainingProgress& p) {
        char text[256];
        std::snprintf(text, sizeof text, "[step %lld/%lld] loss %.4f  lr %.2e  %.0f tok/s  ETA %s",
                      static_cast<long long>(p.step), static_cast<long long>(p.totalSteps), p.loss, p.learningRate,
                      p.tokensPerSecond, formatDuration(p.etaSeconds).c_str());
        line.update(text, p.step == p.totalSteps);
        return true;
    };
    return hooks;
}

int finish(const train::TrainingJobResult& result) {
    std::cout << "run " << result.runId << ": " << result.state;
    if (!result.message.empty()) std::cout << " (" << result.message << ")";
    if (!result.losses.empty()) std::cout << ", final loss " << result.losses.back();
    std::cout << "\n";
    if (result.state == "failed") throw Error(result.message);
    return result.state == "completed" ? 0 : 3;
}

void printRun(const store::RunRecord& r, store::RunStore& runs) {
    std::cout << "run " << r.id << "  " << r.name << "\n"
              << "  state      " << r.state << (r.message.empty() ? "" : " (" + r.message + ")") << "\n"
              << "  kind       " << r.kind << ", family " << r.modelFamily << ", template " << r.templateName << "\n"
              << "  base model " << r.baseModel << "\n"
              << "  defense    " << (r.defendedTask.empty() ? "none" : r.defendedTask) << " x " << r.defenseCount
              << ", loss " << r.lossType << ", seed " << r.seed << "\n"
              << "  progress   " << r.stepsDone << "/" << r.totalSteps << " steps"
              << (r.lastCheckpoint.empty() ? "" : ", checkpoint " + r.lastCheckpoint) << "\n"
              << "  output     " << r.outputDir << "\n";
    if (!r.adapterDir.empty()) std::cout << "  weights    " << r.adapterDir << "\n";
    if (!r.mixtureHash.empty()) std::cout << "  mixture    " << r.mixtureHash.substr(0, 16) << "\n";
    const auto metrics = runs.metrics(r.id);
    if (!metrics.empty())
        std::cout << "  loss       " << metrics.front().loss << " (step " << metrics.front().step << ") -> "
                  << metrics.back().loss << " (step " << metrics.back().step << ")\n";
}

}  // namespace

void registerTrainCommands(CLI::App& app, GlobalOptions& options) {
    auto* trainCommand = app.add_subcommand("train", "Fine-tune (LoRA) or train a model from a training spec");
    auto specPath = std::make_shared<std::string>();
    auto resumeRun = std::make_shared<int64_t>(0);
    trainCommand->add_option("SPEC", *specPath, "Training spec JSON");
    trainCommand->add_option("--resume", *resumeRun, "Resume run RUN from its last checkpoint");
    trainCommand->callback([&options, specPath, resumeRun] {
        std::signal(SIGINT, onInterrupt);
        store::Database database(options.databasePath);
        ProgressLine line;
        const auto hooks = progressHooks(line);
        train::TrainingJobResult result;
        if (*resumeRun > 0) {
            result = train::resumeTraining(database, *resumeRun, hooks, /*swallowErrors=*/true);
        } else {
            if (specPath->empty()) throw ConfigError("train: give a SPEC.json or --resume RUN");
            result = train::runTraining(database, train::TrainingSpec::load(*specPath), hooks, true);
        }
        line.finish();
        const int code = finish(result);
        if (code != 0) throw CLI::RuntimeError(code);
    });

    auto* runsCommand = app.add_subcommand("runs", "List, show and cancel runs");
    runsCommand->require_subcommand(1);
    auto* list = runsCommand->add_subcommand("list", "List runs");
    list->callback([&options] {
        store::Database database(options.databasePath);
        store::RunStore runs(database);
        std::cout << std::left << std::setw(5) << "id" << std::setw(28) << "name" << std::setw(10) << "state"
                  << std::setw(8) << "family" << std::setw(11) << "defense" << std::setw(6) << "N" << "steps\n";
        for (const auto& r : runs.list())
            std::cout << std::setw(5) << r.id << std::setw(28) << r.name.substr(0, 27) << std::setw(10) << r.state
                      << std::setw(8) << r.modelFamily << std::setw(11) << (r.defendedTask.empty() ? "-" : r.defendedTask)
                      << std::setw(6) << r.defenseCount << r.stepsDone << "/" << r.totalSteps << "\n";
    });
    auto* show = runsCommand->add_subcommand("show", "Show one run");
    auto showId = std::make_shared<int64_t>(0);
    show->add_option("RUN", *showId, "Run id")->required();
    show->callback([&options, showId] {
        store::Database database(options.databasePath);
        store::RunStore runs(database);
        printRun(runs.get(*showId), runs);
    });
    auto* cancel = runsCommand->add_subcommand("cancel", "Ask a running run to stop (it stays resumable)");
    auto cancelId = std::make_shared<int64_t>(0);
    cancel->add_option("RUN", *cancelId, "Run id")->required();
    cancel->callback([&options, cancelId] {
        store::Database database(options.databasePath);
        store::RunStore runs(database);
        const auto run = runs.get(*cancelId);
        if (run.state == "completed") throw ConfigError("run " + std::to_string(run.id) + " is already completed");
        runs.setState(run.id, "cancelled", "cancelled by request; resumable with ctd train --resume " +
                                               std::to_string(run.id));
        std::cout << "run " << run.id << ": cancel requested\n";
    });
}

}  // namespace ctd::cli
