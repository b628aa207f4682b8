// Helpers for the kernel tests (CPU and GPU): seeded random tensors, fp32 copies for the plain
// C++ references, tolerances per dtype, finite differences, and a closeness check that reports
// the worst element and the normalized error (as ggml's test-backend-ops does).
#pragma once
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace ctd::test {

// |actual - expected| <= absolute * scale + relative * |expected|, element by element, where
// scale = max(1, max |expected|): an element that comes out near zero by cancellation carries the
// rounding error of the large terms it was summed from, so the absolute part follows the size of
// the tensor (gradients of a sum over many rows can be far from O(1)).
struct Tolerance {
    double absolute;
    double relative;
};

// Tolerances for O(1) values computed with fp32 arithmetic inside, by the dtype of the result:
// - fp32: the references sum in double, the ops in fp32 in another order; rows of up to a few
//   thousand terms stay well within 1e-5 absolute / 1e-4 relative.
// - bf16: 8 significant bits, one rounding is up to 2^-9 = 0.2% relative. An eager formula rounds
//   after every op (2-4 times) where a fused kernel rounds once, and the inputs it sees were
//   rounded too, so results may differ by a few units in the last place: 2e-2 both ways.
// - fp16: 11 significant bits (2^-12 = 0.025% per rounding), the same few roundings: 4e-3.
// - fp64: only the finite-difference checks use it.
inline Tolerance toleranceFor(at::ScalarType type) {
    switch (type) {
    case at::kBFloat16: return {2e-2, 2e-2};
    case at::kHalf: return {4e-3, 4e-3};
    case at::kDouble: return {1e-9, 1e-7};
    default: return {1e-5, 1e-4};
    }
}

// A sum of `terms` rounded products grows its absolute error like sqrt(terms) (random signs).
inline Tolerance forSum(Tolerance tolerance, int64_t terms) {
    return {tolerance.absolute * std::sqrt(static_cast<double>(terms < 1 ? 1 : terms)), tolerance.relative};
}

inline const char* dtypeName(at::ScalarType type) { return c10::toString(type); }

// Normal(0, scale) values drawn in fp32 on the CPU from `seed`, then converted: CPU and GPU tests
// see the same numbers.
inline at::Tensor randomTensor(at::IntArrayRef shape, uint64_t seed, at::ScalarType type = at::kFloat,
                               double scale = 1.0, at::Device device = at::kCPU) {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    at::Tensor values = at::randn(shape, generator, at::TensorOptions().dtype(at::kFloat)) * scale;
    return values.to(type).to(device);
}

// Contiguous fp32 host copy, for the plain C++ references.
inline std::vector<float> floats(const at::Tensor& tensor) {
    const at::Tensor host = tensor.detach().to(at::kCPU).to(at::kFloat).contiguous();
    return std::vector<float>(host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
}

inline at::Tensor fromFloats(const std::vector<float>& values, at::IntArrayRef shape) {
    return at::tensor(values, at::kFloat).view(shape).clone();
}

inline ::testing::AssertionResult closeTo(const at::Tensor& actual, const at::Tensor& expected, Tolerance tolerance) {
    if (!actual.defined() || !expected.defined()) return ::testing::AssertionFailure() << "undefined tensor";
    if (actual.sizes() != expected.sizes())
        return ::testing::AssertionFailure() << "shape " << actual.sizes() << " != expected " << expected.sizes();
    const at::Tensor a = actual.detach().to(at::kCPU).to(at::kDouble).contiguous().view({-1});
    const at::Tensor e = expected.detach().to(at::kCPU).to(at::kDouble).contiguous().view({-1});
    const double* av = a.data_ptr<double>();
    const double* ev = e.data_ptr<double>();
    double worstExcess = 0.0, squaredError = 0.0, squaredExpected = 0.0, scale = 1.0;
    for (int64_t i = 0; i < e.numel(); ++i)
        if (!std::isnan(ev[i])) scale = std::max(scale, std::abs(ev[i]));
    int64_t worst = -1;
    for (int64_t i = 0; i < a.numel(); ++i) {
        if (std::isnan(ev[i]) || std::isnan(av[i])) {
            if (std::isnan(ev[i]) != std::isnan(av[i]))
                return ::testing::AssertionFailure() << "NaN mismatch at element " << i << ": actual " << av[i]
                                                     << ", expected " << ev[i];
            continue;
        }
        const double difference = std::abs(av[i] - ev[i]);
        squaredError += difference * difference;
        squaredExpected += ev[i] * ev[i];
        const double excess = difference - (tolerance.absolute * scale + tolerance.relative * std::abs(ev[i]));
        if (excess > worstExcess) worstExcess = excess, worst = i;
    }
    const double normalized = squaredExpected > 0.0 ? std::sqrt(squaredError / squaredExpected) : std::sqrt(squaredError);
    if (worst < 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "element " << worst << " of " << a.numel() << ": actual " << av[worst]
                                         << ", expected " << ev[worst] << " (tolerance " << tolerance.absolute << " * "
                                         << scale << " + " << tolerance.relative
                                         << " * |expected|); normalized error "
                                         << normalized;
}

// Central differences of sum(f(inputs) * outputWeights) with respect to inputs[which], in double.
inline at::Tensor numericalGradient(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
                                    std::vector<at::Tensor> inputs, size_t which, const at::Tensor& outputWeights,
                                    double step = 1e-6) {
    at::Tensor& input = inputs[which];
    input = input.detach().clone();
    at::Tensor gradient = at::zeros_like(input);
    at::Tensor flat = input.view({-1});
    at::Tensor flatGradient = gradient.view({-1});
    for (int64_t i = 0; i < flat.numel(); ++i) {
        const double original = flat[i].item<double>();
        flat[i] = original + step;
        const double plus = (f(inputs) * outputWeights).sum().item<double>();
        flat[i] = original - step;
        const double minus = (f(inputs) * outputWeights).sum().item<double>();
        flat[i] = original;
        flatGradient[i] = (plus - minus) / (2.0 * step);
    }
    return gradient;
}

// Inputs that require grad, and their gradients of sum(f(inputs) * outputWeights) by autograd.
inline std::vector<at::Tensor> autogradGradients(const std::function<at::Tensor(const std::vector<at::Tensor>&)>& f,
                                                 const std::vector<at::Tensor>& inputs,
                                                 const at::Tensor& outputWeights) {
    std::vector<at::Tensor> leaves;
    for (const auto& input : inputs) leaves.push_back(input.detach().clone().requires_grad_(true));
    (f(leaves) * outputWeights).sum().backward();
    std::vector<at::Tensor> gradients;
    for (const auto& leaf : leaves) gradients.push_back(leaf.grad());
    return gradients;
}

inline std::vector<at::ScalarType> testDtypes() { return {at::kFloat, at::kBFloat16, at::kHalf}; }

}  // namespace ctd::test
