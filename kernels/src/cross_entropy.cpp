// Chunked cross-entropy op: a custom autograd function that walks the vocabulary in chunks,
// (rows, chunk) logits at a time, keeping a running log-sum-exp per row. Backward recomputes each
// chunk's logits instead of storing them. Fused CUDA passes on CUDA tensors, ATen elsewhere.
#include "ctd/kernels/cross_entropy.h"

#include "op_support.h"

#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <limits>

#ifdef CTD_WITH_CUDA
#include "cuda/cross_entropy.cuh"
#endif

namespace ctd::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct RunningSoftmax {
    at::Tensor maximum, sum, labelLogit;  // per row, compute type
};

void foldChunkAten(const at::Tensor& logits, int64_t offset, const at::Tensor& labels, const at::Tensor& valid,
                   RunningSoftmax& state) {
    const at::Tensor values = logits.to(state.maximum.scalar_type());
    const int64_t columns = values.size(1);
    const at::Tensor newMax = at::maximum(state.maximum, std::get<0>(values.max(1)));
    state.sum = state.sum * at::exp(state.maximum - newMax) + at::exp(values - newMax.unsqueeze(1)).sum(1);
    state.maximum = newMax;
    const at::Tensor inChunk = valid & labels.ge(offset) & labels.lt(offset + columns);
    const at::Tensor picked = values.gather(1, (labels - offset).clamp(0, columns - 1).unsqueeze(1)).squeeze(1);
    state.labelLogit = at::where(inChunk, picked, state.labelLogit);
}

// (softmax - onehot(label)) * gradLoss for one chunk, in the logits' dtype.
at::Tensor chunkGradientAten(const at::Tensor& logits, int64_t offset, const at::Tensor& labels,
                             const at::Tensor& valid, const at::Tensor& logSumExp, const at::Tensor& gradLoss) {
    const int64_t columns = logits.size(1);
    at::Tensor probabilities = at::exp(logits.to(logSumExp.scalar_type()) - logSumExp.unsqueeze(1));
    const at::Tensor inChunk = valid & labels.ge(offset) & labels.lt(offset + columns);
    probabilities.scatter_add_(1, (labels - offset).clamp(0, columns - 1).unsqueeze(1),
                               -inChunk.to(probabilities.scalar_type()).unsqueeze(1));
    return (probabilities * gradLoss.unsqueeze(1)).to(logits.scalar_type());
}

