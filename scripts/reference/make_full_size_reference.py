#!/usr/bin/env python3
"""A Qwen3-0.6B-shaped random checkpoint and transformers' float32 reference for it.

    python3 scripts/reference/make_full_size_reference.py --out DIR [--seed 1]

Writes DIR/model (config.json in the published Qwen3-0.6B form, bf16 model.safetensors with random
weights and random norm weights) and DIR/reference.json + DIR/reference.safetensors: a random prompt,
transformers' float32 logits at its last position (CPU, eager attention, on the bf16-rounded weights)
and a greedy continuation with the KV cache. `scripts/device/run.sh full-parity` compares the
Java engine with it; the CUDA backend can use the same files.
"""

import argparse
import json
import math
import os

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, Qwen3Config, Qwen3ForCausalLM

CONFIG = {  # Qwen/Qwen3-0.6B config.json (transformers 4.51 form)
    "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
    "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
    "hidden_size": 1024, "initializer_range": 0.02, "intermediate_size": 3072,
    "max_position_embeddings": 40960, "max_window_layers": 28, "model_type": "qwen3",
    "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 8,
    "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 1000000, "sliding_window": None,
    "tie_word_embeddings": True, "torch_dtype": "bfloat16", "transformers_version": "4.51.0",
    "use_cache": True, "use_sliding_window": False, "vocab_size": 151936,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--prompt-tokens", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=24)
    args = p.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    model_dir = os.path.join(args.out, "model")
    os.makedirs(model_dir, exist_ok=True)

    kwargs = {k: v for k, v in CONFIG.items()
              if k not in ("architectures", "transformers_version", "torch_dtype", "model_type",
                           "rope_theta", "rope_scaling")}
    config = Qwen3Config(rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, **kwargs)
    model = Qwen3ForCausalLM(config).to(torch.float32).eval()
    gen = torch.Generator().manual_seed(args.seed)
    with torch.no_grad():
        for name, t in model.named_parameters():
            if name.endswith("norm.weight"):
                t.copy_(torch.empty(t.shape).uniform_(0.5, 1.5, generator=gen))
            elif "embed_tokens" in name:
                t.copy_(torch.randn(t.shape, generator=gen) * 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=gen) / math.sqrt(t.shape[1]))
            t.copy_(t.to(torch.bfloat16).to(torch.float32))
    tensors = {k: v.to(torch.bfloat16).contiguous().clone()
               for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_file(tensors, os.path.join(model_dir, "model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    del model, tensors

    try:
        ref = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")
    except TypeError:
        ref = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32, attn_implementation="eager")
    ref.eval()
    prompt = torch.randint(0, 151643, (args.prompt_tokens,), generator=gen).tolist()
    greedy, margins = [], []
    with torch.no_grad():
        out = ref(torch.tensor([prompt]), use_cache=True)
        last = out.logits[0, -1].to(torch.float32).clone()
        past, logits = out.past_key_values, out.logits[0, -1]
        for _ in range(args.new_tokens):
            top2 = torch.topk(logits, 2)
            margins.append(float(top2.values[0] - top2.values[1]))
            token = int(torch.argmax(logits))
            greedy.append(token)
            out = ref(torch.tensor([[token]]), past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[0, -1]
    save_file({"last_logits": last.contiguous()}, os.path.join(args.out, "reference.safetensors"))
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump({"made_by": "scripts/reference/make_full_size_reference.py",
                   "transformers_version": transformers.__version__, "torch_version": torch.__version__,
                   "seed": args.seed, "reference_dtype": "float32 on bf16-rounded weights, CPU, eager",
                   "input_ids": prompt, "greedy_ids": greedy, "greedy_margins": margins}, f, indent=1)
    print(f"reference: {len(prompt)} prompt tokens, greedy {greedy[:8]}..., min margin {min(margins):.3g}")


if __name__ == "__main__":
    main()
