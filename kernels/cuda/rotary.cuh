// Launcher of the rotary-embedding kernel (host API; the device code is in rotary.cu).
#pragma once
#include "cuda/element_type.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ctd::kernels::cuda {

// Layout of a (batch, heads, time, headDim) input with a unit last stride.
struct RotaryInput {
    const void* data;
    int64_t strideBatch, strideHead, strideTime;
};

// Writes contiguous (batch, heads, time, headDim) output. cos, sin: fp32 (tables, time, headDim)
// where tables is batch or 1 (tableBatchStride = time * headDim or 0). `backward` applies the
// transposed rotation (the gradient of the forward one).
cudaError_t launchRotary(ElementType type, RotaryInput input, const float* cos, const float* sin,
                         int64_t tableBatchStride, void* output, int64_t batch, int64_t heads, int64_t time,
                         int64_t headDim, bool backward, cudaStream_t stream);

}  // namespace ctd::kernels::cuda
