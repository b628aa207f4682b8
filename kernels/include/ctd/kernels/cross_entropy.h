// Cross-entropy of a language-model head computed over vocabulary chunks: the loss and its
// gradients come from hidden states and the head weight without ever holding the full
// (rows, vocab) logits, only (rows, chunkSize) at a time. Fused CUDA softmax passes, ATen
// fallback, plain C++ reference.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>

namespace ctd::kernels {

// hidden: (..., hidden_size); headWeight: (vocab, hidden_size) of hidden's dtype; labels: hidden's
// leading shape, int64, entries in [0, vocab) or ignoreIndex. Logits are computed in the dtype of
// the inputs (as the engine's lm_head does) and the softmax in fp32.
//
// Mean of -log softmax(logits)[label] over the tokens whose label is not ignoreIndex, as a 0-dim
// fp32 tensor (fp64 for fp64 inputs). When every label is ignored the loss is 0 and every gradient is zero (torch's
// cross_entropy gives NaN there; a micro-batch of pure padding must not poison a run).
// Differentiable in hidden and headWeight (the head's gradient is computed only when it requires it).
at::Tensor crossEntropyChunked(const at::Tensor& hidden, const at::Tensor& headWeight, const at::Tensor& labels,
                               int64_t ignoreIndex = -100, int64_t chunkSize = 4096);

// Per-token losses in labels' shape (fp32, or fp64 for fp64 inputs; 0 where ignored), for per-example or per-task means.
at::Tensor crossEntropyChunkedPerToken(const at::Tensor& hidden, const at::Tensor& headWeight,
                                       const at::Tensor& labels, int64_t ignoreIndex = -100,
                                       int64_t chunkSize = 4096);

namespace reference {

// Row-major fp32: hidden (rows, hiddenSize), headWeight (vocab, hiddenSize). Writes per-row
// losses (0 where ignored) and log-sum-exp of the logits.
void crossEntropyForward(const float* hidden, const float* headWeight, const int64_t* labels, int64_t ignoreIndex,
                         float* losses, float* logSumExp, std::size_t rows, std::size_t hiddenSize,
                         std::size_t vocab);
// gradLosses: d(objective)/d(loss of each row). Overwrites gradHidden and gradHeadWeight.
void crossEntropyBackward(const float* hidden, const float* headWeight, const int64_t* labels, int64_t ignoreIndex,
                          const float* logSumExp, const float* gradLosses, float* gradHidden, float* gradHeadWeight,
                          std::size_t rows, std::size_t hiddenSize, std::size_t vocab);

}  // namespace reference
}  // namespace ctd::kernels
