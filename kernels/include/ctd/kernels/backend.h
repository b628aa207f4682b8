// What the kernels library was built with: lets logs, benchmarks and tests say which path runs.
#pragma once
#include <cstdint>
#include <string>

namespace ctd::kernels {

// True when the CUDA kernels were compiled in (CMake option CTD_CUDA); CUDA tensors in fp32, fp16
// or bf16 then take the fused path, everything else the ATen composition.
bool builtWithCuda();

// One line for run logs, e.g. "cuda kernels (sm 80,90) with aten fallback; fused cpu loops (avx2)".
std::string backendDescription();

// Peak bytes allocated through ATen's CUDA caching allocator on `device` since the last reset, or
// -1 when built without CUDA. For run logs, benchmarks and the memory checks of the GPU tests.
int64_t cudaPeakAllocatedBytes(int device = 0);
void resetCudaPeakAllocatedBytes(int device = 0);

}  // namespace ctd::kernels
