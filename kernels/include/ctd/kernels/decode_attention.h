// One decoding step of attention against a preallocated KV cache: append each sequence's new key
// and value at its own length, then attend from the single new query over that sequence's valid
// positions, with grouped-query heads. Fused CUDA kernels, ATen fallback, plain C++ reference.
#pragma once
#include <ATen/core/Tensor.h>

#include <cstddef>
#include <cstdint>

namespace ctd::kernels {

// query: (batch, heads, 1, head_dim); newKeys, newValues: (batch, kv_heads, 1, head_dim);
// keyCache, valueCache: contiguous (batch, kv_heads, capacity, head_dim), written in place at
// time lengths[b]; lengths: (batch) integer, the positions already filled per sequence (the caller
// advances them by one afterwards). keyMask: optional (batch, capacity), nonzero where a position
// may be attended (left padding); undefined means every position < lengths[b] + 1. heads must be
// a multiple of kv_heads; query head h reads kv head h / (heads / kv_heads), as HF's
// repeat_kv. scale <= 0 means 1 / sqrt(head_dim).
//
// Returns (batch, heads, 1, head_dim) in query's dtype. A row with no attendable position gets
// zeros. A row whose length is outside [0, capacity) is not written and gets NaN from the CUDA
// kernels (checking would cost a device sync); the ATen path (CPU, or head_dim > 256) throws
// instead. Either way bad lengths never touch memory outside the caches. Inference only: refuses
// tensors that require grad while grad mode is on.
at::Tensor decodeAttentionStep(const at::Tensor& query, const at::Tensor& newKeys, const at::Tensor& newValues,
                               const at::Tensor& keyCache, const at::Tensor& valueCache, const at::Tensor& lengths,
                               const at::Tensor& keyMask = {}, double scale = 0.0);

namespace reference {

// Same layout as above, fp32 and contiguous; keyMask may be null.
void decodeAttentionStep(const float* query, const float* newKeys, const float* newValues, float* keyCache,
                         float* valueCache, const int64_t* lengths, const unsigned char* keyMask, float* output,
                         std::size_t batch, std::size_t heads, std::size_t kvHeads, std::size_t capacity,
                         std::size_t headDim, float scale);

}  // namespace reference
}  // namespace ctd::kernels
