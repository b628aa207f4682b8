// Build facts of the kernels library.
#include "ctd/kernels/backend.h"

#include "cpu/cpu_kernels.h"

#ifdef CTD_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace ctd::kernels {

bool builtWithCuda() {
#ifdef CTD_WITH_CUDA
    return true;
#else
    return false;
#endif
}

std::string backendDescription() {
    const std::string cpu = std::string("; fused cpu loops (") + cpu::instructionSet() + ")";
#ifdef CTD_WITH_CUDA
    return std::string("cuda kernels (sm ") + CTD_CUDA_ARCHITECTURE_LIST + ") with aten fallback" + cpu;
#else
    return "aten only (built without CUDA kernels)" + cpu;
#endif
}

int64_t cudaPeakAllocatedBytes(int device) {
#ifdef CTD_WITH_CUDA
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    return stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
#else
    (void)device;
    return -1;
#endif
}

void resetCudaPeakAllocatedBytes(int device) {
#ifdef CTD_WITH_CUDA
    c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
#else
    (void)device;
#endif
}

}  // namespace ctd::kernels
