// Element types the CUDA kernels are instantiated for. Plain C++: the host-side dispatch maps
// ATen dtypes onto it without seeing any CUDA device code.
#pragma once

namespace ctd::kernels::cuda {

enum class ElementType { Float32, Float16, BFloat16 };

}  // namespace ctd::kernels::cuda
