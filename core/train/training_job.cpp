// Training runs end to end: spec -> mixture -> encoded examples -> Trainer, recorded in SQLite.
#include "core/train/training_job.h"

#include "core/data/mixture.h"
#include "core/model/checkpoint.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/text/encoding.h"
#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"
#include "core/util/out_of_memory.h"
#include "core/util/version.h"

#include <chrono>
#include <fstream>

namespace ctd::train {

namespace fs = std::filesystem;

namespace {

text::PromptTemplate loadTemplate(const std::string& name) {
    if (name.find(".json") != std::string::npos) return text::PromptTemplate::load(name);
    return text::PromptTemplate::builtin(name);
}

data::MixtureSpec mixtureSpecOf(const TrainingSpec& spec) {
    if (!spec.mixture.empty()) return data::MixtureSpec::load(spec.mixture);
    return data::MixtureSpec::fromJson(spec.mixtureSpec, "training spec '" + spec.name + "': mixture", spec.specDir);
}

struct Prepared {
    model::LlamaForCausalLM model{nullptr};
    std::vector<TrainingExample> examples;
    std::string mixtureHash;
    nlohmann::json mixtureCounts;
    text::EncodingStatistics statistics;
};

Prepared prepare(const TrainingSpec& spec, const TrainingJobHooks& hooks) {
    auto say = [&](const std::string& message) {
        if (hooks.onMessage) hooks.onMessage(message);
    };
    Prepared prepared;
    say("loading base model " + spec.baseModel);
    const model::LoadOptions load{model::parseDevice(spec.device), model::parseDtype(spec.dtype)};
    prepared.model = model::loadModel(spec.baseModel, load);
    // libtorch seeds its default generator randomly per process: seed before the adapter's
    // random init so the same spec gives the same run.
    at::manual_seed(spec.trainer.seed);
    if (!spec.trainer.fullParameter) prepared.model->addLora(spec.lora);
    const auto tokenizer = text::Tokenizer::load(spec.baseModel);
    const auto promptTemplate = loadTemplate(spec.templateName);

    say("building the mixture");
    const data::Mixture mixture = data::buildMixture(mixtureSpecOf(spec));
    prepared.mixtureHash = mixture.hash;
    prepared.mixtureCounts = {{"by_source", mixture.countsBySource}, {"by_task", mixture.countsByTask}};

    say("tokenizing " + std::to_string(mixture.examples.size()) + " examples");
    text::EncodeOptions options;
    options.cutoffLength = spec.cutoffLength;
    options.trainOnInputs = spec.trainOnInputs;
    options.truncation = spec.truncation == "tail" ? text::EncodeOptions::TruncateTail
                                                   : text::EncodeOptions::TruncateDocument;
    std::vector<text::EncodedExample> encoded;
    encoded.reserve(mixture.examples.size());
    for (const auto& example : mixture.examples) {
        encoded.push_back(text::encodeExample(tokenizer, promptTemplate, example.instruction, example.input,
                                              example.output, options, example.document));
        prepared.examples.push_back({encoded.back().inputIds, encoded.back().labels, example.task});
    }
    prepared.statistics = text::encodingStatistics(encoded);
    return prepared;
}

// Buffers metric points and writes them in batches (not one transaction per step).
class MetricWriter {
public:
    MetricWriter(store::RunStore& runs, int64_t runId) : m_runs(runs), m_runId(runId) {}
    void add(const TrainingProgress& p) {
        m_points.push_back({p.step, p.loss, p.learningRate, p.gradNorm, p.tokensPerSecond});
        const auto now = std::chrono::steady_clock::now();
        if (m_points.size() >= 50 || now - m_lastFlush > std::chrono::seconds(2)) flush();
    }
    void flush() {
        m_runs.appendMetrics(m_runId, m_points);
        m_points.clear();
        m_lastFlush = std::chrono::steady_clock::now();
    }

private:
    store::RunStore& m_runs;
    int64_t m_runId;
    std::vector<store::MetricPoint> m_points;
    std::chrono::steady_clock::time_point m_lastFlush = std::chrono::steady_clock::now();
};

TrainingJobResult train(store::Database& database, int64_t runId, const TrainingSpec& spec,
                        const TrainingJobHooks& hooks, const std::optional<fs::path>& checkpoint, bool swallowErrors) {
    store::RunStore runs(database);
    TrainingJobResult result;
    result.runId = runId;
    int64_t step = 0, total = 0;
    try {
        runs.setState(runId, "running");
        Prepared prepared = prepare(spec, hooks);
        const fs::path outputDir = runs.get(runId).outputDir;
        nlohmann::json provenance = {
            {"spec", spec.toJson()},
            {"mixture_hash", prepared.mixtureHash},
            {"mixture_counts", prepared.mixtureCounts},
            {"base_model_hash", model::modelFolderHash(spec.baseModel)},
            {"template", spec.templateName},
            {"seed", spec.trainer.seed},
            {"versions", {{"ctd", ctdVersion()}, {"libtorch", torchVersion()}}},
            {"device", spec.device},
            {"examples", prepared.examples.size()},
            {"tokens", {{"total", prepared.statistics.totalTokens},
                        {"trained", prepared.statistics.trainedTokens},
                        {"max", prepared.statistics.maxTokens},
                        {"mean", prepared.statistics.meanTokens},
                        {"truncated", prepared.statistics.truncated},
                        {"response_truncated", prepared.statistics.responseTruncated}}}};
        runs.setProvenance(runId, provenance);
        {
            store::Statement s = database.prepare("UPDATE runs SET mixture_hash = ?, base_model_hash = ? WHERE id = ?");
            s.bind(1, prepared.mixtureHash).bind(2, provenance["base_model_hash"].get<std::string>()).bind(3, runId);
            s.execute();
        }
        TrainerSettings settings = spec.trainer;
        const auto tokenizer = text::Tokenizer::load(spec.baseModel);
        settings.padId = tokenizer.padId() >= 0 ? tokenizer.padId() : tokenizer.eosId();
        Trainer trainer(prepared.model, std::move(prepared.examples), settings, outputDir / "checkpoints");
        total = trainer.totalSteps();
        runs.updateProgress(runId, checkpoint ? runs.get(runId).stepsDone : 0, total,
                            checkpoint ? checkpoint->string() : "");

        MetricWriter metrics(runs, runId);
        int64_t lastStateCheck = 0;
        TrainerHooks trainerHooks;
        trainerHooks.stopFlag = hooks.stopFlag;
        trainerHooks.onStep = [&](const TrainingProgress& p) {
            step = p.step;
            metrics.add(p);
            bool keepGoing = !hooks.onProgress || hooks.onProgress(p);
            // `ctd runs cancel` from another process marks the run; notice it every few steps.
            if (p.step - lastStateCheck >= 5) {
                lastStateCheck = p.step;
                if (runs.get(runId).state == "cancelled") keepGoing = false;
            }
            // A checkpoint follows this step: its metric points go first, so a process killed
            // right after the checkpoint appears cannot resume past points it never stored.
            const int64_t every = spec.trainer.checkpointEvery;
            const bool stopping = !keepGoing || (hooks.stopFlag && hooks.stopFlag->load());
            if (stopping || p.step >= p.totalSteps || (every > 0 && p.step % every == 0)) metrics.flush();
            return keepGoing;
        };
        trainerHooks.onBeforeCheckpoint = [&](int64_t) { metrics.flush(); };
        trainerHooks.onCheckpoint = [&](const fs::path& folder, int64_t step) {
            runs.updateProgress(runId, step, total, folder.string());
        };
        if (hooks.onMessage) hooks.onMessage("training: " + std::to_string(total) + " optimizer steps");
        const TrainingOutcome outcome = trainer.run(trainerHooks, checkpoint);
        metrics.flush();
        result.losses = outcome.losses;
        if (outcome.state == TrainingOutcome::State::Completed) {
            if (spec.trainer.fullParameter) {
                const fs::path modelDir = outputDir / "model";
                model::saveModel(prepared.model, modelDir);
                fs::copy_file(fs::path(spec.baseModel) / "tokenizer.model", modelDir / "tokenizer.model",
                              fs::copy_options::overwrite_existing);
                runs.setAdapterDir(runId, modelDir.string());
            } else {
                const fs::path adapterDir = outputDir / "adapter";
                model::saveAdapter(prepared.model, adapterDir, spec.baseModel);
                runs.setAdapterDir(runId, adapterDir.string());
            }
            runs.setState(runId, "completed");
            result.state = "completed";
        } else {
            result.state = "cancelled";
            result.message = "cancelled at step " + std::to_string(outcome.steps) + " of " + std::to_string(total) +
                             "; resumable from " + outcome.lastCheckpoint.string();
            runs.setState(runId, "cancelled", result.message);
        }
    } catch (const std::exception& error) {
        const bool outOfMemory = util::isOutOfMemory(error);
        result.state = "failed";
        result.message = outOfMemory ? describeOutOfMemory(error, spec, step, total) : error.what();
        try {
            runs.setState(runId, "failed", result.message);
        } catch (...) {
            // The database itself failed; the original error is what the user needs.
        }
        if (!swallowErrors) {
            if (outOfMemory) throw Error(result.message);
            throw;
        }
    }
    return result;
}

// <db folder>/<db name>.runs/run-<id>, where a run without an output_dir keeps its checkpoints.
fs::path defaultOutputDir(const store::Database& database, int64_t runId) {
    return fs::absolute(database.path()).parent_path() / (database.path().stem().string() + ".runs") /
           ("run-" + std::to_string(runId));
}

}  // namespace

std::string describeOutOfMemory(const std::exception& error, const TrainingSpec& spec, int64_t step,
                                int64_t totalSteps) {
    const auto& trainer = spec.trainer;
    util::MemoryContext context;
    context.activity = step > 0 || totalSteps > 0 ? "training at step " + std::to_string(step + 1) + " of " +
                                                        std::to_string(totalSteps)
                                                  : "loading the model for training";
    context.device = spec.device;
    context.settings = {{"micro_batch_size", std::to_string(trainer.microBatchSize)},
                        {"gradient_accumulation_steps", std::to_string(trainer.gradientAccumulation)},
                        {"cutoff_length", std::to_string(spec.cutoffLength)},
                        {"dtype", spec.dtype}};
    if (!trainer.autocastDtype.empty()) context.settings.emplace_back("autocast", trainer.autocastDtype);
    const int64_t effective = trainer.microBatchSize * trainer.gradientAccumulation;
    context.hint = trainer.microBatchSize > 1
                       ? "lower micro_batch_size (and raise gradient_accumulation_steps to keep the batch of " +
                             std::to_string(effective) + " examples), or lower cutoff_length"
                       : "lower cutoff_length, train in bfloat16, or use a device with more memory";
    return util::describeOutOfMemory(error, context);
}

TrainingJobResult runTraining(store::Database& database, const TrainingSpec& spec, const TrainingJobHooks& hooks,
                              bool swallowErrors) {
    store::RunStore runs(database);
    store::RunRecord record;
    record.name = spec.name.empty() ? "run" : spec.name;
    record.kind = "train";
    record.state = "pending";
    record.modelFamily = spec.modelFamily;
    record.baseModel = spec.baseModel;
    record.templateName = spec.templateName;
    record.lossType = spec.lossName;
    record.seed = spec.trainer.seed;
    record.spec = spec.toJson();
    try {
        const data::MixtureSpec mixture = mixtureSpecOf(spec);
        if (mixture.defense) {
            const auto& defense = *mixture.defense;
            const bool mixed = defense.mode == data::DefenseSpec::Mode::Mixed;
            record.defendedTask = mixed ? "mixed" : (defense.tasks.empty() ? "" : defense.tasks.front());
            record.defenseCount = defense.count.value_or(0);
        }
    } catch (const std::exception& error) {
        if (!swallowErrors) throw;
        record.state = "failed";
        record.message = error.what();
    }
    const int64_t runId = runs.create(record);
    const fs::path outputDir = !spec.outputDir.empty() ? fs::path(spec.outputDir) : defaultOutputDir(database, runId);
    fs::create_directories(outputDir);
    runs.setOutputDir(runId, outputDir.string());
    if (record.state == "failed") return {runId, "failed", record.message, {}};
    return train(database, runId, spec, hooks, std::nullopt, swallowErrors);
}

TrainingJobResult resumeTraining(store::Database& database, int64_t runId, const TrainingJobHooks& hooks,
                                 bool swallowErrors) {
    store::RunStore runs(database);
    store::RunRecord run = runs.get(runId);
    if (run.kind != "train") throw ConfigError("run " + std::to_string(runId) + " is not a training run");
    if (run.state == "completed") throw ConfigError("run " + std::to_string(runId) + " is already completed");
    const TrainingSpec spec = TrainingSpec::fromJson(run.spec, "run " + std::to_string(runId) + " spec", "");
    if (run.outputDir.empty()) {
        // Killed between creating the run and recording its folder: give it the folder now rather
        // than writing checkpoints relative to the working directory.
        const fs::path outputDir = !spec.outputDir.empty() ? fs::path(spec.outputDir) : defaultOutputDir(database, runId);
        fs::create_directories(outputDir);
        runs.setOutputDir(runId, outputDir.string());
        run.outputDir = outputDir.string();
    }
    const auto checkpoint = Trainer::latestCheckpoint(fs::path(run.outputDir) / "checkpoints");
    int64_t step = 0;
    if (checkpoint) step = Trainer::readCheckpointState(*checkpoint).step;
    runs.truncateMetrics(runId, step);
    runs.updateProgress(runId, step, run.totalSteps, checkpoint ? checkpoint->string() : "");
    if (hooks.onMessage)
        hooks.onMessage(checkpoint ? "resuming from " + checkpoint->string() : "no checkpoint yet: starting over");
    return train(database, runId, spec, hooks, checkpoint, swallowErrors);
}

}  // namespace ctd::train
