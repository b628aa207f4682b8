// Safetensors files: a bounds-checked, memory-mapped reader (one file or a sharded folder) and an
// atomic writer whose header layout matches the Python `safetensors` library byte for byte.
#include "core/model/safetensors.h"

#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <string_view>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ctd::model {

static_assert(std::endian::native == std::endian::little,
              "safetensors stores little-endian data and this reader copies it unchanged");

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* const kPickleRefusal =
    "pickle checkpoints are refused because loading them can execute arbitrary code; convert the "
    "weights to safetensors first, e.g. in Python: AutoModelForCausalLM.from_pretrained(folder)"
    ".save_pretrained(folder, safe_serialization=True) (for a PEFT adapter: "
    "model.save_pretrained(folder, safe_serialization=True))";

// The loadable dtypes of safetensors_header.cpp's table, as torch scalar types.
constexpr std::array<std::pair<std::string_view, at::ScalarType>, 16> kScalarTypes{{
    {"F64", at::ScalarType::Double},
    {"F32", at::ScalarType::Float},
    {"F16", at::ScalarType::Half},
    {"BF16", at::ScalarType::BFloat16},
    {"I64", at::ScalarType::Long},
    {"I32", at::ScalarType::Int},
    {"I16", at::ScalarType::Short},
    {"I8", at::ScalarType::Char},
    {"U64", at::ScalarType::UInt64},
    {"U32", at::ScalarType::UInt32},
    {"U16", at::ScalarType::UInt16},
    {"U8", at::ScalarType::Byte},
    {"BOOL", at::ScalarType::Bool},
    {"F8_E4M3", at::ScalarType::Float8_e4m3fn},
    {"F8_E5M2", at::ScalarType::Float8_e5m2},
    {"F8_E8M0", at::ScalarType::Float8_e8m0fnu},
}};

std::optional<at::ScalarType> scalarTypeOf(std::string_view name) {
    for (const auto& [dtype, type] : kScalarTypes)
        if (dtype == name) return type;
    return std::nullopt;
}

const std::string_view* dtypeNameOf(at::ScalarType type) {
    for (const auto& entry : kScalarTypes)
        if (entry.second == type) return &entry.first;
    return nullptr;
}

std::string tensorWhere(const fs::path& path, const std::string& name) {
    return path.string() + ": tensor " + quotedTensorName(name);
}

struct FileDescriptor {
    int fd = -1;
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
};

bool isPickleCheckpoint(const fs::path& path) {
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension == ".bin" || extension == ".pt" || extension == ".pth" || extension == ".pkl" ||
           extension == ".ckpt";
}

// A shard named by an index (a plain file name, checked by parseSafetensorsIndex) must be a file
// of the folder itself, also after symlinks.
fs::path resolveShard(const fs::path& folder, const fs::path& canonicalFolder, const std::string& shard,
                      const std::string& tensor, const std::string& source) {
    const std::string entry = source + ": weight_map entry for tensor " + quotedTensorName(tensor) + " names shard " +
                              quotedTensorName(shard);
    const fs::path candidate = folder / shard;
    std::error_code code;
    if (!fs::exists(candidate, code))
        throw FormatError(entry + ", but " + candidate.string() + " does not exist");
    const fs::path resolved = fs::canonical(candidate, code);
    if (code) throw IoError(candidate.string() + ": cannot resolve path: " + code.message());
    // The one link allowed out: a Hugging Face cache snapshot (<repo>/snapshots/<revision>/) links
    // each file to <repo>/blobs/, the same repository's content store.
    const bool inFolder = resolved.parent_path() == canonicalFolder;
    const bool inCacheBlobs = canonicalFolder.parent_path().filename() == "snapshots" &&
                              resolved.parent_path() == canonicalFolder.parent_path().parent_path() / "blobs";
    if (!inFolder && !inCacheBlobs)
        throw FormatError(entry + ", which resolves to " + resolved.string() + ", outside " + folder.string());
    return candidate;
}

// POSIX output so the temporary file can be synced before it replaces the target.
class OutputFile {
public:
    explicit OutputFile(fs::path path) : m_path(std::move(path)) {
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m_fd < 0) throw IoError(m_path.string() + ": cannot open file for writing: " + std::strerror(errno));
    }
    ~OutputFile() {
        if (m_fd >= 0) ::close(m_fd);
    }
    void write(const void* data, std::size_t size) {
        const auto* bytes = static_cast<const char*>(data);
        while (size > 0) {
            const ssize_t written = ::write(m_fd, bytes, std::min<std::size_t>(size, 1U << 30));
            if (written < 0 && errno == EINTR) continue;
            if (written <= 0) throw IoError(m_path.string() + ": write failed: " + std::strerror(errno));
            bytes += written;
            size -= static_cast<std::size_t>(written);
        }
    }
    void syncAndClose() {
        if (::fsync(m_fd) != 0) throw IoError(m_path.string() + ": fsync failed: " + std::strerror(errno));
        const int fd = m_fd;
        m_fd = -1;
        if (::close(fd) != 0) throw IoError(m_path.string() + ": close failed: " + std::strerror(errno));
    }

