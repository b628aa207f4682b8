// HF model folders and PEFT adapter folders <-> engine modules.
#include "core/model/checkpoint.h"

#include "core/model/safetensors.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <fstream>

#include <torch/cuda.h>

#include <set>

namespace ctd::model {

namespace fs = std::filesystem;

namespace {

void copyInto(at::Tensor& parameter, const at::Tensor& value, const std::string& name, const std::string& file) {
    if (parameter.sizes() != value.sizes()) {
        std::ostringstream message;
        message << file << ": tensor '" << name << "' has shape " << value.sizes() << ", the config expects "
                << parameter.sizes();
        throw FormatError(message.str());
    }
    at::NoGradGuard noGrad;
    parameter.copy_(value);
}

}  // namespace

std::string modelFolderHash(const fs::path& folder) {
    util::Sha256 hash;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(folder)) {
        const std::string name = entry.path().filename().string();
        if (name == "config.json" || name == "tokenizer.model" || name.ends_with(".safetensors") ||
            name.ends_with(".safetensors.index.json"))
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        const auto size = fs::file_size(file);
        hash.update(file.filename().string() + ":" + std::to_string(size) + "\n");
        if (size <= (256u << 20)) {
            hash.update(util::readFileBytes(file));
        } else {
            std::ifstream in(file, std::ios::binary);
            std::string head(std::min<std::uintmax_t>(size, 1u << 20), '\0');
            in.read(head.data(), static_cast<std::streamsize>(head.size()));
            hash.update(head);
        }
    }
    return hash.hexDigest();
}

at::ScalarType parseDtype(const std::string& name) {
    if (name == "float32" || name == "fp32" || name == "f32") return at::kFloat;
    if (name == "bfloat16" || name == "bf16") return at::kBFloat16;
    if (name == "float16" || name == "fp16" || name == "half") return at::kHalf;
    throw ConfigError("unknown dtype '" + name + "' (expected float32, bfloat16 or float16)");
}

at::Device parseDevice(const std::string& name) {
    if (name == "cpu") return at::kCPU;
    if (name.rfind("cuda", 0) == 0) {
        if (!torch::cuda::is_available())
            throw ConfigError("device '" + name + "' requested but CUDA is not usable on this machine");
        return at::Device(name);
    }
    throw ConfigError("unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
}

LlamaForCausalLM loadModel(const fs::path& folder, const LoadOptions& options) {
    if (!fs::is_directory(folder)) throw IoError(folder.string() + ": model folder not found");
    const LlamaConfig config = LlamaConfig::load(folder / "config.json");
    const SafetensorsArchive archive = SafetensorsArchive::openFolder(folder);
    LlamaForCausalLM model(config);
    std::set<std::string> used;
    for (auto& item : model->named_parameters(/*recurse=*/true)) {
        const std::string& name = item.key();
        if (!archive.contains(name))
            throw FormatError(folder.string() + ": tensor '" + name + "' is missing from the weights");
        at::Tensor parameter = item.value();
        copyInto(parameter, archive.load(name), name, folder.string());
        used.insert(name);
    }
    for (const auto& name : archive.names()) {
        if (used.count(name)) continue;
        // Tied checkpoints may still carry the head; old ones carry rotary buffers. Both are derived.
        if (name == "lm_head.weight" && config.tieWordEmbeddings) continue;
        if (name.find("rotary_emb.inv_freq") != std::string::npos) continue;
        throw FormatError(folder.string() + ": unexpected tensor '" + name +
                          "' (not part of a Llama model with this config.json)");
    }
    model->to(options.device, options.dtype);
    model->eval();
    return model;
}

void saveModel(const LlamaForCausalLM& model, const fs::path& folder, at::ScalarType dtype) {
    fs::create_directories(folder);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& item : model->named_parameters(true)) {
        if (item.key().find(".lora_") != std::string::npos) continue;
        tensors.emplace_back(item.key(), item.value().detach().to(at::kCPU, dtype));
    }
    LlamaConfig config = model->config();
    config.torchDtype = dtype == at::kFloat ? "float32" : dtype == at::kBFloat16 ? "bfloat16" : "float16";
    config.save(folder / "config.json");
    saveSafetensors(folder / "model.safetensors", tensors, {{"format", "pt"}});
}

void loadAdapter(LlamaForCausalLM& model, const fs::path& adapterFolder) {
    const fs::path configFile = adapterFolder / "adapter_config.json";
    if (!fs::exists(configFile)) throw IoError(configFile.string() + ": adapter_config.json not found");
    const LoraSettings settings = LoraSettings::fromPeftConfig(util::readJsonFile(configFile), configFile.string());
    const fs::path weightsFile = adapterFolder / "adapter_model.safetensors";
    if (!fs::exists(weightsFile)) {
        for (const char* pickle : {"adapter_model.bin", "adapter_model.pt"})
            if (fs::exists(adapterFolder / pickle)) refusePickleCheckpoint(adapterFolder / pickle);
        throw IoError(weightsFile.string() + ": adapter_model.safetensors not found");
    }
    const auto file = SafetensorsFile::open(weightsFile);
    const at::Device device = model->model->embed_tokens->weight.device();
    const at::ScalarType dtype = model->model->embed_tokens->weight.scalar_type();
    model->addLora(settings);
    std::set<std::string> used;
    for (auto& [key, parameter] : model->loraState()) {
        // PEFT stores adapters without the adapter name; older files may include ".default".
        std::string stored = key;
        if (!file->contains(stored)) {
            const auto dot = key.rfind(".weight");
            const std::string withDefault = key.substr(0, dot) + ".default.weight";
            if (file->contains(withDefault)) stored = withDefault;
            else throw FormatError(weightsFile.string() + ": tensor '" + key + "' is missing from the adapter");
        }
        at::Tensor target = parameter;
        copyInto(target, file->load(stored).to(device, dtype), stored, weightsFile.string());
        used.insert(stored);
    }
    for (const auto& name : file->names())
        if (!used.count(name))
            throw FormatError(weightsFile.string() + ": unexpected tensor '" + name +
                              "' (does not match adapter_config.json's target modules on this model)");
}

void saveAdapter(const LlamaForCausalLM& model, const fs::path& adapterFolder, const std::string& baseModelPath) {
    if (!model->loraSettings()) throw ConfigError("the model carries no LoRA adapter to save");
    fs::create_directories(adapterFolder);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& [key, tensor] : model->loraState()) tensors.emplace_back(key, tensor.detach().to(at::kCPU));
    util::writeJsonFile(adapterFolder / "adapter_config.json", model->loraSettings()->toPeftConfig(baseModelPath));
    saveSafetensors(adapterFolder / "adapter_model.safetensors", tensors, {{"format", "pt"}});
}

}  // namespace ctd::model
