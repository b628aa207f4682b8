// The SQLite layer: pragmas, migrations, statements, transactions, and the dataset store.
#include "core/data/record.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"
#include "core/store/migrations.h"
#include "core/util/error.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace {

using ctd::store::Database;
using ctd::store::DatasetStore;
using ctd::store::Transaction;

// The shared temporary folder of test_support.h (removed at scope exit).
using TemporaryFolder = ctd::test::TempDir;

class DatabaseTest : public ::testing::Test {
protected:
    std::filesystem::path databasePath() const { return m_folder / "project.sqlite"; }

    TemporaryFolder m_temporary{"ctd-test-database-"};
    const std::filesystem::path m_folder = m_temporary.path();
};

ctd::data::Dataset smallDataset(const std::string& hash, int records = 3) {
    ctd::data::Dataset dataset;
    dataset.name = "small";
    dataset.kind = "alpaca";
    dataset.sourcePath = "/somewhere/small.json";
    dataset.contentHash = hash;
    dataset.metadata = {{"format", "json"}};
    for (int i = 0; i < records; ++i) {
        ctd::data::Record record;
        record.instruction = "instruction " + std::to_string(i);
        record.input = i % 2 ? "input" : "";
        record.output = "output " + std::to_string(i);
        if (i == 1) record.task = "summarize";
        if (i == 2) record.harmful = false;
        if (i == 0) record.extra = {{"source", "unit test"}};
        record.sourceIndex = i;
        dataset.records.push_back(record);
    }
    return dataset;
}

std::int64_t countRows(Database& database, const std::string& table) {
    auto statement = database.prepare("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(statement.step());
    return statement.columnInt(0);
}

TEST_F(DatabaseTest, OpeningAppliesEveryMigrationOnceAndIsIdempotent) {
    const int latest = static_cast<int>(ctd::store::migrations().size());
    {
        Database database(databasePath());
        EXPECT_EQ(database.schemaVersion(), latest);
        EXPECT_EQ(countRows(database, "schema_version"), latest);
        database.execute("INSERT INTO datasets (name, kind, content_hash) VALUES ('kept', 'csv', 'h')");
    }
    Database again(databasePath());  // a second open must neither fail nor re-run a migration
    EXPECT_EQ(again.schemaVersion(), latest);
    EXPECT_EQ(countRows(again, "schema_version"), latest);
    EXPECT_EQ(countRows(again, "datasets"), 1);
}

TEST_F(DatabaseTest, MigrationVersionsAreContiguous) {
    const auto& list = ctd::store::migrations();
    for (std::size_t i = 0; i < list.size(); ++i) EXPECT_EQ(list[i].version, static_cast<int>(i + 1));
}

TEST_F(DatabaseTest, WalForeignKeysAndBusyTimeoutAreOn) {
    Database database(databasePath());
    EXPECT_EQ(database.journalMode(), "wal");
    auto foreignKeys = database.prepare("PRAGMA foreign_keys");
    ASSERT_TRUE(foreignKeys.step());
    EXPECT_EQ(foreignKeys.columnInt(0), 1);
    auto timeout = database.prepare("PRAGMA busy_timeout");
    ASSERT_TRUE(timeout.step());
    EXPECT_EQ(timeout.columnInt(0), 5000);
}

TEST_F(DatabaseTest, NewerSchemaThanThisBuildIsRefused) {
    {
        Database database(databasePath());
        database.execute("INSERT INTO schema_version (version, name) VALUES (9999, 'from the future')");
    }
    try {
        Database database(databasePath());
        FAIL() << "opened a database with a newer schema";
    } catch (const ctd::ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("9999"), std::string::npos) << error.what();
    }
}

TEST_F(DatabaseTest, UnopenablePathNamesTheFile) {
    const auto path = m_folder / "missing-folder" / "project.sqlite";
    try {
        Database database(path);
        FAIL() << "opened a database in a missing folder";
    } catch (const ctd::IoError& error) {
        EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
    }
}

TEST_F(DatabaseTest, StatementsBindAndReadEveryType) {
    Database database(databasePath());
    database.execute("CREATE TABLE sample (i INTEGER, r REAL, t TEXT, b BLOB, n TEXT)");
    const std::string blob("\x00\x01\xff", 3);
    auto insert = database.prepare("INSERT INTO sample VALUES (?, ?, ?, ?, ?)");
    insert.bind(1, 42).bind(2, 0.5).bind(3, "text with 'quotes' and ünïcode").bindBlob(4, blob).bind(5, std::optional<std::string>{});
    insert.execute();
    insert.reset();
    insert.bind(1, std::int64_t{1} << 40).bind(2, 1.0f).bind(3, std::string("second")).bind(4, nullptr).bind(5, std::optional<std::string>("set"));
    insert.execute();
    EXPECT_EQ(database.changes(), 1);

    auto select = database.prepare("SELECT i, r, t, b, n FROM sample ORDER BY rowid");
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.columnCount(), 5);
    EXPECT_EQ(select.columnInt(0), 42);
    EXPECT_DOUBLE_EQ(select.columnDouble(1), 0.5);
    EXPECT_EQ(select.columnText(2), "text with 'quotes' and ünïcode");
    EXPECT_EQ(select.columnBlob(3), blob);
    EXPECT_TRUE(select.isNull(4));
    EXPECT_FALSE(select.columnOptionalText(4).has_value());
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.columnOptionalInt(0), std::int64_t{1} << 40);
    EXPECT_EQ(select.columnOptionalText(4), "set");
    EXPECT_FALSE(select.step());
}

