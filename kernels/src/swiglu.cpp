// SwiGLU op: a custom autograd function running the fused CUDA kernels on CUDA tensors, the fused
// CPU loops on fp32/fp64 CPU tensors and the same formulas in ATen elsewhere; saves only gate and up.
#include "ctd/kernels/swiglu.h"

#include "cpu/cpu_kernels.h"
#include "op_support.h"

#include <torch/csrc/autograd/custom_function.h>

#ifdef CTD_WITH_CUDA
#include "cuda/swiglu.cuh"
#endif

namespace ctd::kernels {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor forwardAten(const at::Tensor& gate, const at::Tensor& up) { return at::silu(gate) * up; }

std::pair<at::Tensor, at::Tensor> backwardAten(const at::Tensor& gradY, const at::Tensor& gate,
                                               const at::Tensor& up) {
    const auto compute = detail::computeType(gate.scalar_type());
    const at::Tensor g = gate.to(compute), u = up.to(compute), dy = gradY.to(compute);
    const at::Tensor sigmoid = at::sigmoid(g);
    at::Tensor gradUp = (dy * g * sigmoid).to(gate.scalar_type());
    at::Tensor gradGate = (dy * u * sigmoid * (1.0 + g * (1.0 - sigmoid))).to(gate.scalar_type());
    return {gradGate, gradUp};
}

// gate and up: (rows, cols) row views `stride` apart (two contiguous tensors, or the halves of one).
at::Tensor forwardCpu(const at::Tensor& gate, const at::Tensor& up, int64_t rows, int64_t cols, int64_t stride) {
    at::Tensor y = at::empty({rows, cols}, gate.options());
    AT_DISPATCH_FLOATING_TYPES(gate.scalar_type(), "swiglu", [&] {
        cpu::swigluForward<scalar_t>(gate.const_data_ptr<scalar_t>(), up.const_data_ptr<scalar_t>(), stride,
                                     y.mutable_data_ptr<scalar_t>(), rows, cols);
    });
    return y;
}

void backwardCpu(const at::Tensor& gradY, const at::Tensor& gate, const at::Tensor& up, int64_t stride,
                 at::Tensor& gradGate, at::Tensor& gradUp, int64_t gradStride, int64_t rows, int64_t cols) {
    AT_DISPATCH_FLOATING_TYPES(gate.scalar_type(), "swiglu", [&] {
        cpu::swigluBackward<scalar_t>(gradY.const_data_ptr<scalar_t>(), gate.const_data_ptr<scalar_t>(),
                                      up.const_data_ptr<scalar_t>(), stride, gradGate.mutable_data_ptr<scalar_t>(),
                                      gradUp.mutable_data_ptr<scalar_t>(), gradStride, rows, cols);
    });
}

#ifdef CTD_WITH_CUDA
at::Tensor forwardCuda(const at::Tensor& gate, const at::Tensor& up) {
    const c10::cuda::CUDAGuard guard(gate.device());
    at::Tensor y = at::empty_like(gate);
    C10_CUDA_CHECK(cuda::launchSwigluForward(detail::elementType(gate.scalar_type()), gate.data_ptr(), up.data_ptr(),
                                             y.data_ptr(), gate.numel(), detail::currentStream()));
    return y;
}

std::pair<at::Tensor, at::Tensor> backwardCuda(const at::Tensor& gradY, const at::Tensor& gate,
                                               const at::Tensor& up) {
    const c10::cuda::CUDAGuard guard(gate.device());
    at::Tensor gradGate = at::empty_like(gate), gradUp = at::empty_like(up);
    C10_CUDA_CHECK(cuda::launchSwigluBackward(detail::elementType(gate.scalar_type()), gradY.data_ptr(),
                                              gate.data_ptr(), up.data_ptr(), gradGate.data_ptr(), gradUp.data_ptr(),
                                              gate.numel(), detail::currentStream()));
    return {gradGate, gradUp};
}
#endif

class SwigluFunction : public torch::autograd::Function<SwigluFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& gate, const at::Tensor& up) {
        const at::Tensor g = gate.contiguous(), u = up.contiguous();
        context->save_for_backward({g, u});
        if (detail::useCpuKernels(g)) {
            const int64_t cols = g.dim() == 0 ? 1 : g.size(-1), rows = cols == 0 ? 0 : g.numel() / cols;
            return forwardCpu(g, u, rows, cols, cols).view(g.sizes());
        }
#ifdef CTD_WITH_CUDA
        if (detail::useCudaKernels(g)) return forwardCuda(g, u);
#endif
        return forwardAten(g, u);
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const auto saved = context->get_saved_variables();
        const at::Tensor gradY = gradients[0].contiguous();
        if (detail::useCpuKernels(saved[0])) {
            const at::Tensor& g = saved[0];
            const int64_t cols = g.dim() == 0 ? 1 : g.size(-1), rows = cols == 0 ? 0 : g.numel() / cols;
            at::Tensor gradGate = at::empty_like(g), gradUp = at::empty_like(g);
            backwardCpu(gradY, g, saved[1], cols, gradGate, gradUp, cols, rows, cols);
            return {gradGate, gradUp};
        }
#ifdef CTD_WITH_CUDA
        if (detail::useCudaKernels(saved[0])) {
            auto [gradGate, gradUp] = backwardCuda(gradY, saved[0], saved[1]);
            return {gradGate, gradUp};
        }
#endif
        auto [gradGate, gradUp] = backwardAten(gradY, saved[0], saved[1]);
        return {gradGate, gradUp};
    }
};

