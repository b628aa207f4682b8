// Engine benchmark: one LoRA training step (forward + backward + AdamW on the adapters) for a
// ~2M and a ~20M parameter Llama config, and greedy decoding with and without the KV cache.
// Prints one JSON object per measurement; experiments/bench/engine_vs_pytorch.sh compares it with
// the same model in PyTorch eager (bench_engine_torch.py) on the same torch build and threads.
#include "core/model/generate.h"
#include "core/model/llama.h"
#include "core/train/loss.h"
#include "core/train/optimizer.h"
#include "ctd/kernels/backend.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <cstdlib>
#include <iostream>
#include <string>

using namespace ctd;

namespace {

struct Shape {
    const char* name;
    int64_t hidden, intermediate, layers, heads;
};

model::LlamaConfig configOf(const Shape& s) {
    model::LlamaConfig c;
    c.vocabSize = 1024;
    c.hiddenSize = s.hidden;
    c.intermediateSize = s.intermediate;
    c.numHiddenLayers = s.layers;
    c.numAttentionHeads = s.heads;
    c.numKeyValueHeads = s.heads;
    c.headDim = s.hidden / s.heads;
    c.maxPositionEmbeddings = 512;
    return c;
}

double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Processor time of the whole process: on a machine shared with other jobs it moves much less
// than wall time (with one thread it is the work done), so the ratio script reports both.
double processorSeconds() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec);
}

void benchTraining(const Shape& shape, int64_t batch, int64_t time, int steps) {
    at::manual_seed(0);
    model::LlamaForCausalLM llama(configOf(shape));
    model::LoraSettings lora;
    lora.dropout = 0.05;
    llama->addLora(lora);
    llama->train();
    std::vector<std::pair<std::string, at::Tensor>> parameters;
    for (const auto& item : llama->named_parameters(true))
        if (item.value().requires_grad()) parameters.emplace_back(item.key(), item.value());
    train::OptimizerSettings settings;
    train::AdamW optimizer(parameters, settings);
    const at::Tensor ids = at::randint(3, 1024, {batch, time}, at::kLong);
    auto step = [&] {
        optimizer.zeroGrad();
        const at::Tensor logits = llama->forward(ids);
        const at::Tensor loss = train::microBatchLoss(train::LossType::TokenMean, logits, ids, {}, {batch, 1, {}});
        loss.backward();
        optimizer.step(3e-4);
    };
    for (int i = 0; i < 3; ++i) step();
    const auto start = std::chrono::steady_clock::now();
    const double processorStart = processorSeconds();
    for (int i = 0; i < steps; ++i) step();
    const double elapsed = seconds(start) / steps;
    const double processor = (processorSeconds() - processorStart) / steps;
    // CTD_BENCH_PROFILE=<prefix>: a chrome trace of five more steps per config, <prefix><config>.json.
    if (const char* prefix = std::getenv("CTD_BENCH_PROFILE")) {
        torch::autograd::profiler::RecordProfile profile(std::string(prefix) + shape.name + ".json");
        for (int i = 0; i < 5; ++i) step();
    }
    std::cout << nlohmann::json{{"bench", "lora_train_step"}, {"impl", "ctd"}, {"config", shape.name},
                                {"parameters", configOf(shape).parameterCount()}, {"batch", batch}, {"seq", time},
                                {"ms_per_step", elapsed * 1000.0}, {"tokens_per_s", batch * time / elapsed},
                                {"cpu_ms_per_step", processor * 1000.0},
                                {"kernels", kernels::backendDescription()}}
                     .dump()
              << std::endl;
}

void benchDecoding(const Shape& shape, int64_t newTokens) {
    at::manual_seed(0);
    model::LlamaForCausalLM llama(configOf(shape));
    std::vector<int64_t> prompt = {1};
    for (int i = 0; i < 31; ++i) prompt.push_back(5 + i);
    for (bool cache : {true, false}) {
        model::GenerationSettings s;
        s.maxNewTokens = newTokens;
        s.eosId = -1;  // never stop early: time exactly newTokens steps
        s.useCache = cache;
        model::generate(llama, {prompt}, s);  // warm-up
        const auto start = std::chrono::steady_clock::now();
        const auto out = model::generate(llama, {prompt}, s);
        const double elapsed = seconds(start);
        std::cout << nlohmann::json{{"bench", "greedy_decode"}, {"impl", cache ? "ctd_kv_cache" : "ctd_no_cache"},
                                    {"config", shape.name}, {"prompt_tokens", prompt.size()},
                                    {"new_tokens", out[0].size()}, {"tokens_per_s", out[0].size() / elapsed}}
                         .dump()
                  << std::endl;
    }
}

}  // namespace

int main(int argc, char** argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
    const std::string only = argc > 2 ? argv[2] : "";  // e.g. "tiny": that training config alone
    at::set_num_threads(threads);
    at::set_num_interop_threads(1);
    const Shape tiny{"tiny", 128, 352, 4, 4};  // the committed tiny-llama models; 16 x 64 = demo micro-batch
    const Shape small{"2M", 192, 512, 4, 6};
    const Shape large{"20M", 512, 1376, 6, 8};
    benchTraining(tiny, 16, 64, 30);
    if (only == "tiny") return 0;
    benchTraining(small, 4, 128, 20);
    benchTraining(large, 4, 128, 8);
    benchDecoding(small, 128);
    benchDecoding(large, 64);
    return 0;
}
