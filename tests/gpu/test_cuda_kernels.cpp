// Every CUDA kernel against its plain C++ reference (fp32) and against the eager ATen formula on
// the GPU (fp32, bf16, fp16), at Llama-7B widths and at edge shapes, forward and backward, plus
// the memory bound of the chunked cross-entropy. Skips cleanly without a GPU or CUDA build.
#include "ctd/kernels/backend.h"
#include "ctd/kernels/cross_entropy.h"
#include "ctd/kernels/decode_attention.h"
#include "ctd/kernels/eager.h"
#include "ctd/kernels/lora_linear.h"
#include "ctd/kernels/rmsnorm.h"
#include "ctd/kernels/rotary.h"
#include "ctd/kernels/swiglu.h"
#include "kernels/kernel_checks.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>

namespace {

using namespace ctd::test;
namespace kernels = ctd::kernels;

const at::Device kCuda(at::kCUDA, 0);

// Tolerances against the double-precision references: the kernels use fp32 with rsqrtf/expf
// (a few ulp) and another summation order, over rows of up to 11008 terms: 2e-5 * scale absolute,
// 2e-4 relative. Against eager ATen in bf16/fp16 the per-dtype tolerances of kernel_checks.h apply
// (the fused kernel rounds once where eager rounds after every op).
constexpr Tolerance kFp32{2e-5, 2e-4};

class CudaKernels : public ::testing::Test {
protected:
    void SetUp() override {
        if (!kernels::builtWithCuda()) GTEST_SKIP() << "ctd_kernels was built without CUDA kernels (CTD_CUDA=OFF)";
        if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    }
};

at::Tensor cuda(const at::Tensor& t) { return t.to(kCuda); }

TEST_F(CudaKernels, RmsNormMatchesReferenceAndEager) {
    for (const auto& [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 7}, {37, 4096}, {515, 5120}}) {
        SCOPED_TRACE(testing::Message() << rows << "x" << cols);
        const at::Tensor x = randomTensor({rows, cols}, 1), w = randomTensor({cols}, 2, at::kFloat, 0.2) + 1.0;
        const at::Tensor gradY = randomTensor({rows, cols}, 3);
        auto op = [](const std::vector<at::Tensor>& t) { return kernels::rmsNorm(t[0], t[1], 1e-5); };
        const auto grads = autogradGradients(op, {cuda(x), cuda(w)}, cuda(gradY));
        std::vector<float> y(rows * cols), inverse(rows), gradX(rows * cols), gradW(cols);
        const auto xs = floats(x), ws = floats(w), gs = floats(gradY);
        kernels::reference::rmsNormForward(xs.data(), ws.data(), y.data(), inverse.data(), rows, cols, 1e-5f);
        kernels::reference::rmsNormBackward(gs.data(), xs.data(), ws.data(), inverse.data(), gradX.data(),
                                            gradW.data(), rows, cols);
        EXPECT_TRUE(closeTo(op({cuda(x), cuda(w)}), fromFloats(y, {rows, cols}), kFp32));
        EXPECT_TRUE(closeTo(grads[0], fromFloats(gradX, {rows, cols}), kFp32));
        EXPECT_TRUE(closeTo(grads[1], fromFloats(gradW, {cols}), forSum(kFp32, rows)));

        for (const auto type : {at::kBFloat16, at::kHalf}) {
            SCOPED_TRACE(dtypeName(type));
            auto eager = [](const std::vector<at::Tensor>& t) { return kernels::eager::rmsNorm(t[0], t[1], 1e-5); };
            const std::vector<at::Tensor> in{cuda(x).to(type), cuda(w).to(type)};
            EXPECT_TRUE(closeTo(op(in), eager(in), toleranceFor(type)));
            const auto actual = autogradGradients(op, in, cuda(gradY).to(type));
            const auto expected = autogradGradients(eager, in, cuda(gradY).to(type));
            EXPECT_TRUE(closeTo(actual[0], expected[0], toleranceFor(type)));
            EXPECT_TRUE(closeTo(actual[1], expected[1], forSum(toleranceFor(type), rows)));
        }
    }
}

