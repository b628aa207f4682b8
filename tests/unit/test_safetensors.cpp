// Safetensors reader and writer: round trips, byte compatibility with the Python library, and a
// typed error naming the file for every kind of bad input (never a crash or an out-of-bounds read).
#include "core/model/safetensors.h"
#include "core/util/error.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

namespace fs = std::filesystem;
using ctd::model::SafetensorsArchive;
using ctd::model::SafetensorsFile;
using ctd::model::saveSafetensors;

namespace {

std::string readBytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

void writeBytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string littleEndian64(std::uint64_t value) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return bytes;
}

// A file as the format lays it out: header length, JSON header, data.
std::string safetensorsBytes(const std::string& header, const std::string& data) {
    return littleEndian64(header.size()) + header + data;
}

std::string fromHex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return bytes;
}

std::string bytesOf(const at::Tensor& tensor) {
    const at::Tensor contiguous = tensor.contiguous();
    return std::string(static_cast<const char*>(contiguous.data_ptr()), contiguous.nbytes());
}

void expectSameTensor(const at::Tensor& actual, const at::Tensor& expected) {
    EXPECT_EQ(actual.scalar_type(), expected.scalar_type());
    EXPECT_EQ(actual.sizes(), expected.sizes());
    EXPECT_TRUE(actual.device().is_cpu());
    EXPECT_EQ(bytesOf(actual), bytesOf(expected));  // bitwise: covers dtypes without CPU equal()
}

// Runs `action`, expecting exactly `Expected` with every needle in its message.
template <typename Expected, typename Action>
void expectError(Action&& action, std::initializer_list<std::string> needles) {
    try {
        action();
        ADD_FAILURE() << "no exception thrown";
    } catch (const Expected& error) {
        const std::string message = error.what();
        for (const auto& needle : needles) EXPECT_NE(message.find(needle), std::string::npos) << "'" << needle << "' not in: " << message;
    } catch (const std::exception& error) {
        ADD_FAILURE() << "wrong exception type: " << error.what();
    }
}

// std::filesystem::remove_all is avoided: the copy that libtorch.so exports (and the dynamic
// linker may pick first) crashes. Everything else of std::filesystem used here works.
void removeTree(const fs::path& path) {
    std::error_code code;
    if (fs::is_directory(fs::symlink_status(path, code)))
        for (const auto& entry : fs::directory_iterator(path, code)) removeTree(entry.path());
    fs::remove(path, code);
}

class SafetensorsTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        m_dir = fs::temp_directory_path() /
                ("ctd_safetensors_" + std::to_string(::getpid()) + "_" + test->name());
        removeTree(m_dir);
        fs::create_directories(m_dir);
    }
    void TearDown() override { removeTree(m_dir); }

    // Writes a hand-made file and expects opening it to fail with a FormatError naming it.
    void expectBadFile(const std::string& bytes, std::initializer_list<std::string> needles) {
        const fs::path path = m_dir / "bad.safetensors";
        writeBytes(path, bytes);
        std::vector<std::string> all(needles);
        all.push_back(path.string());
        try {
            SafetensorsFile::open(path);
            ADD_FAILURE() << "no exception for a bad file";
        } catch (const ctd::FormatError& error) {
            const std::string message = error.what();
            for (const auto& needle : all) EXPECT_NE(message.find(needle), std::string::npos) << "'" << needle << "' not in: " << message;
        } catch (const std::exception& error) {
            ADD_FAILURE() << "wrong exception type: " << error.what();
        }
    }

    fs::path m_dir;
};

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_F(SafetensorsTest, RoundTripsFloatTypesEmptyAndScalarWithMetadata) {
    at::manual_seed(0);
    const std::vector<std::pair<std::string, at::Tensor>> tensors{
        {"model.layers.0.weight", at::randn({3, 5})},
        {"half", at::randn({4}).to(at::kHalf)},
        {"bfloat", at::randn({2, 3}).to(at::kBFloat16)},
        {"empty", at::empty({0, 7})},
        {"scalar", at::full({}, 2.5, at::kHalf)},
        {"transposed", at::arange(6, at::kFloat).reshape({2, 3}).t()},  // written contiguous
    };
    const fs::path path = m_dir / "round.safetensors";
    saveSafetensors(path, tensors, {{"format", "pt"}, {"ctd", "test"}});
    EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
    const std::string bytes = readBytes(path);
    std::uint64_t headerLength = 0;
    std::memcpy(&headerLength, bytes.data(), 8);
    EXPECT_EQ(headerLength % 8, 0U);

    const auto file = SafetensorsFile::open(path);
    EXPECT_EQ(file->names(), (std::vector<std::string>{"bfloat", "empty", "half", "model.layers.0.weight", "scalar", "transposed"}));
    EXPECT_EQ(file->metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"ctd", "test"}}));
    for (const auto& [name, tensor] : tensors) {
        ASSERT_TRUE(file->contains(name));
        expectSameTensor(file->load(name), tensor);
    }
    EXPECT_EQ(file->info("bfloat").dtype, "BF16");
    EXPECT_EQ(file->info("half").dtype, "F16");
    EXPECT_EQ(file->info("scalar").shape, std::vector<int64_t>{});
    EXPECT_EQ(file->info("empty").begin, file->info("empty").end);
}

