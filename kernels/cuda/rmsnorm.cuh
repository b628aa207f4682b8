// Launchers of the RMSNorm kernels (host API; the device code is in rmsnorm.cu).
#pragma once
#include "cuda/element_type.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ctd::kernels::cuda {

// x, weight, y: contiguous (rows, cols) / (cols) of `type`; inverseRms: rows fp32.
cudaError_t launchRmsNormForward(ElementType type, const void* x, const void* weight, void* y, float* inverseRms,
                                 int64_t rows, int64_t cols, float eps, cudaStream_t stream);

// Rows of the zero-initialized fp32 buffer that receives per-block partial weight gradients
// (summed over its rows by the caller).
int64_t rmsNormWeightGradientBlocks(int64_t rows);

// gradWeightPartial: (rmsNormWeightGradientBlocks(rows), cols) fp32, zeroed; null to skip it.
cudaError_t launchRmsNormBackward(ElementType type, const void* gradY, const void* x, const void* weight,
                                  const float* inverseRms, void* gradX, float* gradWeightPartial, int64_t rows,
                                  int64_t cols, cudaStream_t stream);

}  // namespace ctd::kernels::cuda
