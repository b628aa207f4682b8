// Merging project databases (e.g. the per-cell databases of a Slurm job array) into one, keeping
// provenance: datasets and their records, suites, scorer definitions, runs with their metric
// curves, evaluations, responses and scores, and the experiment queue. Ids are remapped; what the
// output already holds is skipped:
//   datasets     by (kind, content hash)         suites       by name and content hash
//   runs         by cell hash (the run key), or for runs outside experiments by kind, name,
//                creation time and spec          scorers      by (name, version)
//   evaluations  of a run already present: by (suite, settings hash) when completed there
//   experiments  by name; their cells by cell hash (a cell done in an input marks it done)
// Inputs are opened read-only and never migrated; each input is merged in one transaction.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ctd::experiment {

struct MergeCounts {
    int64_t inserted = 0;
    int64_t skipped = 0;
};

struct MergeReport {
    std::vector<std::string> inputs;
    std::map<std::string, MergeCounts> tables;  // per table, over all inputs
    std::vector<std::string> notes;             // renamed suites, conflicting scorers, unknown tables
    std::string text() const;
};

// ConfigError when an input is the output, is not a ctd database, or has a newer schema than this
// ctd knows; IoError when a file cannot be opened.
MergeReport mergeDatabases(const std::filesystem::path& output, const std::vector<std::filesystem::path>& inputs,
                           const std::function<void(const std::string&)>& onMessage = {});

}  // namespace ctd::experiment
