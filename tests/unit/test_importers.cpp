// Importers on small files written to a temp folder: each format, detection, UTF-8 checks, every
// error naming file, record and field; SHA-256 against known vectors; `ctd data` end to end.
#include "core/data/importers.h"
#include "core/store/database.h"
#include "core/store/dataset_store.h"
#include "core/util/error.h"
#include "core/util/hash.h"

#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

using ctd::data::importFile;
using ctd::data::ImportOptions;

// The shared temporary folder of test_support.h (removed at scope exit).
using TemporaryFolder = ctd::test::TempDir;

class ImporterTest : public ::testing::Test {
protected:
    std::filesystem::path write(const std::string& name, const std::string& bytes) {
        const auto path = m_folder / name;
        std::ofstream(path, std::ios::binary) << bytes;
        return path;
    }

    // Importing must fail with a FormatError whose message contains every one of `parts`.
    void expectError(const std::filesystem::path& path, const std::vector<std::string>& parts,
                     const std::string& kind = "") {
        try {
            importFile(path, ImportOptions{kind, ""});
            ADD_FAILURE() << path << " imported without error";
        } catch (const ctd::FormatError& error) {
            const std::string message = error.what();
            EXPECT_NE(message.find(path.filename().string()), std::string::npos) << message;
            for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
        }
    }

    TemporaryFolder m_temporary{"ctd-test-importers-"};
    const std::filesystem::path m_folder = m_temporary.path();
};

