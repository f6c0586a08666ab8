#!/usr/bin/env python3
"""Makes the Qwen3 parity fixtures of the CPU engine with Hugging Face transformers.

Run on a machine with torch + transformers + safetensors (the GPU machine has them):

    python3 scripts/reference/make_tiny_models.py --out OUT_DIR [--tokenizer DIR]

It writes, under OUT_DIR:

  qwen3-parity/<case>/config.json, generation_config.json, model.safetensors (bf16),
                      reference.safetensors (float32 logits), reference.json
  models/qwen3-tiny-random/  a 2-layer model with the full Qwen3 vocabulary (151936) and the real
                      tokenizer files beside it, with a reference for a chat prompt
  sampling/hf-logits-warpers.json  what HF's own logits warpers (temperature, top-k, top-p, min-p,
                      in the order `generate` builds them) make of a few logit vectors

How the references are made (docs/engine.md repeats this):
  * weights are drawn in float32, rounded to bfloat16 and saved as bf16 safetensors;
  * the saved folder is loaded back with `from_pretrained(dtype=float32, attn_implementation="eager")`,
    so the reference is transformers' reading of the committed files (both config.json forms);
  * the reference runs in float32 on the CPU (no TF32) on those bf16-rounded weights;
  * logits of every prompt position are stored, and a greedy continuation of 40 tokens (argmax of the
    full forward pass each step). A case whose greedy steps have a top-1/top-2 logit gap below
    MIN_MARGIN is redrawn with the next seed, so that float32 rounding differences between two correct
    implementations cannot flip a token.
"""

import argparse
import copy
import gzip
import json
import math
import os
import shutil
import sys
import traceback

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, Qwen3Config, Qwen3ForCausalLM

MIN_MARGIN = 2e-3
GREEDY_STEPS = 40
PROMPT_LENGTHS = (1, 9, 33)

# name, sizes, rope, config form. Every shape feature the engine must get right appears at least once:
# GQA (ratios 1, 2, 4), tied and untied embeddings, head_dim != hidden/heads, rope_theta 1e4 and 1e6,
# linear and YaRN rope scaling, the transformers 4.x and 5.x config.json forms, eos as int and as list.
CASES = [
    dict(name="gqa2-tied-theta1e6-v4", vocab=512, hidden=64, inter=160, layers=2, heads=4, kv=2,
         head_dim=16, tied=True, theta=1_000_000.0, rope=None, form="v4", eos=[3, 5]),
    dict(name="mha-untied-theta1e4-v5", vocab=384, hidden=64, inter=128, layers=3, heads=4, kv=4,
         head_dim=16, tied=False, theta=10_000.0, rope=None, form="v5", eos=7),
    dict(name="gqa4-headdim32-untied-v4", vocab=320, hidden=48, inter=96, layers=2, heads=4, kv=1,
         head_dim=32, tied=False, theta=1_000_000.0, rope=None, form="v4", eos=11),
    dict(name="gqa2-headdim8-tied-theta1e4-v5", vocab=256, hidden=32, inter=80, layers=2, heads=8, kv=4,
         head_dim=8, tied=True, theta=10_000.0, rope=None, form="v5", eos=[1]),
    dict(name="rope-linear-v5", vocab=256, hidden=32, inter=64, layers=2, heads=2, kv=1, head_dim=16,
         tied=False, theta=10_000.0, rope={"rope_type": "linear", "factor": 2.0}, form="v5", eos=2),
    dict(name="rope-yarn-v4", vocab=256, hidden=32, inter=64, layers=2, heads=2, kv=1, head_dim=16,
         tied=True, theta=10_000.0,
         rope={"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32},
         form="v4", eos=2),
]


def log(*args):
    print(*args, flush=True)


def v5_config(case, max_pos):
    rope = {"rope_type": "default", "rope_theta": case["theta"]}
    if case["rope"]:
        rope = dict(case["rope"], rope_theta=case["theta"])
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dtype": "bfloat16",
        "eos_token_id": case["eos"],
        "head_dim": case["head_dim"],
        "hidden_act": "silu",
        "hidden_size": case["hidden"],
        "initializer_range": 0.02,
        "intermediate_size": case["inter"],
        "layer_types": ["full_attention"] * case["layers"],
        "max_position_embeddings": max_pos,
        "max_window_layers": case["layers"],
        "model_type": "qwen3",
        "num_attention_heads": case["heads"],
        "num_hidden_layers": case["layers"],
        "num_key_value_heads": case["kv"],
        "pad_token_id": None,
        "rms_norm_eps": 1e-6,
        "rope_parameters": rope,
        "sliding_window": None,
        "tie_word_embeddings": case["tied"],
        "transformers_version": transformers.__version__,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": case["vocab"],
    }


