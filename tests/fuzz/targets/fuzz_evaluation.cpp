// Fuzzes the importer parseEvaluation (core/data/importers.h) on a file named test_summarize.json.
#include "core/data/importers.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const ctd::data::Dataset dataset = ctd::data::parseEvaluation(ctd::fuzz::bytesOf(data, size), "test_summarize.json");
        (void)dataset;
    });
}
