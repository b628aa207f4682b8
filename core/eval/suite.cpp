// Evaluation suites from evaluation files, and their storage (see suite.h).
#include "core/eval/suite.h"

#include "core/data/importers.h"
#include "core/data/task.h"
#include "core/store/database.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace ctd::eval {
namespace {

// File-name tokens split at '_', '-' and '.', lower-cased ("test_case_cnn" -> test, case, cnn).
std::vector<std::string> nameTokens(const std::string& fileName) {
    const std::string stem = std::filesystem::path(fileName).stem().string();
    std::vector<std::string> tokens(1);
    for (char c : stem) {
        if (c == '_' || c == '-' || c == '.') {
            if (!tokens.back().empty()) tokens.emplace_back();
        } else {
            tokens.back().push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    if (tokens.back().empty()) tokens.pop_back();
    return tokens;
}

bool endsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string rstripAscii(const std::string& text) {
    std::size_t end = text.size();
    while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    return text.substr(0, end);
}

// The document before a task instruction found at `position`: without the separator when it is
// there, else without the whitespace that stood in for it.
std::string documentBefore(const std::string& text, std::size_t position, const std::string& separator) {
    std::string document = text.substr(0, position);
    if (!separator.empty() && endsWith(document, separator)) {
        document.resize(document.size() - separator.size());
        return document;
    }
    return rstripAscii(document);
}

const data::TaskRegistry& paperRegistry() {
    static const data::TaskRegistry registry = data::TaskRegistry::builtin();
    return registry;
}

}  // namespace

std::string Suite::contentHash() const {
    // The document is derived from the instruction, so it stays out: improving the extraction must
    // not make the same questions look like another suite.
    nlohmann::json items_ = nlohmann::json::array();
    for (const auto& item : items)
        items_.push_back({item.key, item.task, item.harmful, item.instruction, item.input,
                          item.reference ? nlohmann::json(*item.reference) : nlohmann::json()});
    return util::sha256Hex(items_.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::vector<std::string> Suite::tasks() const {
    std::vector<std::string> names;
    for (const auto& item : items)
        if (std::find(names.begin(), names.end(), item.task) == names.end()) names.push_back(item.task);
    return names;
}

void Suite::validate() const {
    if (name.empty()) throw ConfigError("evaluation suite: the name is empty");
    if (items.empty()) throw ConfigError("evaluation suite \"" + name + "\": it has no items");
    std::set<std::string> keys;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& item = items[i];
        const std::string where = "evaluation suite \"" + name + "\", item " + std::to_string(i);
        if (item.key.empty()) throw ConfigError(where + ": the key is empty");
        if (item.task.empty()) throw ConfigError(where + " (" + item.key + "): the task is empty");
        if (!keys.insert(item.key).second)
            throw ConfigError(where + ": the key \"" + item.key + "\" appears twice (was a file added twice?)");
    }
}

std::optional<std::string> taskFromFileName(const std::string& fileName) {
    for (const std::string& token : nameTokens(fileName))
        for (const std::string& task : paperRegistry().names())
            if (token == task) return task;
    return std::nullopt;
}

std::optional<bool> harmfulFromFileName(const std::string& fileName) {
    const auto tokens = nameTokens(fileName);
    auto has = [&](std::initializer_list<const char*> words) {
        for (const auto& token : tokens)
            for (const char* word : words)
                if (token == word) return true;
        return false;
    };
    if (has({"cnn", "useful", "benign", "safe"})) return false;
    if (has({"harmful", "malicious", "hazard", "unsafe"})) return true;
    // The authors' malicious files are plain test_{task}.json.
    if (tokens.size() == 2 && tokens[0] == "test" && taskFromFileName(fileName)) return true;
    return std::nullopt;
}

std::string documentOfInstruction(const std::string& instruction, const std::string& task) {
    if (!paperRegistry().contains(task)) return instruction;
    const data::TaskSpec& spec = paperRegistry().find(task);
    if (endsWith(instruction, spec.separator + spec.instruction))
        return instruction.substr(0, instruction.size() - spec.separator.size() - spec.instruction.size());
    const std::string text = rstripAscii(instruction);
    const std::string wording = rstripAscii(spec.instruction);
    if (endsWith(text, wording)) return documentBefore(text, text.size() - wording.size(), spec.separator);
    // Wording slips ("3 sentence."): look for the instruction's first three words near the end.
    std::size_t cut = 0;
    for (int spaces = 0; cut < wording.size() && spaces < 3; ++cut)
        if (wording[cut] == ' ') ++spaces;
    const std::string head = wording.substr(0, cut);
    const std::size_t position = text.rfind(head);
    if (head.size() >= 8 && position != std::string::npos && text.size() - position <= wording.size() + 16)
        return documentBefore(text, position, spec.separator);
    return instruction;
}

std::optional<std::vector<std::string>> readReferences(const std::filesystem::path& referencesFile,
                                                       const std::string& fileName) {
    const nlohmann::json json = util::readJsonFile(referencesFile);
    const nlohmann::json* list = &json;
    std::string where = referencesFile.string();
    if (json.is_object()) {
        const auto found = json.find(fileName);
        if (found == json.end()) return std::nullopt;
        list = &*found;
        where += ", entry \"" + fileName + "\"";
    }
    if (!list->is_array())
        throw FormatError(where + ": expected a list of reference strings (or an object of file name -> list)");
    std::vector<std::string> references;
    for (std::size_t i = 0; i < list->size(); ++i) {
        if (!(*list)[i].is_string())
            throw FormatError(where + ", reference " + std::to_string(i) + ": expected a string");
        references.push_back((*list)[i].get<std::string>());
    }
    return references;
}

std::vector<SuiteItem> suiteItemsFromFile(const std::filesystem::path& file, const SuiteFileOptions& options,
                                          SuiteSource* source) {
    const std::string fileName = file.filename().string();
    const std::optional<std::string> task = options.task ? options.task : taskFromFileName(fileName);
    if (!task || task->empty())
        throw ConfigError(file.string() + ": cannot tell the task from the file name; give it (e.g. --task summarize)");
    const std::optional<bool> harmful = options.harmful ? options.harmful : harmfulFromFileName(fileName);
    if (!harmful)
        throw ConfigError(file.string() +
                          ": cannot tell from the file name whether its documents are harmful; say --harmful or --benign");

    data::ImportOptions import;
    import.kind = "eval";
    const data::Dataset dataset = data::importFile(file, import);

    std::optional<std::vector<std::string>> references = options.references;
    if (!references && options.lookForReferencesBeside) {
        const auto beside = file.parent_path() / "references.json";
        if (std::filesystem::exists(beside)) references = readReferences(beside, fileName);
    }
    if (references && references->size() != dataset.records.size())
        throw ConfigError(file.string() + ": " + std::to_string(dataset.records.size()) + " instructions but " +
                          std::to_string(references->size()) + " reference answers; expected one per instruction");

    const std::string stem = file.stem().string();
    std::vector<SuiteItem> items;
    items.reserve(dataset.records.size());
    for (std::size_t i = 0; i < dataset.records.size(); ++i) {
        const auto& record = dataset.records[i];
        SuiteItem item;
        item.key = stem + ":" + std::to_string(i);
        item.task = *task;
        item.harmful = *harmful;
        item.instruction = record.instruction;
        item.input = record.input;
        item.document = documentOfInstruction(record.instruction, *task);
        if (references) item.reference = (*references)[i];
        items.push_back(std::move(item));
    }
    if (source) *source = {fileName, dataset.contentHash, *task, *harmful, static_cast<int64_t>(items.size()),
                           references.has_value()};
    return items;
}

void addSuiteFile(Suite& suite, const std::filesystem::path& file, const SuiteFileOptions& options) {
    SuiteSource source;
    auto items = suiteItemsFromFile(file, options, &source);
    suite.items.insert(suite.items.end(), std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
    suite.sources.push_back(std::move(source));
}

Suite worldSuite(const std::filesystem::path& worldFolder, const std::string& name) {
    Suite suite;
    suite.name = name;
    suite.description = "tiny world: hazard and benign documents for the five paper tasks (" + worldFolder.string() + ")";
    const auto references = worldFolder / "references.json";
    if (!std::filesystem::exists(references))
        throw IoError(references.string() + ": missing; is " + worldFolder.string() +
                      " a folder written by `ctd world generate`?");
    for (bool harmful : {true, false}) {
        for (const auto& task : paperRegistry().names()) {
            const auto file = worldFolder / ("test_" + task + (harmful ? "" : "_useful") + ".json");
            SuiteFileOptions options;
            options.task = task;
            options.harmful = harmful;
            options.references = readReferences(references, file.filename().string());
            if (!options.references)
                throw FormatError(references.string() + ": no reference answers for " + file.filename().string());
            addSuiteFile(suite, file, options);
        }
    }
    return suite;
}

// --- storage

int64_t saveSuite(store::Database& database, const Suite& suite, bool replace) {
    suite.validate();
    store::Transaction transaction(database);
    store::Statement existing = database.prepare("SELECT id FROM suites WHERE name = ?");
    existing.bind(1, suite.name);
    if (existing.step()) {
        if (!replace)
            throw ConfigError(database.path().string() + ": a suite named \"" + suite.name +
                              "\" exists; choose another name or replace it");
        store::Statement remove = database.prepare("DELETE FROM suites WHERE id = ?");
        remove.bind(1, existing.columnInt(0)).execute();
    }
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& s : suite.sources)
        sources.push_back({{"file", s.file}, {"sha256", s.sha256}, {"task", s.task}, {"harmful", s.harmful},
                           {"items", s.items}, {"references", s.references}});
    store::Statement insert = database.prepare(
        "INSERT INTO suites (name, description, content_hash, item_count, sources_json) VALUES (?, ?, ?, ?, ?)");
    insert.bind(1, suite.name).bind(2, suite.description).bind(3, suite.contentHash());
    insert.bind(4, static_cast<int64_t>(suite.items.size())).bind(5, sources.dump()).execute();
    const int64_t id = database.lastInsertId();
    store::Statement item = database.prepare(
        "INSERT INTO suite_items (suite_id, idx, item_key, task, harmful, document, instruction, input, reference) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (std::size_t i = 0; i < suite.items.size(); ++i) {
        const auto& it = suite.items[i];
        item.bind(1, id).bind(2, static_cast<int64_t>(i)).bind(3, it.key).bind(4, it.task).bind(5, it.harmful ? 1 : 0);
        item.bind(6, it.document).bind(7, it.instruction).bind(8, it.input).bind(9, it.reference).execute();
        item.reset();
    }
    transaction.commit();
    return id;
}

std::optional<Suite> findSuite(store::Database& database, const std::string& name) {
    store::Statement head = database.prepare(
        "SELECT id, name, description, sources_json, created_at FROM suites WHERE name = ?");
    head.bind(1, name);
    if (!head.step()) return std::nullopt;
    Suite suite;
    suite.id = head.columnInt(0);
    suite.name = head.columnText(1);
    suite.description = head.columnText(2);
    const auto sources = nlohmann::json::parse(head.columnText(3), nullptr, false);
    const std::string where = "suite '" + name + "' sources";
    if (sources.is_array())
        for (const auto& s : sources)
            suite.sources.push_back({util::optionalField<std::string>(s, "file", "", where),
                                     util::optionalField<std::string>(s, "sha256", "", where),
                                     util::optionalField<std::string>(s, "task", "", where),
                                     util::optionalField<bool>(s, "harmful", false, where),
                                     util::optionalField<int64_t>(s, "items", 0, where),
                                     util::optionalField<bool>(s, "references", false, where)});
    suite.createdAt = head.columnText(4);
    store::Statement items = database.prepare(
        "SELECT item_key, task, harmful, document, instruction, input, reference FROM suite_items "
        "WHERE suite_id = ? ORDER BY idx");
    items.bind(1, suite.id);
    while (items.step()) {
        SuiteItem item;
        item.key = items.columnText(0);
        item.task = items.columnText(1);
        item.harmful = items.columnInt(2) != 0;
        item.document = items.columnText(3);
        item.instruction = items.columnText(4);
        item.input = items.columnText(5);
        item.reference = items.columnOptionalText(6);
        suite.items.push_back(std::move(item));
    }
    return suite;
}

Suite loadSuite(store::Database& database, const std::string& name) {
    if (auto suite = findSuite(database, name)) return std::move(*suite);
    std::string known;
    for (const auto& summary : listSuites(database)) known += (known.empty() ? "" : ", ") + summary.name;
    throw ConfigError(database.path().string() + ": no evaluation suite named \"" + name + "\"" +
                      (known.empty() ? std::string("; create one with `ctd suite create`") : "; known: " + known));
}

std::vector<SuiteSummary> listSuites(store::Database& database) {
    std::vector<SuiteSummary> list;
    store::Statement s = database.prepare(
        "SELECT id, name, description, content_hash, item_count, created_at FROM suites ORDER BY id");
    while (s.step())
        list.push_back({s.columnInt(0), s.columnText(1), s.columnText(2), s.columnText(3), s.columnInt(4),
                        s.columnText(5), {}});
    store::Statement groups = database.prepare(
        "SELECT task, harmful, COUNT(*), COUNT(reference), MIN(idx) AS first FROM suite_items WHERE suite_id = ? "
        "GROUP BY task, harmful ORDER BY first");
    for (auto& summary : list) {
        groups.bind(1, summary.id);
        while (groups.step())
            summary.groups.push_back({groups.columnText(0), groups.columnInt(1) != 0, groups.columnInt(2),
                                      groups.columnInt(3)});
        groups.reset();
    }
    return list;
}

bool removeSuite(store::Database& database, const std::string& name) {
    store::Statement s = database.prepare("DELETE FROM suites WHERE name = ?");
    s.bind(1, name).execute();
    return database.changes() > 0;
}

}  // namespace ctd::eval
