// Fuzzes experiment spec files: parsing, validation and ${NAME} variable expansion.
#include "core/experiment/spec.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const auto spec = ctd::experiment::ExperimentSpec::fromJson(ctd::fuzz::jsonOf(data, size, "experiment.json"),
                                                                    "experiment.json", "/nonexistent/specs");
        (void)ctd::experiment::Variables::environmentNames(spec);
        const ctd::experiment::Variables variables(spec, "/nonexistent/out");
        std::vector<std::string> missing;
        (void)variables.expandAll(spec.source, "spec", missing);
        for (const auto& model : spec.models) (void)variables.path(model.path, "models.path", missing);
    });
}