def v4_config(case, max_pos):
    """The form of the published Qwen3 checkpoints (transformers 4.51)."""
    rope_scaling = None
    if case["rope"]:
        rope_scaling = dict(case["rope"])
        rope_scaling["type"] = rope_scaling["rope_type"]
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "eos_token_id": case["eos"],
        "head_dim": case["head_dim"],
        "hidden_act": "silu",
        "hidden_size": case["hidden"],
        "initializer_range": 0.02,
        "intermediate_size": case["inter"],
        "max_position_embeddings": max_pos,
        "max_window_layers": case["layers"],
        "model_type": "qwen3",
        "num_attention_heads": case["heads"],
        "num_hidden_layers": case["layers"],
        "num_key_value_heads": case["kv"],
        "rms_norm_eps": 1e-6,
        "rope_scaling": rope_scaling,
        "rope_theta": case["theta"],
        "sliding_window": None,
        "tie_word_embeddings": case["tied"],
        "torch_dtype": "bfloat16",
        "transformers_version": "4.51.0",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": case["vocab"],
    }


def build_model(config_dict, seed):
    """A Qwen3 model with every weight drawn from `seed`, rounded to bf16 (kept in float32)."""
    kwargs = {k: v for k, v in config_dict.items()
              if k not in ("architectures", "transformers_version", "dtype", "torch_dtype", "model_type")}
    config = Qwen3Config(**kwargs)
    model = Qwen3ForCausalLM(config).to(torch.float32).eval()
    gen = torch.Generator().manual_seed(seed)
    hidden = config_dict["hidden_size"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                # Non-trivial norm weights: an engine that skips or misplaces a norm must fail.
                p.copy_(torch.empty(p.shape).uniform_(0.4, 1.6, generator=gen))
            elif "embed_tokens" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
            elif name == "lm_head.weight" and not config_dict["tie_word_embeddings"]:
                p.copy_(torch.randn(p.shape, generator=gen) * (3.0 / math.sqrt(hidden)))
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
            else:
                raise RuntimeError(f"unexpected parameter {name} {tuple(p.shape)}")
            p.copy_(p.to(torch.bfloat16).to(torch.float32))
    if config_dict["tie_word_embeddings"]:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "not tied"
    return model


def save_bf16(model, folder, tied):
    tensors = {}
    for name, t in model.state_dict().items():
        if tied and name == "lm_head.weight":
            continue
        tensors[name] = t.detach().to(torch.bfloat16).contiguous().clone()
    save_file(tensors, os.path.join(folder, "model.safetensors"), metadata={"format": "pt"})
    return sorted(tensors)


def load_reference_model(folder):
    try:
        return AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32,
                                                    attn_implementation="eager").eval()
    except TypeError:
        return AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32,
                                                    attn_implementation="eager").eval()


@torch.no_grad()
def logits_of(model, ids):
    return model(torch.tensor([ids], dtype=torch.long)).logits[0].to(torch.float32)


@torch.no_grad()
def greedy(model, ids, steps):
    ids = list(ids)
    out, margins = [], []
    for _ in range(steps):
        last = logits_of(model, ids)[-1]
        top2 = torch.topk(last, 2)
        margins.append(float(top2.values[0] - top2.values[1]))
        token = int(torch.argmax(last))
        out.append(token)
        ids.append(token)
    return out, margins


