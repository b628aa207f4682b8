// The fused CPU loops of cpu_kernels.h, written once with ATen's Vectorized<T> and compiled once
// per instruction set: CPU_CAPABILITY (DEFAULT, AVX2 or AVX512) names the namespace, as in ATen, so the
// variants link side by side. Elementwise formulas follow the eager ATen ops (same operation
// order, no contraction into FMAs) so results stay within a few ulps of HF's.
#include "cpu/cpu_kernel_table.h"

#include <ATen/Parallel.h>
#include <ATen/cpu/vec/functional.h>
#include <ATen/cpu/vec/vec.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ctd::kernels::cpu {
namespace CPU_CAPABILITY {
namespace {

template <typename T>
using Vec = at::vec::Vectorized<T>;

// Rows per parallel task: enough elements that scheduling a task costs little next to it.
int64_t rowGrain(int64_t cols) { return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, cols)); }

template <typename T>
T sumOfSquares(const T* x, int64_t cols) {
    constexpr int64_t width = Vec<T>::size();
    Vec<T> accumulator(T(0));
    int64_t j = 0;
    for (; j + width <= cols; j += width) {
        const Vec<T> v = Vec<T>::loadu(x + j);
        accumulator = accumulator + v * v;
    }
    T sum = at::vec::vec_reduce_all<T>([](Vec<T>& a, Vec<T>& b) { return a + b; }, accumulator);
    for (; j < cols; ++j) sum += x[j] * x[j];
    return sum;
}

template <typename T>
void rmsNormForwardImpl(const T* x, const T* weight, T* y, T* inverseRms, int64_t rows, int64_t cols, double eps) {
    constexpr int64_t width = Vec<T>::size();
    at::parallel_for(0, rows, rowGrain(cols), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const T* in = x + r * cols;
            T* out = y + r * cols;
            // HF: rsqrt(mean(x^2) + eps) in the compute type, then weight * (x * inverse).
            const T inverse = T(1) / std::sqrt(sumOfSquares(in, cols) / static_cast<T>(cols) + static_cast<T>(eps));
            inverseRms[r] = inverse;
            const Vec<T> inverseVec(inverse);
            int64_t j = 0;
            for (; j + width <= cols; j += width)
                (Vec<T>::loadu(weight + j) * (Vec<T>::loadu(in + j) * inverseVec)).store(out + j);
            for (; j < cols; ++j) out[j] = weight[j] * (in[j] * inverse);
        }
    });
}

template <typename T>
void rmsNormBackwardImpl(const T* gradY, const T* x, const T* weight, const T* inverseRms, T* gradX,
                         T* weightPartials, int64_t rows, int64_t cols) {
    constexpr int64_t width = Vec<T>::size();
    const int64_t blocks = rmsNormBlocks(rows);
    at::parallel_for(0, blocks, 1, [&](int64_t blockBegin, int64_t blockEnd) {
        for (int64_t block = blockBegin; block < blockEnd; ++block) {
            T* partial = weightPartials ? weightPartials + block * cols : nullptr;
            if (partial) std::fill(partial, partial + cols, T(0));
            const int64_t rowEnd = std::min(rows, (block + 1) * kRmsNormRowBlock);
            for (int64_t r = block * kRmsNormRowBlock; r < rowEnd; ++r) {
                const T* g = gradY + r * cols;
                const T* in = x + r * cols;
                T* out = gradX + r * cols;
                const T inverse = inverseRms[r];
                const Vec<T> inverseVec(inverse);
                // dot = mean(gradY * weight * normalized)
                Vec<T> accumulator(T(0));
                int64_t j = 0;
                for (; j + width <= cols; j += width)
                    accumulator = accumulator + Vec<T>::loadu(g + j) * Vec<T>::loadu(weight + j) *
                                                    (Vec<T>::loadu(in + j) * inverseVec);
                T dot = at::vec::vec_reduce_all<T>([](Vec<T>& a, Vec<T>& b) { return a + b; }, accumulator);
                for (; j < cols; ++j) dot += g[j] * weight[j] * (in[j] * inverse);
                dot /= static_cast<T>(cols);
                const Vec<T> dotVec(dot);
                j = 0;
                for (; j + width <= cols; j += width) {
                    const Vec<T> normalized = Vec<T>::loadu(in + j) * inverseVec;
                    const Vec<T> gradNormalized = Vec<T>::loadu(g + j) * Vec<T>::loadu(weight + j);
                    (inverseVec * (gradNormalized - normalized * dotVec)).store(out + j);
                    if (partial) (Vec<T>::loadu(partial + j) + Vec<T>::loadu(g + j) * normalized).store(partial + j);
                }
                for (; j < cols; ++j) {
                    const T normalized = in[j] * inverse;
                    out[j] = inverse * (g[j] * weight[j] - normalized * dot);
                    if (partial) partial[j] += g[j] * normalized;
                }
            }
        }
    });
}

