// Versions of ctd and its libraries, for `ctd --version` and run provenance.
#pragma once
#include <string>

namespace ctd {

std::string ctdVersion();
std::string torchVersion();
bool cudaUsable();
// Multi-line human-readable report: ctd, libtorch, CUDA availability and device.
std::string versionReport();

}  // namespace ctd
