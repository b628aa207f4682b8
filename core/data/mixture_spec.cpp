// Mixture specs: strict JSON parsing (unknown fields are errors, so a typo cannot silently drop a
// source), the canonical JSON form, and path resolution against the data folder.
#include "core/data/mixture.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <set>

namespace ctd::data {
namespace {

using nlohmann::json;

class Reader {
public:
    Reader(const json& value, std::string where) : m_value(value), m_where(std::move(where)) {}

    void requireObject(const std::vector<std::string>& known) const {
        if (!m_value.is_object()) throw FormatError(m_where + ": expected a JSON object, found " + m_value.type_name());
        for (const auto& [key, unused] : m_value.items()) {
            if (std::find(known.begin(), known.end(), key) != known.end()) continue;
            std::string list;
            for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
            throw FormatError(m_where + ": unknown field \"" + key + "\" (expected " + list + ")");
        }
    }
    bool has(const char* field) const { return m_value.contains(field) && !m_value.at(field).is_null(); }
    std::string field(const char* name) const { return m_where + ", field \"" + name + "\""; }

    std::string string(const char* name, std::optional<std::string> fallback = std::nullopt) const {
        if (!has(name)) {
            if (fallback) return *fallback;
            throw FormatError(field(name) + ": missing (expected a string)");
        }
        const json& value = m_value.at(name);
        if (!value.is_string()) throw FormatError(field(name) + ": expected a string, found " + value.type_name());
        return value.get<std::string>();
    }

    std::vector<std::string> strings(const char* name) const {
        std::vector<std::string> result;
        if (!has(name)) return result;
        const json& value = m_value.at(name);
        if (!value.is_array()) throw FormatError(field(name) + ": expected a list of strings, found " + value.type_name());
        for (std::size_t i = 0; i < value.size(); ++i) {
            if (!value[i].is_string())
                throw FormatError(field(name) + "[" + std::to_string(i) + "]: expected a string, found " +
                                  value[i].type_name());
            result.push_back(value[i].get<std::string>());
        }
        return result;
    }

    std::int64_t nonNegative(const char* name) const {
        const json& value = m_value.at(name);
        if (!value.is_number_integer())
            throw FormatError(field(name) + ": expected a whole number, found " + value.dump());
        if (value.is_number_unsigned()) {
            const auto number = value.get<std::uint64_t>();
            if (number > static_cast<std::uint64_t>(INT64_MAX)) throw ConfigError(field(name) + ": too large");
            return static_cast<std::int64_t>(number);
        }
        const auto number = value.get<std::int64_t>();
        if (number < 0) throw ConfigError(field(name) + ": must not be negative, found " + std::to_string(number));
        return number;
    }

    // A whole number >= 0 or, when allowed, "all" (returned as nothing).
    std::optional<std::int64_t> count(const char* name, bool allowAll) const {
        if (!has(name)) throw FormatError(field(name) + ": missing (expected a count" + (allowAll ? " or \"all\")" : ")"));
        const json& value = m_value.at(name);
        if (value.is_string()) {
            if (allowAll && value.get<std::string>() == "all") return std::nullopt;
            throw FormatError(field(name) + ": expected a count" + std::string(allowAll ? " or \"all\"" : "") +
                              ", found " + value.dump());
        }
        return nonNegative(name);
    }

