// JSON file helpers with user-actionable errors.
#include "core/util/json_file.h"

#include "core/util/error.h"

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
        const auto colon = detail.rfind(": ");
        if (colon != std::string::npos) detail = detail.substr(colon + 2);
        throw FormatError(source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                          ": invalid JSON: " + detail);
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
