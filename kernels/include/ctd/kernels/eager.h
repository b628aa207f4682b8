// The plain ATen compositions the engine runs (HF's eager formulas), differentiable through
// ordinary autograd: the ground truth of the kernel tests and the baseline of the benchmarks.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace ctd::kernels::eager {

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);
// Tables are cast to x's dtype first, as the engine's RotaryTables are.
at::Tensor rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);
at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up);
// dropoutScaleMask: as loraDropoutScaleMask gives, or undefined for no dropout.
at::Tensor loraLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& loraA,
                      const at::Tensor& loraB, double scale, const at::Tensor& dropoutScaleMask = {});
// Full fp32 logits then at::cross_entropy: mean (NaN when all ignored, as torch) or per token.
at::Tensor crossEntropy(const at::Tensor& hidden, const at::Tensor& headWeight, const at::Tensor& labels,
                        int64_t ignoreIndex, bool perToken);
// Appends through scatter_, repeats kv heads and calls scaled_dot_product_attention with a boolean
// mask. Rows with no attendable position come out NaN here (torch's behaviour).
at::Tensor decodeAttentionStep(const at::Tensor& query, const at::Tensor& newKeys, const at::Tensor& newValues,
                               const at::Tensor& keyCache, const at::Tensor& valueCache, const at::Tensor& lengths,
                               const at::Tensor& keyMask = {}, double scale = 0.0);

}  // namespace ctd::kernels::eager
