// SwiGLU forward and backward as grid-stride elementwise kernels in fp32. The backward pass
// recomputes sigmoid(gate) instead of loading a stored silu(gate).
#include "cuda/cuda_common.cuh"
#include "cuda/swiglu.cuh"

namespace ctd::kernels::cuda {
namespace {

__device__ __forceinline__ float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

template <typename T>
__global__ void swigluForwardKernel(const T* __restrict__ gate, const T* __restrict__ up, T* __restrict__ output,
                                    int64_t count) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
        const float g = toFloat(gate[i]);
        // at::silu(gate) * up rounds silu(gate) to T before the product.
        output[i] = fromFloat<T>(roundTo<T>(g * sigmoid(g)) * toFloat(up[i]));
    }
}

template <typename T>
__global__ void swigluBackwardKernel(const T* __restrict__ gradOutput, const T* __restrict__ gate,
                                     const T* __restrict__ up, T* __restrict__ gradGate, T* __restrict__ gradUp,
                                     int64_t count) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
        const float g = toFloat(gate[i]), u = toFloat(up[i]), dy = toFloat(gradOutput[i]);
        const float s = sigmoid(g);
        gradUp[i] = fromFloat<T>(dy * g * s);
        gradGate[i] = fromFloat<T>(dy * u * s * (1.0f + g * (1.0f - s)));
    }
}

constexpr int kThreads = 256;

}  // namespace

cudaError_t launchSwigluForward(ElementType type, const void* gate, const void* up, void* output, int64_t count,
                                cudaStream_t stream) {
    if (count == 0) return cudaSuccess;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        swigluForwardKernel<T><<<gridFor(count, kThreads), kThreads, 0, stream>>>(
            static_cast<const T*>(gate), static_cast<const T*>(up), static_cast<T*>(output), count);
        return cudaGetLastError();
    });
}

cudaError_t launchSwigluBackward(ElementType type, const void* gradOutput, const void* gate, const void* up,
                                 void* gradGate, void* gradUp, int64_t count, cudaStream_t stream) {
    if (count == 0) return cudaSuccess;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        swigluBackwardKernel<T><<<gridFor(count, kThreads), kThreads, 0, stream>>>(
            static_cast<const T*>(gradOutput), static_cast<const T*>(gate), static_cast<const T*>(up),
            static_cast<T*>(gradGate), static_cast<T*>(gradUp), count);
        return cudaGetLastError();
    });
}

}  // namespace ctd::kernels::cuda
