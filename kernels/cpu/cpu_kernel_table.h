// The table of fused CPU loops one instruction-set variant of cpu_kernels_body.cpp provides; the
// dispatch (src/cpu_dispatch.cpp) picks a variant once and forwards cpu_kernels.h's calls to it.
#pragma once
#include "cpu/cpu_kernels.h"

namespace ctd::kernels::cpu {

template <typename T>
struct KernelTable {
    decltype(&rmsNormForward<T>) rmsNormForward;
    decltype(&rmsNormBackward<T>) rmsNormBackward;
    decltype(&rotary<T>) rotary;
    decltype(&swigluForward<T>) swigluForward;
    decltype(&swigluBackward<T>) swigluBackward;
    decltype(&dropout<T>) dropout;
    decltype(&crossEntropyForward<T>) crossEntropyForward;
};

struct Variant {
    const char* name;
    KernelTable<float> f32;
    KernelTable<double> f64;
};

// One per compiled variant; the namespaces are the CPU_CAPABILITY values of the two builds.
namespace DEFAULT {
Variant variant();
}
namespace AVX2 {
Variant variant();
}
namespace AVX512 {
Variant variant();
}

}  // namespace ctd::kernels::cpu
