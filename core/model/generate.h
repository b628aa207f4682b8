// Batched text generation with a KV cache: greedy, sampling (temperature, top-k, top-p, seed) and
// beam search (HF transformers' semantics: length penalty, early stopping), stopping at EOS or
// after max new tokens. Prompts are left-padded with correct positions and masks.
#pragma once
#include "core/model/llama.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace ctd::model {

struct GenerationSettings {
    enum class Strategy { Greedy, Sample, Beam };
    Strategy strategy = Strategy::Greedy;
    int64_t maxNewTokens = 128;
    int64_t numBeams = 4;             // beam search only
    double lengthPenalty = 1.0;       // beam search: score = sum log p / length^penalty
    bool earlyStopping = false;       // beam search: HF's `early_stopping` (False heuristic / True)
    double temperature = 1.0;         // sampling only
    int64_t topK = 0;                 // 0: off
    double topP = 1.0;                // 1: off
    uint64_t seed = 0;
    std::optional<int64_t> eosId;     // default: the model config's eos_token_id
    std::optional<int64_t> padId;     // default: pad_token_id, else 0 (only fills the batch)
    bool useCache = true;             // false re-runs the whole prefix each step (benchmarks)
};

// Called after every decoding step with (step, maxNewTokens); return false to cancel (throws
// ctd::Cancelled).
using GenerationProgress = std::function<bool(int64_t step, int64_t total)>;

// Returns the generated ids of each prompt (without the prompt, up to and including EOS).
std::vector<std::vector<int64_t>> generate(LlamaForCausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                           const GenerationSettings& settings,
                                           const GenerationProgress& progress = {});

}  // namespace ctd::model
