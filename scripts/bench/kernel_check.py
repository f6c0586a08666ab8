"""Checks and times the flashtensors CUDA kernels on the GPU machine (no Java needed).

  python3 scripts/bench/kernel_check.py FATBIN OUT_JSON [--quick]

1. Each kernel against a float64 torch reference on fresh random inputs (several shapes, odd ones
   included, every variant).
2. The composed Qwen3 decode step and prefill (cuda_kernels.GpuQwen3) against Hugging Face
   transformers' Qwen3ForCausalLM in float32 on the same bf16 weights: last-prompt logits, then 32
   greedy steps (logits each step, tokens identical), for a tiny model and a Qwen3-0.6B-shaped one,
   in both precision modes (bf16 KV cache + bf16 prompt activations; float32 KV + split prompt).
3. Timings (CUDA events, median): decode step replayed from one CUDA graph (0.6B and 8B shapes),
   prefill of 1024 tokens, per-kernel breakdown of the 8B step, the GEMM's TFLOP/s.
"""

import json
import math
import statistics
import sys
import time

import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
from cuda_kernels import Cuda, Double, GpuQwen3, Gemv, Ptr, gemm, attention_variant  # noqa: E402
import numpy as np  # noqa: E402

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

RESULTS = {"checks": [], "timings": {}}
FAILS = []


def rel(a, b):
    a = a.double().flatten()
    b = b.double().flatten()
    return float((a - b).norm() / max(b.norm(), 1e-30))


def check(name, err, tol):
    ok = err <= tol and not math.isnan(err)
    RESULTS["checks"].append({"name": name, "rel_err": err, "tol": tol, "ok": ok})
    if not ok:
        FAILS.append(name)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: rel {err:.2e} (tol {tol:.0e})", flush=True)


def bf16(*shape, scale=1.0):
    return (torch.randn(*shape, device="cuda") * scale).bfloat16()


def rmsnorm_ref(x, w, eps):
    x = x.double()
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w.double()


# ---------------------------------------------------------------- unit checks
def check_gemv(cuda):
    g = Gemv(cuda)
    eps = 1e-6
    for n0, n1, n2, K in [(2048, 1024, 1024, 1024), (40, 16, 16, 72), (4096, 1024, 1024, 4096), (8, 0, 0, 8)]:
        n = n0 + n1 + n2
        w0, w1, w2 = bf16(max(n0, 1), K), bf16(max(n1, 1), K), bf16(max(n2, 1), K)
        x = torch.randn(K, device="cuda")
        nw = (torch.rand(K, device="cuda") + 0.5).bfloat16()
        ref = torch.cat([w0[:n0], w1[:n1], w2[:n2]]).double() @ rmsnorm_ref(x, nw, eps)
        for ks in (1, 2, 4, 8):
            out = torch.full((n,), float("nan"), device="cuda")
            g.run("store", True, w0, w1, w2, n0, n1, n, K, x, nw, eps, out, ksplit=ks)
            check(f"gemv store_norm {n}x{K} k{ks}", rel(out, ref), 1e-5)
    for N, K in [(1024, 2048), (1024, 3072), (24, 40), (4096, 12288)]:
        w = bf16(N, K)
        x = torch.randn(K, device="cuda")
        base = torch.randn(N, device="cuda")
        ref = base.double() + w.double() @ x.double()
        for ks in (1, 2, 4, 8):
            out = base.clone()
            g.run("add", False, w, None, None, N, 0, N, K, x, None, 0.0, out, ksplit=ks)
            check(f"gemv add {N}x{K} k{ks}", rel(out, ref), 1e-5)
    for I, K in [(3072, 1024), (12288, 4096), (48, 24)]:
        wg, wu = bf16(I, K), bf16(I, K)
        x = torch.randn(K, device="cuda")
        nw = (torch.rand(K, device="cuda") + 0.5).bfloat16()
        xn = rmsnorm_ref(x, nw, eps)
        gg, uu = wg.double() @ xn, wu.double() @ xn
        ref = gg * torch.sigmoid(gg) * uu
        for ks in (1, 4):
            out = torch.full((I,), float("nan"), device="cuda")
            g.run("swiglu", True, wg, wu, None, I, 0, I, K, x, nw, eps, out, ksplit=ks)
            check(f"gemv swiglu_norm {I}x{K} k{ks}", rel(out, ref), 1e-5)
    V, K = 151936, 1024
    w = bf16(V, K)
    x = torch.randn(K, device="cuda")
    nw = (torch.rand(K, device="cuda") + 0.5).bfloat16()
    out = torch.full((V,), float("nan"), device="cuda")
    g.run("store", True, w, None, None, V, 0, V, K, x, nw, eps, out)
    check("gemv lm_head 151936x1024", rel(out, w.double() @ rmsnorm_ref(x, nw, eps)), 1e-5)


