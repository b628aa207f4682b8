// Picks the fused CPU loops' variant once (AVX512, else AVX2+FMA, when the processor has them and
// the build compiled them, else the portable one) and forwards cpu_kernels.h's calls to its table.
#include "cpu/cpu_kernel_table.h"

#include <type_traits>

namespace ctd::kernels::cpu {
namespace {

const Variant& selected() {
    static const Variant chosen = [] {
#if defined(CTD_CPU_HAVE_AVX512) && (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma"))
            return AVX512::variant();
#endif
#if defined(CTD_CPU_HAVE_AVX2) && (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return AVX2::variant();
#endif
        return DEFAULT::variant();
    }();
    return chosen;
}

template <typename T>
const KernelTable<T>& table() {
    if constexpr (std::is_same_v<T, float>) return selected().f32;
    else return selected().f64;
}

}  // namespace

const char* instructionSet() { return selected().name; }

template <typename T>
void rmsNormForward(const T* x, const T* weight, T* y, T* inverseRms, int64_t rows, int64_t cols, double eps) {
    table<T>().rmsNormForward(x, weight, y, inverseRms, rows, cols, eps);
}

template <typename T>
void rmsNormBackward(const T* gradY, const T* x, const T* weight, const T* inverseRms, T* gradX, T* weightPartials,
                     int64_t rows, int64_t cols) {
    table<T>().rmsNormBackward(gradY, x, weight, inverseRms, gradX, weightPartials, rows, cols);
}

template <typename T>
void rotary(HeadView<const T> x, const T* cos, const T* sin, int64_t tableBatchStride, HeadView<T> out,
            int64_t batch, int64_t heads, int64_t time, int64_t headDim, bool backward) {
    table<T>().rotary(x, cos, sin, tableBatchStride, out, batch, heads, time, headDim, backward);
}

template <typename T>
void swigluForward(const T* gate, const T* up, int64_t inputRowStride, T* y, int64_t rows, int64_t cols) {
    table<T>().swigluForward(gate, up, inputRowStride, y, rows, cols);
}

template <typename T>
void swigluBackward(const T* gradY, const T* gate, const T* up, int64_t inputRowStride, T* gradGate, T* gradUp,
                    int64_t gradRowStride, int64_t rows, int64_t cols) {
    table<T>().swigluBackward(gradY, gate, up, inputRowStride, gradGate, gradUp, gradRowStride, rows, cols);
}

template <typename T>
void dropout(const T* in, T* out, int64_t count, const DropoutKey& key, bool accumulate) {
    table<T>().dropout(in, out, count, key, accumulate);
}

template <typename T>
void crossEntropyForward(const T* logits, int64_t batchStride, int64_t timeStride, const int64_t* labels,
                         int64_t ignoreIndex, T* losses, T* gradient, int64_t gradBatchStride,
                         int64_t gradTimeStride, int64_t batch, int64_t time, int64_t vocab) {
    table<T>().crossEntropyForward(logits, batchStride, timeStride, labels, ignoreIndex, losses, gradient,
                                   gradBatchStride, gradTimeStride, batch, time, vocab);
}

#define CTD_INSTANTIATE(T)                                                                                        \
    template void rmsNormForward<T>(const T*, const T*, T*, T*, int64_t, int64_t, double);                      \
    template void rmsNormBackward<T>(const T*, const T*, const T*, const T*, T*, T*, int64_t, int64_t);         \
    template void rotary<T>(HeadView<const T>, const T*, const T*, int64_t, HeadView<T>, int64_t, int64_t,      \
                            int64_t, int64_t, bool);                                                             \
    template void swigluForward<T>(const T*, const T*, int64_t, T*, int64_t, int64_t);                          \
    template void swigluBackward<T>(const T*, const T*, const T*, int64_t, T*, T*, int64_t, int64_t, int64_t);  \
    template void dropout<T>(const T*, T*, int64_t, const DropoutKey&, bool);                                   \
    template void crossEntropyForward<T>(const T*, int64_t, int64_t, const int64_t*, int64_t, T*, T*, int64_t,  \
                                         int64_t, int64_t, int64_t, int64_t);
CTD_INSTANTIATE(float)
CTD_INSTANTIATE(double)
#undef CTD_INSTANTIATE

}  // namespace ctd::kernels::cpu
