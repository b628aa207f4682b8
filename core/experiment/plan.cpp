// Validation, the tiny world, suites and the cells of an experiment (see plan.h).
#include "core/experiment/plan.h"

#include "core/data/mixture.h"
#include "core/data/task.h"
#include "core/model/checkpoint.h"
#include "core/text/prompt_template.h"
#include "core/train/loss.h"
#include "core/train/pretrain.h"
#include "core/train/training_job.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

namespace ctd::experiment {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool unresolved(const std::string& text) { return text.find("${") != std::string::npos; }

bool isJsonPath(const std::string& templateName) { return templateName.size() > 5 && templateName.ends_with(".json"); }

void checkModelFolder(const fs::path& folder, const std::string& label, ValidationReport& report) {
    if (!fs::is_directory(folder)) {
        report.problems.push_back(label + ": model folder " + folder.string() + " does not exist");
        return;
    }
    std::vector<std::string> lacking;
    if (!fs::exists(folder / "config.json")) lacking.push_back("config.json");
    if (!fs::exists(folder / "tokenizer.model")) lacking.push_back("tokenizer.model");
    bool weights = fs::exists(folder / "model.safetensors.index.json");
    bool pickle = false;
    for (const auto& entry : fs::directory_iterator(folder)) {
        const auto name = entry.path().filename().string();
        if (name.ends_with(".safetensors")) weights = true;
        if (name.ends_with(".bin") || name.ends_with(".pt") || name.ends_with(".pth")) pickle = true;
    }
    if (!weights)
        lacking.push_back(pickle ? "safetensors weights (only pickle checkpoints *.bin found; convert them to "
                                   "safetensors, since loading pickles can run code)"
                                 : "model.safetensors (or shards with model.safetensors.index.json)");
    if (!lacking.empty()) {
        std::string list;
        for (const auto& item : lacking) list += (list.empty() ? "" : ", ") + item;
        report.problems.push_back(label + ": " + folder.string() + " lacks " + list);
    }
}

// The tasks whose defense documents a grid entry reads (mixed: the paper's five).
std::vector<std::string> defenseTasks(const GridEntry& entry) {
    if (entry.defendedTask != "mixed") return {entry.defendedTask};
    std::vector<std::string> tasks;
    for (const auto& task : data::paperTasks()) tasks.push_back(task.name);
    return tasks;
}

json cellMixture(const ExperimentSpec& spec, const json& mixture, const ModelEntry& model, const std::string& task,
                 int64_t count, uint64_t seed) {
    json m = mixture;
    m["name"] = spec.name + "/" + model.name + "/" + task + "-" + std::to_string(count);
    m["seed"] = seed;  // the cell's seed samples the mixture too: seeds vary the defense examples
    m["template"] = model.templateName;
    json defense = m.value("defense", json::object());
    if (task == "mixed") {
        defense["mode"] = "mixed";
        defense["per_task"] = count;
    } else {
        defense["mode"] = "single";
        defense["task"] = task;
        defense["count"] = count;
    }
    m["defense"] = defense;
    return m;
}

std::string cellLabel(const ExperimentSpec& spec, const ModelEntry& model, const std::string& task, int64_t count,
                      const std::string& loss, uint64_t seed) {
    if (count == 0) return model.name + " no defense";
    std::string label = model.name + " " + task + (task == "mixed" ? " M=" : " N=") + std::to_string(count);
    if (spec.losses.size() > 1) label += " " + loss;
    if (spec.seeds.size() > 1) label += " seed " + std::to_string(seed);
    return label;
}

json cellTraining(const ExperimentSpec& spec, const json& training, const ModelEntry& model,
                  const std::string& modelPath, const std::string& templateName, const json& mixture,
                  const std::string& label, const std::string& loss, uint64_t seed) {
    json t = training;
    t["name"] = spec.name + ": " + label;
    t["base_model"] = modelPath;
    t["template"] = templateName;
    t["model_family"] = model.family;
    t["mixture"] = mixture;
    t["loss"] = loss;
    t["seed"] = seed;
    return t;
}

std::string templateIdentity(const std::string& templateName) {
    const auto promptTemplate = isJsonPath(templateName) ? text::PromptTemplate::load(templateName)
                                                         : text::PromptTemplate::builtin(templateName);
    return util::sha256Hex(promptTemplate.toJson().dump());
}

bool needsGpu(const ExperimentSpec& spec) {
    const std::string trainingDevice =
        util::optionalField<std::string>(spec.training, "device", "cpu", spec.name + ": training");
    return spec.requiresGpu || trainingDevice.starts_with("cuda") || spec.evaluationDevice.starts_with("cuda");
}

}  // namespace

