// Fuzzes the safetensors header parser on whole files (8-byte length, JSON header, data).
#include "core/model/safetensors_header.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const auto header = ctd::model::parseSafetensorsHeader(data, size, "fuzz.safetensors");
        // What the reader then trusts: every tensor's bytes lie inside the file.
        for (const auto& [name, info] : header.tensors)
            if (info.begin > info.end || header.dataStart + info.end > size) __builtin_trap();
    });
}
