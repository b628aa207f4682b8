// LoRA-fused linear op: y = x W^T, then scale * (dropout(x) A^T) B^T accumulated into y in place
// (addmm), so the adapter adds no (rows, out) activations. Backward uses cuBLAS/ATen products; with
// dropout on CUDA the mask is applied inside kernels from its seed, elsewhere it is recomputed.
#include "ctd/kernels/lora_linear.h"

#include "ctd/kernels/dropout_mask.h"
#include "cpu/cpu_kernels.h"
#include "op_support.h"

#include <torch/csrc/autograd/custom_function.h>

#include <limits>

#ifdef CTD_WITH_CUDA
#include "cuda/lora_linear.cuh"
#endif

namespace ctd::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The mixer of dropout_mask.h in int64 arithmetic: inputs stay below 2^32 and the multipliers
// below 2^31, so every product fits and masking to 32 bits reproduces uint32 wrap-around.
at::Tensor mixBits(at::Tensor v) {
    constexpr int64_t low32 = 0xffffffffLL;
    v = at::bitwise_xor(v, at::bitwise_right_shift(v, 16));
    v = at::bitwise_and(v * int64_t(kDropoutMultiplier1), low32);
    v = at::bitwise_xor(v, at::bitwise_right_shift(v, 15));
    v = at::bitwise_and(v * int64_t(kDropoutMultiplier2), low32);
    return at::bitwise_xor(v, at::bitwise_right_shift(v, 16));
}

bool dropoutActive(double probability) { return probability > 0.0; }

// The dropout factors in the compute type, so that 1 / (1 - p) is not rounded to a 16-bit dtype.
at::Tensor computeMask(const at::Tensor& rows, const LoraDropout& dropout) {
    return loraDropoutScaleMask(rows.sizes(), dropout, rows.options().dtype(detail::computeType(rows.scalar_type())));
}

at::Tensor applyMask(const at::Tensor& values, const at::Tensor& mask) {
    return (values.to(mask.scalar_type()) * mask).to(values.scalar_type());
}

// The fused CPU loop (fp32/fp64 CPU tensors): values times the mask of `dropout`, element i of the
// contiguous `values` taking the factor of index i, written to a new tensor or added into `into`.
at::Tensor dropoutCpu(const at::Tensor& values, const LoraDropout& dropout, at::Tensor into = {}) {
    const at::Tensor in = values.contiguous();
    const bool accumulate = into.defined();
    at::Tensor out = accumulate ? into : at::empty_like(in);
    TORCH_CHECK(out.is_contiguous() && out.sizes() == in.sizes(), "loraDropout: bad accumulation target");
    const DropoutKey key = DropoutKey::make(dropout.seed, dropout.probability);
    AT_DISPATCH_FLOATING_TYPES(in.scalar_type(), "loraDropout", [&] {
        cpu::dropout<scalar_t>(in.const_data_ptr<scalar_t>(), out.mutable_data_ptr<scalar_t>(), in.numel(), key,
                               accumulate);
    });
    return out;
}

class LoraDropoutFunction : public torch::autograd::Function<LoraDropoutFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& x, double probability, int64_t seed) {
        context->saved_data["probability"] = probability;
        context->saved_data["seed"] = seed;
        const LoraDropout dropout{probability, static_cast<uint64_t>(seed)};
        if (detail::useCpuKernels(x)) return dropoutCpu(x, dropout);
        const auto compute = x.options().dtype(detail::computeType(x.scalar_type()));
        return applyMask(x, loraDropoutScaleMask(x.sizes(), dropout, compute));
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const LoraDropout dropout{context->saved_data["probability"].toDouble(),
                                  static_cast<uint64_t>(context->saved_data["seed"].toInt())};
        const at::Tensor& gradY = gradients[0];
        at::Tensor gradX;
        if (detail::useCpuKernels(gradY)) {
            gradX = dropoutCpu(gradY, dropout);
        } else {
            const auto compute = gradY.options().dtype(detail::computeType(gradY.scalar_type()));
            gradX = applyMask(gradY, loraDropoutScaleMask(gradY.sizes(), dropout, compute));
        }
        return {gradX, at::Tensor(), at::Tensor()};
    }
};

#ifdef CTD_WITH_CUDA
// The fused dropout kernels cover ranks up to 64 and rows that fit in shared memory.
bool useDropoutKernels(const at::Tensor& x, int64_t rank) {
    return detail::useCudaKernels(x) && rank <= cuda::kLoraDropoutMaxRank &&
           cuda::loraDropoutDownFits(detail::elementType(x.scalar_type()), x.size(1));
}
#endif

