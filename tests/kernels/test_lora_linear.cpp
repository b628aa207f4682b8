// LoRA-fused linear: the plain C++ reference against the eager PEFT formula (forward and autograd
// backward, with and without dropout), the op against both in fp32, bf16 and fp16, the dropout
// mask against its scalar definition, and the op's backward against finite differences.
#include "ctd/kernels/dropout_mask.h"
#include "ctd/kernels/eager.h"
#include "ctd/kernels/lora_linear.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

struct Shape {
    int64_t rows, in, out, rank;
};
// One row, rank 1, odd sizes, and a q_proj-like block with PEFT's default rank 8.
const std::vector<Shape> kShapes = {{1, 1, 1, 1}, {3, 7, 5, 2}, {9, 64, 48, 8}, {16, 256, 256, 16}};
constexpr double kScale = 2.0;  // alpha 16 / rank 8

struct Inputs {
    at::Tensor x, weight, loraA, loraB, gradY;
};

// B is random (not PEFT's zero init) so that every gradient path carries signal.
Inputs makeInputs(const Shape& s, at::ScalarType type, uint64_t seed) {
    const double fanIn = 1.0 / std::sqrt(static_cast<double>(s.in));
    return {randomTensor({s.rows, s.in}, seed, type), randomTensor({s.out, s.in}, seed + 1, type, fanIn),
            randomTensor({s.rank, s.in}, seed + 2, type, fanIn), randomTensor({s.out, s.rank}, seed + 3, type, 0.1),
            randomTensor({s.rows, s.out}, seed + 4, type)};
}

TEST(LoraLinearReference, MatchesEagerForwardAndBackward) {
    for (const auto& shape : kShapes)
        for (const double probability : {0.0, 0.3}) {
            SCOPED_TRACE(testing::Message() << shape.rows << "x" << shape.in << "->" << shape.out << " rank "
                                            << shape.rank << " dropout " << probability);
            const Inputs in = makeInputs(shape, at::kFloat, 1);
            const kernels::LoraDropout dropout{probability, 1234};
            const at::Tensor mask = kernels::loraDropoutScaleMask(in.x.sizes(), dropout, in.x.options());
            auto eager = [&](const std::vector<at::Tensor>& t) {
                return kernels::eager::loraLinear(t[0], in.weight, t[1], t[2], kScale, mask);
            };
            const at::Tensor expected = eager({in.x, in.loraA, in.loraB});
            const auto grads = autogradGradients(eager, {in.x, in.loraA, in.loraB}, in.gradY);

            const auto& [rows, inFeatures, out, rank] = shape;
            std::vector<float> y(rows * out), ax(rows * rank), gradX(rows * inFeatures), gradA(rank * inFeatures),
                gradB(out * rank);
            const auto xs = floats(in.x), ws = floats(in.weight), as = floats(in.loraA), bs = floats(in.loraB),
                       gs = floats(in.gradY);
            kernels::reference::loraLinearForward(xs.data(), ws.data(), as.data(), bs.data(), kScale, dropout,
                                                  y.data(), ax.data(), rows, inFeatures, out, rank);
            kernels::reference::loraLinearBackward(gs.data(), xs.data(), ws.data(), as.data(), bs.data(), ax.data(),
                                                   kScale, dropout, gradX.data(), gradA.data(), gradB.data(), rows,
                                                   inFeatures, out, rank);
            const Tolerance tolerance = toleranceFor(at::kFloat);
            EXPECT_TRUE(closeTo(fromFloats(y, {rows, out}), expected, tolerance));
            EXPECT_TRUE(closeTo(fromFloats(gradX, {rows, inFeatures}), grads[0], tolerance));
            EXPECT_TRUE(closeTo(fromFloats(gradA, {rank, inFeatures}), grads[1], forSum(tolerance, rows)));
            EXPECT_TRUE(closeTo(fromFloats(gradB, {out, rank}), grads[2], forSum(tolerance, rows)));
        }
}

