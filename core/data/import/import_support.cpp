// Error locations for the importers: byte offset -> line:column -> record and field.
#include "core/data/import/import_support.h"

#include "core/data/importers.h"
#include "core/util/error.h"

#include <array>
#include <filesystem>
#include <vector>

namespace ctd::data::detail {

std::string recordMessage(const std::string& source, std::optional<std::int64_t> index, std::string_view field,
                          const std::string& what, std::optional<std::size_t> line) {
    std::string message = source;
    if (line) message += ":" + std::to_string(*line);
    message += ":";
    if (index) message += " record " + std::to_string(*index);
    if (!field.empty()) message += std::string(index ? "," : "") + " field \"" + std::string(field) + "\"";
    if (index || !field.empty()) message += ":";
    return message + " " + what;
}

void throwRecordError(const std::string& source, std::optional<std::int64_t> index, std::string_view field,
                      const std::string& what, std::optional<std::size_t> line) {
    throw FormatError(recordMessage(source, index, field, what, line));
}

std::string jsonTypeName(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::null: return "null";
        case nlohmann::json::value_t::object: return "an object";
        case nlohmann::json::value_t::array: return "a list";
        case nlohmann::json::value_t::string: return "a string";
        case nlohmann::json::value_t::boolean: return "a boolean";
        case nlohmann::json::value_t::number_integer:
        case nlohmann::json::value_t::number_unsigned:
        case nlohmann::json::value_t::number_float: return "a number";
        default: return "an unsupported value";
    }
}

LineColumn lineColumnAt(std::string_view text, std::size_t offset) {
    LineColumn position;
    const std::size_t limit = std::min(offset, text.size());
    for (std::size_t i = 0; i < limit; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '\n') {
            ++position.line;
            position.column = 1;
        } else if ((byte & 0xC0) != 0x80) {  // continuation bytes belong to the previous character
            ++position.column;
        }
    }
    return position;
}

JsonLocation locateInJson(std::string_view text, std::size_t offset) {
    struct Frame {
        bool isArray;
        std::int64_t index;
        std::string key;
    };
    std::vector<Frame> stack;
    bool inString = false, escaped = false, stringIsKey = false, expectKey = false;
    std::string key;
    const std::size_t limit = std::min(offset, text.size());
    for (std::size_t i = 0; i < limit; ++i) {
        const char c = text[i];
        if (inString) {
            if (escaped) {
                escaped = false;
                if (stringIsKey) key.push_back(c);
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
                if (stringIsKey) stack.back().key = key;
            } else if (stringIsKey) {
                key.push_back(c);
            }
            continue;
        }
        switch (c) {
            case '"':
                inString = true;
                stringIsKey = !stack.empty() && !stack.back().isArray && expectKey;
                key.clear();
                break;
            case '{': stack.push_back({false, 0, {}}); expectKey = true; break;
            case '[': stack.push_back({true, 0, {}}); expectKey = false; break;
            case '}':
            case ']':
                if (!stack.empty()) stack.pop_back();
                expectKey = false;
                break;
            case ',':
                if (!stack.empty()) {
                    if (stack.back().isArray) {
                        ++stack.back().index;
                    } else {
                        stack.back().key.clear();
                        expectKey = true;
                    }
                }
                break;
            case ':': expectKey = false; break;
            default: break;
        }
    }
    JsonLocation location;
    for (const Frame& frame : stack) {
        if (frame.isArray && !location.record) location.record = frame.index;
        if (!frame.isArray && location.field.empty()) location.field = frame.key;
    }
    return location;
}

nlohmann::json parseJsonSpan(std::string_view text, std::size_t begin, std::size_t end, const std::string& source,
                             std::optional<std::int64_t> record) {
    const std::string_view span = text.substr(begin, end - begin);
    auto fail = [&](std::size_t spanOffset, const std::string& what) {
        const LineColumn position = lineColumnAt(text, begin + spanOffset);
        JsonLocation location = locateInJson(span, spanOffset);
        if (record) location.record = record;
        std::string message = source + ":" + std::to_string(position.line) + ":" + std::to_string(position.column) + ":";
        if (location.record) message += " record " + std::to_string(*location.record);
        if (!location.field.empty())
            message += std::string(location.record ? "," : "") + " field \"" + location.field + "\"";
        if (location.record || !location.field.empty()) message += ":";
        throw FormatError(message + " " + what);
    };
    if (auto bad = findInvalidUtf8(span))
        fail(*bad, "invalid UTF-8 at byte offset " + std::to_string(begin + *bad) + " (the file must be UTF-8)");
    try {
        return nlohmann::json::parse(span.begin(), span.end());
    } catch (const nlohmann::json::parse_error& error) {
        std::string detail = error.what();
        // After "parse error at line L, column C: "; the quoted text read so far may hold ": " too.
        const auto colon = detail.find(": ", detail.find("parse error"));
        if (colon != std::string::npos) detail = detail.substr(colon + 2);
        fail(error.byte == 0 ? 0 : std::min<std::size_t>(error.byte - 1, span.size()), "invalid JSON: " + detail);
    } catch (const nlohmann::json::out_of_range& error) {
        // A number beyond a double's range (e.g. 1e400), found by fuzzing: nlohmann reports it
        // without a position but quotes the literal, so locate that.
        std::string literal = error.what();
        const auto open = literal.find('\''), close = literal.rfind('\'');
        literal = open != std::string::npos && close > open ? literal.substr(open + 1, close - open - 1) : "";
        const std::size_t at = literal.empty() ? std::string_view::npos : span.find(literal);
        if (literal.size() > 40) literal = literal.substr(0, 40) + "...";
        fail(at == std::string_view::npos ? 0 : at, "invalid JSON: the number " + literal + " is too large to represent");
    }
    return {};  // not reached: fail throws
}

std::size_t byteOrderMarkLength(std::string_view text) {
    return text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

std::optional<std::string> taskFromFileName(const std::string& source) {
    static const std::array<std::string, 5> kTasks{"summarize", "translate", "sentiment", "case", "cloze"};
    const std::string stem = std::filesystem::path(source).stem().string();
    // Split on '_' and '-' so "test_case_cnn" names "case" but "showcase" does not.
    std::vector<std::string> tokens(1);
    for (char c : stem) {
        if (c == '_' || c == '-') {
            tokens.emplace_back();
        } else {
            tokens.back().push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
    }
    for (const std::string& token : tokens)
        for (const std::string& task : kTasks)
            if (token == task) return task;
    return std::nullopt;
}

}  // namespace ctd::data::detail
