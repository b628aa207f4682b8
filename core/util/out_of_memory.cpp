// Readable out-of-memory failures (see out_of_memory.h).
#include "core/util/out_of_memory.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cctype>

namespace ctd::util {
namespace {

// libtorch's message without its C++ backtrace ("Exception raised from ..." and frames).
std::string conciseMessage(const std::exception& error) {
    const auto* torchError = dynamic_cast<const c10::Error*>(&error);
    std::string text = torchError ? torchError->what_without_backtrace() : error.what();
    for (const char* marker : {"\nException raised from", "\nFrame", "\nframe #"}) {
        const auto at = text.find(marker);
        if (at != std::string::npos) text.resize(at);
    }
    // One line: the allocator's report spans several with the same facts.
    std::replace(text.begin(), text.end(), '\n', ' ');
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    constexpr std::size_t kLongest = 400;
    if (text.size() > kLongest) text = text.substr(0, kLongest) + "...";
    return text;
}

std::string lowercase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

bool isOutOfMemory(const std::exception& error) {
    if (dynamic_cast<const c10::OutOfMemoryError*>(&error)) return true;
    const std::string text = lowercase(error.what());
    for (const char* marker : {"out of memory", "cublas_status_alloc_failed", "can't allocate memory",
                               "not enough memory", "std::bad_alloc"})
        if (text.find(marker) != std::string::npos) return true;
    return dynamic_cast<const std::bad_alloc*>(&error) != nullptr;
}

std::string describeOutOfMemory(const std::exception& error, const MemoryContext& context) {
    std::string message = "out of memory";
    if (!context.device.empty()) message += " on " + context.device;
    if (!context.activity.empty()) message += " while " + context.activity;
    if (!context.settings.empty()) {
        message += " (";
        for (std::size_t i = 0; i < context.settings.size(); ++i)
            message += (i ? ", " : "") + context.settings[i].first + " " + context.settings[i].second;
        message += ")";
    }
    const std::string report = conciseMessage(error);
    message += ": " + report;
    if (!context.hint.empty()) message += (!report.empty() && report.back() == '.' ? " Hint: " : ". Hint: ") + context.hint;
    return message;
}

}  // namespace ctd::util
