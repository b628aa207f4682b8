// Fuzzing findings as regression tests, and every seed/regression input of tests/fuzz/corpus
// replayed through the real parsers of this (g++) build: each must parse or throw a ctd::Error.
#include "core/data/importers.h"
#include "core/data/mixture.h"
#include "core/data/task.h"
#include "core/experiment/spec.h"
#include "core/model/config.h"
#include "core/model/safetensors_header.h"
#include "core/text/prompt_template.h"
#include "core/train/loss.h"
#include "core/train/training_spec.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using ctd::util::parseJson;

const fs::path kFuzzDir = fs::path(CTD_SOURCE_DIR) / "tests" / "fuzz";

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

const std::uint8_t* bytesOf(const std::string& text) { return reinterpret_cast<const std::uint8_t*>(text.data()); }

// The same calls as tests/fuzz/targets/fuzz_<name>.cpp, by target name.
const std::map<std::string, std::function<void(const std::string&)>>& parsers() {
    using namespace ctd;
    static const std::map<std::string, std::function<void(const std::string&)>> table{
        {"safetensors_header", [](const std::string& b) { model::parseSafetensorsHeader(bytesOf(b), b.size(), "f.safetensors"); }},
        {"safetensors_index", [](const std::string& b) { model::parseSafetensorsIndex(b, "index.json", "model"); }},
        {"model_config", [](const std::string& b) { model::LlamaConfig::fromJson(parseJson(b, "config.json"), "config.json"); }},
        {"alpaca_json", [](const std::string& b) { data::parseAlpaca(b, "train.json"); }},
        {"alpaca_jsonl", [](const std::string& b) { data::parseAlpaca(b, "train.jsonl"); }},
        {"evaluation", [](const std::string& b) { data::parseEvaluation(b, "test.json"); }},
        {"generations", [](const std::string& b) { data::parseGenerations(b, "generations.json"); }},
        {"csv", [](const std::string& b) { data::parseCsv(b, "data.csv"); }},
        {"import_detect", [](const std::string& b) { data::importBytes(b, "upload.dat"); }},
        {"prompt_template",
         [](const std::string& b) {
             const auto t = text::PromptTemplate::fromJson(parseJson(b, "template.json"), "template.json", "fuzz");
             t.getResponse(t.renderWithResponse("Summarize {this}.", "a {document}", "ok") + t.responseSplit());
         }},
        {"task_file",
         [](const std::string& b) { data::TaskRegistry::builtin().loadJson(parseJson(b, "tasks.json"), "tasks.json"); }},
        {"mixture_spec",
         [](const std::string& b) { data::MixtureSpec::fromJson(parseJson(b, "mixture.json"), "mixture.json", "/nowhere"); }},
        {"training_spec",
         [](const std::string& b) { train::TrainingSpec::fromJson(parseJson(b, "train.json"), "train.json", "/nowhere"); }},
        {"experiment_spec",
         [](const std::string& b) {
             experiment::ExperimentSpec::fromJson(parseJson(b, "experiment.json"), "experiment.json", "/nowhere");
         }},
    };
    return table;
}

TEST(FuzzCorpus, EveryTargetHasAParserHereAndSeeds) {
    for (const auto& entry : fs::directory_iterator(kFuzzDir / "targets")) {
        const std::string name = std::regex_replace(entry.path().stem().string(), std::regex("^fuzz_"), "");
        EXPECT_TRUE(parsers().count(name)) << name << " has no replay here";
        EXPECT_TRUE(fs::is_directory(kFuzzDir / "corpus" / name)) << name << " has no seed corpus";
    }
}

TEST(FuzzCorpus, EveryInputParsesOrThrowsATypedError) {
    int inputs = 0;
    for (const auto& [name, parse] : parsers()) {
        for (const auto& entry : fs::directory_iterator(kFuzzDir / "corpus" / name)) {
            ++inputs;
            const std::string bytes = readFile(entry.path());
            try {
                parse(bytes);
            } catch (const ctd::Error&) {
            } catch (const std::exception& error) {
                ADD_FAILURE() << entry.path() << ": untyped exception: " << error.what();
            }
        }
    }
    EXPECT_GT(inputs, 40);
}

// Found by fuzz_safetensors_header in 40 s: a number literal beyond a double's range escaped
// util::parseJson as nlohmann's out_of_range (every JSON reader shared the crash).
TEST(FuzzRegressions, NumberBeyondDoubleRangeIsAFormatError) {
    std::string header = R"({"a":4e4444444444400000001860691})";
    std::string file(8, '\0');
    file[0] = static_cast<char>(header.size());
    file += header;
    try {
        ctd::model::parseSafetensorsHeader(bytesOf(file), file.size(), "weights.safetensors");
        FAIL() << "accepted";
    } catch (const ctd::FormatError& error) {
        EXPECT_EQ(std::string(error.what()),
                  "weights.safetensors (header):1:6: invalid JSON: the number 4e4444444444400000001860691 is too "
                  "large to represent");
    }
    try {
        parseJson("{\n  \"epochs\": -1e400\n}", "train.json");
        FAIL() << "accepted";
    } catch (const ctd::FormatError& error) {
        EXPECT_EQ(std::string(error.what()), "train.json:2:13: invalid JSON: the number -1e400 is too large to represent");
    }
    EXPECT_THROW(ctd::data::parseAlpaca(R"([{"instruction": "x", "output": 1e999}])", "train.json"), ctd::FormatError);
}

}  // namespace
