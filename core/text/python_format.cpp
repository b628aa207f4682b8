// Python str.format subset, following CPython's MarkupIterator (Objects/stringlib/unicode_format.h)
// so that escapes and errors behave the same. '{' and '}' are ASCII, and UTF-8 never uses ASCII
// bytes inside a multi-byte character, so scanning bytes is equivalent to scanning code points.
#include "core/text/python_format.h"

#include "core/util/error.h"

#include <algorithm>
#include <cctype>

namespace ctd::text {

namespace {

std::string quoted(std::string_view text) {
    std::string out = "'";
    out += text;
    out += "'";
    return out;
}

// Visits literal text and field names left to right, as Python renders them; a malformed pattern
// throws at the position where Python would.
template <typename OnLiteral, typename OnField>
void scanPattern(std::string_view pattern, const std::string& source, OnLiteral onLiteral, OnField onField) {
    std::size_t position = 0;
    const std::size_t size = pattern.size();
    while (position < size) {
        const std::size_t brace = pattern.find_first_of("{}", position);
        if (brace == std::string_view::npos) {
            onLiteral(pattern.substr(position));
            return;
        }
        onLiteral(pattern.substr(position, brace - position));
        const char c = pattern[brace];
        const bool atEnd = brace + 1 >= size;
        if (c == '}') {
            if (atEnd || pattern[brace + 1] != '}')
                throw FormatError(source + ": single '}' encountered in format string at byte " +
                                  std::to_string(brace) + " (write '}}' for a literal brace)");
            onLiteral("}");
            position = brace + 2;
            continue;
        }
        if (atEnd)
            throw FormatError(source + ": single '{' encountered in format string at byte " +
                              std::to_string(brace) + " (write '{{' for a literal brace)");
        if (pattern[brace + 1] == '{') {
            onLiteral("{");
            position = brace + 2;
            continue;
        }
        // A field: Python counts nested braces (they belong to a format spec) up to the match.
        int depth = 1;
        std::size_t end = brace + 1;
        for (; end < size; ++end) {
            if (pattern[end] == '{') {
                ++depth;
            } else if (pattern[end] == '}') {
                if (--depth == 0) break;
            }
        }
        if (end >= size)
            throw FormatError(source + ": expected '}' before end of string (field opened at byte " +
                              std::to_string(brace) + ")");
        const std::string_view field = pattern.substr(brace + 1, end - brace - 1);
        const std::size_t special = field.find_first_of("!:.[");
        if (special != std::string_view::npos) {
            const char which = field[special];
            const char* what = which == '!'   ? "conversions such as !r"
                               : which == ':' ? "format specifications"
                                              : "attribute or index lookups";
            throw FormatError(source + ": field {" + std::string(field) + "} uses " + what +
                              ", which prompt templates do not support (use a plain {name})");
        }
        if (field.empty() ||
            std::all_of(field.begin(), field.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }))
            throw FormatError(source + ": positional field {" + std::string(field) +
                              "}: templates are formatted with named values only (e.g. {instruction})");
        onField(field);
        position = end + 1;
    }
}

}  // namespace

std::string formatPython(std::string_view pattern, const std::map<std::string, std::string>& values,
                         const std::string& source) {
    std::string out;
    out.reserve(pattern.size());
    scanPattern(
        pattern, source, [&](std::string_view literal) { out += literal; },
        [&](std::string_view field) {
            const auto found = values.find(std::string(field));
            if (found == values.end()) {
                std::string known;
                for (const auto& [name, value] : values) known += (known.empty() ? "" : ", ") + name;
                throw FormatError(source + ": unknown field " + quoted(field) + " (Python: KeyError); known: " +
                                  (known.empty() ? "none" : known));
            }
            out += found->second;
        });
    return out;
}

std::vector<std::string> pythonFormatFields(std::string_view pattern, const std::string& source) {
    std::vector<std::string> fields;
    scanPattern(
        pattern, source, [](std::string_view) {},
        [&](std::string_view field) {
            if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.emplace_back(field);
        });
    return fields;
}

}  // namespace ctd::text
