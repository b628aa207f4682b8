// SQLite connection (WAL, foreign keys, 5 s busy timeout, schema migrations on open), prepared
// statements and a Transaction guard. SQLite stays an implementation detail of core: this header
// only forward-declares its handles.
#pragma once
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace ctd::store {

// A prepared statement. Parameters are 1-based (SQLite's convention), columns 0-based.
// Errors throw ctd::IoError (the database) or ctd::ConfigError (a constraint) naming the SQL.
class Statement {
public:
    Statement(sqlite3* database, std::string_view sql);
    ~Statement();
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    template <std::integral T>
    Statement& bind(int index, T value) { return bindInteger(index, static_cast<std::int64_t>(value)); }
    template <std::floating_point T>
    Statement& bind(int index, T value) { return bindReal(index, static_cast<double>(value)); }
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
    Statement& bind(int index, std::nullptr_t);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, nullptr);
    }
    Statement& bindBlob(int index, std::string_view bytes);
    // Index of a named parameter such as ":name"; ConfigError when the SQL has none of that name.
    int parameterIndex(const char* name) const;

    // Advances one row: true when a row is available, false when the statement is done.
    bool step();
    // Runs to completion (for INSERT/UPDATE/DELETE/DDL).
    void execute();
    // Makes the statement reusable; bindings are cleared too.
    void reset();

    int columnCount() const;
    bool isNull(int column) const;
    std::int64_t columnInt(int column) const;
    double columnDouble(int column) const;
    std::string columnText(int column) const;  // "" for NULL
    std::string columnBlob(int column) const;
    std::optional<std::int64_t> columnOptionalInt(int column) const;
    std::optional<double> columnOptionalDouble(int column) const;
    std::optional<std::string> columnOptionalText(int column) const;

    const std::string& sql() const { return m_sql; }

private:
    Statement& bindInteger(int index, std::int64_t value);
    Statement& bindReal(int index, double value);
    void check(int code, const char* what) const;

    sqlite3* m_database = nullptr;
    sqlite3_stmt* m_statement = nullptr;
    std::string m_sql;
};

// One open connection. Opening creates the file if needed, enables WAL, foreign keys and a 5 s
// busy timeout, then applies any pending migrations (see migrations.h). Not thread-safe: use one
// Database per thread (WAL lets them read while one writes).
class Database {
public:
    explicit Database(const std::filesystem::path& path);
    ~Database();
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Runs one or more statements with no parameters and no results.
    void execute(std::string_view sql);
    Statement prepare(std::string_view sql);

    std::int64_t lastInsertId() const;
    int changes() const;
    // Highest migration version applied (0 for a database that has none).
    int schemaVersion();
    std::string journalMode();

    const std::filesystem::path& path() const { return m_path; }
    sqlite3* handle() const { return m_database; }

private:
    void close() noexcept;

    sqlite3* m_database = nullptr;
    std::filesystem::path m_path;
};

// Scoped transaction: rolls back when destroyed without commit(), e.g. during an exception.
// BEGIN IMMEDIATE by default, so a writer waits for the busy timeout at the start rather than
// failing half-way through. Transactions do not nest.
class Transaction {
public:
    enum class Mode { Deferred, Immediate, Exclusive };
    explicit Transaction(Database& database, Mode mode = Mode::Immediate);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    void commit();
    void rollback();
    bool active() const { return m_active; }

private:
    Database& m_database;
    bool m_active = false;
};

}  // namespace ctd::store
