// Loss definitions (see loss.h for the formulas).
#include "core/train/loss.h"

#include "core/util/error.h"

#include "ctd/kernels/next_token_loss.h"

namespace ctd::train {

at::Tensor tokenNll(const at::Tensor& logits, const at::Tensor& labels) {
    // Fused on CPU (loss and gradient in one pass over the logits); at::cross_entropy_loss elsewhere.
    return kernels::nextTokenNll(logits, labels, -100);
}

at::Tensor microBatchLoss(LossType type, const at::Tensor& logits, const at::Tensor& labels,
                          const std::vector<std::string>& tasks, const LossWindow& window) {
    const at::Tensor nll = tokenNll(logits, labels);
    const int64_t steps = std::max<int64_t>(1, window.accumulationSteps);
    switch (type) {
    case LossType::TokenMean:
    case LossType::ResponseOnly: {
        const at::Tensor count = (labels.narrow(1, 1, labels.size(1) - 1) != -100).sum().to(at::kFloat);
        // An all-masked micro-batch contributes nothing (rather than 0/0).
        return nll.sum() / count.clamp_min(1.0) / static_cast<double>(steps);
    }
    case LossType::SingleTask: {
        const int64_t examples = std::max<int64_t>(1, window.examples);
        return nll.sum() / static_cast<double>(examples);
    }
    case LossType::MixedTask: {
        TORCH_CHECK(static_cast<int64_t>(tasks.size()) == logits.size(0), "one task tag per row is needed");
        std::vector<double> weights;
        for (const auto& task : tasks) {
            const auto found = window.examplesPerTask.find(task);
            const int64_t count = found == window.examplesPerTask.end() ? 0 : found->second;
            if (count <= 0) throw ConfigError("mixed_task loss: task '" + task + "' is not counted in its window");
            weights.push_back(1.0 / static_cast<double>(count));
        }
        const at::Tensor rowWeights = at::tensor(weights, at::kDouble).to(nll.device(), nll.scalar_type());
        return (nll.sum(1) * rowWeights).sum();
    }
    }
    throw ConfigError("unknown loss type");
}

}  // namespace ctd::train