TEST_F(CudaKernels, RotaryMatchesReferenceAndEager) {
    const int64_t batch = 2, heads = 32, time = 257, headDim = 128;
    const at::Tensor positions = at::arange(time, at::kFloat).unsqueeze(0) + at::tensor({0.0f, 5.0f}).unsqueeze(1);
    const at::Tensor inverseFrequency = 1.0 / at::pow(10000.0, at::arange(0, headDim, 2).to(at::kFloat) / headDim);
    const at::Tensor angles = at::cat({positions.unsqueeze(-1) * inverseFrequency, positions.unsqueeze(-1) * inverseFrequency}, -1);
    const at::Tensor cos = angles.cos(), sin = angles.sin();
    // q as the projection produces it: (batch, time, heads, head_dim) viewed transposed.
    const at::Tensor projected = randomTensor({batch, time, heads, headDim}, 4);
    const at::Tensor x = projected.transpose(1, 2).contiguous(), gradY = randomTensor(x.sizes(), 5);
    auto op = [&](const std::vector<at::Tensor>& t) { return kernels::rotary(t[0], cuda(cos), cuda(sin)); };
    std::vector<float> y(x.numel()), gradX(x.numel());
    const auto xs = floats(x), cs = floats(cos), ss = floats(sin), gs = floats(gradY);
    kernels::reference::rotaryForward(xs.data(), cs.data(), ss.data(), y.data(), batch, heads, time, headDim, true);
    kernels::reference::rotaryBackward(gs.data(), cs.data(), ss.data(), gradX.data(), batch, heads, time, headDim, true);
    EXPECT_TRUE(closeTo(op({cuda(projected).transpose(1, 2)}), fromFloats(y, x.sizes()), kFp32));
    EXPECT_TRUE(closeTo(autogradGradients(op, {cuda(x)}, cuda(gradY))[0], fromFloats(gradX, x.sizes()), kFp32));
    for (const auto type : {at::kBFloat16, at::kHalf}) {
        SCOPED_TRACE(dtypeName(type));
        auto eager = [&](const std::vector<at::Tensor>& t) { return kernels::eager::rotary(t[0], cuda(cos), cuda(sin)); };
        const std::vector<at::Tensor> in{cuda(x).to(type)};
        EXPECT_TRUE(closeTo(op(in), eager(in), toleranceFor(type)));
        EXPECT_TRUE(closeTo(autogradGradients(op, in, cuda(gradY).to(type))[0],
                            autogradGradients(eager, in, cuda(gradY).to(type))[0], toleranceFor(type)));
    }
}

TEST_F(CudaKernels, SwigluMatchesReferenceAndEager) {
    for (const auto& shape : std::vector<std::vector<int64_t>>{{1}, {7}, {513, 11008}}) {
        SCOPED_TRACE(testing::Message() << at::IntArrayRef(shape));
        const at::Tensor gate = randomTensor(shape, 6, at::kFloat, 3.0), up = randomTensor(shape, 7);
        const at::Tensor gradY = randomTensor(shape, 8);
        auto op = [](const std::vector<at::Tensor>& t) { return kernels::swiglu(t[0], t[1]); };
        const size_t count = gate.numel();
        std::vector<float> y(count), gradGate(count), gradUp(count);
        const auto gs = floats(gate), us = floats(up), dys = floats(gradY);
        kernels::reference::swigluForward(gs.data(), us.data(), y.data(), count);
        kernels::reference::swigluBackward(dys.data(), gs.data(), us.data(), gradGate.data(), gradUp.data(), count);
        const auto grads = autogradGradients(op, {cuda(gate), cuda(up)}, cuda(gradY));
        EXPECT_TRUE(closeTo(op({cuda(gate), cuda(up)}), fromFloats(y, shape), kFp32));
        EXPECT_TRUE(closeTo(grads[0], fromFloats(gradGate, shape), kFp32));
        EXPECT_TRUE(closeTo(grads[1], fromFloats(gradUp, shape), kFp32));
        for (const auto type : {at::kBFloat16, at::kHalf}) {
            SCOPED_TRACE(dtypeName(type));
            auto eager = [](const std::vector<at::Tensor>& t) { return kernels::eager::swiglu(t[0], t[1]); };
            const std::vector<at::Tensor> in{cuda(gate).to(type), cuda(up).to(type)};
            EXPECT_TRUE(closeTo(op(in), eager(in), toleranceFor(type)));
            const auto actual = autogradGradients(op, in, cuda(gradY).to(type));
            const auto expected = autogradGradients(eager, in, cuda(gradY).to(type));
            EXPECT_TRUE(closeTo(actual[0], expected[0], toleranceFor(type)));
            EXPECT_TRUE(closeTo(actual[1], expected[1], toleranceFor(type)));
        }
    }
}

