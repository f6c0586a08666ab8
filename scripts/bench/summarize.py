#!/usr/bin/env python3
"""Prints the GPU load benchmark table from the JSON of one run (ours and the Python baselines)
and checks the targets of issue 3. Writes the same text to --out.

    python3 summarize.py --java java.json --safetensors st.json --transformers tf.json --out summary.txt
"""
import argparse
import json
import os


def load(path):
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


def med(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def fmt(x, unit="s", digits=3):
    return "-" if x is None else f"{x:.{digits}f}{unit}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--java")
    ap.add_argument("--safetensors")
    ap.add_argument("--transformers")
    ap.add_argument("--out")
    args = ap.parse_args()
    java, st, tf = load(args.java), load(args.safetensors), load(args.transformers)
    lines = []
    p = lines.append
    if java:
        card = java.get("card", {})
        p(f"card: {card.get('name')} {card.get('uuid')} (driver CUDA {card.get('driver')})")
        pool = java.get("poolAllocation", {})
        if pool:
            p(f"pool allocation: {pool['bytes'] / 2**30:.1f} GiB pinned in {pool['seconds']:.2f} s"
              f" ({pool['gibPerSecond']:.2f} GiB/s, {pool['threads']} threads)")
        c = java.get("ceilings", {})
        p("ceilings: pinned H2D {} GB/s (1 GiB buffer), {} GB/s (over the whole pool); "
          "read warm {} GB/s, read cold {} GB/s".format(
            fmt(med(c, "h2d", "gbps"), "", 1), fmt(med(c, "h2dPool", "gbps"), "", 1),
            fmt(med(c, "readWarm", "gbps"), "", 1), fmt(med(c, "readCold", "gbps"), "", 2)))
        for name, v in (java.get("variants") or {}).items():
            if "error" in v:
                p(f"variant {name}: failed: {v['error']}")
                continue
            vp = v["poolAllocation"]
            swap = med(v, "hotSwap", "loadMillis") or {}
            p(f"variant {name}: pool {vp['seconds']:.2f} s ({vp['gibPerSecond']:.2f} GiB/s, huge pages"
              f" {vp['anonHugePagesBytes'] / 2**30:.1f} GiB); {v.get('model')} warm"
              f" {fmt(med(v, 'warm', 'seconds', 'median'))}, resident {fmt(med(v, 'resident', 'seconds', 'median'))}"
              f" ({fmt(med(v, 'resident', 'gbps'), '', 1)} GB/s); swap p50 {fmt(swap.get('median'), ' ms', 1)}"
              f" p99 {fmt(swap.get('p99'), ' ms', 1)}; pool H2D reused/fresh/prefaulted"
              f" {fmt(med(v, 'h2dPool', 'reused'), '', 1)}/{fmt(med(v, 'h2dPool', 'fresh'), '', 1)}/"
              f"{fmt(med(v, 'h2dPool', 'fresh_prefaulted'), '', 1)} GB/s")
        hp = c.get("h2dPool") or {}
        if "reused" in hp:
            p(f"pool H2D (defaults) reused/fresh/prefaulted: {fmt(hp.get('reused'), '', 1)}/"
              f"{fmt(hp.get('fresh'), '', 1)}/{fmt(hp.get('fresh_prefaulted'), '', 1)} GB/s")
    p("")
    header = f"{'model':6} {'GB':>6} | {'ours warm':>10} {'cold':>8} {'resident':>9} | " \
             f"{'st warm':>8} {'st cold':>8} | {'hf warm':>8} {'hf cold':>8}"
    p(header)
    p("-" * len(header))
    names = []
    for src in (java, st, tf):
        for n in (src or {}).get("models", {}):
            if n not in names:
                names.append(n)
    for n in names:
        j = med(java, "models", n) or {}
        gb = med(j, "warm", "bytes")
        p(f"{n:6} {fmt(gb / 1e9 if gb else None, '', 2):>6} | "
          f"{fmt(med(j, 'warm', 'seconds', 'median')):>10} {fmt(med(j, 'cold', 'seconds', 'median')):>8} "
          f"{fmt(med(j, 'resident', 'seconds', 'median')):>9} | "
          f"{fmt(med(st, 'models', n, 'warm', 'median')):>8} {fmt(med(st, 'models', n, 'cold', 'median')):>8} | "
          f"{fmt(med(tf, 'models', n, 'warm', 'median')):>8} {fmt(med(tf, 'models', n, 'cold', 'median')):>8}")
    p("(medians; spread in the JSON)")
    if java:
        swap = med(java, "hotSwap", "loadMillis")
        if swap:
            p(f"hot swap ({len(java['hotSwap']['models'])} resident models, n={swap['n']}): "
              f"p50 {swap['median']:.1f} ms, p99 {swap['p99']:.1f} ms, max {swap['max']:.1f} ms")
        p("")
        p("targets (issue 3):")
        big = med(java, "models", "8B") or {}
        warm = med(big, "warm", "seconds", "median")
        if warm is not None:
            p(f"  8B page cache -> GPU <= 0.50 s: {warm:.3f} s "
              f"{'MET' if warm <= 0.5 else 'MISSED by %.0f ms' % ((warm - 0.5) * 1000)}")
        h2d = med(java, "ceilings", "h2d", "gbps")
        h2d_pool = med(java, "ceilings", "h2dPool", "gbps")
        candidates = [("safetensors, " + java.get("options", {}).get("pinnedMemory", "?"), med(big, "resident", "gbps"))]
        flash = med(java, "models", "8B-flash") or {}
        if med(flash, "resident", "gbps"):
            candidates.append(("flash layout", med(flash, "resident", "gbps")))
        for name, v in (java.get("variants") or {}).items():
            if v.get("model") == "8B" and med(v, "resident", "gbps"):
                candidates.append(("safetensors, " + name, med(v, "resident", "gbps")))
        for label, res in candidates:
            if h2d and res:
                extra = f", {100 * res / h2d_pool:.1f}% of the whole-pool ceiling {h2d_pool:.1f}" if h2d_pool else ""
                p(f"  8B resident -> GPU >= 90% of pinned H2D ({h2d:.1f} GB/s) [{label}]: {res:.1f} GB/s = "
                  f"{100 * res / h2d:.1f}%{extra} {'MET' if res >= 0.9 * h2d else 'MISSED'}")
        cold_ceiling = med(java, "ceilings", "readCold", "gbps")
        cold = med(big, "cold", "gbps")
        if cold_ceiling and cold:
            p(f"  8B cold >= 90% of parallel disk read ({cold_ceiling:.2f} GB/s): {cold:.2f} GB/s = "
              f"{100 * cold / cold_ceiling:.1f}% {'MET' if cold >= 0.9 * cold_ceiling else 'MISSED'}")
        if swap:
            p(f"  hot swap p99 <= 40 ms: {swap['p99']:.1f} ms {'MET' if swap['p99'] <= 40 else 'MISSED'}")
        for name, v in (java.get("variants") or {}).items():
            vs = med(v, "hotSwap", "loadMillis")
            if vs:
                p(f"  hot swap p99 [{name}]: {vs['p99']:.1f} ms {'MET' if vs['p99'] <= 40 else 'MISSED'}")
        stw = med(st, "models", "8B", "warm", "median")
        if stw and warm:
            p(f"  8B warm vs safetensors load_file(cuda): {stw / warm:.1f}x faster")
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
