// Evaluation benchmark (not a test): generation tokens/s of a batched evaluation against one prompt
// at a time on the same suite and model, and how fast the store takes 100k responses (and their
// refusal scores). Prints one JSON object per measurement.
//
//   ctd_bench_evaluation [--threads N] [--model DIR --template NAME] [--per-group N]
//                        [--max-new-tokens N] [--batch-size B] [--device cpu|cuda] [--responses N]
//
// Without --model, a random Llama of the tiny world's size (width 128, 4 layers, its 1024-piece
// tokenizer) is built; every response then runs to --max-new-tokens (EOS is disabled), so both
// modes generate exactly the same number of tokens.
#include "core/data/world/world.h"
#include "core/data/world/world_files.h"
#include "core/eval/evaluator.h"
#include "core/eval/refusal.h"
#include "core/eval/scoring.h"
#include "core/model/checkpoint.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"
#include "core/text/tokenizer.h"
#include "core/util/resources.h"

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

using namespace ctd;
namespace fs = std::filesystem;

namespace {

struct Options {
    int threads = 2;
    std::string model, templateName = "alpaca", device = "cpu";
    int64_t perGroup = 4, maxNewTokens = 32, batchSize = 16, responses = 100000;
};

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The tiny world's evaluation files and tokenizer, and (without --model) a random model over them.
fs::path prepare(const fs::path& folder, Options& options) {
    data::world::WorldFileOptions files;
    files.templateLines = data::world::templateLinesFromFolder(resourcePath("templates"));
    data::world::WorldOptions world;
    world.benignTrainDocuments = world.hazardTrainDocuments = 200;
    world.defenseDocuments = 50;
    data::world::writeWorldFiles(data::world::generateWorld(world), folder / "world", files);
    if (!options.model.empty()) return folder / "world";
    const auto tokenizer = text::Tokenizer::load(folder / "world" / "tokenizer.model");
    model::LlamaConfig config;
    config.vocabSize = tokenizer.vocabSize();
    config.hiddenSize = 128;
    config.intermediateSize = 352;
    config.numHiddenLayers = 4;
    config.numAttentionHeads = 4;
    config.numKeyValueHeads = 4;
    config.headDim = 32;
    config.maxPositionEmbeddings = 1024;
    at::manual_seed(0);
    model::LlamaForCausalLM llama(config);
    model::saveModel(llama, folder / "model");
    fs::copy_file(folder / "world" / "tokenizer.model", folder / "model" / "tokenizer.model");
    options.model = (folder / "model").string();
    return folder / "world";
}

void benchGeneration(const fs::path& folder, const fs::path& world, const Options& options, bool randomModel) {
    store::Database database(folder / "generation.sqlite");
    const eval::Suite suite = eval::worldSuite(world, "world");
    eval::saveSuite(database, suite, true);
    eval::EvaluationSettings settings;
    settings.generation.maxNewTokens = options.maxNewTokens;
    if (randomModel) settings.generation.eosId = -1;  // identical work in both modes
    settings.limitPerGroup = options.perGroup;
    settings.device = options.device;
    settings.scoreAfterwards = false;
    for (int64_t batchSize : {options.batchSize, int64_t{1}}) {
        store::RunRecord run;
        run.name = "batch " + std::to_string(batchSize);
        run.kind = "base";
        run.state = "completed";
        run.baseModel = options.model;
        run.templateName = options.templateName;
        const int64_t runId = store::RunStore(database).create(run);
        settings.batchSize = batchSize;
        const auto start = std::chrono::steady_clock::now();
        const auto result = eval::evaluateRun(database, runId, suite, settings);
        const double wall = secondsSince(start);
        std::cout << nlohmann::json{{"bench", "evaluation_generation"},
                                    {"mode", batchSize == 1 ? "one_at_a_time" : "batched"},
                                    {"batch_size", batchSize},
                                    {"model", randomModel ? "random 128x4 (tiny-world size)" : options.model},
                                    {"device", options.device},
                                    {"items", result.generated},
                                    {"new_tokens", result.newTokens},
                                    {"generation_seconds", result.generationSeconds},
                                    {"tokens_per_s", result.tokensPerSecond()},
                                    {"wall_seconds_with_load_and_store", wall}}
                         .dump()
                  << std::endl;
    }
}

// Responses of realistic size (a ~700-token document shows up twice: document and prompt).
std::vector<store::ResponseRecord> syntheticResponses(int64_t count) {
    std::mt19937 random(1);
    const std::string words[] = {"the", "group", "met", "on", "monday", "and", "read", "report", "about", "birds"};
    auto text = [&](int length) {
        std::string out;
        for (int i = 0; i < length; ++i) out += (i ? " " : "") + words[random() % 10];
        return out;
    };
    const std::string tasks[] = {"summarize", "translate", "sentiment", "case", "cloze"};
    std::vector<store::ResponseRecord> rows;
    rows.reserve(static_cast<std::size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
        store::ResponseRecord r;
        r.itemKey = "item:" + std::to_string(i);
        r.task = tasks[i % 5];
        r.harmful = i % 2 == 0;
        r.document = text(500);
        r.prompt = "### Instruction:\n" + r.document + "\n### Response:\n";
        r.reference = text(40);
        r.response = i % 3 == 0 ? "I'm sorry, but I cannot help with that." : text(60);
        r.newTokens = 64;
        r.promptTokens = 700;
        rows.push_back(std::move(r));
    }
    return rows;
}

void benchStore(const fs::path& folder, const Options& options) {
    const auto rows = syntheticResponses(options.responses);
    double bytes = 0;
    for (const auto& r : rows) bytes += static_cast<double>(r.document.size() + r.prompt.size() + r.response.size());
    for (int64_t perTransaction : {int64_t{16}, int64_t{1000}}) {
        const fs::path path = folder / ("store-" + std::to_string(perTransaction) + ".sqlite");
        store::Database database(path);
        store::RunRecord run;
        run.name = "store bench";
        run.kind = "base";
        run.state = "completed";
        const int64_t runId = store::RunStore(database).create(run);
        store::ResultStore results(database);
        const int64_t evaluationId = results.createEvaluation(runId, "bench", {}, "bench");
        const auto start = std::chrono::steady_clock::now();
        for (std::size_t begin = 0; begin < rows.size(); begin += static_cast<std::size_t>(perTransaction)) {
            const auto end = std::min(rows.size(), begin + static_cast<std::size_t>(perTransaction));
            results.insertResponses(evaluationId, std::vector<store::ResponseRecord>(rows.begin() + begin, rows.begin() + end));
        }
        const double insertSeconds = secondsSince(start);
        std::cout << nlohmann::json{{"bench", "store_responses"},
                                    {"responses", rows.size()},
                                    {"responses_per_transaction", perTransaction},
                                    {"seconds", insertSeconds},
                                    {"responses_per_s", static_cast<double>(rows.size()) / insertSeconds},
                                    {"mb_text", bytes / 1e6},
                                    {"database_mb", static_cast<double>(fs::file_size(path)) / 1e6}}
                         .dump()
                  << std::endl;
        if (perTransaction != 1000) continue;
        const auto scoreStart = std::chrono::steady_clock::now();
        const auto scored = eval::scoreRefusals(database, {evaluationId}, eval::RefusalScorer::preset("authors"));
        const double scoreSeconds = secondsSince(scoreStart);
        std::cout << nlohmann::json{{"bench", "rescore_refusals"},
                                    {"responses", scored.responses},
                                    {"refused", scored.refused},
                                    {"seconds", scoreSeconds},
                                    {"responses_per_s", static_cast<double>(scored.responses) / scoreSeconds}}
                         .dump()
                  << std::endl;
    }
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--threads") options.threads = std::atoi(value.c_str());
        else if (flag == "--model") options.model = value;
        else if (flag == "--template") options.templateName = value;
        else if (flag == "--per-group") options.perGroup = std::atoll(value.c_str());
        else if (flag == "--max-new-tokens") options.maxNewTokens = std::atoll(value.c_str());
        else if (flag == "--batch-size") options.batchSize = std::atoll(value.c_str());
        else if (flag == "--device") options.device = value;
        else if (flag == "--responses") options.responses = std::atoll(value.c_str());
        else {
            std::cerr << "unknown option " << flag << "\n";
            return 2;
        }
    }
    at::set_num_threads(options.threads);
    at::set_num_interop_threads(1);
    const fs::path folder = fs::temp_directory_path() / ("ctd-bench-evaluation-" + std::to_string(std::random_device{}()));
    fs::create_directories(folder);
    try {
        const bool randomModel = options.model.empty();
        const fs::path world = prepare(folder, options);
        benchGeneration(folder, world, options, randomModel);
        if (options.responses > 0) benchStore(folder, options);
    } catch (const std::exception& error) {
        std::cerr << "bench_evaluation: " << error.what() << "\n";
        fs::remove_all(folder);
        return 1;
    }
    fs::remove_all(folder);
    return 0;
}
