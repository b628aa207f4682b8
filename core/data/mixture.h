// Training mixtures (DESIGN.md sections 1-2): benign instruction data + safety Q&A + defense
// examples (malicious document + task instruction + refusal) for one task or spread over several,
// sampled with a seed, checked against evaluation documents, and hashed for provenance.
//
// Spec JSON (relative paths resolve against "data_dir", which itself resolves against the spec's
// folder and defaults to it; absolute paths stay as they are):
//   { "name": "tiny-summarize-200", "seed": 42, "template": "alpaca", "data_dir": "../../tiny-world",
//     "benign": [ {"name": "general", "path": "train_general.json", "count": 400 | "all", "task"?: "benign"} ],
//     "safety": [ {"name": "safety_qa", "path": "train_harmful_questions.json", "count": 100} ],
//     "defense": { "name"?: "defense",
//                  "pool": {"path": "defense_{task}.json", "field": "instruction", "strip_task": "auto"},
//                  "refusal": "I'm sorry, ..." | "refusals": [...],
//                  "mode": "single", "task": "summarize", "count": 200 | "all"
//                  | "mode": "mixed", "tasks"?: [...five paper tasks...], "per_task": 20,
//                    "distinct_documents"?: true },
//     "evaluation_files": ["test_summarize.json", ...], "task_file"?: "...", "task_separators"?: {...} }
// Benign and safety examples keep instruction/input/output and are tagged with their section's
// task ("benign", "safety_qa", or the source's "task"), never with a task found in the record:
// the mixed-task loss groups by this tag, and benign task examples must not join a defense group.
#pragma once
#include "core/data/record.h"
#include "core/data/task.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ctd::data {

struct MixtureExample {
    std::string instruction, input, output;
    std::string task;     // "benign", "safety_qa", or the defended task name, e.g. "summarize"
    std::string source;   // source name from the spec
    std::int64_t sourceIndex = 0;  // 0-based record index in the source (pool) file
    // The document inside `instruction`, so encoding can shorten it rather than the task
    // instruction: always set for defense examples (the malicious document); for other examples
    // when their instruction ends with a registered task's instruction.
    std::optional<std::string> document;
};

// One benign or safety source: an Alpaca file, sampled without replacement.
struct MixtureSource {
    std::string name;
    std::string path;                   // as written in the spec
    std::optional<std::int64_t> count;  // nothing = "all"
    std::string task;                   // tag of its examples
};

// Where the malicious documents come from: an Alpaca file (JSON/JSONL; the document is `field`),
// a JSON list of document strings, or an evaluation file {"instructions": [...]}. `path` may
// contain "{task}" (e.g. the tiny world's defense_{task}.json, which hold the same documents in
// the same order, each rendered for its task): each task then reads its own file, and those files
// must have the same number of records. Duplicate documents count once.
struct DefensePool {
    std::string path;
    std::string field = "instruction";  // "instruction" or "input" (Alpaca files only)
    // "auto": remove a registered task's separator + instruction when the text ends with one;
    // "none": keep the text whole; a task name: that task's instruction must end every text.
    std::string stripTask = "auto";
};

struct DefenseSpec {
    enum class Mode { Single, Mixed };
    std::string name = "defense";  // source name of the defense examples
    DefensePool pool;
    std::vector<std::string> refusals;  // one per example, picked with the seed
    Mode mode = Mode::Single;
    std::vector<std::string> tasks;     // single: exactly one
    std::optional<std::int64_t> count;  // single: total (nothing = every distinct document); mixed: per task
    // Mixed: no document serves two tasks (ConfigError with the counts when the pool is too small).
    bool distinctDocuments = true;
};

struct MixtureSpec {
    std::string name;
    std::string description;
    std::uint64_t seed = 42;
    std::string templateName = "alpaca";  // recorded in the hash only; encoding happens in training
    std::string dataDir;                  // as written; empty = the spec's folder
    std::filesystem::path baseDir;        // the spec's folder
    std::string source;                   // where the spec came from, for messages
    std::string taskFile;                 // extra tasks (TaskRegistry::loadFile format)
    std::map<std::string, std::string> taskSeparators;  // overrides, applied after task_file
    std::vector<MixtureSource> benign;
    std::vector<MixtureSource> safety;
    std::optional<DefenseSpec> defense;
    std::vector<std::string> evaluationFiles;

    // FormatError naming `source` and the field for a wrong type or unknown field; ConfigError for
    // values that cannot work (duplicate source names, negative counts, mode/field mismatch).
    static MixtureSpec fromJson(const nlohmann::json& json, const std::string& source,
                                const std::filesystem::path& baseDir);
    // Reads a spec file; its folder is the base folder; the name defaults to the file's stem.
    static MixtureSpec load(const std::filesystem::path& path);
    // The form fromJson reads (every field written out).
    nlohmann::json toJson() const;

    std::filesystem::path dataFolder() const;
    std::filesystem::path resolvePath(const std::string& path) const;
};

struct BuildProgress {
    std::string step;
    std::int64_t done = 0;
    std::int64_t total = 0;
};

struct BuildOptions {
    // Tasks to render and strip; nothing = the paper's five. The spec's task_file and
    // task_separators apply on top.
    std::optional<TaskRegistry> tasks;
    // Checked for leaks in addition to the spec's evaluation_files.
    std::vector<std::filesystem::path> evaluationFiles;
    // Further evaluation texts (documents, or whole prompts whose task instruction is stripped).
    std::vector<std::string> evaluationDocuments;
    // Called between steps; returning false cancels (ctd::Cancelled).
    std::function<bool(const BuildProgress&)> progress;
};

struct Mixture {
    MixtureSpec spec;
    std::vector<MixtureExample> examples;
    std::string hash;  // SHA-256 hex of `provenance`
    std::map<std::string, std::int64_t> countsBySource, countsByTask;
    // What the hash covers: file hashes, counts, mode, tasks (with their wording), seed, refusals,
    // template name and a digest of the examples. No paths: moving the data keeps the hash.
    nlohmann::json provenance;
    std::vector<std::string> evaluationFilesChecked;  // resolved paths
};

// Samples (seeded, exact counts), renders defense examples, shuffles, refuses evaluation leaks
// and hashes. The same spec and files give the same examples in the same order and the same hash.
// ConfigError names the source with the requested and available counts, or the leaking example.
Mixture buildMixture(const MixtureSpec& spec, const BuildOptions& options = {});

// The registry buildMixture uses for `spec` (options' or the builtin one, plus the spec's file
// and separators).
TaskRegistry mixtureTaskRegistry(const MixtureSpec& spec, const std::optional<TaskRegistry>& base = std::nullopt);

// Storage form: kind "mixture", the mixture hash as content hash, records in mixture order with
// their task tag and extra {source, source_index, document?}; metadata {spec, provenance, counts}.
Dataset mixtureDataset(const Mixture& mixture);
// Back from a stored dataset (spec from its metadata). FormatError when it is not a mixture.
Mixture mixtureFromDataset(const Dataset& dataset);
// Alpaca list with the extra fields task, source and source_index.
nlohmann::json mixtureAlpacaJson(const std::vector<MixtureExample>& examples);

}  // namespace ctd::data
