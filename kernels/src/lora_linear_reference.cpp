// Plain C++ reference for the LoRA-fused linear layer, with the same counter-based dropout mask
// as the kernels (ctd/kernels/dropout_mask.h). Sums in double.
#include "ctd/kernels/dropout_mask.h"
#include "ctd/kernels/lora_linear.h"

#include <vector>

namespace ctd::kernels::reference {
namespace {

// The factor each input element is multiplied by before the adapter: 1 without dropout, else 0
// for dropped elements and 1 / (1 - p) for kept ones.
std::vector<double> dropoutFactors(const LoraDropout& dropout, std::size_t count) {
    std::vector<double> factors(count, 1.0);
    if (dropout.probability <= 0.0) return factors;
    const DropoutKey key = DropoutKey::make(dropout.seed, dropout.probability);
    for (std::size_t i = 0; i < count; ++i) factors[i] = dropoutKeeps(key, i) ? double(key.keepScale) : 0.0;
    return factors;
}

std::vector<double> droppedInput(const float* x, const std::vector<double>& factors) {
    std::vector<double> input(factors.size());
    for (std::size_t i = 0; i < factors.size(); ++i) input[i] = x[i] * factors[i];
    return input;
}

}  // namespace

void loraLinearForward(const float* x, const float* weight, const float* loraA, const float* loraB, float scale,
                       const LoraDropout& dropout, float* y, float* ax, std::size_t rows, std::size_t in,
                       std::size_t out, std::size_t rank) {
    const std::vector<double> input = droppedInput(x, dropoutFactors(dropout, rows * in));
    for (std::size_t n = 0; n < rows; ++n) {
        for (std::size_t j = 0; j < rank; ++j) {
            double sum = 0.0;
            for (std::size_t k = 0; k < in; ++k) sum += input[n * in + k] * loraA[j * in + k];
            ax[n * rank + j] = float(sum);
        }
        for (std::size_t o = 0; o < out; ++o) {
            double base = 0.0, adapter = 0.0;
            for (std::size_t k = 0; k < in; ++k) base += double(x[n * in + k]) * weight[o * in + k];
            for (std::size_t j = 0; j < rank; ++j) adapter += double(ax[n * rank + j]) * loraB[o * rank + j];
            y[n * out + o] = float(base + scale * adapter);
        }
    }
}

// With u = dropout(x) and a = u A^T: dB = scale g^T a, da = scale g B, dA = da^T u,
// dx = g W + (da A) * mask, where mask holds the 0 or 1 / (1 - p) factors of the dropout.
void loraLinearBackward(const float* gradY, const float* x, const float* weight, const float* loraA,
                        const float* loraB, const float* ax, float scale, const LoraDropout& dropout, float* gradX,
                        float* gradA, float* gradB, std::size_t rows, std::size_t in, std::size_t out,
                        std::size_t rank) {
    const std::vector<double> mask = dropoutFactors(dropout, rows * in);
    const std::vector<double> input = droppedInput(x, mask);

    std::vector<double> gradAx(rows * rank, 0.0);
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t j = 0; j < rank; ++j) {
            double sum = 0.0;
            for (std::size_t o = 0; o < out; ++o) sum += double(gradY[n * out + o]) * loraB[o * rank + j];
            gradAx[n * rank + j] = scale * sum;
        }
    for (std::size_t o = 0; o < out; ++o)
        for (std::size_t j = 0; j < rank; ++j) {
            double sum = 0.0;
            for (std::size_t n = 0; n < rows; ++n) sum += double(gradY[n * out + o]) * ax[n * rank + j];
            gradB[o * rank + j] = float(scale * sum);
        }
    for (std::size_t j = 0; j < rank; ++j)
        for (std::size_t k = 0; k < in; ++k) {
            double sum = 0.0;
            for (std::size_t n = 0; n < rows; ++n) sum += gradAx[n * rank + j] * input[n * in + k];
            gradA[j * in + k] = float(sum);
        }
    for (std::size_t n = 0; n < rows; ++n)
        for (std::size_t k = 0; k < in; ++k) {
            double base = 0.0, adapter = 0.0;
            for (std::size_t o = 0; o < out; ++o) base += double(gradY[n * out + o]) * weight[o * in + k];
            for (std::size_t j = 0; j < rank; ++j) adapter += gradAx[n * rank + j] * loraA[j * in + k];
            gradX[n * in + k] = float(base + adapter * mask[n * in + k]);
        }
}

}  // namespace ctd::kernels::reference
