// Decoding-step op: KV-cache append plus single-query attention with per-sequence lengths and
// grouped-query heads. Fused CUDA kernels on CUDA tensors; elsewhere scatter_ and batched
// matrix products in ATen. Inference only, so no autograd function.
#include "ctd/kernels/decode_attention.h"

#include "op_support.h"

#include <ATen/core/grad_mode.h>

#include <cmath>
#include <limits>

#ifdef CTD_WITH_CUDA
#include "cuda/decode_attention.cuh"
#endif

namespace ctd::kernels {
namespace {

struct Shape {
    int64_t batch, heads, kvHeads, capacity, headDim;
};

at::Tensor stepAten(const at::Tensor& query, const at::Tensor& newKeys, const at::Tensor& newValues,
                    const at::Tensor& keyCache, const at::Tensor& valueCache, const at::Tensor& lengths,
                    const at::Tensor& keyMask, const Shape& s, double scale) {
    const int64_t badRows = (lengths.lt(0) | lengths.ge(s.capacity)).sum().item<int64_t>();
    TORCH_CHECK(badRows == 0, "decodeAttentionStep: ", badRows, " sequence lengths are outside [0, ", s.capacity,
                "): the KV cache is full or a length is negative");
    const at::Tensor index = lengths.view({s.batch, 1, 1, 1}).expand({s.batch, s.kvHeads, 1, s.headDim});
    keyCache.scatter_(2, index, newKeys);
    valueCache.scatter_(2, index, newValues);

    const auto compute = detail::computeType(query.scalar_type());
    const int64_t group = s.heads / s.kvHeads;
    // (B, KV, group, D) x (B, KV, D, T): query head h = kv * group + g reads kv head kv.
    const at::Tensor q = query.reshape({s.batch, s.kvHeads, group, s.headDim}).to(compute);
    at::Tensor scores = at::matmul(q, keyCache.to(compute).transpose(2, 3)) * scale;  // (B, KV, group, T)
    const auto longOptions = lengths.options().dtype(at::kLong);
    at::Tensor allowed = at::arange(s.capacity, longOptions).unsqueeze(0).le(lengths.unsqueeze(1));  // (B, T)
    if (keyMask.defined()) allowed = allowed & keyMask.ne(0);
    const at::Tensor allowedView = allowed.view({s.batch, 1, 1, s.capacity});
    scores = scores.masked_fill(allowedView.logical_not(), -std::numeric_limits<double>::infinity());
    at::Tensor probabilities = at::softmax(scores, -1);
    // A row with nothing attendable is all -inf, so softmax gives NaN: such rows get zeros.
    probabilities = probabilities.masked_fill(allowedView.logical_not(), 0.0);
    // Unfilled cache slots may hold anything, NaN included, and 0 * NaN is NaN: zero them.
    const at::Tensor values = valueCache.to(compute).masked_fill(allowed.view({s.batch, 1, s.capacity, 1}).logical_not(), 0.0);
    const at::Tensor output = at::matmul(probabilities, values);  // (B, KV, group, D)
    return output.reshape({s.batch, s.heads, 1, s.headDim}).to(query.scalar_type());
}

#ifdef CTD_WITH_CUDA
at::Tensor stepCuda(const at::Tensor& query, const at::Tensor& newKeys, const at::Tensor& newValues,
                    const at::Tensor& keyCache, const at::Tensor& valueCache, const at::Tensor& lengths,
                    const at::Tensor& keyMask, const Shape& s, double scale) {
    const c10::cuda::CUDAGuard guard(query.device());
    const auto type = detail::elementType(query.scalar_type());
    const cuda::DecodeShape shape{s.batch, s.heads, s.kvHeads, s.capacity, s.headDim};
    const at::Tensor mask = keyMask.defined() ? keyMask.ne(0).contiguous() : at::Tensor();
    at::Tensor output = at::empty({s.batch, s.heads, 1, s.headDim}, query.options());
    C10_CUDA_CHECK(cuda::launchKvCacheAppend(type, newKeys.data_ptr(), newValues.data_ptr(), keyCache.data_ptr(),
                                             valueCache.data_ptr(), lengths.data_ptr<int64_t>(), shape,
                                             detail::currentStream()));
    C10_CUDA_CHECK(cuda::launchDecodeAttention(type, query.data_ptr(), keyCache.data_ptr(), valueCache.data_ptr(),
                                               lengths.data_ptr<int64_t>(),
                                               mask.defined() ? mask.data_ptr<bool>() : nullptr, output.data_ptr(),
                                               shape, static_cast<float>(scale), detail::currentStream()));
    return output;
}
#endif

}  // namespace

at::Tensor decodeAttentionStep(const at::Tensor& query, const at::Tensor& newKeys, const at::Tensor& newValues,
                               const at::Tensor& keyCache, const at::Tensor& valueCache, const at::Tensor& lengths,
                               const at::Tensor& keyMask, double scale) {
    const char* op = "decodeAttentionStep";
    for (const auto& [tensor, name] : {std::pair{&query, "query"}, std::pair{&newKeys, "newKeys"},
                                       std::pair{&newValues, "newValues"}, std::pair{&keyCache, "keyCache"},
                                       std::pair{&valueCache, "valueCache"}}) {
        detail::checkFloating(*tensor, op, name);
        detail::checkSameDtypeAndDevice(query, *tensor, op, "query", name);
        TORCH_CHECK(tensor->dim() == 4, op, ": ", name, " must have 4 dimensions, got ", tensor->sizes());
        TORCH_CHECK(!(at::GradMode::is_enabled() && tensor->requires_grad()), op,
                    " is inference only, but ", name, " requires grad (use at::NoGradGuard)");
    }
    const Shape s{query.size(0), query.size(1), keyCache.size(1), keyCache.size(2), query.size(3)};
    TORCH_CHECK(query.size(2) == 1, op, ": query must hold one new token, got ", query.sizes());
    TORCH_CHECK(s.kvHeads > 0 && s.heads % s.kvHeads == 0, op, ": ", s.heads, " query heads are not a multiple of ",
                s.kvHeads, " kv heads");
    const std::vector<int64_t> cacheShape{s.batch, s.kvHeads, s.capacity, s.headDim};
    const std::vector<int64_t> newShape{s.batch, s.kvHeads, 1, s.headDim};
    TORCH_CHECK(keyCache.sizes() == cacheShape && valueCache.sizes() == cacheShape, op, ": caches ",
                keyCache.sizes(), " and ", valueCache.sizes(), " must both be ", at::IntArrayRef(cacheShape));
    TORCH_CHECK(keyCache.is_contiguous() && valueCache.is_contiguous(), op, ": caches must be contiguous");
    TORCH_CHECK(newKeys.sizes() == newShape && newValues.sizes() == newShape, op, ": new keys ", newKeys.sizes(),
                " and values ", newValues.sizes(), " must both be ", at::IntArrayRef(newShape));
    TORCH_CHECK(lengths.defined() && lengths.dim() == 1 && lengths.size(0) == s.batch &&
                    !at::isFloatingType(lengths.scalar_type()),
                op, ": lengths must be an integer tensor of shape (", s.batch, ")");
    TORCH_CHECK(lengths.device() == query.device(), op, ": lengths on ", lengths.device(), " but query on ",
                query.device());
    if (keyMask.defined())
        TORCH_CHECK(keyMask.dim() == 2 && keyMask.size(0) == s.batch && keyMask.size(1) == s.capacity &&
                        keyMask.device() == query.device(),
                    op, ": key mask must be (", s.batch, ", ", s.capacity, ") on ", query.device(), ", got ",
                    keyMask.sizes(), " on ", keyMask.device());
    const double effectiveScale = scale > 0.0 ? scale : 1.0 / std::sqrt(static_cast<double>(s.headDim));
    const at::Tensor lengths64 = lengths.to(at::kLong).contiguous();
    const at::Tensor q = query.contiguous(), k = newKeys.contiguous(), v = newValues.contiguous();
    at::NoGradGuard noGrad;  // the caches are written in place
#ifdef CTD_WITH_CUDA
    if (detail::useCudaKernels(q) && s.headDim <= cuda::kDecodeMaxHeadDim)
        return stepCuda(q, k, v, keyCache, valueCache, lengths64, keyMask, s, effectiveScale);
#endif
    return stepAten(q, k, v, keyCache, valueCache, lengths64, keyMask, s, effectiveScale);
}

}  // namespace ctd::kernels
