// The engine's CPU training path (grad mode: q/k/v and gate/up as stacked products, adapters added
// to their slices, fused CPU ops, fused next-token loss) against its inference path (separate
// projections): the same logits, and adapter gradients equal to finite differences of the
// inference path's loss, in fp64, with grouped-query heads and adapters on and off the stacks.
#include "core/model/llama.h"
#include "core/train/loss.h"
#include "kernels/kernel_checks.h"
#include "tiny_llama.h"

#include <gtest/gtest.h>

namespace {

using namespace ctd;
using namespace ctd::test;

// Grouped-query heads: k and v narrower than q in the stacked product.
model::LlamaConfig tinyConfig() {
    return test::tinyLlamaConfig({.vocab = 23, .hidden = 16, .intermediate = 12, .maxPositions = 32});
}

model::LlamaForCausalLM makeModel(const std::vector<std::string>& targets, at::ScalarType type) {
    at::manual_seed(3);
    model::LlamaForCausalLM llama(tinyConfig());
    model::LoraSettings settings;
    settings.rank = 2;
    settings.alpha = 4.0;
    settings.dropout = 0.1;
    settings.targetModules = targets;
    llama->addLora(settings);
    llama->to(type);
    {
        at::NoGradGuard noGrad;
        for (auto& tensor : llama->loraParameters()) tensor.normal_(0.0, 0.2);  // B non-zero
    }
    llama->eval();  // no dropout: both paths see the same function
    return llama;
}

const std::vector<std::vector<std::string>> kTargets = {
    {"q_proj", "v_proj"},                                                            // PEFT's default
    {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"},  // all-linear
};

at::Tensor inputIds() {
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(5);
    return at::randint(3, 23, {2, 7}, generator, at::kLong);
}

TEST(LlamaCpuTraining, GradModeLogitsMatchInference) {
    for (const auto& targets : kTargets) {
        SCOPED_TRACE(targets.size());
        model::LlamaForCausalLM llama = makeModel(targets, at::kFloat);
        const at::Tensor ids = inputIds();
        const at::Tensor training = llama->forward(ids);
        ASSERT_TRUE(training.requires_grad());
        at::Tensor inference;
        {
            at::NoGradGuard noGrad;
            inference = llama->forward(ids);
        }
        // The same fp32 products grouped differently: a few ulps of O(1) logits.
        EXPECT_TRUE(closeTo(training, inference, {1e-5, 1e-5}));
    }
}

TEST(LlamaCpuTraining, AdapterGradientsMatchFiniteDifferences) {
    for (const auto& targets : kTargets) {
        SCOPED_TRACE(targets.size());
        model::LlamaForCausalLM llama = makeModel(targets, at::kDouble);
        const at::Tensor ids = inputIds();
        auto loss = [&] { return train::tokenNll(llama->forward(ids), ids).sum(); };
        for (auto& tensor : llama->loraParameters()) tensor.mutable_grad() = at::Tensor();
        loss().backward();
        for (auto& tensor : llama->loraParameters()) {
            ASSERT_TRUE(tensor.grad().defined());
            // A few entries of each adapter matrix, by central differences of the inference path.
            at::NoGradGuard noGrad;
            at::Tensor flat = tensor.view({-1});
            for (int64_t i = 0; i < flat.numel(); i += std::max<int64_t>(1, flat.numel() / 3)) {
                const double original = flat[i].item<double>(), step = 1e-6;
                flat[i] = original + step;
                const double plus = loss().item<double>();
                flat[i] = original - step;
                const double minus = loss().item<double>();
                flat[i] = original;
                const double numeric = (plus - minus) / (2.0 * step);
                EXPECT_NEAR(tensor.grad().view({-1})[i].item<double>(), numeric, 1e-6 + 1e-5 * std::abs(numeric));
            }
        }
    }
}

}  // namespace
