// Llama decoder forward pass, matching HF transformers' LlamaForCausalLM (eager attention).
#include "core/model/llama.h"

#include "core/util/error.h"

#include "ctd/kernels/lora_linear.h"
#include "ctd/kernels/rmsnorm.h"
#include "ctd/kernels/rotary.h"
#include "ctd/kernels/swiglu.h"

#include <torch/nn/init.h>

#include <cmath>
#include <limits>

namespace ctd::model {

void KvCache::selectRows(const at::Tensor& rows) {
    for (auto& k : keys)
        if (k.defined()) k = k.index_select(0, rows);
    for (auto& v : values)
        if (v.defined()) v = v.index_select(0, rows);
}

// ---------------------------------------------------------------------------------------------
ProjectionImpl::ProjectionImpl(int64_t inFeatures, int64_t outFeatures) {
    weight = register_parameter("weight", at::empty({outFeatures, inFeatures}));
    torch::nn::init::normal_(weight, 0.0, 0.02);
}

at::Tensor ProjectionImpl::forward(const at::Tensor& x) {
    // The fused LoRA op adds scale * B(A dropout(x)) into the base output in place (CUDA kernels,
    // or ATen products with the fused CPU dropout loop). Its dropout mask is PEFT's distribution
    // from a counter-based hash whose seed comes from ATen's generator, so seeded runs repeat.
    if (hasLora()) {
        const auto dropout = m_dropout > 0.0 && is_training() ? kernels::LoraDropout::draw(m_dropout)
                                                              : kernels::LoraDropout{};
        return kernels::loraLinear(x, weight, m_loraA->weight, m_loraB->weight, m_scale, dropout);
    }
    return at::linear(x, weight);
}

at::Tensor ProjectionImpl::addLoraTo(const at::Tensor& base, const at::Tensor& x) {
    if (!hasLora()) return base;
    const auto dropout = m_dropout > 0.0 && is_training() ? kernels::LoraDropout::draw(m_dropout)
                                                          : kernels::LoraDropout{};
    const at::Tensor rows = x.reshape({-1, x.size(-1)});
    const at::Tensor ax = at::mm(kernels::loraDropout(rows, dropout), m_loraA->weight.t());
    // base + scale * ax B^T in one product with beta = 1, as the fused op's in-place addmm.
    const at::Tensor y = at::addmm(base.reshape({-1, base.size(-1)}), ax, m_loraB->weight.t(), 1.0, m_scale);
    return y.view(base.sizes());
}

void ProjectionImpl::addLora(int64_t rank, double alpha, double dropout) {
    if (rank <= 0) throw ConfigError("LoRA rank must be positive, got " + std::to_string(rank));
    removeLora();
    const int64_t out = weight.size(0), in = weight.size(1);
    // nn.Linear's default init is kaiming_uniform(a=sqrt(5)), PEFT's default for lora_A; B is zero.
    m_loraA = register_module("lora_A", torch::nn::Linear(torch::nn::LinearOptions(in, rank).bias(false)));
    m_loraB = register_module("lora_B", torch::nn::Linear(torch::nn::LinearOptions(rank, out).bias(false)));
    {
        at::NoGradGuard noGrad;
        m_loraB->weight.zero_();
    }
    m_loraA->to(weight.device(), weight.scalar_type());
    m_loraB->to(weight.device(), weight.scalar_type());
    m_scale = alpha / static_cast<double>(rank);
    m_dropout = dropout;
}

void ProjectionImpl::mergeLora() {
    if (!hasLora()) return;
    {
        at::NoGradGuard noGrad;
        const at::Tensor delta = at::matmul(m_loraB->weight.to(at::kFloat), m_loraA->weight.to(at::kFloat)) * m_scale;
        weight.add_(delta.to(weight.scalar_type()));
    }
    removeLora();
}

void ProjectionImpl::removeLora() {
    if (!hasLora()) return;
    unregister_module("lora_A");
    unregister_module("lora_B");
    m_loraA = torch::nn::Linear(nullptr);
    m_loraB = torch::nn::Linear(nullptr);
    m_scale = 0.0;
}

// ---------------------------------------------------------------------------------------------
at::Tensor StackedWeights::get(const std::vector<at::Tensor>& weights) {
    bool trained = false;
    for (const auto& weight : weights) trained = trained || weight.requires_grad();
    if (trained) return at::cat(weights, 0);
    // Equal data pointers mean the same memory (the sources keep it alive), and the shared version
    // counters see every in-place update.
    bool fresh = m_stacked.defined() && m_sources.size() == weights.size() &&
                 m_stacked.scalar_type() == weights[0].scalar_type();
    for (size_t i = 0; fresh && i < weights.size(); ++i)
        fresh = m_sources[i].data_ptr() == weights[i].data_ptr() &&
                m_versions[i] == static_cast<int64_t>(weights[i]._version());
    if (!fresh) {
        at::NoGradGuard noGrad;
        m_stacked = at::cat(weights, 0);
        m_sources.clear();
        m_versions.clear();
        for (const auto& weight : weights) {
            m_sources.push_back(weight.detach());
            m_versions.push_back(static_cast<int64_t>(weight._version()));
        }
    }
    return m_stacked;
}

bool stackProjections(const at::Tensor& x) {
    return !x.is_cuda() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble) &&
           at::GradMode::is_enabled();
}

