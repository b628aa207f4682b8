// RMSNorm: the plain C++ reference against the eager ATen formula (forward and autograd
// backward), the op against both in fp32, bf16 and fp16, and the op's hand-written backward
// against finite differences in double.
#include "ctd/kernels/eager.h"
#include "ctd/kernels/rmsnorm.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

constexpr double kEps = 1e-6;

struct Shape {
    int64_t rows, cols;
};
// Odd sizes, a single element, and a Llama-width row.
const std::vector<Shape> kShapes = {{1, 1}, {3, 7}, {5, 129}, {4, 1024}, {2, 4096}};

at::Tensor weightFor(int64_t cols, uint64_t seed, at::ScalarType type) {
    return (randomTensor({cols}, seed, at::kFloat, 0.2) + 1.0).to(type);
}

TEST(RmsNormReference, MatchesEagerForwardAndBackward) {
    for (const auto& [rows, cols] : kShapes) {
        SCOPED_TRACE(testing::Message() << rows << "x" << cols);
        const at::Tensor x = randomTensor({rows, cols}, 1), weight = weightFor(cols, 2, at::kFloat);
        const at::Tensor gradY = randomTensor({rows, cols}, 3);
        auto eager = [](const std::vector<at::Tensor>& in) { return kernels::eager::rmsNorm(in[0], in[1], kEps); };
        const at::Tensor expected = eager({x, weight});
        const auto expectedGrads = autogradGradients(eager, {x, weight}, gradY);

        std::vector<float> y(rows * cols), inverse(rows), gradX(rows * cols), gradWeight(cols);
        const auto xs = floats(x), ws = floats(weight), gs = floats(gradY);
        kernels::reference::rmsNormForward(xs.data(), ws.data(), y.data(), inverse.data(), rows, cols, kEps);
        kernels::reference::rmsNormBackward(gs.data(), xs.data(), ws.data(), inverse.data(), gradX.data(),
                                            gradWeight.data(), rows, cols);
        const Tolerance tolerance = toleranceFor(at::kFloat);
        EXPECT_TRUE(closeTo(fromFloats(y, {rows, cols}), expected, tolerance));
        EXPECT_TRUE(closeTo(fromFloats(gradX, {rows, cols}), expectedGrads[0], tolerance));
        EXPECT_TRUE(closeTo(fromFloats(gradWeight, {cols}), expectedGrads[1], forSum(tolerance, rows)));
    }
}

TEST(RmsNormOp, MatchesEagerInEveryDtype) {
    for (const auto type : testDtypes())
        for (const auto& [rows, cols] : kShapes) {
            SCOPED_TRACE(testing::Message() << dtypeName(type) << " " << rows << "x" << cols);
            const at::Tensor x = randomTensor({rows, cols}, 4, type), weight = weightFor(cols, 5, type);
            const at::Tensor gradY = randomTensor({rows, cols}, 6, type);
            auto eager = [](const std::vector<at::Tensor>& in) { return kernels::eager::rmsNorm(in[0], in[1], kEps); };
            auto op = [](const std::vector<at::Tensor>& in) { return kernels::rmsNorm(in[0], in[1], kEps); };
            const Tolerance tolerance = toleranceFor(type);
            EXPECT_TRUE(closeTo(op({x, weight}), eager({x, weight}), tolerance));
            const auto expected = autogradGradients(eager, {x, weight}, gradY);
            const auto actual = autogradGradients(op, {x, weight}, gradY);
            EXPECT_TRUE(closeTo(actual[0], expected[0], tolerance));
            EXPECT_TRUE(closeTo(actual[1], expected[1], forSum(tolerance, rows)));
        }
}

// The reference computes in fp32 from the same (rounded) inputs; the op rounds twice (normalized
// value, then the product with the weight), so the low-precision tolerance applies.
TEST(RmsNormOp, MatchesReferenceInLowPrecision) {
    for (const auto type : {at::kBFloat16, at::kHalf}) {
        SCOPED_TRACE(dtypeName(type));
        const int64_t rows = 6, cols = 333;
        const at::Tensor x = randomTensor({rows, cols}, 7, type), weight = weightFor(cols, 8, type);
        std::vector<float> y(rows * cols), inverse(rows);
        const auto xs = floats(x), ws = floats(weight);
        kernels::reference::rmsNormForward(xs.data(), ws.data(), y.data(), inverse.data(), rows, cols, kEps);
        EXPECT_TRUE(closeTo(kernels::rmsNorm(x, weight, kEps), fromFloats(y, {rows, cols}), toleranceFor(type)));
    }
}

TEST(RmsNormOp, KeepsLeadingDimensions) {
    const at::Tensor x = randomTensor({2, 3, 16}, 9), weight = weightFor(16, 10, at::kFloat);
    const at::Tensor y = kernels::rmsNorm(x, weight, kEps);
    EXPECT_EQ(y.sizes(), x.sizes());
    EXPECT_TRUE(closeTo(y, kernels::eager::rmsNorm(x, weight, kEps), toleranceFor(at::kFloat)));
}

TEST(RmsNormOp, BackwardMatchesFiniteDifferences) {
    const at::Tensor x = randomTensor({2, 5}, 11, at::kDouble), weight = weightFor(5, 12, at::kDouble);
    const at::Tensor gradY = randomTensor({2, 5}, 13, at::kDouble);
    auto op = [](const std::vector<at::Tensor>& in) { return kernels::rmsNorm(in[0], in[1], kEps); };
    const auto analytic = autogradGradients(op, {x, weight}, gradY);
    // Central differences in double have O(h^2) truncation and O(eps/h) rounding error: ~1e-9.
    const Tolerance tolerance{1e-7, 1e-6};
    EXPECT_TRUE(closeTo(analytic[0], numericalGradient(op, {x, weight}, 0, gradY), tolerance));
    EXPECT_TRUE(closeTo(analytic[1], numericalGradient(op, {x, weight}, 1, gradY), tolerance));
}

TEST(RmsNormOp, RejectsBadArguments) {
    const at::Tensor x = randomTensor({2, 8}, 14);
    EXPECT_THROW(kernels::rmsNorm(x, randomTensor({7}, 15), kEps), c10::Error);
    EXPECT_THROW(kernels::rmsNorm(x, randomTensor({8}, 15, at::kHalf), kEps), c10::Error);
    EXPECT_THROW(kernels::rmsNorm(x.to(at::kLong), randomTensor({8}, 15).to(at::kLong), kEps), c10::Error);
}

}  // namespace
