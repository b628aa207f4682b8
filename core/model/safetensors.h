// Safetensors reading (memory-mapped, bounds-checked; single file or sharded folder) and writing.
// A hostile or truncated file yields ctd::FormatError, never a crash or an out-of-bounds read.
#pragma once
#include "core/model/safetensors_header.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ctd::model {

// One memory-mapped .safetensors file, validated whole at open(). The mapping is read-only and
// private; like any mmap reader, it assumes no other process truncates the file while it is open.
class SafetensorsFile {
public:
    static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::vector<std::string> names() const;  // sorted
    bool contains(const std::string& name) const;
    const TensorInfo& info(const std::string& name) const;  // throws FormatError if absent
    // An owning CPU copy in the stored dtype. Loadable: F64, F32, F16, BF16, I64, I32, I16, I8,
    // U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2, F8_E8M0; other known dtypes -> FormatError.
    at::Tensor load(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return m_metadata; }

private:
    SafetensorsFile() = default;
    void parseHeader();  // validates every entry against the mapped size; throws FormatError
    std::filesystem::path m_path;
    const std::uint8_t* m_data = nullptr;  // start of mapping
    std::uint64_t m_size = 0;
    std::uint64_t m_dataStart = 0;         // 8 + header length
    std::map<std::string, TensorInfo> m_tensors;
    std::map<std::string, std::string> m_metadata;
};

// The weights of a model folder: `model.safetensors`, or shards listed in
// `model.safetensors.index.json` (shard names are plain file names that must resolve inside the
// folder, or into the blobs/ of the Hugging Face cache repository holding the snapshot folder). A folder holding only
// pickle checkpoints (*.bin, *.pt, *.pth, *.pkl, *.ckpt) is refused with a message explaining why.
class SafetensorsArchive {
public:
    static SafetensorsArchive openFolder(const std::filesystem::path& folder,
                                         const std::string& baseName = "model");
    static SafetensorsArchive openFile(const std::filesystem::path& file);

    std::vector<std::string> names() const;  // sorted; for shards, the tensors the index lists
    bool contains(const std::string& name) const;
    const TensorInfo& info(const std::string& name) const;
    at::Tensor load(const std::string& name) const;

private:
    std::filesystem::path m_source;  // the folder, index or file named in errors
    std::vector<std::shared_ptr<SafetensorsFile>> m_files;
    std::map<std::string, std::size_t> m_fileOfTensor;
};

// Writes tensors (any device; contiguous CPU copies are made) in the given order, each in its own
// dtype (any of the loadable ones above; others -> ConfigError). The header is laid out as the
// Python library writes it. The write goes to a temporary file that is synced and renamed into
// place, so a crash never leaves half a file.
void saveSafetensors(const std::filesystem::path& path,
                     const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

// Throws ConfigError if `path` is a pickle checkpoint (by extension), explaining why it is refused.
void refusePickleCheckpoint(const std::filesystem::path& path);

}  // namespace ctd::model