// With dropout the fused kernels regenerate the mask from its seed: agreement with the reference
// (which evaluates the same hash on the CPU) proves the masks are identical element for element.
TEST_F(CudaKernels, LoraLinearMatchesReferenceAndEager) {
    struct Case {
        int64_t rows, in, out, rank;
        double dropout;
    };
    // Ranks 8 and 64 (the largest the dropout kernels take) and 65 (the ATen fallback).
    for (const auto& c : std::vector<Case>{{1, 1, 1, 1, 0.0}, {257, 1024, 768, 8, 0.0}, {257, 1024, 768, 8, 0.05},
                                           {130, 520, 300, 64, 0.3}, {64, 256, 128, 65, 0.1}}) {
        SCOPED_TRACE(testing::Message() << c.rows << "x" << c.in << "->" << c.out << " rank " << c.rank
                                        << " dropout " << c.dropout);
        const double fanIn = 1.0 / std::sqrt(double(c.in));
        const at::Tensor x = randomTensor({c.rows, c.in}, 9), w = randomTensor({c.out, c.in}, 10, at::kFloat, fanIn);
        const at::Tensor a = randomTensor({c.rank, c.in}, 11, at::kFloat, fanIn);
        const at::Tensor b = randomTensor({c.out, c.rank}, 12, at::kFloat, 0.1), gradY = randomTensor({c.rows, c.out}, 13);
        const kernels::LoraDropout dropout{c.dropout, 77};
        auto op = [&](const std::vector<at::Tensor>& t) {
            return kernels::loraLinear(t[0], t[1], t[2], t[3], 2.0, dropout);
        };
        const std::vector<at::Tensor> in{cuda(x), cuda(w), cuda(a), cuda(b)};
        std::vector<float> y(c.rows * c.out), ax(c.rows * c.rank), gradX(c.rows * c.in), gradA(c.rank * c.in),
            gradB(c.out * c.rank);
        const auto xs = floats(x), ws = floats(w), as = floats(a), bs = floats(b), gs = floats(gradY);
        kernels::reference::loraLinearForward(xs.data(), ws.data(), as.data(), bs.data(), 2.0f, dropout, y.data(),
                                              ax.data(), c.rows, c.in, c.out, c.rank);
        kernels::reference::loraLinearBackward(gs.data(), xs.data(), ws.data(), as.data(), bs.data(), ax.data(), 2.0f,
                                               dropout, gradX.data(), gradA.data(), gradB.data(), c.rows, c.in, c.out,
                                               c.rank);
        EXPECT_TRUE(closeTo(op(in), fromFloats(y, {c.rows, c.out}), kFp32));
        const at::Tensor wFrozen = cuda(w);
        auto opFrozen = [&](const std::vector<at::Tensor>& t) {
            return kernels::loraLinear(t[0], wFrozen, t[1], t[2], 2.0, dropout);
        };
        const auto grads = autogradGradients(opFrozen, {cuda(x), cuda(a), cuda(b)}, cuda(gradY));
        EXPECT_TRUE(closeTo(grads[0], fromFloats(gradX, {c.rows, c.in}), kFp32)) << "grad x";
        EXPECT_TRUE(closeTo(grads[1], fromFloats(gradA, {c.rank, c.in}), forSum(kFp32, c.rows))) << "grad A";
        EXPECT_TRUE(closeTo(grads[2], fromFloats(gradB, {c.out, c.rank}), forSum(kFp32, c.rows))) << "grad B";

        for (const auto type : {at::kBFloat16, at::kHalf}) {
            SCOPED_TRACE(dtypeName(type));
            const at::Tensor mask = kernels::loraDropoutScaleMask(x.sizes(), dropout, at::TensorOptions(kCuda).dtype(type));
            const at::Tensor wType = cuda(w).to(type);
            auto eager = [&](const std::vector<at::Tensor>& t) {
                return kernels::eager::loraLinear(t[0], wType, t[1], t[2], 2.0, mask);
            };
            auto opType = [&](const std::vector<at::Tensor>& t) {
                return kernels::loraLinear(t[0], wType, t[1], t[2], 2.0, dropout);
            };
            const std::vector<at::Tensor> typed{cuda(x).to(type), cuda(a).to(type), cuda(b).to(type)};
            const Tolerance tolerance = forSum(toleranceFor(type), c.in / 16);
            EXPECT_TRUE(closeTo(opType(typed), eager(typed), tolerance));
            const auto actual = autogradGradients(opType, typed, cuda(gradY).to(type));
            const auto expected = autogradGradients(eager, typed, cuda(gradY).to(type));
            EXPECT_TRUE(closeTo(actual[0], expected[0], tolerance)) << "grad x";
            EXPECT_TRUE(closeTo(actual[1], expected[1], forSum(toleranceFor(type), c.rows))) << "grad A";
            EXPECT_TRUE(closeTo(actual[2], expected[2], forSum(toleranceFor(type), c.rows))) << "grad B";
        }
    }
}