// ---------------------------------------------------------------------------------------------
RmsNormImpl::RmsNormImpl(int64_t size, double eps) : m_eps(eps) {
    weight = register_parameter("weight", at::ones({size}));
}

// The fused ops (CUDA kernels, CPU loops) cover CUDA tensors and fp32/fp64 CPU tensors; other CPU
// dtypes keep HF's eager composition verbatim.
static bool useFusedOps(const at::Tensor& x) {
    return x.is_cuda() || x.scalar_type() == at::kFloat || x.scalar_type() == at::kDouble;
}

at::Tensor RmsNormImpl::forward(const at::Tensor& x) {
    if (useFusedOps(x)) return kernels::rmsNorm(x, weight, m_eps);
    // HF computes the statistics in fp32 and casts back before scaling by the weight.
    const at::Tensor x32 = x.to(at::kFloat);
    const at::Tensor variance = x32.pow(2).mean(-1, /*keepdim=*/true);
    return weight * (x32 * at::rsqrt(variance + m_eps)).to(x.scalar_type());
}

// ---------------------------------------------------------------------------------------------
RotaryTables rotaryTables(const at::Tensor& positionIds, int64_t headDim, double theta, at::ScalarType dtype) {
    const auto floatOptions = at::TensorOptions().dtype(at::kFloat).device(positionIds.device());
    // inv_freq = 1 / theta^(arange(0, D, 2) / D), computed as HF does (int64 arange cast to float).
    const at::Tensor exponents = at::arange(0, headDim, 2, floatOptions.dtype(at::kLong)).to(at::kFloat) /
                                 static_cast<double>(headDim);
    const at::Tensor invFreq = 1.0 / at::pow(theta, exponents);
    const at::Tensor freqs = positionIds.to(at::kFloat).unsqueeze(-1) * invFreq;  // (B, T, D/2)
    const at::Tensor emb = at::cat({freqs, freqs}, -1);
    return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

static at::Tensor rotateHalf(const at::Tensor& x) {
    const int64_t half = x.size(-1) / 2;
    return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

at::Tensor applyRotary(const at::Tensor& x, const RotaryTables& tables) {
    if (useFusedOps(x)) return kernels::rotary(x, tables.cos, tables.sin);
    const at::Tensor cos = tables.cos.unsqueeze(1), sin = tables.sin.unsqueeze(1);
    return x * cos + rotateHalf(x) * sin;
}

at::Tensor buildAttentionMask(const at::Tensor& attentionMask, int64_t queryLength, int64_t pastLength,
                              at::ScalarType dtype, const at::Device& device) {
    const int64_t keyLength = pastLength + queryLength;
    const auto longOptions = at::TensorOptions().dtype(at::kLong).device(device);
    const at::Tensor queryPositions = at::arange(pastLength, keyLength, longOptions).unsqueeze(1);
    const at::Tensor keyPositions = at::arange(0, keyLength, longOptions).unsqueeze(0);
    at::Tensor allowed = (keyPositions <= queryPositions).unsqueeze(0).unsqueeze(0);  // (1,1,T,K)
    if (attentionMask.defined()) {
        TORCH_CHECK(attentionMask.size(1) == keyLength, "attention mask covers ", attentionMask.size(1),
                    " positions, expected ", keyLength);
        allowed = allowed & attentionMask.to(device).to(at::kBool).unsqueeze(1).unsqueeze(1);
    }
    // A finite minimum (as HF) keeps fully masked rows (left padding) free of NaN.
    const double minimum = dtype == at::kFloat    ? std::numeric_limits<float>::lowest()
                           : dtype == at::kDouble ? std::numeric_limits<double>::lowest()
                           : dtype == at::kHalf   ? -65504.0
                                                  : -3.3895313892515355e38;
    at::Tensor mask = at::zeros(allowed.sizes(), at::TensorOptions().dtype(dtype).device(device));
    return mask.masked_fill(allowed.logical_not(), minimum);
}

// ---------------------------------------------------------------------------------------------
AttentionImpl::AttentionImpl(const LlamaConfig& c)
    : m_heads(c.numAttentionHeads), m_kvHeads(c.numKeyValueHeads), m_headDim(c.headDim) {
    q_proj = register_module("q_proj", Projection(c.hiddenSize, c.numAttentionHeads * c.headDim));
    k_proj = register_module("k_proj", Projection(c.hiddenSize, c.numKeyValueHeads * c.headDim));
    v_proj = register_module("v_proj", Projection(c.hiddenSize, c.numKeyValueHeads * c.headDim));
    o_proj = register_module("o_proj", Projection(c.numAttentionHeads * c.headDim, c.hiddenSize));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const RotaryTables& rotary, const at::Tensor& mask,
                                  KvCache* cache, int64_t layerIndex) {
    const int64_t batch = x.size(0), time = x.size(1);
    at::Tensor qFlat, kFlat, vFlat;
    if (stackProjections(x)) {
        // CPU training: one product for q, k and v (adapters added to their slices), so the
        // input's gradient is one product too.
        const at::Tensor stacked = at::linear(x, m_qkv.get({q_proj->weight, k_proj->weight, v_proj->weight}));
        const auto parts = stacked.split_with_sizes({q_proj->weight.size(0), k_proj->weight.size(0),
                                                     v_proj->weight.size(0)}, -1);
        qFlat = q_proj->addLoraTo(parts[0], x);
        kFlat = k_proj->addLoraTo(parts[1], x);
        vFlat = v_proj->addLoraTo(parts[2], x);
    } else {
        qFlat = q_proj->forward(x);
        kFlat = k_proj->forward(x);
        vFlat = v_proj->forward(x);
    }
    at::Tensor q = qFlat.view({batch, time, m_heads, m_headDim}).transpose(1, 2);
    at::Tensor k = kFlat.view({batch, time, m_kvHeads, m_headDim}).transpose(1, 2);
    at::Tensor v = vFlat.view({batch, time, m_kvHeads, m_headDim}).transpose(1, 2);
    q = applyRotary(q, rotary);
    k = applyRotary(k, rotary);
    if (cache) {
        auto& cachedKeys = cache->keys[layerIndex];
        auto& cachedValues = cache->values[layerIndex];
        if (cachedKeys.defined()) {
            k = at::cat({cachedKeys, k}, 2);
            v = at::cat({cachedValues, v}, 2);
        }
        cachedKeys = k;
        cachedValues = v;
    }
    if (m_kvHeads != m_heads) {
        // Grouped-query attention: each key/value head serves heads/kv_heads query heads in a row.
        k = k.repeat_interleave(m_heads / m_kvHeads, 1);
        v = v.repeat_interleave(m_heads / m_kvHeads, 1);
    }
    at::Tensor out;
    if (mask.defined()) {
        out = at::scaled_dot_product_attention(q, k, v, mask);
    } else {
        out = at::scaled_dot_product_attention(q, k, v, {}, 0.0, /*is_causal=*/time > 1);
    }
    out = out.transpose(1, 2).reshape({batch, time, m_heads * m_headDim});
    return o_proj->forward(out);
}

// ---------------------------------------------------------------------------------------------
MlpImpl::MlpImpl(const LlamaConfig& c) {
    gate_proj = register_module("gate_proj", Projection(c.hiddenSize, c.intermediateSize));
    up_proj = register_module("up_proj", Projection(c.hiddenSize, c.intermediateSize));
    down_proj = register_module("down_proj", Projection(c.intermediateSize, c.hiddenSize));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
    // CPU training: gate and up as one product with the stacked weights, and their gradients as
    // one product back (the packed SwiGLU writes them side by side); only without adapters there.
    const bool stack = stackProjections(x) && !gate_proj->hasLora() && !up_proj->hasLora();
    if (stack) {
        const at::Tensor weight = m_gateUp.get({gate_proj->weight, up_proj->weight});
        return down_proj->forward(kernels::swigluPacked(at::linear(x, weight)));
    }
    if (useFusedOps(x)) return down_proj->forward(kernels::swiglu(gate_proj->forward(x), up_proj->forward(x)));
    return down_proj->forward(at::silu(gate_proj->forward(x)) * up_proj->forward(x));
}

DecoderLayerImpl::DecoderLayerImpl(const LlamaConfig& c) {
    self_attn = register_module("self_attn", Attention(c));
    mlp = register_module("mlp", Mlp(c));
    input_layernorm = register_module("input_layernorm", RmsNorm(c.hiddenSize, c.rmsNormEps));
    post_attention_layernorm = register_module("post_attention_layernorm", RmsNorm(c.hiddenSize, c.rmsNormEps));
}

at::Tensor DecoderLayerImpl::forward(const at::Tensor& x, const RotaryTables& rotary, const at::Tensor& mask,
                                     KvCache* cache, int64_t layerIndex) {
    at::Tensor h = x + self_attn->forward(input_layernorm->forward(x), rotary, mask, cache, layerIndex);
    return h + mlp->forward(post_attention_layernorm->forward(h));
}

// ---------------------------------------------------------------------------------------------
LlamaModelImpl::LlamaModelImpl(const LlamaConfig& c) : m_config(c) {
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
    torch::nn::init::normal_(embed_tokens->weight, 0.0, 0.02);
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numHiddenLayers; ++i) layers->push_back(DecoderLayer(c));
    norm = register_module("norm", RmsNorm(c.hiddenSize, c.rmsNormEps));
}

at::Tensor LlamaModelImpl::forward(const at::Tensor& inputIds, const at::Tensor& positionIds, const at::Tensor& mask,
                                   KvCache* cache) {
    at::Tensor h = embed_tokens->forward(inputIds);
    const RotaryTables rotary = rotaryTables(positionIds, m_config.headDim, m_config.ropeTheta, h.scalar_type());
    for (int64_t i = 0; i < static_cast<int64_t>(layers->size()); ++i)
        h = layers[i]->as<DecoderLayer>()->forward(h, rotary, mask, cache, i);
    return norm->forward(h);
}

// ---------------------------------------------------------------------------------------------
LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig& c) : m_config(c) {
    model = register_module("model", LlamaModel(c));
    if (!c.tieWordEmbeddings) {
        lm_head = register_module("lm_head",
                                  torch::nn::Linear(torch::nn::LinearOptions(c.hiddenSize, c.vocabSize).bias(false)));
        torch::nn::init::normal_(lm_head->weight, 0.0, 0.02);
    }
}

