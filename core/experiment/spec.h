// Experiment specs: a grid of base models (with their templates) x defended task (one task or
// "mixed") x number of defense examples (0 = the undefended baseline) x loss x seed, trained on
// one mixture template and evaluated on named suites. Each grid point is a *cell*; a cell is
// identified by a content hash of everything that defines it, so a re-run skips finished cells.
//
// Spec JSON (strings may use ${NAME} or ${NAME:-default}: the built-ins spec_dir, out, world,
// resources, or an environment variable; relative paths resolve against the spec's folder):
//   { "name": "tiny-cross-task", "description": "...",
//     "world": {"seed": 1, "dir"?: "${out}/tiny-world"},          (optional: the tiny world)
//     "models": [{"name": "tiny-llama1", "path": "...", "template": "alpaca", "family": "llama1"}],
//     "grid": [{"defended_task": "summarize", "counts": [0, 10, 50]}, {"defended_task": "mixed", "counts": [20]}],
//     "losses": ["response_only"], "seeds": [42],
//     "mixture": { mixture spec (core/data/mixture.h) whose "defense" holds pool and refusal only },
//     "training": { training spec fields (core/train/training_job.h) other than name, base_model,
//                   template, model_family, mixture, loss, seed, output_dir },
//     "evaluation": { "suites": [{"name": "tiny-world", "world": "${world}"} |
//                                {"name": "authors", "dir": "...", "files": ["test_summarize.json", ...]}],
//                     "generation": {"strategy": "greedy" | "beam", "num_beams": 4, "max_new_tokens": 48,
//                                    "length_penalty"?: 1.0, "early_stopping"?: false},
//                     "batch_size": 16, "limit_per_group": 40, "device": "cpu", "dtype": "float32",
//                     "scorers"?: ["per-task"], "report_scorer"?: "per-task" },
//     "requirements"?: {"gpu": false} }
#pragma once
#include "core/eval/evaluation_settings.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ctd::experiment {

struct ModelEntry {
    std::string name;          // short label used in tables, e.g. "tiny-llama1"
    std::string path;          // HF model folder (as written, ${...} allowed)
    std::string templateName;  // built-in template name or template JSON path
    std::string family;        // "llama1" / "llama2"
};

struct GridEntry {
    std::string defendedTask;     // a task name or "mixed"
    std::vector<int64_t> counts;  // N (single task) or M per task (mixed); 0 = baseline
};

struct SuiteEntry {
    std::string name;
    std::string world;               // a tiny-world folder: its ten task files with references
    std::string dir;                 // folder the files resolve against
    std::vector<std::string> files;  // the authors' evaluation files
};

struct WorldEntry {
    uint64_t seed = 1;
    std::string dir;  // default ${out}/tiny-world
};

struct ExperimentSpec {
    std::string name;
    std::string description;
    std::filesystem::path specPath;  // the file it was read from ("" when built in memory)
    std::filesystem::path specDir;   // relative paths resolve against it
    nlohmann::json source = nlohmann::json::object();  // the JSON as written
    std::optional<WorldEntry> world;
    std::vector<ModelEntry> models;
    std::vector<GridEntry> grid;
    std::vector<std::string> losses = {"token_mean"};
    std::vector<uint64_t> seeds = {42};
    nlohmann::json mixture = nlohmann::json::object();   // mixture template (unexpanded)
    nlohmann::json training = nlohmann::json::object();  // training fields (unexpanded)
    std::vector<SuiteEntry> suites;
    nlohmann::json generation = nlohmann::json::object();
    int64_t evaluationBatchSize = 16;
    int64_t limitPerGroup = -1;
    std::string evaluationDevice = "cpu";
    std::string evaluationDtype = "float32";
    std::vector<std::string> extraScorers;  // run after the default scoring, e.g. "per-task"
    std::string reportScorer = "authors";
    bool requiresGpu = false;

    // FormatError / ConfigError name `source` and the field.
    static ExperimentSpec fromJson(const nlohmann::json& json, const std::string& source,
                                   const std::filesystem::path& specDir);
    static ExperimentSpec load(const std::filesystem::path& file);
    // SHA-256 of the JSON as written (what `experiment status` shows as the spec version).
    std::string sourceHash() const;
};

// ${NAME} substitution: built-ins first, then the environment. Unset names are collected in
// `missing` as "NAME (where)" and left as they are.
class Variables {
public:
    Variables(const ExperimentSpec& spec, const std::filesystem::path& outDir);
    std::string expand(const std::string& text, const std::string& where, std::vector<std::string>& missing) const;
    nlohmann::json expandAll(const nlohmann::json& value, const std::string& where,
                             std::vector<std::string>& missing) const;
    // A path: expanded, then made absolute against the spec folder.
    std::string path(const std::string& text, const std::string& where, std::vector<std::string>& missing) const;
    // The environment variables the spec mentions (for cluster scripts), by name; `optional` when
    // every use gives a default (${NAME:-default}).
    struct EnvironmentUse {
        std::string name;
        bool optional = false;
        bool operator==(const EnvironmentUse&) const = default;
    };
    static std::vector<EnvironmentUse> environmentNames(const ExperimentSpec& spec);

private:
    std::map<std::string, std::string> m_builtins;
    std::filesystem::path m_specDir;
};

// The evaluation settings of the spec (generation strategy, batch size, limit, device).
eval::EvaluationSettings evaluationSettings(const ExperimentSpec& spec);

// Paper task names plus "mixed", for messages and checks.
bool isKnownDefendedTask(const std::string& task);

}  // namespace ctd::experiment