TEST(LoraLinearOp, MatchesEagerInEveryDtype) {
    for (const auto type : testDtypes())
        for (const auto& shape : kShapes)
            for (const double probability : {0.0, 0.1}) {
                SCOPED_TRACE(testing::Message() << dtypeName(type) << " " << shape.rows << "x" << shape.in << "->"
                                                << shape.out << " rank " << shape.rank << " dropout " << probability);
                const Inputs in = makeInputs(shape, type, 10);
                const kernels::LoraDropout dropout{probability, 99};
                // The eager formula gets the same mask, in the dtype (so 1 / (1 - p) is rounded there,
                // 0.2% at most in bf16: inside the tolerance).
                const at::Tensor mask = kernels::loraDropoutScaleMask(in.x.sizes(), dropout, in.x.options());
                auto eager = [&](const std::vector<at::Tensor>& t) {
                    return kernels::eager::loraLinear(t[0], in.weight, t[1], t[2], kScale, mask);
                };
                auto op = [&](const std::vector<at::Tensor>& t) {
                    return kernels::loraLinear(t[0], in.weight, t[1], t[2], kScale, dropout);
                };
                const Tolerance tolerance = forSum(toleranceFor(type), shape.in / 16);
                EXPECT_TRUE(closeTo(op({in.x, in.loraA, in.loraB}), eager({in.x, in.loraA, in.loraB}), tolerance));
                const auto expected = autogradGradients(eager, {in.x, in.loraA, in.loraB}, in.gradY);
                const auto actual = autogradGradients(op, {in.x, in.loraA, in.loraB}, in.gradY);
                EXPECT_TRUE(closeTo(actual[0], expected[0], tolerance)) << "grad x";
                EXPECT_TRUE(closeTo(actual[1], expected[1], forSum(toleranceFor(type), shape.rows))) << "grad A";
                EXPECT_TRUE(closeTo(actual[2], expected[2], forSum(toleranceFor(type), shape.rows))) << "grad B";
            }
}

TEST(LoraLinearOp, GradientOfAFrozenOrTrainableBaseWeight) {
    const Inputs in = makeInputs({4, 12, 10, 3}, at::kFloat, 20);
    auto eager = [&](const std::vector<at::Tensor>& t) {
        return kernels::eager::loraLinear(t[0], t[1], t[2], t[3], kScale);
    };
    auto op = [&](const std::vector<at::Tensor>& t) { return kernels::loraLinear(t[0], t[1], t[2], t[3], kScale); };
    const auto expected = autogradGradients(eager, {in.x, in.weight, in.loraA, in.loraB}, in.gradY);
    const auto actual = autogradGradients(op, {in.x, in.weight, in.loraA, in.loraB}, in.gradY);
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(closeTo(actual[i], expected[i], {1e-5, 1e-4})) << i;

    // Frozen base weight (the LoRA setting): no gradient is produced for it.
    const at::Tensor x = in.x.clone().requires_grad_(true), a = in.loraA.clone().requires_grad_(true);
    kernels::loraLinear(x, in.weight, a, in.loraB, kScale).sum().backward();
    EXPECT_TRUE(x.grad().defined());
    EXPECT_TRUE(a.grad().defined());
    EXPECT_FALSE(in.weight.grad().defined());
}

TEST(LoraLinearOp, KeepsLeadingDimensions) {
    const Inputs in = makeInputs({6, 8, 5, 2}, at::kFloat, 30);
    const at::Tensor x = in.x.view({2, 3, 8});
    const at::Tensor y = kernels::loraLinear(x, in.weight, in.loraA, in.loraB, kScale);
    EXPECT_EQ(y.sizes(), at::IntArrayRef({2, 3, 5}));
    EXPECT_TRUE(closeTo(y, kernels::eager::loraLinear(x, in.weight, in.loraA, in.loraB, kScale), {1e-5, 1e-4}));
}

