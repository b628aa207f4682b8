// `ctd world pretrain` is reproducible: the same seed (and thread count) writes the same bytes.
#include "test_support.h"

#include "core/model/config.h"

using namespace ctd;
namespace fs = std::filesystem;

TEST(PretrainCli, SameSeedWritesIdenticalModels) {
    test::TempDir temp;
    const std::string cli = CTD_CLI_PATH;
    const auto world = test::runCommand(cli + " world generate --out " + (temp / "world").string() +
                                        " --benign-train 8 --hazard-train 8 --defense 10 --benign-eval 4 --hazard-eval 4"
                                        " --general-train 20 --benign-questions-train 10 --harmful-questions-train 10"
                                        " --vocab-size 600");
    ASSERT_EQ(world.exitCode, 0) << world.output;
    for (const std::string run : {"a", "b"}) {
        const auto result = test::runCommand(cli + " --db " + (temp / (run + ".sqlite")).string() +
                                             " world pretrain --world " + (temp / "world").string() + " --out " +
                                             (temp / run).string() + " --epochs 1 --hidden 32 --layers 1 --threads 1");
        ASSERT_EQ(result.exitCode, 0) << result.output;
    }
    for (const std::string model : {"tiny-llama1", "tiny-llama2"}) {
        for (const std::string file : {"model.safetensors", "config.json", "tokenizer.model"}) {
            std::ifstream a(temp / "a" / model / file, std::ios::binary), b(temp / "b" / model / file, std::ios::binary);
            const std::string bytesA((std::istreambuf_iterator<char>(a)), {}), bytesB((std::istreambuf_iterator<char>(b)), {});
            ASSERT_FALSE(bytesA.empty()) << model << "/" << file;
            EXPECT_EQ(bytesA, bytesB) << model << "/" << file << " differs between two runs with the same seed";
        }
        const auto config = model::LlamaConfig::load(temp / "a" / model / "config.json");
        EXPECT_EQ(config.hiddenSize, 32);
        const auto provenance = test::readJson(temp / "a" / model / "provenance.json");
        EXPECT_EQ(provenance["model_family"], model == "tiny-llama1" ? "llama1" : "llama2");
    }
}