TEST(Sha256, KnownVectors) {
    using ctd::util::sha256Hex;
    // FIPS 180-2 appendix B and boundary lengths around the 56- and 64-byte padding edges
    // (values from Python's hashlib).
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256Hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(sha256Hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    EXPECT_EQ(sha256Hex(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    EXPECT_EQ(sha256Hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    EXPECT_EQ(sha256Hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalEqualsOneShot) {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += static_cast<char>(i * 7);
    for (std::size_t split : {0u, 1u, 63u, 64u, 65u, 500u, 1000u}) {
        ctd::util::Sha256 hasher;
        hasher.update(std::string_view(text).substr(0, split)).update(std::string_view(text).substr(split));
        EXPECT_EQ(hasher.hexDigest(), ctd::util::sha256Hex(text)) << "split at " << split;
    }
}

TEST(Utf8, ValidatorFindsTheFirstBadByte) {
    using ctd::data::findInvalidUtf8;
    EXPECT_FALSE(findInvalidUtf8("plain ascii").has_value());
    EXPECT_FALSE(findInvalidUtf8("caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80").has_value());  // é 中 emoji
    EXPECT_EQ(findInvalidUtf8("ab\xFF"), 2u);              // never valid
    EXPECT_EQ(findInvalidUtf8("a\x80"), 1u);               // lone continuation
    EXPECT_EQ(findInvalidUtf8("a\xC3"), 1u);               // truncated
    EXPECT_EQ(findInvalidUtf8("\xC0\xAF"), 0u);            // overlong '/'
    EXPECT_EQ(findInvalidUtf8("\xE0\x80\xAF"), 0u);        // overlong
    EXPECT_EQ(findInvalidUtf8("x\xED\xA0\x80"), 1u);       // UTF-16 surrogate
    EXPECT_EQ(findInvalidUtf8("\xF4\x90\x80\x80"), 0u);    // past U+10FFFF
    EXPECT_EQ(findInvalidUtf8("\xE4\xB8" "a"), 0u);         // bad continuation
}

TEST_F(ImporterTest, AlpacaJsonList) {
    const auto path = write("train.json", R"([
  {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
  {"instruction": "Say hello.", "output": "Hello.", "category": "greeting", "task": "chat", "harmful": false}
])");
    const auto dataset = importFile(path);
    EXPECT_EQ(dataset.kind, "alpaca");
    EXPECT_EQ(dataset.name, "train");
    ASSERT_EQ(dataset.records.size(), 2u);
    EXPECT_EQ(dataset.records[0].input, "2 and 3");
    EXPECT_EQ(dataset.records[1].input, "");  // optional
    EXPECT_EQ(dataset.records[1].output, "Hello.");
    EXPECT_EQ(dataset.records[1].extra["category"], "greeting");
    EXPECT_EQ(dataset.records[1].task, "chat");
    EXPECT_EQ(dataset.records[1].harmful, false);
    EXPECT_FALSE(dataset.records[0].task.has_value());
    EXPECT_EQ(dataset.records[1].sourceIndex, 1);
    EXPECT_EQ(dataset.records[1].sourceFile, dataset.sourcePath);
}

TEST_F(ImporterTest, ContentHashIsTheFileSha256) {
    const std::string bytes = R"([{"instruction": "i", "output": "o"}])";
    const auto dataset = importFile(write("hash.json", bytes));
    EXPECT_EQ(dataset.contentHash, ctd::util::sha256Hex(bytes));
}

TEST_F(ImporterTest, AlpacaJsonLinesWithBomAndBlankLines) {
    const auto path = write("train.jsonl",
                            "\xEF\xBB\xBF{\"instruction\": \"first\", \"output\": \"1\"}\r\n"
                            "\n"
                            "{\"instruction\": \"second\", \"input\": \"x\", \"output\": \"2\"}\n");
    const auto dataset = importFile(path);
    EXPECT_EQ(dataset.kind, "alpaca");
    ASSERT_EQ(dataset.records.size(), 2u);
    EXPECT_EQ(dataset.records[0].instruction, "first");
    EXPECT_EQ(dataset.records[1].sourceIndex, 1);
    EXPECT_EQ(dataset.records[1].input, "x");
}

TEST_F(ImporterTest, EvaluationFile) {
    const auto path = write("test_summarize_cnn.json",
                            R"({"instructions": ["Doc one. Summarize the above article briefly in 3 sentences.",
                                                 "Doc two.", "Doc three."],
                                "inputs": ["first input"], "tags": ["a", "b", "c"], "note": "kept"})");
    const auto dataset = importFile(path);
    EXPECT_EQ(dataset.kind, "eval");
    ASSERT_EQ(dataset.records.size(), 3u);
    EXPECT_EQ(dataset.records[0].input, "first input");
    EXPECT_EQ(dataset.records[2].input, "");
    EXPECT_EQ(dataset.records[2].output, "");
    EXPECT_EQ(dataset.records[1].instruction, "Doc two.");
    EXPECT_EQ(dataset.records[1].task, "summarize");  // from the authors' file naming
    EXPECT_EQ(dataset.records[2].extra["tags"], "c");  // a parallel list becomes a per-record field
    EXPECT_EQ(dataset.metadata["note"], "kept");
}

TEST_F(ImporterTest, EvaluationFileWithEmptyInputs) {
    const auto dataset = importFile(write("prompts.json", R"({"instructions": ["a", "b"], "inputs": []})"));
    EXPECT_EQ(dataset.kind, "eval");
    ASSERT_EQ(dataset.records.size(), 2u);
    EXPECT_FALSE(dataset.records[0].task.has_value());
}

TEST_F(ImporterTest, GenerationOutputs) {
    const auto path = write("generations.json", R"({"parameters": {"num_beams": 4, "max_new_tokens": 128},
        "inputs": ["", ""], "instructions": ["doc a", "doc b"], "outputs": ["I'm sorry", "Summary b"]})");
    const auto dataset = importFile(path);
    EXPECT_EQ(dataset.kind, "generations");
    ASSERT_EQ(dataset.records.size(), 2u);
    EXPECT_EQ(dataset.records[1].output, "Summary b");
    EXPECT_EQ(dataset.metadata["parameters"]["num_beams"], 4);
}

TEST_F(ImporterTest, CsvWithQuotingMultiLineFieldsAndBom) {
    const auto path = write("pairs.csv",
                            "\xEF\xBB\xBFInstruction,input,output,harmful,source\r\n"
                            "\"Summarize, briefly\",\"a \"\"quoted\"\" doc\",\"line one\r\nline two\",1,web\r\n"
                            "plain,,answer,no,book\r\n");
    const auto dataset = importFile(path);
    EXPECT_EQ(dataset.kind, "csv");
    ASSERT_EQ(dataset.records.size(), 2u);
    EXPECT_EQ(dataset.records[0].instruction, "Summarize, briefly");
    EXPECT_EQ(dataset.records[0].input, "a \"quoted\" doc");
    EXPECT_EQ(dataset.records[0].output, "line one\r\nline two");
    EXPECT_EQ(dataset.records[0].harmful, true);
    EXPECT_EQ(dataset.records[0].extra["source"], "web");
    EXPECT_EQ(dataset.records[1].input, "");
    EXPECT_EQ(dataset.records[1].harmful, false);
    EXPECT_EQ(dataset.records[1].sourceIndex, 1);
}

TEST_F(ImporterTest, CsvWithOnlyAnInstructionColumn) {
    const auto dataset = importFile(write("only.csv", "instruction\nfirst\nsecond"));
    ASSERT_EQ(dataset.records.size(), 2u);
    EXPECT_EQ(dataset.records[1].instruction, "second");
    EXPECT_EQ(dataset.records[1].output, "");
}

TEST_F(ImporterTest, KindDetection) {
    using ctd::data::detectKind;
    EXPECT_EQ(detectKind(R"([{"instruction": "x", "output": "y"}])", "a.json"), "alpaca");
    EXPECT_EQ(detectKind("{\"instruction\": \"x\", \"output\": \"y\"}\n{\"instruction\": \"z\", \"output\": \"w\"}", "a.txt"),
              "alpaca");
    EXPECT_EQ(detectKind(R"({"instructions": [], "inputs": []})", "e.json"), "eval");
    EXPECT_EQ(detectKind(R"({"parameters": {}, "instructions": [], "outputs": []})", "g.json"), "generations");
    EXPECT_EQ(detectKind("instruction,output\na,b\n", "c.txt"), "csv");
    EXPECT_THROW(detectKind("hello world", "mystery.txt"), ctd::FormatError);
    EXPECT_THROW(detectKind(R"({"something": 1})", "mystery.json"), ctd::FormatError);
}

TEST_F(ImporterTest, ExplicitKindWins) {
    const auto path = write("looks.json", R"([{"instruction": "i", "output": "o"}])");
    EXPECT_THROW(importFile(path, ImportOptions{"eval", ""}), ctd::FormatError);
    EXPECT_THROW(importFile(path, ImportOptions{"pdf", ""}), ctd::ConfigError);
    EXPECT_EQ(importFile(path, ImportOptions{"alpaca", "custom name"}).name, "custom name");
}

// ------------------------------------------------------------------ errors name file, index, field

TEST_F(ImporterTest, ErrorWrongType) {
    expectError(write("wrong.json", R"([{"instruction": "ok", "output": "x"}, {"instruction": 7, "output": "y"}])"),
                {"record 1", "field \"instruction\"", "expected a string, got a number"});
}

TEST_F(ImporterTest, ErrorMissingField) {
    expectError(write("missing.json", R"([{"instruction": "ok", "output": "x"}, {"instruction": "a"}])"),
                {"record 1", "field \"output\"", "missing"});
}

TEST_F(ImporterTest, ErrorRecordIsNotAnObject) {
    expectError(write("notobject.json", R"([{"instruction": "ok", "output": "x"}, "just text"])"),
                {"record 1", "expected an object"});
}

TEST_F(ImporterTest, ErrorInvalidJsonNamesLineColumnRecordAndField) {
    expectError(write("broken.json", "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n  {\"instruction\": \"c\", \"output\": }\n]"),
                {"broken.json:3:", "record 1", "field \"output\"", "invalid JSON"});
}

TEST_F(ImporterTest, ErrorInvalidJsonLine) {
    expectError(write("broken.jsonl", "{\"instruction\": \"a\", \"output\": \"b\"}\n\n{\"instruction\": \"c\", \"output\": \"d\"\n"),
                {"broken.jsonl:3:", "record 1", "invalid JSON"});
}

TEST_F(ImporterTest, ErrorNonUtf8InJson) {
    const std::string bytes = "[{\"instruction\": \"ok\", \"output\": \"x\"},\n {\"instruction\": \"ok\", \"output\": \"bad \xFF byte\"}]";
    const auto offset = std::to_string(bytes.find('\xFF'));
    expectError(write("latin1.json", bytes), {"latin1.json:2:", "record 1", "field \"output\"", "invalid UTF-8", "byte offset " + offset});
}

TEST_F(ImporterTest, ErrorNonUtf8InJsonLines) {
    expectError(write("latin1.jsonl", "{\"instruction\": \"ok\", \"output\": \"x\"}\n{\"instruction\": \"caf\xE9\", \"output\": \"y\"}\n"),
                {"latin1.jsonl:2:", "record 1", "field \"instruction\"", "invalid UTF-8"});
}

TEST_F(ImporterTest, ErrorNonUtf8InCsv) {
    expectError(write("latin1.csv", "instruction,output\nfine,ok\nfine,caf\xE9\n"),
                {"latin1.csv:3", "record 1", "field \"output\"", "invalid UTF-8"});
}

TEST_F(ImporterTest, ErrorEvaluationEntryWrongType) {
    expectError(write("eval.json", R"({"instructions": ["a", "b", "c", 4], "inputs": []})"),
                {"record 3", "field \"instructions\"", "expected a string, got a number"}, "eval");
}

TEST_F(ImporterTest, ErrorEvaluationMissingInstructions) {
    expectError(write("eval.json", R"({"inputs": []})"), {"field \"instructions\"", "missing"}, "eval");
}

TEST_F(ImporterTest, ErrorGenerationLengthsDisagree) {
    expectError(write("generations.json", R"({"parameters": {}, "inputs": [], "instructions": ["a", "b", "c"], "outputs": ["x", "y"]})"),
                {"record 2", "field \"outputs\"", "lengths must agree"});
}

TEST_F(ImporterTest, ErrorCsvMissingInstructionColumn) {
    expectError(write("nocolumn.csv", "prompt,output\na,b\n"), {"nocolumn.csv:1", "\"instruction\" column"});
}

TEST_F(ImporterTest, ErrorCsvWrongColumnCount) {
    expectError(write("columns.csv", "instruction,output\na,b\nc,d,e\n"), {"columns.csv:3", "record 1", "3 columns"});
}

TEST_F(ImporterTest, ErrorCsvUnclosedQuote) {
    expectError(write("quote.csv", "instruction,output\na,b\nc,\"never closed\n"),
                {"quote.csv:3", "record 1", "field \"output\"", "never closed"});
}

TEST_F(ImporterTest, ErrorCsvEmptyInstruction) {
    expectError(write("empty.csv", "instruction,output\n,b\n"), {"record 0", "field \"instruction\"", "empty"});
}

TEST_F(ImporterTest, ErrorCsvBadHarmfulFlag) {
    expectError(write("flag.csv", "instruction,harmful\na,maybe\n"), {"record 0", "field \"harmful\"", "maybe"});
}

TEST_F(ImporterTest, MissingFileIsAnIoError) {
    EXPECT_THROW(importFile(m_folder / "absent.json"), ctd::IoError);
}

// ------------------------------------------------------------------ store: duplicates, atomicity

TEST_F(ImporterTest, ImportingTheSameFileTwiceReturnsTheExistingDataset) {
    ctd::store::Database database(m_folder / "project.sqlite");
    ctd::store::DatasetStore store(database);
    const auto path = write("train.json", R"([{"instruction": "i", "output": "o"}, {"instruction": "j", "output": "p"}])");
    const auto first = store.insert(importFile(path));
    EXPECT_FALSE(first.alreadyPresent);
    const auto copy = write("copy-of-train.json", R"([{"instruction": "i", "output": "o"}, {"instruction": "j", "output": "p"}])");
    const auto second = store.insert(importFile(copy));
    EXPECT_TRUE(second.alreadyPresent);
    EXPECT_EQ(second.datasetId, first.datasetId);
    EXPECT_EQ(store.list().size(), 1u);
    EXPECT_EQ(store.get(first.datasetId).recordCount, 2);
}

// ------------------------------------------------------------------ the CLI end to end

ctd::test::CommandResult runCli(const std::string& arguments) {
    return ctd::test::runCommand(ctd::test::shellQuote(CTD_CLI_PATH) + " " + arguments);
}

TEST_F(ImporterTest, CliImportListShow) {
    if (!std::filesystem::exists(CTD_CLI_PATH)) GTEST_SKIP() << "ctd not built at " << CTD_CLI_PATH;
    const auto database = (m_folder / "cli.sqlite").string();
    const auto file = write("cli_eval.json", R"({"instructions": ["first document", "second document"], "inputs": []})");
    const std::string db = "--db " + ctd::test::shellQuote(database) + " ";

    auto imported = runCli(db + "data import " + ctd::test::shellQuote(file.string()));
    EXPECT_EQ(imported.exitCode, 0) << imported.output;
    EXPECT_NE(imported.output.find("imported dataset 1"), std::string::npos) << imported.output;
    EXPECT_NE(imported.output.find("eval, 2 records"), std::string::npos) << imported.output;

    auto again = runCli(db + "data import " + ctd::test::shellQuote(file.string()) + " --name other");
    EXPECT_EQ(again.exitCode, 0) << again.output;
    EXPECT_NE(again.output.find("already imported: dataset 1"), std::string::npos) << again.output;

    auto listed = runCli(db + "data list");
    EXPECT_EQ(listed.exitCode, 0) << listed.output;
    EXPECT_NE(listed.output.find("cli_eval"), std::string::npos) << listed.output;
    EXPECT_NE(listed.output.find(ctd::util::sha256Hex(R"({"instructions": ["first document", "second document"], "inputs": []})").substr(0, 12)),
              std::string::npos) << listed.output;

    auto shown = runCli(db + "data show 1 --limit 1");
    EXPECT_EQ(shown.exitCode, 0) << shown.output;
    EXPECT_NE(shown.output.find("first document"), std::string::npos) << shown.output;
    EXPECT_EQ(shown.output.find("second document"), std::string::npos) << shown.output;

    auto missing = runCli(db + "data show 42");
    EXPECT_NE(missing.exitCode, 0);
    EXPECT_NE(missing.output.find("ctd: error:"), std::string::npos) << missing.output;

    const auto bad = write("bad.json", R"([{"instruction": 3, "output": "x"}])");
    auto failed = runCli(db + "data import " + ctd::test::shellQuote(bad.string()));
    EXPECT_NE(failed.exitCode, 0);
    EXPECT_NE(failed.output.find("record 0, field \"instruction\""), std::string::npos) << failed.output;
    EXPECT_EQ(std::count(failed.output.begin(), failed.output.end(), '\n'), 1) << failed.output;
}

}  // namespace
