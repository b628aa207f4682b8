// Datasets and their records in the project database. An import is one transaction: a dataset
// is stored whole or not at all, and the same bytes of the same kind are stored only once.
#pragma once
#include "core/data/record.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::store {

class Database;

struct DatasetSummary {
    std::int64_t id = 0;
    std::string name;
    std::string kind;
    std::string sourcePath;
    std::string contentHash;
    std::int64_t recordCount = 0;
    std::string createdAt;  // UTC, "YYYY-MM-DD HH:MM:SS"
    nlohmann::json metadata = nlohmann::json::object();
};

struct InsertResult {
    std::int64_t datasetId = 0;
    bool alreadyPresent = false;  // the same kind + content hash was stored before; nothing written
};

class DatasetStore {
public:
    explicit DatasetStore(Database& database);

    // Stores the dataset and all its records in one transaction (ctd::Error leaves nothing behind).
    // When a dataset of the same kind and content hash exists, returns its id with alreadyPresent.
    // Call it outside any open Transaction (it opens its own).
    InsertResult insert(const data::Dataset& dataset);
    // Same, for callers that already hold a Transaction (e.g. a run stored with its dataset).
    InsertResult insertInTransaction(const data::Dataset& dataset);

    std::optional<std::int64_t> findByHash(const std::string& kind, const std::string& contentHash);
    std::optional<DatasetSummary> find(std::int64_t id);
    // ConfigError naming the id when there is no such dataset.
    DatasetSummary get(std::int64_t id);
    std::vector<DatasetSummary> list();

    // Records in source order; `limit` < 0 means all.
    std::vector<data::Record> records(std::int64_t datasetId, std::int64_t offset = 0, std::int64_t limit = -1);
    // Summary plus all records, as the importer produced them.
    data::Dataset load(std::int64_t id);
    // Deletes a dataset and (by cascade) its records; false when there was none.
    bool remove(std::int64_t id);

private:
    Database& m_database;
};

}  // namespace ctd::store
