// Database merge (see merge.h). Rows are copied value for value with SQLite's own value objects,
// over the columns both schemas have, so an input from an older ctd merges too.
#include "core/experiment/merge.h"

#include "core/store/database.h"
#include "core/store/migrations.h"
#include "core/util/error.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

namespace ctd::experiment {

namespace fs = std::filesystem;

namespace {

using Value = std::variant<std::nullptr_t, int64_t, std::string>;

class Statement {
public:
    Statement(sqlite3* database, const std::string& sql) : m_sql(sql) {
        if (sqlite3_prepare_v2(database, sql.c_str(), -1, &m_statement, nullptr) != SQLITE_OK)
            throw IoError("database merge: cannot prepare \"" + sql + "\": " + sqlite3_errmsg(database));
        m_database = database;
    }
    ~Statement() { sqlite3_finalize(m_statement); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool step() {
        const int code = sqlite3_step(m_statement);
        if (code == SQLITE_ROW) return true;
        if (code == SQLITE_DONE) return false;
        throw IoError("database merge: \"" + m_sql + "\" failed: " + sqlite3_errmsg(m_database));
    }
    void reset() {
        sqlite3_reset(m_statement);
        sqlite3_clear_bindings(m_statement);
    }
    void bind(int index, const Value& value) {
        if (std::holds_alternative<std::nullptr_t>(value)) sqlite3_bind_null(m_statement, index);
        else if (const auto* number = std::get_if<int64_t>(&value)) sqlite3_bind_int64(m_statement, index, *number);
        else {
            const auto& text = std::get<std::string>(value);
            sqlite3_bind_text(m_statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
        }
    }
    void bindValue(int index, sqlite3_value* value) { sqlite3_bind_value(m_statement, index, value); }
    int64_t integer(int column) const { return sqlite3_column_int64(m_statement, column); }
    bool isNull(int column) const { return sqlite3_column_type(m_statement, column) == SQLITE_NULL; }
    std::string text(int column) const {
        const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
        return bytes ? std::string(bytes, static_cast<std::size_t>(sqlite3_column_bytes(m_statement, column))) : "";
    }
    sqlite3_value* value(int column) const { return sqlite3_column_value(m_statement, column); }

private:
    sqlite3* m_database = nullptr;
    sqlite3_stmt* m_statement = nullptr;
    std::string m_sql;
};

std::vector<std::string> columnsOf(sqlite3* database, const std::string& table) {
    Statement s(database, "PRAGMA table_info(" + table + ")");
    std::vector<std::string> columns;
    while (s.step()) columns.push_back(s.text(1));
    return columns;
}

std::set<std::string> tablesOf(sqlite3* database) {
    Statement s(database, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
    std::set<std::string> tables;
    while (s.step()) tables.insert(s.text(0));
    return tables;
}

// One table copied from the input to the output: the columns both have (without "id"), read in a
// SELECT whose first column is the input's id (or rowid) and written by an INSERT.
class TableCopy {
public:
    TableCopy(sqlite3* input, sqlite3* output, const std::string& table, const std::string& where = "")
        : m_table(table) {
        const auto inputColumns = columnsOf(input, table);
        const auto outputColumns = columnsOf(output, table);
        for (const auto& column : inputColumns)
            if (column != "id" && std::find(outputColumns.begin(), outputColumns.end(), column) != outputColumns.end())
                m_columns.push_back(column);
        const bool hasId = std::find(inputColumns.begin(), inputColumns.end(), "id") != inputColumns.end();
        std::string select = std::string("SELECT ") + (hasId ? "id" : "rowid");
        std::string insert = "INSERT INTO " + table + " (";
        std::string placeholders;
        for (std::size_t i = 0; i < m_columns.size(); ++i) {
            select += ", " + m_columns[i];
            insert += (i ? ", " : "") + m_columns[i];
            placeholders += i ? ", ?" : "?";
        }
        select += " FROM " + table + (where.empty() ? "" : " WHERE " + where) + " ORDER BY " + (hasId ? "id" : "rowid");
        m_select = std::make_unique<Statement>(input, select);
        m_insert = std::make_unique<Statement>(output, insert + ") VALUES (" + placeholders + ")");
        m_output = output;
    }

    bool next() { return m_select->step(); }
    int64_t id() const { return m_select->integer(0); }
    bool has(const std::string& column) const { return index(column) >= 0; }
    std::string text(const std::string& column) const { return has(column) ? m_select->text(index(column) + 1) : ""; }
    std::optional<int64_t> integer(const std::string& column) const {
        if (!has(column) || m_select->isNull(index(column) + 1)) return std::nullopt;
        return m_select->integer(index(column) + 1);
    }
    sqlite3_value* value(const std::string& column) const { return m_select->value(index(column) + 1); }
    // Inserts the current row with some columns replaced; returns the new rowid.
    int64_t insert(const std::map<std::string, Value>& overrides = {}) {
        for (std::size_t i = 0; i < m_columns.size(); ++i) {
            const auto found = overrides.find(m_columns[i]);
            if (found != overrides.end()) m_insert->bind(static_cast<int>(i) + 1, found->second);
            else m_insert->bindValue(static_cast<int>(i) + 1, m_select->value(static_cast<int>(i) + 1));
        }
        m_insert->step();
        m_insert->reset();
        return sqlite3_last_insert_rowid(m_output);
    }

private:
    int index(const std::string& column) const {
        const auto found = std::find(m_columns.begin(), m_columns.end(), column);
        return found == m_columns.end() ? -1 : static_cast<int>(found - m_columns.begin());
    }

    std::string m_table;
    std::vector<std::string> m_columns;
    std::unique_ptr<Statement> m_select, m_insert;
    sqlite3* m_output = nullptr;
};

std::optional<int64_t> lookup(sqlite3* database, const std::string& sql, const std::vector<Value>& values) {
    Statement s(database, sql);
    for (std::size_t i = 0; i < values.size(); ++i) s.bind(static_cast<int>(i) + 1, values[i]);
    if (!s.step() || s.isNull(0)) return std::nullopt;
    return s.integer(0);
}

Value optionalValue(const std::optional<int64_t>& value) { return value ? Value(*value) : Value(nullptr); }

class InputMerge {
public:
    InputMerge(sqlite3* input, store::Database& output, const fs::path& inputPath, MergeReport& report)
        : m_in(input), m_out(output.handle()), m_path(fs::absolute(inputPath).string()), m_report(report) {}

    void run() {
        const auto tables = tablesOf(m_in);
        static const std::vector<std::string> known = {
            "schema_version", "datasets", "records", "suites", "suite_items", "scorers", "runs", "run_metrics",
            "evaluations", "responses", "scores", "experiments", "experiment_cells"};
        for (const auto& table : tables) {
            if (std::find(known.begin(), known.end(), table) != known.end()) continue;
            Statement count(m_in, "SELECT COUNT(*) FROM " + table);
            if (count.step() && count.integer(0) > 0)
                m_report.notes.push_back(m_path + ": table " + table + " is not merged (unknown to this ctd)");
        }
        auto present = [&](const char* table) { return tables.count(table) > 0; };
        if (present("datasets")) datasets(present("records"));
        if (present("suites")) suites(present("suite_items"));
        if (present("scorers")) scorers();
        if (present("runs")) runs(present("run_metrics"));
        if (present("evaluations")) evaluations(present("responses"), present("scores"));
        if (present("experiments")) experiments(present("experiment_cells"));
    }

private:
    MergeCounts& counts(const std::string& table) { return m_report.tables[table]; }

    void datasets(bool withRecords) {
        TableCopy rows(m_in, m_out, "datasets");
        std::set<int64_t> inserted;
        while (rows.next()) {
            const auto existing = lookup(m_out, "SELECT id FROM datasets WHERE kind = ? AND content_hash = ?",
                                         {rows.text("kind"), rows.text("content_hash")});
            if (existing) {
                m_datasets[rows.id()] = *existing;
                ++counts("datasets").skipped;
                continue;
            }
            m_datasets[rows.id()] = rows.insert();
            inserted.insert(rows.id());
            ++counts("datasets").inserted;
        }
        if (!withRecords) return;
        TableCopy records(m_in, m_out, "records");
        while (records.next()) {
            const auto dataset = records.integer("dataset_id");
            if (!dataset || !inserted.count(*dataset)) {
                ++counts("records").skipped;
                continue;
            }
            records.insert({{"dataset_id", m_datasets[*dataset]}});
            ++counts("records").inserted;
        }
    }

    void suites(bool withItems) {
        TableCopy rows(m_in, m_out, "suites");
        std::set<int64_t> inserted;
        while (rows.next()) {
            const std::string name = rows.text("name");
            const std::string hash = rows.text("content_hash");
            std::string target = name;
            auto existing = lookup(m_out, "SELECT id FROM suites WHERE name = ? AND content_hash = ?", {name, hash});
            if (!existing && lookup(m_out, "SELECT id FROM suites WHERE name = ?", {name})) {
                target = name + "@" + hash.substr(0, 8);
                existing = lookup(m_out, "SELECT id FROM suites WHERE name = ? AND content_hash = ?", {target, hash});
                if (!existing)
                    m_report.notes.push_back(m_path + ": suite \"" + name + "\" differs from the one already merged; stored as \"" +
                                             target + "\"");
            }
            m_suiteNames[name] = target;
            if (existing) {
                m_suites[rows.id()] = *existing;
                ++counts("suites").skipped;
                continue;
            }
            m_suites[rows.id()] = rows.insert({{"name", target}});
            inserted.insert(rows.id());
            ++counts("suites").inserted;
        }
        if (!withItems) return;
        TableCopy items(m_in, m_out, "suite_items");
        while (items.next()) {
            const auto suite = items.integer("suite_id");
            if (!suite || !inserted.count(*suite)) {
                ++counts("suite_items").skipped;
                continue;
            }
            items.insert({{"suite_id", m_suites[*suite]}});
            ++counts("suite_items").inserted;
        }
    }

    void scorers() {
        TableCopy rows(m_in, m_out, "scorers");
        while (rows.next()) {
            Statement existing(m_out, "SELECT content_hash FROM scorers WHERE name = ? AND version = ?");
            existing.bind(1, rows.text("name"));
            existing.bind(2, rows.text("version"));
            if (existing.step()) {
                if (existing.text(0) != rows.text("content_hash"))
                    m_report.notes.push_back(m_path + ": scorer " + rows.text("name") + "@" + rows.text("version") +
                                             " has another definition than the one already merged (kept the first)");
                ++counts("scorers").skipped;
                continue;
            }
            rows.insert();
            ++counts("scorers").inserted;
        }
    }

    void runs(bool withMetrics) {
        TableCopy rows(m_in, m_out, "runs");
        while (rows.next()) {
            std::optional<int64_t> existing;
            const auto cellHash = rows.has("cell_hash") ? std::optional<std::string>(rows.text("cell_hash")) : std::nullopt;
            if (cellHash && !cellHash->empty()) {
                Statement s(m_out, "SELECT id, state FROM runs WHERE cell_hash = ? ORDER BY id DESC LIMIT 1");
                s.bind(1, *cellHash);
                // A finished run replaces an unfinished one of the same cell (the newest counts).
                if (s.step() && (s.text(1) == "completed" || rows.text("state") != "completed")) existing = s.integer(0);
            } else {
                existing = lookup(m_out,
                                  "SELECT id FROM runs WHERE cell_hash IS NULL AND kind = ? AND name = ? AND "
                                  "created_at = ? AND spec_json = ?",
                                  {rows.text("kind"), rows.text("name"), rows.text("created_at"), rows.text("spec_json")});
            }
            if (existing) {
                m_runs[rows.id()] = *existing;
                ++counts("runs").skipped;
                continue;
            }
            nlohmann::json provenance = nlohmann::json::parse(rows.text("provenance_json"), nullptr, false);
            if (!provenance.is_object()) provenance = nlohmann::json::object();
            provenance["merged_from"] = {{"database", m_path}, {"run_id", rows.id()}};
            m_runs[rows.id()] = rows.insert({{"provenance_json", provenance.dump()}});
            m_newRuns.insert(rows.id());
            ++counts("runs").inserted;
        }
        if (!withMetrics) return;
        TableCopy metrics(m_in, m_out, "run_metrics");
        while (metrics.next()) {
            const auto run = metrics.integer("run_id");
            if (!run || !m_newRuns.count(*run)) {
                ++counts("run_metrics").skipped;
                continue;
            }
            metrics.insert({{"run_id", m_runs[*run]}});
            ++counts("run_metrics").inserted;
        }
    }

    void evaluations(bool withResponses, bool withScores) {
        TableCopy rows(m_in, m_out, "evaluations");
        std::map<int64_t, int64_t> evaluationMap;
        while (rows.next()) {
            const auto run = rows.integer("run_id");
            if (!run || !m_runs.count(*run)) {
                ++counts("evaluations").skipped;
                continue;
            }
            const int64_t runId = m_runs[*run];
            std::string suite = rows.text("suite");
            if (auto renamed = m_suiteNames.find(suite); renamed != m_suiteNames.end()) suite = renamed->second;
            if (!m_newRuns.count(*run) &&
                lookup(m_out,
                       "SELECT id FROM evaluations WHERE run_id = ? AND suite = ? AND settings_hash = ? AND "
                       "state = 'completed'",
                       {runId, suite, rows.text("settings_hash")})) {
                ++counts("evaluations").skipped;
                continue;
            }
            evaluationMap[rows.id()] = rows.insert({{"run_id", runId}, {"suite", suite}});
            ++counts("evaluations").inserted;
        }
        if (!withResponses) return;
        std::map<int64_t, int64_t> responseMap;
        TableCopy responses(m_in, m_out, "responses");
        while (responses.next()) {
            const auto evaluation = responses.integer("evaluation_id");
            if (!evaluation || !evaluationMap.count(*evaluation)) {
                ++counts("responses").skipped;
                continue;
            }
            responseMap[responses.id()] = responses.insert({{"evaluation_id", evaluationMap[*evaluation]}});
            ++counts("responses").inserted;
        }
        if (!withScores) return;
        TableCopy scores(m_in, m_out, "scores");
        while (scores.next()) {
            const auto response = scores.integer("response_id");
            if (!response || !responseMap.count(*response)) {
                ++counts("scores").skipped;
                continue;
            }
            scores.insert({{"response_id", responseMap[*response]}});
            ++counts("scores").inserted;
        }
    }

    void experiments(bool withCells) {
        TableCopy rows(m_in, m_out, "experiments");
        std::map<int64_t, int64_t> experimentMap;
        while (rows.next()) {
            if (auto existing = lookup(m_out, "SELECT id FROM experiments WHERE name = ?", {rows.text("name")})) {
                experimentMap[rows.id()] = *existing;
                ++counts("experiments").skipped;
                continue;
            }
            experimentMap[rows.id()] = rows.insert();
            ++counts("experiments").inserted;
        }
        if (!withCells) return;
        TableCopy cells(m_in, m_out, "experiment_cells");
        while (cells.next()) {
            const auto experiment = cells.integer("experiment_id");
            if (!experiment || !experimentMap.count(*experiment)) continue;
            const int64_t experimentId = experimentMap[*experiment];
            const auto run = cells.integer("run_id");
            const std::optional<int64_t> runId =
                run && m_runs.count(*run) ? std::optional<int64_t>(m_runs[*run]) : std::nullopt;
            // A cell running in the input is not running in the merged database.
            std::string state = cells.text("state");
            if (state == "running") state = "pending";
            Statement existing(m_out, "SELECT id, state FROM experiment_cells WHERE experiment_id = ? AND cell_hash = ?");
            existing.bind(1, experimentId);
            existing.bind(2, cells.text("cell_hash"));
            if (existing.step()) {
                if (existing.text(1) != "done" && state == "done") {
                    Statement update(m_out,
                                     "UPDATE experiment_cells SET state = 'done', stage = '', worker = '', run_id = ?, "
                                     "message = ?, seconds = ?, finished_at = ? WHERE id = ?");
                    update.bind(1, optionalValue(runId));
                    update.bind(2, cells.text("message"));
                    if (cells.has("seconds")) update.bindValue(3, cells.value("seconds"));
                    else update.bind(3, Value(int64_t{0}));
                    update.bind(4, cells.text("finished_at"));
                    update.bind(5, existing.integer(0));
                    update.step();
                    ++counts("experiment_cells").inserted;
                } else {
                    ++counts("experiment_cells").skipped;
                }
                continue;
            }
            cells.insert({{"experiment_id", experimentId}, {"run_id", optionalValue(runId)}, {"state", state},
                          {"worker", std::string()}, {"stage", std::string()}});
            ++counts("experiment_cells").inserted;
        }
    }

    sqlite3* m_in;
    sqlite3* m_out;
    std::string m_path;
    MergeReport& m_report;
    std::map<int64_t, int64_t> m_datasets, m_suites, m_runs;
    std::set<int64_t> m_newRuns;
    std::map<std::string, std::string> m_suiteNames;
};

class InputDatabase {
public:
    explicit InputDatabase(const fs::path& path) {
        if (!fs::exists(path)) throw IoError(path.string() + ": no such database");
        if (sqlite3_open_v2(path.string().c_str(), &m_database, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
            const std::string message = m_database ? sqlite3_errmsg(m_database) : "out of memory";
            sqlite3_close(m_database);
            throw IoError(path.string() + ": cannot open read-only: " + message);
        }
        sqlite3_busy_timeout(m_database, 5000);
    }
    ~InputDatabase() { sqlite3_close(m_database); }
    InputDatabase(const InputDatabase&) = delete;
    InputDatabase& operator=(const InputDatabase&) = delete;
    sqlite3* handle() const { return m_database; }

private:
    sqlite3* m_database = nullptr;
};

}  // namespace

std::string MergeReport::text() const {
    std::ostringstream out;
    out << "merged " << inputs.size() << " database" << (inputs.size() == 1 ? "" : "s") << "\n";
    for (const auto& [table, count] : tables)
        out << "  " << table << ": " << count.inserted << " added, " << count.skipped << " already there\n";
    for (const auto& note : notes) out << "note: " << note << "\n";
    return out.str();
}

MergeReport mergeDatabases(const fs::path& output, const std::vector<fs::path>& inputs,
                           const std::function<void(const std::string&)>& onMessage) {
    if (inputs.empty()) throw ConfigError("db merge: give at least one input database");
    store::Database out(output);
    const int known = static_cast<int>(store::migrations().size());
    MergeReport report;
    for (const auto& input : inputs) {
        std::error_code error;
        if (fs::exists(input) && fs::equivalent(input, output, error))
            throw ConfigError("db merge: " + input.string() + " is the output database itself");
        InputDatabase in(input);
        const auto tables = tablesOf(in.handle());
        if (!tables.count("schema_version") || !tables.count("runs"))
            throw ConfigError(input.string() + ": not a ctd project database (no schema_version or runs table)");
        {
            Statement version(in.handle(), "SELECT COALESCE(MAX(version), 0) FROM schema_version");
            version.step();
            if (version.integer(0) > known)
                throw ConfigError(input.string() + ": schema version " + std::to_string(version.integer(0)) +
                                  " is newer than this ctd knows (" + std::to_string(known) + "); update ctd");
        }
        if (onMessage) onMessage("merging " + input.string());
        store::Transaction transaction(out);
        InputMerge(in.handle(), out, input, report).run();
        transaction.commit();
        report.inputs.push_back(input.string());
    }
    return report;
}

}  // namespace ctd::experiment
