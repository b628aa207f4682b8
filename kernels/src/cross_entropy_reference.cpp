// Plain C++ reference for the language-model cross-entropy: full logits per row in double, a
// max-shifted log-sum-exp, and the softmax-minus-one-hot gradient.
#include "ctd/kernels/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ctd::kernels::reference {
namespace {

std::vector<double> rowLogits(const float* hidden, const float* headWeight, std::size_t row, std::size_t hiddenSize,
                              std::size_t vocab) {
    std::vector<double> logits(vocab);
    for (std::size_t v = 0; v < vocab; ++v) {
        double sum = 0.0;
        for (std::size_t k = 0; k < hiddenSize; ++k)
            sum += double(hidden[row * hiddenSize + k]) * headWeight[v * hiddenSize + k];
        logits[v] = sum;
    }
    return logits;
}

}  // namespace

void crossEntropyForward(const float* hidden, const float* headWeight, const int64_t* labels, int64_t ignoreIndex,
                         float* losses, float* logSumExp, std::size_t rows, std::size_t hiddenSize,
                         std::size_t vocab) {
    for (std::size_t r = 0; r < rows; ++r) {
        const std::vector<double> logits = rowLogits(hidden, headWeight, r, hiddenSize, vocab);
        const double maximum = *std::max_element(logits.begin(), logits.end());
        double sum = 0.0;
        for (double logit : logits) sum += std::exp(logit - maximum);
        const double lse = maximum + std::log(sum);
        logSumExp[r] = float(lse);
        losses[r] = labels[r] == ignoreIndex ? 0.0f : float(lse - logits[std::size_t(labels[r])]);
    }
}

// d loss_r / d logit_v = softmax_v - [v == label_r]; then chain through logits = hidden W^T.
void crossEntropyBackward(const float* hidden, const float* headWeight, const int64_t* labels, int64_t ignoreIndex,
                          const float* logSumExp, const float* gradLosses, float* gradHidden, float* gradHeadWeight,
                          std::size_t rows, std::size_t hiddenSize, std::size_t vocab) {
    std::vector<double> weightSums(vocab * hiddenSize, 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
        std::vector<double> hiddenSum(hiddenSize, 0.0);
        if (labels[r] != ignoreIndex) {
            const std::vector<double> logits = rowLogits(hidden, headWeight, r, hiddenSize, vocab);
            for (std::size_t v = 0; v < vocab; ++v) {
                double gradLogit = std::exp(logits[v] - double(logSumExp[r]));
                if (int64_t(v) == labels[r]) gradLogit -= 1.0;
                gradLogit *= gradLosses[r];
                for (std::size_t k = 0; k < hiddenSize; ++k) {
                    hiddenSum[k] += gradLogit * headWeight[v * hiddenSize + k];
                    weightSums[v * hiddenSize + k] += gradLogit * hidden[r * hiddenSize + k];
                }
            }
        }
        for (std::size_t k = 0; k < hiddenSize; ++k) gradHidden[r * hiddenSize + k] = float(hiddenSum[k]);
    }
    for (std::size_t i = 0; i < weightSums.size(); ++i) gradHeadWeight[i] = float(weightSums[i]);
}

}  // namespace ctd::kernels::reference
