// Next-token cross-entropy op: the fused CPU loop writes each row's loss and softmax - onehot in
// one pass, and the autograd backward scales those rows by the incoming per-token gradient. Other
// devices and dtypes run at::cross_entropy_loss on the shifted, fp32 logits (HF's formula).
#include "ctd/kernels/next_token_loss.h"

#include "cpu/cpu_kernels.h"
#include "op_support.h"

#include <torch/csrc/autograd/custom_function.h>

namespace ctd::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Losses (batch, time - 1), and the gradient rows (batch, time, vocab) when `withGradient`.
std::pair<at::Tensor, at::Tensor> forwardCpu(const at::Tensor& logits, const at::Tensor& shiftedLabels,
                                             int64_t ignoreIndex, bool withGradient) {
    const int64_t batch = logits.size(0), time = logits.size(1), vocab = logits.size(2);
    at::Tensor losses = at::empty({batch, time - 1}, logits.options());
    at::Tensor gradient;
    if (withGradient) {
        gradient = at::empty({batch, time, vocab}, logits.options());
        gradient.select(1, time - 1).zero_();
    }
    AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "nextTokenNll", [&] {
        cpu::crossEntropyForward<scalar_t>(logits.const_data_ptr<scalar_t>(), logits.stride(0), logits.stride(1),
                                           shiftedLabels.const_data_ptr<int64_t>(), ignoreIndex,
                                           losses.mutable_data_ptr<scalar_t>(),
                                           withGradient ? gradient.mutable_data_ptr<scalar_t>() : nullptr,
                                           withGradient ? gradient.stride(0) : 0, withGradient ? gradient.stride(1) : 0,
                                           batch, time - 1, vocab);
    });
    return {losses, gradient};
}

class NextTokenNllFunction : public torch::autograd::Function<NextTokenNllFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& logits, const at::Tensor& shiftedLabels,
                              int64_t ignoreIndex) {
        auto [losses, gradient] = forwardCpu(logits, shiftedLabels, ignoreIndex, /*withGradient=*/true);
        context->save_for_backward({gradient});
        return losses;
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        // The stored rows are scaled in place (no second logits-sized buffer), so they serve once.
        TORCH_CHECK(context->saved_data.count("used") == 0,
                    "nextTokenNll: backward through the same loss twice (retain_graph) is not supported");
        context->saved_data["used"] = true;
        at::Tensor gradient = context->get_saved_variables()[0];
        // The last time step predicts nothing: its rows are zero and get a zero factor.
        const at::Tensor perRow = at::constant_pad_nd(gradients[0].to(gradient.scalar_type()), {0, 1});
        gradient.mul_(perRow.unsqueeze(-1));
        return {gradient, at::Tensor(), at::Tensor()};
    }
};

at::Tensor nextTokenNllAten(const at::Tensor& logits, const at::Tensor& labels, int64_t ignoreIndex) {
    const int64_t batch = logits.size(0), time = logits.size(1), vocab = logits.size(2);
    const at::Tensor shiftedLogits =
        logits.narrow(1, 0, time - 1).reshape({-1, vocab}).to(detail::computeType(logits.scalar_type()));
    const at::Tensor shiftedLabels = labels.narrow(1, 1, time - 1).reshape({-1}).to(at::kLong);
    const at::Tensor nll = at::cross_entropy_loss(shiftedLogits, shiftedLabels, {}, at::Reduction::None, ignoreIndex);
    return nll.view({batch, time - 1});
}

}  // namespace

at::Tensor nextTokenNll(const at::Tensor& logits, const at::Tensor& labels, int64_t ignoreIndex) {
    const char* op = "nextTokenNll";
    detail::checkFloating(logits, op, "logits");
    TORCH_CHECK(logits.dim() == 3 && labels.dim() == 2 && labels.size(0) == logits.size(0) &&
                    labels.size(1) == logits.size(1),
                op, ": logits ", logits.sizes(), " and labels ", labels.sizes(),
                " must be (batch, time, vocab) and (batch, time)");
    TORCH_CHECK(logits.size(1) >= 1, op, ": no time steps");
    TORCH_CHECK(!at::isFloatingType(labels.scalar_type()) && labels.scalar_type() != at::kBool, op,
                ": labels must be an integer tensor");
    if (!detail::useCpuKernels(logits) || !labels.device().is_cpu() || logits.stride(2) != 1 || logits.size(2) == 0)
        return nextTokenNllAten(logits, labels, ignoreIndex);

    const int64_t time = logits.size(1), vocab = logits.size(2);
    const at::Tensor shiftedLabels = labels.narrow(1, 1, time - 1).to(at::kLong).contiguous();
    // The loop indexes rows by label: refuse anything outside the vocabulary first.
    const int64_t* label = shiftedLabels.const_data_ptr<int64_t>();
    for (int64_t i = 0; i < shiftedLabels.numel(); ++i)
        TORCH_CHECK(label[i] == ignoreIndex || (label[i] >= 0 && label[i] < vocab), op, ": label ", label[i],
                    " is outside [0, ", vocab, ") and is not the ignore index ", ignoreIndex);
    if (at::GradMode::is_enabled() && logits.requires_grad())
        return NextTokenNllFunction::apply(logits, shiftedLabels, ignoreIndex);
    return forwardCpu(logits, shiftedLabels, ignoreIndex, /*withGradient=*/false).first;
}

}  // namespace ctd::kernels
