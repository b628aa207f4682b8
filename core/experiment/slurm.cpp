// Slurm job-array export (see slurm.h).
#include "core/experiment/slurm.h"

#include "core/experiment/plan.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <cstdlib>
#include <sstream>

namespace ctd::experiment {

namespace fs = std::filesystem;

std::string shellQuote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        if (c == '\'') quoted += "'\\''";
        else quoted += c;
    }
    return quoted + "'";
}

namespace {

// The installed package starts the real binary through a launcher that finds libtorch; job scripts
// must call the launcher (it exports its path as CTD_LAUNCHER), not the bare binary.
std::string defaultCtdPath() {
    if (const char* launcher = std::getenv("CTD_LAUNCHER"); launcher != nullptr && *launcher != '\0') return launcher;
    std::error_code error;
    const auto self = fs::read_symlink("/proc/self/exe", error);
    return error ? std::string("ctd") : self.string();
}

void writeScript(const fs::path& path, const std::string& text) {
    util::writeFileAtomically(path, text);
    fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add);
}

}  // namespace

SlurmExport exportSlurm(const ExperimentSpec& spec, const SlurmOptions& options) {
    if (options.outDir.empty()) throw ConfigError("sweep export: give an output folder");
    if (spec.specPath.empty()) throw ConfigError("sweep export: the spec must come from a file (the jobs read it)");
    const fs::path out = fs::absolute(options.outDir).lexically_normal();
    const fs::path work = out / "work";
    fs::create_directories(out / "logs");
    fs::create_directories(out / "db");
    fs::create_directories(work);

    PlanOptions planOptions;
    planOptions.outDir = work;
    planOptions.checkDevice = false;
    planOptions.onMessage = options.onMessage;
    const ExperimentPlan plan = planExperiment(spec, planOptions);
    if (plan.cells.empty()) throw ConfigError("sweep export: experiment " + spec.name + " has no cells");
    const std::string ctd = options.ctdPath.empty() ? defaultCtdPath() : options.ctdPath;
    const int gpus = options.gpus >= 0 ? options.gpus : (spec.requiresGpu || plan.evaluation.device.starts_with("cuda") ? 1 : 0);

    SlurmExport result;
    result.cells = static_cast<int64_t>(plan.cells.size());

    std::ostringstream cells;
    cells << "index\tcell_hash\tlabel\n";
    for (const auto& cell : plan.cells) cells << cell.index << "\t" << cell.hash << "\t" << cell.label << "\n";
    util::writeFileAtomically(out / "cells.tsv", cells.str());
    result.files.push_back(out / "cells.tsv");

    std::ostringstream job;
    job << "#!/bin/bash\n"
        << "# Cross-Task Defense Workbench: experiment " << spec.name << ", one cell per array element ("
        << plan.cells.size() << " cells).\n"
        << "# Written by `ctd sweep export --slurm`; submit with submit.sh, which merges the databases afterwards.\n"
        << "#SBATCH --job-name=ctd-" << spec.name << "\n"
        << "#SBATCH --array=0-" << plan.cells.size() - 1 << "\n"
        << "#SBATCH --output=" << (out / "logs").string() << "/cell-%a.log\n"
        << "#SBATCH --cpus-per-task=" << options.cpusPerTask << "\n"
        << "#SBATCH --mem=" << options.memory << "\n"
        << "#SBATCH --time=" << options.time << "\n";
    if (gpus > 0) job << "#SBATCH --gres=gpu:" << gpus << "\n";
    if (!options.partition.empty()) job << "#SBATCH --partition=" << options.partition << "\n";
    if (!options.account.empty()) job << "#SBATCH --account=" << options.account << "\n";
    for (const auto& directive : options.extraDirectives) job << "#SBATCH " << directive << "\n";
    job << "set -euo pipefail\n";
    const auto names = Variables::environmentNames(spec);
    if (!names.empty()) job << "# What the spec reads from the environment (a value exported at submit time wins).\n";
    for (const auto& [name, optional] : names) {
        const char* value = std::getenv(name.c_str());
        if (value && *value)
            job << "if [ -z \"${" << name << ":-}\" ]; then export " << name << "=" << shellQuote(value) << "; fi\n";
        else if (!optional) job << ": \"${" << name << ":?is not set (experiment " << spec.name << " reads it)}\"\n";
    }
    job << "cells=(\n";
    for (const auto& cell : plan.cells) job << "  " << cell.hash << "  # " << cell.index << ": " << cell.label << "\n";
    job << ")\n"
        << "cell=\"${cells[$SLURM_ARRAY_TASK_ID]}\"\n"
        << "database=" << shellQuote((out / "db").string()) << "/cell-$(printf %04d \"$SLURM_ARRAY_TASK_ID\").sqlite\n"
        << "exec " << shellQuote(ctd) << " --db \"$database\" experiment run " << shellQuote(spec.specPath.string())
        << " --out " << shellQuote(work.string()) << " --cell \"$cell\" --no-summary"
        << (options.threads > 0 ? " --threads " + std::to_string(options.threads) : "") << "\n";
    writeScript(out / "job.sbatch", job.str());
    result.files.push_back(out / "job.sbatch");

    std::ostringstream merge;
    merge << "#!/bin/bash\n"
          << "# Merges the per-cell databases of experiment " << spec.name << " into merged.sqlite (safe to re-run:\n"
          << "# cells and runs already there are skipped).\n"
          << "set -euo pipefail\n"
          << "shopt -s nullglob\n"
          << "databases=(" << shellQuote((out / "db").string()) << "/cell-*.sqlite)\n"
          << "if [ ${#databases[@]} -eq 0 ]; then echo 'no cell databases yet' >&2; exit 1; fi\n"
          << "exec " << shellQuote(ctd) << " db merge " << shellQuote((out / "merged.sqlite").string())
          << " \"${databases[@]}\"\n";
    writeScript(out / "merge.sh", merge.str());
    result.files.push_back(out / "merge.sh");

    std::ostringstream submit;
    submit << "#!/bin/bash\n"
           << "# Submits the job array, then the merge once every element has ended.\n"
           << "set -euo pipefail\n"
           << "cd " << shellQuote(out.string()) << "\n"
           << "job=$(sbatch --parsable job.sbatch)\n"
           << "job=${job%%;*}\n"
           << "sbatch --dependency=afterany:\"$job\" --job-name=ctd-" << spec.name << "-merge --output="
           << shellQuote((out / "logs" / "merge.log").string()) << " --time=2:00:00"
           << (options.partition.empty() ? "" : " --partition=" + options.partition)
           << (options.account.empty() ? "" : " --account=" + options.account) << " merge.sh\n"
           << "echo \"submitted job array $job (" << plan.cells.size() << " cells) and its merge\"\n";
    writeScript(out / "submit.sh", submit.str());
    result.files.push_back(out / "submit.sh");
    return result;
}

}  // namespace ctd::experiment