private:
    fs::path m_path;
    int m_fd = -1;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// SafetensorsFile

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const fs::path& path) {
    // Owned from the start, so the destructor unmaps when validation throws.
    std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
    file->m_path = path;
    const std::string source = path.string();
    // O_NONBLOCK: a FIFO named by mistake must fail the regular-file check, not hang the open.
    FileDescriptor descriptor{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
    if (descriptor.fd < 0) throw IoError(source + ": cannot open file for reading: " + std::strerror(errno));
    struct stat status {};
    if (::fstat(descriptor.fd, &status) != 0) throw IoError(source + ": cannot stat file: " + std::strerror(errno));
    if (!S_ISREG(status.st_mode)) throw IoError(source + ": not a regular file");
    const auto size = static_cast<std::uint64_t>(status.st_size);
    if (size < 8)
        throw FormatError(source + ": file is " + std::to_string(size) +
                          " bytes, too short for the 8-byte header length (truncated or not safetensors)");
    void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, descriptor.fd, 0);
    if (mapping == MAP_FAILED) throw IoError(source + ": cannot memory-map file: " + std::strerror(errno));
    file->m_data = static_cast<const std::uint8_t*>(mapping);
    file->m_size = size;
    file->parseHeader();
    return file;
}

SafetensorsFile::~SafetensorsFile() {
    if (m_data) ::munmap(const_cast<std::uint8_t*>(m_data), m_size);
}

void SafetensorsFile::parseHeader() {
    SafetensorsHeader header = parseSafetensorsHeader(m_data, m_size, m_path.string());
    m_dataStart = header.dataStart;
    m_tensors = std::move(header.tensors);
    m_metadata = std::move(header.metadata);
}

std::vector<std::string> SafetensorsFile::names() const {
    std::vector<std::string> result;
    result.reserve(m_tensors.size());
    for (const auto& [name, info] : m_tensors) result.push_back(name);
    return result;
}

bool SafetensorsFile::contains(const std::string& name) const { return m_tensors.count(name) > 0; }

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
    const auto found = m_tensors.find(name);
    if (found == m_tensors.end()) throw FormatError("tensor " + quotedTensorName(name) + " not found in " + m_path.string());
    return found->second;
}

at::Tensor SafetensorsFile::load(const std::string& name) const {
    const TensorInfo& entry = info(name);
    const std::optional<at::ScalarType> scalarType = scalarTypeOf(entry.dtype);  // known: validated by parseHeader
    if (!scalarType)
        throw FormatError(tensorWhere(m_path, name) + ": dtype " + quotedTensorName(entry.dtype) +
                          " cannot be loaded (supported: " + loadableSafetensorsDtypes() + ")");
    const std::uint8_t* source = m_data + m_dataStart + entry.begin;
    const std::uint64_t bytes = entry.end - entry.begin;
    // Any other byte in a bool tensor is undefined behaviour for the code that reads it later.
    if (*scalarType == at::kBool && std::any_of(source, source + bytes, [](std::uint8_t b) { return b > 1; }))
        throw FormatError(tensorWhere(m_path, name) + ": BOOL data holds bytes other than 0 and 1");
    at::Tensor tensor = at::empty(entry.shape, at::TensorOptions().dtype(*scalarType).device(at::kCPU));
    if (tensor.nbytes() != bytes)  // parseHeader checked the same arithmetic; never copy past either end
        throw FormatError(tensorWhere(m_path, name) + ": size does not match its shape");
    if (bytes > 0) std::memcpy(tensor.data_ptr(), source, bytes);
    return tensor;
}

// ---------------------------------------------------------------------------------------------
// SafetensorsArchive

SafetensorsArchive SafetensorsArchive::openFile(const fs::path& file) {
    refusePickleCheckpoint(file);
    SafetensorsArchive archive;
    archive.m_source = file;
    archive.m_files.push_back(SafetensorsFile::open(file));
    for (const auto& name : archive.m_files.front()->names()) archive.m_fileOfTensor.emplace(name, 0);
    return archive;
}

