// Fuzzes training spec files (parsing, validation and the round trip through toJson).
#include "core/train/training_spec.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const auto spec = ctd::train::TrainingSpec::fromJson(ctd::fuzz::jsonOf(data, size, "train.json"), "train.json",
                                                             "/nonexistent/specs");
        (void)ctd::train::TrainingSpec::fromJson(spec.toJson(), "train.json (stored)", "/nonexistent/specs");
    });
}