// Rows wider than 48 KB of shared memory (fp32 x 16384) take the opt-in shared-memory path.
TEST_F(CudaKernels, LoraDropoutHandlesWideRows) {
    const int64_t rows = 33, in = 16384, out = 64, rank = 8;
    const at::Tensor x = cuda(randomTensor({rows, in}, 14)), w = cuda(randomTensor({out, in}, 15, at::kFloat, 0.01));
    const at::Tensor a = cuda(randomTensor({rank, in}, 16, at::kFloat, 0.01)), b = cuda(randomTensor({out, rank}, 17));
    const kernels::LoraDropout dropout{0.1, 3};
    const at::Tensor mask = kernels::loraDropoutScaleMask(x.sizes(), dropout, x.options());
    EXPECT_TRUE(closeTo(kernels::loraLinear(x, w, a, b, 2.0, dropout), kernels::eager::loraLinear(x, w, a, b, 2.0, mask),
                        kFp32));
}

TEST_F(CudaKernels, CrossEntropyMatchesReferenceAndEager) {
    const int64_t rows = 300, hidden = 256, vocab = 5003, chunk = 1024;  // partial last chunk
    const at::Tensor h = randomTensor({rows, hidden}, 18), w = randomTensor({vocab, hidden}, 19, at::kFloat, 0.1);
    at::Tensor labels = at::randint(vocab, {rows}, at::make_generator<at::CPUGeneratorImpl>(20), at::kLong);
    labels.narrow(0, 0, 50).fill_(-100);
    labels[60] = vocab - 1;
    const at::Tensor gradLosses = randomTensor({rows}, 21);
    auto op = [&](const std::vector<at::Tensor>& t) {
        return kernels::crossEntropyChunkedPerToken(t[0], t[1], cuda(labels), -100, chunk);
    };
    std::vector<float> losses(rows), lse(rows), gradH(rows * hidden), gradW(vocab * hidden);
    const auto hs = floats(h), ws = floats(w), gs = floats(gradLosses);
    kernels::reference::crossEntropyForward(hs.data(), ws.data(), labels.data_ptr<int64_t>(), -100, losses.data(),
                                            lse.data(), rows, hidden, vocab);
    kernels::reference::crossEntropyBackward(hs.data(), ws.data(), labels.data_ptr<int64_t>(), -100, lse.data(),
                                             gs.data(), gradH.data(), gradW.data(), rows, hidden, vocab);
    EXPECT_TRUE(closeTo(op({cuda(h), cuda(w)}), fromFloats(losses, {rows}), kFp32));
    const auto grads = autogradGradients(op, {cuda(h), cuda(w)}, cuda(gradLosses));
    EXPECT_TRUE(closeTo(grads[0], fromFloats(gradH, {rows, hidden}), kFp32));
    EXPECT_TRUE(closeTo(grads[1], fromFloats(gradW, {vocab, hidden}), forSum(kFp32, rows)));

    for (const auto type : {at::kBFloat16, at::kHalf}) {
        SCOPED_TRACE(dtypeName(type));
        auto mean = [&](const std::vector<at::Tensor>& t) {
            return kernels::crossEntropyChunked(t[0], t[1], cuda(labels), -100, chunk);
        };
        auto eager = [&](const std::vector<at::Tensor>& t) {
            return kernels::eager::crossEntropy(t[0], t[1], cuda(labels), -100, false);
        };
        const std::vector<at::Tensor> in{cuda(h).to(type), cuda(w).to(type)};
        const Tolerance tolerance = toleranceFor(type);
        EXPECT_TRUE(closeTo(mean(in), eager(in), {tolerance.absolute * 5, tolerance.relative}));
        const at::Tensor one = at::ones({}, at::TensorOptions(kCuda));
        const auto actual = autogradGradients(mean, in, one), expected = autogradGradients(eager, in, one);
        EXPECT_TRUE(closeTo(actual[0], expected[0], tolerance));
        EXPECT_TRUE(closeTo(actual[1], expected[1], forSum(tolerance, rows)));
    }

    const at::Tensor ignored = at::full({rows}, -100, at::TensorOptions(kCuda).dtype(at::kLong));
    const at::Tensor hg = cuda(h).requires_grad_(true);
    const at::Tensor loss = kernels::crossEntropyChunked(hg, cuda(w), ignored, -100, chunk);
    loss.backward();
    EXPECT_EQ(loss.item<float>(), 0.0f);
    EXPECT_TRUE(hg.grad().eq(0).all().item<bool>());
}