TEST_F(SafetensorsTest, RoundTripsIntegerBoolAndFloat8Types) {
    const std::vector<std::pair<std::string, at::Tensor>> tensors{
        {"f64", at::arange(3, at::kDouble)},
        {"i64", at::arange(-2, 3, at::kLong)},
        {"i32", at::arange(-2, 3, at::kInt)},
        {"i16", at::arange(-2, 3, at::kShort)},
        {"i8", at::arange(-2, 3, at::kChar)},
        {"u8", at::arange(250, 256, at::kInt).to(at::kByte)},
        {"bool", at::arange(4, at::kInt).remainder(2).to(at::kBool)},
        {"f8", at::tensor({0.5f, -1.0f, 2.0f}).to(at::ScalarType::Float8_e4m3fn)},
    };
    const fs::path path = m_dir / "types.safetensors";
    saveSafetensors(path, tensors);
    const auto file = SafetensorsFile::open(path);
    EXPECT_TRUE(file->metadata().empty());
    for (const auto& [name, tensor] : tensors) expectSameTensor(file->load(name), tensor);
    EXPECT_EQ(file->info("f8").dtype, "F8_E4M3");
}

TEST_F(SafetensorsTest, OverwritesAtomicallyAndRejectsBadTensorsToSave) {
    const fs::path path = m_dir / "out.safetensors";
    saveSafetensors(path, {{"x", at::ones({2})}});
    saveSafetensors(path, {{"y", at::zeros({3})}});
    EXPECT_EQ(SafetensorsFile::open(path)->names(), std::vector<std::string>{"y"});
    expectError<ctd::ConfigError>([&] { saveSafetensors(path, {{"x", at::ones({1})}, {"x", at::ones({1})}}); },
                                  {path.string(), "'x'", "twice"});
    expectError<ctd::ConfigError>([&] { saveSafetensors(path, {{"c", at::ones({1}, at::kComplexFloat)}}); },
                                  {path.string(), "'c'", "ComplexFloat"});
    expectError<ctd::ConfigError>([&] { saveSafetensors(path, {{"u", at::Tensor()}}); }, {path.string(), "undefined"});
    const fs::path missingFolder = m_dir / "no" / "such.safetensors";
    expectError<ctd::IoError>([&] { saveSafetensors(missingFolder, {{"x", at::ones({1})}}); }, {missingFolder.string()});
    // A failed save leaves the old file and no temporary behind.
    EXPECT_EQ(SafetensorsFile::open(path)->names(), std::vector<std::string>{"y"});
    EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
}

// ---------------------------------------------------------------------------------------------
// Compatibility with the Python library (safetensors 0.6.2, `save_file(tensors, metadata={"format": "pt"})`)

// Python orders tensors by dtype size, then name, and pads the header with spaces to 8 bytes.
const std::string kPythonHeader =
    R"({"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
    R"("d.scalar":{"dtype":"F32","shape":[],"data_offsets":[24,28]},)"
    R"("c.bf16":{"dtype":"BF16","shape":[2],"data_offsets":[28,32]},)"
    R"("b.half":{"dtype":"F16","shape":[3],"data_offsets":[32,38]},)"
    R"("e.empty":{"dtype":"F16","shape":[0,3],"data_offsets":[38,38]}}    )";
