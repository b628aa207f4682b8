// Decoding step: a cache-append kernel, then one block per (sequence, query head). Each warp
// walks every fourth key with an online softmax (the query and its output slice stay in
// registers, 8 values per lane), and the block merges the warps' partial results at the end.
#include "cuda/cuda_common.cuh"
#include "cuda/decode_attention.cuh"

namespace ctd::kernels::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kPerLane = kDecodeMaxHeadDim / 32;

template <typename T>
__global__ void kvCacheAppendKernel(const T* __restrict__ newKeys, const T* __restrict__ newValues,
                                    T* __restrict__ keyCache, T* __restrict__ valueCache,
                                    const int64_t* __restrict__ lengths, DecodeShape shape) {
    const int64_t slot = blockIdx.x;  // b * kvHeads + kv
    const int64_t b = slot / shape.kvHeads;
    const int64_t position = lengths[b];
    if (position < 0 || position >= shape.capacity) return;
    const int64_t target = (slot * shape.capacity + position) * shape.headDim;
    for (int64_t d = threadIdx.x; d < shape.headDim; d += blockDim.x) {
        keyCache[target + d] = newKeys[slot * shape.headDim + d];
        valueCache[target + d] = newValues[slot * shape.headDim + d];
    }
}

template <typename T>
__global__ void decodeAttentionKernel(const T* __restrict__ query, const T* __restrict__ keyCache,
                                      const T* __restrict__ valueCache, const int64_t* __restrict__ lengths,
                                      const bool* __restrict__ keyMask, T* __restrict__ output, DecodeShape shape,
                                      float scale) {
    __shared__ float warpMaxima[kWarps], warpSums[kWarps];
    __shared__ float warpOutputs[kWarps][kDecodeMaxHeadDim];
    const int64_t b = blockIdx.x / shape.heads, h = blockIdx.x % shape.heads;
    const int64_t kv = h / (shape.heads / shape.kvHeads);
    const int64_t headDim = shape.headDim;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    T* out = output + blockIdx.x * headDim;
    const int64_t length = lengths[b];
    if (length < 0 || length >= shape.capacity) {
        for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) out[d] = fromFloat<T>(NAN);
        return;
    }

    const T* q = query + blockIdx.x * headDim;
    float queryPart[kPerLane], accumulator[kPerLane];
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
        const int64_t d = lane + 32 * i;
        queryPart[i] = d < headDim ? toFloat(q[d]) * scale : 0.0f;
        accumulator[i] = 0.0f;
    }
    const T* keys = keyCache + (b * shape.kvHeads + kv) * shape.capacity * headDim;
    const T* values = valueCache + (b * shape.kvHeads + kv) * shape.capacity * headDim;
    const bool* mask = keyMask ? keyMask + b * shape.capacity : nullptr;
    float maximum = -INFINITY, sum = 0.0f;
    for (int64_t t = warp; t <= length; t += kWarps) {
        if (mask && !mask[t]) continue;  // uniform across the warp
        const T* key = keys + t * headDim;
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < kPerLane; ++i) {
            const int64_t d = lane + 32 * i;
            if (d < headDim) dot += queryPart[i] * toFloat(key[d]);
        }
        dot = warpSum(dot);
        const float newMax = fmaxf(maximum, dot);
        const float correction = expf(maximum - newMax);  // 0 on the first key (maximum = -inf)
        const float weight = expf(dot - newMax);
        sum = sum * correction + weight;
        const T* value = values + t * headDim;
#pragma unroll
        for (int i = 0; i < kPerLane; ++i) {
            const int64_t d = lane + 32 * i;
            const float v = d < headDim ? toFloat(value[d]) : 0.0f;
            accumulator[i] = accumulator[i] * correction + weight * v;
        }
        maximum = newMax;
    }

    if (lane == 0) {
        warpMaxima[warp] = maximum;
        warpSums[warp] = sum;
    }
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) {
        const int64_t d = lane + 32 * i;
        if (d < headDim) warpOutputs[warp][d] = accumulator[i];
    }
    __syncthreads();
    float blockMaximum = -INFINITY;
    for (int w = 0; w < kWarps; ++w) blockMaximum = fmaxf(blockMaximum, warpMaxima[w]);
    for (int64_t d = threadIdx.x; d < headDim; d += blockDim.x) {
        if (blockMaximum == -INFINITY) {  // nothing attendable
            out[d] = fromFloat<T>(0.0f);
            continue;
        }
        float total = 0.0f, weighted = 0.0f;
        for (int w = 0; w < kWarps; ++w) {
            if (warpMaxima[w] == -INFINITY) continue;
            const float factor = expf(warpMaxima[w] - blockMaximum);
            total += warpSums[w] * factor;
            weighted += warpOutputs[w][d] * factor;
        }
        out[d] = fromFloat<T>(weighted / total);
    }
}

}  // namespace

cudaError_t launchKvCacheAppend(ElementType type, const void* newKeys, const void* newValues, void* keyCache,
                                void* valueCache, const int64_t* lengths, DecodeShape shape, cudaStream_t stream) {
    const int64_t slots = shape.batch * shape.kvHeads;
    if (slots == 0 || shape.headDim == 0) return cudaSuccess;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        kvCacheAppendKernel<T><<<static_cast<unsigned>(slots), 128, 0, stream>>>(
            static_cast<const T*>(newKeys), static_cast<const T*>(newValues), static_cast<T*>(keyCache),
            static_cast<T*>(valueCache), lengths, shape);
        return cudaGetLastError();
    });
}

cudaError_t launchDecodeAttention(ElementType type, const void* query, const void* keyCache, const void* valueCache,
                                  const int64_t* lengths, const bool* keyMask, void* output, DecodeShape shape,
                                  float scale, cudaStream_t stream) {
    const int64_t blocks = shape.batch * shape.heads;
    if (blocks == 0 || shape.headDim == 0) return cudaSuccess;
    if (shape.headDim > kDecodeMaxHeadDim || shape.kvHeads <= 0 || shape.heads % shape.kvHeads != 0)
        return cudaErrorInvalidValue;
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        decodeAttentionKernel<T><<<static_cast<unsigned>(blocks), kWarps * 32, 0, stream>>>(
            static_cast<const T*>(query), static_cast<const T*>(keyCache), static_cast<const T*>(valueCache),
            lengths, keyMask, static_cast<T*>(output), shape, scale);
        return cudaGetLastError();
    });
}

}  // namespace ctd::kernels::cuda
