// Loading an HF model folder (config.json, safetensors weights, tokenizer.model) into the
// engine, saving one, and PEFT adapter folders (adapter_config.json + adapter_model.safetensors).
#pragma once
#include "core/model/llama.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <optional>
#include <string>

namespace ctd::model {

struct LoadOptions {
    at::Device device = at::kCPU;
    at::ScalarType dtype = at::kFloat;
};

// Builds the model and fills every parameter by name from the folder's safetensors. Missing
// tensors, shape mismatches and unexpected tensors are FormatErrors naming the tensor and file.
LlamaForCausalLM loadModel(const std::filesystem::path& folder, const LoadOptions& options = {});
// Writes config.json + model.safetensors (fp32 unless `dtype` says otherwise).
void saveModel(const LlamaForCausalLM& model, const std::filesystem::path& folder,
               at::ScalarType dtype = at::kFloat);

// Adds a LoRA adapter read from a PEFT folder and loads its weights.
void loadAdapter(LlamaForCausalLM& model, const std::filesystem::path& adapterFolder);
// Writes the model's LoRA adapter as PEFT does.
void saveAdapter(const LlamaForCausalLM& model, const std::filesystem::path& adapterFolder,
                 const std::string& baseModelPath);

// Content hash of a model folder (config, tokenizer, weights). Weight files over 256 MB are
// fingerprinted by name, size and their first MB (the safetensors header) instead of read whole:
// hashing a 7B model on every run would take minutes.
std::string modelFolderHash(const std::filesystem::path& folder);

// Parses "float32" / "fp32" / "bfloat16" / "bf16" / "float16" / "fp16".
at::ScalarType parseDtype(const std::string& name);
// "cpu", "cuda", "cuda:N"; CUDA requested but unusable is a ConfigError.
at::Device parseDevice(const std::string& name);

}  // namespace ctd::model
