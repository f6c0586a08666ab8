"""Hugging Face transformers baseline for the GPU engine benchmark (run on the GPU machine).

  python3 scripts/bench/hf_generate_bench.py MODEL_DIR OUT_JSON [--decode-tokens 256] [--prompt 1024]

Loads MODEL_DIR with from_pretrained (bf16, cuda:0, default attention), then, batch 1, greedy:
- time to first token for a PROMPT-token prompt: generate(max_new_tokens=1), median of 5 after a
  warm-up; prefill tokens/s = PROMPT / that time;
- decode tokens/s over DECODE tokens after a 16-token prompt:
  (DECODE - 1) / (time of generate(max_new_tokens=DECODE) - time of generate(max_new_tokens=1)),
  median of 3, with min_new_tokens forcing the full length.
Prompt ids are fixed random ids (seed 0), the same the Java benchmark uses.
"""

import json
import statistics
import sys
import time

import torch
from transformers import AutoModelForCausalLM


def prompt_ids(n, vocab, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, min(vocab, 151643), (1, n), generator=g)


def timed(fn):
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def main():
    model_dir, out_json = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    decode = int(args[args.index("--decode-tokens") + 1]) if "--decode-tokens" in args else 256
    plen = int(args[args.index("--prompt") + 1]) if "--prompt" in args else 1024
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16, device_map="cuda:0")
    torch.cuda.synchronize()
    load_s = time.perf_counter() - t0
    model.eval()
    vocab = model.config.vocab_size
    gen = dict(do_sample=False, pad_token_id=0, eos_token_id=None)
    long_ids = prompt_ids(plen, vocab).cuda()
    short_ids = prompt_ids(16, vocab, seed=1).cuda()
    with torch.no_grad():
        model.generate(long_ids, max_new_tokens=2, **gen)  # warm-up
        ttft = [timed(lambda: model.generate(long_ids, max_new_tokens=1, **gen)) for _ in range(5)]
        first = [timed(lambda: model.generate(short_ids, max_new_tokens=1, **gen)) for _ in range(3)]
        full = [timed(lambda: model.generate(short_ids, max_new_tokens=decode, min_new_tokens=decode, **gen))
                for _ in range(3)]
        # The same prefill as one plain forward (no generate overhead): the GEMM-bound part alone.
        fwd = [timed(lambda: model(long_ids, use_cache=False, logits_to_keep=1)) for _ in range(5)]
    first_med = statistics.median(first)
    decode_tps = [(decode - 1) / (f - first_med) for f in full]
    res = {
        "engine": "hf-transformers",
        "model": model_dir,
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "transformers": __import__("transformers").__version__,
        "attn_implementation": model.config._attn_implementation,
        "load_seconds": load_s,
        "prompt_tokens": plen,
        "ttft_seconds": {"median": statistics.median(ttft), "min": min(ttft), "max": max(ttft)},
        "prefill_tokens_per_second": plen / statistics.median(ttft),
        "prefill_forward_seconds": {"median": statistics.median(fwd), "min": min(fwd), "max": max(fwd)},
        "decode_tokens": decode,
        "decode_tokens_per_second": {"median": statistics.median(decode_tps), "min": min(decode_tps),
                                     "max": max(decode_tps)},
    }
    with open(out_json, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