def check_gemm(cuda):
    for M, (n0, n1, n2), K in [(1024, (2048, 1024, 1024), 1024), (37, (200, 24, 24), 72), (130, (96, 0, 0), 40),
                               (1, (64, 0, 0), 64)]:
        N = n0 + n1 + n2
        a = torch.randn(M, K, device="cuda")
        a_hi = a.bfloat16()
        a_lo = (a - a_hi.float()).bfloat16()
        b = [bf16(max(x, 1), K) for x in (n0, n1, n2)]
        bcat = torch.cat([b[0][:n0], b[1][:n1], b[2][:n2]]).double()
        for split in (False, True):
            c = torch.full((M, N), float("nan"), device="cuda")
            gemm(cuda, "store", a_hi, a_lo if split else None, M, b[0], b[1], b[2], n0, n1, N, K, c, N, None, None)
            a_used = (a_hi.double() + a_lo.double()) if split else a_hi.double()
            check(f"gemm store {M}x{N}x{K} split={split}", rel(c, a_used @ bcat.T), 1e-5)
            if split:
                check(f"gemm split vs float32 a {M}x{N}x{K}", rel(c, a.double() @ bcat.T), 1e-5)
        base = torch.randn(M, N, device="cuda")
        c = base.clone()
        gemm(cuda, "add", a_hi, None, M, b[0], b[1], b[2], n0, n1, N, K, c, N, None, None)
        check(f"gemm add {M}x{N}x{K}", rel(c, base.double() + a_hi.double() @ bcat.T), 1e-5)
    for M, I, K in [(1024, 3072, 1024), (37, 48, 72)]:
        a = torch.randn(M, K, device="cuda")
        a_hi = a.bfloat16()
        a_lo = (a - a_hi.float()).bfloat16()
        wg, wu = bf16(I, K), bf16(I, K)
        for split in (False, True):
            hi = torch.zeros(M, I, dtype=torch.bfloat16, device="cuda")
            lo = torch.zeros(M, I, dtype=torch.bfloat16, device="cuda")
            gemm(cuda, "swiglu", a_hi, a_lo if split else None, M, wg, wu, None, I, 0, 2 * I, K, None, 0, hi,
                 lo if split else None)
            a_used = (a_hi.double() + a_lo.double()) if split else a_hi.double()
            gg, uu = a_used @ wg.double().T, a_used @ wu.double().T
            ref = gg * torch.sigmoid(gg) * uu
            got = hi.double() + (lo.double() if split else 0)
            check(f"gemm swiglu {M}x{I}x{K} split={split}", rel(got, ref), 1e-5 if split else 8e-3)


