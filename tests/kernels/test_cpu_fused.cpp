// The CPU-only fused ops and layouts the engine's training path uses: LoRA dropout on its own, SwiGLU
// on packed gate/up halves, next-token cross-entropy over full logits, and the rotary gradient of a
// transposed projection view. Each against the plain ATen composition in fp32 (odd shapes, strided
// inputs) and by finite differences in fp64. (RMSNorm, rotary, SwiGLU and the LoRA linear op run
// their CPU loops in their own tests' fp32 and fp64 cases.)
#include "ctd/kernels/eager.h"
#include "ctd/kernels/lora_linear.h"
#include "ctd/kernels/next_token_loss.h"
#include "ctd/kernels/rotary.h"
#include "ctd/kernels/swiglu.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

constexpr Tolerance kFiniteDifference{1e-7, 1e-6};  // O(h^2) truncation and O(eps/h) rounding: ~1e-9

// The fused loop must draw exactly the mask of loraDropoutScaleMask (the CUDA kernels' and the
// reference's), in both directions, for sizes around the vector width.
TEST(LoraDropoutOp, MatchesTheScaleMaskBitForBit) {
    for (const auto type : {at::kFloat, at::kDouble})
        for (const auto& shape : std::vector<std::vector<int64_t>>{{1}, {3, 7}, {17, 33}, {64, 4096}}) {
            SCOPED_TRACE(testing::Message() << dtypeName(type) << " " << at::IntArrayRef(shape));
            const kernels::LoraDropout dropout{0.3, 0x1234567890abcdefULL};
            const at::Tensor x = randomTensor(shape, 1, type).requires_grad_(true);
            const at::Tensor mask = kernels::loraDropoutScaleMask(shape, dropout, x.options());
            const at::Tensor y = kernels::loraDropout(x, dropout);
            EXPECT_TRUE(y.detach().equal(x.detach() * mask));
            const at::Tensor gradY = randomTensor(shape, 2, type);
            y.backward(gradY);
            EXPECT_TRUE(x.grad().equal(gradY * mask));
        }
}

TEST(LoraDropoutOp, ReadsNonContiguousInputsInLogicalOrder) {
    const kernels::LoraDropout dropout{0.5, 99};
    const at::Tensor x = randomTensor({8, 6}, 3).t();
    const at::Tensor mask = kernels::loraDropoutScaleMask({6, 8}, dropout, x.options());
    EXPECT_TRUE(kernels::loraDropout(x, dropout).equal(x * mask));
    EXPECT_TRUE(kernels::loraDropout(x, {0.0, 99}).equal(x));  // probability 0: x itself
}

TEST(LoraDropoutOp, BackwardMatchesFiniteDifferences) {
    const kernels::LoraDropout dropout{0.4, 5};
    const at::Tensor x = randomTensor({3, 5}, 4, at::kDouble), gradY = randomTensor({3, 5}, 5, at::kDouble);
    auto op = [&](const std::vector<at::Tensor>& in) { return kernels::loraDropout(in[0], dropout); };
    EXPECT_TRUE(closeTo(autogradGradients(op, {x}, gradY)[0], numericalGradient(op, {x}, 0, gradY), kFiniteDifference));
}

// swigluPacked(cat(gate, up)) = swiglu(gate, up), and its gradient is cat(gradGate, gradUp).
TEST(SwigluPackedOp, MatchesEagerOnTheHalves) {
    for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {5, 7}, {9, 33}, {64, 352}}) {
        SCOPED_TRACE(testing::Message() << rows << "x" << cols);
        const at::Tensor packed = randomTensor({rows, 2 * cols}, 6, at::kFloat, 3.0);
        const at::Tensor gradY = randomTensor({rows, cols}, 7);
        auto fused = [](const std::vector<at::Tensor>& in) { return kernels::swigluPacked(in[0]); };
        auto eager = [cols](const std::vector<at::Tensor>& in) {
            return kernels::eager::swiglu(in[0].narrow(-1, 0, cols), in[0].narrow(-1, cols, cols));
        };
        const Tolerance tolerance = toleranceFor(at::kFloat);
        EXPECT_TRUE(closeTo(fused({packed}), eager({packed}), tolerance));
        EXPECT_TRUE(closeTo(autogradGradients(fused, {packed}, gradY)[0], autogradGradients(eager, {packed}, gradY)[0],
                            tolerance));
    }
}