TEST_F(DatabaseTest, NamedParametersAndBadSqlGiveReadableErrors) {
    Database database(databasePath());
    auto statement = database.prepare("SELECT :value + 1");
    statement.bind(statement.parameterIndex(":value"), 1);
    ASSERT_TRUE(statement.step());
    EXPECT_EQ(statement.columnInt(0), 2);
    EXPECT_THROW(statement.parameterIndex(":missing"), ctd::ConfigError);
    try {
        database.prepare("SELEC nonsense");
        FAIL() << "prepared invalid SQL";
    } catch (const ctd::IoError& error) {
        EXPECT_NE(std::string(error.what()).find("SELEC nonsense"), std::string::npos) << error.what();
    }
}

TEST_F(DatabaseTest, TransactionRollsBackOnException) {
    Database database(databasePath());
    database.execute("CREATE TABLE items (value INTEGER)");
    try {
        Transaction transaction(database);
        database.execute("INSERT INTO items VALUES (1)");
        EXPECT_EQ(countRows(database, "items"), 1);  // visible inside the transaction
        throw std::runtime_error("simulated failure half-way");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(countRows(database, "items"), 0);

    {
        Transaction transaction(database);
        database.execute("INSERT INTO items VALUES (2)");
        transaction.commit();
        EXPECT_FALSE(transaction.active());
    }
    EXPECT_EQ(countRows(database, "items"), 1);
    Database other(databasePath());  // committed data is visible to another connection
    EXPECT_EQ(countRows(other, "items"), 1);
}

TEST_F(DatabaseTest, ConstraintViolationIsAConfigError) {
    Database database(databasePath());
    EXPECT_THROW(database.execute("INSERT INTO datasets (name, kind, content_hash) VALUES ('x', 'pdf', 'h')"),
                 ctd::ConfigError);
    EXPECT_THROW(database.execute("INSERT INTO records (dataset_id, idx, instruction) VALUES (12345, 0, 'orphan')"),
                 ctd::ConfigError);
}

TEST_F(DatabaseTest, DatasetStoreRoundTrip) {
    Database database(databasePath());
    DatasetStore store(database);
    const auto original = smallDataset("hash-1");
    const auto inserted = store.insert(original);
    EXPECT_FALSE(inserted.alreadyPresent);

    const auto summaries = store.list();
    ASSERT_EQ(summaries.size(), 1u);
    EXPECT_EQ(summaries[0].id, inserted.datasetId);
    EXPECT_EQ(summaries[0].name, "small");
    EXPECT_EQ(summaries[0].kind, "alpaca");
    EXPECT_EQ(summaries[0].recordCount, 3);
    EXPECT_EQ(summaries[0].metadata["format"], "json");
    EXPECT_FALSE(summaries[0].createdAt.empty());

    const auto loaded = store.load(inserted.datasetId);
    ASSERT_EQ(loaded.records.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(loaded.records[i].instruction, original.records[i].instruction);
        EXPECT_EQ(loaded.records[i].input, original.records[i].input);
        EXPECT_EQ(loaded.records[i].output, original.records[i].output);
        EXPECT_EQ(loaded.records[i].task, original.records[i].task);
        EXPECT_EQ(loaded.records[i].harmful, original.records[i].harmful);
        EXPECT_EQ(loaded.records[i].sourceIndex, original.records[i].sourceIndex);
        EXPECT_EQ(loaded.records[i].sourceFile, original.sourcePath);
    }
    EXPECT_EQ(loaded.records[0].extra["source"], "unit test");
    EXPECT_TRUE(loaded.records[1].extra.empty());

    const auto page = store.records(inserted.datasetId, 1, 1);
    ASSERT_EQ(page.size(), 1u);
    EXPECT_EQ(page[0].sourceIndex, 1);
    EXPECT_THROW(store.get(inserted.datasetId + 100), ctd::ConfigError);
}

TEST_F(DatabaseTest, SameKindAndHashIsStoredOnce) {
    Database database(databasePath());
    DatasetStore store(database);
    const auto first = store.insert(smallDataset("same-hash"));
    const auto second = store.insert(smallDataset("same-hash"));
    EXPECT_TRUE(second.alreadyPresent);
    EXPECT_EQ(second.datasetId, first.datasetId);
    EXPECT_EQ(countRows(database, "records"), 3);

    auto otherKind = smallDataset("same-hash");
    otherKind.kind = "eval";  // the same bytes read as another kind are another dataset
    EXPECT_FALSE(store.insert(otherKind).alreadyPresent);
    EXPECT_EQ(store.list().size(), 2u);
}

TEST_F(DatabaseTest, FailedInsertLeavesNothingBehind) {
    Database database(databasePath());
    DatasetStore store(database);
    auto broken = smallDataset("broken", 5);
    broken.records[4].sourceIndex = 1;  // duplicate index: the last insert fails
    EXPECT_THROW(store.insert(broken), ctd::ConfigError);
    EXPECT_EQ(countRows(database, "datasets"), 0);
    EXPECT_EQ(countRows(database, "records"), 0);

    auto unknownKind = smallDataset("kind");
    unknownKind.kind = "pdf";
    EXPECT_THROW(store.insert(unknownKind), ctd::ConfigError);
    EXPECT_EQ(countRows(database, "datasets"), 0);
}

TEST_F(DatabaseTest, RemovingADatasetCascadesToItsRecords) {
    Database database(databasePath());
    DatasetStore store(database);
    const auto kept = store.insert(smallDataset("kept"));
    const auto removed = store.insert(smallDataset("removed"));
    EXPECT_TRUE(store.remove(removed.datasetId));
    EXPECT_FALSE(store.remove(removed.datasetId));
    EXPECT_EQ(countRows(database, "records"), 3);
    EXPECT_TRUE(store.find(kept.datasetId).has_value());
    EXPECT_FALSE(store.find(removed.datasetId).has_value());
}

}  // namespace
