// Decoding step: the plain C++ reference against eager scatter + repeat_kv + SDPA, the op against
// both in fp32, bf16 and fp16 (GQA, MQA and MHA, per-row lengths, left-padding masks), steps that
// replay full causal attention token by token, and the documented edge cases.
#include "ctd/kernels/decode_attention.h"
#include "ctd/kernels/eager.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

struct Shape {
    int64_t batch, heads, kvHeads, capacity, headDim;
};
// Batch 1 with a one-slot cache (T=1), MHA, GQA (Llama-2-70B style 4:1), MQA, head_dim 128.
const std::vector<Shape> kShapes = {{1, 1, 1, 1, 4}, {2, 4, 4, 6, 8}, {3, 8, 2, 16, 32}, {2, 4, 1, 9, 16},
                                    {2, 4, 2, 33, 128}};

struct Step {
    at::Tensor query, newKeys, newValues, keyCache, valueCache, lengths, keyMask;
};

// Lengths cover an empty cache (0), a full-but-one cache (capacity - 1) and values between.
Step makeStep(const Shape& s, at::ScalarType type, uint64_t seed, bool withMask) {
    Step step;
    step.query = randomTensor({s.batch, s.heads, 1, s.headDim}, seed, type);
    step.newKeys = randomTensor({s.batch, s.kvHeads, 1, s.headDim}, seed + 1, type);
    step.newValues = randomTensor({s.batch, s.kvHeads, 1, s.headDim}, seed + 2, type);
    step.keyCache = randomTensor({s.batch, s.kvHeads, s.capacity, s.headDim}, seed + 3, type);
    step.valueCache = randomTensor({s.batch, s.kvHeads, s.capacity, s.headDim}, seed + 4, type);
    std::vector<int64_t> lengths;
    for (int64_t b = 0; b < s.batch; ++b) lengths.push_back(b == 0 ? s.capacity - 1 : (b * 5) % s.capacity);
    step.lengths = at::tensor(lengths);
    if (withMask) {  // left padding: the first b positions of row b are padding
        step.keyMask = at::ones({s.batch, s.capacity}, at::kBool);
        for (int64_t b = 0; b < s.batch; ++b)
            step.keyMask.index_put_({b, at::indexing::Slice(0, std::min(b, lengths[b]))}, false);
    }
    return step;
}

Step cloneStep(const Step& step) {
    Step copy = step;
    copy.keyCache = step.keyCache.clone();
    copy.valueCache = step.valueCache.clone();
    return copy;
}

TEST(DecodeAttentionReference, MatchesEager) {
    for (const auto& shape : kShapes)
        for (const bool withMask : {false, true}) {
            SCOPED_TRACE(testing::Message() << shape.batch << "x" << shape.heads << "/" << shape.kvHeads << " heads, "
                                            << shape.capacity << " slots, dim " << shape.headDim
                                            << (withMask ? ", masked" : ""));
            const Step step = makeStep(shape, at::kFloat, 1, withMask);
            const Step eagerStep = cloneStep(step);
            const at::Tensor expected =
                kernels::eager::decodeAttentionStep(eagerStep.query, eagerStep.newKeys, eagerStep.newValues,
                                                    eagerStep.keyCache, eagerStep.valueCache, eagerStep.lengths,
                                                    eagerStep.keyMask);

            auto keyCache = floats(step.keyCache), valueCache = floats(step.valueCache);
            const auto q = floats(step.query), k = floats(step.newKeys), v = floats(step.newValues);
            std::vector<unsigned char> mask;
            if (withMask) {
                const at::Tensor bytes = step.keyMask.to(at::kByte).contiguous();
                mask.assign(bytes.data_ptr<uint8_t>(), bytes.data_ptr<uint8_t>() + bytes.numel());
            }
            std::vector<float> output(step.query.numel());
            kernels::reference::decodeAttentionStep(q.data(), k.data(), v.data(), keyCache.data(), valueCache.data(),
                                                    step.lengths.data_ptr<int64_t>(), withMask ? mask.data() : nullptr,
                                                    output.data(), shape.batch, shape.heads, shape.kvHeads,
                                                    shape.capacity, shape.headDim,
                                                    1.0f / std::sqrt(float(shape.headDim)));
            const Tolerance tolerance = toleranceFor(at::kFloat);
            EXPECT_TRUE(closeTo(fromFloats(output, step.query.sizes()), expected, tolerance));
            EXPECT_TRUE(closeTo(fromFloats(keyCache, step.keyCache.sizes()), eagerStep.keyCache, tolerance));
            EXPECT_TRUE(closeTo(fromFloats(valueCache, step.valueCache.sizes()), eagerStep.valueCache, tolerance));
        }
}

