// Every bad input of docs/bad-inputs.md, fed to the real parsers: each must be refused with a typed
// error. With CTD_BAD_INPUTS_DOC=<file> set, writes the table of docs/bad-inputs.md from the
// messages it got (temporary folders shown as <dir>), so the doc shows what users really see:
//   CTD_BAD_INPUTS_DOC=docs/bad-inputs.table.md build/tests/ctd_unit_test_bad_inputs
#include "core/data/importers.h"
#include "core/data/mixture.h"
#include "core/data/task.h"
#include "core/experiment/spec.h"
#include "core/model/config.h"
#include "core/model/safetensors.h"
#include "core/text/prompt_template.h"
#include "core/train/training_spec.h"
#include "core/util/error.h"
#include "tests/test_support.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace ctd;

struct BadInput {
    std::string kind;     // the file kind, as a user would name it
    std::string problem;  // what is wrong with it
    std::function<void(const fs::path& dir)> load;  // writes the input into `dir`, then reads it as the product does
};

void write(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string safetensors(const std::string& header, const std::string& data) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return bytes + header + data;
}

std::string withLength(std::uint64_t length, const std::string& rest) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
    return bytes + rest;
}

void openWeights(const fs::path& dir, const std::string& header, const std::string& data) {
    write(dir / "model.safetensors", safetensors(header, data));
    model::SafetensorsArchive::openFolder(dir);
}

void loadTensor(const fs::path& dir, const std::string& header, const std::string& data, const std::string& name) {
    write(dir / "model.safetensors", safetensors(header, data));
    model::SafetensorsArchive::openFolder(dir).load(name);
}

// A two-tensor model folder with an index naming `shard` for tensor "w".
void openIndex(const fs::path& dir, const std::string& index) {
    model::saveSafetensors(dir / "model-00001-of-00001.safetensors", {{"w", at::ones({2})}});
    write(dir / "model.safetensors.index.json", index);
    model::SafetensorsArchive::openFolder(dir);
}

std::string shard(const std::string& name) { return R"({"weight_map":{"w":")" + name + R"("}})"; }

const std::string kConfig = R"({"model_type":"llama","hidden_size":128,"intermediate_size":352,"num_attention_heads":4,)"
                            R"("num_hidden_layers":2,"vocab_size":1024,"rms_norm_eps":1e-6,"max_position_embeddings":512)";

void loadConfig(const fs::path& dir, const std::string& text) {
    write(dir / "config.json", text);
    model::LlamaConfig::load(dir / "config.json");
}

void import(const fs::path& dir, const std::string& name, const std::string& bytes, const std::string& kind = {}) {
    write(dir / name, bytes);
    data::importFile(dir / name, {kind, {}});
}

void loadTemplate(const fs::path& dir, const std::string& text) {
    write(dir / "my_template.json", text);
    text::PromptTemplate::load(dir / "my_template.json");
}

void loadTasks(const fs::path& dir, const std::string& text) {
    write(dir / "tasks.json", text);
    data::TaskRegistry::builtin().loadFile(dir / "tasks.json");
}

void loadMixture(const fs::path& dir, const std::string& text) {
    write(dir / "mixture.json", text);
    data::MixtureSpec::load(dir / "mixture.json");
}

void loadTraining(const fs::path& dir, const std::string& text) {
    write(dir / "train.json", text);
    train::TrainingSpec::load(dir / "train.json");
}

const std::string kExperimentStart = R"({"name":"e","models":[{"name":"m","path":"m","template":"alpaca"}],)";

void loadExperiment(const fs::path& dir, const std::string& text) {
    write(dir / "experiment.json", text);
    experiment::ExperimentSpec::load(dir / "experiment.json");
}

