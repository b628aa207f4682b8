// Chunked cross-entropy: the plain C++ reference against the eager full-logits cross_entropy
// (losses and autograd gradients of hidden states and head weight), the op against both in fp32,
// bf16 and fp16 for vocabularies that are not a multiple of the chunk, ignored and all-ignored
// labels, per-token losses, and the op's backward against finite differences.
#include "ctd/kernels/cross_entropy.h"
#include "ctd/kernels/eager.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

constexpr int64_t kIgnore = -100;

struct Shape {
    int64_t rows, hidden, vocab, chunk;
};
// One token; a vocabulary smaller than the chunk; chunk 1; vocabularies that leave a partial
// last chunk; and an exact multiple.
const std::vector<Shape> kShapes = {{1, 8, 5, 4096}, {4, 16, 10, 4096}, {3, 4, 7, 1},   {12, 32, 37, 8},
                                    {37, 64, 1000, 128}, {8, 16, 64, 16}};

// Labels in [0, vocab) with every third one ignored (as padding and prompt tokens are).
at::Tensor makeLabels(int64_t rows, int64_t vocab, uint64_t seed) {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    at::Tensor labels = at::randint(vocab, {rows}, generator, at::kLong);
    for (int64_t i = 1; i < rows; i += 3) labels[i] = kIgnore;
    return labels;
}

TEST(CrossEntropyReference, MatchesEagerForwardAndBackward) {
    for (const auto& [rows, hidden, vocab, chunk] : kShapes) {
        SCOPED_TRACE(testing::Message() << rows << " rows, hidden " << hidden << ", vocab " << vocab);
        const at::Tensor h = randomTensor({rows, hidden}, 1), w = randomTensor({vocab, hidden}, 2, at::kFloat, 0.3);
        const at::Tensor labels = makeLabels(rows, vocab, 3);
        const at::Tensor gradLosses = randomTensor({rows}, 4);
        auto eager = [&](const std::vector<at::Tensor>& t) {
            return kernels::eager::crossEntropy(t[0], t[1], labels, kIgnore, /*perToken=*/true);
        };
        const at::Tensor expected = eager({h, w});
        const auto grads = autogradGradients(eager, {h, w}, gradLosses);

        std::vector<float> losses(rows), logSumExp(rows), gradHidden(rows * hidden), gradWeight(vocab * hidden);
        const auto hs = floats(h), ws = floats(w), gs = floats(gradLosses);
        const std::vector<int64_t> ls(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + rows);
        kernels::reference::crossEntropyForward(hs.data(), ws.data(), ls.data(), kIgnore, losses.data(),
                                                logSumExp.data(), rows, hidden, vocab);
        kernels::reference::crossEntropyBackward(hs.data(), ws.data(), ls.data(), kIgnore, logSumExp.data(),
                                                 gs.data(), gradHidden.data(), gradWeight.data(), rows, hidden, vocab);
        const Tolerance tolerance = toleranceFor(at::kFloat);
        EXPECT_TRUE(closeTo(fromFloats(losses, {rows}), expected, tolerance));
        EXPECT_TRUE(closeTo(fromFloats(gradHidden, {rows, hidden}), grads[0], tolerance));
        EXPECT_TRUE(closeTo(fromFloats(gradWeight, {vocab, hidden}), grads[1], forSum(tolerance, rows)));
    }
}

TEST(CrossEntropyOp, MatchesEagerInEveryDtype) {
    for (const auto type : testDtypes())
        for (const auto& [rows, hidden, vocab, chunk] : kShapes)
            for (const bool perToken : {false, true}) {
                SCOPED_TRACE(testing::Message() << dtypeName(type) << " " << rows << " rows, hidden " << hidden
                                                << ", vocab " << vocab << ", chunk " << chunk
                                                << (perToken ? " per token" : " mean"));
                const at::Tensor h = randomTensor({rows, hidden}, 5, type);
                const at::Tensor w = randomTensor({vocab, hidden}, 6, type, 0.3);
                at::Tensor labels = makeLabels(rows, vocab, 7);
                labels[0] = vocab - 1;  // the last id, in the partial chunk
                const at::Tensor gradOut = perToken ? randomTensor({rows}, 8) : at::ones({});
                auto eager = [&](const std::vector<at::Tensor>& t) {
                    return kernels::eager::crossEntropy(t[0], t[1], labels, kIgnore, perToken);
                };
                auto op = [&](const std::vector<at::Tensor>& t) {
                    return perToken ? kernels::crossEntropyChunkedPerToken(t[0], t[1], labels, kIgnore, chunk)
                                    : kernels::crossEntropyChunked(t[0], t[1], labels, kIgnore, chunk);
                };
                // Losses are fp32 from logits in the dtype: the logits' rounding dominates (~1 ulp of
                // values up to |logit| ~ 5), hence the dtype's tolerance scaled to that size.
                const Tolerance tolerance = toleranceFor(type);
                const Tolerance lossTolerance{tolerance.absolute * 5, tolerance.relative};
                EXPECT_TRUE(closeTo(op({h, w}), eager({h, w}), lossTolerance));
                const auto expected = autogradGradients(eager, {h, w}, gradOut);
                const auto actual = autogradGradients(op, {h, w}, gradOut);
                EXPECT_TRUE(closeTo(actual[0], expected[0], tolerance)) << "grad hidden";
                EXPECT_TRUE(closeTo(actual[1], expected[1], forSum(tolerance, rows))) << "grad head weight";
            }
}