class LoraLinearFunction : public torch::autograd::Function<LoraLinearFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& x, const at::Tensor& weight,
                              const at::Tensor& loraA, const at::Tensor& loraB, double scale, double probability,
                              int64_t seed) {
        const int64_t in = x.size(-1), out = weight.size(0);
        const at::Tensor rows = x.reshape({-1, in}).contiguous();
        const at::Tensor a = loraA.contiguous();
        const LoraDropout dropout{probability, static_cast<uint64_t>(seed)};
        at::Tensor ax;
#ifdef CTD_WITH_CUDA
        if (dropoutActive(probability) && useDropoutKernels(rows, a.size(0))) {
            const c10::cuda::CUDAGuard guard(rows.device());
            ax = at::empty({rows.size(0), a.size(0)}, rows.options());
            C10_CUDA_CHECK(cuda::launchLoraDropoutDown(detail::elementType(rows.scalar_type()), rows.data_ptr(),
                                                       a.data_ptr(), ax.data_ptr(), rows.size(0), in, a.size(0),
                                                       DropoutKey::make(dropout.seed, probability),
                                                       detail::currentStream()));
        }
#endif
        if (!ax.defined()) {
            at::Tensor input = rows;
            if (dropoutActive(probability))
                input = detail::useCpuKernels(rows) ? dropoutCpu(rows, dropout)
                                                    : applyMask(rows, computeMask(rows, dropout));
            ax = at::mm(input, a.t());
        }
        at::Tensor y = at::mm(rows, weight.t());
        y.addmm_(ax, loraB.t(), /*beta=*/1.0, /*alpha=*/scale);

        context->save_for_backward({rows, weight, a, loraB, ax});
        context->saved_data["scale"] = scale;
        context->saved_data["probability"] = probability;
        context->saved_data["seed"] = seed;
        context->saved_data["inputShape"] = x.sizes().vec();
        std::vector<int64_t> outputShape(x.sizes().begin(), x.sizes().end());
        outputShape.back() = out;
        return y.view(outputShape);
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const auto saved = context->get_saved_variables();
        const at::Tensor &rows = saved[0], &weight = saved[1], &a = saved[2], &b = saved[3], &ax = saved[4];
        const double scale = context->saved_data["scale"].toDouble();
        const double probability = context->saved_data["probability"].toDouble();
        const LoraDropout dropout{probability, static_cast<uint64_t>(context->saved_data["seed"].toInt())};
        const at::Tensor gradY = gradients[0].reshape({-1, weight.size(0)}).contiguous();
        const bool gradX = context->needs_input_grad(0), gradWeight = context->needs_input_grad(1);
        const bool gradA = context->needs_input_grad(2), gradB = context->needs_input_grad(3);
        const bool active = dropoutActive(probability);
#ifdef CTD_WITH_CUDA
        const bool kernels = active && useDropoutKernels(rows, a.size(0));
#else
        const bool kernels = false;
#endif
        const bool cpuKernels = active && detail::useCpuKernels(rows);
        // d(ax) = scale * gradY B: (rows, rank), the only extra buffer of the backward pass.
        const at::Tensor gradAx = (gradX || gradA) ? at::mm(gradY, b).mul_(scale) : at::Tensor();
        at::Tensor mask;  // materialized only on the ATen path
        if (active && !kernels && !cpuKernels && (gradX || gradA)) mask = computeMask(rows, dropout);

        at::Tensor resultX, resultWeight, resultA, resultB;
        if (gradB) resultB = at::mm(gradY.t(), ax).mul_(scale);
        if (gradWeight) resultWeight = at::mm(gradY.t(), rows);
        if (gradA) {
#ifdef CTD_WITH_CUDA
            if (kernels) {
                const c10::cuda::CUDAGuard guard(rows.device());
                at::Tensor sums = at::zeros(a.sizes(), a.options().dtype(at::kFloat));
                C10_CUDA_CHECK(cuda::launchLoraDropoutWeightGrad(
                    detail::elementType(rows.scalar_type()), gradAx.data_ptr(), rows.data_ptr(),
                    sums.data_ptr<float>(), rows.size(0), rows.size(1), a.size(0),
                    DropoutKey::make(dropout.seed, probability), detail::currentStream()));
                resultA = sums.to(a.scalar_type());
            }
#endif
            if (!resultA.defined() && cpuKernels) resultA = at::mm(gradAx.t(), dropoutCpu(rows, dropout));
            if (!resultA.defined()) resultA = at::mm(gradAx.t(), mask.defined() ? applyMask(rows, mask) : rows);
        }
        if (gradX) {
            resultX = at::mm(gradY, weight);
            if (!active) {
                resultX.addmm_(gradAx, a);
            } else if (kernels) {
#ifdef CTD_WITH_CUDA
                const c10::cuda::CUDAGuard guard(rows.device());
                C10_CUDA_CHECK(cuda::launchLoraDropoutInputGrad(
                    detail::elementType(rows.scalar_type()), gradAx.data_ptr(), a.data_ptr(), resultX.data_ptr(),
                    rows.size(0), rows.size(1), a.size(0), DropoutKey::make(dropout.seed, probability),
                    detail::currentStream()));
#endif
            } else if (cpuKernels) {
                dropoutCpu(at::mm(gradAx, a), dropout, resultX);
            } else {
                resultX.add_(applyMask(at::mm(gradAx, a), mask));
            }
            resultX = resultX.view(context->saved_data["inputShape"].toIntVector());
        }
        return {resultX, resultWeight, resultA, resultB, at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

LoraDropout LoraDropout::draw(double probability) {
    const int64_t seed = at::randint(std::numeric_limits<int64_t>::max(), {1}, at::kLong).item<int64_t>();
    return {probability, static_cast<uint64_t>(seed)};
}

at::Tensor loraDropoutScaleMask(at::IntArrayRef shape, const LoraDropout& dropout, const at::TensorOptions& options) {
    if (!dropoutActive(dropout.probability)) return at::ones(shape, options);
    const DropoutKey key = DropoutKey::make(dropout.seed, dropout.probability);
    const at::Tensor index = at::arange(c10::multiply_integers(shape), options.dtype(at::kLong)).view(shape);
    const at::Tensor low = at::bitwise_and(index, int64_t(0xffffffffLL));
    const at::Tensor high = at::bitwise_right_shift(index, 32);
    const at::Tensor first = mixBits(at::bitwise_xor(low, int64_t(key.key1)));
    const at::Tensor bits = mixBits(at::bitwise_xor(at::bitwise_xor(first, high), int64_t(key.key2)));
    const at::Tensor keep = at::bitwise_right_shift(bits, 8).ge(int64_t(key.threshold));
    return keep.to(options.dtype().toScalarType()).mul_(static_cast<double>(key.keepScale));
}

at::Tensor loraDropout(const at::Tensor& x, const LoraDropout& dropout) {
    detail::checkFloating(x, "loraDropout", "x");
    TORCH_CHECK(dropout.probability >= 0.0 && dropout.probability < 1.0,
                "loraDropout: dropout probability must be in [0, 1), got ", dropout.probability);
    if (!dropoutActive(dropout.probability)) return x;
    return LoraDropoutFunction::apply(x, dropout.probability, static_cast<int64_t>(dropout.seed));
}

at::Tensor loraLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& loraA, const at::Tensor& loraB,
                      double scale, const LoraDropout& dropout) {
    const char* op = "loraLinear";
    detail::checkFloating(x, op, "x");
    detail::checkFloating(weight, op, "weight");
    detail::checkFloating(loraA, op, "loraA");
    detail::checkFloating(loraB, op, "loraB");
    detail::checkSameDtypeAndDevice(x, weight, op, "x", "weight");
    detail::checkSameDtypeAndDevice(x, loraA, op, "x", "loraA");
    detail::checkSameDtypeAndDevice(x, loraB, op, "x", "loraB");
    TORCH_CHECK(x.dim() >= 1 && weight.dim() == 2 && weight.size(1) == x.size(-1), op, ": weight ", weight.sizes(),
                " does not take inputs of size ", x.size(-1));
    TORCH_CHECK(loraA.dim() == 2 && loraA.size(1) == x.size(-1) && loraA.size(0) > 0, op, ": loraA ", loraA.sizes(),
                " must be (rank, ", x.size(-1), ")");
    TORCH_CHECK(loraB.dim() == 2 && loraB.size(0) == weight.size(0) && loraB.size(1) == loraA.size(0), op,
                ": loraB ", loraB.sizes(), " must be (", weight.size(0), ", ", loraA.size(0), ")");
    TORCH_CHECK(dropout.probability >= 0.0 && dropout.probability < 1.0, op,
                ": dropout probability must be in [0, 1), got ", dropout.probability);
    return LoraLinearFunction::apply(x, weight, loraA, loraB, scale, dropout.probability,
                                     static_cast<int64_t>(dropout.seed));
}

}  // namespace ctd::kernels
