// Training spec JSON <-> TrainingSpec, with errors naming the file and field.
#include "core/train/training_spec.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

namespace ctd::train {

namespace {

using nlohmann::json;

template <typename T>
T field(const json& j, const std::string& name, T fallback, const std::string& source) {
    return util::optionalField<T, ConfigError>(j, name, std::move(fallback), source);
}

void rejectUnknown(const json& j, const std::vector<std::string>& known, const std::string& source,
                   const std::string& where) {
    for (const auto& item : j.items())
        if (std::find(known.begin(), known.end(), item.key()) == known.end())
            throw ConfigError(source + ": unknown field '" + where + item.key() + "'");
}

std::string resolvePath(const std::string& path, const std::filesystem::path& base) {
    if (path.empty()) return path;
    std::filesystem::path p(path);
    if (p.is_absolute() || base.empty()) return p.lexically_normal().string();
    return (base / p).lexically_normal().string();
}

}  // namespace

TrainingSpec TrainingSpec::fromJson(const json& j, const std::string& source, const std::filesystem::path& specDir) {
    if (!j.is_object()) throw ConfigError(source + ": a training spec must be a JSON object");
    rejectUnknown(j, {"name", "base_model", "model_family", "template", "mixture", "lora", "optimizer", "loss",
                      "train_on_inputs", "cutoff_length", "truncation", "micro_batch_size", "batch_size",
                      "gradient_accumulation_steps", "epochs", "max_steps", "seed", "checkpoint_every",
                      "full_parameter", "device", "dtype", "autocast_dtype", "output_dir", "description", "spec_dir"},
                  source, "");
    TrainingSpec s;
    // A stored spec remembers the folder its relative paths were written against.
    s.specDir = j.contains("spec_dir") && j["spec_dir"].is_string() ? std::filesystem::path(j["spec_dir"].get<std::string>())
                                                                   : specDir;
    s.name = field<std::string>(j, "name", "", source);
    const std::filesystem::path base = s.specDir;
    s.baseModel = resolvePath(field<std::string>(j, "base_model", "", source), base);
    if (s.baseModel.empty()) throw ConfigError(source + ": field 'base_model' is missing (an HF model folder)");
    s.templateName = field<std::string>(j, "template", "alpaca", source);
    if (s.templateName.find(".json") != std::string::npos) s.templateName = resolvePath(s.templateName, base);
    s.modelFamily = field<std::string>(j, "model_family", "", source);
    if (s.modelFamily.empty()) s.modelFamily = s.templateName == "llama2" ? "llama2" : "llama1";
    if (!j.contains("mixture")) throw ConfigError(source + ": field 'mixture' is missing (a mixture spec path or object)");
    if (j["mixture"].is_string()) s.mixture = resolvePath(j["mixture"].get<std::string>(), base);
    else if (j["mixture"].is_object()) s.mixtureSpec = j["mixture"];
    else throw ConfigError(source + ": field 'mixture' must be a path or an object");

    if (j.contains("lora")) {
        const json& l = j["lora"];
        if (!l.is_object()) throw ConfigError(source + ": field 'lora' must be an object");
        rejectUnknown(l, {"r", "alpha", "dropout", "target_modules"}, source, "lora.");
        s.lora.rank = field<int64_t>(l, "r", 8, source);
        s.lora.alpha = field<double>(l, "alpha", 16.0, source);
        s.lora.dropout = field<double>(l, "dropout", 0.05, source);
        s.lora.targetModules = field<std::vector<std::string>>(l, "target_modules", {"q_proj", "v_proj"}, source);
    }
    auto& o = s.trainer.optimizer;
    if (j.contains("optimizer")) {
        const json& opt = j["optimizer"];
        if (!opt.is_object()) throw ConfigError(source + ": field 'optimizer' must be an object");
        rejectUnknown(opt, {"learning_rate", "beta1", "beta2", "epsilon", "weight_decay", "warmup_steps", "schedule",
                            "max_grad_norm"},
                      source, "optimizer.");
        o.learningRate = field<double>(opt, "learning_rate", 3e-4, source);
        o.beta1 = field<double>(opt, "beta1", 0.9, source);
        o.beta2 = field<double>(opt, "beta2", 0.999, source);
        o.epsilon = field<double>(opt, "epsilon", 1e-8, source);
        o.weightDecay = field<double>(opt, "weight_decay", 0.0, source);
        o.warmupSteps = field<int64_t>(opt, "warmup_steps", 10, source);
        o.schedule = field<std::string>(opt, "schedule", "linear", source);
        o.maxGradNorm = field<double>(opt, "max_grad_norm", 1.0, source);
    }
    s.lossName = field<std::string>(j, "loss", "token_mean", source);
    try {
        s.trainer.loss = parseLossType(s.lossName);
    } catch (const ConfigError& error) {
        throw ConfigError(source + ": field 'loss': " + error.what());
    }
    s.trainOnInputs = field<bool>(j, "train_on_inputs", true, source) && !lossMasksPrompt(s.trainer.loss);
    s.cutoffLength = field<int64_t>(j, "cutoff_length", 1024, source);
    s.truncation = field<std::string>(j, "truncation", "document", source);
    if (s.truncation != "document" && s.truncation != "tail")
        throw ConfigError(source + ": field 'truncation' must be 'document' or 'tail'");
    s.trainer.microBatchSize = field<int64_t>(j, "micro_batch_size", 4, source);
    // The authors give a batch size (128) and a micro-batch (4): accumulation = batch / micro.
    const int64_t batchSize = field<int64_t>(j, "batch_size", 128, source);
    if (s.trainer.microBatchSize <= 0 || batchSize <= 0)
        throw ConfigError(source + ": 'batch_size' and 'micro_batch_size' must be positive");
    s.trainer.gradientAccumulation = field<int64_t>(j, "gradient_accumulation_steps",
                                                    std::max<int64_t>(1, batchSize / s.trainer.microBatchSize), source);
    s.trainer.epochs = field<int64_t>(j, "epochs", 3, source);
    s.trainer.maxSteps = field<int64_t>(j, "max_steps", 0, source);
    s.trainer.seed = field<uint64_t>(j, "seed", 42, source);
    s.trainer.checkpointEvery = field<int64_t>(j, "checkpoint_every", 0, source);
    s.trainer.fullParameter = field<bool>(j, "full_parameter", false, source);
    s.trainer.autocastDtype = field<std::string>(j, "autocast_dtype", "", source);
    s.device = field<std::string>(j, "device", "cpu", source);
    s.dtype = field<std::string>(j, "dtype", "float32", source);
    s.outputDir = resolvePath(field<std::string>(j, "output_dir", "", source), base);
    return s;
}

TrainingSpec TrainingSpec::load(const std::filesystem::path& file) {
    return fromJson(util::readJsonFile(file), file.string(), std::filesystem::absolute(file).parent_path());
}

nlohmann::json TrainingSpec::toJson() const {
    json j = {{"name", name},
              {"base_model", baseModel},
              {"model_family", modelFamily},
              {"template", templateName},
              {"lora", {{"r", lora.rank}, {"alpha", lora.alpha}, {"dropout", lora.dropout},
                        {"target_modules", lora.targetModules}}},
              {"optimizer", {{"learning_rate", trainer.optimizer.learningRate},
                             {"beta1", trainer.optimizer.beta1},
                             {"beta2", trainer.optimizer.beta2},
                             {"epsilon", trainer.optimizer.epsilon},
                             {"weight_decay", trainer.optimizer.weightDecay},
                             {"warmup_steps", trainer.optimizer.warmupSteps},
                             {"schedule", trainer.optimizer.schedule},
                             {"max_grad_norm", trainer.optimizer.maxGradNorm}}},
              {"loss", lossName},
              {"train_on_inputs", trainOnInputs},
              {"cutoff_length", cutoffLength},
              {"truncation", truncation},
              {"micro_batch_size", trainer.microBatchSize},
              {"gradient_accumulation_steps", trainer.gradientAccumulation},
              {"epochs", trainer.epochs},
              {"max_steps", trainer.maxSteps},
              {"seed", trainer.seed},
              {"checkpoint_every", trainer.checkpointEvery},
              {"full_parameter", trainer.fullParameter},
              {"autocast_dtype", trainer.autocastDtype},
              {"device", device},
              {"dtype", dtype},
              {"output_dir", outputDir},
              {"spec_dir", specDir.string()}};
    if (!mixture.empty()) j["mixture"] = mixture;
    else j["mixture"] = mixtureSpec;
    return j;
}

}  // namespace ctd::train
