// AdamW on a list of named parameters, with warm-up then linear / cosine / constant decay.
// Written out (rather than torch::optim::AdamW) so its state saves by parameter name into
// safetensors and a resumed run continues bit for bit. The update is torch.optim.AdamW's.
#pragma once
#include "core/train/trainer_settings.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ctd::train {

// Learning rate at optimizer step `step` (0-based) of `totalSteps`, as HF's schedulers.
double learningRateAt(const OptimizerSettings& settings, int64_t step, int64_t totalSteps);

class AdamW {
public:
    AdamW(std::vector<std::pair<std::string, at::Tensor>> parameters, OptimizerSettings settings);

    // One update with the given learning rate; gradients are read from the parameters.
    void step(double learningRate);
    void zeroGrad();
    // Clips the global gradient norm; returns the norm before clipping.
    double clipGradNorm(double maxNorm);

    int64_t stepCount() const { return m_step; }
    // State as named tensors ("<param>.exp_avg", "<param>.exp_avg_sq") plus "step".
    std::vector<std::pair<std::string, at::Tensor>> state() const;
    void loadState(const std::vector<std::pair<std::string, at::Tensor>>& state, const std::string& source);
    const std::vector<std::pair<std::string, at::Tensor>>& parameters() const { return m_parameters; }

private:
    std::vector<std::pair<std::string, at::Tensor>> m_parameters;
    std::vector<at::Tensor> m_expAvg, m_expAvgSq;
    OptimizerSettings m_settings;
    int64_t m_step = 0;
};

}  // namespace ctd::train
