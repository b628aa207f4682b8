// Chunked cross-entropy passes: one block per row of a vocabulary chunk. The forward pass is a
// single read of the chunk (each thread keeps an online max/sum, then the block combines them);
// the backward pass writes (softmax - onehot) * gradLoss over the logits it read.
#include "cuda/cross_entropy.cuh"
#include "cuda/cuda_common.cuh"

namespace ctd::kernels::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void crossEntropyChunkForwardKernel(const T* __restrict__ logits, int64_t columns, int64_t stride,
                                               int64_t offset, const int64_t* __restrict__ labels,
                                               int64_t ignoreIndex, float* __restrict__ runningMax,
                                               float* __restrict__ runningSum, float* __restrict__ labelLogit) {
    __shared__ float scratch[32];
    const int64_t row = blockIdx.x;
    const int64_t label = labels[row];
    if (label == ignoreIndex) return;  // uniform across the block
    const T* in = logits + row * stride;
    float maximum = -INFINITY, sum = 0.0f;
    for (int64_t c = threadIdx.x; c < columns; c += blockDim.x) {
        const float v = toFloat(in[c]);
        if (v > maximum) {
            sum = sum * expf(maximum - v) + 1.0f;
            maximum = v;
        } else {
            sum += expf(v - maximum);
        }
    }
    const float chunkMax = blockMax(maximum, scratch);
    const float chunkSum = blockSum(maximum == -INFINITY ? 0.0f : sum * expf(maximum - chunkMax), scratch);
    if (threadIdx.x == 0) {
        const float previousMax = runningMax[row];
        const float newMax = fmaxf(previousMax, chunkMax);
        const float previous = previousMax == -INFINITY ? 0.0f : runningSum[row] * expf(previousMax - newMax);
        runningSum[row] = previous + chunkSum * expf(chunkMax - newMax);
        runningMax[row] = newMax;
        if (label >= offset && label < offset + columns) labelLogit[row] = toFloat(in[label - offset]);
    }
}

template <typename T>
__global__ void crossEntropyChunkBackwardKernel(T* __restrict__ logits, int64_t columns, int64_t stride,
                                                int64_t offset, const int64_t* __restrict__ labels,
                                                int64_t ignoreIndex, const float* __restrict__ logSumExp,
                                                const float* __restrict__ gradLoss) {
    const int64_t row = blockIdx.x;
    const int64_t label = labels[row];
    T* values = logits + row * stride;
    if (label == ignoreIndex) {  // constant loss: zero gradient (and no exp of an unset lse)
        for (int64_t c = threadIdx.x; c < columns; c += blockDim.x) values[c] = fromFloat<T>(0.0f);
        return;
    }
    const float lse = logSumExp[row];
    const float scale = gradLoss[row];
    for (int64_t c = threadIdx.x; c < columns; c += blockDim.x) {
        float grad = expf(toFloat(values[c]) - lse);
        if (offset + c == label) grad -= 1.0f;
        values[c] = fromFloat<T>(grad * scale);
    }
}

}  // namespace

cudaError_t launchCrossEntropyChunkForward(ElementType type, const void* logits, int64_t rows, int64_t columns,
                                           int64_t stride, int64_t offset, const int64_t* labels,
                                           int64_t ignoreIndex, float* runningMax, float* runningSum,
                                           float* labelLogit, cudaStream_t stream) {
    if (rows == 0 || columns == 0) return cudaSuccess;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        crossEntropyChunkForwardKernel<T><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
            static_cast<const T*>(logits), columns, stride, offset, labels, ignoreIndex, runningMax, runningSum,
            labelLogit);
        return cudaGetLastError();
    });
}

cudaError_t launchCrossEntropyChunkBackward(ElementType type, void* logits, int64_t rows, int64_t columns,
                                            int64_t stride, int64_t offset, const int64_t* labels,
                                            int64_t ignoreIndex, const float* logSumExp, const float* gradLoss,
                                            cudaStream_t stream) {
    if (rows == 0 || columns == 0) return cudaSuccess;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        crossEntropyChunkBackwardKernel<T><<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
            static_cast<T*>(logits), columns, stride, offset, labels, ignoreIndex, logSumExp, gradLoss);
        return cudaGetLastError();
    });
}

}  // namespace ctd::kernels::cuda
