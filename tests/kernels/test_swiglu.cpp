// SwiGLU: the plain C++ reference against the eager silu(gate) * up (forward and autograd
// backward), the op against both in fp32, bf16 and fp16, and the op's backward against finite
// differences.
#include "ctd/kernels/eager.h"
#include "ctd/kernels/swiglu.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

// A single element, odd sizes, and an MLP-shaped (tokens, intermediate) block.
const std::vector<std::vector<int64_t>> kShapes = {{1}, {7}, {3, 5, 11}, {4, 1000}};

TEST(SwigluReference, MatchesEagerForwardAndBackward) {
    for (const auto& shape : kShapes) {
        SCOPED_TRACE(testing::Message() << at::IntArrayRef(shape));
        // Gates up to +-6 reach both tails of the sigmoid.
        const at::Tensor gate = randomTensor(shape, 1, at::kFloat, 3.0), up = randomTensor(shape, 2);
        const at::Tensor gradY = randomTensor(shape, 3);
        auto eager = [](const std::vector<at::Tensor>& in) { return kernels::eager::swiglu(in[0], in[1]); };
        const auto expectedGrads = autogradGradients(eager, {gate, up}, gradY);

        const size_t count = gate.numel();
        std::vector<float> y(count), gradGate(count), gradUp(count);
        const auto gs = floats(gate), us = floats(up), dys = floats(gradY);
        kernels::reference::swigluForward(gs.data(), us.data(), y.data(), count);
        kernels::reference::swigluBackward(dys.data(), gs.data(), us.data(), gradGate.data(), gradUp.data(), count);
        EXPECT_TRUE(closeTo(fromFloats(y, shape), eager({gate, up}), toleranceFor(at::kFloat)));
        EXPECT_TRUE(closeTo(fromFloats(gradGate, shape), expectedGrads[0], toleranceFor(at::kFloat)));
        EXPECT_TRUE(closeTo(fromFloats(gradUp, shape), expectedGrads[1], toleranceFor(at::kFloat)));
    }
}

TEST(SwigluOp, MatchesEagerInEveryDtype) {
    for (const auto type : testDtypes())
        for (const auto& shape : kShapes) {
            SCOPED_TRACE(testing::Message() << dtypeName(type) << " " << at::IntArrayRef(shape));
            const at::Tensor gate = randomTensor(shape, 4, type, 3.0), up = randomTensor(shape, 5, type);
            const at::Tensor gradY = randomTensor(shape, 6, type);
            auto eager = [](const std::vector<at::Tensor>& in) { return kernels::eager::swiglu(in[0], in[1]); };
            auto op = [](const std::vector<at::Tensor>& in) { return kernels::swiglu(in[0], in[1]); };
            EXPECT_TRUE(closeTo(op({gate, up}), eager({gate, up}), toleranceFor(type)));
            const auto expected = autogradGradients(eager, {gate, up}, gradY);
            const auto actual = autogradGradients(op, {gate, up}, gradY);
            EXPECT_TRUE(closeTo(actual[0], expected[0], toleranceFor(type)));
            EXPECT_TRUE(closeTo(actual[1], expected[1], toleranceFor(type)));
        }
}

TEST(SwigluOp, MatchesReferenceInLowPrecision) {
    for (const auto type : {at::kBFloat16, at::kHalf}) {
        SCOPED_TRACE(dtypeName(type));
        const at::Tensor gate = randomTensor({9, 31}, 7, type, 3.0), up = randomTensor({9, 31}, 8, type);
        std::vector<float> y(gate.numel());
        const auto gs = floats(gate), us = floats(up);
        kernels::reference::swigluForward(gs.data(), us.data(), y.data(), y.size());
        EXPECT_TRUE(closeTo(kernels::swiglu(gate, up), fromFloats(y, gate.sizes()), toleranceFor(type)));
    }
}

TEST(SwigluOp, BackwardMatchesFiniteDifferences) {
    const at::Tensor gate = randomTensor({2, 3}, 9, at::kDouble, 3.0), up = randomTensor({2, 3}, 10, at::kDouble);
    const at::Tensor gradY = randomTensor({2, 3}, 11, at::kDouble);
    auto op = [](const std::vector<at::Tensor>& in) { return kernels::swiglu(in[0], in[1]); };
    const auto analytic = autogradGradients(op, {gate, up}, gradY);
    EXPECT_TRUE(closeTo(analytic[0], numericalGradient(op, {gate, up}, 0, gradY), {1e-7, 1e-6}));
    EXPECT_TRUE(closeTo(analytic[1], numericalGradient(op, {gate, up}, 1, gradY), {1e-7, 1e-6}));
}

TEST(SwigluOp, RejectsBadArguments) {
    EXPECT_THROW(kernels::swiglu(randomTensor({3}, 1), randomTensor({4}, 2)), c10::Error);
    EXPECT_THROW(kernels::swiglu(randomTensor({3}, 1), randomTensor({3}, 2, at::kHalf)), c10::Error);
}

}  // namespace
