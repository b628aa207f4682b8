// Training loop, data order and checkpoints (see trainer.h).
#include "core/train/trainer.h"
#include "core/util/splitmix64.h"

#include "core/model/checkpoint.h"
#include "core/model/safetensors.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>

namespace ctd::train {

namespace fs = std::filesystem;

namespace {

at::Tensor cpuRngState() {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return generator.get_state();
}

void setCpuRngState(const at::Tensor& state) {
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(state);
}

// Turns autocast on for CUDA runs for the lifetime of the guard.
class AutocastGuard {
public:
    AutocastGuard(const at::Device& device, const std::string& dtype) {
        if (!device.is_cuda() || dtype.empty()) return;
        m_active = true;
        at::autocast::set_autocast_enabled(at::kCUDA, true);
        at::autocast::set_autocast_dtype(at::kCUDA, model::parseDtype(dtype));
    }
    ~AutocastGuard() {
        if (!m_active) return;
        at::autocast::set_autocast_enabled(at::kCUDA, false);
        at::autocast::clear_cache();
    }

private:
    bool m_active = false;
};

// "nan", "inf" or "-inf" as the message says it.
std::string nonFiniteName(double value) {
    if (std::isnan(value)) return "nan";
    return value > 0 ? "inf" : "-inf";
}

// Why training stopped on a non-finite value, where, and what is left to resume from.
std::string divergedMessage(const std::string& what, int64_t step, int64_t total, const std::string& detail,
                            const fs::path& lastGoodCheckpoint) {
    return what + " at step " + std::to_string(step) + " of " + std::to_string(total) + " (" + detail + "); " +
           (lastGoodCheckpoint.empty() ? std::string("no checkpoint was written before it")
                                       : "the last good checkpoint is " + lastGoodCheckpoint.string()) +
           ". Lower the learning rate or check the data, then train again";
}

}  // namespace

std::vector<int64_t> seededPermutation(int64_t size, uint64_t seed) {
    std::vector<int64_t> order(static_cast<size_t>(size));
    for (int64_t i = 0; i < size; ++i) order[static_cast<size_t>(i)] = i;
    // Plain modulo reduction rather than below()'s rejection: it fixes the data order of every
    // recorded run, and its bias (at most size / 2^64) is immaterial here.
    util::SplitMix64 random(seed);
    for (int64_t i = size - 1; i > 0; --i) {
        const int64_t j = static_cast<int64_t>(random.next() % static_cast<uint64_t>(i + 1));
        std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
    }
    return order;
}

MicroBatch collate(const std::vector<TrainingExample>& examples, const std::vector<int64_t>& indices, int64_t padId,
                   const at::Device& device) {
    size_t longest = 0;
    for (int64_t index : indices) longest = std::max(longest, examples[static_cast<size_t>(index)].inputIds.size());
    const int64_t rows = static_cast<int64_t>(indices.size()), time = static_cast<int64_t>(longest);
    at::Tensor ids = at::full({rows, time}, padId, at::kLong);
    at::Tensor labels = at::full({rows, time}, int64_t{-100}, at::kLong);
    auto idAccessor = ids.accessor<int64_t, 2>();
    auto labelAccessor = labels.accessor<int64_t, 2>();
    MicroBatch batch;
    for (int64_t r = 0; r < rows; ++r) {
        const auto& example = examples[static_cast<size_t>(indices[static_cast<size_t>(r)])];
        if (example.labels.size() != example.inputIds.size())
            throw ConfigError("training example " + std::to_string(indices[static_cast<size_t>(r)]) +
                              ": labels and input ids differ in length");
        for (size_t t = 0; t < example.inputIds.size(); ++t) {
            idAccessor[r][static_cast<int64_t>(t)] = example.inputIds[t];
            labelAccessor[r][static_cast<int64_t>(t)] = example.labels[t];
        }
        batch.tokens += static_cast<int64_t>(example.inputIds.size());
        batch.tasks.push_back(example.task);
    }
    batch.inputIds = ids.to(device);
    batch.labels = labels.to(device);
    return batch;
}

Trainer::Trainer(model::LlamaForCausalLM model, std::vector<TrainingExample> examples, TrainerSettings settings,
                 fs::path checkpointRoot)
    : m_model(std::move(model)), m_examples(std::move(examples)), m_settings(std::move(settings)),
      m_checkpointRoot(std::move(checkpointRoot)) {
    if (m_examples.empty()) throw ConfigError("training needs at least one example");
    if (m_settings.microBatchSize <= 0 || m_settings.gradientAccumulation <= 0)
        throw ConfigError("micro batch size and gradient accumulation steps must be positive");
    if (!m_settings.fullParameter && !m_model->hasLora())
        throw ConfigError("LoRA training needs a model with an adapter (or set full_parameter)");
    if (m_settings.fullParameter)
        for (auto& parameter : m_model->parameters()) parameter.set_requires_grad(true);
    m_optimizer = std::make_unique<AdamW>(trainableParameters(), m_settings.optimizer);
}

std::vector<std::pair<std::string, at::Tensor>> Trainer::trainableParameters() const {
    std::vector<std::pair<std::string, at::Tensor>> parameters;
    for (const auto& item : m_model->named_parameters(true))
        if (item.value().requires_grad()) parameters.emplace_back(item.key(), item.value());
    if (parameters.empty()) throw ConfigError("the model has no trainable parameters");
    return parameters;
}

int64_t Trainer::totalSteps() const {
    if (m_settings.maxSteps > 0) return m_settings.maxSteps;
    const int64_t window = m_settings.microBatchSize * m_settings.gradientAccumulation;
    const int64_t perEpoch = (static_cast<int64_t>(m_examples.size()) + window - 1) / window;
    return perEpoch * m_settings.epochs;
}

std::vector<int64_t> Trainer::windowOfStep(int64_t step) const {
    const int64_t size = static_cast<int64_t>(m_examples.size());
    const int64_t window = m_settings.microBatchSize * m_settings.gradientAccumulation;
    const int64_t perEpoch = (size + window - 1) / window;
    const int64_t epoch = step / perEpoch, offset = (step % perEpoch) * window;
    const auto order = seededPermutation(size, m_settings.seed * 1000003ULL + static_cast<uint64_t>(epoch));
    return std::vector<int64_t>(order.begin() + offset, order.begin() + std::min(size, offset + window));
}

fs::path Trainer::saveCheckpoint(int64_t step, const std::vector<double>& losses, const at::Tensor& rngState) {
    const fs::path final = m_checkpointRoot / ("checkpoint-" + std::to_string(step));
    const fs::path staging = m_checkpointRoot / ("checkpoint-" + std::to_string(step) + ".partial");
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    fs::create_directories(staging);
    if (m_settings.fullParameter) model::saveModel(m_model, staging / "model");
    else model::saveAdapter(m_model, staging / "adapter", "");
    auto state = m_optimizer->state();
    for (auto& item : state) item.second = item.second.detach().to(at::kCPU);
    state.emplace_back("rng.cpu", rngState.defined() ? rngState : cpuRngState());
    model::saveSafetensors(staging / "optimizer.safetensors", state);
    util::writeJsonFile(staging / "trainer_state.json",
                        {{"step", step},
                         {"total_steps", totalSteps()},
                         {"seed", m_settings.seed},
                         {"loss_type", lossTypeName(m_settings.loss)},
                         {"losses", losses}});
    // The rename makes a checkpoint appear whole or not at all (a kill mid-write leaves .partial).
    fs::remove_all(final, ignored);
    fs::rename(staging, final);
    return final;
}

std::optional<fs::path> Trainer::latestCheckpoint(const fs::path& root) {
    std::optional<fs::path> best;
    int64_t bestStep = -1;
    std::error_code error;
    if (!fs::is_directory(root, error)) return best;
    for (const auto& entry : fs::directory_iterator(root, error)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("checkpoint-", 0) != 0 || name.find('.') != std::string::npos) continue;
        const std::string digits = name.substr(11);
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
        if (!fs::exists(entry.path() / "trainer_state.json")) continue;
        const int64_t step = std::stoll(digits);
        if (step > bestStep) {
            bestStep = step;
            best = entry.path();
        }
    }
    return best;
}