KvCache LlamaForCausalLMImpl::makeCache() const {
    KvCache cache;
    cache.keys.resize(m_config.numHiddenLayers);
    cache.values.resize(m_config.numHiddenLayers);
    return cache;
}

at::Tensor LlamaForCausalLMImpl::headWeight() const {
    return lm_head.is_empty() ? model->embed_tokens->weight : lm_head->weight;
}

at::Tensor LlamaForCausalLMImpl::hiddenStates(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                                              const at::Tensor& positionIds, KvCache* cache) {
    TORCH_CHECK(inputIds.dim() == 2, "input ids must be (batch, time), got ", inputIds.sizes());
    const int64_t batch = inputIds.size(0), time = inputIds.size(1);
    const int64_t past = cache ? cache->length() : 0;
    at::Tensor positions = positionIds;
    if (!positions.defined())
        positions = at::arange(past, past + time, inputIds.options().dtype(at::kLong)).unsqueeze(0).expand({batch, time});
    const at::ScalarType dtype = model->embed_tokens->weight.scalar_type();
    at::Tensor mask;
    // Without padding, a single query (decoding) or a fresh causal block needs no explicit mask.
    if (attentionMask.defined() || (past > 0 && time > 1))
        mask = buildAttentionMask(attentionMask, time, past, dtype, inputIds.device());
    return model->forward(inputIds, positions, mask, cache);
}

