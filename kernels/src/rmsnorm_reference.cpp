// Plain C++ reference for RMSNorm forward and backward: the ground truth for the CUDA kernel.
// Sums in double so that the reference is more accurate than anything it checks.
#include "ctd/kernels/rmsnorm.h"

#include <cmath>

namespace ctd::kernels::reference {

void rmsNormForward(const float* x, const float* weight, float* y, float* inverseRms, std::size_t rows,
                    std::size_t cols, float eps) {
    for (std::size_t r = 0; r < rows; ++r) {
        const float* row = x + r * cols;
        double sumSquares = 0.0;
        for (std::size_t c = 0; c < cols; ++c) sumSquares += double(row[c]) * row[c];
        const double inverse = 1.0 / std::sqrt(sumSquares / double(cols) + eps);
        inverseRms[r] = float(inverse);
        for (std::size_t c = 0; c < cols; ++c) y[r * cols + c] = float(weight[c] * (row[c] * inverse));
    }
}

// With n = x * inv and y = w * n: dx = inv * (g w - n * mean(g w n)), dw = sum over rows of g n.
void rmsNormBackward(const float* gradY, const float* x, const float* weight, const float* inverseRms,
                     float* gradX, float* gradWeight, std::size_t rows, std::size_t cols) {
    for (std::size_t c = 0; c < cols; ++c) gradWeight[c] = 0.0f;
    for (std::size_t r = 0; r < rows; ++r) {
        const float* g = gradY + r * cols;
        const float* row = x + r * cols;
        const double inverse = inverseRms[r];
        double dot = 0.0;
        for (std::size_t c = 0; c < cols; ++c) dot += double(g[c]) * weight[c] * row[c] * inverse;
        dot /= double(cols);
        for (std::size_t c = 0; c < cols; ++c) {
            const double normalized = row[c] * inverse;
            gradX[r * cols + c] = float(inverse * (double(g[c]) * weight[c] - normalized * dot));
            gradWeight[c] += float(g[c] * normalized);
        }
    }
}

}  // namespace ctd::kernels::reference
