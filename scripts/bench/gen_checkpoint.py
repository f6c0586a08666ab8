#!/usr/bin/env python3
"""Writes a Qwen3-shaped checkpoint of random bf16 weights, as Hugging Face lays it out.

HF-style shards of at most --shard-size bytes (model-00001-of-0000N.safetensors), an index
(model.safetensors.index.json) when there are several, and a config.json that transformers can
load (Qwen3ForCausalLM). Weights are drawn on the GPU when there is one (fast), never zeros.

    python3 gen_checkpoint.py --shape 8B --out /data/q8b --seed 1
    python3 gen_checkpoint.py --spec 0.6B:/data/a:0 --spec 8B:/data/b:1   # several, one process
"""
import argparse
import json
import os
import time

import torch
from safetensors.torch import save_file

# hidden, intermediate, layers, heads, kv heads, tied embeddings (Qwen3 configs on the Hub)
SHAPES = {
    "0.6B": (1024, 3072, 28, 16, 8, True),
    "1.7B": (2048, 6144, 28, 16, 8, True),
    "4B": (2560, 9728, 36, 32, 8, True),
    "8B": (4096, 12288, 36, 32, 8, False),
    "14B": (5120, 17408, 40, 40, 8, False),
}
VOCAB = 151936
HEAD_DIM = 128


def tensors(shape):
    hidden, inter, layers, heads, kv, tied = SHAPES[shape]
    yield "model.embed_tokens.weight", (VOCAB, hidden)
    for i in range(layers):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", (hidden,)
        yield p + "mlp.down_proj.weight", (hidden, inter)
        yield p + "mlp.gate_proj.weight", (inter, hidden)
        yield p + "mlp.up_proj.weight", (inter, hidden)
        yield p + "post_attention_layernorm.weight", (hidden,)
        yield p + "self_attn.k_norm.weight", (HEAD_DIM,)
        yield p + "self_attn.k_proj.weight", (kv * HEAD_DIM, hidden)
        yield p + "self_attn.o_proj.weight", (hidden, heads * HEAD_DIM)
        yield p + "self_attn.q_norm.weight", (HEAD_DIM,)
        yield p + "self_attn.q_proj.weight", (heads * HEAD_DIM, hidden)
        yield p + "self_attn.v_proj.weight", (kv * HEAD_DIM, hidden)
    yield "model.norm.weight", (hidden,)
    if not tied:
        yield "lm_head.weight", (VOCAB, hidden)


def config(shape):
    hidden, inter, layers, heads, kv, tied = SHAPES[shape]
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 151643,
        "eos_token_id": 151645,
        "head_dim": HEAD_DIM,
        "hidden_act": "silu",
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": inter,
        "max_position_embeddings": 40960,
        "max_window_layers": layers,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "num_key_value_heads": kv,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000,
        "sliding_window": None,
        "tie_word_embeddings": tied,
        "torch_dtype": "bfloat16",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": VOCAB,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=sorted(SHAPES))
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--spec", action="append", default=[], help="SHAPE:OUT:SEED, repeatable")
    ap.add_argument("--shard-size", type=int, default=4 << 30, help="bytes per shard (4 GiB)")
    args = ap.parse_args()
    specs = [s.split(":") for s in args.spec]
    if args.shape:
        specs.append([args.shape, args.out, str(args.seed)])
    if not specs:
        ap.error("give --shape and --out, or --spec")
    for shape, out, seed in specs:
        if shape not in SHAPES:
            ap.error(f"unknown shape {shape}; known: {sorted(SHAPES)}")
        generate(shape, out, int(seed), args.shard_size)


def generate(shape_name, out, seed, shard_size):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    gen = torch.Generator(device=device).manual_seed(seed)
    os.makedirs(out, exist_ok=True)
    t0 = time.time()
    # Plan the shards first (sizes follow from the shapes), then draw and write one at a time.
    shards, current, size = [], [], 0
    for name, shape in tensors(shape_name):
        n = 1
        for d in shape:
            n *= d
        if current and size + 2 * n > shard_size:
            shards.append(current)
            current, size = [], 0
        current.append((name, shape))
        size += 2 * n
    shards.append(current)

    total = 0
    weight_map = {}
    count = len(shards)
    for i, shard in enumerate(shards):
        fname = "model.safetensors" if count == 1 else f"model-{i + 1:05d}-of-{count:05d}.safetensors"
        data = {}
        for name, shape in shard:
            t = torch.randn(shape, generator=gen, device=device, dtype=torch.float32) * 0.02
            data[name] = t.to(torch.bfloat16).cpu()
            weight_map[name] = fname
            total += data[name].numel() * 2
        save_file(data, os.path.join(out, fname), metadata={"format": "pt"})
        del data
    if count > 1:
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config(shape_name), f, indent=2)
    print(f"{shape_name}: {total / 1e9:.2f} GB in {count} shard(s) at {out}"
          f" ({time.time() - t0:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