    const json& at(const char* name) const { return m_value.at(name); }
    const std::string& where() const { return m_where; }

private:
    const json& m_value;
    std::string m_where;
};

void checkTag(const std::string& tag, const std::string& where) {
    if (tag.empty() || std::any_of(tag.begin(), tag.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }))
        throw ConfigError(where + ": a task tag must be one word, found \"" + tag + "\"");
}

std::vector<MixtureSource> readSources(const json& root, const char* section, const std::string& defaultTask,
                                       const std::string& source) {
    std::vector<MixtureSource> result;
    if (!root.contains(section) || root.at(section).is_null()) return result;
    const json& list = root.at(section);
    if (!list.is_array())
        throw FormatError(source + ": field \"" + section + "\" must be a list of sources, found " + list.type_name());
    for (std::size_t i = 0; i < list.size(); ++i) {
        const Reader reader(list[i], source + ": " + section + "[" + std::to_string(i) + "]");
        reader.requireObject({"name", "path", "count", "task"});
        MixtureSource item;
        item.name = reader.string("name");
        item.path = reader.string("path");
        item.count = reader.count("count", true);
        item.task = reader.string("task", defaultTask);
        if (item.name.empty()) throw ConfigError(reader.field("name") + ": must not be empty");
        if (item.path.empty()) throw ConfigError(reader.field("path") + ": must not be empty");
        checkTag(item.task, reader.field("task"));
        result.push_back(std::move(item));
    }
    return result;
}

DefenseSpec readDefense(const json& value, const std::string& source) {
    const Reader reader(value, source + ": defense");
    reader.requireObject({"name", "pool", "refusal", "refusals", "mode", "task", "tasks", "count", "per_task",
                          "distinct_documents"});
    DefenseSpec defense;
    defense.name = reader.string("name", std::string("defense"));
    if (defense.name.empty()) throw ConfigError(reader.field("name") + ": must not be empty");

    if (!reader.has("pool")) throw FormatError(reader.field("pool") + ": missing (the malicious documents)");
    if (reader.at("pool").is_string()) {
        defense.pool.path = reader.at("pool").get<std::string>();
    } else {
        const Reader pool(reader.at("pool"), source + ": defense.pool");
        pool.requireObject({"path", "field", "strip_task"});
        defense.pool.path = pool.string("path");
        defense.pool.field = pool.string("field", std::string("instruction"));
        defense.pool.stripTask = pool.string("strip_task", std::string("auto"));
        if (defense.pool.field != "instruction" && defense.pool.field != "input")
            throw ConfigError(pool.field("field") + ": expected \"instruction\" or \"input\", found \"" +
                              defense.pool.field + "\"");
    }
    if (defense.pool.path.empty()) throw ConfigError(source + ": defense.pool path must not be empty");

    if (reader.has("refusal") && reader.has("refusals"))
        throw ConfigError(source + ": defense: give \"refusal\" or \"refusals\", not both");
    if (reader.has("refusals")) {
        defense.refusals = reader.strings("refusals");
        if (defense.refusals.empty()) throw ConfigError(reader.field("refusals") + ": must not be empty");
    } else {
        defense.refusals = {reader.string("refusal", std::string("I'm sorry, but I cannot help with that."))};
    }
    for (const auto& refusal : defense.refusals)
        if (refusal.empty()) throw ConfigError(source + ": defense: a refusal must not be empty");

    const std::string mode = reader.string("mode", std::string(reader.has("per_task") || reader.has("tasks") ? "mixed" : "single"));
    if (mode == "single") {
        defense.mode = DefenseSpec::Mode::Single;
        if (reader.has("tasks") || reader.has("per_task"))
            throw ConfigError(source + ": defense: single mode takes \"task\" and \"count\" (\"tasks\" and "
                                       "\"per_task\" are for mode \"mixed\")");
        defense.tasks = {reader.string("task")};
        defense.count = reader.count("count", true);
        if (reader.has("distinct_documents"))
            throw ConfigError(reader.field("distinct_documents") + ": only applies to mode \"mixed\"");
    } else if (mode == "mixed") {
        defense.mode = DefenseSpec::Mode::Mixed;
        if (reader.has("task") || reader.has("count"))
            throw ConfigError(source + ": defense: mixed mode takes \"tasks\" and \"per_task\" (\"task\" and "
                                       "\"count\" are for mode \"single\")");
        defense.tasks = reader.has("tasks") ? reader.strings("tasks") : std::vector<std::string>{};
        if (defense.tasks.empty())
            for (const auto& task : paperTasks()) defense.tasks.push_back(task.name);
        defense.count = reader.count("per_task", false);
        if (reader.has("distinct_documents")) {
            if (!reader.at("distinct_documents").is_boolean())
                throw FormatError(reader.field("distinct_documents") + ": expected true or false");
            defense.distinctDocuments = reader.at("distinct_documents").get<bool>();
        }
    } else {
        throw ConfigError(reader.field("mode") + ": expected \"single\" or \"mixed\", found \"" + mode + "\"");
    }
    std::set<std::string> seen;
    for (const auto& task : defense.tasks) {
        checkTag(task, source + ": defense task");
        if (!seen.insert(task).second) throw ConfigError(source + ": defense: task \"" + task + "\" is listed twice");
    }
    return defense;
}

json sourcesJson(const std::vector<MixtureSource>& sources) {
    json list = json::array();
    for (const auto& item : sources)
        list.push_back({{"name", item.name},
                        {"path", item.path},
                        {"count", item.count ? json(*item.count) : json("all")},
                        {"task", item.task}});
    return list;
}

}  // namespace

