// Per-token cross-entropy of next-token prediction over full logits, fused: one pass per row
// computes the log-sum-exp, the loss and the gradient softmax - onehot (stored for the backward,
// which then only scales rows). Fused CPU loop for fp32/fp64 CPU tensors, ATen elsewhere.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace ctd::kernels {

// logits: (batch, time, vocab) with a unit stride over the vocabulary; labels: (batch, time)
// integers in [0, vocab) or ignoreIndex. Position t predicts labels[:, t + 1]. Returns
// -log softmax(logits[:, t])[labels[:, t + 1]] as (batch, time - 1) in fp32 (fp64 for fp64
// logits), 0 where the label is ignoreIndex. Differentiable in logits; the gradient has logits'
// shape (its last time step is zero). Without grad mode nothing is stored. One backward pass per
// forward (the stored rows become the gradient in place; retain_graph twice is refused).
at::Tensor nextTokenNll(const at::Tensor& logits, const at::Tensor& labels, int64_t ignoreIndex = -100);

}  // namespace ctd::kernels