def attention_ref(q, kc, vc, start, T, nh, nkv, D):
    """q [T, nh, D]; kc/vc [nkv, ctx, D]; query t sees keys [0, start + t]."""
    G = nh // nkv
    out = torch.zeros(T, nh, D, dtype=torch.float64, device="cuda")
    for t in range(T):
        L = start + t + 1
        for h in range(nh):
            k = kc[h // G, :L].double()
            v = vc[h // G, :L].double()
            s = (k @ q[t, h].double()) / math.sqrt(D)
            out[t, h] = torch.softmax(s, 0) @ v
    return out


def check_attention(cuda):
    class Cfg:
        pass

    for nh, nkv, D, start, T, kv in [(16, 8, 128, 0, 1, "bf16"), (16, 8, 128, 700, 1, "bf16"),
                                     (32, 8, 128, 3000, 1, "f32"), (4, 2, 16, 5, 9, "f32"),
                                     (40, 8, 128, 33, 1, "bf16"), (4, 4, 64, 0, 20, "bf16")]:
        cfg = dict(H=nh * D, I=8, nh=nh, nkv=nkv, D=D, L=1, V=8, eps=1e-6, theta=1e6)
        ctx = start + T + 10
        m = GpuQwen3(cuda, cfg, None, ctx, kv=kv)
        m.k_cache.copy_(torch.randn_like(m.k_cache.float()))
        m.v_cache.copy_(torch.randn_like(m.v_cache.float()))
        m.state[0] = start
        q = torch.randn(T, nh, D, device="cuda")
        pa = torch.zeros(T * nh * m.nsplit * D, device="cuda")
        pm = torch.zeros(T * nh * m.nsplit * 2, device="cuda")
        out = torch.full((T, nh, D), float("nan"), device="cuda")
        m.attention_split(q, T, 0, m.nsplit, pa, pm)
        cuda.launch("ft_attention_combine", (nh, T), 128, [pa, pm, nh, D, m.nsplit, out, None, None])
        ref = attention_ref(q, m.k_cache[0], m.v_cache[0], start, T, nh, nkv, D)
        check(f"attention split nh{nh} nkv{nkv} D{D} start{start} T{T} kv{kv}", rel(out, ref), 1e-5)
    for nh, nkv, D, start, T in [(16, 8, 128, 0, 200), (8, 2, 128, 37, 100), (4, 4, 64, 0, 130), (32, 8, 128, 0, 1024)]:
        cfg = dict(H=nh * D, I=8, nh=nh, nkv=nkv, D=D, L=1, V=8, eps=1e-6, theta=1e6)
        ctx = start + T
        m = GpuQwen3(cuda, cfg, None, ctx, kv="bf16")
        m.k_cache.copy_(torch.randn_like(m.k_cache.float()))
        m.v_cache.copy_(torch.randn_like(m.v_cache.float()))
        m.state[0] = start
        q = torch.randn(T, nh, D, device="cuda").bfloat16()
        out = torch.zeros(T, nh, D, dtype=torch.bfloat16, device="cuda")
        cuda.launch(f"ft_prefill_attention_d{D}", ((T + 63) // 64, nh), 128,
                    [q, m.k_cache[0], m.v_cache[0], m.state, T, nh, nkv, ctx, 1.0 / math.sqrt(D), out, None],
                    5 * 64 * D * 2)
        if T <= 256:
            ref = attention_ref(q.float(), m.k_cache[0], m.v_cache[0], start, T, nh, nkv, D)
        else:
            G = nh // nkv
            k = m.k_cache[0].repeat_interleave(G, 0)[:, :T].float()
            v = m.v_cache[0].repeat_interleave(G, 0)[:, :T].float()
            ref = torch.nn.functional.scaled_dot_product_attention(
                q.float().transpose(0, 1)[None], k[None], v[None], is_causal=True)[0].transpose(0, 1)
        check(f"prefill attention mma nh{nh} nkv{nkv} D{D} start{start} T{T}", rel(out, ref), 1e-2)


def check_decode_attention(cuda):
    """The fused decode attention (norm + RoPE + cache write + split attention + merge) vs torch."""
    for nh, nkv, pos, kv, nsplit in [(16, 8, 0, "bf16", 33), (16, 8, 700, "bf16", 33), (32, 8, 3000, "f32", 33),
                                     (40, 8, 37, "bf16", 66), (64, 8, 1500, "bf16", 7), (8, 8, 5, "f32", 132),
                                     (32, 2, 900, "bf16", 16), (16, 8, 4095, "bf16", 33)]:
        D = 128
        cfg = dict(H=nh * D, I=8, nh=nh, nkv=nkv, D=D, L=1, V=8, eps=1e-6, theta=1e6)
        ctx = 4096
        m = GpuQwen3(cuda, cfg, None, ctx, kv=kv, nsplit=nsplit)
        m.k_cache.copy_(torch.randn_like(m.k_cache.float()))
        m.v_cache.copy_(torch.randn_like(m.v_cache.float()))
        m.state[0] = pos
        qkv = torch.randn((nh + 2 * nkv) * D, device="cuda")
        qn = (torch.rand(D, device="cuda") + 0.5).bfloat16()
        kn = (torch.rand(D, device="cuda") + 0.5).bfloat16()
        out = torch.full((nh * D,), float("nan"), device="cuda")
        for rep in range(2):  # twice: the split counters must reset themselves
            cuda.launch(f"ft_decode_attention_kv{kv}_g{m.maxg}", (nkv * m.gpk, nsplit), 128,
                        [qkv, qn, kn, 1e-6, m.cos, m.sin, m.state, m.k_cache[0], m.v_cache[0], nh, nkv, ctx,
                         1.0 / math.sqrt(D), m.part_acc, m.part_ml, m.counters, out])
        torch.cuda.synchronize()
        # reference
        def norm_rope(x, w):
            x = x.double().view(-1, D)
            x = x * torch.rsqrt((x * x).mean(-1, keepdim=True) + 1e-6) * w.double()
            c, s_ = m.cos[pos].double(), m.sin[pos].double()
            a, b = x[:, :D // 2], x[:, D // 2:]
            return torch.cat([a * c - b * s_, b * c + a * s_], -1)
        q = norm_rope(qkv[:nh * D], qn)
        k = norm_rope(qkv[nh * D:(nh + nkv) * D], kn)
        v = qkv[(nh + nkv) * D:].double().view(nkv, D)
        kc = m.k_cache[0].double().clone()
        vc = m.v_cache[0].double().clone()
        got_k = kc[:, pos].clone()
        kc[:, pos] = k
        vc[:, pos] = v
        ref = attention_ref(q.view(1, nh, D), kc, vc, pos, 1, nh, nkv, D)
        tol = 1e-5 if kv == "f32" else 3e-3
        check(f"decode attention nh{nh} nkv{nkv} pos{pos} kv{kv} splits{nsplit}", rel(out, ref), tol)
        check(f"decode attention cache write k nh{nh} pos{pos} kv{kv}", rel(got_k, k), 1e-6 if kv == "f32" else 4e-3)


def ref_sample(logits, counts, T, k, p, minp, pres, freq, u):
    """A line-by-line port of io.flashtensors.llm.generate.Sampler (the CPU engine's semantics)."""
    f32 = np.float32
    s = logits.astype(np.float32).copy()
    if pres != 0 or freq != 0:
        for t in np.nonzero(counts)[0]:
            s[t] = f32(s[t] - f32(f32(f32(counts[t]) * f32(freq)) + f32(pres)))
    if T == 0:
        return int(np.argmax(s))
    T32 = f32(T)
    if T32 != f32(1):
        s = (s / T32).astype(np.float32)
    V = len(s)

    def softmax(kept):
        mx = s[kept].max()
        e = np.exp((s[kept] - mx).astype(np.float64)).astype(np.float32)
        total = np.cumsum(e.astype(np.float64))[-1]
        inv = f32(1.0 / total)
        return (e * inv).astype(np.float32)

    if 0 < k < V:
        kth = np.sort(s)[::-1][k - 1]
        kept = np.nonzero(s >= kth)[0]
    else:
        kept = np.nonzero(s != -np.inf)[0]
    probs = softmax(kept)
    if p < 1:
        drop = 1.0 - p
        n = len(kept)
        floor = f32(drop / (n - 1)) if n > 1 else f32(0)
        below_mask = probs < floor
        below = np.cumsum(probs[below_mask].astype(np.float64))[-1] if below_mask.any() else 0.0
        cand = [((int(probs[j].view(np.uint32)) << 32) | int(kept[j])) for j in range(n) if not below_mask[j]]
        m = len(cand)
        if m == 0:
            kept = kept[[int(np.argmax(probs))]]
        else:
            cand.sort()
            cumulative = f32(below)
            first = m - 1
            for j in range(m - 1):
                cumulative = f32(cumulative + np.uint32(cand[j] >> 32).view(np.float32))
                if float(cumulative) > drop:
                    first = j
                    break
            kept = np.array(sorted(c & 0xffffffff for c in cand[first:]), dtype=np.int64)
        probs = softmax(kept)
    if minp > 0:
        thr = f32(f32(minp) * probs.max())
        kept = kept[probs >= thr]
        probs = softmax(kept)
    cumulative = 0.0
    for j in range(len(kept)):
        cumulative += float(probs[j])
        if u < cumulative:
            return int(kept[j])
    return int(kept[-1])


def check_sampler(cuda):
    V = 151936
    cfg = dict(H=8, I=8, nh=1, nkv=1, D=8, L=1, V=V, eps=1e-6, theta=1e6)
    m = GpuQwen3(cuda, cfg, None, 8, kv="f32")
    rng = np.random.default_rng(5)
    cases = [(0.7, 20, 0.8, 0.0, 0, 0), (0.6, 20, 0.95, 0.0, 0, 0), (1.3, 50, 1.0, 0.05, 0, 0),
             (0.5, 1000, 0.9, 0.01, 0, 0), (1.0, 0, 1.0, 0.0, 0, 0), (0.8, 0, 0.9, 0.0, 0, 0),
             (0.9, 0, 1.0, 0.1, 0, 0), (0.0, 0, 1.0, 0.0, 0.5, 0.3), (0.7, 20, 0.8, 0.0, 0.5, 0.3),
             (1.0, 5, 0.5, 0.0, 0, 0), (2.0, 0, 0.99, 0.02, 0.2, 0.0), (0.0, 0, 1.0, 0.0, 0, 0)]
    timing = {}
    for ci, (T, k, p, minp, pres, freq) in enumerate(cases):
        agree = total = 0
        for trial in range(6):
            logits = (rng.standard_normal(V) * (1.0 + trial)).astype(np.float32)
            counts = np.zeros(V, dtype=np.int32)
            if pres or freq:
                hot = rng.integers(0, V, 200)
                for t in hot:
                    counts[t] += 1
                counts[int(np.argmax(logits))] += 2  # penalise the favourite
            m.logits.copy_(torch.from_numpy(logits))
            for u in rng.random(5):
                m.counts.copy_(torch.from_numpy(counts))
                m.sample(T, k, p, minp, pres, freq, float(u))
                got = int(m.out_token.item())
                want = ref_sample(logits, counts, T, k, p, minp, pres, freq, float(u))
                total += 1
                agree += got == want
                if got != want and trial == 0:
                    print(f"   sampler case {ci} T{T} k{k} p{p} minp{minp}: gpu {got} cpu-semantics {want} u {u:.6f}")
                cnt = int(m.counts[got].item())
                if cnt != counts[got] + 1:
                    FAILS.append(f"sampler counts not updated (case {ci})")
        exact = k > 0 and k <= 1024 or T == 0
        name = f"sampler T{T} k{k} p{p} minp{minp} pres{pres} freq{freq}"
        RESULTS["checks"].append({"name": name, "agree": agree, "total": total, "ok": agree == total or not exact})
        print(f"{'ok  ' if agree == total else ('FAIL' if exact else 'near')} {name}: {agree}/{total} tokens as the "
              f"CPU semantics", flush=True)
        if exact and agree != total:
            FAILS.append(name)
        med, _, _ = events_time(lambda: m.sample(T, k, p, minp, pres, freq, 0.5), 20)
        timing[name] = med * 1e3
    RESULTS["timings"]["sampler_us"] = {"kernel_breakdown": {k2: {"us": v} for k2, v in timing.items()}}


# ---------------------------------------------------------------- end to end vs Hugging Face
def hf_model(H, I, L, nh, nkv, D, V, theta, tied):
    from transformers import Qwen3Config, Qwen3ForCausalLM
    kw = dict(vocab_size=V, hidden_size=H, intermediate_size=I, num_hidden_layers=L, num_attention_heads=nh,
              num_key_value_heads=nkv, head_dim=D, rms_norm_eps=1e-6, tie_word_embeddings=tied,
              max_position_embeddings=4096, attn_implementation="eager")
    try:
        cfg = Qwen3Config(rope_parameters={"rope_type": "default", "rope_theta": theta}, **kw)
    except TypeError:
        cfg = Qwen3Config(rope_theta=theta, **kw)
    torch.manual_seed(1234)
    with torch.device("cuda"):
        model = Qwen3ForCausalLM(cfg).float().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.uniform_(0.5, 1.5)
            p.copy_(p.bfloat16().float())
    return model


def weights_of(model, tied):
    sd = {k: v.bfloat16().contiguous() for k, v in model.state_dict().items()}
    layers = []
    i = 0
    while f"model.layers.{i}.input_layernorm.weight" in sd:
        p = f"model.layers.{i}."
        layers.append(dict(in_norm=sd[p + "input_layernorm.weight"], q=sd[p + "self_attn.q_proj.weight"],
                           k=sd[p + "self_attn.k_proj.weight"], v=sd[p + "self_attn.v_proj.weight"],
                           q_norm=sd[p + "self_attn.q_norm.weight"], k_norm=sd[p + "self_attn.k_norm.weight"],
                           o=sd[p + "self_attn.o_proj.weight"], post_norm=sd[p + "post_attention_layernorm.weight"],
                           gate=sd[p + "mlp.gate_proj.weight"], up=sd[p + "mlp.up_proj.weight"],
                           down=sd[p + "mlp.down_proj.weight"]))
        i += 1
    embed = sd["model.embed_tokens.weight"]
    return dict(embed=embed, norm=sd["model.norm.weight"], layers=layers,
                lm_head=embed if tied else sd["lm_head.weight"])


def check_end_to_end(cuda, name, shape, steps=32, prompt_len=40):
    H, I, L, nh, nkv, D, V, theta, tied = shape
    model = hf_model(*shape)
    w = weights_of(model, tied)
    cfg = dict(H=H, I=I, nh=nh, nkv=nkv, D=D, L=L, V=V, eps=1e-6, theta=theta)
    torch.manual_seed(7)
    prompt = torch.randint(0, V, (prompt_len,)).tolist()
    for kv, precise, tol in [("bf16", False, 1e-2), ("f32", True, 1e-3)]:
        m = GpuQwen3(cuda, cfg, w, prompt_len + steps + 8, kv=kv, precise=precise)
        m.prefill(prompt)
        torch.cuda.synchronize()
        ids = torch.tensor([prompt], device="cuda")
        with torch.no_grad():
            out = model(ids, use_cache=True)
        check(f"e2e {name} kv={kv} precise={precise} prompt logits", rel(m.logits, out.logits[0, -1]), tol)
        past = out.past_key_values
        tokens_gpu, tokens_ref, worst = [], [], 0.0
        for s in range(steps):
            tok = int(m.state[1].item())
            tokens_gpu.append(tok)
            tokens_ref.append(int(torch.argmax(out.logits[0, -1]).item()))
            with torch.no_grad():
                out = model(torch.tensor([[tok]], device="cuda"), past_key_values=past, use_cache=True)
            past = out.past_key_values
            m.decode_step()
            worst = max(worst, rel(m.logits, out.logits[0, -1]))
        check(f"e2e {name} kv={kv} precise={precise} {steps} decode steps (worst)", worst, tol)
        same = tokens_gpu == tokens_ref
        RESULTS["checks"].append({"name": f"e2e {name} kv={kv} greedy tokens", "ok": same,
                                  "gpu": tokens_gpu, "hf": tokens_ref})
        print(f"{'ok  ' if same else 'DIFF'} e2e {name} kv={kv} greedy tokens identical over {steps}", flush=True)
        if not same and precise:
            FAILS.append(f"greedy tokens {name} kv={kv}")
    del model


# ---------------------------------------------------------------- timings
def events_time(fn, reps, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        times.append(a.elapsed_time(b))
    return statistics.median(times), min(times), max(times)


def random_weights(H, I, L, nh, nkv, D, V, tied):
    def w(*s):
        return (torch.randn(*s, device="cuda") * 0.02).bfloat16()

    def nw(n):
        return (torch.rand(n, device="cuda") + 0.5).bfloat16()

    layers = [dict(in_norm=nw(H), q=w(nh * D, H), k=w(nkv * D, H), v=w(nkv * D, H), q_norm=nw(D), k_norm=nw(D),
                   o=w(H, nh * D), post_norm=nw(H), gate=w(I, H), up=w(I, H), down=w(H, I)) for _ in range(L)]
    embed = w(V, H)
    return dict(embed=embed, norm=nw(H), layers=layers, lm_head=embed if tied else w(V, H))


def time_model(cuda, name, shape, weight_bytes):  # noqa: C901
    H, I, L, nh, nkv, D, V, theta, tied = shape
    w = random_weights(H, I, L, nh, nkv, D, V, tied)
    cfg = dict(H=H, I=I, nh=nh, nkv=nkv, D=D, L=L, V=V, eps=1e-6, theta=theta)
    m = GpuQwen3(cuda, cfg, w, 4096, kv="bf16")
    res = {}
    prompt = torch.randint(0, V, (1024,)).tolist()
    med, lo, hi = events_time(lambda: m.prefill(prompt), 10)
    res["prefill_1024_ms"] = {"median": med, "min": lo, "max": hi, "tok_per_s": 1024 / med * 1e3}
    flops = 2 * 1024 * (L * (H * (nh + 2 * nkv) * D + nh * D * H + 3 * H * I)) + 2 * H * V
    res["prefill_1024_tflops"] = flops / (med * 1e-3) / 1e12
    # Per-kernel breakdown: each kernel kind over all layers, captured in a graph.
    gm = m.gemv
    qd, kvd = nh * D, nkv * D
    kinds = {
        "qkv_norm": lambda lw: gm.run("store", True, lw["q"], lw["k"], lw["v"], qd, kvd, qd + 2 * kvd, H, m.x,
                                      lw["in_norm"], 1e-6, m.qkv),
        "o_add": lambda lw: gm.run("add", False, lw["o"], None, None, H, 0, H, qd, m.attn, None, 0.0, m.x),
        "gateup_swiglu_norm": lambda lw: gm.run("swiglu", True, lw["gate"], lw["up"], None, I, 0, I, H, m.x,
                                                lw["post_norm"], 1e-6, m.act),
        "down_add": lambda lw: gm.run("add", False, lw["down"], None, None, H, 0, H, I, m.act, None, 0.0, m.x),
    }
    sizes = {"qkv_norm": (qd + 2 * kvd) * H * 2, "o_add": H * qd * 2, "gateup_swiglu_norm": 2 * I * H * 2,
             "down_add": H * I * 2}
    m.x.normal_()
    m.attn.normal_()
    m.act.normal_()
    breakdown = {}
    for kname, fn in kinds.items():
        for ks in (1, 2, 4, 8):
            def run_all(fn=fn):
                for lw in w["layers"]:
                    fn(lw)
            gm.forced = ks
            g2 = torch.cuda.CUDAGraph()
            run_all()
            with torch.cuda.graph(g2):
                run_all()
            gm.forced = None
            med, _, _ = events_time(g2.replay, 20)
            us = med * 1e3 / L
            breakdown[f"{kname}_k{ks}"] = {"us": us, "GBps": sizes[kname] / (us * 1e-6) / 1e9}
    for ks in (1, 2, 4, 8):
        g3 = torch.cuda.CUDAGraph()
        m.gemv.forced = ks
        m.lm_head(m.x)
        with torch.cuda.graph(g3):
            m.lm_head(m.x)
        m.gemv.forced = None
        med, _, _ = events_time(g3.replay, 20)
        breakdown[f"lm_head_k{ks}"] = {"us": med * 1e3, "GBps": V * H * 2 / (med * 1e-3) / 1e9}
    # The fastest split per kind is what the engine's tuner would pick.
    names = {"qkv_norm": "qkv", "o_add": "o", "gateup_swiglu_norm": "gateup", "down_add": "down", "lm_head": "lm_head"}
    for kname, key in names.items():
        best = min((1, 2, 4, 8), key=lambda ks: breakdown[f"{kname}_k{ks}"]["us"])
        m.ks[key] = best
    res["ksplit_chosen"] = dict(m.ks)
    # Decode attention alone (fused kernel), by context length and number of splits.
    if m.fused_attention:
        att = {}
        lw = w["layers"][0]
        kc, vc = m.layer_cache(0)
        m.qkv.normal_()
        for L_ctx in (16, 1024, 4000):
            for ns in (16, 33, 66, 132):
                def one(ns=ns):
                    for _ in range(10):
                        cuda.launch(f"ft_decode_attention_kv{m.kv}_g{m.maxg}", (nkv * m.gpk, ns), 128,
                                    [m.qkv, lw["q_norm"], lw["k_norm"], 1e-6, m.cos, m.sin, m.state, kc, vc, nh, nkv,
                                     m.ctx, 1.0 / math.sqrt(D), m.part_acc_big, m.part_ml_big, m.counters, m.attn])
                m.part_acc_big = torch.zeros(nh * 132 * D, device="cuda")
                m.part_ml_big = torch.zeros(nh * 132 * 2, device="cuda")
                m.state[0] = L_ctx - 1
                g4 = torch.cuda.CUDAGraph()
                one()
                with torch.cuda.graph(g4):
                    one()
                med, _, _ = events_time(g4.replay, 10)
                att[f"L{L_ctx}_s{ns}"] = med * 1e3 / 10
        res["decode_attention_us"] = att
    # Decode after a short prompt and after the 1024-token one, the step replayed from a graph.
    for ctx_name, plen in (("short", 16), ("ctx1024", 1024)):
        m.prefill(prompt[:plen])
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            m.decode_step()  # warm-up outside capture (function attributes, lazy loading)
        torch.cuda.current_stream().wait_stream(stream)
        m.prefill(prompt[:plen])
        eager_tokens = []
        for _ in range(8):
            m.decode_step()
            eager_tokens.append(int(m.state[1].item()))
        m.prefill(prompt[:plen])
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            m.decode_step()
        # capture does not run it: state is still after the prefill
        m.prefill(prompt[:plen])
        graph_tokens = []
        for _ in range(8):
            g.replay()
            graph_tokens.append(int(m.state[1].item()))
        res[f"graph_tokens_match_{ctx_name}"] = graph_tokens == eager_tokens
        if graph_tokens != eager_tokens:
            FAILS.append(f"{name} graph replay tokens differ from eager")
        m.prefill(prompt[:plen])
        torch.cuda.synchronize()
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        for _ in range(256):
            g.replay()
        b.record()
        b.synchronize()
        ms = a.elapsed_time(b)
        res[f"decode_{ctx_name}_256_tok_per_s"] = 256 / ms * 1e3
        res[f"decode_{ctx_name}_step_us"] = ms / 256 * 1e3
        # eager (launches from Python) for comparison
        m.prefill(prompt[:plen])
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(32):
            m.decode_step()
        torch.cuda.synchronize()
        res[f"decode_{ctx_name}_eager_step_us"] = (time.perf_counter() - t0) / 32 * 1e6
    res["weight_bytes_per_token"] = weight_bytes
    res["decode_short_GBps"] = weight_bytes / (res["decode_short_step_us"] * 1e-6) / 1e9
    res["kernel_breakdown"] = breakdown
    RESULTS["timings"][name] = res
    print(name, json.dumps(res, indent=None)[:3000], flush=True)
    del w, m
    torch.cuda.empty_cache()


STEPS = {
    "gemv": lambda cuda: check_gemv(cuda),
    "gemm": lambda cuda: check_gemm(cuda),
    "attention": lambda cuda: check_attention(cuda),
    "decode-attention": lambda cuda: check_decode_attention(cuda),
    "sampler": lambda cuda: check_sampler(cuda),
    "e2e-tiny": lambda cuda: check_end_to_end(cuda, "tiny", (64, 192, 2, 4, 2, 16, 1000, 10000.0, True)),
    "e2e-tiny-mha": lambda cuda: check_end_to_end(cuda, "tiny-mha", (128, 256, 3, 4, 4, 32, 2000, 1e6, False)),
    "e2e-0.6B": lambda cuda: check_end_to_end(cuda, "0.6B", (1024, 3072, 28, 16, 8, 128, 151936, 1e6, True)),
    "time-0.6B": lambda cuda: time_model(cuda, "0.6B", (1024, 3072, 28, 16, 8, 128, 151936, 1e6, True), 1.19e9),
    "time-8B": lambda cuda: time_model(cuda, "8B", (4096, 12288, 36, 32, 8, 128, 151936, 1e6, False), 15.14e9),
}


def run_one(fatbin, name, out_json):
    cuda = Cuda(fatbin)
    RESULTS["device"] = torch.cuda.get_device_name(0)
    try:
        STEPS[name](cuda)
        torch.cuda.synchronize()
    except Exception as e:
        import traceback
        traceback.print_exc()
        FAILS.append(f"{name}: {e}")
    with open(out_json, "w") as f:
        json.dump(dict(RESULTS, fails=FAILS), f, indent=1)
    return 0 if not FAILS else 1


def main():
    """Runs every step in its own process, so that a kernel fault in one cannot hide the others."""
    import os
    import subprocess
    fatbin, out_json = sys.argv[1], sys.argv[2]
    if "--only" in sys.argv:
        sys.exit(run_one(fatbin, sys.argv[sys.argv.index("--only") + 1], out_json))
    names = [n for n in STEPS if not ("--quick" in sys.argv and n.startswith("time"))]
    merged = {"checks": [], "timings": {}, "fails": [], "steps": {}}
    t0 = time.time()
    for name in names:
        part = f"{out_json}.{name}.json"
        rc = subprocess.call([sys.executable, __file__, fatbin, part, "--only", name], timeout=900)
        merged["steps"][name] = {"rc": rc, "seconds": round(time.time() - t0, 1)}
        print(f"-- {name}: rc {rc} at {time.time() - t0:.1f}s", flush=True)
        try:
            with open(part) as f:
                r = json.load(f)
            merged["device"] = r.get("device")
            merged["checks"] += r["checks"]
            merged["timings"].update(r["timings"])
            merged["fails"] += r["fails"]
            os.remove(part)
        except (OSError, ValueError):
            merged["fails"].append(f"{name}: no result (rc {rc})")
        if rc != 0 and not name.startswith("time") and os.environ.get("SANITIZE", "1") == "1":
            print(f"-- {name} failed: rerunning under compute-sanitizer", flush=True)
            p = subprocess.run(["compute-sanitizer", "--tool", "memcheck", "--print-limit", "20", sys.executable,
                                __file__, fatbin, part, "--only", name], capture_output=True, text=True, timeout=600)
            merged["steps"][name]["sanitizer"] = (p.stdout + p.stderr)[-6000:]
            print((p.stdout + p.stderr)[-3000:], flush=True)
        with open(out_json, "w") as f:
            json.dump(merged, f, indent=1)
    print("FAILS:", merged["fails"])
    for n, r in merged["timings"].items():
        print(n, {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items() if k != "kernel_breakdown"})
        print(n, "breakdown", {k: round(v["us"], 1) for k, v in r["kernel_breakdown"].items()})


if __name__ == "__main__":
    main()
