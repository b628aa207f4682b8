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

// Training runs, their metric curves, evaluations, every generated response and every score.
constexpr std::string_view kRunsAndResults = R"sql(
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('train', 'base', 'imported')),
    state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'completed', 'cancelled', 'failed')),
    model_family     TEXT NOT NULL DEFAULT '',
    base_model       TEXT NOT NULL DEFAULT '',
    base_model_hash  TEXT NOT NULL DEFAULT '',
    template         TEXT NOT NULL DEFAULT '',
    defended_task    TEXT NOT NULL DEFAULT '',
    defense_count    INTEGER NOT NULL DEFAULT 0,
    loss_type        TEXT NOT NULL DEFAULT '',
    seed             INTEGER NOT NULL DEFAULT 0,
    mixture_hash     TEXT NOT NULL DEFAULT '',
    spec_json        TEXT NOT NULL DEFAULT '{}',
    provenance_json  TEXT NOT NULL DEFAULT '{}',
    output_dir       TEXT NOT NULL DEFAULT '',
    adapter_dir      TEXT NOT NULL DEFAULT '',
    last_checkpoint  TEXT NOT NULL DEFAULT '',
    steps_done       INTEGER NOT NULL DEFAULT 0,
    total_steps      INTEGER NOT NULL DEFAULT 0,
    message          TEXT NOT NULL DEFAULT '',
    cell_hash        TEXT,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
);
CREATE INDEX runs_by_cell ON runs (cell_hash);
CREATE TABLE run_metrics (
    run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step              INTEGER NOT NULL,
    loss              REAL NOT NULL,
    learning_rate     REAL NOT NULL DEFAULT 0,
    grad_norm         REAL NOT NULL DEFAULT 0,
    tokens_per_second REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, step)
);
CREATE TABLE evaluations (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    suite         TEXT NOT NULL,
    settings_json TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'completed', 'cancelled', 'failed')),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
);
CREATE TABLE responses (
    id            INTEGER PRIMARY KEY,
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    item_key      TEXT NOT NULL,
    task          TEXT NOT NULL,
    harmful       INTEGER NOT NULL CHECK (harmful IN (0, 1)),
    document      TEXT NOT NULL DEFAULT '',
    prompt        TEXT NOT NULL,
    reference     TEXT NOT NULL DEFAULT '',
    response      TEXT NOT NULL,
    new_tokens    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (evaluation_id, item_key)
);
CREATE INDEX responses_by_task ON responses (evaluation_id, task, harmful);
CREATE TABLE scores (
    response_id    INTEGER NOT NULL REFERENCES responses(id) ON DELETE CASCADE,
    scorer         TEXT NOT NULL,
    scorer_version TEXT NOT NULL,
    metric         TEXT NOT NULL,
    value          REAL NOT NULL,
    detail         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (response_id, scorer, scorer_version, metric)
);
)sql";

// Evaluation suites (named item sets), evaluation bookkeeping for resume and provenance, and the
// definitions of the scorers whose names and versions the scores table carries.
constexpr std::string_view kSuitesAndScorers = R"sql(
CREATE TABLE suites (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    item_count   INTEGER NOT NULL DEFAULT 0,
    sources_json TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
);
CREATE TABLE suite_items (
    suite_id    INTEGER NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
    idx         INTEGER NOT NULL,
    item_key    TEXT NOT NULL,
    task        TEXT NOT NULL,
    harmful     INTEGER NOT NULL CHECK (harmful IN (0, 1)),
    document    TEXT NOT NULL DEFAULT '',
    instruction TEXT NOT NULL,
    input       TEXT NOT NULL DEFAULT '',
    reference   TEXT,
    PRIMARY KEY (suite_id, idx),
    UNIQUE (suite_id, item_key)
);
ALTER TABLE evaluations ADD COLUMN settings_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE evaluations ADD COLUMN message TEXT NOT NULL DEFAULT '';
ALTER TABLE evaluations ADD COLUMN generation_seconds REAL NOT NULL DEFAULT 0;
ALTER TABLE evaluations ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE responses ADD COLUMN prompt_tokens INTEGER NOT NULL DEFAULT 0;
CREATE INDEX evaluations_by_run ON evaluations (run_id, suite, settings_hash);
CREATE INDEX scores_by_scorer ON scores (scorer, scorer_version, metric);
CREATE TABLE scorers (
    name            TEXT NOT NULL,
    version         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('refusal', 'utility')),
    content_hash    TEXT NOT NULL,
    definition_json TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    PRIMARY KEY (name, version)
);
)sql";

// The experiment runner's job queue: one row per experiment (by name) and one per cell, keyed by
// the cell's content hash, with its state, the run that holds its results and the worker
// (host:pid) that claimed it, so a killed runner's cell is picked up again.
constexpr std::string_view kExperimentQueue = R"sql(
CREATE TABLE experiments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    spec_path   TEXT NOT NULL DEFAULT '',
    spec_json   TEXT NOT NULL DEFAULT '{}',
    spec_hash   TEXT NOT NULL DEFAULT '',
    output_dir  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%S', 'now'))
);
CREATE TABLE experiment_cells (
    id              INTEGER PRIMARY KEY,
    experiment_id   INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
    cell_hash       TEXT NOT NULL,
    run_key         TEXT NOT NULL,
    position        INTEGER NOT NULL,
    label           TEXT NOT NULL,
    definition_json TEXT NOT NULL DEFAULT '{}',
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    stage           TEXT NOT NULL DEFAULT '',
    run_id          INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    worker          TEXT NOT NULL DEFAULT '',
    heartbeat       REAL NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    estimated_steps INTEGER NOT NULL DEFAULT 0,
    estimated_items INTEGER NOT NULL DEFAULT 0,
    seconds         REAL NOT NULL DEFAULT 0,
    message         TEXT NOT NULL DEFAULT '',
    started_at      TEXT NOT NULL DEFAULT '',
    finished_at     TEXT NOT NULL DEFAULT '',
    UNIQUE (experiment_id, cell_hash)
);
CREATE INDEX experiment_cells_by_position ON experiment_cells (experiment_id, position);
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> list{
        {1, "datasets and records", kDatasetsAndRecords},
        {2, "runs, metrics, evaluations, responses and scores", kRunsAndResults},
        {3, "evaluation suites, evaluation bookkeeping and scorer definitions", kSuitesAndScorers},
        {4, "experiment job queue", kExperimentQueue},
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
