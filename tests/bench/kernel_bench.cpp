// Kernel benchmark (target ctd_kernel_bench, built on request): each fused op against the eager
// ATen composition it replaces (time and peak memory, forward and forward+backward), then a LoRA
// training step through Llama-7B-shaped decoder layers with and without the fused ops, reported
// as tokens/s and model FLOPs utilization against the GPU's dense bf16 peak.
//
//   ctd_kernel_bench [--smoke] [--device cuda|cpu] [--dtype bf16|fp16|fp32] [--layers 2]
//                    [--batch 1] [--seq 2048] [--steps 10] [--warmup 3] [--peak-tflops 989]
//
// --smoke shrinks every shape so the whole program runs in seconds on a CPU (a check that it works,
// not a measurement).
#include "ctd/kernels/backend.h"
#include "ctd/kernels/cross_entropy.h"
#include "ctd/kernels/decode_attention.h"
#include "ctd/kernels/eager.h"
#include "ctd/kernels/lora_linear.h"
#include "ctd/kernels/rmsnorm.h"
#include "ctd/kernels/rotary.h"
#include "ctd/kernels/swiglu.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <torch/cuda.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace kernels = ctd::kernels;

struct Options {
    bool smoke = false;
    std::string device = "cuda";
    at::ScalarType dtype = at::kBFloat16;
    int64_t layers = 2, batch = 1, seq = 2048, steps = 10, warmup = 3;
    double peakTflops = 989.0;  // H100/H200 SXM dense bf16
};

// Llama-7B: hidden 4096, 32 heads (no GQA), intermediate 11008, vocabulary 32000; LoRA as the
// paper's runs: rank 8, alpha 16, dropout 0.05 on q_proj and v_proj.
struct Model {
    int64_t hidden = 4096, heads = 32, kvHeads = 32, intermediate = 11008, vocab = 32000, rank = 8;
    double alpha = 16.0, dropout = 0.05, eps = 1e-5;
    int64_t headDim() const { return hidden / heads; }
};

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error("missing value after " + arg);
            return argv[++i];
        };
        if (arg == "--smoke") options.smoke = true;
        else if (arg == "--device") options.device = value();
        else if (arg == "--dtype") {
            const std::string d = value();
            options.dtype = d == "fp32" ? at::kFloat : d == "fp16" ? at::kHalf : d == "bf16" ? at::kBFloat16
                                                                                                : throw std::runtime_error("dtype must be bf16, fp16 or fp32");
        } else if (arg == "--layers") options.layers = std::stoll(value());
        else if (arg == "--batch") options.batch = std::stoll(value());
        else if (arg == "--seq") options.seq = std::stoll(value());
        else if (arg == "--steps") options.steps = std::stoll(value());
        else if (arg == "--warmup") options.warmup = std::stoll(value());
        else if (arg == "--peak-tflops") options.peakTflops = std::stod(value());
        else throw std::runtime_error("unknown argument " + arg + " (see the header of kernel_bench.cpp)");
    }
    return options;
}

bool onCuda(const at::Device& device) { return device.is_cuda(); }

void synchronize(const at::Device& device) {
    if (onCuda(device)) torch::cuda::synchronize();
}

// Mean milliseconds per call after `warmup` untimed calls.
double timeMs(const std::function<void()>& body, const at::Device& device, int64_t warmup, int64_t iterations) {
    for (int64_t i = 0; i < warmup; ++i) body();
    synchronize(device);
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < iterations; ++i) body();
    synchronize(device);
    const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / static_cast<double>(iterations);
}

// Peak MB allocated above the starting point during one call (CUDA only; -1 elsewhere).
double peakMb(const std::function<void()>& body, const at::Device& device) {
    if (!onCuda(device) || !kernels::builtWithCuda()) {
        body();
        return -1.0;
    }
    synchronize(device);
    kernels::resetCudaPeakAllocatedBytes(device.index() < 0 ? 0 : device.index());
    const int64_t start = kernels::cudaPeakAllocatedBytes(device.index() < 0 ? 0 : device.index());
    body();
    synchronize(device);
    return static_cast<double>(kernels::cudaPeakAllocatedBytes(device.index() < 0 ? 0 : device.index()) - start) / 1e6;
}