const std::string kPythonDataHex =
    "0000803f000020c0000050400000003f00000000000000be"  // a.weight
    "0000e040"                                          // d.scalar
    "803f20c0"                                          // c.bf16
    "003c00c0ff7b";                                     // b.half

std::vector<std::pair<std::string, at::Tensor>> pythonTensors() {
    return {
        {"a.weight", at::tensor({1.0f, -2.5f, 3.25f, 0.5f, 0.0f, -0.125f}).reshape({2, 3})},
        {"d.scalar", at::full({}, 7.0f)},
        {"c.bf16", at::tensor({1.0f, -2.5f}).to(at::kBFloat16)},
        {"b.half", at::tensor({1.0f, -2.0f, 65504.0f}).to(at::kHalf)},
        {"e.empty", at::empty({0, 3}, at::kHalf)},
    };
}

TEST_F(SafetensorsTest, LoadsAFileWrittenByThePythonLibrary) {
    const fs::path path = m_dir / "python.safetensors";
    writeBytes(path, safetensorsBytes(kPythonHeader, fromHex(kPythonDataHex)));
    const auto file = SafetensorsFile::open(path);
    EXPECT_EQ(file->metadata().at("format"), "pt");
    for (const auto& [name, expected] : pythonTensors()) expectSameTensor(file->load(name), expected);
    EXPECT_FLOAT_EQ(file->load("b.half")[2].item<float>(), 65504.0f);
}

TEST_F(SafetensorsTest, WritesTheSameBytesAsThePythonLibrary) {
    const fs::path path = m_dir / "ours.safetensors";
    saveSafetensors(path, pythonTensors(), {{"format", "pt"}});
    EXPECT_EQ(readBytes(path), safetensorsBytes(kPythonHeader, fromHex(kPythonDataHex)));
}

// ---------------------------------------------------------------------------------------------
// Bad files

const std::string kGoodData = std::string(8, '\0');  // two F32 zeros

TEST_F(SafetensorsTest, RejectsTruncatedFile) { expectBadFile(std::string("\x10\0\0", 3), {"too short"}); }

TEST_F(SafetensorsTest, RejectsHeaderLengthPastEndOfFile) {
    expectBadFile(littleEndian64(1000) + R"({"a":1})", {"header length 1000", "past the end"});
    expectBadFile(littleEndian64(~0ULL) + "{}", {"exceeds the limit"});
}

TEST_F(SafetensorsTest, RejectsInvalidOrNonObjectHeader) {
    expectBadFile(safetensorsBytes("{not json", ""), {"invalid JSON"});
    expectBadFile(safetensorsBytes("[1,2]", ""), {"JSON object"});
    expectBadFile(safetensorsBytes(R"({"a":)" + std::string(100000, '['), ""), {"nests deeper"});
    expectBadFile(safetensorsBytes(R"({"__metadata__":{"k":1}})", ""), {"__metadata__", "'k'", "string"});
}

TEST_F(SafetensorsTest, RejectsWrongOrUnknownDtype) {
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", kGoodData),
                  {"'w'", "'dtype'", "F17"});
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}})", kGoodData),
                  {"'w'", "'dtype'", "string"});
    expectBadFile(safetensorsBytes(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", kGoodData), {"'w'", "'dtype'"});
    expectBadFile(safetensorsBytes(R"({"w":[1,2]})", kGoodData), {"'w'", "expected an object"});
}

TEST_F(SafetensorsTest, RejectsBadShapes) {
    for (const char* shape : {R"([-2])", R"([2.0])", R"("2")", R"([[2]])"})
        expectBadFile(safetensorsBytes(std::string(R"({"w":{"dtype":"F32","shape":)") + shape + R"(,"data_offsets":[0,8]}})", kGoodData),
                      {"'w'", "'shape'", "non-negative integers"});
    // 2^32 * 2^32 elements overflow 64 bits: must not wrap around to a small size.
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}})", ""),
                  {"'w'", "'shape'", "64 bits"});
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}})", kGoodData),
                  {"'w'", "2^64"});
}