// Both halves of one (rows, 2 * cols) tensor; the gradient is written packed the same way.
class SwigluPackedFunction : public torch::autograd::Function<SwigluPackedFunction> {
public:
    static at::Tensor forward(AutogradContext* context, const at::Tensor& gateUp) {
        const int64_t cols = gateUp.size(-1) / 2;
        const at::Tensor packed = gateUp.reshape({-1, 2 * cols}).contiguous();
        context->save_for_backward({packed});
        context->saved_data["shape"] = gateUp.sizes().vec();
        std::vector<int64_t> shape = gateUp.sizes().vec();
        shape.back() = cols;
        const at::Tensor up = packed.narrow(1, cols, cols);
        return forwardCpu(packed, up, packed.size(0), cols, 2 * cols).view(shape);
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const at::Tensor packed = context->get_saved_variables()[0];
        const int64_t rows = packed.size(0), cols = packed.size(1) / 2;
        const at::Tensor gradY = gradients[0].reshape({rows, cols}).contiguous();
        at::Tensor gradPacked = at::empty_like(packed);
        at::Tensor gradUp = gradPacked.narrow(1, cols, cols);
        backwardCpu(gradY, packed, packed.narrow(1, cols, cols), 2 * cols, gradPacked, gradUp, 2 * cols, rows, cols);
        return {gradPacked.view(context->saved_data["shape"].toIntVector())};
    }
};

}  // namespace

at::Tensor swigluPacked(const at::Tensor& gateUp) {
    detail::checkFloating(gateUp, "swigluPacked", "gateUp");
    TORCH_CHECK(gateUp.dim() >= 1 && gateUp.size(-1) % 2 == 0, "swigluPacked: the last dimension of ",
                gateUp.sizes(), " must hold two halves of equal size");
    if (detail::useCpuKernels(gateUp)) return SwigluPackedFunction::apply(gateUp);
    const int64_t cols = gateUp.size(-1) / 2;
    return swiglu(gateUp.narrow(-1, 0, cols), gateUp.narrow(-1, cols, cols));
}

at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up) {
    detail::checkFloating(gate, "swiglu", "gate");
    detail::checkFloating(up, "swiglu", "up");
    detail::checkSameDtypeAndDevice(gate, up, "swiglu", "gate", "up");
    TORCH_CHECK(gate.sizes() == up.sizes(), "swiglu: gate ", gate.sizes(), " and up ", up.sizes(), " differ in shape");
    return SwigluFunction::apply(gate, up);
}

}  // namespace ctd::kernels
