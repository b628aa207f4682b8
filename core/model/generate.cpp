// Generation loop: left-padded batches, KV cache, greedy / sampling / beam search.
#include "core/model/generate.h"

#include "core/util/error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ctd::model {

namespace {

struct PaddedBatch {
    at::Tensor ids;        // (B, L) int64
    at::Tensor mask;       // (B, L) int64, 0 on left padding
    at::Tensor positions;  // (B, L) int64
    bool padded = false;
};

PaddedBatch leftPad(const std::vector<std::vector<int64_t>>& prompts, int64_t padId, const at::Device& device) {
    size_t longest = 0;
    for (const auto& p : prompts) {
        if (p.empty()) throw ConfigError("generate: a prompt is empty (it needs at least the BOS token)");
        longest = std::max(longest, p.size());
    }
    const int64_t batch = static_cast<int64_t>(prompts.size()), length = static_cast<int64_t>(longest);
    PaddedBatch result;
    result.ids = at::full({batch, length}, padId, at::kLong);
    result.mask = at::zeros({batch, length}, at::kLong);
    auto ids = result.ids.accessor<int64_t, 2>();
    auto mask = result.mask.accessor<int64_t, 2>();
    for (int64_t b = 0; b < batch; ++b) {
        const auto& p = prompts[b];
        const int64_t offset = length - static_cast<int64_t>(p.size());
        if (offset > 0) result.padded = true;
        for (size_t i = 0; i < p.size(); ++i) {
            ids[b][offset + static_cast<int64_t>(i)] = p[i];
            mask[b][offset + static_cast<int64_t>(i)] = 1;
        }
    }
    // As HF's generate: positions count real tokens; padding gets position 1 (never attended).
    result.positions = (result.mask.cumsum(-1) - 1).masked_fill(result.mask == 0, 1);
    result.ids = result.ids.to(device);
    result.mask = result.mask.to(device);
    result.positions = result.positions.to(device);
    return result;
}

// Runs the model on the next tokens and returns last-position logits in fp32 (rows, vocab).
// Without a cache, the whole sequence so far is re-run.
class Stepper {
public:
    Stepper(LlamaForCausalLM& model, PaddedBatch batch, bool useCache)
        : m_model(model), m_batch(std::move(batch)), m_useCache(useCache), m_cache(model->makeCache()) {}

    at::Tensor first() {
        const at::Tensor logits = m_model->forward(m_batch.ids, maskArgument(), m_batch.positions,
                                                   m_useCache ? &m_cache : nullptr);
        return logits.select(1, -1).to(at::kFloat);
    }

    at::Tensor next(const at::Tensor& tokens) {  // tokens (rows)
        const at::Tensor column = tokens.unsqueeze(1);
        const at::Tensor nextPositions = m_batch.positions.select(1, -1).unsqueeze(1) + 1;
        m_batch.ids = at::cat({m_batch.ids, column}, 1);
        m_batch.mask = at::cat({m_batch.mask, at::ones_like(column)}, 1);
        m_batch.positions = at::cat({m_batch.positions, nextPositions}, 1);
        at::Tensor logits;
        if (m_useCache)
            logits = m_model->forward(column, maskArgument(), nextPositions, &m_cache);
        else
            logits = m_model->forward(m_batch.ids, maskArgument(), m_batch.positions, nullptr);
        return logits.select(1, -1).to(at::kFloat);
    }

    void selectRows(const at::Tensor& rows) {
        m_batch.ids = m_batch.ids.index_select(0, rows);
        m_batch.mask = m_batch.mask.index_select(0, rows);
        m_batch.positions = m_batch.positions.index_select(0, rows);
        if (m_useCache) m_cache.selectRows(rows);
    }

private:
    at::Tensor maskArgument() const { return m_batch.padded ? m_batch.mask : at::Tensor(); }