def rope_facts(model):
    rotary = model.model.rotary_emb
    return {"inv_freq": [float(x) for x in rotary.inv_freq.to(torch.float64)],
            "attention_scaling": float(rotary.attention_scaling)}


def make_case(case, root):
    folder = os.path.join(root, "qwen3-parity", case["name"])
    max_pos = 128
    for attempt in range(8):
        seed = 1000 + 17 * attempt + sum(map(ord, case["name"]))
        cfg = (v4_config if case["form"] == "v4" else v5_config)(case, max_pos)
        # The in-memory model is built from the 5.x form (what this transformers speaks natively).
        model = build_model(v5_config(case, max_pos), seed)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        with open(os.path.join(folder, "generation_config.json"), "w") as f:
            json.dump({"bos_token_id": 0, "eos_token_id": case["eos"], "do_sample": False,
                       "transformers_version": cfg["transformers_version"]}, f, indent=2)
        names = save_bf16(model, folder, case["tied"])
        ref = load_reference_model(folder)
        # The reloaded model must be the one drawn: same weights, same rope, same outputs.
        mem_params = dict(model.named_parameters())
        for name, p in ref.named_parameters():
            assert torch.equal(p, mem_params[name]), f"{case['name']}: {name} differs after reload"
        assert bool(ref.config.tie_word_embeddings) == case["tied"], "tie flag misread"
        theta = ref.config.rope_parameters["rope_theta"]
        assert theta == case["theta"], f"rope_theta misread: {theta}"
        gen = torch.Generator().manual_seed(seed)
        prompts = [torch.randint(0, case["vocab"], (n,), generator=gen).tolist() for n in PROMPT_LENGTHS]
        tensors, prompt_refs, worst = {}, [], float("inf")
        for i, ids in enumerate(prompts):
            logits = logits_of(ref, ids)
            mem = logits_of(model, ids)
            assert torch.allclose(logits, mem, atol=1e-4, rtol=1e-4), "reloaded model disagrees"
            tensors[f"prompt{i}.logits"] = logits.contiguous()
            tokens, margins = greedy(ref, ids, GREEDY_STEPS)
            worst = min(worst, min(margins))
            prompt_refs.append({"input_ids": ids, "greedy_ids": tokens,
                                "greedy_min_margin": min(margins),
                                "logits_tensor": f"prompt{i}.logits"})
        if worst < MIN_MARGIN:
            log(f"{case['name']}: seed {seed} has a greedy margin {worst:.2e}, redrawing")
            continue
        save_file(tensors, os.path.join(folder, "reference.safetensors"))
        with open(os.path.join(folder, "reference.json"), "w") as f:
            json.dump({
                "case": case["name"],
                "made_by": "scripts/reference/make_tiny_models.py",
                "transformers_version": transformers.__version__,
                "torch_version": torch.__version__,
                "weights_seed": seed,
                "reference_dtype": "float32 on bf16-rounded weights, CPU, eager attention",
                "config_form": case["form"],
                "tensors": names,
                "rope": rope_facts(ref),
                "prompts": prompt_refs,
            }, f, indent=1)
        log(f"{case['name']}: ok (seed {seed}, min greedy margin {worst:.3g})")
        return
    raise RuntimeError(f"{case['name']}: no seed gave greedy margins above {MIN_MARGIN}")


