// `ctd model info DIR`: what a model folder holds, checked as the loader checks it.
#include "commands.h"

#include "core/model/checkpoint.h"
#include "core/model/safetensors.h"
#include "core/text/tokenizer.h"

#include <iostream>

namespace ctd::cli {

void registerModelCommands(CLI::App& app, GlobalOptions&) {
    auto* model = app.add_subcommand("model", "Inspect model folders");
    model->require_subcommand(1);
    auto* info = model->add_subcommand("info", "Show a model folder's config, weights and tokenizer");
    auto folder = std::make_shared<std::string>();
    auto json = std::make_shared<bool>(false);
    info->add_option("DIR", *folder, "HF model folder (config.json, *.safetensors, tokenizer.model)")->required();
    info->add_flag("--json", *json, "Print one JSON object");
    info->callback([folder, json] {
        const std::filesystem::path dir(*folder);
        const auto config = ctd::model::LlamaConfig::load(dir / "config.json");
        const auto archive = ctd::model::SafetensorsArchive::openFolder(dir);
        // Loading checks every tensor's presence and shape.
        const auto loaded = ctd::model::loadModel(dir);
        nlohmann::json out = {{"path", dir.string()},
                              {"config", config.toJson()},
                              {"parameters", config.parameterCount()},
                              {"tensors", archive.names().size()}};
        if (std::filesystem::exists(dir / "tokenizer.model")) {
            const auto tokenizer = ctd::text::Tokenizer::load(dir);
            out["tokenizer"] = {{"vocab_size", tokenizer.vocabSize()},
                                {"bos_id", tokenizer.bosId()},
                                {"eos_id", tokenizer.eosId()}};
        }
        if (*json) {
            std::cout << out.dump() << "\n";
            return;
        }
        std::cout << "model      " << dir.string() << "\n"
                  << "layers     " << config.numHiddenLayers << "\n"
                  << "hidden     " << config.hiddenSize << " (intermediate " << config.intermediateSize << ")\n"
                  << "heads      " << config.numAttentionHeads << " (key-value heads " << config.numKeyValueHeads
                  << ", head dim " << config.headDim << ")\n"
                  << "vocab      " << config.vocabSize << (config.tieWordEmbeddings ? " (tied head)" : "") << "\n"
                  << "rope theta " << config.ropeTheta << ", rms eps " << config.rmsNormEps << "\n"
                  << "parameters " << config.parameterCount() << " in " << archive.names().size() << " tensors\n";
        if (out.contains("tokenizer"))
            std::cout << "tokenizer  " << out["tokenizer"]["vocab_size"] << " pieces, bos "
                      << out["tokenizer"]["bos_id"] << ", eos " << out["tokenizer"]["eos_id"] << "\n";
    });
}

}  // namespace ctd::cli
