// RMSNorm op: a custom autograd function running the fused CUDA kernel on CUDA tensors, the fused
// CPU loops on fp32/fp64 CPU tensors, ATen formulas elsewhere. Saves x, the weight and one
// inverse RMS per row.
#include "ctd/kernels/rmsnorm.h"

#include "cpu/cpu_kernels.h"
#include "op_support.h"

#include <torch/csrc/autograd/custom_function.h>

#ifdef CTD_WITH_CUDA
#include "cuda/rmsnorm.cuh"
#endif

namespace ctd::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Normalized {
    at::Tensor y, inverseRms;  // inverseRms: (rows) in the compute type
};

Normalized forwardAten(const at::Tensor& x, const at::Tensor& weight, double eps) {
    const at::Tensor x32 = x.to(detail::computeType(x.scalar_type()));
    const at::Tensor inverseRms = at::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + eps);
    return {weight * (x32 * inverseRms).to(x.scalar_type()), inverseRms.squeeze(-1)};
}

std::pair<at::Tensor, at::Tensor> backwardAten(const at::Tensor& gradY, const at::Tensor& x, const at::Tensor& weight,
                                               const at::Tensor& inverseRms, bool weightGrad) {
    const auto compute = detail::computeType(x.scalar_type());
    const at::Tensor inverse = inverseRms.unsqueeze(-1);
    const at::Tensor normalized = x.to(compute) * inverse;
    const at::Tensor gradNormalized = gradY.to(compute) * weight.to(compute);
    const at::Tensor dot = (gradNormalized * normalized).mean(-1, /*keepdim=*/true);
    at::Tensor gradX = (inverse * (gradNormalized - normalized * dot)).to(x.scalar_type());
    at::Tensor gradWeight;
    if (weightGrad)  // the forward scaled the normalized value rounded to x's dtype
        gradWeight = (gradY.to(compute) * normalized.to(x.scalar_type()).to(compute)).sum(0).to(weight.scalar_type());
    return {gradX, gradWeight};
}

Normalized forwardCpu(const at::Tensor& x, const at::Tensor& weight, double eps) {
    at::Tensor y = at::empty_like(x);
    at::Tensor inverseRms = at::empty({x.size(0)}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rmsNorm", [&] {
        cpu::rmsNormForward<scalar_t>(x.const_data_ptr<scalar_t>(), weight.const_data_ptr<scalar_t>(),
                                      y.mutable_data_ptr<scalar_t>(), inverseRms.mutable_data_ptr<scalar_t>(),
                                      x.size(0), x.size(1), eps);
    });
    return {y, inverseRms};
}

std::pair<at::Tensor, at::Tensor> backwardCpu(const at::Tensor& gradY, const at::Tensor& x, const at::Tensor& weight,
                                              const at::Tensor& inverseRms, bool weightGrad) {
    const int64_t rows = x.size(0), cols = x.size(1);
    at::Tensor gradX = at::empty_like(x);
    at::Tensor partials = weightGrad ? at::empty({cpu::rmsNormBlocks(rows), cols}, x.options()) : at::Tensor();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rmsNorm", [&] {
        cpu::rmsNormBackward<scalar_t>(gradY.const_data_ptr<scalar_t>(), x.const_data_ptr<scalar_t>(),
                                       weight.const_data_ptr<scalar_t>(), inverseRms.const_data_ptr<scalar_t>(),
                                       gradX.mutable_data_ptr<scalar_t>(),
                                       weightGrad ? partials.mutable_data_ptr<scalar_t>() : nullptr, rows, cols);
    });
    return {gradX, weightGrad ? partials.sum(0) : at::Tensor()};
}

#ifdef CTD_WITH_CUDA
Normalized forwardCuda(const at::Tensor& x, const at::Tensor& weight, double eps) {
    const c10::cuda::CUDAGuard guard(x.device());
    at::Tensor y = at::empty_like(x);
    at::Tensor inverseRms = at::empty({x.size(0)}, x.options().dtype(at::kFloat));
    C10_CUDA_CHECK(cuda::launchRmsNormForward(detail::elementType(x.scalar_type()), x.data_ptr(), weight.data_ptr(),
                                              y.data_ptr(), inverseRms.data_ptr<float>(), x.size(0), x.size(1),
                                              static_cast<float>(eps), detail::currentStream()));
    return {y, inverseRms};
}

std::pair<at::Tensor, at::Tensor> backwardCuda(const at::Tensor& gradY, const at::Tensor& x, const at::Tensor& weight,
                                               const at::Tensor& inverseRms, bool weightGrad) {
    const c10::cuda::CUDAGuard guard(x.device());
    const int64_t rows = x.size(0), cols = x.size(1);
    at::Tensor gradX = at::empty_like(x);
    at::Tensor partial;
    if (weightGrad) partial = at::zeros({cuda::rmsNormWeightGradientBlocks(rows), cols}, x.options().dtype(at::kFloat));
    C10_CUDA_CHECK(cuda::launchRmsNormBackward(detail::elementType(x.scalar_type()), gradY.data_ptr(), x.data_ptr(),
                                               weight.data_ptr(), inverseRms.data_ptr<float>(), gradX.data_ptr(),
                                               weightGrad ? partial.data_ptr<float>() : nullptr, rows, cols,
                                               detail::currentStream()));
    at::Tensor gradWeight = weightGrad ? partial.sum(0).to(weight.scalar_type()) : at::Tensor();
    return {gradX, gradWeight};
}
#endif

class RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& x, const at::Tensor& weight, double eps) {
        const at::Tensor rows = x.reshape({-1, x.size(-1)}).contiguous();
        const at::Tensor w = weight.contiguous();
        Normalized result;
        if (detail::useCpuKernels(rows)) result = forwardCpu(rows, w, eps);
#ifdef CTD_WITH_CUDA
        else if (detail::useCudaKernels(rows)) result = forwardCuda(rows, w, eps);
#endif
        else result = forwardAten(rows, w, eps);
        context->save_for_backward({rows, w, result.inverseRms});
        return result.y.view(x.sizes());
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const auto saved = context->get_saved_variables();
        const at::Tensor& rows = saved[0];
        const at::Tensor gradY = gradients[0].reshape(rows.sizes()).contiguous();
        const bool weightGrad = context->needs_input_grad(1);
        std::pair<at::Tensor, at::Tensor> result;
        if (detail::useCpuKernels(rows)) result = backwardCpu(gradY, rows, saved[1], saved[2], weightGrad);
#ifdef CTD_WITH_CUDA
        else if (detail::useCudaKernels(rows)) result = backwardCuda(gradY, rows, saved[1], saved[2], weightGrad);
#endif
        else result = backwardAten(gradY, rows, saved[1], saved[2], weightGrad);
        auto& [gradX, gradWeight] = result;
        return {gradX.view(gradients[0].sizes()), gradWeight, at::Tensor()};
    }
};

}  // namespace

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    detail::checkFloating(x, "rmsNorm", "x");
    detail::checkFloating(weight, "rmsNorm", "weight");
    detail::checkSameDtypeAndDevice(x, weight, "rmsNorm", "x", "weight");
    TORCH_CHECK(x.dim() >= 1 && weight.dim() == 1 && weight.size(0) == x.size(-1), "rmsNorm: weight of shape ",
                weight.sizes(), " does not match the last dimension of x ", x.sizes());
    TORCH_CHECK(x.size(-1) > 0, "rmsNorm: the normalized dimension is empty");
    TORCH_CHECK(eps >= 0.0, "rmsNorm: eps must be non-negative, got ", eps);
    return RmsNormFunction::apply(x, weight, eps);
}

}  // namespace ctd::kernels
