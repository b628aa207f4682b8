// Prompt templates: the shipped Alpaca / Llama-2-chat files, Python str.format semantics, load
// errors, get_response, and resource folder resolution.
#include "core/text/prompt_template.h"
#include "core/text/python_format.h"
#include "core/util/error.h"
#include "core/util/resources.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

using ctd::text::PromptTemplate;

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

std::string format(const std::string& pattern) {
    return ctd::text::formatPython(pattern, {{"instruction", "I"}, {"input", "N"}}, "test");
}

class TemplateFiles : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = std::filesystem::temp_directory_path() / ("ctd_test_template_" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_dir);
    }
    void TearDown() override {
        ::unsetenv("CTD_RESOURCE_DIR");
        std::filesystem::remove_all(m_dir);
    }
    std::filesystem::path write(const std::string& name, const std::string& text) {
        const auto path = m_dir / name;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }
    std::filesystem::path m_dir;
};

TEST(PythonFormat, EscapesAndFields) {
    EXPECT_EQ(format("{{literal}} {instruction}"), "{literal} I");
    EXPECT_EQ(format("{{{instruction}}}"), "{I}");
    EXPECT_EQ(format("}}{{"), "}{");
    EXPECT_EQ(format("{{{{instruction}}}}"), "{{instruction}}");
    EXPECT_EQ(format("{instruction}{input}{instruction}"), "INI");
    EXPECT_EQ(format(""), "");
    EXPECT_EQ(format("ünï {input} 😀"), "ünï N 😀");
}

TEST(PythonFormat, ValuesAreInsertedVerbatim) {
    const auto result = ctd::text::formatPython("[{instruction}]", {{"instruction", "{input} {{ }} { }"}}, "test");
    EXPECT_EQ(result, "[{input} {{ }} { }]");
}

TEST(PythonFormat, MalformedPatternsAreRejectedWithTheSource) {
    expectError<ctd::FormatError>([] { format("{unknown}"); }, {"test", "unknown", "KeyError"});
    expectError<ctd::FormatError>([] { format("oops }"); }, {"test", "single '}'"});
    expectError<ctd::FormatError>([] { format("}"); }, {"single '}'"});
    expectError<ctd::FormatError>([] { format("{"); }, {"single '{'"});
    expectError<ctd::FormatError>([] { format("{instruction"); }, {"expected '}'"});
    expectError<ctd::FormatError>([] { format("{}"); }, {"positional"});
    expectError<ctd::FormatError>([] { format("{0}"); }, {"positional"});
    expectError<ctd::FormatError>([] { format("{instruction!r}"); }, {"conversion"});
    expectError<ctd::FormatError>([] { format("{instruction:>5}"); }, {"format specification"});
    expectError<ctd::FormatError>([] { format("{instruction.upper}"); }, {"attribute"});
    expectError<ctd::FormatError>([] { format("{instruction[0]}"); }, {"index"});
}

TEST(PythonFormat, FieldList) {
    EXPECT_EQ(ctd::text::pythonFormatFields("{a} {{b}} {c}{a}", "test"), (std::vector<std::string>{"a", "c"}));
}

TEST(PromptTemplate, AlpacaRendersLikeThePrompter) {
    const auto alpaca = PromptTemplate::builtin("alpaca");
    EXPECT_EQ(alpaca.name(), "alpaca");
    EXPECT_EQ(alpaca.render("Do X.", "Some input."),
              "Below is an instruction that describes a task, paired with an input that provides further context. "
              "Write a response that appropriately completes the request.\n\n### Instruction:\nDo X.\n\n"
              "### Input:\nSome input.\n\n### Response:\n");
    EXPECT_EQ(alpaca.render("Do X.", ""),
              "Below is an instruction that describes a task. Write a response that appropriately completes the "
              "request.\n\n### Instruction:\nDo X.\n\n### Response:\n");
    EXPECT_EQ(alpaca.render("Do X."), alpaca.render("Do X.", ""));
    // The label is appended directly, with no separator.
    EXPECT_EQ(alpaca.renderWithResponse("Do X.", "", "Done."), alpaca.render("Do X.") + "Done.");
    EXPECT_EQ(alpaca.responseSplit(), "### Response:");
}

TEST(PromptTemplate, Llama2RendersLikeThePrompter) {
    const auto llama2 = PromptTemplate::builtin("llama2");
    EXPECT_EQ(llama2.render("Doc {with} braces.", ""), "[INST] <<SYS>>\nDoc {with} braces.\n<<SYS>>\n\n[/INST]");
    EXPECT_EQ(llama2.render("System.", "User {{x}}."), "<s>[INST] <<SYS>>\nSystem.\n<<SYS>>\n\nUser {{x}}. [/INST]");
    EXPECT_EQ(llama2.responseSplit(), "[/INST]");
}

TEST(PromptTemplate, GetResponseFollowsPythonSplitAndStrip) {
    const auto alpaca = PromptTemplate::builtin("alpaca");
    const std::string prompt = alpaca.render("Do X.");
    EXPECT_EQ(alpaca.getResponse(prompt + "  The answer.\n"), "The answer.");
    // split()[1]: only the text up to a second marker.
    EXPECT_EQ(alpaca.getResponse(prompt + "one ### Response: two"), "one");
    EXPECT_EQ(alpaca.getResponse("no marker here"), "");
    EXPECT_EQ(alpaca.getResponse(prompt), "");
    // Python's str.strip() removes Unicode whitespace too (NBSP, ideographic space), not other text.
    EXPECT_EQ(alpaca.getResponse(prompt + "\u00a0\u3000\t 好 \u2028\x1f"), "好");
    EXPECT_EQ(alpaca.getResponse(prompt + "\u200b x"), "\u200b x");  // zero-width space is not whitespace
}