Trainer::CheckpointState Trainer::readCheckpointState(const fs::path& folder) {
    const std::string stateFile = (folder / "trainer_state.json").string();
    const auto json = util::readJsonFile(stateFile);
    CheckpointState state;
    state.seed = util::optionalField<uint64_t>(json, "seed", 0, stateFile);
    state.step = util::optionalField<int64_t>(json, "step", -1, stateFile);
    state.losses = util::optionalField<std::vector<double>>(json, "losses", {}, stateFile);
    if (state.step < 0 || static_cast<int64_t>(state.losses.size()) != state.step)
        throw FormatError(stateFile + ": needs a step >= 0 and one loss per step (step " + std::to_string(state.step) +
                          ", " + std::to_string(state.losses.size()) + " losses)");
    return state;
}

void Trainer::loadCheckpoint(const fs::path& folder, std::vector<double>& losses, int64_t& step) {
    CheckpointState state = readCheckpointState(folder);
    if (state.seed != m_settings.seed)
        throw ConfigError(folder.string() + ": checkpoint was written with another seed");
    step = state.step;
    losses = std::move(state.losses);
    const at::Device device = m_model->model->embed_tokens->weight.device();
    at::NoGradGuard noGrad;
    if (m_settings.fullParameter) {
        const auto archive = model::SafetensorsArchive::openFolder(folder / "model");
        for (auto& item : m_model->named_parameters(true)) item.value().copy_(archive.load(item.key()).to(device));
    } else {
        const auto file = model::SafetensorsFile::open(folder / "adapter" / "adapter_model.safetensors");
        for (auto& [key, tensor] : m_model->loraState()) {
            at::Tensor target = tensor;
            target.copy_(file->load(key).to(device));
        }
    }
    const auto file = model::SafetensorsFile::open(folder / "optimizer.safetensors");
    std::vector<std::pair<std::string, at::Tensor>> optimizerState;
    for (const auto& name : file->names())
        if (name != "rng.cpu") optimizerState.emplace_back(name, file->load(name).to(device));
    m_optimizer->loadState(optimizerState, (folder / "optimizer.safetensors").string());
    setCpuRngState(file->load("rng.cpu"));
}

