// Batched text generation with a KV cache: greedy, sampling (temperature, top-k, top-p, seed) and
// beam search (HF transformers' semantics: length penalty, early stopping), stopping at EOS or
// after max new tokens. Prompts are left-padded with correct positions and masks.
#pragma once
#include "core/model/generation_settings.h"
#include "core/model/llama.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace ctd::model {

// Called after every decoding step with (step, maxNewTokens); return false to cancel (throws
// ctd::Cancelled).
using GenerationProgress = std::function<bool(int64_t step, int64_t total)>;

// Returns the generated ids of each prompt (without the prompt, up to and including EOS).
std::vector<std::vector<int64_t>> generate(LlamaForCausalLM& model, const std::vector<std::vector<int64_t>>& prompts,
                                           const GenerationSettings& settings,
                                           const GenerationProgress& progress = {});

}  // namespace ctd::model
