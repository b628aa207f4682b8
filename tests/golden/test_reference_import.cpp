// Imports the authors' real files (../shared/reference/safety-defense) and checks only counts and
// structure: the 15 evaluation files and the safety Q&A set. Their text never enters the project.
#include "core/data/importers.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <random>

namespace {

const std::filesystem::path kReference = std::filesystem::path(CTD_SHARED_REFERENCE) / "safety-defense";
constexpr std::size_t kDocumentsPerEvaluationFile = 100;
constexpr std::size_t kSafetyPairs = 2483;  // counted with Python's json module

// The shared temporary folder of test_support.h (removed at scope exit).
using TemporaryFolder = ctd::test::TempDir;

std::vector<std::pair<std::filesystem::path, std::string>> evaluationFiles() {
    std::vector<std::pair<std::filesystem::path, std::string>> files;
    for (const std::string task : {"summarize", "translate", "sentiment", "case", "cloze"})
        for (const std::string variant : {"", "_cnn", "_useful"})
            files.emplace_back(kReference / "evaluation" / ("test_" + task + variant + ".json"), task);
    return files;
}

class ReferenceImportTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::is_directory(kReference)) GTEST_SKIP() << kReference << " is absent";
        m_temporary = std::make_unique<TemporaryFolder>("ctd-test-reference-");
        m_folder = m_temporary->path();
    }
    std::unique_ptr<TemporaryFolder> m_temporary;
    std::filesystem::path m_folder;
};

TEST_F(ReferenceImportTest, EvaluationFilesHaveOneHundredDocumentsEach) {
    const auto files = evaluationFiles();
    ASSERT_EQ(files.size(), 15u);
    for (const auto& [path, task] : files) {
        ASSERT_TRUE(std::filesystem::exists(path)) << path;
        const auto dataset = ctd::data::importFile(path);  // kind detected from content
        EXPECT_EQ(dataset.kind, "eval") << path;
        ASSERT_EQ(dataset.records.size(), kDocumentsPerEvaluationFile) << path;
        for (const auto& record : dataset.records) {
            EXPECT_FALSE(record.instruction.empty()) << path << " record " << record.sourceIndex;
            EXPECT_TRUE(record.output.empty());
            EXPECT_EQ(record.task, task) << path;
        }
        EXPECT_EQ(dataset.contentHash.size(), 64u);
    }
}

TEST_F(ReferenceImportTest, SafetyPairsAreAlpacaRecords) {
    const auto dataset = ctd::data::importFile(kReference / "safety_only_data_Instructions.json");
    EXPECT_EQ(dataset.kind, "alpaca");
    ASSERT_EQ(dataset.records.size(), kSafetyPairs);
    for (const auto& record : dataset.records) {
        EXPECT_FALSE(record.instruction.empty()) << "record " << record.sourceIndex;
        EXPECT_FALSE(record.output.empty()) << "record " << record.sourceIndex;
        EXPECT_TRUE(record.extra.empty()) << "record " << record.sourceIndex;
    }
}

TEST_F(ReferenceImportTest, StoringEverythingTwiceStoresItOnce) {
    ctd::store::Database database(m_folder / "reference.sqlite");
    ctd::store::DatasetStore store(database);
    auto paths = evaluationFiles();
    paths.emplace_back(kReference / "safety_only_data_Instructions.json", "");
    std::int64_t expectedRecords = 0;
    for (const auto& entry : paths) {
        const auto dataset = ctd::data::importFile(entry.first);
        expectedRecords += static_cast<std::int64_t>(dataset.records.size());
        EXPECT_FALSE(store.insert(dataset).alreadyPresent) << entry.first;
    }
    for (const auto& entry : paths) EXPECT_TRUE(store.insert(ctd::data::importFile(entry.first)).alreadyPresent);

    const auto summaries = store.list();
    ASSERT_EQ(summaries.size(), 16u);
    std::int64_t storedRecords = 0;
    for (const auto& summary : summaries) storedRecords += summary.recordCount;
    EXPECT_EQ(storedRecords, expectedRecords);
    EXPECT_EQ(storedRecords, static_cast<std::int64_t>(15 * kDocumentsPerEvaluationFile + kSafetyPairs));

    // What comes back from the store is what the importer read.
    const auto original = ctd::data::importFile(paths.back().first);
    const auto loaded = store.load(summaries.back().id);
    ASSERT_EQ(loaded.records.size(), original.records.size());
    for (std::size_t i = 0; i < original.records.size(); ++i) {
        ASSERT_EQ(loaded.records[i].instruction, original.records[i].instruction) << i;
        ASSERT_EQ(loaded.records[i].input, original.records[i].input) << i;
        ASSERT_EQ(loaded.records[i].output, original.records[i].output) << i;
    }
}

}  // namespace
