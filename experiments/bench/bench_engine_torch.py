"""PyTorch eager counterpart of bench_engine.cpp: the same Llama configs (HF transformers
LlamaForCausalLM, SDPA attention, as ctd), LoRA r=8/alpha=16/dropout=0.05 on q_proj,v_proj (PEFT),
AdamW on the adapters, same batch, same thread count. Prints one JSON object per measurement."""
import json
import sys
import time

import torch
from peft import LoraConfig, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM

# "tiny" is the shape of the committed tiny-llama models; 16 x 64 is the demo's micro-batch.
SHAPES = {"tiny": (128, 352, 4, 4), "2M": (192, 512, 4, 6), "20M": (512, 1376, 6, 8)}


def model_of(name):
    hidden, inter, layers, heads = SHAPES[name]
    config = LlamaConfig(vocab_size=1024, hidden_size=hidden, intermediate_size=inter,
                         num_hidden_layers=layers, num_attention_heads=heads,
                         num_key_value_heads=heads, max_position_embeddings=512,
                         attn_implementation="sdpa")
    return LlamaForCausalLM(config)


def bench_training(name, batch, seq, steps):
    torch.manual_seed(0)
    model = get_peft_model(model_of(name), LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05,
                                                      target_modules=["q_proj", "v_proj"],
                                                      task_type="CAUSAL_LM"))
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=3e-4,
                                  weight_decay=0.0)
    ids = torch.randint(3, 1024, (batch, seq))

    def step():
        optimizer.zero_grad()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    processor_start = time.process_time()
    for _ in range(steps):
        step()
    elapsed = (time.perf_counter() - start) / steps
    processor = (time.process_time() - processor_start) / steps
    print(json.dumps({"bench": "lora_train_step", "impl": "pytorch_eager", "config": name,
                      "batch": batch, "seq": seq, "ms_per_step": elapsed * 1000,
                      "tokens_per_s": batch * seq / elapsed,
                      "cpu_ms_per_step": processor * 1000}), flush=True)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    bench_training("tiny", 16, 64, 30)
    if len(sys.argv) > 2 and sys.argv[2] == "tiny":
        return
    bench_training("2M", 4, 128, 20)
    bench_training("20M", 4, 128, 8)


if __name__ == "__main__":
    main()
