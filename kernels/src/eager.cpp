// The engine's plain ATen formulas (HF eager), kept verbatim as the baseline the fused ops are
// measured and tested against.
#include "ctd/kernels/eager.h"

#include <ATen/ATen.h>

#include <cmath>

namespace ctd::kernels::eager {

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    const at::Tensor x32 = x.to(x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat);
    const at::Tensor variance = x32.pow(2).mean(-1, /*keepdim=*/true);
    return weight * (x32 * at::rsqrt(variance + eps)).to(x.scalar_type());
}

at::Tensor rotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
    const at::Tensor c = (cos.dim() == 2 ? cos.unsqueeze(0) : cos).to(x.scalar_type()).unsqueeze(1);
    const at::Tensor s = (sin.dim() == 2 ? sin.unsqueeze(0) : sin).to(x.scalar_type()).unsqueeze(1);
    const int64_t half = x.size(-1) / 2;
    const at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
    return x * c + rotated * s;
}

at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up) { return at::silu(gate) * up; }

at::Tensor loraLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& loraA, const at::Tensor& loraB,
                      double scale, const at::Tensor& dropoutScaleMask) {
    const at::Tensor input = dropoutScaleMask.defined() ? x * dropoutScaleMask : x;
    return at::linear(x, weight) + at::linear(at::linear(input, loraA), loraB) * scale;
}

at::Tensor crossEntropy(const at::Tensor& hidden, const at::Tensor& headWeight, const at::Tensor& labels,
                        int64_t ignoreIndex, bool perToken) {
    const at::Tensor logits = at::linear(hidden, headWeight);
    const at::Tensor flat = logits.reshape({-1, logits.size(-1)}).to(
        hidden.scalar_type() == at::kDouble ? at::kDouble : at::kFloat);
    const int64_t reduction = perToken ? at::Reduction::None : at::Reduction::Mean;
    const at::Tensor loss = at::cross_entropy_loss(flat, labels.reshape({-1}).to(at::kLong), {}, reduction, ignoreIndex);
    return perToken ? loss.view(labels.sizes()) : loss;
}

at::Tensor decodeAttentionStep(const at::Tensor& query, const at::Tensor& newKeys, const at::Tensor& newValues,
                               const at::Tensor& keyCache, const at::Tensor& valueCache, const at::Tensor& lengths,
                               const at::Tensor& keyMask, double scale) {
    const int64_t batch = query.size(0), heads = query.size(1), kvHeads = keyCache.size(1);
    const int64_t capacity = keyCache.size(2), headDim = keyCache.size(3);
    const at::Tensor positions = lengths.to(at::kLong).view({batch, 1, 1, 1}).expand({batch, kvHeads, 1, headDim});
    keyCache.scatter_(2, positions, newKeys);
    valueCache.scatter_(2, positions, newValues);
    const at::Tensor keys = keyCache.repeat_interleave(heads / kvHeads, 1);
    const at::Tensor values = valueCache.repeat_interleave(heads / kvHeads, 1);
    at::Tensor allowed = at::arange(capacity, lengths.options().dtype(at::kLong)).unsqueeze(0).le(
        lengths.to(at::kLong).unsqueeze(1));
    if (keyMask.defined()) allowed = allowed & keyMask.ne(0);
    const double effectiveScale = scale > 0.0 ? scale : 1.0 / std::sqrt(static_cast<double>(headDim));
    return at::scaled_dot_product_attention(query, keys, values, allowed.view({batch, 1, 1, capacity}), 0.0, false,
                                            effectiveScale);
}

}  // namespace ctd::kernels::eager
