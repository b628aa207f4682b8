// Plain C++ reference for SwiGLU: y = silu(g) u with silu(g) = g sigmoid(g), and
// d silu / dg = sigmoid(g) (1 + g (1 - sigmoid(g))).
#include "ctd/kernels/swiglu.h"

#include <cmath>

namespace ctd::kernels::reference {

void swigluForward(const float* gate, const float* up, float* y, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        const double sigmoid = 1.0 / (1.0 + std::exp(-double(gate[i])));
        y[i] = float(gate[i] * sigmoid * up[i]);
    }
}

void swigluBackward(const float* gradY, const float* gate, const float* up, float* gradGate, float* gradUp,
                    std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        const double g = gate[i];
        const double sigmoid = 1.0 / (1.0 + std::exp(-g));
        gradUp[i] = float(gradY[i] * g * sigmoid);
        gradGate[i] = float(gradY[i] * double(up[i]) * sigmoid * (1.0 + g * (1.0 - sigmoid)));
    }
}

}  // namespace ctd::kernels::reference