TEST(DecodeAttentionOp, MatchesEagerInEveryDtype) {
    for (const auto type : testDtypes())
        for (const auto& shape : kShapes)
            for (const bool withMask : {false, true}) {
                SCOPED_TRACE(testing::Message() << dtypeName(type) << " " << shape.batch << "x" << shape.heads << "/"
                                                << shape.kvHeads << " heads, " << shape.capacity << " slots, dim "
                                                << shape.headDim << (withMask ? ", masked" : ""));
                const Step step = makeStep(shape, type, 10, withMask);
                const Step eagerStep = cloneStep(step);
                const at::Tensor actual = kernels::decodeAttentionStep(step.query, step.newKeys, step.newValues,
                                                                       step.keyCache, step.valueCache, step.lengths,
                                                                       step.keyMask);
                const at::Tensor expected = kernels::eager::decodeAttentionStep(
                    eagerStep.query, eagerStep.newKeys, eagerStep.newValues, eagerStep.keyCache, eagerStep.valueCache,
                    eagerStep.lengths, eagerStep.keyMask);
                EXPECT_TRUE(closeTo(actual, expected, toleranceFor(type)));
                EXPECT_TRUE(step.keyCache.equal(eagerStep.keyCache));
                EXPECT_TRUE(step.valueCache.equal(eagerStep.valueCache));
            }
}

// Feeding a sequence token by token through the cache must give, at every step, the row of full
// causal attention over the prefix (the engine's prefill path), here with 4:1 GQA.
TEST(DecodeAttentionOp, StepsReplayCausalAttention) {
    const int64_t heads = 8, kvHeads = 2, time = 7, headDim = 16, capacity = 10;
    const at::Tensor q = randomTensor({1, heads, time, headDim}, 20);
    const at::Tensor k = randomTensor({1, kvHeads, time, headDim}, 21), v = randomTensor({1, kvHeads, time, headDim}, 22);
    const at::Tensor full = at::scaled_dot_product_attention(q, k.repeat_interleave(heads / kvHeads, 1),
                                                             v.repeat_interleave(heads / kvHeads, 1), {}, 0.0, true);
    const at::Tensor keyCache = at::zeros({1, kvHeads, capacity, headDim}), valueCache = at::zeros_like(keyCache);
    at::Tensor lengths = at::zeros({1}, at::kLong);
    for (int64_t t = 0; t < time; ++t) {
        SCOPED_TRACE(t);
        const at::Tensor out = kernels::decodeAttentionStep(q.narrow(2, t, 1), k.narrow(2, t, 1), v.narrow(2, t, 1),
                                                            keyCache, valueCache, lengths);
        EXPECT_TRUE(closeTo(out, full.narrow(2, t, 1), toleranceFor(at::kFloat)));
        lengths += 1;
    }
}

// At T=1 (empty cache) the only attendable key is the new one: the output is its value.
TEST(DecodeAttentionOp, FirstTokenAttendsToItself) {
    const Shape shape{2, 4, 2, 5, 8};
    Step step = makeStep(shape, at::kFloat, 30, false);
    step.lengths.zero_();
    const at::Tensor out = kernels::decodeAttentionStep(step.query, step.newKeys, step.newValues, step.keyCache,
                                                        step.valueCache, step.lengths);
    EXPECT_TRUE(closeTo(out, step.newValues.repeat_interleave(2, 1), toleranceFor(at::kFloat)));
}

TEST(DecodeAttentionOp, FullyMaskedRowGivesZeros) {
    const Shape shape{2, 2, 1, 4, 8};
    Step step = makeStep(shape, at::kFloat, 40, false);
    step.keyMask = at::ones({2, 4}, at::kBool);
    step.keyMask[1].fill_(false);
    const at::Tensor out = kernels::decodeAttentionStep(step.query, step.newKeys, step.newValues, step.keyCache,
                                                        step.valueCache, step.lengths, step.keyMask);
    EXPECT_TRUE(out[1].eq(0).all().item<bool>());
    EXPECT_TRUE(out[0].abs().sum().item<float>() > 0.0f);
}

TEST(DecodeAttentionOp, RejectsBadArguments) {
    const Shape shape{2, 4, 2, 6, 8};
    const Step step = makeStep(shape, at::kFloat, 50, false);
    auto run = [&](const at::Tensor& lengths, const at::Tensor& query) {
        return kernels::decodeAttentionStep(query, step.newKeys, step.newValues, step.keyCache, step.valueCache,
                                            lengths);
    };
    EXPECT_THROW(run(at::tensor({int64_t(6), int64_t(0)}), step.query), c10::Error);   // cache full
    EXPECT_THROW(run(at::tensor({int64_t(-1), int64_t(0)}), step.query), c10::Error);  // negative
    EXPECT_THROW(run(at::tensor({int64_t(0)}), step.query), c10::Error);                // one length for two rows
    EXPECT_THROW(run(step.lengths, randomTensor({2, 3, 1, 8}, 51)), c10::Error);        // 3 heads over 2 kv heads
    EXPECT_THROW(run(step.lengths, randomTensor({2, 4, 2, 8}, 51)), c10::Error);        // two new tokens
    EXPECT_THROW(run(step.lengths, step.query.clone().requires_grad_(true)), c10::Error);
}

}  // namespace
