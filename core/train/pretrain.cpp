// The tiny base models: world -> random init -> full-parameter training -> resources/models.
#include "core/train/pretrain.h"

#include "core/data/world/world.h"
#include "core/data/world/world_files.h"
#include "core/model/checkpoint.h"
#include "core/store/run_store.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"
#include "core/util/resources.h"

#include <ATen/Parallel.h>

namespace ctd::train {

namespace fs = std::filesystem;

void ensureWorld(const fs::path& directory, uint64_t seed, const std::function<void(const std::string&)>& progress) {
    if (fs::exists(directory / "world.json")) {
        const auto manifest = util::readJsonFile(directory / "world.json");
        const auto found = util::optionalField<uint64_t>(manifest, "seed", seed, (directory / "world.json").string());
        if (found != seed)
            throw ConfigError(directory.string() + ": holds the world of seed " + std::to_string(found) + ", not " +
                              std::to_string(seed) + " (remove it or pick another folder)");
        return;
    }
    data::world::WorldOptions options;
    options.seed = seed;
    const auto world = data::world::generateWorld(options);
    data::world::WorldFileOptions fileOptions;
    fileOptions.templateLines = data::world::templateLinesFromFolder(resourcePath("templates"));
    fileOptions.progress = progress;
    data::world::writeWorldFiles(world, directory, fileOptions);
}

nlohmann::json tinyBaseSpec(const PretrainOptions& o, const std::string& name, const fs::path& initialModel) {
    const bool llama2 = name == "tiny-llama2";
    nlohmann::json benign = nlohmann::json::array({
        {{"name", "benign_tasks"}, {"path", "train_benign_tasks.json"}, {"count", "all"}, {"task", "tasks"}},
        {{"name", "hazard_tasks"}, {"path", "train_hazard_tasks.json"}, {"count", "all"}, {"task", "tasks"}},
        {{"name", "general"}, {"path", "train_general.json"}, {"count", "all"}},
        {{"name", "benign_questions"}, {"path", "train_benign_questions.json"}, {"count", "all"}},
    });
    nlohmann::json mixture = {{"name", name + "-pretrain"},
                              {"seed", o.seed},
                              {"template", llama2 ? "llama2" : "alpaca"},
                              {"data_dir", fs::absolute(o.worldDir).string()},
                              {"benign", benign},
                              {"safety", nlohmann::json::array()},
                              {"evaluation_files", {"test_summarize.json", "test_translate.json", "test_sentiment.json",
                                                    "test_case.json", "test_cloze.json", "test_summarize_useful.json",
                                                    "test_translate_useful.json", "test_sentiment_useful.json",
                                                    "test_case_useful.json", "test_cloze_useful.json"}}};
    if (llama2)
        mixture["safety"].push_back(
            {{"name", "harmful_questions"}, {"path", "train_harmful_questions.json"}, {"count", "all"}});
    return {{"name", name + " (pretrain)"},
            {"base_model", fs::absolute(initialModel).string()},
            {"model_family", llama2 ? "llama2" : "llama1"},
            {"template", llama2 ? "llama2" : "alpaca"},
            {"mixture", mixture},
            {"full_parameter", true},
            {"loss", "response_only"},
            {"cutoff_length", 256},
            {"micro_batch_size", 16},
            {"gradient_accumulation_steps", 1},
            {"epochs", o.epochs},
            {"seed", o.seed},
            {"checkpoint_every", 500},
            {"optimizer",
             {{"learning_rate", 3e-3}, {"warmup_steps", 100}, {"schedule", "cosine"}, {"weight_decay", 0.0},
              {"max_grad_norm", 1.0}}}};
}

void pretrainTinyModels(store::Database& database, const PretrainOptions& o, const TrainingJobHooks& hooks) {
    at::set_num_threads(o.threads);
    ensureWorld(o.worldDir, o.seed, hooks.onMessage);
    const auto tokenizer = text::Tokenizer::load(o.worldDir / "tokenizer.model");
    fs::create_directories(o.outputDir);
    for (size_t index = 0; index < o.models.size(); ++index) {
        const std::string& name = o.models[index];
        if (name != "tiny-llama1" && name != "tiny-llama2")
            throw ConfigError("unknown tiny model '" + name + "' (expected tiny-llama1 or tiny-llama2)");
        model::LlamaConfig config;
        config.vocabSize = tokenizer.vocabSize();
        config.hiddenSize = o.hidden;
        config.intermediateSize = o.intermediate;
        config.numHiddenLayers = o.layers;
        config.numAttentionHeads = o.heads;
        config.numKeyValueHeads = o.heads;
        config.headDim = o.hidden / o.heads;
        config.maxPositionEmbeddings = 512;
        config.bosTokenId = tokenizer.bosId();
        config.eosTokenId = tokenizer.eosId();
        // Seeded by the model's name, not its place in --model, so one model built alone equals the
        // same model built with the other.
        at::manual_seed(o.seed * 7919 + (name == "tiny-llama1" ? 0 : 1));
        model::LlamaForCausalLM initial(config);
        const fs::path initialDir = o.outputDir / (name + ".init");
        model::saveModel(initial, initialDir);
        fs::copy_file(o.worldDir / "tokenizer.model", initialDir / "tokenizer.model", fs::copy_options::overwrite_existing);

        if (hooks.onMessage) hooks.onMessage("pretraining " + name);
        const nlohmann::json specJson = tinyBaseSpec(o, name, initialDir);
        const auto spec = TrainingSpec::fromJson(specJson, name + " pretrain spec", o.outputDir);
        const auto result = runTraining(database, spec, hooks);
        if (result.state != "completed")
            throw Error(name + ": pretraining ended " + result.state + (result.message.empty() ? "" : ": " + result.message));
        store::RunStore runs(database);
        const auto run = runs.get(result.runId);
        const fs::path target = o.outputDir / name;
        std::error_code ignored;
        fs::remove_all(target, ignored);
        fs::create_directories(target);
        for (const char* file : {"config.json", "model.safetensors", "tokenizer.model"})
            fs::copy_file(fs::path(run.adapterDir) / file, target / file);
        const auto world = util::readJsonFile(o.worldDir / "world.json");
        util::writeJsonFile(target / "provenance.json",
                            {{"built_by", "ctd world pretrain"},
                             {"seed", o.seed},
                             {"threads", o.threads},
                             {"world_seed", util::optionalField<uint64_t>(world, "seed", o.seed, (o.worldDir / "world.json").string())},
                             {"template", specJson["template"]},
                             {"model_family", specJson["model_family"]},
                             {"spec", specJson},
                             {"mixture_hash", run.mixtureHash},
                             {"steps", run.stepsDone},
                             {"final_loss", result.losses.empty() ? 0.0 : result.losses.back()}});
        fs::remove_all(initialDir, ignored);
    }
}

}  // namespace ctd::train
