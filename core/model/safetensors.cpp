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

// The Python library refuses larger headers too; real headers are at most a few megabytes.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests three deep ({name: {data_offsets: [..]}}); a deep nest is a memory bomb.
constexpr int kMaxHeaderDepth = 16;

const char* const kPickleRefusal =
    "pickle checkpoints are refused because loading them can execute arbitrary code; convert the "
    "weights to safetensors first, e.g. in Python: AutoModelForCausalLM.from_pretrained(folder)"
    ".save_pretrained(folder, safe_serialization=True) (for a PEFT adapter: "
    "model.save_pretrained(folder, safe_serialization=True))";

struct DtypeSpec {
    std::string_view name;
    unsigned bits;
    std::optional<at::ScalarType> scalarType;  // nullopt: valid safetensors, not loadable here
};

// Every dtype of the format, so a file is only rejected at open for names nobody defines.
constexpr std::array<DtypeSpec, 19> kDtypes{{
    {"F64", 64, at::ScalarType::Double},
    {"F32", 32, at::ScalarType::Float},
    {"F16", 16, at::ScalarType::Half},
    {"BF16", 16, at::ScalarType::BFloat16},
    {"I64", 64, at::ScalarType::Long},
    {"I32", 32, at::ScalarType::Int},
    {"I16", 16, at::ScalarType::Short},
    {"I8", 8, at::ScalarType::Char},
    {"U64", 64, at::ScalarType::UInt64},
    {"U32", 32, at::ScalarType::UInt32},
    {"U16", 16, at::ScalarType::UInt16},
    {"U8", 8, at::ScalarType::Byte},
    {"BOOL", 8, at::ScalarType::Bool},
    {"F8_E4M3", 8, at::ScalarType::Float8_e4m3fn},
    {"F8_E5M2", 8, at::ScalarType::Float8_e5m2},
    {"F8_E8M0", 8, at::ScalarType::Float8_e8m0fnu},
    {"F6_E2M3", 6, std::nullopt},
    {"F6_E3M2", 6, std::nullopt},
    {"F4", 4, std::nullopt},
}};

const DtypeSpec* findDtype(std::string_view name) {
    for (const auto& spec : kDtypes)
        if (spec.name == name) return &spec;
    return nullptr;
}

const DtypeSpec* findDtype(at::ScalarType type) {
    for (const auto& spec : kDtypes)
        if (spec.scalarType == type) return &spec;
    return nullptr;
}

std::string loadableDtypes() {
    std::string list;
    for (const auto& spec : kDtypes) {
        if (!spec.scalarType) continue;
        if (!list.empty()) list += ", ";
        list += spec.name;
    }
    return list;
}

// Names and values from a hostile file can be huge; messages quote a bounded prefix.
std::string quotedName(std::string_view text) {
    constexpr std::size_t limit = 120;
    if (text.size() <= limit) return "'" + std::string(text) + "'";
    return "'" + std::string(text.substr(0, limit)) + "...'";
}

std::string shown(const json& value) {
    const std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
    return text.size() <= 120 ? text : text.substr(0, 120) + "...";
}

std::string tensorWhere(const fs::path& path, const std::string& name) {
    return path.string() + ": tensor " + quotedName(name);
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

TensorInfo parseEntry(const std::string& name, const json& entry, std::uint64_t dataSize, const fs::path& path) {
    const std::string where = tensorWhere(path, name);
    if (!entry.is_object())
        throw FormatError(where + ": expected an object {dtype, shape, data_offsets}, got " + shown(entry));
    TensorInfo info;
    info.name = name;

    const auto dtype = entry.find("dtype");
    if (dtype == entry.end() || !dtype->is_string())
        throw FormatError(where + ": field 'dtype' must be a string such as \"F32\", got " +
                          (dtype == entry.end() ? std::string("nothing") : shown(*dtype)));
    info.dtype = dtype->get<std::string>();
    const DtypeSpec* spec = findDtype(info.dtype);
    if (!spec)
        throw FormatError(where + ": field 'dtype' is " + quotedName(info.dtype) + ", not a safetensors dtype (" +
                          loadableDtypes() + ", ...)");

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

// A shard named by an index must be a plain file of the folder itself, also after symlinks.
fs::path resolveShard(const fs::path& folder, const fs::path& canonicalFolder, const std::string& shard,
                      const std::string& tensor, const std::string& source) {
    const std::string entry = source + ": weight_map entry for tensor " + quotedName(tensor) + " names shard " + quotedName(shard);
    if (shard.empty() || shard == "." || shard == ".." || shard.find_first_of(std::string("/\\\0", 3)) != std::string::npos)
        throw FormatError(entry + "; shard names must be plain file names inside " + folder.string());
    const fs::path candidate = folder / shard;
    std::error_code code;
    if (!fs::exists(candidate, code))
        throw FormatError(entry + ", but " + candidate.string() + " does not exist");
    const fs::path resolved = fs::canonical(candidate, code);
    if (code) throw IoError(candidate.string() + ": cannot resolve path: " + code.message());
    if (resolved.parent_path() != canonicalFolder)
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
    const std::string source = m_path.string();
    std::uint64_t headerLength = 0;
    std::memcpy(&headerLength, m_data, sizeof headerLength);
    if (headerLength > kMaxHeaderBytes)
        throw FormatError(source + ": header length " + std::to_string(headerLength) + " exceeds the limit of " +
                          std::to_string(kMaxHeaderBytes) + " bytes (corrupt or not safetensors)");
    if (headerLength > m_size - 8)
        throw FormatError(source + ": header length " + std::to_string(headerLength) + " runs past the end of the " +
                          std::to_string(m_size) + "-byte file (truncated?)");
    m_dataStart = 8 + headerLength;
    const std::uint64_t dataSize = m_size - m_dataStart;

    const std::string_view text(reinterpret_cast<const char*>(m_data + 8), headerLength);
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
                    throw FormatError(source + ": field '__metadata__' key " + quotedName(key) + " must be a string, got " +
                                      shown(value));
                m_metadata[key] = value.get<std::string>();
            }
            continue;
        }
        m_tensors.emplace(name, parseEntry(name, entry, dataSize, m_path));
    }
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
    if (found == m_tensors.end()) throw FormatError("tensor " + quotedName(name) + " not found in " + m_path.string());
    return found->second;
}