def make_full_vocab_model(root, tokenizer_dir):
    """A 2-layer random model with Qwen3's vocabulary and real tokenizer, for end-to-end tests."""
    folder = os.path.join(root, "models", "qwen3-tiny-random")
    case = dict(name="qwen3-tiny-random", vocab=151936, hidden=32, inter=96, layers=2, heads=4, kv=2,
                head_dim=16, tied=True, theta=1_000_000.0, rope=None, form="v4", eos=151645)
    tok_json = os.path.join(tokenizer_dir, "tokenizer.json")
    if not os.path.exists(tok_json):
        with gzip.open(tok_json + ".gz", "rb") as src, open("/tmp/tokenizer.json", "wb") as dst:
            shutil.copyfileobj(src, dst)
        tok_json = "/tmp/tokenizer.json"
    for attempt in range(8):
        seed = 4242 + attempt
        cfg = v4_config(case, 40960)
        cfg.update({"bos_token_id": 151643, "eos_token_id": 151645})
        model = build_model(dict(v5_config(case, 40960), bos_token_id=151643), seed)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        with open(os.path.join(folder, "generation_config.json"), "w") as f:
            # The published Qwen3 generation_config.json values.
            json.dump({"bos_token_id": 151643, "do_sample": True, "eos_token_id": [151645, 151643],
                       "pad_token_id": 151643, "temperature": 0.6, "top_k": 20, "top_p": 0.95,
                       "transformers_version": "4.51.0"}, f, indent=2)
        shutil.copy(tok_json, os.path.join(folder, "tokenizer.json"))
        shutil.copy(os.path.join(tokenizer_dir, "tokenizer_config.json"),
                    os.path.join(folder, "tokenizer_config.json"))
        names = save_bf16(model, folder, True)
        ref = load_reference_model(folder)
        from transformers import AutoTokenizer
        tok = AutoTokenizer.from_pretrained(folder)
        conversations = [
            ([{"role": "user", "content": "Hello! What is 2+2?"}], False),
            ([{"role": "system", "content": "You are terse."},
              {"role": "user", "content": "Name a colour."}], True),
        ]
        tensors, refs, worst = {}, [], float("inf")
        for i, (messages, thinking) in enumerate(conversations):
            text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True,
                                           enable_thinking=thinking)
            ids = tok(text, add_special_tokens=False)["input_ids"]
            logits = logits_of(ref, ids)
            tensors[f"prompt{i}.last_logits"] = logits[-1].contiguous()
            tokens, margins = greedy(ref, ids, 24)
            worst = min(worst, min(margins))
            refs.append({"messages": messages, "enable_thinking": thinking, "rendered": text,
                         "input_ids": ids, "greedy_ids": tokens, "greedy_min_margin": min(margins),
                         "greedy_text": tok.decode(tokens, skip_special_tokens=False),
                         "last_logits_tensor": f"prompt{i}.last_logits"})
        if worst < MIN_MARGIN:
            log(f"qwen3-tiny-random: seed {seed} margin {worst:.2e}, redrawing")
            continue
        save_file(tensors, os.path.join(folder, "reference.safetensors"))
        with open(os.path.join(folder, "reference.json"), "w") as f:
            json.dump({"case": case["name"], "made_by": "scripts/reference/make_tiny_models.py",
                       "transformers_version": transformers.__version__,
                       "torch_version": torch.__version__, "weights_seed": seed,
                       "reference_dtype": "float32 on bf16-rounded weights, CPU, eager attention",
                       "tensors": names, "prompts": refs}, f, indent=1, ensure_ascii=False)
        log(f"qwen3-tiny-random: ok (seed {seed}, min margin {worst:.3g})")
        return
    raise RuntimeError("qwen3-tiny-random: no seed gave clear greedy margins")


