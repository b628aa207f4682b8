// Leak check of mixtures against evaluation prompts: task-instruction stripping and exact lookup.
#include "core/data/mixture_leak.h"

#include "core/data/importers.h"
#include "core/data/mixture.h"

#include <algorithm>

namespace ctd::data {
namespace {

bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string promptKey(const std::string& instruction, const std::string& input) {
    return instruction + std::string(1, '\0') + input;
}

}  // namespace

std::string trimWhitespace(const std::string& text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && isAsciiSpace(text[begin])) ++begin;
    while (end > begin && isAsciiSpace(text[end - 1])) --end;
    return text.substr(begin, end - begin);
}

std::optional<TaskPromptSplit> splitTaskPrompt(const TaskRegistry& tasks, const std::string& prompt) {
    // Longest suffix first, so a task whose instruction ends another's cannot steal its prompts.
    const TaskSpec* best = nullptr;
    std::size_t bestLength = 0;
    for (const auto& task : tasks.tasks()) {
        const std::string suffix = task.separator + task.instruction;
        if (suffix.size() > bestLength && endsWith(prompt, suffix)) {
            best = &task;
            bestLength = suffix.size();
        }
    }
    if (best) return TaskPromptSplit{best->name, prompt.substr(0, prompt.size() - bestLength)};
    // The same instruction after another separator (files written with other separators).
    std::string withoutTrailing = prompt;
    while (!withoutTrailing.empty() && isAsciiSpace(withoutTrailing.back())) withoutTrailing.pop_back();
    for (const auto& task : tasks.tasks()) {
        const std::string instruction = trimWhitespace(task.instruction);
        if (instruction.size() > bestLength && endsWith(withoutTrailing, instruction)) {
            best = &task;
            bestLength = instruction.size();
        }
    }
    if (!best) return std::nullopt;
    std::string document = withoutTrailing.substr(0, withoutTrailing.size() - bestLength);
    while (!document.empty() && isAsciiSpace(document.back())) document.pop_back();
    return TaskPromptSplit{best->name, document};
}

std::int64_t EvaluationIndex::addFile(const std::filesystem::path& path) {
    const Dataset dataset = importFile(path);
    for (const Record& record : dataset.records)
        addPrompt(record.instruction, record.input, dataset.sourcePath, record.sourceIndex);
    return static_cast<std::int64_t>(dataset.records.size());
}

void EvaluationIndex::addPrompt(const std::string& instruction, const std::string& input, const std::string& origin,
                                std::int64_t index) {
    const Origin where{origin, index};
    if (!instruction.empty() || !input.empty()) m_prompts.emplace(promptKey(instruction, input), where);
    if (auto split = splitTaskPrompt(m_tasks, instruction)) {
        const std::string document = trimWhitespace(split->document);
        if (!document.empty()) m_documents.emplace(document, where);
    }
    const std::string trimmedInput = trimWhitespace(input);
    if (!trimmedInput.empty()) m_documents.emplace(trimmedInput, where);
}

std::optional<EvaluationIndex::Hit> EvaluationIndex::findDocument(const std::string& text, const char* what) const {
    const std::string key = trimWhitespace(text);
    if (key.empty()) return std::nullopt;
    const auto found = m_documents.find(key);
    if (found == m_documents.end()) return std::nullopt;
    return Hit{found->second.origin, found->second.index, what};
}

std::optional<EvaluationIndex::Hit> EvaluationIndex::find(const MixtureExample& example) const {
    if (const auto found = m_prompts.find(promptKey(example.instruction, example.input)); found != m_prompts.end())
        return Hit{found->second.origin, found->second.index, "its instruction and input equal an evaluation prompt"};
    if (example.document)
        if (auto hit = findDocument(*example.document, "its document is an evaluation document")) return hit;
    if (auto split = splitTaskPrompt(m_tasks, example.instruction))
        if (auto hit = findDocument(split->document, "the document of its instruction is an evaluation document"))
            return hit;
    if (auto hit = findDocument(example.instruction, "its instruction is an evaluation document")) return hit;
    if (auto hit = findDocument(example.input, "its input is an evaluation document")) return hit;
    return std::nullopt;
}

}  // namespace ctd::data
