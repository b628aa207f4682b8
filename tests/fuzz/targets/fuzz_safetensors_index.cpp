// Fuzzes the model.safetensors.index.json parser (weight map and shard-name checks).
#include "core/model/safetensors_header.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const auto entries =
            ctd::model::parseSafetensorsIndex(ctd::fuzz::bytesOf(data, size), "model.safetensors.index.json", "model");
        // What openFolder then trusts: a shard is a plain name that stays in the folder.
        for (const auto& [tensor, shard] : entries)
            if (shard.empty() || shard == ".." || shard.find('/') != std::string::npos) __builtin_trap();
    });
}
