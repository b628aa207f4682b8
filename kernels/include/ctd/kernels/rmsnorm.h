// RMSNorm as HF Llama computes it: statistics in fp32, the normalized values cast back to the
// input dtype, then scaled by the weight. Fused CUDA kernel, ATen fallback, plain C++ reference.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstddef>

namespace ctd::kernels {

// y = weight * cast(x / sqrt(mean(x^2) + eps)) over the last dimension. x: (..., hidden),
// weight: (hidden) of x's dtype. Differentiable in x and weight; saves x, weight and one fp32
// value per row (no normalized copy of x).
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

namespace reference {

// Row-major (rows, cols) fp32 arrays; inverseRms receives 1 / sqrt(mean(x^2) + eps) per row.
void rmsNormForward(const float* x, const float* weight, float* y, float* inverseRms, std::size_t rows,
                    std::size_t cols, float eps);
// gradX and gradWeight are overwritten, not accumulated.
void rmsNormBackward(const float* gradY, const float* x, const float* weight, const float* inverseRms,
                     float* gradX, float* gradWeight, std::size_t rows, std::size_t cols);

}  // namespace reference
}  // namespace ctd::kernels
