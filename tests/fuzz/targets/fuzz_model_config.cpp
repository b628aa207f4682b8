// Fuzzes a model folder's config.json (the Llama configuration every model load starts with).
#include "core/model/config.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        (void)ctd::model::LlamaConfig::fromJson(ctd::fuzz::jsonOf(data, size, "config.json"), "config.json");
    });
}
