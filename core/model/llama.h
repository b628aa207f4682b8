// Llama decoder (RMSNorm, HF-convention rotary embeddings, grouped-query attention, SwiGLU MLP,
// tied or untied head) as libtorch modules whose parameter names are HF's, plus LoRA hooks.
#pragma once
#include "core/model/config.h"
#include "core/model/lora.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <vector>

namespace ctd::model {

// Per-layer key/value cache for incremental decoding. Tensors are (batch, kv_heads, time, head_dim).
struct KvCache {
    std::vector<at::Tensor> keys;
    std::vector<at::Tensor> values;
    int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }
    // Keeps the rows named by `rows` (beam search reordering, dropping finished sequences).
    void selectRows(const at::Tensor& rows);
};

// A bias-free linear projection that can carry a LoRA adapter (submodules lora_A / lora_B, so
// parameter names are PEFT's: `q_proj.lora_A.weight`).
class ProjectionImpl : public torch::nn::Module {
public:
    ProjectionImpl(int64_t inFeatures, int64_t outFeatures);
    at::Tensor forward(const at::Tensor& x);
    void addLora(int64_t rank, double alpha, double dropout);
    // base + this projection's LoRA term for input x (base itself without an adapter): the adapter
    // half of forward(), for a base output computed in a stacked product.
    at::Tensor addLoraTo(const at::Tensor& base, const at::Tensor& x);
    bool hasLora() const { return !m_loraA.is_empty(); }
    // Folds scale * B A into the base weight and removes the adapter.
    void mergeLora();
    void removeLora();
    at::Tensor weight;
    torch::nn::Linear loraA() const { return m_loraA; }
    torch::nn::Linear loraB() const { return m_loraB; }
    double loraScale() const { return m_scale; }

private:
    torch::nn::Linear m_loraA{nullptr};
    torch::nn::Linear m_loraB{nullptr};
    double m_scale = 0.0;
    double m_dropout = 0.0;
};
TORCH_MODULE(Projection);

// Projection weights of one input stacked into one (sum of outs, in) matrix, so that CPU training
// runs one product (and one for the input's gradient) instead of several. Frozen weights are
// stacked once and kept until a weight's storage or version changes (loading, merging an
// adapter); trained weights are stacked by autograd on every call. A copy of the weights, so
// only the training path uses it.
class StackedWeights {
public:
    at::Tensor get(const std::vector<at::Tensor>& weights);

private:
    at::Tensor m_stacked;
    std::vector<at::Tensor> m_sources;  // detached: they keep the storages alive for the pointer check
    std::vector<int64_t> m_versions;
};

// Whether the CPU training path with stacked projections applies to x (fp32/fp64 CPU, grad mode).
bool stackProjections(const at::Tensor& x);

class RmsNormImpl : public torch::nn::Module {
public:
    RmsNormImpl(int64_t size, double eps);
    at::Tensor forward(const at::Tensor& x);
    at::Tensor weight;

private:
    double m_eps;
};
TORCH_MODULE(RmsNorm);

// Rotary position tables for given position ids: cos and sin of shape (batch, time, head_dim),
// computed in fp32 then cast to `dtype`, exactly as HF's LlamaRotaryEmbedding.
struct RotaryTables {
    at::Tensor cos, sin;
};
RotaryTables rotaryTables(const at::Tensor& positionIds, int64_t headDim, double theta, at::ScalarType dtype);
at::Tensor applyRotary(const at::Tensor& x, const RotaryTables& tables);  // x: (B, heads, T, D)

class AttentionImpl : public torch::nn::Module {
public:
    explicit AttentionImpl(const LlamaConfig& config);
    // mask: additive (B, 1, T, past+T) or undefined for plain causal without padding.
    at::Tensor forward(const at::Tensor& x, const RotaryTables& rotary, const at::Tensor& mask, KvCache* cache,
                       int64_t layerIndex);
    Projection q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

private:
    int64_t m_heads, m_kvHeads, m_headDim;
    StackedWeights m_qkv;
};
TORCH_MODULE(Attention);

class MlpImpl : public torch::nn::Module {
public:
    explicit MlpImpl(const LlamaConfig& config);
    at::Tensor forward(const at::Tensor& x);
    Projection gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};

private:
    StackedWeights m_gateUp;
};
TORCH_MODULE(Mlp);

class DecoderLayerImpl : public torch::nn::Module {
public:
    explicit DecoderLayerImpl(const LlamaConfig& config);
    at::Tensor forward(const at::Tensor& x, const RotaryTables& rotary, const at::Tensor& mask, KvCache* cache,
                       int64_t layerIndex);
    Attention self_attn{nullptr};
    Mlp mlp{nullptr};
    RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

class LlamaModelImpl : public torch::nn::Module {
public:
    explicit LlamaModelImpl(const LlamaConfig& config);
    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& positionIds, const at::Tensor& mask,
                       KvCache* cache);
    torch::nn::Embedding embed_tokens{nullptr};
    torch::nn::ModuleList layers{nullptr};
    RmsNorm norm{nullptr};

private:
    LlamaConfig m_config;
};
TORCH_MODULE(LlamaModel);

class LlamaForCausalLMImpl : public torch::nn::Module {
public:
    explicit LlamaForCausalLMImpl(const LlamaConfig& config);

    // inputIds (B, T) int64. attentionMask (B, past+T) of 0/1 for padded batches, or undefined.
    // positionIds (B, T), or undefined for past..past+T-1. Returns logits (B, T, vocab) in the
    // model's dtype.
    at::Tensor forward(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                       const at::Tensor& positionIds = {}, KvCache* cache = nullptr);
    // Hidden states before the head (B, T, hidden), for chunked losses.
    at::Tensor hiddenStates(const at::Tensor& inputIds, const at::Tensor& attentionMask = {},
                            const at::Tensor& positionIds = {}, KvCache* cache = nullptr);
    at::Tensor headWeight() const;  // lm_head.weight, or the embedding when tied

    const LlamaConfig& config() const { return m_config; }
    KvCache makeCache() const;

    // LoRA: add adapters on the named projections (q_proj, k_proj, v_proj, o_proj, gate_proj,
    // up_proj, down_proj), freezing everything else.
    void addLora(const LoraSettings& settings);
    void mergeLora();
    bool hasLora() const;
    const std::optional<LoraSettings>& loraSettings() const { return m_lora; }
    // (PEFT key, tensor) pairs: base_model.model.<name>.lora_A.weight ...
    std::vector<std::pair<std::string, at::Tensor>> loraState() const;
    std::vector<at::Tensor> loraParameters() const;
    std::vector<Projection> projections(const std::string& kind) const;

    LlamaModel model{nullptr};
    torch::nn::Linear lm_head{nullptr};  // null when embeddings are tied

private:
    LlamaConfig m_config;
    std::optional<LoraSettings> m_lora;
};
TORCH_MODULE(LlamaForCausalLM);

// Additive attention mask (B, 1, T, past+T) in `dtype`: causal, and padded keys masked.
at::Tensor buildAttentionMask(const at::Tensor& attentionMask, int64_t queryLength, int64_t pastLength,
                              at::ScalarType dtype, const at::Device& device);

}  // namespace ctd::model
