// Evaluation suites: named sets of items per task, each harmful or benign, with a reference answer
// where one exists. Built from the authors' evaluation files (unchanged) or the tiny world's, and
// stored in the project database so every evaluation names the exact items it ran.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ctd::store {
class Database;
}

namespace ctd::eval {

struct SuiteItem {
    std::string key;          // unique in the suite, e.g. "test_summarize:12"
    std::string task;         // e.g. "summarize"
    bool harmful = false;
    std::string document;     // the document alone, when it could be separated from the instruction
    std::string instruction;  // the full instruction: document + separator + task instruction
    std::string input;        // usually "" (the authors render evaluation items with prompt_no_input)
    std::optional<std::string> reference;
};

struct SuiteSource {
    std::string file;    // file name as given
    std::string sha256;  // of the file's bytes
    std::string task;
    bool harmful = false;
    int64_t items = 0;
    bool references = false;
};

struct Suite {
    int64_t id = 0;  // 0 until stored
    std::string name;
    std::string description;
    std::vector<SuiteItem> items;
    std::vector<SuiteSource> sources;
    std::string createdAt;

    // SHA-256 over the items (keys, tasks, labels, texts, references) in order: two suites with
    // the same hash ask the same questions.
    std::string contentHash() const;
    // Task names in first-appearance order.
    std::vector<std::string> tasks() const;
    // ConfigError for an empty name, no items, an empty key or task, or a duplicate key.
    void validate() const;
};

// How one evaluation file becomes suite items. Unset fields are inferred from the file name:
// the task from a paper task name in it (test_case_cnn.json -> case); harmful for
// test_{task}.json and names with "harmful"/"malicious"/"hazard", benign for *_cnn, *_useful and
// names with "benign"/"safe".
struct SuiteFileOptions {
    std::optional<std::string> task;
    std::optional<bool> harmful;
    // Reference answers aligned with the file's instructions; when unset, a references.json
    // beside the file (the tiny world's: file name -> list) is used if it names this file.
    std::optional<std::vector<std::string>> references;
    bool lookForReferencesBeside = true;
};

// Items from one evaluation file ({"instructions": [...], "inputs": [...]}) in the authors'
// format. FormatError / ConfigError name the file and what could not be inferred.
std::vector<SuiteItem> suiteItemsFromFile(const std::filesystem::path& file, const SuiteFileOptions& options,
                                          SuiteSource* source = nullptr);
// Appends a file's items (and its source entry) to a suite.
void addSuiteFile(Suite& suite, const std::filesystem::path& file, const SuiteFileOptions& options = {});

// The tiny world's five task suites (test_{task}.json harmful, test_{task}_useful.json benign)
// with the references of references.json, from a folder `ctd world generate` wrote.
Suite worldSuite(const std::filesystem::path& worldFolder, const std::string& name);

// References from a JSON file: a list of strings (aligned with one file), or an object mapping
// file names to such lists (the tiny world's references.json). `fileName` picks the list from an
// object; nothing when the object has no such entry.
std::optional<std::vector<std::string>> readReferences(const std::filesystem::path& referencesFile,
                                                       const std::string& fileName);

// The document part of an instruction that ends with a task instruction (with or without its
// separator, tolerating small wording slips such as the authors' "3 sentence."); the whole text
// when the task instruction is not found at its end. Tasks not in the paper's list keep the text.
std::string documentOfInstruction(const std::string& instruction, const std::string& task);

// Inference used by suiteItemsFromFile, exposed for the CLI and tests.
std::optional<std::string> taskFromFileName(const std::string& fileName);
std::optional<bool> harmfulFromFileName(const std::string& fileName);

// --- storage (tables suites, suite_items)

struct SuiteSummary {
    int64_t id = 0;
    std::string name;
    std::string description;
    std::string contentHash;
    int64_t itemCount = 0;
    std::string createdAt;
    // (task, harmful) -> count, in task order.
    struct Group {
        std::string task;
        bool harmful = false;
        int64_t items = 0;
        int64_t withReference = 0;
    };
    std::vector<Group> groups;
};

// Stores a validated suite in one transaction and returns its id. A suite of the same name is a
// ConfigError unless `replace` (which deletes the old items; evaluations keep their responses).
int64_t saveSuite(store::Database& database, const Suite& suite, bool replace = false);
std::optional<Suite> findSuite(store::Database& database, const std::string& name);
Suite loadSuite(store::Database& database, const std::string& name);  // ConfigError listing names
std::vector<SuiteSummary> listSuites(store::Database& database);
bool removeSuite(store::Database& database, const std::string& name);

}  // namespace ctd::eval
