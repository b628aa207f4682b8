// Rotary embedding, forward and backward in one kernel: a warp per (batch, head, time) row (so the
// index arithmetic is paid once per row, not per element), each lane rotating (d, d + D/2) pairs
// in fp32, reading strided q/k and writing contiguous output.
#include "cuda/cuda_common.cuh"
#include "cuda/rotary.cuh"

namespace ctd::kernels::cuda {
namespace {

constexpr int kRowsPerBlock = 8;

template <typename T, bool Backward>
__global__ void rotaryKernel(const T* __restrict__ input, int64_t strideBatch, int64_t strideHead,
                             int64_t strideTime, const float* __restrict__ cos, const float* __restrict__ sin,
                             int64_t tableBatchStride, T* __restrict__ output, int64_t heads, int64_t time,
                             int64_t headDim, int64_t rows) {
    const int64_t row = blockIdx.x * int64_t(kRowsPerBlock) + threadIdx.y;  // ((b * heads + h) * time + t)
    if (row >= rows) return;
    const int64_t t = row % time, h = (row / time) % heads, b = row / time / heads;
    const T* in = input + b * strideBatch + h * strideHead + t * strideTime;
    const float* c = cos + b * tableBatchStride + t * headDim;
    const float* s = sin + b * tableBatchStride + t * headDim;
    T* out = output + row * headDim;
    const int64_t half = headDim / 2;
    for (int64_t d = threadIdx.x; d < half; d += 32) {
        const float x1 = toFloat(in[d]), x2 = toFloat(in[d + half]);
        const float c1 = c[d], c2 = c[d + half], s1 = s[d], s2 = s[d + half];
        if (!Backward) {
            out[d] = fromFloat<T>(x1 * c1 - x2 * s1);
            out[d + half] = fromFloat<T>(x2 * c2 + x1 * s2);
        } else {
            out[d] = fromFloat<T>(x1 * c1 + x2 * s2);
            out[d + half] = fromFloat<T>(x2 * c2 - x1 * s1);
        }
    }
}

}  // namespace

cudaError_t launchRotary(ElementType type, RotaryInput input, const float* cos, const float* sin,
                         int64_t tableBatchStride, void* output, int64_t batch, int64_t heads, int64_t time,
                         int64_t headDim, bool backward, cudaStream_t stream) {
    const int64_t rows = batch * heads * time;
    if (rows == 0 || headDim < 2) return cudaSuccess;
    const dim3 block(32, kRowsPerBlock);
    const auto blocks = static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock);
    return dispatchElementType(type, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const auto* in = static_cast<const T*>(input.data);
        auto* out = static_cast<T*>(output);
        if (backward)
            rotaryKernel<T, true><<<blocks, block, 0, stream>>>(in, input.strideBatch, input.strideHead,
                                                                input.strideTime, cos, sin, tableBatchStride, out,
                                                                heads, time, headDim, rows);
        else
            rotaryKernel<T, false><<<blocks, block, 0, stream>>>(in, input.strideBatch, input.strideHead,
                                                                 input.strideTime, cos, sin, tableBatchStride, out,
                                                                 heads, time, headDim, rows);
        return cudaGetLastError();
    });
}

}  // namespace ctd::kernels::cuda