// The ATen path builds the mask with int64 tensor arithmetic; it must equal the scalar definition
// that the CUDA kernels and the reference use, bit for bit, and drop about p of the elements.
TEST(LoraDropoutMask, MatchesScalarDefinitionAndRate) {
    const kernels::LoraDropout dropout{0.05, 0xdeadbeefcafef00dULL};
    const int64_t rows = 64, cols = 4096;
    const at::Tensor mask = kernels::loraDropoutScaleMask({rows, cols}, dropout, at::kFloat);
    const auto key = kernels::DropoutKey::make(dropout.seed, dropout.probability);
    const float* values = mask.data_ptr<float>();
    int64_t mismatches = 0, dropped = 0;
    for (int64_t i = 0; i < rows * cols; ++i) {
        const bool kept = kernels::dropoutKeeps(key, static_cast<uint64_t>(i));
        dropped += kept ? 0 : 1;
        if (values[i] != (kept ? key.keepScale : 0.0f)) ++mismatches;
    }
    EXPECT_EQ(mismatches, 0);
    // 262144 Bernoulli(0.05) draws: standard deviation 0.0004, so 0.003 is over 7 sigma.
    EXPECT_NEAR(static_cast<double>(dropped) / (rows * cols), 0.05, 3e-3);

    const at::Tensor other = kernels::loraDropoutScaleMask({rows, cols}, {0.05, dropout.seed + 1}, at::kFloat);
    const double agreement = mask.eq(other).to(at::kFloat).mean().item<double>();
    EXPECT_NEAR(agreement, 0.95 * 0.95 + 0.05 * 0.05, 3e-3);  // independent masks
    EXPECT_TRUE(kernels::loraDropoutScaleMask({3, 3}, {0.0, 1}, at::kFloat).eq(1.0).all().item<bool>());
}

TEST(LoraLinearOp, DropoutSeedsDrawnFromTheGlobalGenerator) {
    at::manual_seed(7);
    const auto first = kernels::LoraDropout::draw(0.1);
    at::manual_seed(7);
    EXPECT_EQ(kernels::LoraDropout::draw(0.1).seed, first.seed);
    EXPECT_NE(kernels::LoraDropout::draw(0.1).seed, first.seed);
}

TEST(LoraLinearOp, BackwardMatchesFiniteDifferences) {
    for (const double probability : {0.0, 0.4}) {
        SCOPED_TRACE(probability);
        const Inputs in = makeInputs({3, 4, 5, 2}, at::kDouble, 40);
        const kernels::LoraDropout dropout{probability, 5};
        auto op = [&](const std::vector<at::Tensor>& t) {
            return kernels::loraLinear(t[0], in.weight, t[1], t[2], kScale, dropout);
        };
        const std::vector<at::Tensor> inputs{in.x, in.loraA, in.loraB};
        const auto analytic = autogradGradients(op, inputs, in.gradY);
        for (size_t i = 0; i < inputs.size(); ++i)
            EXPECT_TRUE(closeTo(analytic[i], numericalGradient(op, inputs, i, in.gradY), {1e-7, 1e-6})) << i;
    }
}

TEST(LoraLinearOp, RejectsBadArguments) {
    const Inputs in = makeInputs({2, 4, 3, 2}, at::kFloat, 50);
    EXPECT_THROW(kernels::loraLinear(in.x, in.weight, in.loraA.t(), in.loraB, kScale), c10::Error);
    EXPECT_THROW(kernels::loraLinear(in.x, in.weight, in.loraA, in.loraB.t(), kScale), c10::Error);
    EXPECT_THROW(kernels::loraLinear(in.x, in.weight, in.loraA, in.loraB, kScale, {1.0, 0}), c10::Error);
    EXPECT_THROW(kernels::loraLinear(in.x.to(at::kHalf), in.weight, in.loraA, in.loraB, kScale), c10::Error);
}

}  // namespace