std::string megabytes(double value) {
    if (value < 0) return "n/a";
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

at::Tensor random(at::IntArrayRef shape, const at::TensorOptions& options, double scale = 1.0) {
    return at::randn(shape, options.dtype(at::kFloat)).mul_(scale).to(options.dtype().toScalarType());
}

std::pair<at::Tensor, at::Tensor> rotaryTables(int64_t batch, int64_t seq, int64_t headDim, const at::Device& device) {
    const auto options = at::TensorOptions(device).dtype(at::kFloat);
    const at::Tensor positions = at::arange(seq, options).unsqueeze(0).expand({batch, seq});
    const at::Tensor inverse = 1.0 / at::pow(10000.0, at::arange(0, headDim, 2, options) / double(headDim));
    const at::Tensor frequencies = positions.unsqueeze(-1) * inverse;
    const at::Tensor angles = at::cat({frequencies, frequencies}, -1);
    return {angles.cos(), angles.sin()};
}

// ---------------------------------------------------------------------------------------------
// Part 1: one op at a time.

struct Pair {
    std::string name, shape;
    std::function<std::vector<at::Tensor>()> inputs;  // fresh leaves (requires_grad where trained)
    std::function<at::Tensor(const std::vector<at::Tensor>&)> fused, eager;
    bool backward = true;
};

void runOp(const Pair& pair, const Options& options, const at::Device& device) {
    const std::vector<at::Tensor> inputs = pair.inputs();
    const int64_t iterations = options.smoke ? 2 : 20, warmup = options.smoke ? 1 : 3;
    auto forward = [&](const auto& f) {
        return [&, f]() {
            at::NoGradGuard noGrad;
            f(inputs);
        };
    };
    auto training = [&](const auto& f) {
        return [&, f]() {
            for (const auto& input : inputs)
                if (input.requires_grad()) input.mutable_grad() = at::Tensor();
            const at::Tensor out = f(inputs);
            out.backward(at::ones_like(out));
        };
    };
    const double fusedForward = timeMs(forward(pair.fused), device, warmup, iterations);
    const double eagerForward = timeMs(forward(pair.eager), device, warmup, iterations);
    std::printf("%-22s %-30s %-8s %9.3f %9.3f %7.2fx", pair.name.c_str(), pair.shape.c_str(), "fwd", fusedForward,
                eagerForward, eagerForward / fusedForward);
    std::printf("\n");
    if (!pair.backward) return;
    const double fusedTraining = timeMs(training(pair.fused), device, warmup, iterations);
    const double eagerTraining = timeMs(training(pair.eager), device, warmup, iterations);
    const double fusedMemory = peakMb(training(pair.fused), device);
    const double eagerMemory = peakMb(training(pair.eager), device);
    std::printf("%-22s %-30s %-8s %9.3f %9.3f %7.2fx %9s %9s\n", pair.name.c_str(), pair.shape.c_str(), "fwd+bwd",
                fusedTraining, eagerTraining, eagerTraining / fusedTraining, megabytes(fusedMemory).c_str(),
                megabytes(eagerMemory).c_str());
}

void benchmarkOps(const Options& options, const Model& m, const at::Device& device) {
    const auto typed = at::TensorOptions(device).dtype(options.dtype);
    const int64_t tokens = options.batch * options.seq, headDim = m.headDim();
    const double scale = m.alpha / double(m.rank);
    const std::string rows = std::to_string(tokens) + "x";
    std::vector<Pair> pairs;

    pairs.push_back({"rmsnorm", rows + std::to_string(m.hidden),
                     [=] { return std::vector<at::Tensor>{random({tokens, m.hidden}, typed).requires_grad_(true),
                                                          at::ones({m.hidden}, typed)}; },
                     [=](const auto& t) { return kernels::rmsNorm(t[0], t[1], m.eps); },
                     [=](const auto& t) { return kernels::eager::rmsNorm(t[0], t[1], m.eps); }});

    const auto [cos, sin] = rotaryTables(options.batch, options.seq, headDim, device);
    pairs.push_back({"rotary (q view)",
                     std::to_string(options.batch) + "x" + std::to_string(m.heads) + "x" + std::to_string(options.seq) +
                         "x" + std::to_string(headDim),
                     [=] {
                         // q straight from its projection: (B, T, heads, D) viewed as (B, heads, T, D).
                         return std::vector<at::Tensor>{random({options.batch, options.seq, m.heads, headDim}, typed)
                                                            .requires_grad_(true)};
                     },
                     [=](const auto& t) { return kernels::rotary(t[0].transpose(1, 2), cos, sin); },
                     [=](const auto& t) { return kernels::eager::rotary(t[0].transpose(1, 2), cos, sin); }});

    pairs.push_back({"swiglu", rows + std::to_string(m.intermediate),
                     [=] { return std::vector<at::Tensor>{random({tokens, m.intermediate}, typed).requires_grad_(true),
                                                          random({tokens, m.intermediate}, typed).requires_grad_(true)}; },
                     [=](const auto& t) { return kernels::swiglu(t[0], t[1]); },
                     [=](const auto& t) { return kernels::eager::swiglu(t[0], t[1]); }});

    for (const double dropout : {0.0, m.dropout}) {
        const double fanIn = 1.0 / std::sqrt(double(m.hidden));
        pairs.push_back({dropout > 0 ? "lora q_proj p=0.05" : "lora q_proj p=0",
                         rows + std::to_string(m.hidden) + " r" + std::to_string(m.rank),
                         [=] {
                             return std::vector<at::Tensor>{random({tokens, m.hidden}, typed).requires_grad_(true),
                                                            random({m.hidden, m.hidden}, typed, fanIn),
                                                            random({m.rank, m.hidden}, typed, fanIn).requires_grad_(true),
                                                            random({m.hidden, m.rank}, typed, 0.01).requires_grad_(true)};
                         },
                         [=](const auto& t) {
                             return kernels::loraLinear(t[0], t[1], t[2], t[3], scale, kernels::LoraDropout::draw(dropout));
                         },
                         [=](const auto& t) {  // PEFT: dropout(x) is materialized and saved
                             const at::Tensor input = dropout > 0 ? at::dropout(t[0], dropout, true) : t[0];
                             return at::linear(t[0], t[1]) + at::linear(at::linear(input, t[2]), t[3]) * scale;
                         }});
    }

    const int64_t chunk = 4096;
    pairs.push_back({"cross-entropy+head", rows + std::to_string(m.hidden) + " V" + std::to_string(m.vocab),
                     [=] {
                         return std::vector<at::Tensor>{
                             random({tokens, m.hidden}, typed).requires_grad_(true),
                             random({m.vocab, m.hidden}, typed, 0.02),
                             at::randint(m.vocab, {tokens}, at::TensorOptions(device).dtype(at::kLong))};
                     },
                     [=](const auto& t) { return kernels::crossEntropyChunked(t[0], t[1], t[2], -100, chunk); },
                     [=](const auto& t) { return kernels::eager::crossEntropy(t[0], t[1], t[2], -100, false); }});

    // Decoding: 8 sequences with 1024..2047 cached tokens, no gradient.
    const int64_t decodeBatch = options.smoke ? 2 : 8, capacity = options.seq;
    pairs.push_back(
        {"decode attention", std::to_string(decodeBatch) + "x" + std::to_string(m.heads) + " cap " + std::to_string(capacity),
         [=] {
             const at::Tensor lengths =
                 (at::arange(decodeBatch, at::TensorOptions(device).dtype(at::kLong)) * (capacity / 2 / decodeBatch)) +
                 capacity / 2 - 1;
             return std::vector<at::Tensor>{random({decodeBatch, m.heads, 1, headDim}, typed),
                                            random({decodeBatch, m.kvHeads, 1, headDim}, typed),
                                            random({decodeBatch, m.kvHeads, capacity, headDim}, typed),
                                            random({decodeBatch, m.kvHeads, capacity, headDim}, typed), lengths};
         },
         [=](const auto& t) { return kernels::decodeAttentionStep(t[0], t[1], t[1], t[2], t[3], t[4]); },
         [=](const auto& t) { return kernels::eager::decodeAttentionStep(t[0], t[1], t[1], t[2], t[3], t[4]); },
         /*backward=*/false});

    std::printf("\n%-22s %-30s %-8s %9s %9s %8s %9s %9s\n", "op", "shape", "pass", "fused ms", "eager ms", "speedup",
                "fused MB", "eager MB");
    for (const auto& pair : pairs) runOp(pair, options, device);
}

// ---------------------------------------------------------------------------------------------
// Part 2: a LoRA training step through Llama-shaped layers.

struct Adapter {
    at::Tensor a, b;
};

struct Layer {
    at::Tensor inputNorm, postNorm, q, k, v, o, gate, up, down;
    Adapter qLora, vLora;
};

struct Network {
    std::vector<Layer> layers;
    at::Tensor finalNorm, head;
};

Network makeNetwork(const Model& m, int64_t layers, const at::TensorOptions& typed) {
    const double fanHidden = 1.0 / std::sqrt(double(m.hidden)), fanInter = 1.0 / std::sqrt(double(m.intermediate));
    Network network;
    for (int64_t i = 0; i < layers; ++i) {
        Layer layer;
        layer.inputNorm = at::ones({m.hidden}, typed);
        layer.postNorm = at::ones({m.hidden}, typed);
        layer.q = random({m.hidden, m.hidden}, typed, fanHidden);
        layer.k = random({m.kvHeads * m.headDim(), m.hidden}, typed, fanHidden);
        layer.v = random({m.kvHeads * m.headDim(), m.hidden}, typed, fanHidden);
        layer.o = random({m.hidden, m.hidden}, typed, fanHidden);
        layer.gate = random({m.intermediate, m.hidden}, typed, fanHidden);
        layer.up = random({m.intermediate, m.hidden}, typed, fanHidden);
        layer.down = random({m.hidden, m.intermediate}, typed, fanInter);
        // PEFT's init: A random, B zero (gradients still flow into B, and through B into A later).
        layer.qLora = {random({m.rank, m.hidden}, typed, fanHidden).requires_grad_(true),
                       at::zeros({m.hidden, m.rank}, typed).requires_grad_(true)};
        layer.vLora = {random({m.rank, m.hidden}, typed, fanHidden).requires_grad_(true),
                       at::zeros({m.kvHeads * m.headDim(), m.rank}, typed).requires_grad_(true)};
        network.layers.push_back(layer);
    }
    network.finalNorm = at::ones({m.hidden}, typed);
    network.head = random({m.vocab, m.hidden}, typed, fanHidden);
    return network;
}

at::Tensor trainingLoss(const Network& network, const Model& m, const at::Tensor& input, const at::Tensor& labels,
                        const at::Tensor& cos, const at::Tensor& sin, bool fused) {
    const int64_t batch = input.size(0), seq = input.size(1), headDim = m.headDim();
    const double scale = m.alpha / double(m.rank);
    auto norm = [&](const at::Tensor& x, const at::Tensor& w) {
        return fused ? kernels::rmsNorm(x, w, m.eps) : kernels::eager::rmsNorm(x, w, m.eps);
    };
    auto adapted = [&](const at::Tensor& x, const at::Tensor& w, const Adapter& adapter) {
        if (fused) return kernels::loraLinear(x, w, adapter.a, adapter.b, scale, kernels::LoraDropout::draw(m.dropout));
        const at::Tensor dropped = at::dropout(x, m.dropout, /*train=*/true);
        return at::linear(x, w) + at::linear(at::linear(dropped, adapter.a), adapter.b) * scale;
    };
    auto rope = [&](const at::Tensor& x) {
        return fused ? kernels::rotary(x, cos, sin) : kernels::eager::rotary(x, cos, sin);
    };
    at::Tensor x = input;
    for (const auto& layer : network.layers) {
        const at::Tensor h = norm(x, layer.inputNorm);
        const at::Tensor q = rope(adapted(h, layer.q, layer.qLora).view({batch, seq, m.heads, headDim}).transpose(1, 2));
        const at::Tensor k = rope(at::linear(h, layer.k).view({batch, seq, m.kvHeads, headDim}).transpose(1, 2));
        const at::Tensor v = adapted(h, layer.v, layer.vLora).view({batch, seq, m.kvHeads, headDim}).transpose(1, 2);
        const at::Tensor attention = at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/true, {},
                                                                      /*enable_gqa=*/m.kvHeads != m.heads);
        x = x + at::linear(attention.transpose(1, 2).reshape({batch, seq, m.hidden}), layer.o);
        const at::Tensor h2 = norm(x, layer.postNorm);
        const at::Tensor gate = at::linear(h2, layer.gate), up = at::linear(h2, layer.up);
        x = x + at::linear(fused ? kernels::swiglu(gate, up) : kernels::eager::swiglu(gate, up), layer.down);
    }
    const at::Tensor hidden = norm(x, network.finalNorm);
    return fused ? kernels::crossEntropyChunked(hidden, network.head, labels, -100, 4096)
                 : kernels::eager::crossEntropy(hidden, network.head, labels, -100, false);
}

