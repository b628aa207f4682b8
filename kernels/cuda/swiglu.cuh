// Launchers of the SwiGLU kernels (host API; the device code is in swiglu.cu).
#pragma once
#include "cuda/element_type.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ctd::kernels::cuda {

// All arrays contiguous with `count` elements of `type`.
cudaError_t launchSwigluForward(ElementType type, const void* gate, const void* up, void* output, int64_t count,
                                cudaStream_t stream);
cudaError_t launchSwigluBackward(ElementType type, const void* gradOutput, const void* gate, const void* up,
                                 void* gradGate, void* gradUp, int64_t count, cudaStream_t stream);

}  // namespace ctd::kernels::cuda
