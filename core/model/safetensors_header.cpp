// Safetensors header and shard-index validation: every declared dtype, shape and offset is
// checked against the bytes that exist, so the reader never trusts a number from the file.
#include "core/model/safetensors_header.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

namespace ctd::model {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The Python library refuses larger headers too; real headers are at most a few megabytes.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests three deep ({name: {data_offsets: [..]}}); a deep nest is a memory bomb.
constexpr int kMaxHeaderDepth = 16;

// Every dtype of the format, so a file is only rejected at open for names nobody defines.
constexpr std::array<SafetensorsDtype, 19> kDtypes{{
    {"F64", 64, true},      {"F32", 32, true},      {"F16", 16, true},     {"BF16", 16, true},
    {"I64", 64, true},      {"I32", 32, true},      {"I16", 16, true},     {"I8", 8, true},
    {"U64", 64, true},      {"U32", 32, true},      {"U16", 16, true},     {"U8", 8, true},
    {"BOOL", 8, true},      {"F8_E4M3", 8, true},   {"F8_E5M2", 8, true},  {"F8_E8M0", 8, true},
    {"F6_E2M3", 6, false},  {"F6_E3M2", 6, false},  {"F4", 4, false},
}};

std::string shown(const json& value) {
    const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return text.size() <= 120 ? text : text.substr(0, 120) + "...";
}

bool multiplyChecked(std::uint64_t a, std::uint64_t b, std::uint64_t& product) {
    return !__builtin_mul_overflow(a, b, &product);
}

void checkNestingDepth(std::string_view text, const std::string& source) {
    int depth = 0;
    bool inString = false, escaped = false;
    for (const char c : text) {
        if (inString) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxHeaderDepth)
                throw FormatError(source + ": header JSON nests deeper than " + std::to_string(kMaxHeaderDepth) +
                                  " levels; not a safetensors header");
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
}

std::uint64_t unsignedField(const json& value, const std::string& where, const std::string& expected) {
    if (!value.is_number_unsigned()) throw FormatError(where + " must be " + expected + ", got " + shown(value));
    return value.get<std::uint64_t>();
}

TensorInfo parseEntry(const std::string& name, const json& entry, std::uint64_t dataSize, const std::string& source) {
    const std::string where = source + ": tensor " + quotedTensorName(name);
    if (!entry.is_object())
        throw FormatError(where + ": expected an object {dtype, shape, data_offsets}, got " + shown(entry));
    TensorInfo info;
    info.name = name;

    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        throw FormatError(where + ": field 'dtype' must be a string such as \"F32\", got " +
                          (dtype == entry.end() ? std::string("nothing") : shown(*dtype)));
    info.dtype = dtype->get<std::string>();
    const SafetensorsDtype* spec = findSafetensorsDtype(info.dtype);
    if (!spec)
        throw FormatError(where + ": field 'dtype' is " + quotedTensorName(info.dtype) + ", not a safetensors dtype (" +
                          loadableSafetensorsDtypes() + ", ...)");

    const auto shape = entry.find("shape");
    const std::string shapeWhere = where + ": field 'shape'";
    if (shape == entry.end() || !shape->is_array())
        throw FormatError(shapeWhere + " must be a list of non-negative integers, got " +
                          (shape == entry.end() ? std::string("nothing") : shown(*shape)));
    // Elements and the product of non-zero dims (what strides reach) must fit in int64.
    std::uint64_t elements = 1, extent = 1;
    constexpr auto int64Max = static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max());
    for (const auto& dim : *shape) {
        const std::uint64_t size = unsignedField(dim, shapeWhere, "a list of non-negative integers");
        if (!multiplyChecked(elements, size, elements) || !multiplyChecked(extent, std::max<std::uint64_t>(size, 1), extent) ||
            extent > int64Max)
            throw FormatError(shapeWhere + " " + shown(*shape) + " has dimensions whose product does not fit in 64 bits");
        info.shape.push_back(static_cast<int64_t>(size));
    }

