// Fuzzes mixture spec files (parsing and validation only; nothing is read from disk).
#include "core/data/mixture.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const auto spec = ctd::data::MixtureSpec::fromJson(ctd::fuzz::jsonOf(data, size, "mixture.json"), "mixture.json",
                                                           "/nonexistent/specs");
        (void)spec.toJson();
    });
}
