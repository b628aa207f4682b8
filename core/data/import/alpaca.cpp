// Alpaca-format training data: a JSON list of {instruction, input, output} objects, or the same
// objects one per line (JSON lines). "task" and "harmful" fields fill the record's labels;
// any other field is kept in Record::extra.
#include "core/data/importers.h"

#include "core/data/import/import_support.h"
#include "core/util/error.h"

#include <cctype>

namespace ctd::data {
namespace {

using nlohmann::json;

std::string stringField(const json& object, const char* field, bool required, const std::string& source,
                        std::int64_t index, std::optional<std::size_t> line) {
    const auto it = object.find(field);
    if (it == object.end() || (!required && it->is_null())) {
        if (required) detail::throwRecordError(source, index, field, "missing (every record needs one)", line);
        return {};
    }
    if (!it->is_string())
        detail::throwRecordError(source, index, field, "expected a string, got " + detail::jsonTypeName(*it), line);
    return it->get<std::string>();
}

Record recordFromObject(const json& object, const std::string& source, std::int64_t index,
                        std::optional<std::size_t> line) {
    if (!object.is_object())
        detail::throwRecordError(source, index, "",
                                 "expected an object with instruction/input/output, got " + detail::jsonTypeName(object),
                                 line);
    Record record;
    record.instruction = stringField(object, "instruction", true, source, index, line);
    record.input = stringField(object, "input", false, source, index, line);
    record.output = stringField(object, "output", true, source, index, line);
    if (const auto task = object.find("task"); task != object.end() && !task->is_null()) {
        if (!task->is_string())
            detail::throwRecordError(source, index, "task", "expected a string, got " + detail::jsonTypeName(*task), line);
        record.task = task->get<std::string>();
    }
    if (const auto harmful = object.find("harmful"); harmful != object.end() && !harmful->is_null()) {
        if (harmful->is_boolean()) {
            record.harmful = harmful->get<bool>();
        } else if (harmful->is_number_integer() && (*harmful == 0 || *harmful == 1)) {
            record.harmful = *harmful == 1;
        } else {
            detail::throwRecordError(source, index, "harmful",
                                     "expected true/false, got " + detail::jsonTypeName(*harmful), line);
        }
    }
    for (const auto& [key, value] : object.items()) {
        if (key != "instruction" && key != "input" && key != "output" && key != "task" && key != "harmful")
            record.extra[key] = value;
    }
    record.sourceFile = source;
    record.sourceIndex = index;
    return record;
}

}  // namespace

Dataset parseAlpaca(const std::string& bytes, const std::string& source) {
    Dataset dataset;
    dataset.kind = "alpaca";
    dataset.sourcePath = source;
    const std::size_t start = detail::byteOrderMarkLength(bytes);
    std::size_t first = start;
    while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first]))) ++first;

    if (first < bytes.size() && bytes[first] == '[') {
        const json list = detail::parseJsonSpan(bytes, start, bytes.size(), source);
        if (!list.is_array()) throw FormatError(source + ": expected a JSON list of records");
        dataset.records.reserve(list.size());
        for (std::size_t i = 0; i < list.size(); ++i)
            dataset.records.push_back(recordFromObject(list[i], source, static_cast<std::int64_t>(i), std::nullopt));
        dataset.metadata["format"] = "json";
        return dataset;
    }

    // JSON lines: one object per non-blank line; the record index counts records, not lines.
    std::size_t lineStart = start, lineNumber = 1;
    std::int64_t index = 0;
    while (lineStart < bytes.size()) {
        std::size_t lineEnd = bytes.find('\n', lineStart);
        if (lineEnd == std::string::npos) lineEnd = bytes.size();
        const std::string_view line(bytes.data() + lineStart, lineEnd - lineStart);
        if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
            const json object = detail::parseJsonSpan(bytes, lineStart, lineEnd, source, index);
            dataset.records.push_back(recordFromObject(object, source, index, lineNumber));
            ++index;
        }
        lineStart = lineEnd + 1;
        ++lineNumber;
    }
    if (dataset.records.empty()) throw FormatError(source + ": no records (expected a JSON list or JSON lines)");
    dataset.metadata["format"] = "jsonl";
    return dataset;
}

}  // namespace ctd::data
