// Plain C++ reference for RMSNorm (HF Llama convention: y = w * x / sqrt(mean(x^2) + eps),
// computed in fp32). The CUDA kernel and the ATen path are tested against this.
#pragma once
#include <cstddef>

namespace ctd::kernels {

void rmsnormForwardReference(const float* x, const float* weight, float* y, std::size_t rows,
                             std::size_t cols, float eps);

}  // namespace ctd::kernels
