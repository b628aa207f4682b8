// Rotary-embedding op: a custom autograd function running the fused CUDA kernel on CUDA tensors,
// the fused CPU loop on fp32/fp64 CPU tensors and rotate_half arithmetic in ATen elsewhere.
// Nothing but the tables is saved for backward.
#include "ctd/kernels/rotary.h"

#include "cpu/cpu_kernels.h"
#include "op_support.h"

#include <torch/csrc/autograd/custom_function.h>

#ifdef CTD_WITH_CUDA
#include "cuda/rotary.cuh"
#endif

namespace ctd::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Forward: x * cos + rotate_half(x) * sin; backward: the transposed rotation,
// g * cos + rotate_half^T(g * sin) with rotate_half^T(v) = cat(v2, -v1).
at::Tensor rotateAten(const at::Tensor& input, const at::Tensor& cos, const at::Tensor& sin, bool backward) {
    const auto compute = detail::computeType(input.scalar_type());
    const int64_t half = input.size(-1) / 2;
    const at::Tensor x = input.to(compute);
    const at::Tensor c = cos.to(compute).unsqueeze(1), s = sin.to(compute).unsqueeze(1);  // over heads
    const at::Tensor x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half);
    const at::Tensor c1 = c.narrow(-1, 0, half), c2 = c.narrow(-1, half, half);
    const at::Tensor s1 = s.narrow(-1, 0, half), s2 = s.narrow(-1, half, half);
    const at::Tensor result = backward ? at::cat({x1 * c1 + x2 * s2, x2 * c2 - x1 * s1}, -1)
                                       : at::cat({x1 * c1 - x2 * s1, x2 * c2 + x1 * s2}, -1);
    return result.to(input.scalar_type()).contiguous();
}

#ifdef CTD_WITH_CUDA
at::Tensor rotateCuda(const at::Tensor& input, const at::Tensor& cos, const at::Tensor& sin, bool backward) {
    const c10::cuda::CUDAGuard guard(input.device());
    at::Tensor x = input.stride(-1) == 1 ? input : input.contiguous();
    const at::Tensor cos32 = cos.to(at::kFloat).contiguous(), sin32 = sin.to(at::kFloat).contiguous();
    at::Tensor output = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
    const int64_t batch = x.size(0), heads = x.size(1), time = x.size(2), headDim = x.size(3);
    const int64_t tableBatchStride = cos32.size(0) == 1 ? 0 : time * headDim;
    const cuda::RotaryInput in{x.data_ptr(), x.stride(0), x.stride(1), x.stride(2)};
    C10_CUDA_CHECK(cuda::launchRotary(detail::elementType(x.scalar_type()), in, cos32.data_ptr<float>(),
                                      sin32.data_ptr<float>(), tableBatchStride, output.data_ptr(), batch, heads,
                                      time, headDim, backward, detail::currentStream()));
    return output;
}
#endif

// timeMajor: lay the result out as a transposed contiguous (batch, time, heads, head_dim) tensor,
// so that the gradient of q or k sliced from a projection's output flows back without a copy.
at::Tensor rotateCpu(const at::Tensor& input, const at::Tensor& cos, const at::Tensor& sin, bool backward,
                     bool timeMajor) {
    const at::Tensor x = input.stride(-1) == 1 ? input : input.contiguous();
    const int64_t batch = x.size(0), heads = x.size(1), time = x.size(2), headDim = x.size(3);
    const at::Tensor c = cos.to(x.scalar_type()).contiguous(), s = sin.to(x.scalar_type()).contiguous();
    const int64_t tableBatchStride = c.size(0) == 1 ? 0 : time * headDim;
    at::Tensor output = timeMajor ? at::empty({batch, time, heads, headDim}, x.options()).transpose(1, 2)
                                  : at::empty({batch, heads, time, headDim}, x.options());
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rotary", [&] {
        const cpu::HeadView<const scalar_t> in{x.const_data_ptr<scalar_t>(), x.stride(0), x.stride(1), x.stride(2)};
        const cpu::HeadView<scalar_t> out{output.mutable_data_ptr<scalar_t>(), output.stride(0), output.stride(1),
                                          output.stride(2)};
        cpu::rotary<scalar_t>(in, c.const_data_ptr<scalar_t>(), s.const_data_ptr<scalar_t>(), tableBatchStride, out,
                              batch, heads, time, headDim, backward);
    });
    return output;
}

at::Tensor rotate(const at::Tensor& input, const at::Tensor& cos, const at::Tensor& sin, bool backward,
                  bool timeMajor = false) {
    if (detail::useCpuKernels(input)) return rotateCpu(input, cos, sin, backward, timeMajor);
#ifdef CTD_WITH_CUDA
    if (detail::useCudaKernels(input)) return rotateCuda(input, cos, sin, backward);
#endif
    return rotateAten(input, cos, sin, backward);
}

class RotaryFunction : public torch::autograd::Function<RotaryFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin) {
        context->save_for_backward({cos, sin});
        // A (batch, heads, time, head_dim) view of a (batch, time, heads * head_dim) projection.
        context->saved_data["timeMajor"] = x.size(1) > 1 && x.size(2) > 1 && x.stride(1) < x.stride(2);
        return rotate(x, cos, sin, /*backward=*/false);
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const auto saved = context->get_saved_variables();
        const bool timeMajor = context->saved_data["timeMajor"].toBool();
        return {rotate(gradients[0], saved[0], saved[1], /*backward=*/true, timeMajor), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

at::Tensor rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    detail::checkFloating(x, "rotary", "x");
    detail::checkFloating(cos, "rotary", "cos");
    detail::checkFloating(sin, "rotary", "sin");
    TORCH_CHECK(x.dim() == 4, "rotary: x must be (batch, heads, time, head_dim), got ", x.sizes());
    const int64_t batch = x.size(0), time = x.size(2), headDim = x.size(3);
    TORCH_CHECK(headDim % 2 == 0, "rotary: head_dim must be even, got ", headDim);
    TORCH_CHECK(cos.sizes() == sin.sizes(), "rotary: cos ", cos.sizes(), " and sin ", sin.sizes(), " differ");
    TORCH_CHECK(cos.device() == x.device() && sin.device() == x.device(), "rotary: tables on ", cos.device(),
                " but x on ", x.device());
    // Accept (T, D) as a table shared by the batch.
    const at::Tensor cos3 = cos.dim() == 2 ? cos.unsqueeze(0) : cos;
    const at::Tensor sin3 = sin.dim() == 2 ? sin.unsqueeze(0) : sin;
    TORCH_CHECK(cos3.dim() == 3 && (cos3.size(0) == batch || cos3.size(0) == 1) && cos3.size(1) == time &&
                    cos3.size(2) == headDim,
                "rotary: tables must be (", batch, " or 1, ", time, ", ", headDim, "), got ", cos.sizes());
    return RotaryFunction::apply(x, cos3, sin3);
}

}  // namespace ctd::kernels