template <typename T>
void rotaryImpl(HeadView<const T> x, const T* cos, const T* sin, int64_t tableBatchStride, HeadView<T> out,
                int64_t batch, int64_t heads, int64_t time, int64_t headDim, bool backward) {
    constexpr int64_t width = Vec<T>::size();
    const int64_t half = headDim / 2;
    at::parallel_for(0, batch * heads * time, rowGrain(headDim), [&](int64_t begin, int64_t end) {
        for (int64_t index = begin; index < end; ++index) {
            const int64_t t = index % time, h = (index / time) % heads, b = index / (time * heads);
            const T* in = x.data + b * x.batchStride + h * x.headStride + t * x.timeStride;
            T* o = out.data + b * out.batchStride + h * out.headStride + t * out.timeStride;
            const T* c = cos + b * tableBatchStride + t * headDim;
            const T* s = sin + b * tableBatchStride + t * headDim;
            // Forward: (x1 c1 - x2 s1, x2 c2 + x1 s2); backward: (g1 c1 + g2 s2, g2 c2 - g1 s1).
            int64_t d = 0;
            for (; d + width <= half; d += width) {
                const Vec<T> x1 = Vec<T>::loadu(in + d), x2 = Vec<T>::loadu(in + half + d);
                const Vec<T> c1 = Vec<T>::loadu(c + d), c2 = Vec<T>::loadu(c + half + d);
                const Vec<T> s1 = Vec<T>::loadu(s + d), s2 = Vec<T>::loadu(s + half + d);
                if (backward) {
                    (x1 * c1 + x2 * s2).store(o + d);
                    (x2 * c2 - x1 * s1).store(o + half + d);
                } else {
                    (x1 * c1 - x2 * s1).store(o + d);
                    (x2 * c2 + x1 * s2).store(o + half + d);
                }
            }
            for (; d < half; ++d) {
                const T x1 = in[d], x2 = in[half + d];
                if (backward) {
                    o[d] = x1 * c[d] + x2 * s[half + d];
                    o[half + d] = x2 * c[half + d] - x1 * s[d];
                } else {
                    o[d] = x1 * c[d] - x2 * s[d];
                    o[half + d] = x2 * c[half + d] + x1 * s[half + d];
                }
            }
        }
    });
}

// silu(g) = g / (1 + exp(-g)), as ATen's vectorized silu.
template <typename T>
void swigluForwardImpl(const T* gate, const T* up, int64_t inputRowStride, T* y, int64_t rows, int64_t cols) {
    constexpr int64_t width = Vec<T>::size();
    at::parallel_for(0, rows, rowGrain(cols), [&](int64_t begin, int64_t end) {
        const Vec<T> one(T(1));
        for (int64_t r = begin; r < end; ++r) {
            const T* g = gate + r * inputRowStride;
            const T* u = up + r * inputRowStride;
            T* out = y + r * cols;
            int64_t j = 0;
            for (; j + width <= cols; j += width) {
                const Vec<T> gv = Vec<T>::loadu(g + j);
                ((gv / (one + gv.neg().exp())) * Vec<T>::loadu(u + j)).store(out + j);
            }
            for (; j < cols; ++j) out[j] = (g[j] / (T(1) + std::exp(-g[j]))) * u[j];
        }
    });
}

template <typename T>
void swigluBackwardImpl(const T* gradY, const T* gate, const T* up, int64_t inputRowStride, T* gradGate, T* gradUp,
                        int64_t gradRowStride, int64_t rows, int64_t cols) {
    constexpr int64_t width = Vec<T>::size();
    at::parallel_for(0, rows, rowGrain(cols), [&](int64_t begin, int64_t end) {
        const Vec<T> one(T(1));
        for (int64_t r = begin; r < end; ++r) {
            const T* dy = gradY + r * cols;
            const T* g = gate + r * inputRowStride;
            const T* u = up + r * inputRowStride;
            T* dg = gradGate + r * gradRowStride;
            T* du = gradUp + r * gradRowStride;
            int64_t j = 0;
            for (; j + width <= cols; j += width) {
                const Vec<T> gv = Vec<T>::loadu(g + j), dyv = Vec<T>::loadu(dy + j);
                const Vec<T> sigmoid = one / (one + gv.neg().exp());
                (dyv * gv * sigmoid).store(du + j);
                (dyv * Vec<T>::loadu(u + j) * sigmoid * (one + gv * (one - sigmoid))).store(dg + j);
            }
            for (; j < cols; ++j) {
                const T sigmoid = T(1) / (T(1) + std::exp(-g[j]));
                du[j] = dy[j] * g[j] * sigmoid;
                dg[j] = dy[j] * u[j] * sigmoid * (T(1) + g[j] * (T(1) - sigmoid));
            }
        }
    });
}