TEST_F(SafetensorsTest, RejectsOffsetsPastTheEndOrMalformed) {
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}})", kGoodData),
                  {"'w'", "'data_offsets'", "<= 8"});
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", kGoodData),
                  {"'w'", "'data_offsets'"});
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", kGoodData),
                  {"'w'", "'data_offsets'", "[begin, end]"});
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}})", kGoodData),
                  {"'w'", "'data_offsets'", "non-negative"});
}

TEST_F(SafetensorsTest, RejectsSizeShapeMismatch) {
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kGoodData),
                  {"'w'", "8 bytes", "needs 12"});
    expectBadFile(safetensorsBytes(R"({"w":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}})", kGoodData),
                  {"'w'", "whole bytes"});
}

TEST_F(SafetensorsTest, AcceptsOverlappingTensorsWithinBounds) {
    const fs::path path = m_dir / "overlap.safetensors";
    const std::string data = fromHex("0000803f00000040");  // 1.0f, 2.0f
    writeBytes(path, safetensorsBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                      data));
    const auto file = SafetensorsFile::open(path);
    EXPECT_FLOAT_EQ(file->load("b").item<float>(), 2.0f);
    EXPECT_EQ(file->load("a").sum().item<float>(), 3.0f);
}

TEST_F(SafetensorsTest, MissingTensorUnloadableDtypeAndBadBoolNameTheFile) {
    const fs::path path = m_dir / "some.safetensors";
    writeBytes(path, safetensorsBytes(R"({"f4":{"dtype":"F4","shape":[4],"data_offsets":[0,2]},)"
                                      R"("flag":{"dtype":"BOOL","shape":[2],"data_offsets":[2,4]}})",
                                      fromHex("00000102")));
    const auto file = SafetensorsFile::open(path);
    expectError<ctd::FormatError>([&] { file->load("x"); }, {"tensor 'x' not found in " + path.string()});
    expectError<ctd::FormatError>([&] { file->info("x"); }, {"tensor 'x' not found in " + path.string()});
    expectError<ctd::FormatError>([&] { file->load("f4"); }, {path.string(), "'f4'", "'F4'", "cannot be loaded"});
    expectError<ctd::FormatError>([&] { file->load("flag"); }, {path.string(), "'flag'", "BOOL"});
    expectError<ctd::IoError>([&] { SafetensorsFile::open(m_dir / "absent.safetensors"); }, {"absent.safetensors"});
}

// ---------------------------------------------------------------------------------------------
// Folders and shards

class SafetensorsFolderTest : public SafetensorsTest {
protected:
    // Two shards: shard 1 holds "a", shard 2 holds "b" and "c".
    void writeShards() {
        saveSafetensors(m_dir / "model-00001-of-00002.safetensors", {{"a", at::ones({2})}});
        saveSafetensors(m_dir / "model-00002-of-00002.safetensors", {{"b", at::full({3}, 2.0f)}, {"c", at::zeros({1}, at::kHalf)}});
    }
    void writeIndex(const std::string& weightMap) {
        writeBytes(m_dir / "model.safetensors.index.json", R"({"metadata":{"total_size":22},"weight_map":)" + weightMap + "}");
    }
    fs::path indexPath() const { return m_dir / "model.safetensors.index.json"; }
};

TEST_F(SafetensorsFolderTest, OpensSingleFileFolder) {
    saveSafetensors(m_dir / "model.safetensors", {{"w", at::ones({2, 2})}});
    const auto archive = SafetensorsArchive::openFolder(m_dir);
    EXPECT_EQ(archive.names(), std::vector<std::string>{"w"});
    expectSameTensor(archive.load("w"), at::ones({2, 2}));
    expectError<ctd::FormatError>([&] { archive.load("v"); }, {"tensor 'v' not found in", m_dir.string()});

    saveSafetensors(m_dir / "adapter_model.safetensors", {{"lora", at::zeros({1})}});
    EXPECT_EQ(SafetensorsArchive::openFolder(m_dir, "adapter_model").names(), std::vector<std::string>{"lora"});
    EXPECT_EQ(SafetensorsArchive::openFile(m_dir / "adapter_model.safetensors").info("lora").dtype, "F32");
}

