// AdamW and learning-rate schedules.
#include "core/train/optimizer.h"

#include "core/util/error.h"

#include <cmath>
#include <map>

namespace ctd::train {

double learningRateAt(const OptimizerSettings& s, int64_t step, int64_t totalSteps) {
    if (s.warmupSteps > 0 && step < s.warmupSteps)
        return s.learningRate * static_cast<double>(step + 1) / static_cast<double>(s.warmupSteps);
    if (s.schedule == "constant") return s.learningRate;
    const double span = static_cast<double>(std::max<int64_t>(1, totalSteps - s.warmupSteps));
    const double progress = std::min(1.0, static_cast<double>(step - s.warmupSteps) / span);
    if (s.schedule == "cosine") return s.learningRate * 0.5 * (1.0 + std::cos(M_PI * progress));
    if (s.schedule == "linear") return s.learningRate * std::max(0.0, 1.0 - progress);
    throw ConfigError("unknown learning-rate schedule '" + s.schedule + "' (expected linear, cosine or constant)");
}

AdamW::AdamW(std::vector<std::pair<std::string, at::Tensor>> parameters, OptimizerSettings settings)
    : m_parameters(std::move(parameters)), m_settings(std::move(settings)) {
    for (const auto& [name, parameter] : m_parameters) {
        m_expAvg.push_back(at::zeros_like(parameter, at::MemoryFormat::Preserve));
        m_expAvgSq.push_back(at::zeros_like(parameter, at::MemoryFormat::Preserve));
    }
}

void AdamW::zeroGrad() {
    for (auto& [name, parameter] : m_parameters)
        if (parameter.grad().defined()) parameter.mutable_grad().zero_();
}

double AdamW::clipGradNorm(double maxNorm) {
    at::NoGradGuard noGrad;
    std::vector<at::Tensor> norms;
    for (const auto& [name, parameter] : m_parameters)
        if (parameter.grad().defined()) norms.push_back(parameter.grad().to(at::kFloat).norm(2));
    if (norms.empty()) return 0.0;
    const double total = at::stack(norms).norm(2).item<double>();
    if (maxNorm > 0.0 && total > maxNorm) {
        // torch.nn.utils.clip_grad_norm_: scale by max_norm / (total + 1e-6).
        const double factor = maxNorm / (total + 1e-6);
        for (auto& [name, parameter] : m_parameters)
            if (parameter.grad().defined()) parameter.mutable_grad().mul_(factor);
    }
    return total;
}

void AdamW::step(double learningRate) {
    at::NoGradGuard noGrad;
    ++m_step;
    const double biasCorrection1 = 1.0 - std::pow(m_settings.beta1, static_cast<double>(m_step));
    const double biasCorrection2 = 1.0 - std::pow(m_settings.beta2, static_cast<double>(m_step));
    const double stepSize = learningRate / biasCorrection1;
    const double biasCorrection2Root = std::sqrt(biasCorrection2);
    for (size_t i = 0; i < m_parameters.size(); ++i) {
        at::Tensor& parameter = m_parameters[i].second;
        if (!parameter.grad().defined()) continue;
        const at::Tensor& grad = parameter.grad();
        parameter.mul_(1.0 - learningRate * m_settings.weightDecay);
        m_expAvg[i].lerp_(grad, 1.0 - m_settings.beta1);
        m_expAvgSq[i].mul_(m_settings.beta2).addcmul_(grad, grad, 1.0 - m_settings.beta2);
        const at::Tensor denominator = (m_expAvgSq[i].sqrt() / biasCorrection2Root).add_(m_settings.epsilon);
        parameter.addcdiv_(m_expAvg[i], denominator, -stepSize);
    }
}

std::vector<std::pair<std::string, at::Tensor>> AdamW::state() const {
    std::vector<std::pair<std::string, at::Tensor>> state;
    for (size_t i = 0; i < m_parameters.size(); ++i) {
        state.emplace_back(m_parameters[i].first + ".exp_avg", m_expAvg[i]);
        state.emplace_back(m_parameters[i].first + ".exp_avg_sq", m_expAvgSq[i]);
    }
    state.emplace_back("step", at::tensor({m_step}, at::kLong));
    return state;
}

void AdamW::loadState(const std::vector<std::pair<std::string, at::Tensor>>& state, const std::string& source) {
    std::map<std::string, at::Tensor> byName(state.begin(), state.end());
    at::NoGradGuard noGrad;
    for (size_t i = 0; i < m_parameters.size(); ++i) {
        for (auto [suffix, target] : {std::pair{".exp_avg", &m_expAvg[i]}, {".exp_avg_sq", &m_expAvgSq[i]}}) {
            const auto found = byName.find(m_parameters[i].first + suffix);
            if (found == byName.end())
                throw FormatError(source + ": optimizer state for '" + m_parameters[i].first + suffix + "' is missing");
            if (found->second.sizes() != target->sizes())
                throw FormatError(source + ": optimizer state '" + found->first + "' has the wrong shape");
            target->copy_(found->second);
        }
    }
    const auto step = byName.find("step");
    if (step == byName.end()) throw FormatError(source + ": optimizer step count is missing");
    m_step = step->second.item<int64_t>();
}

}  // namespace ctd::train
