// The project schema, one migration per entry. Append new entries at the end (the next version
// number); a shipped entry never changes, since databases in the field already ran it.
#include "core/store/migrations.h"

#include "core/store/database.h"
#include "core/util/error.h"

#include <string>

namespace ctd::store {
namespace {

// Datasets and their records. Versions 2+ are for tasks, mixtures, runs, metrics and responses.
constexpr std::string_view kDatasetsAndRecords = R"sql(
CREATE TABLE datasets (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('alpaca', 'eval', 'generations', 'csv', 'world', 'mixture')),
    source_path   TEXT NOT NULL DEFAULT '',
    content_hash  TEXT NOT NULL,
    record_count  INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    metadata_json TEXT NOT NULL DEFAULT '{}',
    UNIQUE (kind, content_hash)
);
CREATE TABLE records (
    id          INTEGER PRIMARY KEY,
    dataset_id  INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    instruction TEXT NOT NULL,
    input       TEXT NOT NULL DEFAULT '',
    output      TEXT NOT NULL DEFAULT '',
    task        TEXT,
    harmful     INTEGER CHECK (harmful IN (0, 1)),
    extra_json  TEXT,
    UNIQUE (dataset_id, idx)
);
CREATE INDEX records_by_task ON records (dataset_id, task);
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> list{
        {1, "datasets and records", kDatasetsAndRecords},
    };
    return list;
}

void applyMigrations(Database& database) {
    database.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')))");
    const auto& list = migrations();
    const int known = static_cast<int>(list.size());
    const int current = database.schemaVersion();
    if (current > known) {
        throw ConfigError(database.path().string() + ": database schema version " + std::to_string(current) +
                          " is newer than this ctd knows (" + std::to_string(known) + "); update ctd");
    }
    for (int i = current; i < known; ++i) {
        const Migration& migration = list[static_cast<std::size_t>(i)];
        if (migration.version != i + 1)
            throw ConfigError("migration list out of order: entry " + std::to_string(i + 1) + " has version " +
                              std::to_string(migration.version));
        Transaction transaction(database);
        // Another process may have migrated while we waited for the write lock.
        if (database.schemaVersion() >= migration.version) continue;
        try {
            database.execute(migration.sql);
        } catch (const Error& error) {
            throw IoError("schema migration " + std::to_string(migration.version) + " (" +
                          std::string(migration.name) + ") failed: " + error.what());
        }
        Statement record = database.prepare("INSERT INTO schema_version (version, name) VALUES (?, ?)");
        record.bind(1, migration.version).bind(2, migration.name).execute();
        transaction.commit();
    }
}

}  // namespace ctd::store
