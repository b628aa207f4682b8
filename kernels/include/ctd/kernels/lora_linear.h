// LoRA-fused linear layer: y = x W^T + scale * (dropout(x) A^T) B^T with the base weight frozen.
// The low-rank product is accumulated into the base output in place, and only x and the small
// (rows, rank) product A x are saved; a dropout mask is regenerated from its seed, never stored.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>

namespace ctd::kernels {

// PEFT's lora_dropout on the adapter input. The mask is a pure function of (seed, element index).
struct LoraDropout {
    double probability = 0.0;  // 0 disables dropout (evaluation, or adapters trained without it)
    std::uint64_t seed = 0;

    // A fresh seed from ATen's default CPU generator, so at::manual_seed makes runs repeatable.
    static LoraDropout draw(double probability);
};

// x: (..., in); weight: (out, in); loraA: (rank, in); loraB: (out, rank); all of one dtype.
// Differentiable in x, loraA and loraB (and weight, should it require grad).
at::Tensor loraLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& loraA,
                      const at::Tensor& loraB, double scale, const LoraDropout& dropout = {});

// PEFT's lora_dropout on its own: x times loraDropoutScaleMask(x.sizes(), dropout) (x itself when
// the probability is 0). Differentiable in x; the backward regenerates the mask from the seed.
at::Tensor loraDropout(const at::Tensor& x, const LoraDropout& dropout);

// The factor loraLinear multiplies x by before the adapter: 0 for dropped elements, 1 / (1 - p)
// for kept ones (all ones without dropout), in x's shape. For eager references and tests.
at::Tensor loraDropoutScaleMask(at::IntArrayRef shape, const LoraDropout& dropout, const at::TensorOptions& options);

namespace reference {

// Row-major fp32: x (rows, in), weight (out, in), loraA (rank, in), loraB (out, rank).
// Writes y (rows, out) and the adapter's inner product ax (rows, rank).
void loraLinearForward(const float* x, const float* weight, const float* loraA, const float* loraB, float scale,
                       const LoraDropout& dropout, float* y, float* ax, std::size_t rows, std::size_t in,
                       std::size_t out, std::size_t rank);
// Overwrites gradX (rows, in), gradA (rank, in), gradB (out, rank); the base weight gets no gradient.
void loraLinearBackward(const float* gradY, const float* x, const float* weight, const float* loraA,
                        const float* loraB, const float* ax, float scale, const LoraDropout& dropout, float* gradX,
                        float* gradA, float* gradB, std::size_t rows, std::size_t in, std::size_t out,
                        std::size_t rank);

}  // namespace reference
}  // namespace ctd::kernels
