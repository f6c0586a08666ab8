#!/usr/bin/env python3
"""Times the Python baselines that flashtensors must beat, the way the Java benchmark times itself.

For each model: safetensors.torch.load_file(shard, device="cuda:0") over every shard, and
transformers AutoModelForCausalLM.from_pretrained(dir, dtype=bfloat16, device_map="cuda:0"); from
the page cache (warm, after one untimed warm-up load) and after drop_caches (cold, needs root).
Each time ends with torch.cuda.synchronize() and covers everything up to usable GPU tensors.

    python3 py_loaders.py --loader safetensors --model 8B=/data/q8b --warm 3 --cold 2 --out st.json
"""
import argparse
import gc
import glob
import json
import os
import statistics
import subprocess
import time

import torch


def drop_caches():
    subprocess.run(["sync"], check=True)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")


def load_safetensors(path):
    from safetensors.torch import load_file

    state = {}
    for shard in sorted(glob.glob(os.path.join(path, "*.safetensors"))):
        state.update(load_file(shard, device="cuda:0"))
    return state


def load_transformers(path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16, device_map="cuda:0")


def timed(fn, path):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    obj = fn(path)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    del obj
    gc.collect()
    torch.cuda.empty_cache()
    return seconds


def stats(xs):
    xs = sorted(xs)
    return {"median": statistics.median(xs), "min": xs[0], "max": xs[-1], "n": len(xs), "runs": xs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loader", choices=["safetensors", "transformers"], required=True)
    ap.add_argument("--model", action="append", required=True, help="NAME=DIR")
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--cold", type=int, default=2)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    fn = load_safetensors if args.loader == "safetensors" else load_transformers
    torch.zeros(1, device="cuda:0")  # CUDA context outside the timings
    result = {"loader": args.loader, "torch": torch.__version__, "device": torch.cuda.get_device_name(0)}
    if args.loader == "transformers":
        import transformers

        result["transformers"] = transformers.__version__
    else:
        import safetensors

        result["safetensors"] = safetensors.__version__
    result["models"] = {}
    for spec in args.model:
        name, path = spec.split("=", 1)
        r = {"path": path}
        if args.cold > 0:
            cold = []
            for _ in range(args.cold):
                drop_caches()
                cold.append(timed(fn, path))
            r["cold"] = stats(cold)
        timed(fn, path)  # warm-up: page cache, imports, allocator
        r["warm"] = stats([timed(fn, path) for _ in range(args.warm)])
        result["models"][name] = r
        print(f"{args.loader:12s} {name:5s} warm {r['warm']['median']:.3f} s"
              + (f", cold {r['cold']['median']:.3f} s" if "cold" in r else ""), flush=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