TEST_F(SafetensorsFolderTest, OpensShardedFolder) {
    writeShards();
    writeIndex(R"({"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors",)"
               R"("c":"model-00002-of-00002.safetensors"})");
    const auto archive = SafetensorsArchive::openFolder(m_dir);
    EXPECT_EQ(archive.names(), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(archive.contains("b"));
    EXPECT_FALSE(archive.contains("d"));
    EXPECT_EQ(archive.info("c").dtype, "F16");
    expectSameTensor(archive.load("b"), at::full({3}, 2.0f));
    expectError<ctd::FormatError>([&] { archive.info("d"); }, {"tensor 'd' not found in " + indexPath().string()});
}

TEST_F(SafetensorsFolderTest, RejectsShardNamesEscapingTheFolder) {
    writeShards();
    fs::create_directories(m_dir / "sub");
    saveSafetensors(m_dir / "sub" / "s.safetensors", {{"a", at::ones({2})}});
    const fs::path outside = m_dir.parent_path() / (m_dir.filename().string() + "_outside.safetensors");
    saveSafetensors(outside, {{"a", at::ones({2})}});
    fs::create_symlink(outside, m_dir / "link.safetensors");
    for (const std::string& shard : {"../" + outside.filename().string(), outside.string(), std::string("sub/s.safetensors"),
                                    std::string("..")}) {
        writeIndex(R"({"a":")" + shard + R"("})");
        expectError<ctd::FormatError>([&] { SafetensorsArchive::openFolder(m_dir); },
                                      {indexPath().string(), "'a'", "plain file names"});
    }
    writeIndex(R"({"a":"link.safetensors"})");
    expectError<ctd::FormatError>([&] { SafetensorsArchive::openFolder(m_dir); },
                                  {indexPath().string(), "link.safetensors", "outside"});
    fs::remove(outside);
}

TEST_F(SafetensorsFolderTest, RejectsIndexNamingMissingShardOrTensor) {
    writeShards();
    writeIndex(R"({"a":"model-00003-of-00002.safetensors"})");
    expectError<ctd::FormatError>([&] { SafetensorsArchive::openFolder(m_dir); },
                                  {indexPath().string(), "model-00003-of-00002.safetensors", "does not exist"});
    writeIndex(R"({"a":"model-00002-of-00002.safetensors"})");
    expectError<ctd::FormatError>([&] { SafetensorsArchive::openFolder(m_dir); },
                                  {indexPath().string(), "'a'", "no such tensor"});
    writeIndex(R"({"a":7})");
    expectError<ctd::FormatError>([&] { SafetensorsArchive::openFolder(m_dir); }, {indexPath().string(), "'a'"});
    writeBytes(indexPath(), R"({"weight_map":[]})");
    expectError<ctd::FormatError>([&] { SafetensorsArchive::openFolder(m_dir); }, {indexPath().string(), "weight_map"});
    writeBytes(indexPath(), R"({"weight_map":)");
    expectError<ctd::FormatError>([&] { SafetensorsArchive::openFolder(m_dir); }, {indexPath().string(), "invalid JSON"});
}

TEST_F(SafetensorsFolderTest, RefusesPickleCheckpoints) {
    expectError<ctd::IoError>([&] { SafetensorsArchive::openFolder(m_dir); },
                              {"no model.safetensors or model.safetensors.index.json in " + m_dir.string()});
    writeBytes(m_dir / "pytorch_model.bin", "not really a pickle");
    expectError<ctd::ConfigError>([&] { SafetensorsArchive::openFolder(m_dir); },
                                  {m_dir.string(), "pytorch_model.bin", "arbitrary code", "safe_serialization=True"});
    expectError<ctd::ConfigError>([&] { SafetensorsArchive::openFile(m_dir / "pytorch_model.bin"); },
                                  {"pytorch_model.bin", "arbitrary code"});
    for (const char* name : {"x.pt", "x.PTH", "x.pkl", "x.ckpt"})
        expectError<ctd::ConfigError>([&] { ctd::model::refusePickleCheckpoint(m_dir / name); }, {name, "arbitrary code"});
    EXPECT_NO_THROW(ctd::model::refusePickleCheckpoint(m_dir / "model.safetensors"));
    expectError<ctd::IoError>([&] { SafetensorsArchive::openFolder(m_dir / "absent"); }, {"absent"});
}

}  // namespace
