// RMSNorm forward and backward: one block per row, fp32 statistics, one read of x per pass.
// The backward block loops over rows and keeps its share of the weight gradient in its own
// row of a partial buffer, so no atomics are needed.
#include "cuda/cuda_common.cuh"
#include "cuda/rmsnorm.cuh"

namespace ctd::kernels::cuda {
namespace {

int threadsFor(int64_t cols) { return cols >= 2048 ? 512 : (cols >= 512 ? 256 : 128); }

template <typename T>
__global__ void rmsNormForwardKernel(const T* __restrict__ x, const T* __restrict__ weight, T* __restrict__ y,
                                     float* __restrict__ inverseRms, int64_t cols, float eps) {
    __shared__ float scratch[32];
    const int64_t row = blockIdx.x;
    const T* in = x + row * cols;
    T* out = y + row * cols;
    float sumSquares = 0.0f;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
        const float v = toFloat(in[c]);
        sumSquares += v * v;
    }
    const float inverse = rsqrtf(blockSum(sumSquares, scratch) / static_cast<float>(cols) + eps);
    if (threadIdx.x == 0) inverseRms[row] = inverse;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
        out[c] = fromFloat<T>(toFloat(weight[c]) * roundTo<T>(toFloat(in[c]) * inverse));
}

template <typename T>
__global__ void rmsNormBackwardKernel(const T* __restrict__ gradY, const T* __restrict__ x,
                                      const T* __restrict__ weight, const float* __restrict__ inverseRms,
                                      T* __restrict__ gradX, float* __restrict__ gradWeightPartial, int64_t rows,
                                      int64_t cols) {
    __shared__ float scratch[32];
    float* partial = gradWeightPartial ? gradWeightPartial + blockIdx.x * cols : nullptr;
    for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* g = gradY + row * cols;
        const T* in = x + row * cols;
        const float inverse = inverseRms[row];
        float dot = 0.0f;
        for (int64_t c = threadIdx.x; c < cols; c += blockDim.x)
            dot += toFloat(g[c]) * toFloat(weight[c]) * toFloat(in[c]) * inverse;
        dot = blockSum(dot, scratch) / static_cast<float>(cols);
        for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
            const float normalized = toFloat(in[c]) * inverse;
            const float gradNormalized = toFloat(g[c]) * toFloat(weight[c]);
            gradX[row * cols + c] = fromFloat<T>(inverse * (gradNormalized - normalized * dot));
            // The forward multiplied the weight by the normalized value rounded to T.
            if (partial) partial[c] += toFloat(g[c]) * roundTo<T>(normalized);
        }
    }
}

}  // namespace

cudaError_t launchRmsNormForward(ElementType type, const void* x, const void* weight, void* y, float* inverseRms,
                                 int64_t rows, int64_t cols, float eps, cudaStream_t stream) {
    if (rows == 0 || cols == 0) return cudaSuccess;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        rmsNormForwardKernel<T><<<static_cast<unsigned>(rows), threadsFor(cols), 0, stream>>>(
            static_cast<const T*>(x), static_cast<const T*>(weight), static_cast<T*>(y), inverseRms, cols, eps);
        return cudaGetLastError();
    });
}

int64_t rmsNormWeightGradientBlocks(int64_t rows) { return rows < 1024 ? (rows < 1 ? 1 : rows) : 1024; }

cudaError_t launchRmsNormBackward(ElementType type, const void* gradY, const void* x, const void* weight,
                                  const float* inverseRms, void* gradX, float* gradWeightPartial, int64_t rows,
                                  int64_t cols, cudaStream_t stream) {
    if (rows == 0 || cols == 0) return cudaSuccess;
    const auto blocks = static_cast<unsigned>(rmsNormWeightGradientBlocks(rows));
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        rmsNormBackwardKernel<T><<<blocks, threadsFor(cols), 0, stream>>>(
            static_cast<const T*>(gradY), static_cast<const T*>(x), static_cast<const T*>(weight), inverseRms,
            static_cast<T*>(gradX), gradWeightPartial, rows, cols);
        return cudaGetLastError();
    });
}

}  // namespace ctd::kernels::cuda
