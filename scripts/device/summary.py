#!/usr/bin/env python3
"""The short table that scripts/device/run.sh prints last, from its work folder (whatever steps ran).

    python3 summary.py WORK_DIR
"""
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

work = sys.argv[1]


def path(name):
    return os.path.join(work, name)


def load(name):
    try:
        with open(path(name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def read(name):
    try:
        with open(path(name)) as f:
            return f.read()
    except OSError:
        return None


def ms(x):
    return f"{x * 1e3:7.1f} ms"


out = []
p = out.append

machine = read("machine.txt")
if machine:
    gpu = [l for l in machine.splitlines() if "NVIDIA" in l or l.startswith("commit")]
    p("machine: " + " | ".join(gpu))

# GPU tests: the JUnit XML report when the run finished, else the live test feed.
reports = glob.glob(path("junit/*.xml"))
tests_log = read("tests.log")
if reports:
    total = failed = errors = skipped = 0
    problems = []
    skip_reasons = {}
    for report in reports:
        root = ET.parse(report).getroot()
        for case in root.iter("testcase"):
            total += 1
            name = f"{case.get('classname', '').rsplit('.', 1)[-1]}.{case.get('name')}"
            for kind in ("failure", "error", "skipped"):
                node = case.find(kind)
                if node is not None:
                    msg = (node.get("message") or node.text or "").strip().splitlines()
                    if kind == "skipped":
                        skipped += 1
                        reason = (msg[0] if msg else "")[:200]
                        skip_reasons[reason] = skip_reasons.get(reason, 0) + 1
                        continue
                    if kind == "failure":
                        failed += 1
                    else:
                        errors += 1
                    problems.append(f"  {kind.upper():7} {name}: {' '.join(msg[:4])[:400]}")
    p(f"GPU tests: {total} run, {total - failed - errors - skipped} passed, {failed} failed, "
      f"{errors} errors, {skipped} skipped/aborted")
    out.extend(problems)
    out.extend(f"  SKIPPED {n} x: {reason}" for reason, n in skip_reasons.items())
elif tests_log:
    done = re.findall(r"^(.*) :: (SUCCESSFUL|FAILED|ABORTED|SKIPPED)", tests_log, re.M)
    counts = {}
    for _, status in done:
        counts[status] = counts.get(status, 0) + 1
    p(f"GPU tests (no XML report: cut off?): {counts}")
    out.extend(f"  {s} {n}" for n, s in done if s != "SUCCESSFUL")
if tests_log:
    out.extend("  " + l.strip() for l in tests_log.splitlines() if l.startswith("exit code"))
    # What CudaQwen3ParityGpuTest printed: the worst case per model group and precision.
    worst = {}
    for m in re.finditer(r"^(\S+) (EXACT|FAST)(?: prompt of \d+)?: prompt logits error (\S+), "
                         r"worst decode error (\S+), (\d+)/(\d+) greedy", tests_log, re.M):
        name, prec, perr, derr, same, steps = m.groups()
        group = ("qwen3-0.6b" if name.startswith("qwen3-0.6b") else "tiny fixtures", prec)
        w = worst.setdefault(group, {"prompt": (0.0, ""), "decode": (0.0, ""), "tokens": []})
        w["prompt"] = max(w["prompt"], (float(perr), name))
        w["decode"] = max(w["decode"], (float(derr), name))
        w["tokens"].append(int(same) == int(steps))
    for (group, prec), w in worst.items():
        p(f"  CUDA vs CPU engine, {group} {prec}: worst prompt logits error {w['prompt'][0]:.2e} "
          f"({w['prompt'][1]}), worst decode {w['decode'][0]:.2e} ({w['decode'][1]}), "
          f"greedy tokens identical in {sum(w['tokens'])}/{len(w['tokens'])} prompts")
    out.extend("  " + l.strip() for l in tests_log.splitlines()
               if l.startswith("GPU sampler:") or l.startswith("IPC loads through the daemon"))

load_summary = read("load-summary.txt")
if load_summary:
    p("")
    p("load-bench (GPU loads):")
    out.extend("  " + l for l in load_summary.splitlines())

engine_lines = []
for shape in ("0.6b", "8b"):
    ft, hf = load(f"engine-qwen3-{shape}.json"), load(f"engine-hf-qwen3-{shape}.json")
    if ft and "decode_tokens_per_second" in ft:
        engine_lines.append(
            f"  qwen3-{shape} ours: decode {ft['decode_tokens_per_second']['median']:.1f} tok/s, ttft "
            f"{ft['ttft_seconds']['median'] * 1e3:.1f} ms, prefill {ft['prefill_tokens_per_second']:.0f} tok/s, "
            f"cold start {ft['cold_start']['process_start_to_first_token_seconds']:.2f} s")
    if hf:
        engine_lines.append(
            f"  qwen3-{shape} HF:   decode {hf['decode_tokens_per_second']['median']:.1f} tok/s, ttft "
            f"{hf['ttft_seconds']['median'] * 1e3:.1f} ms, prefill forward "
            f"{hf['prefill_forward_seconds']['median'] * 1e3:.1f} ms")
cold = read("engine-cli-cold-start.txt")
if cold:
    engine_lines.extend("  " + l for l in cold.splitlines())
if engine_lines:
    p("")
    p("engine-bench (CUDA engine vs HF generate):")
    out.extend(engine_lines)

swap = load("daemon-swap.json")
if swap or os.path.exists(path("daemon-swap.log")):
    p("")
    p("daemon:")
    if swap and "swap_seconds" in swap:
        p(f"  {swap['models']} models of {swap['model_bytes'] / 1e9:.2f} GB, pool pinned={swap['pool_pinned']}, "
          f"{swap['swaps']} swaps on {swap.get('gpu')}")
        p("  daemon's first loads (s): " + str([round(x, 2) for x in swap["host_load_seconds"]]))
        for key in ("swap_seconds", "copy_seconds"):
            v = swap[key]
            p(f"  {key:13} p50 {ms(v['p50'])}  p90 {ms(v['p90'])}  p99 {ms(v['p99'])}  "
              f"min {ms(v['min'])}  max {ms(v['max'])}")
        p(f"  GB/s at p50: copies {swap['copy_gb_per_s_p50']:.1f}, whole swap {swap['swap_gb_per_s_p50']:.1f}; "
          f"target p99 <= 40 ms: {'MET' if swap['swap_seconds']['p99'] <= 0.040 else 'MISSED'}")
    else:
        log = (read("daemon-swap.log") or "").strip().splitlines()
        p("  hot swap: no result; last lines of its log:")
        out.extend("    " + l for l in log[-6:])
    a, b = load("daemon-run-gpu.json"), load("daemon-run-gpu-direct.json")
    if a is not None or b is not None:
        a, b = a or {}, b or {}
        p(f"  run --device cuda through the daemon == --no-daemon: "
          f"{a.get('output_ids') is not None and a.get('output_ids') == b.get('output_ids')} "
          f"(load s: daemon {a.get('load_seconds')}, direct {b.get('load_seconds')})")

parity = load("parity.json")
if parity:
    p("")
    p(f"full-parity (CPU engine vs transformers fp32, 0.6B shape): max error / max logit "
      f"{parity['max_abs_error_over_max_abs_logit']:.2e} (<= {parity['tolerance']}: {parity['logits_ok']}), "
      f"greedy identical over {parity['greedy_tokens']}: {parity['greedy_identical']}")

skipped = read("skipped.txt")
if skipped:
    p("")
    out.extend(skipped.strip().splitlines())

print("\n".join(out))
