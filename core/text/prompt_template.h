// Prompt templates in the authors' JSON schema (alpaca-lora's templates/*.json):
// {"description", "prompt_input", "prompt_no_input", "response_split"}; rendering and response
// extraction behave as alpaca-lora's utils/prompter.py Prompter does.
#pragma once
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace ctd::text {

class PromptTemplate {
public:
    // Reads a template file. IoError when unreadable; FormatError naming the file and the field
    // when a field is missing, not a string, or not a valid pattern (prompt_input may use only
    // {instruction} and {input}, prompt_no_input only {instruction}, as the Prompter passes).
    static PromptTemplate load(const std::filesystem::path& path);
    // `source` names the origin in error messages; `name` is the short name (e.g. "alpaca").
    static PromptTemplate fromJson(const nlohmann::json& json, const std::string& source,
                                   const std::string& name = {});
    // A shipped template, "alpaca" (Llama1) or "llama2" (Llama-2-chat), from
    // resourceDir()/templates/<name>.json. ConfigError listing the shipped names when unknown.
    static PromptTemplate builtin(const std::string& name);
    static std::vector<std::string> builtinNames();

    // Prompter.generate_prompt(instruction, input): prompt_input.format(instruction, input) when
    // `input` is non-empty, else prompt_no_input.format(instruction). Values are inserted
    // verbatim: braces inside documents are text.
    std::string render(const std::string& instruction, const std::string& input = {}) const;
    // Prompter.generate_prompt(instruction, input, label): the prompt with the response appended
    // directly (no separator; an empty response appends nothing). This is the training text.
    std::string renderWithResponse(const std::string& instruction, const std::string& input,
                                   const std::string& response) const;
    // Prompter.get_response: output.split(response_split)[1].strip(), i.e. the text between the
    // first and the second occurrence of response_split, with Python's whitespace stripped.
    // Where upstream raises IndexError (no split marker), this returns "" as the authors' fork
    // of the Prompter does.
    std::string getResponse(const std::string& output) const;

    const std::string& name() const { return m_name; }
    const std::string& source() const { return m_source; }
    const std::string& description() const { return m_description; }
    const std::string& promptInput() const { return m_promptInput; }
    const std::string& promptNoInput() const { return m_promptNoInput; }
    const std::string& responseSplit() const { return m_responseSplit; }
    nlohmann::json toJson() const;

private:
    std::string m_name, m_source, m_description, m_promptInput, m_promptNoInput, m_responseSplit;
};

// Python's str.strip() with no arguments: removes leading and trailing characters for which
// str.isspace() holds (ASCII whitespace, \x1c-\x1f, and the Unicode spaces), on UTF-8 text.
std::string stripPythonWhitespace(const std::string& text);

}  // namespace ctd::text
