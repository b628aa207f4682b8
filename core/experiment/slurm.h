// Beyond one machine: an experiment as a Slurm job array, one cell per array element, each element
// writing its own database (no SQLite file shared over a network file system); a dependent job
// then merges them with `ctd db merge`.
#pragma once
#include "core/experiment/spec.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ctd::experiment {

struct SlurmOptions {
    std::filesystem::path outDir;  // job files, logs/, db/, work/ (world and runs) and merged.sqlite
    std::string ctdPath;           // the ctd binary the jobs call; default: this process's executable
    std::string partition;
    std::string account;
    std::string time = "24:00:00";
    std::string memory = "64G";
    int cpusPerTask = 8;
    int gpus = -1;    // GPUs per element; < 0: one when the spec needs a GPU, else none
    int threads = 0;  // > 0: passed to `experiment run --threads`
    std::vector<std::string> extraDirectives;  // further "#SBATCH ..." lines, written as given
    std::function<void(const std::string&)> onMessage;
};

struct SlurmExport {
    std::vector<std::filesystem::path> files;  // job.sbatch, merge.sh, submit.sh, cells.tsv
    int64_t cells = 0;
};

// Plans the experiment (without probing for a GPU: the login node may have none; each element
// validates again when it starts), generates the tiny world once under outDir/work so elements
// share it, and writes the scripts. The array runs `ctd experiment run SPEC --cell HASH`, so a
// spec edited after the export makes elements fail with a clear message instead of running
// something else.
SlurmExport exportSlurm(const ExperimentSpec& spec, const SlurmOptions& options);

// A string quoted for bash (single quotes).
std::string shellQuote(const std::string& text);

}  // namespace ctd::experiment
