// SQLite connection, statements and transactions; errors carry SQLite's message and the SQL.
#include "core/store/database.h"

#include "core/store/migrations.h"
#include "core/util/error.h"

#include <sqlite3.h>

#include <utility>

namespace ctd::store {
namespace {

constexpr int kBusyTimeoutMilliseconds = 5000;

std::string shortSql(std::string_view sql) {
    std::string text(sql.substr(0, 120));
    for (char& c : text)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (sql.size() > 120) text += "...";
    return text;
}

[[noreturn]] void throwSqliteError(sqlite3* database, int code, const std::string& context) {
    const std::string message = context + ": " + (database ? sqlite3_errmsg(database) : sqlite3_errstr(code));
    // A constraint names data the caller gave us (a duplicate name, a missing parent row).
    if ((code & 0xff) == SQLITE_CONSTRAINT) throw ConfigError(message);
    throw IoError(message);
}

}  // namespace

// ---------------------------------------------------------------- Statement

Statement::Statement(sqlite3* database, std::string_view sql) : m_database(database), m_sql(sql) {
    const char* tail = nullptr;
    const int code = sqlite3_prepare_v2(database, sql.data(), static_cast<int>(sql.size()), &m_statement, &tail);
    if (code != SQLITE_OK) throwSqliteError(database, code, "cannot prepare SQL \"" + shortSql(sql) + "\"");
    if (m_statement == nullptr) throw ConfigError("empty SQL statement");
}

Statement::~Statement() {
    if (m_statement) sqlite3_finalize(m_statement);
}

Statement::Statement(Statement&& other) noexcept
    : m_database(std::exchange(other.m_database, nullptr)),
      m_statement(std::exchange(other.m_statement, nullptr)),
      m_sql(std::move(other.m_sql)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        if (m_statement) sqlite3_finalize(m_statement);
        m_database = std::exchange(other.m_database, nullptr);
        m_statement = std::exchange(other.m_statement, nullptr);
        m_sql = std::move(other.m_sql);
    }
    return *this;
}

void Statement::check(int code, const char* what) const {
    if (code != SQLITE_OK) throwSqliteError(m_database, code, std::string(what) + " in \"" + shortSql(m_sql) + "\"");
}

Statement& Statement::bindInteger(int index, std::int64_t value) {
    check(sqlite3_bind_int64(m_statement, index, value), "cannot bind parameter");
    return *this;
}

Statement& Statement::bindReal(int index, double value) {
    check(sqlite3_bind_double(m_statement, index, value), "cannot bind parameter");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    check(sqlite3_bind_text64(m_statement, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
          "cannot bind parameter");
    return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
    check(sqlite3_bind_null(m_statement, index), "cannot bind parameter");
    return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
    check(sqlite3_bind_blob64(m_statement, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT),
          "cannot bind parameter");
    return *this;
}

int Statement::parameterIndex(const char* name) const {
    const int index = sqlite3_bind_parameter_index(m_statement, name);
    if (index == 0) throw ConfigError("no parameter " + std::string(name) + " in \"" + shortSql(m_sql) + "\"");
    return index;
}

bool Statement::step() {
    const int code = sqlite3_step(m_statement);
    if (code == SQLITE_ROW) return true;
    if (code == SQLITE_DONE) return false;
    // With the legacy interface the real code comes from reset; v2 returns it directly.
    throwSqliteError(m_database, code, "cannot run \"" + shortSql(m_sql) + "\"");
}

void Statement::execute() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
}

int Statement::columnCount() const { return sqlite3_column_count(m_statement); }

bool Statement::isNull(int column) const { return sqlite3_column_type(m_statement, column) == SQLITE_NULL; }

std::int64_t Statement::columnInt(int column) const { return sqlite3_column_int64(m_statement, column); }

double Statement::columnDouble(int column) const { return sqlite3_column_double(m_statement, column); }

std::string Statement::columnText(int column) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
    if (text == nullptr) return {};
    return std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(m_statement, column)));
}

std::string Statement::columnBlob(int column) const {
    const auto* data = static_cast<const char*>(sqlite3_column_blob(m_statement, column));
    if (data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(m_statement, column)));
}