class CrossEntropyFunction : public torch::autograd::Function<CrossEntropyFunction> {
public:
    // hidden (rows, H) and labels (rows) contiguous; returns per-row losses in the compute type.
    static at::Tensor forward(AutogradContext* context, const at::Tensor& hidden, const at::Tensor& weight,
                              const at::Tensor& labels, int64_t ignoreIndex, int64_t chunkSize) {
        const int64_t rows = hidden.size(0), vocab = weight.size(0);
        const auto compute = detail::computeType(hidden.scalar_type());
        const at::Tensor valid = labels.ne(ignoreIndex);
        RunningSoftmax state{at::full({rows}, -std::numeric_limits<double>::infinity(), hidden.options().dtype(compute)),
                             at::zeros({rows}, hidden.options().dtype(compute)),
                             at::zeros({rows}, hidden.options().dtype(compute))};
        const bool kernels = detail::useCudaKernels(hidden);
        for (int64_t offset = 0; offset < vocab && rows > 0; offset += chunkSize) {
            const int64_t columns = std::min(chunkSize, vocab - offset);
            const at::Tensor logits = at::mm(hidden, weight.narrow(0, offset, columns).t());
            if (!kernels) {
                foldChunkAten(logits, offset, labels, valid, state);
                continue;
            }
#ifdef CTD_WITH_CUDA
            const c10::cuda::CUDAGuard guard(hidden.device());
            C10_CUDA_CHECK(cuda::launchCrossEntropyChunkForward(
                detail::elementType(hidden.scalar_type()), logits.data_ptr(), rows, columns, logits.stride(0), offset,
                labels.data_ptr<int64_t>(), ignoreIndex, state.maximum.data_ptr<float>(), state.sum.data_ptr<float>(),
                state.labelLogit.data_ptr<float>(), detail::currentStream()));
#endif
        }
        // Ignored rows get lse 0 so that nothing downstream exponentiates an unset -inf.
        const at::Tensor logSumExp = at::where(valid, state.maximum + at::log(state.sum), at::zeros_like(state.sum));
        at::Tensor losses = at::where(valid, logSumExp - state.labelLogit, at::zeros_like(logSumExp));
        context->save_for_backward({hidden, weight, labels, logSumExp});
        context->saved_data["ignoreIndex"] = ignoreIndex;
        context->saved_data["chunkSize"] = chunkSize;
        return losses;
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const auto saved = context->get_saved_variables();
        const at::Tensor &hidden = saved[0], &weight = saved[1], &labels = saved[2], &logSumExp = saved[3];
        const int64_t ignoreIndex = context->saved_data["ignoreIndex"].toInt();
        const int64_t chunkSize = context->saved_data["chunkSize"].toInt();
        [[maybe_unused]] const int64_t rows = hidden.size(0);
        const int64_t vocab = weight.size(0);
        const bool hiddenGrad = context->needs_input_grad(0), weightGrad = context->needs_input_grad(1);
        const at::Tensor valid = labels.ne(ignoreIndex);
        // Ignored rows carry a constant loss of 0: whatever flows in, their gradient is zero.
        const at::Tensor gradLoss = gradients[0].to(logSumExp.scalar_type()) * valid.to(logSumExp.scalar_type());
        const bool kernels = detail::useCudaKernels(hidden);

        // Accumulate the hidden gradient in the compute type across chunks, then round once.
        at::Tensor gradHidden = hiddenGrad ? at::zeros(hidden.sizes(), hidden.options().dtype(logSumExp.scalar_type()))
                                           : at::Tensor();
        at::Tensor gradWeight = weightGrad ? at::empty_like(weight) : at::Tensor();
        for (int64_t offset = 0; offset < vocab && (hiddenGrad || weightGrad); offset += chunkSize) {
            const int64_t columns = std::min(chunkSize, vocab - offset);
            const at::Tensor chunkWeight = weight.narrow(0, offset, columns);
            at::Tensor gradLogits = at::mm(hidden, chunkWeight.t());
            if (!kernels) {
                gradLogits = chunkGradientAten(gradLogits, offset, labels, valid, logSumExp, gradLoss);
            } else {
#ifdef CTD_WITH_CUDA
                const c10::cuda::CUDAGuard guard(hidden.device());
                C10_CUDA_CHECK(cuda::launchCrossEntropyChunkBackward(
                    detail::elementType(hidden.scalar_type()), gradLogits.data_ptr(), rows, columns,
                    gradLogits.stride(0), offset, labels.data_ptr<int64_t>(), ignoreIndex,
                    logSumExp.data_ptr<float>(), gradLoss.data_ptr<float>(), detail::currentStream()));
#endif
            }
            if (hiddenGrad) {
                if (gradHidden.scalar_type() == hidden.scalar_type())
                    gradHidden.addmm_(gradLogits, chunkWeight);
                else
                    gradHidden.add_(at::mm(gradLogits, chunkWeight));
            }
            if (weightGrad) {
                at::Tensor slice = gradWeight.narrow(0, offset, columns);
                at::mm_out(slice, gradLogits.t(), hidden);
            }
        }
        if (hiddenGrad) gradHidden = gradHidden.to(hidden.scalar_type());
        return {gradHidden, gradWeight, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

at::Tensor perTokenLosses(const at::Tensor& hidden, const at::Tensor& headWeight, const at::Tensor& labels,
                          int64_t ignoreIndex, int64_t chunkSize) {
    const char* op = "crossEntropyChunked";
    detail::checkFloating(hidden, op, "hidden");
    detail::checkFloating(headWeight, op, "headWeight");
    detail::checkSameDtypeAndDevice(hidden, headWeight, op, "hidden", "headWeight");
    TORCH_CHECK(hidden.dim() >= 1 && headWeight.dim() == 2 && headWeight.size(1) == hidden.size(-1), op,
                ": head weight ", headWeight.sizes(), " does not match hidden states ", hidden.sizes());
    TORCH_CHECK(headWeight.size(0) > 0, op, ": the vocabulary is empty");
    TORCH_CHECK(chunkSize > 0, op, ": chunk size must be positive, got ", chunkSize);
    TORCH_CHECK(labels.defined() && !at::isFloatingType(labels.scalar_type()) && labels.scalar_type() != at::kBool,
                op, ": labels must be an integer tensor");
    TORCH_CHECK(labels.device() == hidden.device(), op, ": labels on ", labels.device(), " but hidden states on ",
                hidden.device());
    const auto leading = hidden.sizes().slice(0, hidden.dim() - 1);
    TORCH_CHECK(labels.sizes() == leading, op, ": labels ", labels.sizes(), " do not match hidden states ",
                hidden.sizes());

    const int64_t vocab = headWeight.size(0);
    const at::Tensor flatLabels = labels.reshape({-1}).to(at::kLong).contiguous();
    const at::Tensor valid = flatLabels.ne(ignoreIndex);
    const int64_t outOfRange = (valid & (flatLabels.lt(0) | flatLabels.ge(vocab))).sum().item<int64_t>();
    TORCH_CHECK(outOfRange == 0, op, ": ", outOfRange, " labels are outside [0, ", vocab,
                ") and are not the ignore index ", ignoreIndex);
    const at::Tensor flatHidden = hidden.reshape({-1, hidden.size(-1)}).contiguous();
    const at::Tensor losses =
        CrossEntropyFunction::apply(flatHidden, headWeight.contiguous(), flatLabels, ignoreIndex, chunkSize);
    return losses.view(labels.sizes());
}

}  // namespace

at::Tensor crossEntropyChunkedPerToken(const at::Tensor& hidden, const at::Tensor& headWeight,
                                       const at::Tensor& labels, int64_t ignoreIndex, int64_t chunkSize) {
    return perTokenLosses(hidden, headWeight, labels, ignoreIndex, chunkSize);
}

at::Tensor crossEntropyChunked(const at::Tensor& hidden, const at::Tensor& headWeight, const at::Tensor& labels,
                               int64_t ignoreIndex, int64_t chunkSize) {
    const at::Tensor losses = perTokenLosses(hidden, headWeight, labels, ignoreIndex, chunkSize);
    // Dividing by max(count, 1) keeps the all-ignored case at 0 with zero gradients.
    const at::Tensor count = labels.ne(ignoreIndex).sum().clamp_min(1).to(losses.scalar_type());
    return losses.sum() / count;
}

}  // namespace ctd::kernels
