// Fuzzes the importer parseAlpaca (core/data/importers.h) on a file named train.json.
#include "core/data/importers.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const ctd::data::Dataset dataset = ctd::data::parseAlpaca(ctd::fuzz::bytesOf(data, size), "train.json");
        (void)dataset;
    });
}