std::string ValidationReport::text() const {
    std::string out;
    for (const auto& problem : problems) out += "problem: " + problem + "\n";
    for (const auto& note : notes) out += "note: " + note + "\n";
    return out;
}

std::string modelFingerprint(const fs::path& folder) { return model::modelFolderHash(folder); }

ValidationReport validateExperiment(const ExperimentSpec& spec, const PlanOptions& options) {
    ValidationReport report;
    const Variables variables(spec, options.outDir);
    std::vector<std::string> missing;

    for (std::size_t i = 0; i < spec.models.size(); ++i) {
        const auto& model = spec.models[i];
        const std::string where = "models[" + std::to_string(i) + "] (" + model.name + ")";
        const std::string path = variables.path(model.path, where + ".path", missing);
        if (!unresolved(path)) checkModelFolder(path, where, report);
        if (isJsonPath(model.templateName)) {
            const std::string file = variables.path(model.templateName, where + ".template", missing);
            if (!unresolved(file) && !fs::exists(file))
                report.problems.push_back(where + ": template file " + file + " does not exist");
        } else {
            const auto names = text::PromptTemplate::builtinNames();
            if (std::find(names.begin(), names.end(), model.templateName) == names.end())
                report.problems.push_back(where + ": unknown template \"" + model.templateName +
                                          "\" (a built-in name such as alpaca or llama2, or a .json file)");
        }
    }

    fs::path worldDir;
    bool worldPending = false;
    if (spec.world) {
        worldDir = variables.expand("${world}", "world.dir", missing);
        worldPending = !fs::exists(worldDir / "world.json");
        if (worldPending)
            report.notes.push_back("the tiny world (seed " + std::to_string(spec.world->seed) + ") will be generated in " +
                                   worldDir.string());
    }
    // A file inside a world that is yet to be generated will be there.
    auto expectFile = [&](const fs::path& file, const std::string& what) {
        if (unresolved(file.string())) return;  // reported as an unset variable
        const fs::path normal = file.lexically_normal();
        if (worldPending) {
            const auto relative = normal.lexically_relative(worldDir);
            if (!relative.empty() && *relative.begin() != "..") return;
        }
        if (!fs::exists(normal)) report.problems.push_back(what + ": " + normal.string() + " does not exist");
    };

    for (const auto& loss : spec.losses) {
        try {
            train::parseLossType(loss);
        } catch (const Error& error) {
            report.problems.push_back(std::string("losses: ") + error.what());
        }
    }

    const json mixture = variables.expandAll(spec.mixture, "mixture", missing);
    const json training = variables.expandAll(spec.training, "training", missing);
    bool anyTrained = false;
    for (const auto& entry : spec.grid)
        for (int64_t count : entry.counts) anyTrained = anyTrained || count > 0;
    if (anyTrained && !mixture.contains("defense"))
        report.problems.push_back("mixture.defense: missing (the pool of malicious documents and the refusal)");
    if (anyTrained && mixture.contains("defense")) {
        std::set<std::string> checkedFiles;
        for (const auto& entry : spec.grid) {
            const int64_t count = *std::max_element(entry.counts.begin(), entry.counts.end());
            if (count == 0) continue;
            const auto& model = spec.models.front();
            const json mixtureJson = cellMixture(spec, mixture, model, entry.defendedTask, count, spec.seeds.front());
            try {
                const auto parsed = data::MixtureSpec::fromJson(mixtureJson, "mixture of grid " + entry.defendedTask,
                                                                spec.specDir);
                for (const auto* sources : {&parsed.benign, &parsed.safety})
                    for (const auto& source : *sources)
                        if (checkedFiles.insert(source.path).second)
                            expectFile(parsed.resolvePath(source.path), "mixture source \"" + source.name + "\"");
                for (const auto& task : defenseTasks(entry)) {
                    std::string pool = parsed.defense->pool.path;
                    if (const auto at = pool.find("{task}"); at != std::string::npos) pool.replace(at, 6, task);
                    if (checkedFiles.insert(pool).second) expectFile(parsed.resolvePath(pool), "defense pool");
                }
                for (const auto& file : parsed.evaluationFiles)
                    if (checkedFiles.insert(file).second) expectFile(parsed.resolvePath(file), "mixture evaluation file");
                const std::string templateName = isJsonPath(model.templateName)
                                                     ? variables.path(model.templateName, "template", missing)
                                                     : model.templateName;
                train::TrainingSpec::fromJson(cellTraining(spec, training, model, "model", templateName, mixtureJson,
                                                           "check", spec.losses.front(), spec.seeds.front()),
                                              "experiment " + spec.name + ": training", spec.specDir);
            } catch (const Error& error) {
                report.problems.push_back(error.what());
            }
        }
    }

    for (const auto& suite : spec.suites) {
        const std::string where = "evaluation suite \"" + suite.name + "\"";
        if (!suite.world.empty()) {
            const std::string dir = variables.path(suite.world, where + ".world", missing);
            if (!unresolved(dir)) expectFile(fs::path(dir) / "references.json", where);
        } else {
            const std::string dir = suite.dir.empty() ? spec.specDir.string() : variables.path(suite.dir, where + ".dir", missing);
            for (const auto& file : suite.files) {
                const std::string path = variables.expand(file, where + ".files", missing);
                if (!unresolved(dir) && !unresolved(path)) expectFile(fs::path(dir) / path, where);
            }
        }
    }

    if (needsGpu(spec)) {
        if (options.checkDevice) {
            try {
                model::parseDevice("cuda");
            } catch (const Error& error) {
                report.problems.push_back(std::string("GPU required (requirements.gpu or a cuda device) but none is "
                                                      "usable here: ") + error.what());
            }
        } else {
            report.notes.push_back("needs a GPU (not checked here)");
        }
    }

    std::set<std::string> seen;
    for (const auto& name : missing)
        if (seen.insert(name).second) report.problems.push_back("variable ${" + name.substr(0, name.find(' ')) + "} is not set" +
                                                                name.substr(name.find(' ')) +
                                                                ": export it or edit the spec");
    return report;
}

