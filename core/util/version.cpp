// Library versions and device availability.
#include "core/util/version.h"

#include <torch/version.h>
#include <torch/cuda.h>

#include <sstream>

namespace ctd {

std::string ctdVersion() { return CTD_VERSION; }

std::string torchVersion() { return TORCH_VERSION; }

bool cudaUsable() { return torch::cuda::is_available(); }

std::string versionReport() {
    std::ostringstream out;
    out << "ctd " << ctdVersion() << "\n"
        << "libtorch " << torchVersion() << "\n"
        << "cuda " << (cudaUsable() ? "usable (" + std::to_string(torch::cuda::device_count()) + " devices)"
                                    : std::string("not usable"));
    return out.str();
}

}  // namespace ctd