    LlamaForCausalLM& m_model;
    PaddedBatch m_batch;
    bool m_useCache;
    KvCache m_cache;
};

void reportProgress(const GenerationProgress& progress, int64_t step, int64_t total) {
    if (progress && !progress(step, total)) throw Cancelled("generation cancelled");
}

// HF's sampling warpers in their order: temperature, top-k, top-p; then multinomial.
at::Tensor sampleTokens(at::Tensor logits, const GenerationSettings& s, at::Generator& generator) {
    logits = logits.to(at::kCPU);
    if (s.temperature > 0 && s.temperature != 1.0) logits = logits / s.temperature;
    const double negativeInfinity = -std::numeric_limits<double>::infinity();
    if (s.topK > 0 && s.topK < logits.size(-1)) {
        const at::Tensor kth = std::get<0>(logits.topk(s.topK, -1)).select(-1, -1).unsqueeze(-1);
        logits = logits.masked_fill(logits < kth, negativeInfinity);
    }
    if (s.topP < 1.0) {
        auto [sorted, order] = logits.sort(-1, /*descending=*/false);
        const at::Tensor cumulative = sorted.softmax(-1).cumsum(-1);
        at::Tensor remove = cumulative <= (1.0 - s.topP);
        remove.select(-1, -1).fill_(false);  // keep at least one token
        logits = logits.masked_fill(remove.scatter(-1, order, remove), negativeInfinity);
    }
    const at::Tensor probabilities = logits.softmax(-1);
    return at::multinomial(probabilities, 1, false, generator).squeeze(-1);
}

std::vector<std::vector<int64_t>> generateStepwise(LlamaForCausalLM& model,
                                                   const std::vector<std::vector<int64_t>>& prompts,
                                                   const GenerationSettings& s, int64_t eos, int64_t pad,
                                                   const GenerationProgress& progress) {
    const at::Device device = model->model->embed_tokens->weight.device();
    Stepper stepper(model, leftPad(prompts, pad, device), s.useCache);
    const int64_t batch = static_cast<int64_t>(prompts.size());
    std::vector<std::vector<int64_t>> outputs(batch);
    std::vector<bool> finished(batch, false);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(s.seed);
    at::Tensor logits = stepper.first();
    for (int64_t step = 0; step < s.maxNewTokens; ++step) {
        at::Tensor next = s.strategy == GenerationSettings::Strategy::Sample ? sampleTokens(logits, s, generator)
                                                                           : logits.argmax(-1);
        next = next.to(at::kCPU).contiguous();
        auto tokens = next.accessor<int64_t, 1>();
        bool allFinished = true;
        for (int64_t b = 0; b < batch; ++b) {
            if (finished[b]) {
                tokens[b] = pad;
                continue;
            }
            outputs[b].push_back(tokens[b]);
            if (tokens[b] == eos) finished[b] = true;
            allFinished = allFinished && finished[b];
        }
        reportProgress(progress, step + 1, s.maxNewTokens);
        if (allFinished || step + 1 == s.maxNewTokens) break;
        logits = stepper.next(next.to(device));
    }
    return outputs;
}

// Finished hypotheses of one prompt, as HF's BeamHypotheses: keeps the best `capacity`.
struct Hypotheses {
    size_t capacity;
    double lengthPenalty;
    std::vector<std::pair<double, std::vector<int64_t>>> items;
    double worst = 1e9;

    void add(std::vector<int64_t> tokens, double sumLogProbs, int64_t generatedLength) {
        const double score = sumLogProbs / std::pow(static_cast<double>(generatedLength), lengthPenalty);
        if (items.size() < capacity || score > worst) {
            items.emplace_back(score, std::move(tokens));
            if (items.size() > capacity) {
                auto lowest = std::min_element(items.begin(), items.end(),
                                               [](const auto& a, const auto& b) { return a.first < b.first; });
                items.erase(lowest);
                worst = std::min_element(items.begin(), items.end(), [](const auto& a, const auto& b) {
                            return a.first < b.first;
                        })->first;
            } else {
                worst = std::min(score, worst);
            }
        }
    }

