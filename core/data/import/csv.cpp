// CSV with a header row (RFC 4180: quoted fields, "" for a quote, line breaks inside quotes,
// CRLF or LF; a UTF-8 byte order mark is skipped). Columns instruction (required), input, output,
// task and harmful fill the record; any other column is kept in Record::extra as a string.
#include "core/data/importers.h"

#include "core/data/import/import_support.h"
#include "core/util/error.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace ctd::data {
namespace {

struct CsvField {
    std::string value;
    std::size_t begin = 0;  // byte range in the file, for locating encoding errors
    std::size_t end = 0;
};

struct CsvRow {
    std::vector<CsvField> fields;
    std::size_t line = 1;  // line where the row starts
};

// "record 4, field "output"" (or "header, column 2") for a field being split.
std::string fieldLocation(const std::vector<CsvRow>& rows, const CsvRow& row) {
    const std::size_t column = row.fields.size();
    if (rows.empty()) return "header, column " + std::to_string(column + 1);
    const std::vector<CsvField>& header = rows.front().fields;
    const std::string name = column < header.size() ? "field \"" + header[column].value + "\""
                                                    : "column " + std::to_string(column + 1);
    return "record " + std::to_string(rows.size() - 1) + ", " + name;
}

std::vector<CsvRow> splitCsv(const std::string& bytes, const std::string& source) {
    std::vector<CsvRow> rows;
    std::size_t position = detail::byteOrderMarkLength(bytes);
    std::size_t line = 1;
    while (position < bytes.size()) {
        CsvRow row;
        row.line = line;
        while (true) {  // one field per iteration
            CsvField field;
            field.begin = position;
            if (position < bytes.size() && bytes[position] == '"') {
                const std::size_t openLine = line;
                ++position;
                while (true) {
                    if (position >= bytes.size())
                        throw FormatError(source + ":" + std::to_string(openLine) + ": " + fieldLocation(rows, row) +
                                          ": quoted field is never closed (missing \")");
                    const char c = bytes[position];
                    if (c == '"') {
                        if (position + 1 < bytes.size() && bytes[position + 1] == '"') {
                            field.value.push_back('"');
                            position += 2;
                            continue;
                        }
                        ++position;
                        break;
                    }
                    if (c == '\n') ++line;
                    field.value.push_back(c);
                    ++position;
                }
                if (position < bytes.size() && bytes[position] != ',' && bytes[position] != '\n' && bytes[position] != '\r')
                    throw FormatError(source + ":" + std::to_string(line) + ": " + fieldLocation(rows, row) +
                                      ": unexpected text after a closing quote (write \"\" for a quote inside a quoted field)");
            } else {
                while (position < bytes.size() && bytes[position] != ',' && bytes[position] != '\n' &&
                       bytes[position] != '\r') {
                    field.value.push_back(bytes[position]);
                    ++position;
                }
            }
            field.end = position;
            row.fields.push_back(std::move(field));
            if (position < bytes.size() && bytes[position] == ',') {
                ++position;
                continue;
            }
            // End of row: CRLF, LF, a lone CR, or the end of the file.
            if (position < bytes.size() && bytes[position] == '\r') ++position;
            if (position < bytes.size() && bytes[position] == '\n') ++position;
            ++line;
            break;
        }
        const bool blank = row.fields.size() == 1 && row.fields[0].value.empty() && row.fields[0].begin == row.fields[0].end;
        if (!blank) rows.push_back(std::move(row));
    }
    return rows;
}

std::string lowercaseTrimmed(std::string text) {
    const auto first = text.find_first_not_of(" \t");
    const auto last = text.find_last_not_of(" \t");
    text = first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

Dataset parseCsv(const std::string& bytes, const std::string& source) {
    const std::vector<CsvRow> rows = splitCsv(bytes, source);
    if (rows.empty()) throw FormatError(source + ": empty CSV file (expected a header row naming the columns)");

    const CsvRow& header = rows.front();
    std::vector<std::string> names;
    std::map<std::string, std::size_t> columns;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        names.push_back(lowercaseTrimmed(header.fields[i].value));
        if (names.back().empty())
            throw FormatError(source + ":" + std::to_string(header.line) + ": header column " + std::to_string(i + 1) +
                              " has no name");
        if (!columns.emplace(names.back(), i).second)
            throw FormatError(source + ":" + std::to_string(header.line) + ": header names column \"" + names.back() +
                              "\" twice");
    }
    if (!columns.count("instruction"))
        throw FormatError(source + ":" + std::to_string(header.line) +
                          ": header has no \"instruction\" column (required; input and output are optional)");

    // Encoding errors are located after splitting, so the message can name the record and column.
    const std::optional<std::size_t> invalid = findInvalidUtf8(bytes);

    Dataset dataset;
    dataset.kind = "csv";
    dataset.sourcePath = source;
    dataset.metadata["columns"] = names;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const CsvRow& row = rows[r];
        const auto index = static_cast<std::int64_t>(r - 1);
        if (invalid) {
            for (std::size_t c = 0; c < row.fields.size(); ++c) {
                const CsvField& field = row.fields[c];
                if (*invalid >= field.begin && *invalid < std::max(field.end, field.begin + 1))
                    detail::throwRecordError(source, index, c < names.size() ? names[c] : "column " + std::to_string(c + 1),
                                             "invalid UTF-8 at byte offset " + std::to_string(*invalid) +
                                                 " (the file must be UTF-8)",
                                             row.line);
            }
        }
        if (row.fields.size() != names.size())
            detail::throwRecordError(source, index, "",
                                     "has " + std::to_string(row.fields.size()) + " columns but the header has " +
                                         std::to_string(names.size()),
                                     row.line);
        Record record;
        record.sourceFile = source;
        record.sourceIndex = index;
        for (std::size_t c = 0; c < names.size(); ++c) {
            const std::string& name = names[c];
            const std::string& value = row.fields[c].value;
            if (name == "instruction") {
                if (value.empty()) detail::throwRecordError(source, index, name, "is empty (required)", row.line);
                record.instruction = value;
            } else if (name == "input") {
                record.input = value;
            } else if (name == "output") {
                record.output = value;
            } else if (name == "task") {
                if (!value.empty()) record.task = value;
            } else if (name == "harmful") {
                const std::string flag = lowercaseTrimmed(value);
                if (flag == "1" || flag == "true" || flag == "yes") {
                    record.harmful = true;
                } else if (flag == "0" || flag == "false" || flag == "no") {
                    record.harmful = false;
                } else if (!flag.empty()) {
                    detail::throwRecordError(source, index, name, "expected 1/0, true/false or yes/no, got \"" + value + "\"",
                                             row.line);
                }
            } else {
                record.extra[name] = value;
            }
        }
        dataset.records.push_back(std::move(record));
    }
    // An encoding error in the header (or between fields) has no record to name.
    if (invalid) {
        const detail::LineColumn position = detail::lineColumnAt(bytes, *invalid);
        throw FormatError(source + ":" + std::to_string(position.line) + ":" + std::to_string(position.column) +
                          ": invalid UTF-8 at byte offset " + std::to_string(*invalid) + " (the file must be UTF-8)");
    }
    return dataset;
}

}  // namespace ctd::data
