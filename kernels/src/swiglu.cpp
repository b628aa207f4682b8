// SwiGLU op: a custom autograd function running the fused CUDA kernels on CUDA tensors and the
// same formulas in ATen elsewhere; saves only gate and up.
#include "ctd/kernels/swiglu.h"

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
#ifdef CTD_WITH_CUDA
        if (detail::useCudaKernels(g)) return forwardCuda(g, u);
#endif
        return forwardAten(g, u);
    }

    static variable_list backward(AutogradContext* context, variable_list gradients) {
        const auto saved = context->get_saved_variables();
        const at::Tensor gradY = gradients[0].contiguous();
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

}  // namespace

at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up) {
    detail::checkFloating(gate, "swiglu", "gate");
    detail::checkFloating(up, "swiglu", "up");
    detail::checkSameDtypeAndDevice(gate, up, "swiglu", "gate", "up");
    TORCH_CHECK(gate.sizes() == up.sizes(), "swiglu: gate ", gate.sizes(), " and up ", up.sizes(), " differ in shape");
    return SwigluFunction::apply(gate, up);
}

}  // namespace ctd::kernels
