// SwiGLU gate of the Llama MLP: silu(gate) * up, fused so that neither silu(gate) nor any other
// intermediate is stored for the backward pass. CUDA kernel, ATen fallback, plain C++ reference.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstddef>

namespace ctd::kernels {

// gate, up: same shape and dtype. silu(gate) is rounded to the dtype before the product, as
// at::silu(gate) * up does. Differentiable in both; saves only gate and up.
at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up);

// gateUp: (..., 2 * n) holding gate in its first half and up in its second (the output of one
// product with gate_proj's and up_proj's weights stacked); returns swiglu of the halves, (..., n).
// Its gradient comes back packed the same way, ready for one product with the stacked weight.
at::Tensor swigluPacked(const at::Tensor& gateUp);

namespace reference {

void swigluForward(const float* gate, const float* up, float* y, std::size_t count);
void swigluBackward(const float* gradY, const float* gate, const float* up, float* gradGate, float* gradUp,
                    std::size_t count);

}  // namespace reference
}  // namespace ctd::kernels