    const auto offsets = entry.find("data_offsets");
    const std::string offsetsWhere = where + ": field 'data_offsets'";
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2)
        throw FormatError(offsetsWhere + " must be a list [begin, end], got " +
                          (offsets == entry.end() ? std::string("nothing") : shown(*offsets)));
    info.begin = unsignedField((*offsets)[0], offsetsWhere, "two non-negative integers");
    info.end = unsignedField((*offsets)[1], offsetsWhere, "two non-negative integers");
    if (info.begin > info.end || info.end > dataSize)
        throw FormatError(offsetsWhere + " " + shown(*offsets) + " must satisfy begin <= end <= " +
                          std::to_string(dataSize) + " (the size of the data section)");

    std::uint64_t bits = 0;
    if (!multiplyChecked(elements, spec->bits, bits))
        throw FormatError(where + ": shape " + shown(*shape) + " of " + info.dtype +
                          " needs more than 2^64 bytes, but data_offsets span " + std::to_string(info.end - info.begin));
    if (bits % 8 != 0)
        throw FormatError(where + ": " + std::to_string(elements) + " elements of " + info.dtype +
                          " do not fill whole bytes");
    if (info.end - info.begin != bits / 8)
        throw FormatError(where + ": data_offsets span " + std::to_string(info.end - info.begin) +
                          " bytes but shape " + shown(*shape) + " of " + info.dtype + " needs " +
                          std::to_string(bits / 8));
    return info;
}

}  // namespace

const SafetensorsDtype* findSafetensorsDtype(std::string_view name) {
    for (const auto& spec : kDtypes)
        if (spec.name == name) return &spec;
    return nullptr;
}

std::string loadableSafetensorsDtypes() {
    std::string list;
    for (const auto& spec : kDtypes) {
        if (!spec.loadable) continue;
        if (!list.empty()) list += ", ";
        list += spec.name;
    }
    return list;
}

std::string quotedTensorName(std::string_view text) {
    constexpr std::size_t limit = 120;
    // Appended piece by piece: GCC 12 warns (falsely) about "'" + std::string(...) here.
    std::string quoted = "'";
    quoted.append(text.substr(0, limit));
    quoted.append(text.size() <= limit ? "'" : "...'");
    return quoted;
}

SafetensorsHeader parseSafetensorsHeader(const std::uint8_t* bytes, std::uint64_t fileSize, const std::string& source) {
    if (fileSize < 8)
        throw FormatError(source + ": file is " + std::to_string(fileSize) +
                          " bytes, too short for the 8-byte header length (truncated or not safetensors)");
    std::uint64_t headerLength = 0;
    std::memcpy(&headerLength, bytes, sizeof headerLength);  // little-endian, as the format stores it
    if (headerLength > kMaxHeaderBytes)
        throw FormatError(source + ": header length " + std::to_string(headerLength) + " exceeds the limit of " +
                          std::to_string(kMaxHeaderBytes) + " bytes (corrupt or not safetensors)");
    if (headerLength > fileSize - 8)
        throw FormatError(source + ": header length " + std::to_string(headerLength) + " runs past the end of the " +
                          std::to_string(fileSize) + "-byte file (truncated?)");
    SafetensorsHeader result;
    result.dataStart = 8 + headerLength;
    const std::uint64_t dataSize = fileSize - result.dataStart;

    const std::string_view text(reinterpret_cast<const char*>(bytes + 8), headerLength);
    checkNestingDepth(text, source);
    const json header = util::parseJson(std::string(text), source + " (header)");
    if (!header.is_object()) throw FormatError(source + ": header must be a JSON object, got " + shown(header));

    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (entry.is_null()) continue;
            if (!entry.is_object())
                throw FormatError(source + ": field '__metadata__' must be an object of strings, got " + shown(entry));
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string())
                    throw FormatError(source + ": field '__metadata__' key " + quotedTensorName(key) +
                                      " must be a string, got " + shown(value));
                result.metadata[key] = value.get<std::string>();
            }
            continue;
        }
        result.tensors.emplace(name, parseEntry(name, entry, dataSize, source));
    }
    return result;
}

std::vector<std::pair<std::string, std::string>> parseSafetensorsIndex(const std::string& text, const std::string& source,
                                                                       const fs::path& folder) {
    const json index = util::parseJson(text, source);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
        throw FormatError(source + ": field 'weight_map' must be an object {tensor name: shard file}");
    const json& weightMap = index["weight_map"];
    if (weightMap.empty()) throw FormatError(source + ": field 'weight_map' lists no tensors");

    std::vector<std::pair<std::string, std::string>> entries;
    for (const auto& [tensor, shardValue] : weightMap.items()) {
        if (!shardValue.is_string())
            throw FormatError(source + ": weight_map entry for tensor " + quotedTensorName(tensor) +
                              " must be a shard file name, got " + shown(shardValue));
        const std::string shard = shardValue.get<std::string>();
        // A folder part (either separator) or a NUL could name a file outside the model folder.
        if (shard.empty() || shard == "." || shard == ".." ||
            shard.find_first_of(std::string("/\\\0", 3)) != std::string::npos)
            throw FormatError(source + ": weight_map entry for tensor " + quotedTensorName(tensor) + " names shard " +
                              quotedTensorName(shard) + "; shard names must be plain file names inside " + folder.string());
        entries.emplace_back(tensor, shard);
    }
    return entries;
}

}  // namespace ctd::model
