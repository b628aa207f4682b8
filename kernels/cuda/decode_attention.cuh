// Launchers of the decoding-step kernels (host API; device code in decode_attention.cu).
#pragma once
#include "cuda/element_type.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ctd::kernels::cuda {

// Largest head_dim the attention kernel keeps in registers (8 values per lane).
inline constexpr int64_t kDecodeMaxHeadDim = 256;

struct DecodeShape {
    int64_t batch, heads, kvHeads, capacity, headDim;
};

// Writes newKeys/newValues (batch, kvHeads, headDim) at time lengths[b] of the contiguous caches
// (batch, kvHeads, capacity, headDim); rows whose length is outside [0, capacity) are skipped.
cudaError_t launchKvCacheAppend(ElementType type, const void* newKeys, const void* newValues, void* keyCache,
                                void* valueCache, const int64_t* lengths, DecodeShape shape, cudaStream_t stream);

// output (batch, heads, headDim) = softmax(scale q K^T) V over positions t <= lengths[b] with
// keyMask[b, t] != 0 (keyMask may be null). NaN for rows with a length outside [0, capacity),
// zeros for rows with no attendable position.
cudaError_t launchDecodeAttention(ElementType type, const void* query, const void* keyCache, const void* valueCache,
                                  const int64_t* lengths, const bool* keyMask, void* output, DecodeShape shape,
                                  float scale, cudaStream_t stream);

}  // namespace ctd::kernels::cuda
