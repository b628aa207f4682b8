// How text is generated (strategy, lengths, sampling, beams): a plain settings struct without
// torch, so specs that name generation settings can be parsed (and fuzzed) on their own.
#pragma once
#include <cstdint>
#include <optional>

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

}  // namespace ctd::model