std::vector<BadInput> badInputs() {
    const std::string f32x2 = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    return {
        {"safetensors", "file shorter than the 8-byte length", [](auto d) { write(d / "model.safetensors", "abc"); model::SafetensorsArchive::openFolder(d); }},
        {"safetensors", "header length of 200 MB", [](auto d) { write(d / "model.safetensors", withLength(200'000'000, "{}")); model::SafetensorsArchive::openFolder(d); }},
        {"safetensors", "header length past the end (truncated)", [](auto d) { write(d / "model.safetensors", withLength(64, "{}")); model::SafetensorsArchive::openFolder(d); }},
        {"safetensors", "header is not JSON", [](auto d) { openWeights(d, "{\"w\": nope}", ""); }},
        {"safetensors", "header is a JSON list", [](auto d) { openWeights(d, "[1,2]", ""); }},
        {"safetensors", "header nests 20 levels deep", [](auto d) { openWeights(d, std::string(20, '[') + std::string(20, ']'), ""); }},
        {"safetensors", "number beyond a double (1e400) in the header", [](auto d) { openWeights(d, R"({"w":1e400})", ""); }},
        {"safetensors", "unknown dtype", [](auto d) { openWeights(d, R"({"w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')); }},
        {"safetensors", "dtype missing", [](auto d) { openWeights(d, R"({"w":{"shape":[2],"data_offsets":[0,8]}})", std::string(8, '\0')); }},
        {"safetensors", "negative dimension", [](auto d) { openWeights(d, R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0')); }},
        {"safetensors", "shape product overflows 64 bits", [](auto d) { openWeights(d, R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,2],"data_offsets":[0,8]}})", std::string(8, '\0')); }},
        {"safetensors", "data_offsets past the end of the file", [](auto d) { openWeights(d, R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0')); }},
        {"safetensors", "data_offsets reversed", [](auto d) { openWeights(d, R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", std::string(8, '\0')); }},
        {"safetensors", "shape disagrees with the byte span", [](auto d) { openWeights(d, R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')); }},
        {"safetensors", "data_offsets not a pair", [](auto d) { openWeights(d, R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8]}})", std::string(8, '\0')); }},
        {"safetensors", "__metadata__ value not a string", [f32x2](auto d) { openWeights(d, R"({"__metadata__":{"format":1},)" + f32x2.substr(1), std::string(8, '\0')); }},
        {"safetensors", "loading an F4 tensor (valid, not loadable)", [](auto d) { loadTensor(d, R"({"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}})", std::string(1, '\0'), "w"); }},
        {"safetensors", "BOOL tensor holding the byte 2", [](auto d) { loadTensor(d, R"({"w":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}})", std::string(1, '\2'), "w"); }},
        {"model folder", "empty folder", [](auto d) { model::SafetensorsArchive::openFolder(d); }},
        {"model folder", "only pytorch_model.bin (pickle)", [](auto d) { write(d / "pytorch_model.bin", "x"); model::SafetensorsArchive::openFolder(d); }},
        {"model folder", "a *.pt file given directly", [](auto d) { write(d / "adapter.pt", "x"); model::SafetensorsArchive::openFile(d / "adapter.pt"); }},
        {"safetensors index", "index is not JSON", [](auto d) { openIndex(d, "{weight_map"); }},
        {"safetensors index", "weight_map missing", [](auto d) { openIndex(d, R"({"metadata":{}})"); }},
        {"safetensors index", "weight_map empty", [](auto d) { openIndex(d, R"({"weight_map":{}})"); }},
        {"safetensors index", "shard name not a string", [](auto d) { openIndex(d, R"({"weight_map":{"w":1}})"); }},
        {"safetensors index", "shard name with ../", [](auto d) { openIndex(d, shard("../model-00001-of-00001.safetensors")); }},
        {"safetensors index", "absolute shard path", [](auto d) { openIndex(d, shard("/etc/passwd")); }},
        {"safetensors index", "shard in a subfolder", [](auto d) { openIndex(d, shard("sub/shard.safetensors")); }},
        {"safetensors index", "shard is a symlink to a file outside", [](auto d) {
             model::saveSafetensors(d.parent_path() / (d.filename().string() + "-outside.safetensors"), {{"w", at::ones({2})}});
             fs::create_symlink(d.parent_path() / (d.filename().string() + "-outside.safetensors"), d / "link.safetensors");
             openIndex(d, shard("link.safetensors")); }},
        {"safetensors index", "shard file missing", [](auto d) { openIndex(d, shard("model-00002-of-00002.safetensors")); }},
        {"safetensors index", "tensor not in its shard", [](auto d) { openIndex(d, R"({"weight_map":{"v":"model-00001-of-00001.safetensors"}})"); }},
        {"safetensors index", "shard is a pickle file", [](auto d) { openIndex(d, shard("pytorch_model-00001.bin")); }},
        {"config.json", "not JSON", [](auto d) { loadConfig(d, "{\"hidden_size\": 128,}"); }},
        {"config.json", "hidden_size missing", [](auto d) { loadConfig(d, R"({"model_type":"llama","vocab_size":10})"); }},
        {"config.json", "model_type gpt2", [](auto d) { loadConfig(d, kConfig + R"(,"model_type":"gpt2"})"); }},
        {"config.json", "heads do not divide hidden_size", [](auto d) { loadConfig(d, kConfig + R"(,"num_attention_heads":3})"); }},
        {"config.json", "rope_scaling set", [](auto d) { loadConfig(d, kConfig + R"(,"rope_scaling":{"type":"linear","factor":2.0}})"); }},
        {"config.json", "hidden_size a string", [](auto d) { loadConfig(d, kConfig + R"(,"hidden_size":"128"})"); }},
        {"config.json", "model_type false (found by fuzzing)", [](auto d) { loadConfig(d, kConfig + R"(,"model_type":false})"); }},
        {"config.json", "hidden_act a number", [](auto d) { loadConfig(d, kConfig + R"(,"hidden_act":5})"); }},
        {"config.json", "attention_bias a string", [](auto d) { loadConfig(d, kConfig + R"(,"attention_bias":"no"})"); }},
        {"Alpaca JSON", "record without output", [](auto d) { import(d, "train.json", R"([{"instruction":"a","input":""}])"); }},
        {"Alpaca JSON", "instruction is a number", [](auto d) { import(d, "train.json", R"([{"instruction":5,"input":"","output":"x"}])"); }},
        {"Alpaca JSON", "trailing comma (invalid JSON)", [](auto d) { import(d, "train.json", R"([{"instruction":"a","output":"b"},])"); }},
        {"Alpaca JSONL", "second line not an object", [](auto d) { import(d, "train.jsonl", "{\"instruction\":\"a\",\"output\":\"b\"}\n[1]\n"); }},
        {"evaluation file", "more inputs than instructions", [](auto d) { import(d, "test.json", R"({"instructions":["a"],"inputs":["x","y"]})", "eval"); }},
        {"evaluation file", "instructions not a list", [](auto d) { import(d, "test.json", R"({"instructions":"a","inputs":["x"]})", "eval"); }},
        {"generation output", "fewer outputs than inputs", [](auto d) { import(d, "gen.json", R"({"instructions":["a"],"inputs":["x"],"outputs":[]})", "generations"); }},
        {"CSV", "unterminated quote", [](auto d) { import(d, "data.csv", "instruction,output\n\"open,b\n"); }},
        {"CSV", "no instruction column", [](auto d) { import(d, "data.csv", "question,answer\nq,a\n", "csv"); }},
        {"CSV", "row with more fields than the header", [](auto d) { import(d, "data.csv", "instruction,output\na,b,c\n"); }},
        {"any dataset", "invalid UTF-8", [](auto d) { import(d, "data.csv", "instruction,output\n\xc3\x28,b\n"); }},
        {"any dataset", "nothing recognisable (kind detection)", [](auto d) { import(d, "notes.txt", "just some text\n"); }},
        {"any dataset", "a folder instead of a file", [](auto d) { fs::create_directories(d / "data"); data::importFile(d / "data"); }},
        {"prompt template", "placeholder other than {instruction}/{input}", [](auto d) { loadTemplate(d, R"({"prompt_input":"{instruction} {context}","prompt_no_input":"{instruction}","response_split":"R:"})"); }},
        {"prompt template", "response_split missing", [](auto d) { loadTemplate(d, R"({"prompt_input":"{instruction} {input}","prompt_no_input":"{instruction}"})"); }},
        {"prompt template", "unbalanced brace", [](auto d) { loadTemplate(d, R"({"prompt_input":"{instruction {input}","prompt_no_input":"{instruction}","response_split":"R:"})"); }},
        {"prompt template", "prompt_no_input uses {input}", [](auto d) { loadTemplate(d, R"({"prompt_input":"{instruction} {input}","prompt_no_input":"{input}","response_split":"R:"})"); }},
        {"task file", "duplicate of a paper task", [](auto d) { loadTasks(d, R"([{"name":"summarize","instruction":"Shorten it."}])"); }},
        {"task file", "empty instruction", [](auto d) { loadTasks(d, R"([{"name":"shout","instruction":""}])"); }},
        {"task file", "an object instead of a list", [](auto d) { loadTasks(d, R"({"name":"shout","instruction":"x"})"); }},
        {"mixture spec", "unknown field", [](auto d) { loadMixture(d, R"({"name":"m","benign":[],"extra":1})"); }},
        {"mixture spec", "negative count", [](auto d) { loadMixture(d, R"({"name":"m","benign":[{"name":"g","path":"g.json","count":-5}]})"); }},
        {"mixture spec", "count is a word other than all", [](auto d) { loadMixture(d, R"({"name":"m","benign":[{"name":"g","path":"g.json","count":"many"}]})"); }},
        {"training spec", "base_model missing", [](auto d) { loadTraining(d, R"({"mixture":"m.json"})"); }},
        {"training spec", "unknown loss", [](auto d) { loadTraining(d, R"({"base_model":"m","mixture":"m.json","loss":"focal"})"); }},
        {"training spec", "micro_batch_size 0", [](auto d) { loadTraining(d, R"({"base_model":"m","mixture":"m.json","micro_batch_size":0})"); }},
        {"training spec", "misspelled field", [](auto d) { loadTraining(d, R"({"base_model":"m","mixture":"m.json","epoch":3})"); }},
        {"training spec", "epochs a string", [](auto d) { loadTraining(d, R"({"base_model":"m","mixture":"m.json","epochs":"3"})"); }},
        {"experiment spec", "unknown defended task", [](auto d) { loadExperiment(d, kExperimentStart + R"("grid":[{"defended_task":"poetry","counts":[1]}]})"); }},
        {"experiment spec", "generation strategy sample", [](auto d) { loadExperiment(d, kExperimentStart + R"("grid":[{"defended_task":"summarize","counts":[1]}],"evaluation":{"suites":[{"name":"w","world":"w"}],"generation":{"strategy":"sample"}}})"); }},
        {"experiment spec", "max_new_tokens 0", [](auto d) { loadExperiment(d, kExperimentStart + R"("grid":[{"defended_task":"summarize","counts":[1]}],"evaluation":{"suites":[{"name":"w","world":"w"}],"generation":{"max_new_tokens":0}}})"); }},
        {"experiment spec", "no models", [](auto d) { loadExperiment(d, R"({"name":"e","models":[],"grid":[{"defended_task":"summarize","counts":[1]}]})"); }},
    };
}

std::string shownMessage(std::string message, const fs::path& dir) {
    for (std::size_t at; (at = message.find(dir.string())) != std::string::npos;)
        message.replace(at, dir.string().size(), "<dir>");
    std::string cell;
    for (const char c : message) cell += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
    return cell;
}

TEST(BadInputs, EveryOneIsRefusedWithATypedError) {
    std::string table = "| File kind | What is wrong | Error | Message (`ctd: error: ` + this on the command line) |\n"
                        "|---|---|---|---|\n";
    int rows = 0;
    for (const auto& input : badInputs()) {
        test::TempDir temp("ctd-bad-input-");
        const fs::path dir = temp / "in";
        fs::create_directories(dir);
        std::string type, message;
        try {
            input.load(dir);
        } catch (const IoError& e) {
            type = "IoError", message = e.what();
        } catch (const FormatError& e) {
            type = "FormatError", message = e.what();
        } catch (const ConfigError& e) {
            type = "ConfigError", message = e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << input.kind << " / " << input.problem << ": untyped error: " << e.what();
            continue;
        }
        if (type.empty()) {
            ADD_FAILURE() << input.kind << " / " << input.problem << ": accepted";
            continue;
        }
        EXPECT_FALSE(message.empty());
        table += "| " + input.kind + " | " + input.problem + " | " + type + " | " + shownMessage(message, dir) + " |\n";
        ++rows;
    }
    EXPECT_GE(rows, 40);
    if (const char* out = std::getenv("CTD_BAD_INPUTS_DOC")) std::ofstream(out) << table;
}

}  // namespace