TrainingOutcome Trainer::run(const TrainerHooks& hooks, const std::optional<fs::path>& resumeCheckpoint) {
    TrainingOutcome outcome;
    const at::Device device = m_model->model->embed_tokens->weight.device();
    int64_t step = 0;
    std::vector<double> losses;
    if (resumeCheckpoint) {
        loadCheckpoint(*resumeCheckpoint, losses, step);
    } else {
        at::manual_seed(m_settings.seed);
    }
    const int64_t total = totalSteps();
    const int64_t perEpoch = std::max<int64_t>(1, total / std::max<int64_t>(1, m_settings.maxSteps > 0 ? 1 : m_settings.epochs));
    m_model->train();
    AutocastGuard autocast(device, m_settings.autocastDtype);
    const auto start = std::chrono::steady_clock::now();
    const int64_t firstStep = step;
    TrainingProgress progress;
    progress.totalSteps = total;
    auto stopRequested = [&] { return hooks.stopFlag && hooks.stopFlag->load(); };
    // Checkpoints are only written from finite weights, so this one always resumes cleanly.
    fs::path lastGoodCheckpoint = resumeCheckpoint.value_or(fs::path());
    auto checkpoint = [&](int64_t atStep, const at::Tensor& rngState = {}) {
        for (const auto& [name, parameter] : trainableParameters())
            if (!at::isfinite(parameter.detach()).all().item<bool>())
                throw Error(divergedMessage("weights became non-finite", atStep, total,
                                            "parameter " + name + "; no checkpoint written",
                                            lastGoodCheckpoint));
        if (hooks.onBeforeCheckpoint) hooks.onBeforeCheckpoint(atStep);
        outcome.lastCheckpoint = saveCheckpoint(atStep, losses, rngState);
        lastGoodCheckpoint = outcome.lastCheckpoint;
        if (hooks.onCheckpoint) hooks.onCheckpoint(outcome.lastCheckpoint, atStep);
    };

    while (step < total) {
        const std::vector<int64_t> window = windowOfStep(step);
        // A cancel mid-window checkpoints the state from before the window (RNG included), so a
        // resume replays it exactly.
        const at::Tensor windowRngState = cpuRngState();
        LossWindow lossWindow;
        lossWindow.examples = static_cast<int64_t>(window.size());
        lossWindow.accumulationSteps =
            (lossWindow.examples + m_settings.microBatchSize - 1) / m_settings.microBatchSize;
        for (int64_t index : window) ++lossWindow.examplesPerTask[m_examples[static_cast<size_t>(index)].task];

        m_optimizer->zeroGrad();
        double windowLoss = 0.0;
        for (size_t begin = 0; begin < window.size(); begin += static_cast<size_t>(m_settings.microBatchSize)) {
            if (stopRequested()) break;
            const size_t end = std::min(window.size(), begin + static_cast<size_t>(m_settings.microBatchSize));
            const std::vector<int64_t> indices(window.begin() + static_cast<long>(begin),
                                               window.begin() + static_cast<long>(end));
            const MicroBatch batch = collate(m_examples, indices, m_settings.padId, device);
            // Right padding needs no attention mask: causal attention never looks ahead.
            const at::Tensor logits = m_model->forward(batch.inputIds);
            const at::Tensor loss = microBatchLoss(m_settings.loss, logits, batch.labels, batch.tasks, lossWindow);
            const double lossValue = loss.item<double>();
            if (!std::isfinite(lossValue))
                throw Error(divergedMessage(
                    "loss became " + nonFiniteName(lossValue), step + 1, total,
                    "micro-batch " + std::to_string(begin / static_cast<size_t>(m_settings.microBatchSize) + 1) +
                        " of " + std::to_string(lossWindow.accumulationSteps) + ", learning rate " +
                        std::to_string(learningRateAt(m_settings.optimizer, step, total)),
                    lastGoodCheckpoint));
            loss.backward();
            windowLoss += loss.item<double>();
            progress.tokens += batch.tokens;
        }
        if (stopRequested()) {
            // The interrupted window is discarded: a resume redoes it.
            outcome.state = TrainingOutcome::State::Cancelled;
            m_optimizer->zeroGrad();
            checkpoint(step, windowRngState);
            break;
        }
        progress.gradNorm = m_optimizer->clipGradNorm(m_settings.optimizer.maxGradNorm);
        // A finite loss can still have non-finite gradients (an overflow in backward): stepping
        // would write them into every weight.
        if (!std::isfinite(progress.gradNorm))
            throw Error(divergedMessage("gradient norm became " + nonFiniteName(progress.gradNorm), step + 1, total,
                                        "loss " + std::to_string(windowLoss) + "; the weights were not updated",
                                        lastGoodCheckpoint));
        const double learningRate = learningRateAt(m_settings.optimizer, step, total);
        m_optimizer->step(learningRate);
        ++step;
        losses.push_back(windowLoss);
        outcome.losses.push_back(windowLoss);

        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.step = step;
        progress.epoch = (step - 1) / perEpoch;
        progress.loss = windowLoss;
        progress.learningRate = learningRate;
        progress.tokensPerSecond = elapsed > 0 ? static_cast<double>(progress.tokens) / elapsed : 0.0;
        progress.etaSeconds = step > firstStep ? elapsed / static_cast<double>(step - firstStep) *
                                                     static_cast<double>(total - step)
                                               : 0.0;
        // Progress first, so a checkpoint's step is already reported (and persisted) by callers.
        const bool keepGoing = (!hooks.onStep || hooks.onStep(progress)) && !stopRequested();
        const bool periodic = m_settings.checkpointEvery > 0 && step % m_settings.checkpointEvery == 0;
        if (step < total && (!keepGoing || periodic)) checkpoint(step);
        if (!keepGoing && step < total) {
            outcome.state = TrainingOutcome::State::Cancelled;
            break;
        }
    }
    if (outcome.state == TrainingOutcome::State::Completed) checkpoint(step);
    outcome.steps = step;
    m_model->eval();
    return outcome;
}

}  // namespace ctd::train
