// `ctd generate`: text generation with a model folder (+ optional PEFT adapter).
#include "commands.h"

#include "core/model/checkpoint.h"
#include "core/model/generate.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <iostream>
#include <sstream>

namespace ctd::cli {

namespace {

struct GenerateOptions {
    std::string model, adapter, promptFile, device = "cpu", dtype = "float32";
    std::vector<std::string> prompts;
    int64_t maxNewTokens = 128, beams = 0, topK = 0, batchSize = 8;
    double temperature = 0.0, topP = 1.0;
    uint64_t seed = 0;
    bool greedy = false, json = false, noCache = false;
};

// One prompt per line; or a JSON list of strings (.json); or JSONL of strings / {"prompt": ...}.
std::vector<std::string> readPromptFile(const std::string& path) {
    const std::string text = util::readFileBytes(path);
    std::vector<std::string> prompts;
    auto fromValue = [&](const nlohmann::json& value, const std::string& where) {
        if (value.is_string()) prompts.push_back(value.get<std::string>());
        else if (value.is_object() && value.contains("prompt") && value["prompt"].is_string())
            prompts.push_back(value["prompt"].get<std::string>());
        else throw FormatError(where + ": expected a string or an object with a string 'prompt'");
    };
    if (path.size() >= 5 && path.substr(path.size() - 5) == ".json") {
        const auto list = util::parseJson(text, path);
        if (!list.is_array()) throw FormatError(path + ": expected a JSON list of prompts");
        for (size_t i = 0; i < list.size(); ++i) fromValue(list[i], path + ": prompt " + std::to_string(i));
    } else if (path.size() >= 6 && path.substr(path.size() - 6) == ".jsonl") {
        std::istringstream lines(text);
        std::string line;
        for (int number = 1; std::getline(lines, line); ++number)
            if (!line.empty()) fromValue(util::parseJson(line, path + ":" + std::to_string(number)),
                                         path + ":" + std::to_string(number));
    } else {
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) prompts.push_back(line);
    }
    return prompts;
}

void runGenerate(const GenerateOptions& o) {
    std::vector<std::string> prompts = o.prompts;
    if (!o.promptFile.empty()) {
        const auto fromFile = readPromptFile(o.promptFile);
        prompts.insert(prompts.end(), fromFile.begin(), fromFile.end());
    }
    if (prompts.empty()) throw ConfigError("generate: give at least one --prompt or a --prompt-file");
    model::GenerationSettings settings;
    settings.maxNewTokens = o.maxNewTokens;
    settings.useCache = !o.noCache;
    settings.seed = o.seed;
    const bool sampling = o.temperature > 0.0 || o.topK > 0 || o.topP < 1.0;
    if ((o.greedy ? 1 : 0) + (o.beams > 0 ? 1 : 0) + (sampling ? 1 : 0) > 1)
        throw ConfigError("generate: choose one of --greedy, --beams N, or sampling (--temperature/--top-k/--top-p)");
    if (o.beams > 0) {
        settings.strategy = model::GenerationSettings::Strategy::Beam;
        settings.numBeams = o.beams;
    } else if (sampling) {
        settings.strategy = model::GenerationSettings::Strategy::Sample;
        settings.temperature = o.temperature > 0.0 ? o.temperature : 1.0;
        settings.topK = o.topK;
        settings.topP = o.topP;
    }
    const model::LoadOptions load{model::parseDevice(o.device), model::parseDtype(o.dtype)};
    auto llama = model::loadModel(o.model, load);
    if (!o.adapter.empty()) model::loadAdapter(llama, o.adapter);
    const auto tokenizer = text::Tokenizer::load(o.model);

    std::vector<std::vector<int64_t>> encoded;
    for (const auto& prompt : prompts) encoded.push_back(tokenizer.encode(prompt, /*addBos=*/true));
    for (size_t begin = 0; begin < encoded.size(); begin += static_cast<size_t>(std::max<int64_t>(1, o.batchSize))) {
        const size_t end = std::min(encoded.size(), begin + static_cast<size_t>(std::max<int64_t>(1, o.batchSize)));
        const std::vector<std::vector<int64_t>> chunk(encoded.begin() + begin, encoded.begin() + end);
        const auto outputs = model::generate(llama, chunk, settings);
        for (size_t i = 0; i < chunk.size(); ++i) {
            const std::string text = tokenizer.decode(outputs[i]);
            if (o.json) {
                std::cout << nlohmann::json{{"prompt", prompts[begin + i]},
                                            {"prompt_token_ids", chunk[i]},
                                            {"token_ids", outputs[i]},
                                            {"text", text}}
                                 .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                          << "\n";
            } else {
                std::cout << text << "\n";
            }
        }
    }
}

}  // namespace

void registerGenerateCommand(CLI::App& app, GlobalOptions&) {
    auto options = std::make_shared<GenerateOptions>();
    auto* command = app.add_subcommand("generate", "Generate text from prompts with a model (+ adapter)");
    command->add_option("--model", options->model, "HF model folder")->required();
    command->add_option("--adapter", options->adapter, "PEFT adapter folder");
    command->add_option("--prompt", options->prompts, "Prompt text (repeatable)");
    command->add_option("--prompt-file", options->promptFile,
                        "Prompts: one per line, a .json list, or .jsonl of strings / {\"prompt\": ...}");
    command->add_option("--max-new-tokens", options->maxNewTokens, "Maximum new tokens")->capture_default_str();
    command->add_flag("--greedy", options->greedy, "Greedy decoding (the default)");
    command->add_option("--beams", options->beams, "Beam search with N beams");
    command->add_option("--temperature", options->temperature, "Sampling temperature");
    command->add_option("--top-k", options->topK, "Sampling: keep the K most likely tokens");
    command->add_option("--top-p", options->topP, "Sampling: nucleus probability mass");
    command->add_option("--seed", options->seed, "Sampling seed");
    command->add_option("--batch-size", options->batchSize, "Prompts per batch")->capture_default_str();
    command->add_option("--device", options->device, "cpu, cuda or cuda:N")->capture_default_str();
    command->add_option("--dtype", options->dtype, "float32, bfloat16 or float16")->capture_default_str();
    command->add_flag("--no-cache", options->noCache, "Re-run the whole prefix each step (no KV cache)");
    command->add_flag("--json", options->json, "One JSON object per prompt");
    command->callback([options] { runGenerate(*options); });
}

}  // namespace ctd::cli
