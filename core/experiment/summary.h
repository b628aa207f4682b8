// The summary of an experiment: per cell (model x setting) the refusal rate on harmful documents,
// the over-refusal and the utility on benign documents for every task, and the cross-task matrix;
// as text tables for the terminal and as CSV/JSON files beside the database.
#pragma once
#include "core/eval/report.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ctd::store {
class Database;
}

namespace ctd::experiment {

struct ExperimentSummary {
    std::string experiment;
    std::string suite;
    std::string scorer;
    int64_t cellsTotal = 0;
    int64_t cellsDone = 0;
    std::vector<std::string> labels;      // the finished cells' labels, in plan order
    std::vector<eval::RunSummary> runs;   // aligned with labels
    std::vector<std::string> tasks;       // the tasks evaluated, paper order first
    eval::CrossTaskMatrix matrix;
};

// The finished cells of experiment `name` on one suite, judged by `scorer` (see
// eval::ReportFilter::scorer). ConfigError when the database has no such experiment.
ExperimentSummary summarizeExperiment(store::Database& database, const std::string& name, const std::string& suite,
                                      const std::string& scorer);

// Three tables (refusal on harmful items, over-refusal on benign items, utility on benign items:
// rows are cells, columns tasks) followed by the cross-task matrix.
std::string formatExperimentTables(const ExperimentSummary& summary);

// Writes tables.txt, runs.csv (one row per run and task), matrix.csv and summary.json into
// `folder` (created), and returns the files written.
std::vector<std::filesystem::path> writeExperimentSummary(const ExperimentSummary& summary,
                                                          const std::filesystem::path& folder);

}  // namespace ctd::experiment
