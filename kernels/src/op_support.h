// Shared by the op files: argument checks, the choice between the CUDA kernels and the ATen
// composition, and the bridge from ATen tensors to the raw-pointer CUDA launchers.
#pragma once
#include <ATen/ATen.h>

#ifdef CTD_WITH_CUDA
#include "cuda/element_type.h"

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#endif

namespace ctd::kernels::detail {

// True when the fused CUDA kernels handle `tensor`: built with CUDA, a CUDA tensor, and a dtype
// the kernels are instantiated for (fp32, fp16, bf16). Everything else runs the ATen composition.
inline bool useCudaKernels(const at::Tensor& tensor) {
#ifdef CTD_WITH_CUDA
    const auto type = tensor.scalar_type();
    return tensor.is_cuda() && (type == at::kFloat || type == at::kHalf || type == at::kBFloat16);
#else
    (void)tensor;
    return false;
#endif
}

// True when the fused CPU loops (cpu/cpu_kernels.h) handle `tensor`: a CPU tensor in fp32 or fp64.
inline bool useCpuKernels(const at::Tensor& tensor) {
    const auto type = tensor.scalar_type();
    return tensor.device().is_cpu() && (type == at::kFloat || type == at::kDouble);
}

// fp32 for every floating dtype but double, which keeps double (finite-difference tests).
inline at::ScalarType computeType(at::ScalarType type) { return type == at::kDouble ? at::kDouble : at::kFloat; }

inline void checkFloating(const at::Tensor& tensor, const char* op, const char* name) {
    TORCH_CHECK(tensor.defined(), op, ": ", name, " is undefined");
    TORCH_CHECK(at::isFloatingType(tensor.scalar_type()), op, ": ", name, " must be a floating tensor, got ",
                tensor.scalar_type());
}

inline void checkSameDtypeAndDevice(const at::Tensor& a, const at::Tensor& b, const char* op, const char* nameA,
                                    const char* nameB) {
    TORCH_CHECK(a.scalar_type() == b.scalar_type(), op, ": ", nameB, " has dtype ", b.scalar_type(), " but ", nameA,
                " has ", a.scalar_type());
    TORCH_CHECK(a.device() == b.device(), op, ": ", nameB, " is on ", b.device(), " but ", nameA, " is on ",
                a.device());
}

#ifdef CTD_WITH_CUDA
inline cuda::ElementType elementType(at::ScalarType type) {
    switch (type) {
    case at::kFloat: return cuda::ElementType::Float32;
    case at::kHalf: return cuda::ElementType::Float16;
    case at::kBFloat16: return cuda::ElementType::BFloat16;
    default: TORCH_CHECK(false, "no CUDA kernel for dtype ", type);
    }
}

inline cudaStream_t currentStream() { return at::cuda::getCurrentCUDAStream().stream(); }
#endif

}  // namespace ctd::kernels::detail