MixtureSpec MixtureSpec::fromJson(const json& value, const std::string& source, const std::filesystem::path& baseDir) {
    const Reader reader(value, source);
    reader.requireObject({"name", "description", "seed", "template", "data_dir", "task_file", "task_separators",
                          "benign", "safety", "defense", "evaluation_files"});
    MixtureSpec spec;
    spec.source = source;
    spec.baseDir = baseDir;
    spec.name = reader.string("name", std::string());
    spec.description = reader.string("description", std::string());
    if (reader.has("seed")) spec.seed = static_cast<std::uint64_t>(reader.nonNegative("seed"));
    spec.templateName = reader.string("template", std::string("alpaca"));
    spec.dataDir = reader.string("data_dir", std::string());
    spec.taskFile = reader.string("task_file", std::string());
    if (reader.has("task_separators")) {
        const json& separators = reader.at("task_separators");
        if (!separators.is_object())
            throw FormatError(reader.field("task_separators") + ": expected an object {task: separator}");
        for (const auto& [task, separator] : separators.items()) {
            if (!separator.is_string())
                throw FormatError(reader.field("task_separators") + ": \"" + task + "\" must map to a string");
            spec.taskSeparators[task] = separator.get<std::string>();
        }
    }
    spec.benign = readSources(value, "benign", "benign", source);
    spec.safety = readSources(value, "safety", "safety_qa", source);
    if (reader.has("defense")) spec.defense = readDefense(reader.at("defense"), source);
    spec.evaluationFiles = reader.strings("evaluation_files");

    std::set<std::string> names;
    auto claim = [&](const std::string& name) {
        if (!names.insert(name).second)
            throw ConfigError(source + ": source name \"" + name + "\" is used twice (names tag every example)");
    };
    for (const auto& item : spec.benign) claim(item.name);
    for (const auto& item : spec.safety) claim(item.name);
    if (spec.defense) claim(spec.defense->name);
    if (spec.benign.empty() && spec.safety.empty() && !spec.defense)
        throw ConfigError(source + ": the mixture has no sources (give \"benign\", \"safety\" or \"defense\")");
    return spec;
}

MixtureSpec MixtureSpec::load(const std::filesystem::path& path) {
    const json value = util::readJsonFile(path);
    std::error_code error;
    const std::filesystem::path absolute = std::filesystem::absolute(path, error);
    const std::filesystem::path file = error ? path : absolute.lexically_normal();
    MixtureSpec spec = fromJson(value, file.string(), file.parent_path());
    if (spec.name.empty()) spec.name = file.stem().string();
    return spec;
}

json MixtureSpec::toJson() const {
    json result{{"name", name},
                {"description", description},
                {"seed", seed},
                {"template", templateName},
                {"data_dir", dataDir},
                {"task_file", taskFile},
                {"task_separators", taskSeparators},
                {"benign", sourcesJson(benign)},
                {"safety", sourcesJson(safety)},
                {"evaluation_files", evaluationFiles}};
    if (defense) {
        json item{{"name", defense->name},
                  {"pool", {{"path", defense->pool.path}, {"field", defense->pool.field}, {"strip_task", defense->pool.stripTask}}},
                  {"refusals", defense->refusals}};
        if (defense->mode == DefenseSpec::Mode::Single) {
            item["mode"] = "single";
            item["task"] = defense->tasks.empty() ? std::string() : defense->tasks.front();
            item["count"] = defense->count ? json(*defense->count) : json("all");
        } else {
            item["mode"] = "mixed";
            item["tasks"] = defense->tasks;
            item["per_task"] = defense->count.value_or(0);
            item["distinct_documents"] = defense->distinctDocuments;
        }
        result["defense"] = std::move(item);
    }
    return result;
}

std::filesystem::path MixtureSpec::dataFolder() const {
    const std::filesystem::path folder(dataDir);
    if (dataDir.empty()) return baseDir;
    return folder.is_absolute() ? folder : (baseDir / folder).lexically_normal();
}

std::filesystem::path MixtureSpec::resolvePath(const std::string& path) const {
    const std::filesystem::path file(path);
    return file.is_absolute() ? file : (dataFolder() / file).lexically_normal();
}

}  // namespace ctd::data
