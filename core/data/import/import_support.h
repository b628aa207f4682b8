// Internal helpers shared by the importers: error messages that name file, record and field, and
// JSON parsing that maps a syntax or encoding error back to the record it happened in.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ctd::data::detail {

// "<source>[:line]: record <index>, field "<field>": <what>" (parts left out when unknown).
std::string recordMessage(const std::string& source, std::optional<std::int64_t> index, std::string_view field,
                          const std::string& what, std::optional<std::size_t> line = std::nullopt);
[[noreturn]] void throwRecordError(const std::string& source, std::optional<std::int64_t> index,
                                   std::string_view field, const std::string& what,
                                   std::optional<std::size_t> line = std::nullopt);

// "string", "number", "object"... as a user would call the JSON type.
std::string jsonTypeName(const nlohmann::json& value);

struct LineColumn {
    std::size_t line = 1;    // 1-based
    std::size_t column = 1;  // 1-based, in characters (UTF-8 code points), as editors count
};
LineColumn lineColumnAt(std::string_view text, std::size_t offset);

// Where a byte offset falls in a JSON text: the index in the outermost array (the record) and the
// outermost object key (the field), e.g. [12].instruction or {"instructions": [3]}.
struct JsonLocation {
    std::optional<std::int64_t> record;
    std::string field;
};
JsonLocation locateInJson(std::string_view text, std::size_t offset);

// Parses text[begin, end) after checking its UTF-8. Errors name source:line:column (of the whole
// text), the record and the field; `record` overrides the index found from the JSON structure
// (for JSON lines, where each line is one record).
nlohmann::json parseJsonSpan(std::string_view text, std::size_t begin, std::size_t end, const std::string& source,
                             std::optional<std::int64_t> record = std::nullopt);

// Length of a leading UTF-8 byte order mark (3) or 0.
std::size_t byteOrderMarkLength(std::string_view text);

// The paper task named in a file name such as test_summarize_cnn.json, if any.
std::optional<std::string> taskFromFileName(const std::string& source);

}  // namespace ctd::data::detail
