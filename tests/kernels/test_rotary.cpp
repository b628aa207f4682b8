// Rotary embedding: the plain C++ reference against the eager rotate_half formula, the op
// against both in fp32, bf16 and fp16 (per-batch and shared tables, strided q/k views), and the
// op's backward against autograd of the eager formula and against finite differences.
#include "ctd/kernels/eager.h"
#include "ctd/kernels/rotary.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

struct Shape {
    int64_t batch, heads, time, headDim;
};
// T=1 (decoding), batch 1, a head_dim of 2, and Llama's 128.
const std::vector<Shape> kShapes = {{1, 1, 1, 2}, {2, 3, 5, 8}, {1, 4, 7, 64}, {3, 2, 9, 128}};

// Tables as the engine builds them (HF's LlamaRotaryEmbedding), in fp32, from per-row positions
// with a different offset per row, as left padding gives.
std::pair<at::Tensor, at::Tensor> tables(int64_t batch, int64_t time, int64_t headDim, double theta = 10000.0) {
    const at::Tensor positions = at::arange(time, at::kFloat).unsqueeze(0) + at::arange(batch, at::kFloat).unsqueeze(1) * 3;
    const at::Tensor exponents = at::arange(0, headDim, 2, at::kLong).to(at::kFloat) / static_cast<double>(headDim);
    const at::Tensor inverseFrequency = 1.0 / at::pow(theta, exponents);
    const at::Tensor frequencies = positions.unsqueeze(-1) * inverseFrequency;
    const at::Tensor angles = at::cat({frequencies, frequencies}, -1);
    return {angles.cos(), angles.sin()};
}

TEST(RotaryReference, MatchesEagerForwardAndBackward) {
    for (const auto& [batch, heads, time, headDim] : kShapes)
        for (const bool perBatch : {true, false}) {
            SCOPED_TRACE(testing::Message() << batch << "x" << heads << "x" << time << "x" << headDim
                                            << (perBatch ? " per-batch tables" : " shared tables"));
            auto [cos, sin] = tables(perBatch ? batch : 1, time, headDim);
            if (!perBatch) cos = cos[0], sin = sin[0];
            const at::Tensor x = randomTensor({batch, heads, time, headDim}, 1);
            const at::Tensor gradY = randomTensor({batch, heads, time, headDim}, 2);
            auto eager = [&](const std::vector<at::Tensor>& in) { return kernels::eager::rotary(in[0], cos, sin); };
            const at::Tensor expected = eager({x});
            const at::Tensor expectedGrad = autogradGradients(eager, {x}, gradY)[0];

            std::vector<float> y(x.numel()), gradX(x.numel());
            const auto xs = floats(x), cs = floats(cos), ss = floats(sin), gs = floats(gradY);
            kernels::reference::rotaryForward(xs.data(), cs.data(), ss.data(), y.data(), batch, heads, time, headDim,
                                              perBatch);
            kernels::reference::rotaryBackward(gs.data(), cs.data(), ss.data(), gradX.data(), batch, heads, time,
                                               headDim, perBatch);
            EXPECT_TRUE(closeTo(fromFloats(y, x.sizes()), expected, toleranceFor(at::kFloat)));
            EXPECT_TRUE(closeTo(fromFloats(gradX, x.sizes()), expectedGrad, toleranceFor(at::kFloat)));
        }
}

// The op reads the fp32 tables; the eager formula casts them to the dtype first (as the engine
// does) and rounds three times, so low-precision results differ by a few ulp.
TEST(RotaryOp, MatchesEagerInEveryDtype) {
    for (const auto type : testDtypes())
        for (const auto& [batch, heads, time, headDim] : kShapes) {
            SCOPED_TRACE(testing::Message() << dtypeName(type) << " " << batch << "x" << heads << "x" << time << "x"
                                            << headDim);
            const auto [cos, sin] = tables(batch, time, headDim);
            const at::Tensor x = randomTensor({batch, heads, time, headDim}, 3, type);
            const at::Tensor gradY = randomTensor({batch, heads, time, headDim}, 4, type);
            auto eager = [&](const std::vector<at::Tensor>& in) { return kernels::eager::rotary(in[0], cos, sin); };
            auto op = [&](const std::vector<at::Tensor>& in) { return kernels::rotary(in[0], cos, sin); };
            EXPECT_TRUE(closeTo(op({x}), eager({x}), toleranceFor(type)));
            EXPECT_TRUE(closeTo(autogradGradients(op, {x}, gradY)[0], autogradGradients(eager, {x}, gradY)[0],
                                toleranceFor(type)));
        }
}

// q and k come from a (batch, time, heads, head_dim) projection viewed as (batch, heads, time,
// head_dim): the op must read that layout without a copy and still return a contiguous result.
TEST(RotaryOp, AcceptsTransposedViews) {
    const auto [cos, sin] = tables(2, 6, 16);
    const at::Tensor projected = randomTensor({2, 6, 4, 16}, 5);
    const at::Tensor view = projected.transpose(1, 2);
    ASSERT_FALSE(view.is_contiguous());
    const at::Tensor y = kernels::rotary(view, cos, sin);
    EXPECT_TRUE(y.is_contiguous());
    EXPECT_TRUE(closeTo(y, kernels::eager::rotary(view.contiguous(), cos, sin), toleranceFor(at::kFloat)));
}

TEST(RotaryOp, BackwardMatchesFiniteDifferences) {
    auto [cos, sin] = tables(1, 3, 4);
    cos = cos.to(at::kDouble), sin = sin.to(at::kDouble);
    const at::Tensor x = randomTensor({1, 2, 3, 4}, 6, at::kDouble);
    const at::Tensor gradY = randomTensor({1, 2, 3, 4}, 7, at::kDouble);
    auto op = [&](const std::vector<at::Tensor>& in) { return kernels::rotary(in[0], cos, sin); };
    EXPECT_TRUE(closeTo(autogradGradients(op, {x}, gradY)[0], numericalGradient(op, {x}, 0, gradY), {1e-7, 1e-6}));
}

TEST(RotaryOp, RejectsBadArguments) {
    const auto [cos, sin] = tables(1, 3, 4);
    EXPECT_THROW(kernels::rotary(randomTensor({1, 2, 3, 5}, 8), cos, sin), c10::Error);     // odd head_dim
    EXPECT_THROW(kernels::rotary(randomTensor({1, 2, 4, 4}, 8), cos, sin), c10::Error);     // wrong time
    EXPECT_THROW(kernels::rotary(randomTensor({2, 3, 4}, 8), cos, sin), c10::Error);        // not 4-d
    EXPECT_THROW(kernels::rotary(randomTensor({2, 2, 3, 4}, 8), cos.expand({3, 3, 4}), sin.expand({3, 3, 4})),
                 c10::Error);  // tables for another batch size
}

}  // namespace
