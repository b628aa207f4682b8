// The experiment runner: claims cells from the queue one at a time and runs each as
// mixture -> training (LoRA) -> evaluation on every suite -> scoring, recording everything in the
// project database. Finished cells are skipped; an interrupted cell continues from its training
// checkpoint and its stored responses; a changed spec runs only its new cells. Reports progress
// for the whole experiment (cells done / total, the current cell's stage, an ETA).
#pragma once
#include "core/experiment/plan.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ctd::store {
class Database;
}

namespace ctd::experiment {

struct ExperimentProgress {
    int64_t cellsTotal = 0;
    int64_t cellsDone = 0;    // finished, this session or before
    int64_t cellsFailed = 0;  // failed in this session
    int64_t cellPosition = -1;  // 0-based position of the current cell (-1 between cells)
    std::string cellLabel;
    std::string stage;       // preparing | training | evaluating | scoring
    int64_t stageDone = 0;   // optimizer steps or evaluation items
    int64_t stageTotal = 0;
    double elapsedSeconds = 0.0;
    double etaSeconds = -1.0;  // the rest of the experiment; < 0 while unknown
};

struct ExperimentHooks {
    std::function<void(const ExperimentProgress&)> onProgress;  // every step or batch: throttle when drawing
    std::function<void(const std::string&)> onMessage;          // one line per event
    const std::atomic<bool>* stopFlag = nullptr;                // stops after the current step/batch
};

struct RunOptions {
    std::filesystem::path outDir;        // ${out}: the tiny world, <database name>.runs/<run key>
    std::optional<std::string> onlyCell; // a 0-based index or a hash prefix: run this cell only
    int threads = 0;                     // > 0: CPU threads for libtorch
    bool checkDevice = true;
};

struct CellOutcome {
    std::string hash;
    std::string label;
    std::string state;  // done | failed | cancelled
    std::string message;
    int64_t runId = 0;
    double seconds = 0.0;
};

struct ExperimentResult {
    std::string state;  // completed | cancelled | failed (some cell failed)
    int64_t experimentId = 0;
    int64_t cellsTotal = 0;
    int64_t cellsCached = 0;  // done before this call
    int64_t cellsDone = 0;    // done now, cached included
    int64_t cellsFailed = 0;
    std::vector<CellOutcome> cells;  // the cells this call worked on
    std::vector<std::string> suiteNames;  // the suites as stored (see storedSuiteName)
    double seconds = 0.0;
};

// The name a plan suite is stored under: its own, unless the database already holds another suite
// of that name with different items, in which case "<name>@<first 8 hex of its hash>".
std::string storedSuiteName(store::Database& database, const eval::Suite& suite);

ExperimentResult runExperiment(store::Database& database, const ExperimentPlan& plan, const RunOptions& options,
                               const ExperimentHooks& hooks = {});
// Plans (validating first) and runs.
ExperimentResult runExperiment(store::Database& database, const ExperimentSpec& spec, const RunOptions& options,
                               const ExperimentHooks& hooks = {});

}  // namespace ctd::experiment
