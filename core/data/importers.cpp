// Entry points of the importers: read the file, hash it, pick the format, validate UTF-8.
#include "core/data/importers.h"

#include "core/data/import/import_support.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <cctype>

namespace ctd::data {
namespace {

const std::vector<std::string>& importableKinds() {
    static const std::vector<std::string> kinds{"alpaca", "eval", "generations", "csv"};
    return kinds;
}

std::string lowercase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

std::optional<std::size_t> findInvalidUtf8(std::string_view bytes) {
    const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t size = bytes.size();
    std::size_t i = 0;
    while (i < size) {
        const unsigned char lead = data[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        std::size_t length;
        unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte (RFC 3629 table)
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0) low = 0xA0;   // overlong
            if (lead == 0xED) high = 0x9F;  // UTF-16 surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0) low = 0x90;   // overlong
            if (lead == 0xF4) high = 0x8F;  // past U+10FFFF
        } else {
            return i;  // continuation byte without a lead, C0/C1 overlongs, F5..FF
        }
        if (i + length > size) return i;
        if (data[i + 1] < low || data[i + 1] > high) return i;
        for (std::size_t k = 2; k < length; ++k)
            if ((data[i + k] & 0xC0) != 0x80) return i;
        i += length;
    }
    return std::nullopt;
}

std::string detectKind(const std::string& bytes, const std::string& source) {
    const std::string extension = lowercase(std::filesystem::path(source).extension().string());
    if (extension == ".csv") return "csv";
    if (extension == ".jsonl") return "alpaca";

    std::size_t first = detail::byteOrderMarkLength(bytes);
    while (first < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[first]))) ++first;
    if (first >= bytes.size()) throw FormatError(source + ": file is empty");
    if (bytes[first] == '[') return "alpaca";
    if (bytes[first] == '{') {
        // A whole-file object with parallel lists is an evaluation or generation file; an object
        // that only parses line by line is JSON lines.
        const nlohmann::json document = nlohmann::json::parse(bytes.begin() + static_cast<std::ptrdiff_t>(first),
                                                              bytes.end(), nullptr, false);
        if (!document.is_discarded() && document.is_object()) {
            if (document.contains("outputs") && document.contains("instructions")) return "generations";
            if (document.contains("instructions")) return "eval";
            if (document.contains("instruction")) return "alpaca";
            throw FormatError(source + ": cannot tell the format: a JSON object without \"instructions\" "
                                       "(evaluation file) or \"instruction\" (Alpaca record); pass --kind");
        }
        return "alpaca";  // JSON lines, or broken JSON that the Alpaca parser will locate
    }
    const std::string firstLine = lowercase(bytes.substr(first, bytes.find('\n', first) - first));
    if (firstLine.find("instruction") != std::string::npos && firstLine.find(',') != std::string::npos) return "csv";
    throw FormatError(source + ": cannot tell the format (expected JSON, JSON lines, or CSV with a header row "
                               "naming an \"instruction\" column); pass --kind");
}

Dataset importBytes(const std::string& bytes, const std::string& source, const ImportOptions& options) {
    std::string kind = options.kind.empty() ? detectKind(bytes, source) : options.kind;
    const auto& kinds = importableKinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
        throw ConfigError("unknown dataset kind \"" + kind + "\" for " + source + " (expected alpaca, eval, generations or csv)");

    Dataset dataset;
    if (kind == "alpaca") dataset = parseAlpaca(bytes, source);
    else if (kind == "eval") dataset = parseEvaluation(bytes, source);
    else if (kind == "generations") dataset = parseGenerations(bytes, source);
    else dataset = parseCsv(bytes, source);

    dataset.kind = kind;
    dataset.sourcePath = source;
    dataset.name = options.name.empty() ? std::filesystem::path(source).stem().string() : options.name;
    // The hash covers the file bytes only (so `sha256sum` reproduces it); the store keys on kind + hash.
    dataset.contentHash = util::sha256Hex(bytes);
    dataset.metadata["bytes"] = bytes.size();
    return dataset;
}

Dataset importFile(const std::filesystem::path& path, const ImportOptions& options) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error))
        throw IoError(path.string() + ": is a folder, expected a data file");
    const std::string bytes = util::readFileBytes(path);
    const std::filesystem::path absolute = std::filesystem::absolute(path, error);
    return importBytes(bytes, (error ? path : absolute.lexically_normal()).string(), options);
}

}  // namespace ctd::data
