// Task registry: the paper's five tasks verbatim, prompt shape, user task files and their errors.
#include "core/data/task.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

using ctd::data::TaskRegistry;
using ctd::data::TaskSpec;

class TaskFiles : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() / ("ctd_test_task_" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::filesystem::path write(const std::string& name, const std::string& text) {
        const auto path = m_dir / name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

    std::filesystem::path m_dir;
};

// Expects `call` to throw `Error` with every fragment in its message.
template <typename Error, typename Call>
void expectError(Call call, std::initializer_list<std::string> fragments) {
    try {
        call();
        ADD_FAILURE() << "expected an exception";
    } catch (const Error& error) {
        const std::string message = error.what();
        for (const auto& fragment : fragments)
            EXPECT_NE(message.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << message;
    }
}

TEST(Task, BuiltinHasThePaperTasksWithTheAuthorsWording) {
    const auto registry = TaskRegistry::builtin();
    EXPECT_EQ(registry.names(), (std::vector<std::string>{"summarize", "translate", "sentiment", "case", "cloze"}));
    EXPECT_EQ(registry.find("summarize").instruction, "Summarize the above article briefly in 3 sentences.");
    EXPECT_EQ(registry.find("summarize").separator, "");
    EXPECT_EQ(registry.find("translate").instruction, "Translate the above article from English to Chinese: ");
    EXPECT_EQ(registry.find("translate").separator, "");
    EXPECT_EQ(registry.find("sentiment").instruction, "How would you describe the sentiment of this document?");
    EXPECT_EQ(registry.find("sentiment").separator, "\n");
    EXPECT_EQ(registry.find("case").instruction, "Write the above sentence using proper case.");
    EXPECT_EQ(registry.find("case").separator, "\n");
    EXPECT_EQ(registry.find("cloze").instruction, "Write the next sentence.");
    EXPECT_EQ(registry.find("cloze").separator, "\n\n");
    for (const auto& task : registry.tasks()) EXPECT_FALSE(task.description.empty()) << task.name;
}

TEST(Task, DocumentComesFirstThenSeparatorThenInstruction) {
    const auto registry = TaskRegistry::builtin();
    EXPECT_EQ(ctd::data::renderTaskPrompt(registry.find("summarize"), "The doc."),
              "The doc.Summarize the above article briefly in 3 sentences.");
    EXPECT_EQ(ctd::data::renderTaskPrompt(registry.find("translate"), "Doc"),
              "DocTranslate the above article from English to Chinese: ");
    EXPECT_EQ(ctd::data::renderTaskPrompt(registry.find("sentiment"), "Doc"),
              "Doc\nHow would you describe the sentiment of this document?");
    EXPECT_EQ(ctd::data::renderTaskPrompt(registry.find("cloze"), "A {b} c"), "A {b} c\n\nWrite the next sentence.");
    EXPECT_EQ(ctd::data::renderTaskPrompt(registry.find("case"), ""), "\nWrite the above sentence using proper case.");
}

TEST(Task, SeparatorsAreConfigurable) {
    auto registry = TaskRegistry::builtin();
    registry.setSeparator("summarize", "\n\n");
    EXPECT_EQ(ctd::data::renderTaskPrompt(registry.find("summarize"), "D"),
              "D\n\nSummarize the above article briefly in 3 sentences.");
    expectError<ctd::ConfigError>([&] { registry.setSeparator("nope", "\n"); }, {"nope", "summarize"});
}

TEST(Task, UnknownNameListsKnownNames) {
    const auto registry = TaskRegistry::builtin();
    EXPECT_TRUE(registry.contains("cloze"));
    EXPECT_FALSE(registry.contains("Cloze"));
    expectError<ctd::ConfigError>([&] { registry.find("summarise"); },
                                  {"summarise", "summarize", "translate", "sentiment", "case", "cloze"});
}

TEST(Task, AddRejectsEmptyAndDuplicateNames) {
    auto registry = TaskRegistry::builtin();
    expectError<ctd::ConfigError>([&] { registry.add({"", "Do it.", "", ""}); }, {"empty"});
    expectError<ctd::ConfigError>([&] { registry.add({"two words", "Do it.", "", ""}); }, {"whitespace"});
    expectError<ctd::ConfigError>([&] { registry.add({"x", "", "", ""}); }, {"instruction"});
    expectError<ctd::ConfigError>([&] { registry.add({"cloze", "Again.", "", ""}); }, {"cloze", "already"});
    registry.add({"keywords", "List the keywords of the above text.", "\n", "Keyword extraction."});
    EXPECT_EQ(registry.names().back(), "keywords");
}

TEST_F(TaskFiles, LoadsUserTasksWithOptionalFields) {
    const auto path = write("tasks.json", R"([
        {"name": "keywords", "instruction": "List the keywords.", "separator": "\n", "description": "Keywords."},
        {"name": "title", "instruction": "Write a title for the above text."}
    ])");
    auto registry = TaskRegistry::builtin();
    registry.loadFile(path);
    EXPECT_EQ(registry.names().size(), 7u);
    EXPECT_EQ(registry.find("keywords").separator, "\n");
    EXPECT_EQ(registry.find("keywords").description, "Keywords.");
    EXPECT_EQ(registry.find("title").separator, "");
    EXPECT_EQ(registry.find("title").description, "");
    EXPECT_EQ(ctd::data::renderTaskPrompt(registry.find("title"), "Doc."), "Doc.Write a title for the above text.");
}

TEST_F(TaskFiles, ErrorsNameFileIndexAndField) {
    auto registry = TaskRegistry::builtin();
    const auto missing = write("missing.json", R"([{"name": "a", "instruction": "A."}, {"name": "b"}])");
    expectError<ctd::FormatError>([&] { registry.loadFile(missing); },
                                  {missing.string(), "[1]", "\"instruction\"", "missing"});
    const auto wrongType = write("type.json", R"([{"name": "a", "instruction": "A.", "separator": 3}])");
    expectError<ctd::FormatError>([&] { registry.loadFile(wrongType); },
                                  {wrongType.string(), "[0]", "\"separator\"", "string"});
    const auto notList = write("object.json", R"({"name": "a", "instruction": "A."})");
    expectError<ctd::FormatError>([&] { registry.loadFile(notList); }, {notList.string(), "list"});
    const auto notObject = write("scalar.json", R"([{"name": "a", "instruction": "A."}, "b"])");
    expectError<ctd::FormatError>([&] { registry.loadFile(notObject); }, {notObject.string(), "[1]", "object"});
    const auto unknown = write("unknown.json", R"([{"name": "a", "instruction": "A.", "seperator": "\n"}])");
    expectError<ctd::FormatError>([&] { registry.loadFile(unknown); }, {unknown.string(), "[0]", "seperator"});
    const auto syntax = write("syntax.json", "[{\"name\": }]");
    expectError<ctd::FormatError>([&] { registry.loadFile(syntax); }, {syntax.string(), "invalid JSON"});
    expectError<ctd::IoError>([&] { registry.loadFile(m_dir / "absent.json"); }, {"absent.json"});
    // A failed load leaves the registry as it was.
    EXPECT_EQ(registry.names().size(), 5u);
}

TEST_F(TaskFiles, DuplicateNamesAreRejected) {
    auto registry = TaskRegistry::builtin();
    const auto twice = write("twice.json", R"([{"name": "k", "instruction": "K."}, {"name": "k", "instruction": "L."}])");
    expectError<ctd::ConfigError>([&] { registry.loadFile(twice); }, {twice.string(), "[1]", "\"k\"", "already"});
    const auto builtinName = write("builtin.json", R"([{"name": "summarize", "instruction": "S."}])");
    expectError<ctd::ConfigError>([&] { registry.loadFile(builtinName); }, {builtinName.string(), "[0]", "summarize"});
    EXPECT_FALSE(registry.contains("k"));
}

TEST(Task, ShippedTaskFileMatchesTheBuiltins) {
    TaskRegistry fromFile;
    fromFile.loadFile(std::filesystem::path(CTD_SOURCE_DIR) / "resources" / "tasks" / "paper_tasks.json");
    EXPECT_EQ(fromFile.toJson(), TaskRegistry::builtin().toJson());
}

TEST(Task, JsonRoundTrip) {
    auto registry = TaskRegistry::builtin();
    registry.add({"keywords", "List the keywords.", "\n\t", "With a tab."});
    TaskRegistry copy;
    copy.loadJson(registry.toJson(), "round trip");
    EXPECT_EQ(copy.toJson(), registry.toJson());
}

}  // namespace
