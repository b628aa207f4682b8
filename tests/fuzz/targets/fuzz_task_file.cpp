// Fuzzes user task files (a list of {name, instruction, separator?, description?}).
#include "core/data/task.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        auto registry = ctd::data::TaskRegistry::builtin();
        registry.loadJson(ctd::fuzz::jsonOf(data, size, "tasks.json"), "tasks.json");
        for (const auto& task : registry.tasks()) (void)ctd::data::renderTaskPrompt(task, "document");
    });
}
