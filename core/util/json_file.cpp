// JSON file helpers with user-actionable errors.
#include "core/util/json_file.h"

#include "core/util/error.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ctd::util {

std::string readFileBytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path.string() + ": cannot open file for reading");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) throw IoError(path.string() + ": read error");
    return buffer.str();
}

nlohmann::json parseJson(const std::string& text, const std::string& source) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& error) {
        // Turn the byte offset into a line and column a user can jump to.
        std::size_t line = 1, column = 1;
        const std::size_t limit = std::min<std::size_t>(error.byte == 0 ? 0 : error.byte - 1, text.size());
        for (std::size_t i = 0; i < limit; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::string detail = error.what();
        // After "parse error at line L, column C: "; the quoted text read so far may hold ": " too.
        const auto colon = detail.find(": ", detail.find("parse error"));
        if (colon != std::string::npos) detail = detail.substr(colon + 2);
        throw FormatError(source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                          ": invalid JSON: " + detail);
    } catch (const nlohmann::json::out_of_range& error) {
        // A number literal beyond a double's range (e.g. 1e400); found by fuzzing, it used to
        // escape as an untyped exception. The message quotes the literal: locate it for the user.
        std::string literal = error.what();
        const auto open = literal.find('\''), close = literal.rfind('\'');
        literal = open != std::string::npos && close > open ? literal.substr(open + 1, close - open - 1) : "";
        std::string where = source;
        if (const auto at = literal.empty() ? std::string::npos : text.find(literal); at != std::string::npos) {
            const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
            const auto lineStart = text.rfind('\n', at);
            const auto column = at - (lineStart == std::string::npos ? 0 : lineStart + 1) + 1;
            where += ":" + std::to_string(line) + ":" + std::to_string(column);
        }
        if (literal.size() > 40) literal = literal.substr(0, 40) + "...";
        throw FormatError(where + ": invalid JSON: the number " + literal + " is too large to represent");
    }
}

nlohmann::json readJsonFile(const std::filesystem::path& path) {
    return parseJson(readFileBytes(path), path.string());
}

void writeFileAtomically(const std::filesystem::path& path, const std::string& bytes) {
    const std::filesystem::path temporary = path.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw IoError(temporary.string() + ": cannot open file for writing");
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) throw IoError(temporary.string() + ": write failed (disk full?)");
    }
    std::error_code code;
    std::filesystem::rename(temporary, path, code);
    if (code) throw IoError(path.string() + ": cannot move file into place: " + code.message());
}

void writeJsonFile(const std::filesystem::path& path, const nlohmann::json& json, int indent) {
    writeFileAtomically(path, json.dump(indent) + "\n");
}

}  // namespace ctd::util
