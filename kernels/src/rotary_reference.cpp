// Plain C++ reference for HF-convention rotary embeddings: pairs (d, d + D/2) rotate by the
// position's angle; the backward pass is the inverse rotation applied to the gradient.
#include "ctd/kernels/rotary.h"

namespace ctd::kernels::reference {
namespace {

// out = in * cos + rotate_half(in) * sin (forward), or its transpose (backward):
// forward  y1 = x1 c1 - x2 s1,  y2 = x2 c2 + x1 s2
// backward dx1 = g1 c1 + g2 s2, dx2 = g2 c2 - g1 s1
void rotate(const float* in, const float* cos, const float* sin, float* out, std::size_t batch, std::size_t heads,
            std::size_t time, std::size_t headDim, bool tablesPerBatch, bool backward) {
    const std::size_t half = headDim / 2;
    for (std::size_t b = 0; b < batch; ++b)
        for (std::size_t h = 0; h < heads; ++h)
            for (std::size_t t = 0; t < time; ++t) {
                const std::size_t row = ((b * heads + h) * time + t) * headDim;
                const std::size_t table = ((tablesPerBatch ? b * time : 0) + t) * headDim;
                for (std::size_t d = 0; d < half; ++d) {
                    const double x1 = in[row + d], x2 = in[row + d + half];
                    const double c1 = cos[table + d], c2 = cos[table + d + half];
                    const double s1 = sin[table + d], s2 = sin[table + d + half];
                    if (!backward) {
                        out[row + d] = float(x1 * c1 - x2 * s1);
                        out[row + d + half] = float(x2 * c2 + x1 * s2);
                    } else {
                        out[row + d] = float(x1 * c1 + x2 * s2);
                        out[row + d + half] = float(x2 * c2 - x1 * s1);
                    }
                }
            }
}

}  // namespace

void rotaryForward(const float* x, const float* cos, const float* sin, float* y, std::size_t batch,
                   std::size_t heads, std::size_t time, std::size_t headDim, bool tablesPerBatch) {
    rotate(x, cos, sin, y, batch, heads, time, headDim, tablesPerBatch, false);
}

void rotaryBackward(const float* gradY, const float* cos, const float* sin, float* gradX, std::size_t batch,
                    std::size_t heads, std::size_t time, std::size_t headDim, bool tablesPerBatch) {
    rotate(gradY, cos, sin, gradX, batch, heads, time, headDim, tablesPerBatch, true);
}

}  // namespace ctd::kernels::reference
