// Prompt rendering and example encoding against Python: str.format / alpaca-lora's Prompter for the
// shipped templates, and finetune.py's tokenize + mask with HF's LlamaTokenizer. Byte-for-byte and
// id-for-id: there is no tolerance, text and token ids are exact.
#include "core/text/encoding.h"
#include "core/text/prompt_template.h"
#include "core/text/python_format.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

namespace {

using ctd::text::PromptTemplate;
using nlohmann::json;

const std::filesystem::path kFixtureDir = std::filesystem::path(CTD_FIXTURE_DIR) / "templates";

// The fixtures, or a skip when tests/reference/make_template_fixtures.py has not written them.
const json* cases() {
    static const json loaded = [] {
        const auto path = kFixtureDir / "cases.json";
        return std::filesystem::exists(path) ? ctd::util::readJsonFile(path) : json();
    }();
    return loaded.is_null() ? nullptr : &loaded;
}

#define REQUIRE_FIXTURES()                                                                                 \
    if (!cases())                                                                                          \
    GTEST_SKIP() << (kFixtureDir / "cases.json").string()                                                  \
                 << " missing: run tests/reference/make_template_fixtures.py (make_fixtures.py calls it)"

const PromptTemplate& shipped(const std::string& name) {
    static std::map<std::string, PromptTemplate> templates;
    auto found = templates.find(name);
    if (found == templates.end()) found = templates.emplace(name, PromptTemplate::builtin(name)).first;
    return found->second;
}

TEST(TemplateParity, RenderMatchesThePrompter) {
    REQUIRE_FIXTURES();
    int checked = 0;
    for (const auto& item : cases()->at("render_cases")) {
        const auto& promptTemplate = shipped(item.at("template").get<std::string>());
        const auto label = item.at("template").get<std::string>() + "/" + item.at("label").get<std::string>();
        const auto instruction = item.at("instruction").get<std::string>();
        const auto input = item.at("input").get<std::string>();
        const auto output = item.at("output").get<std::string>();
        const std::string prompt = promptTemplate.render(instruction, input);
        EXPECT_EQ(prompt, item.at("prompt").get<std::string>()) << label;
        const std::string full = promptTemplate.renderWithResponse(instruction, input, output);
        EXPECT_EQ(full, item.at("full").get<std::string>()) << label;
        // Python raises IndexError without a marker; the C++ side returns "" there.
        const std::string expected = item.at("response").is_null() ? "" : item.at("response").get<std::string>();
        EXPECT_EQ(promptTemplate.getResponse(full), expected) << label;
        ++checked;
    }
    EXPECT_GE(checked, 40);
}

TEST(TemplateParity, FormatMatchesPythonStrFormat) {
    REQUIRE_FIXTURES();
    for (const auto& item : cases()->at("format_cases")) {
        const auto pattern = item.at("pattern").get<std::string>();
        const auto values = item.at("values").get<std::map<std::string, std::string>>();
        if (item.contains("result")) {
            EXPECT_EQ(ctd::text::formatPython(pattern, values, "parity"), item.at("result").get<std::string>())
                << "pattern: " << pattern;
        } else {
            // Python raised (KeyError/ValueError/IndexError), or the pattern is outside the subset.
            EXPECT_THROW(ctd::text::formatPython(pattern, values, "parity"), ctd::FormatError)
                << "pattern: " << pattern << " (" << item.value("error", std::string("unsupported")) << ")";
        }
    }
}

TEST(TemplateParity, EncodingMatchesFinetuneTokenize) {
    REQUIRE_FIXTURES();
    const auto tokenizer =
        ctd::text::Tokenizer::load(kFixtureDir / cases()->at("encoding_tokenizer").get<std::string>());
    int checked = 0;
    for (const auto& item : cases()->at("encoding_cases")) {
        const auto& promptTemplate = shipped(item.at("template").get<std::string>());
        ctd::text::EncodeOptions options;
        options.cutoffLength = item.at("cutoff").get<int64_t>();
        options.trainOnInputs = item.at("train_on_inputs").get<bool>();
        options.addEos = true;
        options.truncation = ctd::text::EncodeOptions::TruncateTail;
        const auto instruction = item.at("instruction").get<std::string>();
        const auto input = item.at("input").get<std::string>();
        const auto output = item.at("output").get<std::string>();
        const std::string label = item.at("template").get<std::string>() + " cutoff " +
                                  std::to_string(options.cutoffLength) + " train_on_inputs " +
                                  std::to_string(options.trainOnInputs) + ": " + instruction.substr(0, 30);
        const auto expectedIds = item.at("input_ids").get<std::vector<int64_t>>();
        const auto expectedLabels = item.at("labels").get<std::vector<int64_t>>();
        const auto tail = ctd::text::encodeExample(tokenizer, promptTemplate, instruction, input, output, options);
        EXPECT_EQ(tail.inputIds, expectedIds) << label;
        EXPECT_EQ(tail.labels, expectedLabels) << label;
        EXPECT_EQ(tail.truncated, !item.at("fits").get<bool>()) << label;
        EXPECT_EQ(tail.promptTokens, std::min<int64_t>(item.at("prompt_tokens").get<int64_t>(),
                                                       static_cast<int64_t>(expectedIds.size())))
            << label;
        if (item.at("fits").get<bool>()) {
            // Document-first truncation changes nothing when the example fits.
            options.truncation = ctd::text::EncodeOptions::TruncateDocument;
            const auto document = ctd::text::encodeExample(tokenizer, promptTemplate, instruction, input, output, options);
            EXPECT_EQ(document.inputIds, expectedIds) << label;
            EXPECT_EQ(document.labels, expectedLabels) << label;
        }
        ++checked;
    }
    EXPECT_GE(checked, 100);
}

}  // namespace
