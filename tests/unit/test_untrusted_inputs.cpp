// Untrusted model folders (downloaded weights): index shard names cannot leave the folder, by
// name or by symlink; tensors whose declared shape or offsets disagree with the file are refused;
// pickle checkpoints are never loaded. And the rule for paths in the user's own specs.
#include "core/experiment/spec.h"
#include "core/model/safetensors.h"
#include "core/train/training_spec.h"
#include "core/util/error.h"
#include "tests/test_support.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using ctd::model::SafetensorsArchive;
using ctd::model::SafetensorsFile;

void writeBytes(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string safetensorsBytes(const std::string& header, const std::string& data) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return bytes + header + data;
}

template <typename Error, typename Call>
std::string messageOf(Call&& call) {
    try {
        call();
    } catch (const Error& error) {
        return error.what();
    }
    ADD_FAILURE() << "expected an error";
    return {};
}

class UntrustedModelFolder : public ::testing::Test {
protected:
    ctd::test::TempDir m_temp;
    fs::path m_model = m_temp / "model";
    void SetUp() override {
        fs::create_directories(m_model);
        ctd::model::saveSafetensors(m_model / "model-00001-of-00001.safetensors", {{"w", at::ones({2})}});
    }
    void writeIndex(const std::string& shard) {
        writeBytes(m_model / "model.safetensors.index.json", R"({"weight_map":{"w":")" + shard + R"("}})");
    }
    std::string openError() {
        return messageOf<ctd::Error>([&] { SafetensorsArchive::openFolder(m_model); });
    }
};

TEST_F(UntrustedModelFolder, ShardNamesStayInsideTheFolder) {
    writeIndex("model-00001-of-00001.safetensors");
    EXPECT_EQ(SafetensorsArchive::openFolder(m_model).names(), std::vector<std::string>{"w"});

    const fs::path outside = m_temp / "outside.safetensors";
    ctd::model::saveSafetensors(outside, {{"w", at::ones({2})}});
    fs::create_directories(m_model / "sub");
    for (const std::string& shard : {std::string("../outside.safetensors"), outside.string(), std::string("sub/x.safetensors"),
                                    std::string("..\\\\outside.safetensors"), std::string(".."), std::string("")}) {
        writeIndex(shard);
        EXPECT_NE(openError().find("shard names must be plain file names inside " + m_model.string()), std::string::npos)
            << shard;
    }
    // A link inside the folder pointing out of it: refused after resolving.
    fs::create_symlink(outside, m_model / "link.safetensors");
    writeIndex("link.safetensors");
    EXPECT_NE(openError().find("which resolves to " + fs::canonical(outside).string() + ", outside"), std::string::npos);
    // A link to a folder outside, then a file in it, is a folder part: refused by name.
    fs::create_symlink(m_temp.path(), m_model / "up");
    writeIndex("up/outside.safetensors");
    EXPECT_NE(openError().find("plain file names"), std::string::npos);
}

// Hugging Face's cache links snapshots/<rev>/<file> to ../../blobs/<hash>: that one way out is
// allowed, into the blobs of the same repository, and nowhere else.
TEST_F(UntrustedModelFolder, HuggingFaceCacheSnapshotsMayLinkIntoTheirBlobs) {
    const fs::path repo = m_temp / "models--org--name";
    fs::create_directories(repo / "blobs");
    fs::create_directories(repo / "snapshots" / "abc123");
    ctd::model::saveSafetensors(repo / "blobs" / "5d41402a", {{"w", at::ones({2})}});
    fs::create_symlink("../../blobs/5d41402a", repo / "snapshots" / "abc123" / "model-00001-of-00001.safetensors");
    writeBytes(repo / "snapshots" / "abc123" / "model.safetensors.index.json",
               R"({"weight_map":{"w":"model-00001-of-00001.safetensors"}})");
    EXPECT_EQ(SafetensorsArchive::openFolder(repo / "snapshots" / "abc123").names(), std::vector<std::string>{"w"});

    // The blobs of another repository are outside.
    const fs::path other = m_temp / "models--evil--repo" / "blobs";
    fs::create_directories(other);
    ctd::model::saveSafetensors(other / "f00d", {{"w", at::ones({2})}});
    fs::remove(repo / "snapshots" / "abc123" / "model-00001-of-00001.safetensors");
    fs::create_symlink(other / "f00d", repo / "snapshots" / "abc123" / "model-00001-of-00001.safetensors");
    const std::string message =
        messageOf<ctd::FormatError>([&] { SafetensorsArchive::openFolder(repo / "snapshots" / "abc123"); });
    EXPECT_NE(message.find(", outside "), std::string::npos) << message;
}