def make_sampling_reference(root):
    """HF's warpers applied to fixed logits, in the order `generate` builds them."""
    from transformers import GenerationConfig
    from transformers.generation.logits_process import (LogitsProcessorList, MinPLogitsWarper,
                                                        TemperatureLogitsWarper, TopKLogitsWarper,
                                                        TopPLogitsWarper)
    gen = torch.Generator().manual_seed(7)
    vocab = 256
    vectors = [torch.randn(vocab, generator=gen) * s for s in (0.5, 2.0, 6.0)]
    settings = [
        dict(temperature=0.7, top_k=0, top_p=1.0, min_p=None),
        dict(temperature=1.0, top_k=20, top_p=1.0, min_p=None),
        dict(temperature=0.8, top_k=0, top_p=0.9, min_p=None),
        dict(temperature=1.3, top_k=50, top_p=0.95, min_p=None),
        dict(temperature=0.6, top_k=20, top_p=0.95, min_p=0.05),
        dict(temperature=1.0, top_k=0, top_p=1.0, min_p=0.1),
        dict(temperature=0.5, top_k=10, top_p=0.5, min_p=0.2),
        dict(temperature=2.0, top_k=3, top_p=0.99, min_p=None),
    ]
    order_source = "manual (HF order: temperature, top-k, top-p, min-p)"
    results = []
    tiny = None
    for s in settings:
        procs = None
        try:
            if tiny is None:
                tiny = Qwen3ForCausalLM(Qwen3Config(vocab_size=vocab, hidden_size=16, intermediate_size=32,
                                                    num_hidden_layers=1, num_attention_heads=2,
                                                    num_key_value_heads=1, head_dim=8))
            gc = GenerationConfig(do_sample=True, **s)
            procs = tiny._get_logits_processor(generation_config=gc, input_ids_seq_length=1,
                                               encoder_input_ids=torch.zeros((1, 1), dtype=torch.long),
                                               prefix_allowed_tokens_fn=None,
                                               logits_processor=LogitsProcessorList())
            order_source = "model._get_logits_processor(GenerationConfig(do_sample=True, ...))"
        except Exception as e:  # signature differs between versions: fall back to the documented order
            log("sampling: _get_logits_processor failed, using the manual list:", repr(e))
            procs = LogitsProcessorList()
            if s["temperature"] != 1.0:
                procs.append(TemperatureLogitsWarper(s["temperature"]))
            if s["top_k"]:
                procs.append(TopKLogitsWarper(s["top_k"]))
            if s["top_p"] < 1.0:
                procs.append(TopPLogitsWarper(s["top_p"]))
            if s["min_p"] is not None:
                procs.append(MinPLogitsWarper(s["min_p"]))
        for vi, v in enumerate(vectors):
            scores = procs(torch.zeros((1, 1), dtype=torch.long), v.clone()[None, :])[0]
            probs = torch.softmax(scores, dim=-1)
            results.append({"setting": s, "vector": vi, "processors": [type(p).__name__ for p in procs],
                            "kept": [int(i) for i in torch.nonzero(probs > 0).flatten()],
                            "probs": [float(x) for x in probs]})
    out = os.path.join(root, "sampling")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "hf-logits-warpers.json"), "w") as f:
        json.dump({"made_by": "scripts/reference/make_tiny_models.py",
                   "transformers_version": transformers.__version__, "order_source": order_source,
                   "vectors": [[float(x) for x in v] for v in vectors], "results": results}, f)
    log("sampling: ok,", order_source)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--tokenizer", default=None, help="folder with tokenizer.json[.gz] + tokenizer_config.json")
    parser.add_argument("--only", default=None, help="comma-separated case names")
    args = parser.parse_args()
    torch.set_num_threads(min(8, os.cpu_count() or 1))
    torch.backends.cuda.matmul.allow_tf32 = False
    log("transformers", transformers.__version__, "torch", torch.__version__)
    failures = []
    for case in CASES:
        if args.only and case["name"] not in args.only.split(","):
            continue
        try:
            make_case(case, args.out)
        except Exception:
            failures.append(case["name"])
            traceback.print_exc()
    for step, fn in (("sampling", lambda: make_sampling_reference(args.out)),
                     ("full-vocab", lambda: make_full_vocab_model(args.out, args.tokenizer))):
        if step == "full-vocab" and not args.tokenizer:
            continue
        try:
            fn()
        except Exception:
            failures.append(step)
            traceback.print_exc()
    if failures:
        log("FAILED:", ", ".join(failures))
        sys.exit(1)
    log("all fixtures made")


if __name__ == "__main__":
    main()