// The point of chunking: a 32000-word vocabulary over 4096 tokens would need 524 MB of fp32
// logits; forward plus backward must stay far below that (a 4096-column chunk is 67 MB).
TEST_F(CudaKernels, CrossEntropyNeverHoldsFullLogits) {
    const int64_t rows = 4096, hidden = 512, vocab = 32000, chunk = 4096;
    const at::Tensor h = cuda(randomTensor({rows, hidden}, 22)).requires_grad_(true);
    const at::Tensor w = cuda(randomTensor({vocab, hidden}, 23, at::kFloat, 0.05));
    const at::Tensor labels = at::randint(vocab, {rows}, at::TensorOptions(kCuda).dtype(at::kLong));
    torch::cuda::synchronize();
    const int64_t before = kernels::cudaPeakAllocatedBytes(0);
    kernels::resetCudaPeakAllocatedBytes(0);
    const int64_t baseline = kernels::cudaPeakAllocatedBytes(0);
    kernels::crossEntropyChunked(h, w, labels, -100, chunk).backward();
    torch::cuda::synchronize();
    const int64_t peak = kernels::cudaPeakAllocatedBytes(0) - baseline;
    const int64_t fullLogits = rows * vocab * 4;
    RecordProperty("peak_bytes", std::to_string(peak));
    EXPECT_GE(before, 0);
    EXPECT_LT(peak, fullLogits / 2) << "peak " << peak << " bytes vs full logits " << fullLogits;
}