// Plain loops over 32-bit lanes that the compiler vectorizes (the file is built with -O3); the
// high word of the element index is constant within each 2^32-element stretch.
template <typename T>
void dropoutImpl(const T* in, T* out, int64_t count, const DropoutKey& key, bool accumulate) {
    const T keepScale = static_cast<T>(key.keepScale);
    const std::uint32_t key1 = key.key1, threshold = key.threshold;
    at::parallel_for(0, count, 16384, [&](int64_t begin, int64_t end) {
        for (int64_t start = begin; start < end;) {
            const std::uint64_t index = static_cast<std::uint64_t>(start);
            const std::uint64_t boundary = ((index >> 32) + 1) << 32;
            const int64_t stop =
                static_cast<int64_t>(std::min<std::uint64_t>(static_cast<std::uint64_t>(end), boundary));
            const std::uint32_t highKey = static_cast<std::uint32_t>(index >> 32) ^ key.key2;
            const std::uint32_t low = static_cast<std::uint32_t>(index);
            const std::uint32_t n = static_cast<std::uint32_t>(stop - start);
            const T* src = in + start;
            T* dst = out + start;
            if (accumulate) {
                for (std::uint32_t j = 0; j < n; ++j) {
                    const std::uint32_t bits = dropoutMix(dropoutMix((low + j) ^ key1) ^ highKey);
                    dst[j] += src[j] * ((bits >> 8) >= threshold ? keepScale : T(0));
                }
            } else {
                for (std::uint32_t j = 0; j < n; ++j) {
                    const std::uint32_t bits = dropoutMix(dropoutMix((low + j) ^ key1) ^ highKey);
                    dst[j] = src[j] * ((bits >> 8) >= threshold ? keepScale : T(0));
                }
            }
            start = stop;
        }
    });
}

template <typename T>
T rowMaximum(const T* row, int64_t vocab) {
    constexpr int64_t width = Vec<T>::size();
    T maximum = -std::numeric_limits<T>::infinity();
    int64_t j = 0;
    if (vocab >= width) {
        Vec<T> accumulator = Vec<T>::loadu(row);
        for (j = width; j + width <= vocab; j += width)
            accumulator = at::vec::maximum(accumulator, Vec<T>::loadu(row + j));
        maximum = at::vec::vec_reduce_all<T>([](Vec<T>& a, Vec<T>& b) { return at::vec::maximum(a, b); }, accumulator);
    }
    for (; j < vocab; ++j) maximum = std::max(maximum, row[j]);
    return maximum;
}

template <typename T>
void crossEntropyForwardImpl(const T* logits, int64_t batchStride, int64_t timeStride, const int64_t* labels,
                             int64_t ignoreIndex, T* losses, T* gradient, int64_t gradBatchStride,
                             int64_t gradTimeStride, int64_t batch, int64_t time, int64_t vocab) {
    constexpr int64_t width = Vec<T>::size();
    at::parallel_for(0, batch * time, rowGrain(vocab), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const int64_t b = r / time, t = r % time;
            const T* row = logits + b * batchStride + t * timeStride;
            T* grad = gradient ? gradient + b * gradBatchStride + t * gradTimeStride : nullptr;
            const int64_t label = labels[r];
            if (label == ignoreIndex) {
                losses[r] = T(0);
                if (grad) std::fill(grad, grad + vocab, T(0));
                continue;
            }
            const T maximum = rowMaximum(row, vocab);
            const Vec<T> maximumVec(maximum);
            // Exponentials go straight into the gradient row, normalized below.
            Vec<T> accumulator(T(0));
            int64_t j = 0;
            for (; j + width <= vocab; j += width) {
                const Vec<T> e = (Vec<T>::loadu(row + j) - maximumVec).exp();
                if (grad) e.store(grad + j);
                accumulator = accumulator + e;
            }
            T sum = at::vec::vec_reduce_all<T>([](Vec<T>& a, Vec<T>& b) { return a + b; }, accumulator);
            for (; j < vocab; ++j) {
                const T e = std::exp(row[j] - maximum);
                if (grad) grad[j] = e;
                sum += e;
            }
            losses[r] = maximum + std::log(sum) - row[label];
            if (!grad) continue;
            const T inverse = T(1) / sum;
            const Vec<T> inverseVec(inverse);
            for (j = 0; j + width <= vocab; j += width) (Vec<T>::loadu(grad + j) * inverseVec).store(grad + j);
            for (; j < vocab; ++j) grad[j] *= inverse;
            grad[label] -= T(1);
        }
    });
}

template <typename T>
KernelTable<T> tableOf() {
    return {&rmsNormForwardImpl<T>, &rmsNormBackwardImpl<T>, &rotaryImpl<T>,  &swigluForwardImpl<T>,
            &swigluBackwardImpl<T>, &dropoutImpl<T>,        &crossEntropyForwardImpl<T>};
}

}  // namespace

Variant variant() {
#if defined(CPU_CAPABILITY_AVX512)
    const char* name = "avx512";
#elif defined(CPU_CAPABILITY_AVX2)
    const char* name = "avx2";
#else
    const char* name = "default";
#endif
    return {name, tableOf<float>(), tableOf<double>()};
}

}  // namespace CPU_CAPABILITY
}  // namespace ctd::kernels::cpu
