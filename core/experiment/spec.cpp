// Experiment spec JSON -> ExperimentSpec (strict: unknown fields are errors, so a typo cannot
// silently shrink a grid), and ${NAME} substitution.
#include "core/experiment/spec.h"

#include "core/data/task.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"
#include "core/util/resources.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

namespace ctd::experiment {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void rejectUnknown(const json& j, const std::vector<std::string>& known, const std::string& where) {
    if (!j.is_object()) throw FormatError(where + ": expected a JSON object, found " + j.type_name());
    for (const auto& item : j.items()) {
        if (std::find(known.begin(), known.end(), item.key()) != known.end()) continue;
        std::string list;
        for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
        throw FormatError(where + ": unknown field \"" + item.key() + "\" (expected " + list + ")");
    }
}

template <typename T>
T field(const json& j, const char* name, T fallback, const std::string& where) {
    if (!j.contains(name) || j[name].is_null()) return fallback;
    try {
        return j[name].get<T>();
    } catch (const json::exception&) {
        throw FormatError(where + ", field \"" + name + "\": wrong type (" + j[name].dump() + ")");
    }
}

std::string requiredString(const json& j, const char* name, const std::string& where) {
    const auto value = field<std::string>(j, name, "", where);
    if (value.empty()) throw ConfigError(where + ", field \"" + name + "\": missing (expected a non-empty string)");
    return value;
}

const json& requiredArray(const json& j, const char* name, const std::string& where) {
    if (!j.contains(name) || !j[name].is_array() || j[name].empty())
        throw ConfigError(where + ", field \"" + name + "\": expected a non-empty list");
    return j[name];
}

// Training fields the grid fills in for every cell; a spec that sets them would be ignored.
const std::vector<std::string>& reservedTrainingFields() {
    static const std::vector<std::string> fields = {"name", "base_model", "template", "model_family",
                                                     "mixture", "loss", "seed", "output_dir", "spec_dir"};
    return fields;
}

}  // namespace

bool isKnownDefendedTask(const std::string& task) {
    if (task == "mixed") return true;
    for (const auto& spec : data::paperTasks())
        if (spec.name == task) return true;
    return false;
}