    bool isDone(double bestSumLogProbs, int64_t generatedLength, bool earlyStopping) const {
        if (items.size() < capacity) return false;
        if (earlyStopping) return true;
        const double best = bestSumLogProbs / std::pow(static_cast<double>(generatedLength), lengthPenalty);
        return worst >= best;
    }
};

std::vector<std::vector<int64_t>> generateBeams(LlamaForCausalLM& model,
                                                const std::vector<std::vector<int64_t>>& prompts,
                                                const GenerationSettings& s, int64_t eos, int64_t pad,
                                                const GenerationProgress& progress) {
    const at::Device device = model->model->embed_tokens->weight.device();
    const int64_t batch = static_cast<int64_t>(prompts.size()), beams = s.numBeams;
    if (beams < 1) throw ConfigError("beam search needs at least one beam, got " + std::to_string(beams));
    std::vector<std::vector<int64_t>> expanded;
    for (const auto& p : prompts)
        for (int64_t k = 0; k < beams; ++k) expanded.push_back(p);
    Stepper stepper(model, leftPad(expanded, pad, device), s.useCache);

    std::vector<Hypotheses> hypotheses(batch, Hypotheses{static_cast<size_t>(beams), s.lengthPenalty, {}, 1e9});
    std::vector<bool> done(batch, false);
    // Only the first beam is live at the start, so the first step picks distinct tokens.
    std::vector<float> beamScores(batch * beams, -1e9f);
    for (int64_t b = 0; b < batch; ++b) beamScores[b * beams] = 0.0f;
    std::vector<std::vector<int64_t>> sequences(batch * beams);

    at::Tensor logits = stepper.first();
    for (int64_t step = 0; step < s.maxNewTokens; ++step) {
        const int64_t vocab = logits.size(-1);
        const int64_t generatedLength = step + 1;  // tokens generated after this step
        // fp32 throughout, as HF: log_softmax + running beam scores, then top 2*beams candidates.
        at::Tensor scores = logits.log_softmax(-1).to(at::kCPU) + at::tensor(beamScores, at::kFloat).unsqueeze(1);
        auto [topScores, topIndices] = scores.view({batch, beams * vocab}).topk(2 * beams, -1);
        auto topScoreAccessor = topScores.accessor<float, 2>();
        auto topIndexAccessor = topIndices.accessor<int64_t, 2>();

        std::vector<int64_t> nextTokens(batch * beams, pad), sourceRows(batch * beams, 0);
        std::vector<float> nextScores(batch * beams, 0.0f);
        for (int64_t b = 0; b < batch; ++b) {
            if (done[b]) {
                for (int64_t k = 0; k < beams; ++k) sourceRows[b * beams + k] = b * beams;
                continue;
            }
            // At the last step every top-ranked candidate ends (max length), as HF's stopping criteria.
            const bool lastStep = step + 1 == s.maxNewTokens;
            int64_t filled = 0;
            for (int64_t rank = 0; rank < 2 * beams && filled < beams; ++rank) {
                const int64_t index = topIndexAccessor[b][rank];
                const int64_t sourceBeam = index / vocab, token = index % vocab;
                const float score = topScoreAccessor[b][rank];
                const int64_t row = b * beams + sourceBeam;
                if (token == eos || lastStep) {
                    if (rank >= beams) continue;  // a finished candidate outside the top beams is dropped
                    std::vector<int64_t> tokens = sequences[row];
                    tokens.push_back(token);
                    hypotheses[b].add(std::move(tokens), score, generatedLength);
                    if (token == eos) continue;
                }
                nextTokens[b * beams + filled] = token;
                nextScores[b * beams + filled] = score;
                sourceRows[b * beams + filled] = row;
                ++filled;
            }
            // HF's heuristic compares the best running beam (not an ended one) with the worst kept
            // hypothesis, both normalised by the number of generated tokens.
            done[b] = done[b] || lastStep || hypotheses[b].isDone(nextScores[b * beams], generatedLength, s.earlyStopping);
        }
        std::vector<std::vector<int64_t>> reordered(batch * beams);
        for (int64_t r = 0; r < batch * beams; ++r) {
            reordered[r] = sequences[sourceRows[r]];
            reordered[r].push_back(nextTokens[r]);
        }
        sequences = std::move(reordered);
        beamScores = nextScores;
        reportProgress(progress, step + 1, s.maxNewTokens);
        if (std::all_of(done.begin(), done.end(), [](bool d) { return d; }) || step + 1 == s.maxNewTokens) break;
        const at::Tensor rows = at::tensor(sourceRows, at::kLong).to(device);
        stepper.selectRows(rows);
        logits = stepper.next(at::tensor(nextTokens, at::kLong).to(device));
    }
    std::vector<std::vector<int64_t>> outputs(batch);
    for (int64_t b = 0; b < batch; ++b) {
        const auto best = std::max_element(hypotheses[b].items.begin(), hypotheses[b].items.end(),
                                           [](const auto& a, const auto& c) { return a.first < c.first; });
        if (best != hypotheses[b].items.end()) outputs[b] = best->second;
    }
    return outputs;
}

}  // namespace

std::vector<std::vector<int64_t>> generate(LlamaForCausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                           const GenerationSettings& settings, const GenerationProgress& progress) {
    if (prompts.empty()) return {};
    if (settings.maxNewTokens <= 0) return std::vector<std::vector<int64_t>>(prompts.size());
    const auto& config = model->config();
    const int64_t eos = settings.eosId ? *settings.eosId : config.eosTokenId.value_or(-1);
    const int64_t pad = settings.padId ? *settings.padId : config.padTokenId.value_or(0);
    at::NoGradGuard noGrad;
    const bool wasTraining = model->is_training();
    model->eval();
    std::vector<std::vector<int64_t>> outputs =
        settings.strategy == GenerationSettings::Strategy::Beam
            ? generateBeams(model, prompts, settings, eos, pad, progress)
            : generateStepwise(model, prompts, settings, eos, pad, progress);
    if (wasTraining) model->train();
    return outputs;
}

}  // namespace ctd::model
