// Datasets and records in SQLite: insert whole-or-nothing, deduplicate by kind + content hash.
#include "core/store/dataset_store.h"

#include "core/store/database.h"
#include "core/util/error.h"

#include <algorithm>

namespace ctd::store {
namespace {

constexpr const char* kSummaryColumns =
    "SELECT id, name, kind, source_path, content_hash, record_count, created_at, metadata_json FROM datasets";

DatasetSummary readSummary(const Statement& statement) {
    DatasetSummary summary;
    summary.id = statement.columnInt(0);
    summary.name = statement.columnText(1);
    summary.kind = statement.columnText(2);
    summary.sourcePath = statement.columnText(3);
    summary.contentHash = statement.columnText(4);
    summary.recordCount = statement.columnInt(5);
    summary.createdAt = statement.columnText(6);
    const std::string metadata = statement.columnText(7);
    summary.metadata = metadata.empty() ? nlohmann::json::object() : nlohmann::json::parse(metadata, nullptr, false);
    if (summary.metadata.is_discarded()) summary.metadata = nlohmann::json::object();
    return summary;
}

}  // namespace

DatasetStore::DatasetStore(Database& database) : m_database(database) {}

InsertResult DatasetStore::insert(const data::Dataset& dataset) {
    Transaction transaction(m_database);
    InsertResult result = insertInTransaction(dataset);
    transaction.commit();
    return result;
}

InsertResult DatasetStore::insertInTransaction(const data::Dataset& dataset) {
    const auto& kinds = data::datasetKinds();
    if (std::find(kinds.begin(), kinds.end(), dataset.kind) == kinds.end())
        throw ConfigError(dataset.sourcePath + ": unknown dataset kind \"" + dataset.kind + "\"");
    if (dataset.contentHash.empty())
        throw ConfigError(dataset.sourcePath + ": dataset has no content hash");
    if (auto existing = findByHash(dataset.kind, dataset.contentHash)) return {*existing, true};

    Statement insertDataset = m_database.prepare(
        "INSERT INTO datasets (name, kind, source_path, content_hash, record_count, metadata_json)"
        " VALUES (?, ?, ?, ?, ?, ?)");
    insertDataset.bind(1, dataset.name)
        .bind(2, dataset.kind)
        .bind(3, dataset.sourcePath)
        .bind(4, dataset.contentHash)
        .bind(5, static_cast<std::int64_t>(dataset.records.size()))
        .bind(6, dataset.metadata.is_null() ? std::string("{}") : dataset.metadata.dump())
        .execute();
    const std::int64_t datasetId = m_database.lastInsertId();

    Statement insertRecord = m_database.prepare(
        "INSERT INTO records (dataset_id, idx, instruction, input, output, task, harmful, extra_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const data::Record& record : dataset.records) {
        insertRecord.bind(1, datasetId)
            .bind(2, record.sourceIndex)
            .bind(3, record.instruction)
            .bind(4, record.input)
            .bind(5, record.output)
            .bind(6, record.task)
            .bind(7, record.harmful);
        const bool hasExtra = record.extra.is_object() ? !record.extra.empty() : !record.extra.is_null();
        if (hasExtra)
            insertRecord.bind(8, record.extra.dump());
        else
            insertRecord.bind(8, nullptr);
        insertRecord.execute();
        insertRecord.reset();
    }
    return {datasetId, false};
}

std::optional<std::int64_t> DatasetStore::findByHash(const std::string& kind, const std::string& contentHash) {
    Statement statement = m_database.prepare("SELECT id FROM datasets WHERE kind = ? AND content_hash = ?");
    statement.bind(1, kind).bind(2, contentHash);
    if (!statement.step()) return std::nullopt;
    return statement.columnInt(0);
}

std::optional<DatasetSummary> DatasetStore::find(std::int64_t id) {
    Statement statement = m_database.prepare(std::string(kSummaryColumns) + " WHERE id = ?");
    statement.bind(1, id);
    if (!statement.step()) return std::nullopt;
    return readSummary(statement);
}

DatasetSummary DatasetStore::get(std::int64_t id) {
    auto summary = find(id);
    if (!summary)
        throw ConfigError(m_database.path().string() + ": no dataset with id " + std::to_string(id) +
                          " (see `ctd data list`)");
    return *summary;
}

std::vector<DatasetSummary> DatasetStore::list() {
    Statement statement = m_database.prepare(std::string(kSummaryColumns) + " ORDER BY id");
    std::vector<DatasetSummary> summaries;
    while (statement.step()) summaries.push_back(readSummary(statement));
    return summaries;
}

std::vector<data::Record> DatasetStore::records(std::int64_t datasetId, std::int64_t offset, std::int64_t limit) {
    Statement source = m_database.prepare("SELECT source_path FROM datasets WHERE id = ?");
    source.bind(1, datasetId);
    const std::string sourcePath = source.step() ? source.columnText(0) : std::string();

    Statement statement = m_database.prepare(
        "SELECT idx, instruction, input, output, task, harmful, extra_json FROM records"
        " WHERE dataset_id = ? ORDER BY idx LIMIT ? OFFSET ?");
    statement.bind(1, datasetId).bind(2, limit < 0 ? std::int64_t{-1} : limit).bind(3, std::max<std::int64_t>(offset, 0));
    std::vector<data::Record> result;
    while (statement.step()) {
        data::Record record;
        record.sourceIndex = statement.columnInt(0);
        record.instruction = statement.columnText(1);
        record.input = statement.columnText(2);
        record.output = statement.columnText(3);
        record.task = statement.columnOptionalText(4);
        if (auto harmful = statement.columnOptionalInt(5)) record.harmful = *harmful != 0;
        if (auto extra = statement.columnOptionalText(6)) {
            record.extra = nlohmann::json::parse(*extra, nullptr, false);
            if (record.extra.is_discarded()) record.extra = nlohmann::json::object();
        }
        record.sourceFile = sourcePath;
        result.push_back(std::move(record));
    }
    return result;
}

data::Dataset DatasetStore::load(std::int64_t id) {
    const DatasetSummary summary = get(id);
    data::Dataset dataset;
    dataset.name = summary.name;
    dataset.kind = summary.kind;
    dataset.sourcePath = summary.sourcePath;
    dataset.contentHash = summary.contentHash;
    dataset.metadata = summary.metadata;
    dataset.records = records(id);
    return dataset;
}

bool DatasetStore::remove(std::int64_t id) {
    Statement statement = m_database.prepare("DELETE FROM datasets WHERE id = ?");
    statement.bind(1, id).execute();
    return m_database.changes() > 0;
}

}  // namespace ctd::store
