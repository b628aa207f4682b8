// Launchers of the LoRA dropout kernels (host API; device code in lora_linear.cu). Without
// dropout the LoRA op needs only cuBLAS products; with dropout these kernels apply the
// counter-based mask inside the adapter's products so that dropout(x) is never stored.
#pragma once
#include "ctd/kernels/dropout_mask.h"
#include "cuda/element_type.h"

#include <cuda_runtime_api.h>

#include <cstdint>

namespace ctd::kernels::cuda {

// Largest rank the kernels handle (8 warps x 8 accumulators); larger ranks use the ATen path.
inline constexpr int64_t kLoraDropoutMaxRank = 64;

// Whether one row of x fits the shared memory of the down-projection kernel on this device.
bool loraDropoutDownFits(ElementType type, int64_t inFeatures);

// ax (rows, rank) = (x * mask) A^T, x (rows, in), loraA (rank, in), all of `type`.
cudaError_t launchLoraDropoutDown(ElementType type, const void* x, const void* loraA, void* ax, int64_t rows,
                                  int64_t inFeatures, int64_t rank, DropoutKey key, cudaStream_t stream);

// gradX (rows, in) += (gradAx A) * mask, gradAx (rows, rank) already scaled by the LoRA scale.
cudaError_t launchLoraDropoutInputGrad(ElementType type, const void* gradAx, const void* loraA, void* gradX,
                                       int64_t rows, int64_t inFeatures, int64_t rank, DropoutKey key,
                                       cudaStream_t stream);

// gradA (rank, in, fp32, zeroed by the caller) += gradAx^T (x * mask).
cudaError_t launchLoraDropoutWeightGrad(ElementType type, const void* gradAx, const void* x, float* gradA,
                                        int64_t rows, int64_t inFeatures, int64_t rank, DropoutKey key,
                                        cudaStream_t stream);

}  // namespace ctd::kernels::cuda
