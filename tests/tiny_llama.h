// The small random Llama configurations the unit and kernel tests train and compare (a few thousand
// parameters, grouped-query heads by default), so every test builds them the same way.
#pragma once
#include "core/model/config.h"

#include <cstdint>

namespace ctd::test {

struct TinyLlamaShape {
    int64_t vocab = 40, hidden = 32, intermediate = 64, layers = 2, heads = 4, kvHeads = 2, maxPositions = 64;
};

inline model::LlamaConfig tinyLlamaConfig(const TinyLlamaShape& shape = {}) {
    model::LlamaConfig c;
    c.vocabSize = shape.vocab;
    c.hiddenSize = shape.hidden;
    c.intermediateSize = shape.intermediate;
    c.numHiddenLayers = shape.layers;
    c.numAttentionHeads = shape.heads;
    c.numKeyValueHeads = shape.kvHeads;
    c.headDim = shape.hidden / shape.heads;
    c.maxPositionEmbeddings = shape.maxPositions;
    return c;
}

}  // namespace ctd::test