TEST_F(UntrustedModelFolder, TensorsDisagreeingWithTheFileAreRefused) {
    const fs::path file = m_model / "model.safetensors";
    const auto refused = [&](const std::string& header, const std::string& data, const std::string& expected) {
        writeBytes(file, safetensorsBytes(header, data));
        const std::string message = messageOf<ctd::FormatError>([&] { SafetensorsFile::open(file); });
        EXPECT_NE(message.find(file.string()), std::string::npos) << message;
        EXPECT_NE(message.find(expected), std::string::npos) << message;
    };
    refused(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", std::string(8, '\0'), "begin <= end <= 8");
    refused(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})", std::string(8, '\0'), "needs 16");
    refused(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", std::string(8, '\0'), "begin <= end");
    refused(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", std::string(4, '\0'), "non-negative");
    refused(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}})", std::string(4, '\0'),
            "64 bits");
    writeBytes(file, std::string("\xff\xff\xff\x00\x00\x00\x00\x00{}", 10));
    EXPECT_NE(messageOf<ctd::FormatError>([&] { SafetensorsFile::open(file); }).find("runs past the end"), std::string::npos);
    // The archive refuses the same file (no tensor of a bad file is ever loaded).
    EXPECT_THROW(SafetensorsArchive::openFolder(m_model), ctd::FormatError);
}

TEST_F(UntrustedModelFolder, PickleFilesAreNeverLoaded) {
    fs::remove(m_model / "model-00001-of-00001.safetensors");
    writeBytes(m_model / "pytorch_model.bin", "\x80\x02 not loaded");
    writeBytes(m_model / "training_args.pkl", "\x80\x02");
    std::string message = openError();
    EXPECT_NE(message.find("only the pickle checkpoint(s) pytorch_model.bin, training_args.pkl"), std::string::npos);
    EXPECT_NE(message.find("can execute arbitrary code"), std::string::npos);
    for (const char* name : {"pytorch_model.bin", "weights.pt", "x.PKL"}) {
        message = messageOf<ctd::ConfigError>([&] { SafetensorsArchive::openFile(m_model / name); });
        EXPECT_NE(message.find("arbitrary code"), std::string::npos) << name;
    }
    // An index naming a pickle shard gets the same explanation, before anything is opened.
    writeIndex("pytorch_model.bin");
    message = messageOf<ctd::ConfigError>([&] { SafetensorsArchive::openFolder(m_model); });
    EXPECT_NE(message.find("pytorch_model.bin: pickle checkpoints are refused"), std::string::npos) << message;
    // Next to safetensors weights, a pickle file is simply ignored.
    fs::remove(m_model / "model.safetensors.index.json");
    ctd::model::saveSafetensors(m_model / "model.safetensors", {{"w", at::ones({2})}});
    EXPECT_EQ(SafetensorsArchive::openFolder(m_model).names(), std::vector<std::string>{"w"});
}

// Specs are the researcher's own files: their paths resolve against the spec's folder and may
// name any file the user can read (`../data`, an absolute path), as a command-line argument may.
TEST(UserSpecPaths, ResolveAgainstTheSpecFolderAndMayLeaveIt) {
    const auto spec = ctd::train::TrainingSpec::fromJson(
        {{"base_model", "../models/tiny"}, {"mixture", "mixes/m.json"}, {"template", "/shared/templates/t.json"}},
        "train.json", "/work/project/specs");
    EXPECT_EQ(spec.baseModel, "/work/project/models/tiny");
    EXPECT_EQ(spec.mixture, "/work/project/specs/mixes/m.json");
    EXPECT_EQ(spec.templateName, "/shared/templates/t.json");

    ctd::experiment::ExperimentSpec experiment;
    experiment.specDir = "/work/project/experiments";
    const ctd::experiment::Variables variables(experiment, "/work/out");
    std::vector<std::string> missing;
    EXPECT_EQ(variables.path("../models/tiny", "models.path", missing), "/work/project/models/tiny");
    EXPECT_EQ(variables.path("/data/m", "models.path", missing), "/data/m");
}

}  // namespace