TEST(SwigluPackedOp, KeepsLeadingDimensionsAndRejectsOddWidths) {
    const at::Tensor packed = randomTensor({2, 3, 10}, 8);
    EXPECT_EQ(kernels::swigluPacked(packed).sizes(), (std::vector<int64_t>{2, 3, 5}));
    EXPECT_THROW(kernels::swigluPacked(randomTensor({2, 7}, 9)), c10::Error);
}

TEST(SwigluPackedOp, BackwardMatchesFiniteDifferences) {
    const at::Tensor packed = randomTensor({2, 6}, 10, at::kDouble, 3.0), gradY = randomTensor({2, 3}, 11, at::kDouble);
    auto op = [](const std::vector<at::Tensor>& in) { return kernels::swigluPacked(in[0]); };
    EXPECT_TRUE(closeTo(autogradGradients(op, {packed}, gradY)[0], numericalGradient(op, {packed}, 0, gradY),
                        kFiniteDifference));
}

// HF's shifted cross-entropy: logits[:, :-1] against labels[:, 1:], per token.
at::Tensor eagerNextTokenNll(const at::Tensor& logits, const at::Tensor& labels) {
    const int64_t batch = logits.size(0), time = logits.size(1), vocab = logits.size(2);
    const at::Tensor flat = logits.narrow(1, 0, time - 1).reshape({-1, vocab});
    return at::cross_entropy_loss(flat, labels.narrow(1, 1, time - 1).reshape({-1}), {}, at::Reduction::None, -100)
        .view({batch, time - 1});
}

at::Tensor labelsFor(int64_t batch, int64_t time, int64_t vocab, uint64_t seed) {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    at::Tensor labels = at::randint(vocab, {batch, time}, generator, at::kLong);
    if (batch * time > 2) labels.view({-1})[1] = -100;  // an ignored token
    return labels;
}

TEST(NextTokenNllOp, MatchesEagerForwardAndBackward) {
    struct Shape {
        int64_t batch, time, vocab;
    };
    for (const auto& [batch, time, vocab] : std::vector<Shape>{{1, 2, 1}, {2, 5, 37}, {3, 9, 1031}, {16, 64, 1024}}) {
        SCOPED_TRACE(testing::Message() << batch << "x" << time << "x" << vocab);
        // A view with gaps between rows (the logits of a larger vocabulary), as a sliced head gives.
        const at::Tensor logits = randomTensor({batch, time, vocab + 3}, 12, at::kFloat, 4.0).narrow(2, 0, vocab);
        const at::Tensor labels = labelsFor(batch, time, vocab, 13);
        const at::Tensor gradNll = randomTensor({batch, time - 1}, 14);
        auto fused = [&](const std::vector<at::Tensor>& in) { return kernels::nextTokenNll(in[0], labels); };
        auto eager = [&](const std::vector<at::Tensor>& in) { return eagerNextTokenNll(in[0], labels); };
        // log-sum-exp over `vocab` terms; the gradient rows are softmax - onehot, O(1).
        const Tolerance tolerance = forSum(toleranceFor(at::kFloat), vocab);
        EXPECT_TRUE(closeTo(fused({logits}), eager({logits}), tolerance));
        EXPECT_TRUE(closeTo(autogradGradients(fused, {logits}, gradNll)[0],
                            autogradGradients(eager, {logits}, gradNll)[0], toleranceFor(at::kFloat)));
        const c10::InferenceMode noGrad;  // the loss alone, nothing stored
        EXPECT_TRUE(closeTo(fused({logits}), eager({logits}), tolerance));
    }
}