TEST(PromptTemplate, StripPythonWhitespace) {
    EXPECT_EQ(ctd::text::stripPythonWhitespace(""), "");
    EXPECT_EQ(ctd::text::stripPythonWhitespace(" \n\t "), "");
    EXPECT_EQ(ctd::text::stripPythonWhitespace("\u0085a b\u00a0"), "a b");
    EXPECT_EQ(ctd::text::stripPythonWhitespace("é"), "é");
    EXPECT_EQ(ctd::text::stripPythonWhitespace("\xe2\x80"), "\xe2\x80");  // truncated UTF-8 stays
}

TEST(PromptTemplate, UnknownBuiltinListsTheShippedNames) {
    expectError<ctd::ConfigError>([] { PromptTemplate::builtin("vicuna"); }, {"vicuna", "alpaca", "llama2"});
    EXPECT_EQ(PromptTemplate::builtinNames(), (std::vector<std::string>{"alpaca", "llama2"}));
}

TEST_F(TemplateFiles, LoadErrorsNameTheFileAndField) {
    const auto missing = write("missing.json", R"({"description": "d", "prompt_input": "{instruction}{input}",
                                                   "prompt_no_input": "{instruction}"})");
    expectError<ctd::FormatError>([&] { PromptTemplate::load(missing); }, {missing.string(), "response_split"});
    const auto wrongType = write("type.json", R"({"prompt_input": 1, "prompt_no_input": "", "response_split": "x"})");
    expectError<ctd::FormatError>([&] { PromptTemplate::load(wrongType); }, {wrongType.string(), "prompt_input", "string"});
    const auto badPattern = write("bad.json", R"({"prompt_input": "{instruction} {inputs}",
                                                 "prompt_no_input": "{instruction}", "response_split": "x"})");
    expectError<ctd::FormatError>([&] { PromptTemplate::load(badPattern); }, {badPattern.string(), "prompt_input", "inputs"});
    // The Prompter formats prompt_no_input with the instruction alone.
    const auto noInputUsesInput = write("noinput.json", R"({"prompt_input": "{instruction}{input}",
                                                           "prompt_no_input": "{instruction}{input}", "response_split": "x"})");
    expectError<ctd::FormatError>([&] { PromptTemplate::load(noInputUsesInput); },
                                  {noInputUsesInput.string(), "prompt_no_input", "input"});
    const auto unbalanced = write("brace.json", R"({"prompt_input": "{instruction}{input}",
                                                   "prompt_no_input": "{instruction} }", "response_split": "x"})");
    expectError<ctd::FormatError>([&] { PromptTemplate::load(unbalanced); }, {unbalanced.string(), "prompt_no_input", "'}'"});
    const auto notObject = write("list.json", "[]");
    expectError<ctd::FormatError>([&] { PromptTemplate::load(notObject); }, {notObject.string(), "object"});
    expectError<ctd::IoError>([&] { PromptTemplate::load(m_dir / "absent.json"); }, {"absent.json"});
}

TEST_F(TemplateFiles, CustomTemplateWithEscapes) {
    const auto path = write("custom.json", R"({"prompt_input": "{{json}}: {instruction} | {input}",
                                              "prompt_no_input": "{{{instruction}}}", "response_split": "=>"})");
    const auto custom = PromptTemplate::load(path);
    EXPECT_EQ(custom.name(), "custom");
    EXPECT_EQ(custom.description(), "");
    EXPECT_EQ(custom.render("a", "b"), "{json}: a | b");
    EXPECT_EQ(custom.render("a"), "{a}");
    EXPECT_EQ(PromptTemplate::fromJson(custom.toJson(), "again").render("a", "b"), "{json}: a | b");
}

TEST_F(TemplateFiles, ResourceDirFollowsTheEnvironment) {
    write("resources/templates/alpaca.json",
          R"({"prompt_input": "A {instruction} {input}", "prompt_no_input": "B {instruction}", "response_split": "C"})");
    ::setenv("CTD_RESOURCE_DIR", (m_dir / "resources").c_str(), 1);
    EXPECT_EQ(ctd::resourceDir(), m_dir / "resources");
    EXPECT_EQ(PromptTemplate::builtin("alpaca").render("x"), "B x");
    expectError<ctd::IoError>([] { PromptTemplate::builtin("llama2"); }, {"llama2.json"});
    ::setenv("CTD_RESOURCE_DIR", (m_dir / "nowhere").c_str(), 1);
    expectError<ctd::IoError>([] { ctd::resourceDir(); }, {"CTD_RESOURCE_DIR", "nowhere"});
    ::unsetenv("CTD_RESOURCE_DIR");
    // Without the override, the build tree falls back to the source tree's resources/.
    EXPECT_TRUE(std::filesystem::exists(ctd::resourceDir() / "templates" / "alpaca.json"));
}

}  // namespace
