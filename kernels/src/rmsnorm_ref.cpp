// Plain C++ reference for RMSNorm forward.
#include "ctd/kernels/rmsnorm_ref.h"

#include <cmath>

namespace ctd::kernels {

void rmsnormForwardReference(const float* x, const float* weight, float* y, std::size_t rows,
                             std::size_t cols, float eps) {
    for (std::size_t r = 0; r < rows; ++r) {
        const float* row = x + r * cols;
        double sumSquares = 0.0;
        for (std::size_t c = 0; c < cols; ++c) sumSquares += double(row[c]) * row[c];
        const float inverse = 1.0f / std::sqrt(float(sumSquares / double(cols)) + eps);
        for (std::size_t c = 0; c < cols; ++c) y[r * cols + c] = weight[c] * (row[c] * inverse);
    }
}

}  // namespace ctd::kernels
