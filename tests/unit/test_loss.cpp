// Loss definitions checked against values computed by hand on a tiny batch.
#include <gtest/gtest.h>

#include "core/train/loss.h"
#include "core/util/error.h"

#include <cmath>

using namespace ctd::train;

namespace {

// Two rows, three positions, vocabulary of two. Row 0 predicts labels at positions 1 and 2;
// row 1 only at position 2 (position 1 masked).
struct TinyBatch {
    at::Tensor logits = at::tensor({0.0f, 1.0f, 2.0f, 0.0f, 0.0f, 0.0f,   // row 0: t0, t1, t2
                                    1.0f, 1.0f, 0.0f, 3.0f, 5.0f, 5.0f})  // row 1
                            .view({2, 3, 2});
    at::Tensor labels = at::tensor(std::vector<int64_t>{-100, 1, 0, -100, -100, 1}, at::kLong).view({2, 3});
};

double nll(double chosen, double other) { return -(chosen - std::log(std::exp(chosen) + std::exp(other))); }

// By hand: row 0 t0 logits (0,1) -> label 1: nll(1,0); t1 logits (2,0) -> label 0: nll(2,0).
// Row 1 t1 logits (0,3) -> label 1: nll(3,0).
const double kRow0 = nll(1, 0) + nll(2, 0);
const double kRow1 = nll(3, 0);

}  // namespace

TEST(Loss, TokenNllMasksIgnoredLabels) {
    TinyBatch b;
    const at::Tensor values = tokenNll(b.logits, b.labels);
    EXPECT_NEAR(values[0][0].item<double>(), nll(1, 0), 1e-6);
    EXPECT_NEAR(values[0][1].item<double>(), nll(2, 0), 1e-6);
    EXPECT_EQ(values[1][0].item<double>(), 0.0);
    EXPECT_NEAR(values[1][1].item<double>(), nll(3, 0), 1e-6);
}

TEST(Loss, TokenMeanIsTheMeanOverLabelledTokensDividedByAccumulation) {
    TinyBatch b;
    LossWindow window{2, 2, {}};
    const double value = microBatchLoss(LossType::TokenMean, b.logits, b.labels, {"a", "b"}, window).item<double>();
    EXPECT_NEAR(value, (kRow0 + kRow1) / 3.0 / 2.0, 1e-6);
    EXPECT_NEAR(microBatchLoss(LossType::ResponseOnly, b.logits, b.labels, {"a", "b"}, window).item<double>(), value,
                1e-9);
}

TEST(Loss, SingleTaskAveragesSequenceLikelihoodsOverTheWindow) {
    TinyBatch b;
    LossWindow window{4, 2, {}};  // this micro-batch holds 2 of the window's 4 examples
    EXPECT_NEAR(microBatchLoss(LossType::SingleTask, b.logits, b.labels, {"a", "a"}, window).item<double>(),
                (kRow0 + kRow1) / 4.0, 1e-6);
}

TEST(Loss, MixedTaskSumsEachTasksMean) {
    TinyBatch b;
    // Window: task "summarize" has 1 example (row 0), "benign" has 3 (row 1 and two elsewhere).
    LossWindow window{4, 2, {{"summarize", 1}, {"benign", 3}}};
    EXPECT_NEAR(microBatchLoss(LossType::MixedTask, b.logits, b.labels, {"summarize", "benign"}, window).item<double>(),
                kRow0 / 1.0 + kRow1 / 3.0, 1e-6);
}

TEST(Loss, AllMaskedMicroBatchContributesZero) {
    TinyBatch b;
    const at::Tensor masked = at::full({2, 3}, int64_t{-100}, at::kLong);
    EXPECT_EQ(microBatchLoss(LossType::TokenMean, b.logits, masked, {"a", "b"}, {2, 1, {}}).item<double>(), 0.0);
}

TEST(Loss, ParsesNamesAndRejectsUnknown) {
    EXPECT_EQ(parseLossType("mixed_task"), LossType::MixedTask);
    EXPECT_EQ(lossTypeName(parseLossType("response_only")), "response_only");
    EXPECT_THROW(parseLossType("focal"), ctd::ConfigError);
}