std::optional<std::int64_t> Statement::columnOptionalInt(int column) const {
    if (isNull(column)) return std::nullopt;
    return columnInt(column);
}

std::optional<double> Statement::columnOptionalDouble(int column) const {
    if (isNull(column)) return std::nullopt;
    return columnDouble(column);
}

std::optional<std::string> Statement::columnOptionalText(int column) const {
    if (isNull(column)) return std::nullopt;
    return columnText(column);
}

// ---------------------------------------------------------------- Database

Database::Database(const std::filesystem::path& path) : m_path(path) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int code = sqlite3_open_v2(path.string().c_str(), &m_database, flags, nullptr);
    if (code != SQLITE_OK) {
        const std::string message = m_database ? sqlite3_errmsg(m_database) : sqlite3_errstr(code);
        close();
        throw IoError(path.string() + ": cannot open database: " + message);
    }
    try {
        sqlite3_extended_result_codes(m_database, 1);
        sqlite3_busy_timeout(m_database, kBusyTimeoutMilliseconds);
        execute("PRAGMA foreign_keys = ON");
        // WAL lets the GUI read while a worker writes; ":memory:" databases stay in "memory" mode.
        const std::string mode = [&] {
            Statement statement = prepare("PRAGMA journal_mode = WAL");
            return statement.step() ? statement.columnText(0) : std::string();
        }();
        if (mode != "wal" && mode != "memory" && path.string() != ":memory:" && !path.empty())
            throw IoError(path.string() + ": cannot enable WAL journal mode (got \"" + mode + "\")");
        execute("PRAGMA synchronous = NORMAL");
        applyMigrations(*this);
    } catch (const IoError& error) {
        close();
        const std::string message = error.what();
        if (message.rfind(path.string(), 0) == 0) throw;
        throw IoError(path.string() + ": " + message);
    } catch (...) {
        close();
        throw;
    }
}

Database::~Database() { close(); }

Database::Database(Database&& other) noexcept
    : m_database(std::exchange(other.m_database, nullptr)), m_path(std::move(other.m_path)) {}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        close();
        m_database = std::exchange(other.m_database, nullptr);
        m_path = std::move(other.m_path);
    }
    return *this;
}

void Database::close() noexcept {
    if (m_database) {
        sqlite3_close_v2(m_database);
        m_database = nullptr;
    }
}

void Database::execute(std::string_view sql) {
    char* error = nullptr;
    const std::string text(sql);
    const int code = sqlite3_exec(m_database, text.c_str(), nullptr, nullptr, &error);
    if (code != SQLITE_OK) {
        std::string message = error ? error : sqlite3_errstr(code);
        sqlite3_free(error);
        const std::string context = "cannot run \"" + shortSql(sql) + "\": " + message;
        if ((code & 0xff) == SQLITE_CONSTRAINT) throw ConfigError(context);
        throw IoError(context);
    }
}

Statement Database::prepare(std::string_view sql) { return Statement(m_database, sql); }

std::int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(m_database); }

int Database::changes() const { return sqlite3_changes(m_database); }

int Database::schemaVersion() {
    Statement exists = prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!exists.step()) return 0;
    Statement statement = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
    return statement.step() ? static_cast<int>(statement.columnInt(0)) : 0;
}

std::string Database::journalMode() {
    Statement statement = prepare("PRAGMA journal_mode");
    return statement.step() ? statement.columnText(0) : std::string();
}

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Database& database, Mode mode) : m_database(database) {
    switch (mode) {
        case Mode::Deferred: m_database.execute("BEGIN DEFERRED"); break;
        case Mode::Immediate: m_database.execute("BEGIN IMMEDIATE"); break;
        case Mode::Exclusive: m_database.execute("BEGIN EXCLUSIVE"); break;
    }
    m_active = true;
}

Transaction::~Transaction() {
    if (!m_active) return;
    // Never throw from a destructor: the exception that brought us here is the one that matters.
    sqlite3_exec(m_database.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    if (!m_active) throw ConfigError("commit on a transaction that is no longer active");
    m_database.execute("COMMIT");
    m_active = false;
}

void Transaction::rollback() {
    if (!m_active) return;
    m_active = false;
    m_database.execute("ROLLBACK");
}

}  // namespace ctd::store