// torch's mean cross_entropy is NaN when every label is ignored; the op documents 0 with zero
// gradients instead, so a micro-batch that is all padding leaves the run intact.
TEST(CrossEntropyOp, AllIgnoredGivesZeroLossAndZeroGradients) {
    const at::Tensor h = randomTensor({5, 8}, 9).requires_grad_(true);
    const at::Tensor w = randomTensor({11, 8}, 10).requires_grad_(true);
    const at::Tensor labels = at::full({5}, kIgnore, at::kLong);
    const at::Tensor loss = kernels::crossEntropyChunked(h, w, labels, kIgnore, 4);
    EXPECT_EQ(loss.item<float>(), 0.0f);
    loss.backward();
    EXPECT_TRUE(h.grad().eq(0).all().item<bool>());
    EXPECT_TRUE(w.grad().eq(0).all().item<bool>());
    EXPECT_TRUE(std::isnan(kernels::eager::crossEntropy(h, w, labels, kIgnore, false).item<float>()));

    const at::Tensor perToken = kernels::crossEntropyChunkedPerToken(h, w, labels, kIgnore, 4);
    EXPECT_TRUE(perToken.eq(0).all().item<bool>());
}

// Per-token losses let callers take per-example means (the paper's mixed-task loss averages per
// task): (batch, time) labels give (batch, time) losses, and gradients flow through any reduction.
TEST(CrossEntropyOp, PerTokenLossesSupportPerExampleMeans) {
    const at::Tensor h = randomTensor({2, 6, 16}, 11), w = randomTensor({50, 16}, 12, at::kFloat, 0.3);
    at::Tensor labels = at::randint(50, {2, 6}, at::make_generator<at::CPUGeneratorImpl>(13), at::kLong);
    labels.index_put_({0, at::indexing::Slice(0, 4)}, kIgnore);  // a prompt that is not trained on
    auto perExample = [&](const at::Tensor& losses) {
        const at::Tensor valid = labels.ne(kIgnore).to(at::kFloat);
        return (losses * valid).sum(1) / valid.sum(1);
    };
    auto op = [&](const std::vector<at::Tensor>& t) {
        return perExample(kernels::crossEntropyChunkedPerToken(t[0], t[1], labels, kIgnore, 16));
    };
    auto eager = [&](const std::vector<at::Tensor>& t) {
        return perExample(kernels::eager::crossEntropy(t[0], t[1], labels, kIgnore, true));
    };
    const at::Tensor weights = at::tensor({1.0f, 0.5f});
    EXPECT_EQ(kernels::crossEntropyChunkedPerToken(h, w, labels, kIgnore, 16).sizes(), labels.sizes());
    EXPECT_TRUE(closeTo(op({h, w}), eager({h, w}), {1e-5, 1e-4}));
    const auto expected = autogradGradients(eager, {h, w}, weights), actual = autogradGradients(op, {h, w}, weights);
    EXPECT_TRUE(closeTo(actual[0], expected[0], {1e-5, 1e-4}));
    EXPECT_TRUE(closeTo(actual[1], expected[1], {1e-5, 1e-4}));
}

TEST(CrossEntropyOp, HeadGradientOnlyWhenRequired) {
    const at::Tensor h = randomTensor({4, 8}, 14).requires_grad_(true), w = randomTensor({9, 8}, 15);
    kernels::crossEntropyChunked(h, w, makeLabels(4, 9, 16), kIgnore, 4).backward();
    EXPECT_TRUE(h.grad().defined());
    EXPECT_FALSE(w.grad().defined());
}

TEST(CrossEntropyOp, BackwardMatchesFiniteDifferences) {
    const at::Tensor h = randomTensor({4, 3}, 17, at::kDouble), w = randomTensor({5, 3}, 18, at::kDouble);
    const at::Tensor labels = at::tensor({int64_t(4), kIgnore, int64_t(0), int64_t(2)});
    const at::Tensor gradOut = at::ones({}, at::kDouble);
    auto op = [&](const std::vector<at::Tensor>& t) {
        return kernels::crossEntropyChunked(t[0], t[1], labels, kIgnore, 2);
    };
    const auto analytic = autogradGradients(op, {h, w}, gradOut);
    EXPECT_TRUE(closeTo(analytic[0], numericalGradient(op, {h, w}, 0, gradOut), {1e-7, 1e-6}));
    EXPECT_TRUE(closeTo(analytic[1], numericalGradient(op, {h, w}, 1, gradOut), {1e-7, 1e-6}));
}

TEST(CrossEntropyOp, RejectsBadArguments) {
    const at::Tensor h = randomTensor({3, 4}, 19), w = randomTensor({6, 4}, 20);
    const at::Tensor labels = at::tensor({int64_t(0), int64_t(1), int64_t(2)});
    EXPECT_THROW(kernels::crossEntropyChunked(h, w, at::tensor({int64_t(0), int64_t(6), int64_t(1)}), kIgnore, 4),
                 c10::Error);  // label == vocab
    EXPECT_THROW(kernels::crossEntropyChunked(h, w, at::tensor({int64_t(0), int64_t(-1), int64_t(1)}), kIgnore, 4),
                 c10::Error);  // negative label that is not the ignore index
    EXPECT_THROW(kernels::crossEntropyChunked(h, w, labels, kIgnore, 0), c10::Error);
    EXPECT_THROW(kernels::crossEntropyChunked(h, w, labels.narrow(0, 0, 2), kIgnore, 4), c10::Error);
    EXPECT_THROW(kernels::crossEntropyChunked(h, randomTensor({6, 5}, 21), labels, kIgnore, 4), c10::Error);
    EXPECT_THROW(kernels::crossEntropyChunked(h, w, labels.to(at::kFloat), kIgnore, 4), c10::Error);
}

}  // namespace
