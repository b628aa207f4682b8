// Fuzzes `ctd import` without --kind: kind detection, UTF-8 validation, the chosen importer.
#include "core/data/importers.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const ctd::data::Dataset dataset = ctd::data::importBytes(ctd::fuzz::bytesOf(data, size), "upload.dat");
        (void)dataset;
    });
}