TEST_F(CudaKernels, DecodeAttentionMatchesReferenceAndEager) {
    const int64_t batch = 4, heads = 32, kvHeads = 8, capacity = 2048, headDim = 128;
    const at::Tensor q = randomTensor({batch, heads, 1, headDim}, 24);
    const at::Tensor k = randomTensor({batch, kvHeads, 1, headDim}, 25), v = randomTensor({batch, kvHeads, 1, headDim}, 26);
    const at::Tensor keyCache = randomTensor({batch, kvHeads, capacity, headDim}, 27);
    const at::Tensor valueCache = randomTensor({batch, kvHeads, capacity, headDim}, 28);
    const at::Tensor lengths = at::tensor({int64_t(0), int64_t(1), int64_t(700), capacity - 1});
    at::Tensor mask = at::ones({batch, capacity}, at::kBool);
    mask.index_put_({2, at::indexing::Slice(0, 100)}, false);  // left padding of row 2
    const float scale = 1.0f / std::sqrt(float(headDim));
    for (const bool withMask : {false, true}) {
        SCOPED_TRACE(withMask ? "masked" : "unmasked");
        auto keys = floats(keyCache), values = floats(valueCache);
        std::vector<unsigned char> maskBytes;
        const at::Tensor maskByte = mask.to(at::kByte).contiguous();
        maskBytes.assign(maskByte.data_ptr<uint8_t>(), maskByte.data_ptr<uint8_t>() + maskByte.numel());
        std::vector<float> out(q.numel());
        const auto qs = floats(q), ks = floats(k), vs = floats(v);
        kernels::reference::decodeAttentionStep(qs.data(), ks.data(), vs.data(), keys.data(), values.data(),
                                                lengths.data_ptr<int64_t>(), withMask ? maskBytes.data() : nullptr,
                                                out.data(), batch, heads, kvHeads, capacity, headDim, scale);
        const at::Tensor keyCacheGpu = cuda(keyCache), valueCacheGpu = cuda(valueCache);
        const at::Tensor actual = kernels::decodeAttentionStep(cuda(q), cuda(k), cuda(v), keyCacheGpu, valueCacheGpu,
                                                               cuda(lengths), withMask ? cuda(mask) : at::Tensor());
        EXPECT_TRUE(closeTo(actual, fromFloats(out, q.sizes()), kFp32));
        EXPECT_TRUE(closeTo(keyCacheGpu, fromFloats(keys, keyCache.sizes()), {0.0, 0.0}));
        EXPECT_TRUE(closeTo(valueCacheGpu, fromFloats(values, valueCache.sizes()), {0.0, 0.0}));

        for (const auto type : {at::kBFloat16, at::kHalf}) {
            SCOPED_TRACE(dtypeName(type));
            const at::Tensor kc1 = cuda(keyCache).to(type), vc1 = cuda(valueCache).to(type);
            const at::Tensor kc2 = kc1.clone(), vc2 = vc1.clone();
            const at::Tensor m = withMask ? cuda(mask) : at::Tensor();
            const at::Tensor fused = kernels::decodeAttentionStep(cuda(q).to(type), cuda(k).to(type), cuda(v).to(type),
                                                                  kc1, vc1, cuda(lengths), m);
            const at::Tensor eager = kernels::eager::decodeAttentionStep(cuda(q).to(type), cuda(k).to(type),
                                                                         cuda(v).to(type), kc2, vc2, cuda(lengths), m);
            EXPECT_TRUE(closeTo(fused, eager, toleranceFor(type)));
            EXPECT_TRUE(kc1.equal(kc2));
        }
    }
}

// On the GPU a bad length cannot throw without a device sync: the row comes out NaN and neither
// cache is written for it. head_dim above the kernel's 256 falls back to ATen.
TEST_F(CudaKernels, DecodeAttentionEdgeCases) {
    const at::Tensor q = cuda(randomTensor({2, 4, 1, 64}, 29)), k = cuda(randomTensor({2, 2, 1, 64}, 30));
    const at::Tensor keyCache = at::zeros({2, 2, 8, 64}, at::TensorOptions(kCuda)), valueCache = at::zeros_like(keyCache);
    const at::Tensor out = kernels::decodeAttentionStep(q, k, k, keyCache, valueCache,
                                                        at::tensor({int64_t(3), int64_t(8)}).to(kCuda));
    EXPECT_FALSE(out[0].isnan().any().item<bool>());
    EXPECT_TRUE(out[1].isnan().all().item<bool>());
    EXPECT_TRUE(keyCache[1].eq(0).all().item<bool>());

    const at::Tensor wideQ = cuda(randomTensor({1, 2, 1, 320}, 31)), wideK = cuda(randomTensor({1, 1, 1, 320}, 32));
    const at::Tensor wideCache = cuda(randomTensor({1, 1, 5, 320}, 33)), wideValues = cuda(randomTensor({1, 1, 5, 320}, 34));
    const at::Tensor lengths = at::tensor({int64_t(2)}).to(kCuda);
    const at::Tensor fused = kernels::decodeAttentionStep(wideQ, wideK, wideK, wideCache.clone(), wideValues.clone(), lengths);
    const at::Tensor eager = kernels::eager::decodeAttentionStep(wideQ, wideK, wideK, wideCache.clone(), wideValues.clone(), lengths);
    EXPECT_TRUE(closeTo(fused, eager, kFp32));
}

}  // namespace