ExperimentSpec ExperimentSpec::fromJson(const json& j, const std::string& source, const fs::path& specDir) {
    rejectUnknown(j, {"name", "description", "world", "models", "grid", "losses", "seeds", "mixture", "training",
                      "evaluation", "requirements"},
                  source);
    ExperimentSpec s;
    s.source = j;
    s.specDir = specDir;
    s.name = requiredString(j, "name", source);
    if (s.name.find_first_of("/\\\n") != std::string::npos)
        throw ConfigError(source + ", field \"name\": must not contain slashes or newlines");
    s.description = field<std::string>(j, "description", "", source);

    if (j.contains("world") && !j["world"].is_null()) {
        const std::string where = source + ": world";
        rejectUnknown(j["world"], {"seed", "dir"}, where);
        WorldEntry world;
        world.seed = field<uint64_t>(j["world"], "seed", 1, where);
        world.dir = field<std::string>(j["world"], "dir", "${out}/tiny-world", where);
        s.world = world;
    }

    std::set<std::string> modelNames;
    const json& models = requiredArray(j, "models", source);
    for (std::size_t i = 0; i < models.size(); ++i) {
        const std::string where = source + ": models[" + std::to_string(i) + "]";
        rejectUnknown(models[i], {"name", "path", "template", "family", "description"}, where);
        ModelEntry model;
        model.name = requiredString(models[i], "name", where);
        model.path = requiredString(models[i], "path", where);
        model.templateName = field<std::string>(models[i], "template", "alpaca", where);
        model.family = field<std::string>(models[i], "family", model.templateName == "llama2" ? "llama2" : "llama1", where);
        if (!modelNames.insert(model.name).second) throw ConfigError(where + ": model name \"" + model.name + "\" is used twice");
        s.models.push_back(model);
    }

    const json& grid = requiredArray(j, "grid", source);
    for (std::size_t i = 0; i < grid.size(); ++i) {
        const std::string where = source + ": grid[" + std::to_string(i) + "]";
        rejectUnknown(grid[i], {"defended_task", "counts"}, where);
        GridEntry entry;
        entry.defendedTask = requiredString(grid[i], "defended_task", where);
        if (!isKnownDefendedTask(entry.defendedTask))
            throw ConfigError(where + ": unknown defended task \"" + entry.defendedTask +
                              "\" (expected summarize, translate, sentiment, case, cloze or mixed)");
        const json& counts = requiredArray(grid[i], "counts", where);
        for (const auto& count : counts) {
            if (!count.is_number_integer() || count.get<int64_t>() < 0)
                throw ConfigError(where + ", field \"counts\": expected whole numbers >= 0, found " + count.dump());
            entry.counts.push_back(count.get<int64_t>());
        }
        s.grid.push_back(entry);
    }

    if (j.contains("losses")) {
        s.losses.clear();
        for (const auto& loss : requiredArray(j, "losses", source)) {
            if (!loss.is_string()) throw FormatError(source + ", field \"losses\": expected loss names, found " + loss.dump());
            s.losses.push_back(loss.get<std::string>());
        }
    }
    if (j.contains("seeds")) {
        s.seeds.clear();
        for (const auto& seed : requiredArray(j, "seeds", source)) {
            if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0))
                throw FormatError(source + ", field \"seeds\": expected whole numbers >= 0, found " + seed.dump());
            s.seeds.push_back(seed.get<uint64_t>());
        }
    }

    s.mixture = j.value("mixture", json::object());
    if (!s.mixture.is_object()) throw FormatError(source + ", field \"mixture\": expected a mixture spec object");
    if (s.mixture.contains("defense")) {
        const json& defense = s.mixture["defense"];
        if (!defense.is_object())
            throw FormatError(source + ", field \"mixture.defense\": expected an object, found " + defense.dump());
        for (const char* key : {"mode", "task", "tasks", "count", "per_task"})
            if (defense.contains(key))
                throw ConfigError(source + ": mixture.defense." + key +
                                  " is set by the grid (defended_task and counts); remove it");
    }
    s.training = j.value("training", json::object());
    if (!s.training.is_object()) throw FormatError(source + ", field \"training\": expected an object");
    for (const auto& reserved : reservedTrainingFields())
        if (s.training.contains(reserved))
            throw ConfigError(source + ": training." + reserved + " is set per cell by the experiment; remove it");

    const json evaluation = j.value("evaluation", json::object());
    const std::string evalWhere = source + ": evaluation";
    rejectUnknown(evaluation, {"suites", "generation", "batch_size", "limit_per_group", "device", "dtype", "scorers",
                               "report_scorer"},
                  evalWhere);
    const json& suites = requiredArray(evaluation, "suites", evalWhere);
    std::set<std::string> suiteNames;
    for (std::size_t i = 0; i < suites.size(); ++i) {
        const std::string where = evalWhere + ".suites[" + std::to_string(i) + "]";
        rejectUnknown(suites[i], {"name", "world", "dir", "files"}, where);
        SuiteEntry suite;
        suite.name = requiredString(suites[i], "name", where);
        suite.world = field<std::string>(suites[i], "world", "", where);
        suite.dir = field<std::string>(suites[i], "dir", "", where);
        suite.files = field<std::vector<std::string>>(suites[i], "files", {}, where);
        if (suite.world.empty() == suite.files.empty())
            throw ConfigError(where + ": give either \"world\" (a tiny-world folder) or \"files\" (evaluation files)");
        if (!suiteNames.insert(suite.name).second) throw ConfigError(where + ": suite \"" + suite.name + "\" is listed twice");
        s.suites.push_back(suite);
    }
    s.generation = evaluation.value("generation", json::object());
    rejectUnknown(s.generation, {"strategy", "num_beams", "max_new_tokens", "length_penalty", "early_stopping"},
                  evalWhere + ".generation");
    s.evaluationBatchSize = field<int64_t>(evaluation, "batch_size", 16, evalWhere);
    s.limitPerGroup = field<int64_t>(evaluation, "limit_per_group", -1, evalWhere);
    s.evaluationDevice = field<std::string>(evaluation, "device", "cpu", evalWhere);
    s.evaluationDtype = field<std::string>(evaluation, "dtype", "float32", evalWhere);
    s.extraScorers = field<std::vector<std::string>>(evaluation, "scorers", {}, evalWhere);
    s.reportScorer = field<std::string>(evaluation, "report_scorer", "authors", evalWhere);
    if (s.evaluationBatchSize < 1) throw ConfigError(evalWhere + ", field \"batch_size\": must be at least 1");

    if (j.contains("requirements")) {
        rejectUnknown(j["requirements"], {"gpu"}, source + ": requirements");
        s.requiresGpu = field<bool>(j["requirements"], "gpu", false, source + ": requirements");
    }
    try {
        evaluationSettings(s);  // checks the generation fields now rather than at the first cell
    } catch (const ConfigError& error) {
        throw ConfigError(source + ": " + error.what());  // the spec's name alone does not say which file
    }
    return s;
}

ExperimentSpec ExperimentSpec::load(const fs::path& file) {
    ExperimentSpec spec = fromJson(util::readJsonFile(file), file.string(), fs::absolute(file).parent_path());
    spec.specPath = fs::absolute(file);
    return spec;
}

std::string ExperimentSpec::sourceHash() const { return util::sha256Hex(source.dump()); }

