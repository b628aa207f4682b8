// Parsing and validating what a safetensors file declares (its JSON header) and what a sharded
// model's `model.safetensors.index.json` lists, without torch: the fuzz targets build this alone.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctd::model {

struct TensorInfo {
    std::string name;
    std::string dtype;             // as in the header: "F32", "F16", "BF16", ...
    std::vector<int64_t> shape;
    std::uint64_t begin = 0;       // byte offsets relative to the data section
    std::uint64_t end = 0;
};

// A dtype the format defines; `loadable` when SafetensorsFile::load can return it as a tensor.
struct SafetensorsDtype {
    std::string_view name;
    unsigned bits;
    bool loadable;
};
const SafetensorsDtype* findSafetensorsDtype(std::string_view name);  // nullptr if unknown
std::string loadableSafetensorsDtypes();                               // "F64, F32, ..."

struct SafetensorsHeader {
    std::uint64_t dataStart = 0;  // 8 + header length
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
};

// Validates the first bytes of a file of `fileSize` bytes (`bytes` holds at least the whole
// file, or at least 8 + the header length): header length, JSON, every entry's dtype, shape and
// offsets against the data section. FormatError naming `source` for anything a hostile or
// truncated file can get wrong.
SafetensorsHeader parseSafetensorsHeader(const std::uint8_t* bytes, std::uint64_t fileSize, const std::string& source);

// The weight map of an index file, (tensor, shard) in file order. Every shard must be a plain
// file name (no folder part, not "." or ".."): resolving it inside `folder` is the caller's part.
std::vector<std::pair<std::string, std::string>> parseSafetensorsIndex(const std::string& text, const std::string& source,
                                                                       const std::filesystem::path& folder);

// Names and values from a hostile file can be huge; messages quote a bounded prefix.
std::string quotedTensorName(std::string_view text);

}  // namespace ctd::model
