// Launchers of the chunked cross-entropy kernels (host API; device code in cross_entropy.cu).
// The logits of one vocabulary chunk come from a cuBLAS product; these kernels fold the chunk
// into a running log-sum-exp, and turn it into logit gradients in place.
#pragma once
#include "cuda/element_type.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ctd::kernels::cuda {

// logits: (rows, columns) of `type` (row stride `stride`) for vocabulary ids [offset, offset +
// columns). Updates the fp32 running maximum and sum of exp(logit - maximum) per row, and stores
// the label's logit when it falls in the chunk. Rows whose label is ignoreIndex are skipped.
cudaError_t launchCrossEntropyChunkForward(ElementType type, const void* logits, int64_t rows, int64_t columns,
                                           int64_t stride, int64_t offset, const int64_t* labels,
                                           int64_t ignoreIndex, float* runningMax, float* runningSum,
                                           float* labelLogit, cudaStream_t stream);

// Overwrites the chunk's logits with d objective / d logit = (softmax - onehot(label)) * gradLoss
// (zero on ignored rows), given the final fp32 log-sum-exp per row.
cudaError_t launchCrossEntropyChunkBackward(ElementType type, void* logits, int64_t rows, int64_t columns,
                                            int64_t stride, int64_t offset, const int64_t* labels,
                                            int64_t ignoreIndex, const float* logSumExp, const float* gradLoss,
                                            cudaStream_t stream);

}  // namespace ctd::kernels::cuda
