// The leak check of mixtures: no document used for evaluation may appear in training data.
// Evaluation prompts are document + separator + task instruction, so the document is recovered
// by stripping a registered task's instruction, then compared exactly (surrounding whitespace
// aside) with every training example's document, instruction and input.
#pragma once
#include "core/data/task.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ctd::data {

struct MixtureExample;

struct TaskPromptSplit {
    std::string task;
    std::string document;
};

// The task whose separator + instruction ends `prompt` (the longest such suffix wins), and the
// document before it. Failing that, a prompt that ends with a task's instruction alone (another
// separator) gives the text before it with trailing whitespace removed. Nothing when no task fits.
std::optional<TaskPromptSplit> splitTaskPrompt(const TaskRegistry& tasks, const std::string& prompt);

// Leading and trailing ASCII whitespace removed.
std::string trimWhitespace(const std::string& text);

class EvaluationIndex {
public:
    explicit EvaluationIndex(TaskRegistry tasks) : m_tasks(std::move(tasks)) {}

    // An evaluation file of any importable kind (authors' {"instructions": [...]}, Alpaca...).
    // Returns the number of prompts indexed.
    std::int64_t addFile(const std::filesystem::path& path);
    // One evaluation prompt (its document is stripped of a task instruction) with its input.
    void addPrompt(const std::string& instruction, const std::string& input, const std::string& origin,
                   std::int64_t index);

    struct Hit {
        std::string origin;  // the evaluation file (or "evaluation documents")
        std::int64_t index = 0;
        std::string what;    // which part of the training example matched
    };
    // The first evaluation item the example reveals: its document, its instruction's document,
    // its instruction or its input equal to an evaluation document, or its instruction + input
    // equal to an evaluation prompt.
    std::optional<Hit> find(const MixtureExample& example) const;

    std::size_t documentCount() const { return m_documents.size(); }
    std::size_t promptCount() const { return m_prompts.size(); }

private:
    struct Origin {
        std::string origin;
        std::int64_t index = 0;
    };
    std::optional<Hit> findDocument(const std::string& text, const char* what) const;

    TaskRegistry m_tasks;
    std::unordered_map<std::string, Origin> m_documents;  // trimmed documents
    std::unordered_map<std::string, Origin> m_prompts;    // instruction + '\0' + input
};

}  // namespace ctd::data