TEST(NextTokenNllOp, IgnoredAndSingleStepRowsAreZero) {
    const at::Tensor logits = randomTensor({2, 4, 9}, 15).requires_grad_(true);
    const at::Tensor labels = at::full({2, 4}, -100, at::kLong);
    const at::Tensor nll = kernels::nextTokenNll(logits, labels);
    EXPECT_TRUE(nll.eq(0).all().item<bool>());
    nll.sum().backward();
    EXPECT_TRUE(logits.grad().eq(0).all().item<bool>());
    EXPECT_EQ(kernels::nextTokenNll(randomTensor({3, 1, 9}, 16), at::zeros({3, 1}, at::kLong)).sizes(),
              (std::vector<int64_t>{3, 0}));
}

TEST(NextTokenNllOp, BackwardMatchesFiniteDifferences) {
    const at::Tensor logits = randomTensor({2, 3, 5}, 17, at::kDouble, 2.0);
    const at::Tensor labels = labelsFor(2, 3, 5, 18);
    const at::Tensor gradNll = randomTensor({2, 2}, 19, at::kDouble);
    auto op = [&](const std::vector<at::Tensor>& in) { return kernels::nextTokenNll(in[0], labels); };
    EXPECT_TRUE(closeTo(autogradGradients(op, {logits}, gradNll)[0], numericalGradient(op, {logits}, 0, gradNll),
                        kFiniteDifference));
}

TEST(NextTokenNllOp, RejectsBadArguments) {
    const at::Tensor logits = randomTensor({2, 3, 5}, 20);
    EXPECT_THROW(kernels::nextTokenNll(logits, at::full({2, 3}, 5, at::kLong)), c10::Error);   // label = vocab
    EXPECT_THROW(kernels::nextTokenNll(logits, at::full({2, 3}, -1, at::kLong)), c10::Error);  // negative label
    EXPECT_THROW(kernels::nextTokenNll(logits, at::zeros({2, 4}, at::kLong)), c10::Error);     // wrong time
    EXPECT_THROW(kernels::nextTokenNll(logits, at::zeros({2, 3}, at::kFloat)), c10::Error);    // float labels
}

// q and k sliced from one projection output reach the op as transposed views; the gradient comes
// back in that (batch, time, heads, head_dim) memory order, and must still be the right values.
TEST(RotaryOp, GradientOfATransposedViewMatchesEager) {
    const int64_t batch = 2, time = 5, heads = 3, headDim = 8;
    const at::Tensor positions = at::arange(time, at::kFloat).unsqueeze(-1) * at::arange(1, headDim + 1, at::kFloat);
    const at::Tensor cos = positions.cos().unsqueeze(0).expand({batch, time, headDim}).contiguous();
    const at::Tensor sin = positions.sin().unsqueeze(0).expand({batch, time, headDim}).contiguous();
    const at::Tensor projected = randomTensor({batch, time, heads * headDim}, 21);
    const at::Tensor gradY = randomTensor({batch, heads, time, headDim}, 22);
    auto asHeads = [&](const at::Tensor& p) { return p.view({batch, time, heads, headDim}).transpose(1, 2); };
    auto fused = [&](const std::vector<at::Tensor>& in) { return kernels::rotary(asHeads(in[0]), cos, sin); };
    auto eager = [&](const std::vector<at::Tensor>& in) { return kernels::eager::rotary(asHeads(in[0]), cos, sin); };
    EXPECT_TRUE(closeTo(fused({projected}), eager({projected}), toleranceFor(at::kFloat)));
    EXPECT_TRUE(closeTo(autogradGradients(fused, {projected}, gradY)[0],
                        autogradGradients(eager, {projected}, gradY)[0], toleranceFor(at::kFloat)));
}

}  // namespace
