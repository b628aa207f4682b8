// NLP tasks applied to documents (the paper's five and user-defined ones): each task appends its
// instruction to the document after a separator, as the authors' evaluation prompts do.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace ctd::data {

struct TaskSpec {
    std::string name;         // short id, e.g. "summarize"
    std::string instruction;  // appended after the document, e.g. "Write the next sentence."
    std::string separator;    // between the document and the instruction, e.g. "\n"
    std::string description;
};

// The document first, then the separator, then the instruction (the authors' prompt shape).
std::string renderTaskPrompt(const TaskSpec& task, const std::string& document);

// The paper's five tasks with the authors' exact wording and separators:
// summarize, translate, sentiment, case, cloze.
std::vector<TaskSpec> paperTasks();

class TaskRegistry {
public:
    // A registry holding the paper's five tasks.
    static TaskRegistry builtin();

    // Adds tasks from a JSON file: a list of {name, instruction, separator?, description?}.
    // IoError/FormatError name the file, the record index and the field; ConfigError when a name
    // is already registered (within the file or before). Nothing is added when any record fails.
    void loadFile(const std::filesystem::path& path);
    // The same from parsed JSON; `source` names the origin in errors.
    void loadJson(const nlohmann::json& json, const std::string& source);
    // ConfigError for an empty or duplicate name or an empty instruction.
    void add(TaskSpec task);

    // ConfigError listing the known names when `name` is not registered.
    const TaskSpec& find(const std::string& name) const;
    bool contains(const std::string& name) const;
    // Changes a registered task's separator (the paper's separators are one choice of many).
    void setSeparator(const std::string& name, const std::string& separator);

    // Names in registration order (built-ins first, then files in load order).
    std::vector<std::string> names() const;
    const std::vector<TaskSpec>& tasks() const { return m_tasks; }
    // The same list format loadFile reads.
    nlohmann::json toJson() const;

private:
    std::vector<TaskSpec> m_tasks;
};

}  // namespace ctd::data