SafetensorsArchive SafetensorsArchive::openFolder(const fs::path& folder, const std::string& baseName) {
    std::error_code code;
    if (!fs::is_directory(folder, code))
        throw IoError(folder.string() + ": not a folder (expected a model folder holding " + baseName + ".safetensors)");
    const fs::path single = folder / (baseName + ".safetensors");
    if (fs::exists(single, code)) return openFile(single);

    const fs::path indexPath = folder / (baseName + ".safetensors.index.json");
    if (!fs::exists(indexPath, code)) {
        std::vector<std::string> pickles;
        for (const auto& item : fs::directory_iterator(folder, code))
            if (isPickleCheckpoint(item.path())) pickles.push_back(item.path().filename().string());
        if (!pickles.empty()) {
            std::sort(pickles.begin(), pickles.end());
            std::string listed;
            for (std::size_t i = 0; i < std::min<std::size_t>(pickles.size(), 3); ++i) listed += (i ? ", " : "") + pickles[i];
            if (pickles.size() > 3) listed += " and " + std::to_string(pickles.size() - 3) + " more";
            throw ConfigError(folder.string() + ": holds no " + baseName + ".safetensors, only the pickle checkpoint(s) " +
                              listed + "; " + kPickleRefusal);
        }
        throw IoError("no " + baseName + ".safetensors or " + baseName + ".safetensors.index.json in " + folder.string());
    }

    const std::string source = indexPath.string();
    const auto weightMap = parseSafetensorsIndex(util::readFileBytes(indexPath), source, folder);

    const fs::path canonicalFolder = fs::canonical(folder, code);
    if (code) throw IoError(folder.string() + ": cannot resolve path: " + code.message());
    SafetensorsArchive archive;
    archive.m_source = indexPath;
    std::map<std::string, std::size_t> fileOfShard;
    for (const auto& [tensor, shard] : weightMap) {
        auto found = fileOfShard.find(shard);
        if (found == fileOfShard.end()) {
            refusePickleCheckpoint(folder / shard);  // never opened as anything but safetensors, but say why
            archive.m_files.push_back(
                SafetensorsFile::open(resolveShard(folder, canonicalFolder, shard, tensor, source)));
            found = fileOfShard.emplace(shard, archive.m_files.size() - 1).first;
        }
        const auto& file = archive.m_files[found->second];
        if (!file->contains(tensor))
            throw FormatError(source + ": weight_map puts tensor " + quotedTensorName(tensor) + " in shard " +
                              quotedTensorName(shard) + ", but " + file->path().string() + " has no such tensor");
        archive.m_fileOfTensor[tensor] = found->second;
    }
    return archive;
}

std::vector<std::string> SafetensorsArchive::names() const {
    std::vector<std::string> result;
    result.reserve(m_fileOfTensor.size());
    for (const auto& [name, file] : m_fileOfTensor) result.push_back(name);
    return result;
}

bool SafetensorsArchive::contains(const std::string& name) const { return m_fileOfTensor.count(name) > 0; }

const TensorInfo& SafetensorsArchive::info(const std::string& name) const {
    const auto found = m_fileOfTensor.find(name);
    if (found == m_fileOfTensor.end())
        throw FormatError("tensor " + quotedTensorName(name) + " not found in " + m_source.string());
    return m_files[found->second]->info(name);
}

at::Tensor SafetensorsArchive::load(const std::string& name) const {
    const auto found = m_fileOfTensor.find(name);
    if (found == m_fileOfTensor.end())
        throw FormatError("tensor " + quotedTensorName(name) + " not found in " + m_source.string());
    return m_files[found->second]->load(name);
}

// ---------------------------------------------------------------------------------------------
// Writing

void saveSafetensors(const fs::path& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata) {
    const std::string target = path.string();
    // The Python library writes __metadata__ first, then each entry as {dtype, shape, data_offsets}.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json entries = nlohmann::ordered_json::object();
        for (const auto& [key, value] : metadata) entries[key] = value;
        header["__metadata__"] = std::move(entries);
    }
    std::set<std::string> seen;
    std::uint64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        const std::string where = target + ": tensor " + quotedTensorName(name);
        if (name == "__metadata__") throw ConfigError(where + ": the name is reserved for the metadata");
        if (!seen.insert(name).second) throw ConfigError(where + " is given twice");
        if (!tensor.defined()) throw ConfigError(where + " is undefined");
        if (tensor.layout() != at::kStrided) throw ConfigError(where + " is not dense; call to_dense() first");
        const std::string_view* dtype = dtypeNameOf(tensor.scalar_type());
        if (!dtype)
            throw ConfigError(where + " has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                              ", which cannot be saved (supported: " + loadableSafetensorsDtypes() + ")");
        const auto bytes = static_cast<std::uint64_t>(tensor.numel()) * tensor.element_size();
        header[name] = {{"dtype", std::string(*dtype)}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text;
    try {
        text = header.dump();
    } catch (const nlohmann::json::type_error&) {
        throw ConfigError(target + ": tensor names and metadata must be valid UTF-8");
    }
    text.append((8 - text.size() % 8) % 8, ' ');  // the Python library aligns the data to 8 bytes

    const fs::path temporary = target + ".tmp";
    try {
        OutputFile out(temporary);
        const std::uint64_t headerLength = text.size();
        out.write(&headerLength, sizeof headerLength);
        out.write(text.data(), text.size());
        // One tensor on the CPU at a time, so saving a GPU model does not need a second copy of it.
        for (const auto& [name, tensor] : tensors) {
            const at::Tensor cpu = tensor.detach().resolve_conj().resolve_neg().to(at::kCPU).contiguous();
            if (cpu.numel() > 0) out.write(cpu.data_ptr(), cpu.nbytes());
        }
        out.syncAndClose();
    } catch (...) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
    std::error_code code;
    fs::rename(temporary, path, code);
    if (code) {
        fs::remove(temporary, code);
        throw IoError(target + ": cannot move file into place: " + code.message());
    }
}

void refusePickleCheckpoint(const fs::path& path) {
    if (isPickleCheckpoint(path)) throw ConfigError(path.string() + ": " + kPickleRefusal);
}

}  // namespace ctd::model
