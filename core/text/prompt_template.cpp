// Prompt templates: loading with file/field errors, Python-exact rendering, response extraction.
#include "core/text/prompt_template.h"

#include "core/text/python_format.h"
#include "core/util/error.h"
#include "core/util/json_file.h"
#include "core/util/resources.h"

#include <array>

namespace ctd::text {

namespace {

const std::array<const char*, 2> kBuiltinNames = {"alpaca", "llama2"};

std::string requireString(const nlohmann::json& json, const char* field, const std::string& source) {
    if (!json.contains(field))
        throw FormatError(source + ": missing field \"" + field + "\" (a prompt template needs " +
                          "prompt_input, prompt_no_input and response_split)");
    const auto& value = json.at(field);
    if (!value.is_string())
        throw FormatError(source + ": field \"" + field + "\" must be a string, found " + value.type_name());
    return value.get<std::string>();
}

// Length in bytes of the Python-whitespace character starting at text[at], or 0.
std::size_t whitespaceAt(const std::string& text, std::size_t at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char c = byte(at);
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f)) return 1;
    const std::size_t left = text.size() - at;
    if (c == 0xc2 && left >= 2 && (byte(at + 1) == 0x85 || byte(at + 1) == 0xa0)) return 2;  // U+0085, U+00A0
    if (left < 3) return 0;
    const unsigned char c1 = byte(at + 1), c2 = byte(at + 2);
    if (c == 0xe1 && c1 == 0x9a && c2 == 0x80) return 3;                       // U+1680
    if (c == 0xe2 && c1 == 0x80 && (c2 <= 0x8a || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
        return 3;                                                               // U+2000-200A, 2028, 2029, 202F
    if (c == 0xe2 && c1 == 0x81 && c2 == 0x9f) return 3;                       // U+205F
    if (c == 0xe3 && c1 == 0x80 && c2 == 0x80) return 3;                       // U+3000
    return 0;
}

// Start of the UTF-8 character that ends right before `end`.
std::size_t previousCharacter(const std::string& text, std::size_t end) {
    std::size_t at = end - 1;
    while (at > 0 && (static_cast<unsigned char>(text[at]) & 0xc0) == 0x80) --at;
    return at;
}

}  // namespace

std::string stripPythonWhitespace(const std::string& text) {
    std::size_t begin = 0;
    while (begin < text.size()) {
        const std::size_t width = whitespaceAt(text, begin);
        if (width == 0) break;
        begin += width;
    }
    std::size_t end = text.size();
    while (end > begin) {
        const std::size_t start = previousCharacter(text, end);
        if (whitespaceAt(text, start) != end - start) break;
        end = start;
    }
    return text.substr(begin, end - begin);
}

PromptTemplate PromptTemplate::fromJson(const nlohmann::json& json, const std::string& source,
                                        const std::string& name) {
    if (!json.is_object())
        throw FormatError(source + ": a prompt template must be a JSON object, found " +
                          std::string(json.type_name()));
    PromptTemplate result;
    result.m_name = name;
    result.m_source = source;
    if (json.contains("description")) {
        if (!json.at("description").is_string())
            throw FormatError(source + ": field \"description\" must be a string");
        result.m_description = json.at("description").get<std::string>();
    }
    result.m_promptInput = requireString(json, "prompt_input", source);
    result.m_promptNoInput = requireString(json, "prompt_no_input", source);
    result.m_responseSplit = requireString(json, "response_split", source);
    if (result.m_responseSplit.empty())
        throw FormatError(source + ": field \"response_split\" must not be empty (Python's split rejects it)");
    // Fail at load time on what Python would only raise on first use: the fields the Prompter
    // passes are {instruction, input} for prompt_input and {instruction} alone for prompt_no_input.
    formatPython(result.m_promptInput, {{"instruction", ""}, {"input", ""}}, source + ": prompt_input");
    formatPython(result.m_promptNoInput, {{"instruction", ""}}, source + ": prompt_no_input");
    return result;
}

PromptTemplate PromptTemplate::load(const std::filesystem::path& path) {
    return fromJson(util::readJsonFile(path), path.string(), path.stem().string());
}

std::vector<std::string> PromptTemplate::builtinNames() {
    return {kBuiltinNames.begin(), kBuiltinNames.end()};
}

PromptTemplate PromptTemplate::builtin(const std::string& name) {
    bool known = false;
    std::string list;
    for (const char* candidate : kBuiltinNames) {
        known = known || name == candidate;
        list += (list.empty() ? "" : ", ") + std::string(candidate);
    }
    if (!known) throw ConfigError("unknown prompt template \"" + name + "\" (shipped templates: " + list + ")");
    return load(resourcePath(std::filesystem::path("templates") / (name + ".json")));
}

std::string PromptTemplate::render(const std::string& instruction, const std::string& input) const {
    if (!input.empty())
        return formatPython(m_promptInput, {{"instruction", instruction}, {"input", input}},
                            m_source + ": prompt_input");
    return formatPython(m_promptNoInput, {{"instruction", instruction}}, m_source + ": prompt_no_input");
}

std::string PromptTemplate::renderWithResponse(const std::string& instruction, const std::string& input,
                                               const std::string& response) const {
    return render(instruction, input) + response;
}

std::string PromptTemplate::getResponse(const std::string& output) const {
    const std::size_t first = output.find(m_responseSplit);
    if (first == std::string::npos) return {};
    const std::size_t begin = first + m_responseSplit.size();
    const std::size_t second = output.find(m_responseSplit, begin);
    const std::size_t end = second == std::string::npos ? output.size() : second;
    return stripPythonWhitespace(output.substr(begin, end - begin));
}

nlohmann::json PromptTemplate::toJson() const {
    return {{"description", m_description},
            {"prompt_input", m_promptInput},
            {"prompt_no_input", m_promptNoInput},
            {"response_split", m_responseSplit}};
}

}  // namespace ctd::text