at::Tensor SafetensorsFile::load(const std::string& name) const {
    const TensorInfo& entry = info(name);
    const DtypeSpec* spec = findDtype(entry.dtype);  // validated by parseHeader
    if (!spec || !spec->scalarType)
        throw FormatError(tensorWhere(m_path, name) + ": dtype " + quotedName(entry.dtype) +
                          " cannot be loaded (supported: " + loadableDtypes() + ")");
    const std::uint8_t* source = m_data + m_dataStart + entry.begin;
    const std::uint64_t bytes = entry.end - entry.begin;
    // Any other byte in a bool tensor is undefined behaviour for the code that reads it later.
    if (*spec->scalarType == at::kBool && std::any_of(source, source + bytes, [](std::uint8_t b) { return b > 1; }))
        throw FormatError(tensorWhere(m_path, name) + ": BOOL data holds bytes other than 0 and 1");
    at::Tensor tensor = at::empty(entry.shape, at::TensorOptions().dtype(*spec->scalarType).device(at::kCPU));
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
    const json index = util::readJsonFile(indexPath);
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object())
        throw FormatError(source + ": field 'weight_map' must be an object {tensor name: shard file}");
    const json& weightMap = index["weight_map"];
    if (weightMap.empty()) throw FormatError(source + ": field 'weight_map' lists no tensors");

    const fs::path canonicalFolder = fs::canonical(folder, code);
    if (code) throw IoError(folder.string() + ": cannot resolve path: " + code.message());
    SafetensorsArchive archive;
    archive.m_source = indexPath;
    std::map<std::string, std::size_t> fileOfShard;
    for (const auto& [tensor, shardValue] : weightMap.items()) {
        if (!shardValue.is_string())
            throw FormatError(source + ": weight_map entry for tensor " + quotedName(tensor) +
                              " must be a shard file name, got " + shown(shardValue));
        const std::string shard = shardValue.get<std::string>();
        auto found = fileOfShard.find(shard);
        if (found == fileOfShard.end()) {
            archive.m_files.push_back(
                SafetensorsFile::open(resolveShard(folder, canonicalFolder, shard, tensor, source)));
            found = fileOfShard.emplace(shard, archive.m_files.size() - 1).first;
        }
        const auto& file = archive.m_files[found->second];
        if (!file->contains(tensor))
            throw FormatError(source + ": weight_map puts tensor " + quotedName(tensor) + " in shard " + quotedName(shard) +
                              ", but " + file->path().string() + " has no such tensor");
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
        throw FormatError("tensor " + quotedName(name) + " not found in " + m_source.string());
    return m_files[found->second]->info(name);
}

at::Tensor SafetensorsArchive::load(const std::string& name) const {
    const auto found = m_fileOfTensor.find(name);
    if (found == m_fileOfTensor.end())
        throw FormatError("tensor " + quotedName(name) + " not found in " + m_source.string());
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
        const std::string where = target + ": tensor " + quotedName(name);
        if (name == "__metadata__") throw ConfigError(where + ": the name is reserved for the metadata");
        if (!seen.insert(name).second) throw ConfigError(where + " is given twice");
        if (!tensor.defined()) throw ConfigError(where + " is undefined");
        if (tensor.layout() != at::kStrided) throw ConfigError(where + " is not dense; call to_dense() first");
        const DtypeSpec* spec = findDtype(tensor.scalar_type());
        if (!spec)
            throw ConfigError(where + " has dtype " + std::string(c10::toString(tensor.scalar_type())) +
                              ", which cannot be saved (supported: " + loadableDtypes() + ")");
        const auto bytes = static_cast<std::uint64_t>(tensor.numel()) * tensor.element_size();
        header[name] = {{"dtype", std::string(spec->name)}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
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