at::Tensor LlamaForCausalLMImpl::forward(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                                         const at::Tensor& positionIds, KvCache* cache) {
    return at::linear(hiddenStates(inputIds, attentionMask, positionIds, cache), headWeight());
}

std::vector<Projection> LlamaForCausalLMImpl::projections(const std::string& kind) const {
    std::vector<Projection> found;
    for (const auto& layerModule : *model->layers) {
        auto layer = layerModule->as<DecoderLayerImpl>();
        const auto& a = layer->self_attn;
        const auto& m = layer->mlp;
        if (kind == "q_proj") found.push_back(a->q_proj);
        else if (kind == "k_proj") found.push_back(a->k_proj);
        else if (kind == "v_proj") found.push_back(a->v_proj);
        else if (kind == "o_proj") found.push_back(a->o_proj);
        else if (kind == "gate_proj") found.push_back(m->gate_proj);
        else if (kind == "up_proj") found.push_back(m->up_proj);
        else if (kind == "down_proj") found.push_back(m->down_proj);
        else throw ConfigError("unknown LoRA target module '" + kind +
                               "' (expected q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj or down_proj)");
    }
    return found;
}

void LlamaForCausalLMImpl::addLora(const LoraSettings& settings) {
    for (auto& parameter : parameters()) parameter.set_requires_grad(false);
    for (const auto& target : settings.targetModules)
        for (auto& projection : projections(target)) projection->addLora(settings.rank, settings.alpha, settings.dropout);
    m_lora = settings;
}

void LlamaForCausalLMImpl::mergeLora() {
    if (!m_lora) return;
    for (const auto& target : m_lora->targetModules)
        for (auto& projection : projections(target)) projection->mergeLora();
    m_lora.reset();
}

bool LlamaForCausalLMImpl::hasLora() const { return m_lora.has_value(); }

std::vector<std::pair<std::string, at::Tensor>> LlamaForCausalLMImpl::loraState() const {
    std::vector<std::pair<std::string, at::Tensor>> state;
    for (const auto& item : named_parameters(/*recurse=*/true)) {
        const std::string& name = item.key();
        if (name.find(".lora_A.") != std::string::npos || name.find(".lora_B.") != std::string::npos)
            state.emplace_back("base_model.model." + name, item.value());
    }
    return state;
}

std::vector<at::Tensor> LlamaForCausalLMImpl::loraParameters() const {
    std::vector<at::Tensor> found;
    for (const auto& item : loraState()) found.push_back(item.second);
    return found;
}

}  // namespace ctd::model
