// Fused CPU loops behind the ops (RMSNorm, rotary, SwiGLU, LoRA dropout, next-token
// cross-entropy): raw pointers, one pass per direction, parallel over rows. The bodies
// (cpu_kernels.cpp) are compiled once per instruction set (kernels/CMakeLists.txt); the functions
// declared here pick the best variant the machine supports at run time. fp32 and fp64 only.
#pragma once
#include "ctd/kernels/dropout_mask.h"

#include <cstdint>

namespace ctd::kernels::cpu {

// "avx512", "avx2" or "default": the variant the dispatch picked, for logs and benchmarks.
const char* instructionSet();

// Rows are reduced into partial weight gradients in fixed blocks of this many rows, so the result
// does not depend on the thread count.
inline constexpr int64_t kRmsNormRowBlock = 32;
inline int64_t rmsNormBlocks(int64_t rows) { return (rows + kRmsNormRowBlock - 1) / kRmsNormRowBlock; }

// x, y: contiguous (rows, cols); inverseRms: (rows).
template <typename T>
void rmsNormForward(const T* x, const T* weight, T* y, T* inverseRms, int64_t rows, int64_t cols, double eps);
// gradX overwritten; weightPartials (rmsNormBlocks(rows), cols) overwritten when not null.
template <typename T>
void rmsNormBackward(const T* gradY, const T* x, const T* weight, const T* inverseRms, T* gradX, T* weightPartials,
                     int64_t rows, int64_t cols);

// A (batch, heads, time, headDim) view with a unit last stride.
template <typename T>
struct HeadView {
    T* data;
    int64_t batchStride, headStride, timeStride;
};
// out = x * cos + rotate_half(x) * sin (backward: the transposed rotation). Tables: (time, headDim)
// per batch row, tableBatchStride apart (0 when shared).
template <typename T>
void rotary(HeadView<const T> x, const T* cos, const T* sin, int64_t tableBatchStride, HeadView<T> out,
            int64_t batch, int64_t heads, int64_t time, int64_t headDim, bool backward);

// gate and up rows `inputRowStride` apart (the two halves of one packed row, or two tensors);
// y, gradY contiguous (rows, cols); gradGate and gradUp rows `gradRowStride` apart.
template <typename T>
void swigluForward(const T* gate, const T* up, int64_t inputRowStride, T* y, int64_t rows, int64_t cols);
template <typename T>
void swigluBackward(const T* gradY, const T* gate, const T* up, int64_t inputRowStride, T* gradGate, T* gradUp,
                    int64_t gradRowStride, int64_t rows, int64_t cols);

// out[i] (=, or += when accumulate) in[i] * dropout factor of element i (dropout_mask.h).
template <typename T>
void dropout(const T* in, T* out, int64_t count, const DropoutKey& key, bool accumulate);

// Row r of (batch, time) at logits + b * batchStride + t * timeStride (unit stride over vocab)
// predicts labels[r] (contiguous (batch, time); ignoreIndex: loss 0, gradient 0). Writes the loss
// per row and, when gradient is not null, softmax - onehot(label) into gradient's rows (same
// layout, gradient's own strides).
template <typename T>
void crossEntropyForward(const T* logits, int64_t batchStride, int64_t timeStride, const int64_t* labels,
                         int64_t ignoreIndex, T* losses, T* gradient, int64_t gradBatchStride,
                         int64_t gradTimeStride, int64_t batch, int64_t time, int64_t vocab);

}  // namespace ctd::kernels::cpu
