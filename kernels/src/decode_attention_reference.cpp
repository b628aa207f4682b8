// Plain C++ reference for one decoding step: append to the cache, then softmax attention of the
// single query over the valid positions of its own sequence, kv head h / (heads / kv_heads).
#include "ctd/kernels/decode_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ctd::kernels::reference {

void decodeAttentionStep(const float* query, const float* newKeys, const float* newValues, float* keyCache,
                         float* valueCache, const int64_t* lengths, const unsigned char* keyMask, float* output,
                         std::size_t batch, std::size_t heads, std::size_t kvHeads, std::size_t capacity,
                         std::size_t headDim, float scale) {
    const std::size_t group = heads / kvHeads;
    for (std::size_t b = 0; b < batch; ++b) {
        const int64_t length = lengths[b];
        const bool valid = length >= 0 && std::size_t(length) < capacity;
        if (valid)
            for (std::size_t kv = 0; kv < kvHeads; ++kv)
                for (std::size_t d = 0; d < headDim; ++d) {
                    const std::size_t at = ((b * kvHeads + kv) * capacity + std::size_t(length)) * headDim + d;
                    keyCache[at] = newKeys[(b * kvHeads + kv) * headDim + d];
                    valueCache[at] = newValues[(b * kvHeads + kv) * headDim + d];
                }
        for (std::size_t h = 0; h < heads; ++h) {
            float* out = output + (b * heads + h) * headDim;
            if (!valid) {
                for (std::size_t d = 0; d < headDim; ++d) out[d] = std::numeric_limits<float>::quiet_NaN();
                continue;
            }
            const std::size_t kv = h / group;
            const float* q = query + (b * heads + h) * headDim;
            std::vector<double> scores;
            std::vector<std::size_t> positions;
            for (std::size_t t = 0; t <= std::size_t(length); ++t) {
                if (keyMask && !keyMask[b * capacity + t]) continue;
                const float* k = keyCache + ((b * kvHeads + kv) * capacity + t) * headDim;
                double dot = 0.0;
                for (std::size_t d = 0; d < headDim; ++d) dot += double(q[d]) * k[d];
                scores.push_back(dot * scale);
                positions.push_back(t);
            }
            double maximum = -std::numeric_limits<double>::infinity();
            for (double s : scores) maximum = std::max(maximum, s);
            double total = 0.0;
            for (double& s : scores) total += (s = std::exp(s - maximum));
            for (std::size_t d = 0; d < headDim; ++d) {
                double sum = 0.0;
                for (std::size_t i = 0; i < positions.size(); ++i)
                    sum += scores[i] * valueCache[((b * kvHeads + kv) * capacity + positions[i]) * headDim + d];
                out[d] = positions.empty() ? 0.0f : float(sum / total);
            }
        }
    }
}

}  // namespace ctd::kernels::reference