const Cell& ExperimentPlan::findCell(const std::string& indexOrHash) const {
    if (!indexOrHash.empty() && indexOrHash.find_first_not_of("0123456789") == std::string::npos &&
        indexOrHash.size() < 6) {
        const auto index = std::stoul(indexOrHash);
        if (index >= cells.size())
            throw ConfigError("experiment " + spec.name + " has " + std::to_string(cells.size()) + " cells; no cell " +
                              indexOrHash);
        return cells[index];
    }
    const Cell* found = nullptr;
    for (const auto& cell : cells) {
        if (!cell.hash.starts_with(indexOrHash)) continue;
        if (found) throw ConfigError("cell prefix " + indexOrHash + " is ambiguous in experiment " + spec.name);
        found = &cell;
    }
    if (!found)
        throw ConfigError("experiment " + spec.name + " has no cell " + indexOrHash +
                          " (did the spec change since the cell list was written?)");
    return *found;
}

ExperimentPlan planExperiment(const ExperimentSpec& spec, const PlanOptions& options) {
    const ValidationReport report = validateExperiment(spec, options);
    if (!report.ok())
        throw ConfigError("experiment " + spec.name + " cannot run:\n" + report.text());

    ExperimentPlan plan;
    plan.spec = spec;
    plan.outDir = fs::absolute(options.outDir).lexically_normal();
    plan.evaluation = evaluationSettings(spec);
    const Variables variables(spec, plan.outDir);
    std::vector<std::string> missing;
    auto say = [&](const std::string& message) {
        if (options.onMessage) options.onMessage(message);
    };
    if (spec.world) {
        plan.worldDir = variables.expand("${world}", "world.dir", missing);
        if (!fs::exists(plan.worldDir / "world.json")) say("generating the tiny world in " + plan.worldDir.string());
        train::ensureWorld(plan.worldDir, spec.world->seed, options.onMessage);
    }

    json suiteHashes = json::array();
    int64_t itemsPerCell = 0;
    for (const auto& entry : spec.suites) {
        eval::Suite suite;
        if (!entry.world.empty()) {
            suite = eval::worldSuite(variables.path(entry.world, "suite", missing), entry.name);
        } else {
            suite.name = entry.name;
            const fs::path dir = entry.dir.empty() ? spec.specDir : fs::path(variables.path(entry.dir, "suite", missing));
            for (const auto& file : entry.files) eval::addSuiteFile(suite, dir / variables.expand(file, "suite", missing));
            suite.description = "experiment " + spec.name + ": " + std::to_string(entry.files.size()) + " files from " +
                                dir.string();
        }
        suite.validate();
        suiteHashes.push_back({{"name", suite.name}, {"hash", suite.contentHash()}});
        itemsPerCell += static_cast<int64_t>(eval::limitItems(suite.items, plan.evaluation.limitPerGroup).size());
        plan.suites.push_back(std::move(suite));
    }
    json evaluationJson = plan.evaluation.toJson();
    evaluationJson["limit_per_group"] = plan.evaluation.limitPerGroup;
    const json mixture = variables.expandAll(spec.mixture, "mixture", missing);
    const json training = variables.expandAll(spec.training, "training", missing);

    std::map<std::string, std::string> fingerprints;
    std::set<std::string> seenCells;
    for (const auto& model : spec.models) {
        const std::string modelPath = variables.path(model.path, "model", missing);
        const std::string templateName =
            isJsonPath(model.templateName) ? variables.path(model.templateName, "template", missing) : model.templateName;
        say("fingerprinting " + model.name);
        const std::string fingerprint = modelFingerprint(modelPath);
        const json modelJson = {{"fingerprint", fingerprint},
                                {"template", templateIdentity(templateName)},
                                {"family", model.family}};
        for (const auto& entry : spec.grid) {
            for (int64_t count : entry.counts) {
                for (const auto& loss : spec.losses) {
                    for (uint64_t seed : spec.seeds) {
                        Cell cell;
                        cell.modelName = model.name;
                        cell.modelPath = modelPath;
                        cell.templateName = templateName;
                        cell.family = model.family;
                        cell.defenseCount = count;
                        cell.label = cellLabel(spec, model, entry.defendedTask, count, loss, seed);
                        json runDefinition;
                        if (count == 0) {
                            runDefinition = {{"kind", "base"}, {"model", modelJson}};
                        } else {
                            cell.defendedTask = entry.defendedTask;
                            cell.loss = loss;
                            cell.seed = seed;
                            const json mixtureJson = cellMixture(spec, mixture, model, entry.defendedTask, count, seed);
                            const auto trainingSpec = train::TrainingSpec::fromJson(
                                cellTraining(spec, training, model, modelPath, templateName, mixtureJson, cell.label,
                                             loss, seed),
                                "experiment " + spec.name + ", cell " + cell.label, spec.specDir);
                            say("building the mixture of " + cell.label);
                            const auto built = data::buildMixture(
                                data::MixtureSpec::fromJson(mixtureJson, "cell " + cell.label, spec.specDir));
                            cell.mixtureHash = built.hash;
                            cell.trainingSpec = trainingSpec.toJson();
                            json settings = cell.trainingSpec;
                            for (const char* key : {"name", "base_model", "output_dir", "spec_dir", "mixture",
                                                    "model_family", "template"})
                                settings.erase(key);
                            runDefinition = {{"kind", "train"},
                                             {"model", modelJson},
                                             {"mixture", built.hash},
                                             {"training", settings}};
                            const auto& t = trainingSpec.trainer;
                            const int64_t window = t.microBatchSize * t.gradientAccumulation;
                            const auto examples = static_cast<int64_t>(built.examples.size());
                            cell.estimatedSteps = t.maxSteps > 0 ? t.maxSteps : (examples + window - 1) / window * t.epochs;
                        }
                        if (count == 0 && (loss != spec.losses.front() || seed != spec.seeds.front())) continue;
                        cell.runKey = util::sha256Hex(runDefinition.dump());
                        cell.definition = {{"run", runDefinition},
                                           {"run_key", cell.runKey},
                                           {"suites", suiteHashes},
                                           {"evaluation", evaluationJson},
                                           {"scorers", spec.extraScorers}};
                        cell.hash = util::sha256Hex(cell.definition.dump());
                        cell.estimatedItems = itemsPerCell;
                        if (!seenCells.insert(cell.hash).second) continue;  // the baseline of several grid entries
                        cell.index = static_cast<int64_t>(plan.cells.size());
                        plan.cells.push_back(std::move(cell));
                    }
                }
            }
        }
    }
    return plan;
}

}  // namespace ctd::experiment