eval::EvaluationSettings evaluationSettings(const ExperimentSpec& spec) {
    eval::EvaluationSettings settings;
    const std::string where = spec.name + ": evaluation.generation";
    const std::string strategy = field<std::string>(spec.generation, "strategy", "greedy", where);
    auto& g = settings.generation;
    if (strategy == "greedy") g.strategy = model::GenerationSettings::Strategy::Greedy;
    else if (strategy == "beam") g.strategy = model::GenerationSettings::Strategy::Beam;
    else throw ConfigError(where + ", field \"strategy\": expected \"greedy\" or \"beam\", found \"" + strategy + "\"");
    g.numBeams = field<int64_t>(spec.generation, "num_beams", 4, where);
    g.maxNewTokens = field<int64_t>(spec.generation, "max_new_tokens", 128, where);
    g.lengthPenalty = field<double>(spec.generation, "length_penalty", 1.0, where);
    g.earlyStopping = field<bool>(spec.generation, "early_stopping", false, where);
    if (g.maxNewTokens < 1) throw ConfigError(where + ", field \"max_new_tokens\": must be at least 1");
    if (g.numBeams < 1) throw ConfigError(where + ", field \"num_beams\": must be at least 1");
    settings.batchSize = spec.evaluationBatchSize;
    settings.limitPerGroup = spec.limitPerGroup;
    settings.device = spec.evaluationDevice;
    settings.dtype = spec.evaluationDtype;
    settings.scoreAfterwards = true;
    return settings;
}

// --- variables

Variables::Variables(const ExperimentSpec& spec, const fs::path& outDir) : m_specDir(spec.specDir) {
    m_builtins["spec_dir"] = spec.specDir.string();
    m_builtins["out"] = fs::absolute(outDir).lexically_normal().string();
    try {
        m_builtins["resources"] = resourceDir().string();
    } catch (const Error&) {
        // Left unset: a spec that uses ${resources} then reports it as missing.
    }
    if (spec.world) {
        std::vector<std::string> ignored;
        const std::string dir = expand(spec.world->dir, "world.dir", ignored);
        fs::path p(dir);
        m_builtins["world"] = (p.is_absolute() ? p : m_specDir / p).lexically_normal().string();
    }
}

std::string Variables::expand(const std::string& text, const std::string& where,
                              std::vector<std::string>& missing) const {
    std::string result;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto open = text.find("${", at);
        if (open == std::string::npos) break;
        const auto close = text.find('}', open);
        if (close == std::string::npos) break;
        result += text.substr(at, open - at);
        std::string name = text.substr(open + 2, close - open - 2);
        std::optional<std::string> fallback;  // ${NAME:-default}
        if (const auto dash = name.find(":-"); dash != std::string::npos) {
            fallback = name.substr(dash + 2);
            name.resize(dash);
        }
        if (auto builtin = m_builtins.find(name); builtin != m_builtins.end()) {
            result += builtin->second;
        } else if (const char* value = std::getenv(name.c_str()); value && *value) {
            result += value;
        } else if (fallback) {
            result += *fallback;
        } else {
            missing.push_back(name + " (" + where + ")");
            result += text.substr(open, close - open + 1);
        }
        at = close + 1;
    }
    return result + text.substr(std::min(at, text.size()));
}

json Variables::expandAll(const json& value, const std::string& where, std::vector<std::string>& missing) const {
    if (value.is_string()) return expand(value.get<std::string>(), where, missing);
    if (value.is_array()) {
        json out = json::array();
        for (std::size_t i = 0; i < value.size(); ++i)
            out.push_back(expandAll(value[i], where + "[" + std::to_string(i) + "]", missing));
        return out;
    }
    if (value.is_object()) {
        json out = json::object();
        for (const auto& item : value.items())
            out[item.key()] = item.key() == "description" ? item.value()
                                                          : expandAll(item.value(), where + "." + item.key(), missing);
        return out;
    }
    return value;
}

std::string Variables::path(const std::string& text, const std::string& where, std::vector<std::string>& missing) const {
    const std::string expanded = expand(text, where, missing);
    if (expanded.empty()) return expanded;
    fs::path p(expanded);
    return (p.is_absolute() ? p : m_specDir / p).lexically_normal().string();
}

std::vector<Variables::EnvironmentUse> Variables::environmentNames(const ExperimentSpec& spec) {
    static const std::set<std::string> builtins = {"spec_dir", "out", "world", "resources"};
    std::map<std::string, bool> optional;  // name -> every use has a default
    json withoutDescriptions = spec.source;
    withoutDescriptions.erase("description");
    const std::string text = withoutDescriptions.dump();
    for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2)) {
        const auto close = text.find('}', at);
        if (close == std::string::npos) break;
        const auto dash = text.find(":-", at);
        const bool hasDefault = dash < close;
        const std::string name = text.substr(at + 2, std::min(close, dash) - at - 2);
        if (builtins.count(name)) continue;
        const auto [entry, inserted] = optional.emplace(name, hasDefault);
        if (!inserted) entry->second = entry->second && hasDefault;
    }
    std::vector<EnvironmentUse> uses;
    for (const auto& [name, isOptional] : optional) uses.push_back({name, isOptional});
    return uses;
}

}  // namespace ctd::experiment
