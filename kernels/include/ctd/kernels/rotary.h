// Rotary position embedding in HF's convention: out = x * cos + rotate_half(x) * sin, where
// rotate_half pairs element d with d + head_dim/2. Fused CUDA kernel, ATen fallback, reference.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstddef>

namespace ctd::kernels {

// x: (batch, heads, time, head_dim) with any strides but a unit last one, so q and k can come
// straight from a transposed (batch, time, heads, head_dim) view without a copy. cos, sin:
// (batch, time, head_dim), (1, time, head_dim) or (time, head_dim) in any floating dtype; the
// kernel reads them as fp32, so fp32 tables keep their full precision. Returns a contiguous
// tensor of x's shape and dtype. Differentiable in x (the tables are constants).
at::Tensor rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

namespace reference {

// x, y: contiguous (batch, heads, time, headDim). cos, sin: (batch, time, headDim) when
// tablesPerBatch, else (time, headDim) shared by every row of the batch.
void rotaryForward(const float* x, const float* cos, const float* sin, float* y, std::size_t batch,
                   std::size_t heads, std::size_t time, std::size_t headDim, bool tablesPerBatch);
void rotaryBackward(const float* gradY, const float* cos, const float* sin, float* gradX, std::size_t batch,
                    std::size_t heads, std::size_t time, std::size_t headDim, bool tablesPerBatch);

}  // namespace reference
}  // namespace ctd::kernels
