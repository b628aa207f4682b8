// Task registry: the paper's five tasks, user tasks from JSON, lookup with actionable errors.
#include "core/data/task.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <algorithm>

namespace ctd::data {

namespace {

std::string describeRecord(const std::string& source, std::size_t index) {
    return source + ": task [" + std::to_string(index) + "]";
}

std::string stringField(const nlohmann::json& record, const char* field, bool required,
                        const std::string& where) {
    if (!record.contains(field)) {
        if (required) throw FormatError(where + ": missing field \"" + std::string(field) + "\"");
        return {};
    }
    const auto& value = record.at(field);
    if (!value.is_string())
        throw FormatError(where + ": field \"" + std::string(field) + "\" must be a string, found " +
                          value.type_name());
    return value.get<std::string>();
}

bool hasWhitespace(const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

std::string renderTaskPrompt(const TaskSpec& task, const std::string& document) {
    return document + task.separator + task.instruction;
}

std::vector<TaskSpec> paperTasks() {
    // Wording and separators exactly as in the authors' evaluation files; note the trailing space
    // of translate and that summarize/translate follow the document with no separator at all.
    return {
        {"summarize", "Summarize the above article briefly in 3 sentences.", "",
         "Summarization: a short summary of the document."},
        {"translate", "Translate the above article from English to Chinese: ", "",
         "Translation of the document from English to Chinese."},
        {"sentiment", "How would you describe the sentiment of this document?", "\n",
         "Sentiment analysis: the polarity of the document."},
        {"case", "Write the above sentence using proper case.", "\n",
         "Case conversion: the document rewritten in proper case."},
        {"cloze", "Write the next sentence.", "\n\n", "Cloze: the sentence that follows the document."},
    };
}

TaskRegistry TaskRegistry::builtin() {
    TaskRegistry registry;
    for (auto& task : paperTasks()) registry.add(std::move(task));
    return registry;
}

void TaskRegistry::add(TaskSpec task) {
    if (task.name.empty()) throw ConfigError("task name must not be empty");
    if (hasWhitespace(task.name))
        throw ConfigError("task name \"" + task.name + "\" must not contain whitespace");
    if (task.instruction.empty()) throw ConfigError("task \"" + task.name + "\": instruction must not be empty");
    if (contains(task.name)) throw ConfigError("task \"" + task.name + "\" is already defined");
    m_tasks.push_back(std::move(task));
}

void TaskRegistry::loadJson(const nlohmann::json& json, const std::string& source) {
    if (!json.is_array())
        throw FormatError(source + ": expected a JSON list of tasks ({name, instruction, separator?, "
                                   "description?}), found " +
                          std::string(json.type_name()));
    // Validate everything first so a bad file leaves the registry as it was.
    TaskRegistry staged = *this;
    for (std::size_t index = 0; index < json.size(); ++index) {
        const auto& record = json[index];
        const std::string where = describeRecord(source, index);
        if (!record.is_object()) throw FormatError(where + ": expected an object, found " + record.type_name());
        TaskSpec task;
        task.name = stringField(record, "name", true, where);
        task.instruction = stringField(record, "instruction", true, where);
        task.separator = stringField(record, "separator", false, where);
        task.description = stringField(record, "description", false, where);
        for (const auto& [key, value] : record.items()) {
            if (key != "name" && key != "instruction" && key != "separator" && key != "description")
                throw FormatError(where + ": unknown field \"" + key +
                                  "\" (expected name, instruction, separator, description)");
        }
        try {
            staged.add(std::move(task));
        } catch (const ConfigError& error) {
            throw ConfigError(where + ": " + error.what());
        }
    }
    *this = std::move(staged);
}

void TaskRegistry::loadFile(const std::filesystem::path& path) {
    loadJson(util::readJsonFile(path), path.string());
}

bool TaskRegistry::contains(const std::string& name) const {
    return std::any_of(m_tasks.begin(), m_tasks.end(), [&](const TaskSpec& task) { return task.name == name; });
}

const TaskSpec& TaskRegistry::find(const std::string& name) const {
    for (const auto& task : m_tasks)
        if (task.name == name) return task;
    std::string known;
    for (const auto& task : m_tasks) known += (known.empty() ? "" : ", ") + task.name;
    throw ConfigError("unknown task \"" + name + "\" (known tasks: " + (known.empty() ? "none" : known) + ")");
}

void TaskRegistry::setSeparator(const std::string& name, const std::string& separator) {
    find(name);  // the error listing known names
    for (auto& task : m_tasks)
        if (task.name == name) task.separator = separator;
}

std::vector<std::string> TaskRegistry::names() const {
    std::vector<std::string> result;
    result.reserve(m_tasks.size());
    for (const auto& task : m_tasks) result.push_back(task.name);
    return result;
}

nlohmann::json TaskRegistry::toJson() const {
    auto list = nlohmann::json::array();
    for (const auto& task : m_tasks)
        list.push_back({{"name", task.name},
                        {"instruction", task.instruction},
                        {"separator", task.separator},
                        {"description", task.description}});
    return list;
}

}  // namespace ctd::data
