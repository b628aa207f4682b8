// LoRA adapter products with the dropout mask regenerated in the kernel from (seed, index):
// the down projection (one block per row, the masked row staged in shared memory, one warp per
// rank component), the input gradient (accumulated into the base gradient) and the gradient of A
// (column tiles reduced over row slabs, fp32 atomics).
#include "cuda/cuda_common.cuh"
#include "cuda/lora_linear.cuh"

namespace ctd::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kSlabRows = 64;

template <typename T>
__global__ void loraDropoutDownKernel(const T* __restrict__ x, const T* __restrict__ loraA, T* __restrict__ ax,
                                      int64_t in, int rank, DropoutKey key) {
    extern __shared__ __align__(16) unsigned char sharedBytes[];
    T* row = reinterpret_cast<T*>(sharedBytes);
    const int64_t n = blockIdx.x;
    const T zero = fromFloat<T>(0.0f);
    for (int64_t k = threadIdx.x; k < in; k += blockDim.x) {
        const int64_t index = n * in + k;
        row[k] = dropoutKeeps(key, static_cast<uint64_t>(index)) ? x[index] : zero;
    }
    __syncthreads();
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int j = warp; j < rank; j += kWarps) {
        const T* a = loraA + int64_t(j) * in;
        float sum = 0.0f;
        for (int64_t k = lane; k < in; k += 32) sum += toFloat(row[k]) * toFloat(a[k]);
        sum = warpSum(sum);
        if (lane == 0) ax[n * rank + j] = fromFloat<T>(sum * key.keepScale);
    }
}

template <typename T>
__global__ void loraDropoutInputGradKernel(const T* __restrict__ gradAx, const T* __restrict__ loraA,
                                           T* __restrict__ gradX, int64_t in, int rank, DropoutKey key) {
    __shared__ float gradRow[kLoraDropoutMaxRank];
    const int64_t n = blockIdx.x;
    for (int j = threadIdx.x; j < rank; j += blockDim.x) gradRow[j] = toFloat(gradAx[n * rank + j]);
    __syncthreads();
    for (int64_t k = threadIdx.x; k < in; k += blockDim.x) {
        const int64_t index = n * in + k;
        if (!dropoutKeeps(key, static_cast<uint64_t>(index))) continue;
        float sum = 0.0f;
        for (int j = 0; j < rank; ++j) sum += gradRow[j] * toFloat(loraA[int64_t(j) * in + k]);
        gradX[index] = fromFloat<T>(toFloat(gradX[index]) + sum * key.keepScale);
    }
}

// Block (32, 8): 32 consecutive columns k, each warp a row of rank components j = warp + 8 q.
template <typename T>
__global__ void loraDropoutWeightGradKernel(const T* __restrict__ gradAx, const T* __restrict__ x,
                                            float* __restrict__ gradA, int64_t rows, int64_t in, int rank,
                                            DropoutKey key) {
    constexpr int kPerThread = kLoraDropoutMaxRank / kWarps;
    const int64_t k = blockIdx.x * int64_t(32) + threadIdx.x;
    if (k >= in) return;
    const int64_t first = blockIdx.y * int64_t(kSlabRows);
    const int64_t last = first + kSlabRows < rows ? first + kSlabRows : rows;
    float sums[kPerThread];
#pragma unroll
    for (int q = 0; q < kPerThread; ++q) sums[q] = 0.0f;
    for (int64_t n = first; n < last; ++n) {
        const int64_t index = n * in + k;
        if (!dropoutKeeps(key, static_cast<uint64_t>(index))) continue;
        const float value = toFloat(x[index]);
#pragma unroll
        for (int q = 0; q < kPerThread; ++q) {
            const int j = threadIdx.y + kWarps * q;
            if (j < rank) sums[q] += toFloat(gradAx[n * rank + j]) * value;
        }
    }
#pragma unroll
    for (int q = 0; q < kPerThread; ++q) {
        const int j = threadIdx.y + kWarps * q;
        if (j < rank) atomicAdd(gradA + int64_t(j) * in + k, sums[q] * key.keepScale);
    }
}

int elementBytes(ElementType type) { return type == ElementType::Float32 ? 4 : 2; }

}  // namespace

bool loraDropoutDownFits(ElementType type, int64_t inFeatures) {
    int device = 0, limit = 0;
    if (cudaGetDevice(&device) != cudaSuccess) return false;
    if (cudaDeviceGetAttribute(&limit, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) != cudaSuccess) return false;
    return inFeatures * elementBytes(type) <= limit;
}

cudaError_t launchLoraDropoutDown(ElementType type, const void* x, const void* loraA, void* ax, int64_t rows,
                                  int64_t inFeatures, int64_t rank, DropoutKey key, cudaStream_t stream) {
    if (rows == 0 || rank == 0) return cudaSuccess;
    if (rank > kLoraDropoutMaxRank) return cudaErrorInvalidValue;
    const size_t shared = static_cast<size_t>(inFeatures) * elementBytes(type);
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        if (shared > 48 * 1024) {
            const cudaError_t status = cudaFuncSetAttribute(
                loraDropoutDownKernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(shared));
            if (status != cudaSuccess) return status;
        }
        loraDropoutDownKernel<T><<<static_cast<unsigned>(rows), kThreads, shared, stream>>>(
            static_cast<const T*>(x), static_cast<const T*>(loraA), static_cast<T*>(ax), inFeatures,
            static_cast<int>(rank), key);
        return cudaGetLastError();
    });
}

cudaError_t launchLoraDropoutInputGrad(ElementType type, const void* gradAx, const void* loraA, void* gradX,
                                       int64_t rows, int64_t inFeatures, int64_t rank, DropoutKey key,
                                       cudaStream_t stream) {
    if (rows == 0 || rank == 0) return cudaSuccess;
    if (rank > kLoraDropoutMaxRank) return cudaErrorInvalidValue;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        loraDropoutInputGradKernel<T><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
            static_cast<const T*>(gradAx), static_cast<const T*>(loraA), static_cast<T*>(gradX), inFeatures,
            static_cast<int>(rank), key);
        return cudaGetLastError();
    });
}

cudaError_t launchLoraDropoutWeightGrad(ElementType type, const void* gradAx, const void* x, float* gradA,
                                        int64_t rows, int64_t inFeatures, int64_t rank, DropoutKey key,
                                        cudaStream_t stream) {
    if (rows == 0 || rank == 0) return cudaSuccess;
    if (rank > kLoraDropoutMaxRank) return cudaErrorInvalidValue;
    const int64_t slabs = (rows + kSlabRows - 1) / kSlabRows;
    if (slabs > 65535) return cudaErrorInvalidValue;  // gridDim.y limit: 4M rows
    const dim3 grid(static_cast<unsigned>((inFeatures + 31) / 32), static_cast<unsigned>(slabs));
    const dim3 block(32, kWarps);
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        loraDropoutWeightGradKernel<T><<<grid, block, 0, stream>>>(static_cast<const T*>(gradAx),
                                                                   static_cast<const T*>(x), gradA, rows,
                                                                   inFeatures, static_cast<int>(rank), key);
        return cudaGetLastError();
    });
}

}  // namespace ctd::kernels::cuda