// Model FLOPs of one step, counting only the work the step must do: forward 2 FLOPs per weight
// per token; backward 2 more for input gradients (base weights are frozen: no weight gradients);
// LoRA adapters forward plus twice that backward; causal attention 2 * T * hidden per token per
// layer forward (QK^T and PV, half the square) and twice that backward. Recomputation (flash
// attention, the chunked loss) is not credited.
double stepFlops(const Model& m, int64_t layers, int64_t batch, int64_t seq) {
    const double tokens = double(batch) * double(seq);
    const double kv = double(m.kvHeads * m.headDim());
    const double layerWeights = double(m.hidden) * (2.0 * m.hidden + 2.0 * kv) + 3.0 * m.hidden * double(m.intermediate);
    const double adapterWeights = double(m.rank) * (2.0 * m.hidden + m.hidden + kv);
    const double attention = 2.0 * double(seq) * double(m.hidden);
    const double perLayer = tokens * (4.0 * layerWeights + 6.0 * adapterWeights + 3.0 * attention);
    const double head = tokens * 4.0 * double(m.vocab) * double(m.hidden);
    return double(layers) * perLayer + head;
}

void benchmarkTraining(const Options& options, const Model& m, const at::Device& device) {
    const auto typed = at::TensorOptions(device).dtype(options.dtype);
    const Network network = makeNetwork(m, options.layers, typed);
    const at::Tensor input = random({options.batch, options.seq, m.hidden}, typed);
    const at::Tensor labels = at::randint(m.vocab, {options.batch, options.seq}, at::TensorOptions(device).dtype(at::kLong));
    const auto [cos, sin] = rotaryTables(options.batch, options.seq, m.headDim(), device);
    const double flops = stepFlops(m, options.layers, options.batch, options.seq);
    const double tokens = double(options.batch * options.seq);

    std::printf("\nLoRA training step: %lld layer(s) hidden %lld, heads %lld, intermediate %lld, vocab %lld, batch %lld x "
                "seq %lld, %s; %.2f TFLOP per step (model FLOPs)\n",
                (long long)options.layers, (long long)m.hidden, (long long)m.heads, (long long)m.intermediate,
                (long long)m.vocab, (long long)options.batch, (long long)options.seq, c10::toString(options.dtype),
                flops / 1e12);
    std::printf("%-8s %10s %12s %10s %8s %10s\n", "variant", "ms/step", "tokens/s", "TFLOP/s", "MFU", "peak MB");
    double eagerMs = 0.0;
    for (const bool fused : {false, true}) {
        auto step = [&]() {
            for (const auto& layer : network.layers)
                for (const auto* adapter : {&layer.qLora, &layer.vLora}) {
                    adapter->a.mutable_grad() = at::Tensor();
                    adapter->b.mutable_grad() = at::Tensor();
                }
            trainingLoss(network, m, input, labels, cos, sin, fused).backward();
        };
        const double ms = timeMs(step, device, options.warmup, options.steps);
        const double memory = peakMb(step, device);
        const double tflops = flops / (ms * 1e-3) / 1e12;
        std::printf("%-8s %10.2f %12.0f %10.1f %7.1f%% %10s\n", fused ? "fused" : "eager", ms, tokens / (ms * 1e-3),
                    tflops, 100.0 * tflops / options.peakTflops, megabytes(memory).c_str());
        if (!fused) eagerMs = ms;
        else std::printf("fused step speed-up over eager: %.2fx\n", eagerMs / ms);
    }
}

}  // namespace

int main(int argc, char** argv) {
    try {
        Options options = parse(argc, argv);
        Model model;
        if (options.smoke) {
            model = Model{64, 4, 2, 176, 101, 4, 16.0, 0.05, 1e-5};
            options.seq = std::min<int64_t>(options.seq, 16);
            options.steps = 1;
            options.warmup = 1;
        }
        if (options.device == "cuda" && !torch::cuda::is_available()) {
            if (!options.smoke) {
                std::fprintf(stderr, "ctd_kernel_bench: no CUDA device (use --smoke --device cpu to check the program)\n");
                return 2;
            }
            options.device = "cpu";
        }
        const at::Device device(options.device);
        at::manual_seed(0);
        std::printf("ctd_kernel_bench: %s; device %s; dtype %s; peak %.0f TFLOP/s\n",
                    kernels::backendDescription().c_str(), options.device.c_str(), c10::toString(options.dtype),
                    options.peakTflops);
        benchmarkOps(options, model, device);
        benchmarkTraining(options, model, device);
        return 0;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "ctd_kernel_bench: error: %s\n", error.what());
        return 1;
    }
}
