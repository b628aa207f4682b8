// Fuzzes prompt template files, then renders and splits with the template as training and
// evaluation do (the Python-format patterns are where a template can go wrong).
#include "core/text/prompt_template.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ctd::fuzz::expectTypedErrors([&] {
        const auto prompt = ctd::text::PromptTemplate::fromJson(ctd::fuzz::jsonOf(data, size, "template.json"),
                                                                "template.json", "fuzz");
        const std::string rendered = prompt.renderWithResponse("Summarize {this}.", "a {document}", "ok");
        (void)prompt.render("instruction only");
        (void)prompt.getResponse(rendered + prompt.responseSplit() + " tail");
        (void)ctd::text::stripPythonWhitespace(ctd::fuzz::bytesOf(data, size));
    });
}
