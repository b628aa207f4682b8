// Device helpers shared by the kernels: fp32 conversion of every element type, warp and block
// reductions, and the switch that instantiates a launch for fp32, fp16 and bf16.
#pragma once
#include "cuda/element_type.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <utility>

namespace ctd::kernels::cuda {

__device__ __forceinline__ float toFloat(float v) { return v; }
__device__ __forceinline__ float toFloat(__half v) { return __half2float(v); }
__device__ __forceinline__ float toFloat(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T fromFloat(float v);
template <>
__device__ __forceinline__ float fromFloat<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half fromFloat<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// v rounded to T and back: mirrors ATen's per-op rounding where the eager formula has it.
template <typename T>
__device__ __forceinline__ float roundTo(float v) { return toFloat(fromFloat<T>(v)); }

__device__ __forceinline__ float warpSum(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xffffffffU, v, offset);
    return v;
}

__device__ __forceinline__ float warpMax(float v) {
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffU, v, offset));
    return v;
}

// Sum over the block, returned to every thread. blockDim.x must be a multiple of 32; scratch holds
// 32 floats. The leading barrier lets a loop call it again without racing on scratch.
__device__ __forceinline__ float blockSum(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warpSum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return warpSum(lane < warps ? scratch[lane] : 0.0f);
}

__device__ __forceinline__ float blockMax(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warpMax(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return warpMax(lane < warps ? scratch[lane] : -INFINITY);
}

template <typename T>
struct TypeTag {
    using type = T;
};

// Calls f(TypeTag<T>{}) with the CUDA type of `type`.
template <typename F>
cudaError_t dispatchElementType(ElementType type, F&& f) {
    switch (type) {
    case ElementType::Float32: return f(TypeTag<float>{});
    case ElementType::Float16: return f(TypeTag<__half>{});
    case ElementType::BFloat16: return f(TypeTag<__nv_bfloat16>{});
    }
    return cudaErrorInvalidValue;
}

// Blocks for a grid-stride loop over `count` items: enough to fill the device, never zero.
inline unsigned gridFor(int64_t count, int threads) {
    const int64_t blocks = (count + threads - 1) / threads;
    return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65536 ? 65536 : blocks));
}

}  // namespace ctd::kernels::cuda
