"""Python driver of the flashtensors CUDA kernels (the fatbin the Java engine ships).

Loads the fatbin with the CUDA driver API through ctypes, on PyTorch's context and streams, so that
torch supplies memory and references. GpuQwen3 composes the kernels into a Qwen3 decode step and
a batched prefill exactly as the Java CUDA backend does; kernel_check.py uses it to check the
kernels against torch / Hugging Face and to time them.
"""

import ctypes
import math

import torch

CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8


class Cuda:
    def __init__(self, fatbin_path):
        torch.zeros(1, device="cuda")  # makes the primary context current on this thread
        self.lib = ctypes.CDLL("libcuda.so.1")
        with open(fatbin_path, "rb") as f:
            self.image = f.read()
        self.module = ctypes.c_void_p()
        self._check(self.lib.cuModuleLoadData(ctypes.byref(self.module), self.image), "cuModuleLoadData")
        self.functions = {}
        self.sms = torch.cuda.get_device_properties(0).multi_processor_count

    def _check(self, rc, what):
        if rc != 0:
            name = ctypes.c_char_p()
            self.lib.cuGetErrorName(rc, ctypes.byref(name))
            raise RuntimeError(f"{what} failed: {name.value.decode() if name.value else rc}")

    def fn(self, name, smem=0):
        f = self.functions.get(name)
        if f is None:
            f = ctypes.c_void_p()
            self._check(self.lib.cuModuleGetFunction(ctypes.byref(f), self.module, name.encode()), name)
            self.functions[name] = f
        if smem > 48 * 1024:
            self._check(self.lib.cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
                        "cuFuncSetAttribute " + name)
        return f

    def launch(self, name, grid, block, args, smem=0):
        f = self.fn(name, smem)
        grid = tuple(grid) + (1,) * (3 - len(grid))
        holders = []
        for a in args:
            if isinstance(a, torch.Tensor):
                holders.append(ctypes.c_uint64(a.data_ptr()))
            elif a is None:
                holders.append(ctypes.c_uint64(0))
            elif isinstance(a, Ptr):
                holders.append(ctypes.c_uint64(a.value))
            elif isinstance(a, Double):
                holders.append(ctypes.c_double(a.value))
            elif isinstance(a, float):
                holders.append(ctypes.c_float(a))
            elif isinstance(a, int):
                holders.append(ctypes.c_int(a))
            else:
                raise TypeError(type(a))
        ptrs = (ctypes.c_void_p * len(holders))(*[ctypes.addressof(h) for h in holders])
        stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
        self._check(self.lib.cuLaunchKernel(f, grid[0], grid[1], grid[2], block, 1, 1, smem, stream, ptrs, None),
                    "launch " + name)


class Double:
    """A float64 kernel argument (plain Python floats go as float32)."""

    def __init__(self, value):
        self.value = float(value)


class Ptr:
    """A device address with an offset (a view the kernels see as a plain pointer)."""

    def __init__(self, tensor, byte_offset=0):
        self.value = tensor.data_ptr() + byte_offset


def ksplit_for(n, k, sms):
    """Warps a row is split over in the GEMV: enough warps in flight to cover the memory latency."""
    if n >= 2048:
        return 1
    ks = 1
    while ks < 8 and n * ks < 4096 and k // (ks * 2) >= 512:
        ks *= 2
    return ks


class Gemv:
    def __init__(self, cuda):
        self.cuda = cuda
        self.forced = None  # a ksplit for every call (tuning)

    def lm_head(self, w, n, k, x, norm_w, eps, out, part_v, part_i, ksplit=None):
        """Final norm + logits (a GEMV), then each block's (max, first index) for greedy choice."""
        self.run("store", True, w, None, None, n, 0, n, k, x, norm_w, eps, out, ksplit=ksplit)
        grid = min(part_v.numel(), max(1, (n + 1023) // 1024))
        self.cuda.launch("ft_argmax_partial", (grid,), 256, [out, n, part_v, part_i])
        return grid

    def run(self, mode, norm, w0, w1, w2, n0, n1, n, k, x, norm_w, eps, out, ksplit=None):
        ks = ksplit or self.forced or ksplit_for(n, k, self.cuda.sms)
        rows = 8 // ks
        groups = (n + rows - 1) // rows
        grid = min(groups, self.cuda.sms * 8)
        name = f"ft_gemv_{mode}{'_norm' if norm else ''}_k{ks}"
        smem = k * 4 if norm else 0
        self.cuda.launch(name, (grid,), 256, [w0, w1, w2, n0, n1, n, k, x, norm_w, eps, out], smem)


GEMM_SMEM = 4 * (128 + 128) * 32 * 2


def gemm(cuda, epi, a_hi, a_lo, m, b0, b1, b2, n0, n1, n, k, c, ldc, c_hi, c_lo):
    grid = ((m + 127) // 128, (n + 127) // 128)
    cuda.launch(f"ft_gemm_{epi}", grid, 256, [a_hi, a_lo, m, b0, b1, b2, n0, n1, n, k, c, ldc, c_hi, c_lo],
                GEMM_SMEM)


def attention_variant(d):
    for bound in (32, 64, 128, 256):
        if d <= bound:
            return bound
    raise ValueError(f"head_dim {d} > 256")


class GpuQwen3:
    """A Qwen3 decode step and prefill from the kernels, on the weights where they already are."""

    def __init__(self, cuda, cfg, weights, ctx, kv="bf16", precise=False, nsplit=None):
        self.cuda, self.cfg, self.w = cuda, cfg, weights
        self.gemv = Gemv(cuda)
        self.ctx = ctx
        self.kv = kv
        self.precise = precise  # float32-grade prefill: A operands as bf16 hi + lo
        H, I, nh, nkv, D, L, V = (cfg[k] for k in ("H", "I", "nh", "nkv", "D", "L", "V"))
        dev = "cuda"
        kv_dtype = torch.bfloat16 if kv == "bf16" else torch.float32
        self.k_cache = torch.empty((L, nkv, ctx, D), dtype=kv_dtype, device=dev)
        self.v_cache = torch.empty((L, nkv, ctx, D), dtype=kv_dtype, device=dev)
        inv = [cfg["theta"] ** (-2.0 * j / D) for j in range(D // 2)]
        ang = torch.arange(ctx, dtype=torch.float64)[:, None] * torch.tensor(inv, dtype=torch.float64)[None, :]
        self.cos = torch.cos(ang).float().to(dev).contiguous()
        self.sin = torch.sin(ang).float().to(dev).contiguous()
        self.state = torch.zeros(4, dtype=torch.int32, device=dev)
        self.counts = torch.zeros(V, dtype=torch.int32, device=dev)
        self.out_token = torch.zeros(1, dtype=torch.int32, device=dev)
        self.ks = {}  # GEMV split per kind (qkv, o, gateup, down, lm_head); None: heuristic
        G = cfg["nh"] // cfg["nkv"]
        self.gpk = (G + 7) // 8
        self.maxg = 2 if G <= 2 else 4 if G <= 4 else 8
        self.counters = torch.zeros(cfg["nkv"] * self.gpk, dtype=torch.int32, device=dev)
        self.probs = torch.zeros(V, dtype=torch.float32, device=dev)
        self.work = torch.zeros(V, dtype=torch.float32, device=dev)
        self.hist = torch.zeros(2048, dtype=torch.int32, device=dev)
        qd, kvd = nh * D, nkv * D
        self.x = torch.zeros(H, dtype=torch.float32, device=dev)
        self.qkv = torch.zeros(qd + 2 * kvd, dtype=torch.float32, device=dev)
        self.q = torch.zeros(qd, dtype=torch.float32, device=dev)
        self.attn = torch.zeros(qd, dtype=torch.float32, device=dev)
        self.act = torch.zeros(I, dtype=torch.float32, device=dev)
        self.logits = torch.zeros(V, dtype=torch.float32, device=dev)
        self.nsplit = nsplit or max(1, (2 * cuda.sms + nkv - 1) // nkv)
        self.fused_attention = D == 128
        self.part_acc = torch.zeros(nh * self.nsplit * D, dtype=torch.float32, device=dev)
        self.part_ml = torch.zeros(nh * self.nsplit * 2, dtype=torch.float32, device=dev)
        self.argmax_parts = cuda.sms * 8
        self.part_v = torch.zeros(self.argmax_parts, dtype=torch.float32, device=dev)
        self.part_i = torch.zeros(self.argmax_parts, dtype=torch.int32, device=dev)
        self.prefill_cap = 0

    def layer_cache(self, i):
        return self.k_cache[i], self.v_cache[i]

    def attention_split(self, q, T, layer, nsplit, part_acc, part_ml):
        c = self.cfg
        G = c["nh"] // c["nkv"]
        groups = c["nkv"] * ((G + 7) // 8)
        kc, vc = self.layer_cache(layer)
        name = f"ft_attention_split_kv{self.kv}_d{attention_variant(c['D'])}"
        self.cuda.launch(name, (groups, nsplit, T), 128,
                         [q, kc, vc, self.state, c["nh"], c["nkv"], c["D"], self.ctx, 1.0 / math.sqrt(c["D"]),
                          part_acc, part_ml])

    def decode_step(self):
        """One token: state[1] at position state[0] -> next token committed into state."""
        c, w, cu = self.cfg, self.w, self.cuda
        H, I, nh, nkv, D = c["H"], c["I"], c["nh"], c["nkv"], c["D"]
        qd, kvd = nh * D, nkv * D
        ks = self.ks
        state1 = Ptr(self.state, 4)
        cu.launch("ft_embed", ((H + 255) // 256, 1), 256, [w["embed"], state1, 1, H, self.x])
        rope = f"ft_qk_norm_rope_qf32_kv{self.kv}"
        for i in range(c["L"]):
            lw = w["layers"][i]
            self.gemv.run("store", True, lw["q"], lw["k"], lw["v"], qd, kvd, qd + 2 * kvd, H, self.x,
                          lw["in_norm"], c["eps"], self.qkv, ksplit=ks.get("qkv"))
            kc, vc = self.layer_cache(i)
            if self.fused_attention:
                cu.launch(f"ft_decode_attention_kv{self.kv}_g{self.maxg}", (nkv * self.gpk, self.nsplit), 128,
                          [self.qkv, lw["q_norm"], lw["k_norm"], c["eps"], self.cos, self.sin, self.state, kc, vc,
                           nh, nkv, self.ctx, 1.0 / math.sqrt(D), self.part_acc, self.part_ml, self.counters,
                           self.attn])
            else:
                cu.launch(rope, ((nh + nkv + 3) // 4,), 128,
                          [self.qkv, 1, nh, nkv, D, lw["q_norm"], lw["k_norm"], c["eps"], self.cos, self.sin,
                           self.state, self.ctx, self.q, kc, vc])
                self.attention_split(self.q, 1, i, self.nsplit, self.part_acc, self.part_ml)
                cu.launch("ft_attention_combine", (nh, 1), 128,
                          [self.part_acc, self.part_ml, nh, D, self.nsplit, self.attn, None, None])
            self.gemv.run("add", False, lw["o"], None, None, H, 0, H, qd, self.attn, None, 0.0, self.x,
                          ksplit=ks.get("o"))
            self.gemv.run("swiglu", True, lw["gate"], lw["up"], None, I, 0, I, H, self.x, lw["post_norm"],
                          c["eps"], self.act, ksplit=ks.get("gateup"))
            self.gemv.run("add", False, lw["down"], None, None, H, 0, H, I, self.act, None, 0.0, self.x,
                          ksplit=ks.get("down"))
        parts = self.lm_head(self.x)
        self.commit_argmax(parts, 1)

    def lm_head(self, x_last):
        c, w = self.cfg, self.w
        return self.gemv.lm_head(w["lm_head"], c["V"], c["H"], x_last, w["norm"], c["eps"], self.logits,
                                 self.part_v, self.part_i, ksplit=self.ks.get("lm_head"))

    def commit_argmax(self, parts, advance):
        self.cuda.launch("ft_argmax_commit", (1,), 256,
                         [self.part_v, self.part_i, parts, self.state, self.counts, self.out_token, advance])

    def sample(self, temperature, top_k, top_p, min_p, presence, frequency, u, advance=0):
        """The GPU sampler on self.logits; returns nothing (the token lands in state[1] / out_token)."""
        cu, V = self.cuda, self.cfg["V"]
        parts = self.argmax_parts
        cu.launch("ft_sample_prepare", (parts,), 256,
                  [self.logits, V, V, self.counts, float(presence), float(frequency), float(temperature), self.work,
                   self.part_v, self.part_i, None if temperature == 0 else self.hist])
        if temperature == 0:
            self.commit_argmax(parts, advance)
        else:
            cu.launch("ft_sample_draw", (1,), 1024,
                      [self.work, V, self.part_v, parts, int(top_k), Double(top_p), float(min_p), Double(u),
                       self.probs, self.state, self.counts, self.out_token, advance, self.hist])

    def _prefill_buffers(self, T):
        if T <= self.prefill_cap:
            return
        c = self.cfg
        H, I, nh, nkv, D = c["H"], c["I"], c["nh"], c["nkv"], c["D"]
        dev = "cuda"
        qd, kvd = nh * D, nkv * D
        bf = torch.bfloat16
        self.px = torch.zeros((T, H), dtype=torch.float32, device=dev)
        self.pxn_hi = torch.zeros((T, max(H, qd)), dtype=bf, device=dev)
        self.pxn_lo = torch.zeros((T, max(H, qd)), dtype=bf, device=dev) if self.precise else None
        self.pact_hi = torch.zeros((T, I), dtype=bf, device=dev)
        self.pact_lo = torch.zeros((T, I), dtype=bf, device=dev) if self.precise else None
        self.pqkv = torch.zeros((T, qd + 2 * kvd), dtype=torch.float32, device=dev)
        self.pq_bf = torch.zeros((T, qd), dtype=bf, device=dev)
        self.pq_f32 = torch.zeros((T, qd), dtype=torch.float32, device=dev)
        self.ids = torch.zeros(T, dtype=torch.int32, device=dev)
        self.pp_acc = torch.zeros(T * nh * 1 * D, dtype=torch.float32, device=dev)
        self.pp_ml = torch.zeros(T * nh * 1 * 2, dtype=torch.float32, device=dev)
        self.prefill_cap = T

    def use_mma_attention(self):
        return self.kv == "bf16" and not self.precise and self.cfg["D"] in (64, 128)

    def prefill(self, ids, start=0):
        """Runs the prompt ids at positions start.. and commits the first generated token."""
        c, w, cu = self.cfg, self.w, self.cuda
        H, I, nh, nkv, D = c["H"], c["I"], c["nh"], c["nkv"], c["D"]
        qd, kvd = nh * D, nkv * D
        T = len(ids)
        self._prefill_buffers(T)
        self.ids[:T].copy_(torch.tensor(ids, dtype=torch.int32))
        self.state[0] = start
        self.state[2] = 0
        self.counts.zero_()
        lo = self.pxn_lo
        cu.launch("ft_embed", ((H + 255) // 256, T), 256, [w["embed"], self.ids, T, H, self.px])
        mma_att = self.use_mma_attention()
        rope = "ft_qk_norm_rope_qbf16_kvbf16" if mma_att else f"ft_qk_norm_rope_qf32_kv{self.kv}"
        for i in range(c["L"]):
            lw = w["layers"][i]
            cu.launch("ft_rmsnorm_rows", (T,), 256, [self.px, lw["in_norm"], H, c["eps"], self.pxn_hi, lo])
            gemm(cu, "store", self.pxn_hi, lo, T, lw["q"], lw["k"], lw["v"], qd, kvd, qd + 2 * kvd, H,
                 self.pqkv, qd + 2 * kvd, None, None)
            kc, vc = self.layer_cache(i)
            qout = self.pq_bf if mma_att else self.pq_f32
            cu.launch(rope, ((T * (nh + nkv) + 3) // 4,), 128,
                      [self.pqkv, T, nh, nkv, D, lw["q_norm"], lw["k_norm"], c["eps"], self.cos, self.sin,
                       self.state, self.ctx, qout, kc, vc])
            if mma_att:
                smem = 5 * 64 * D * 2
                cu.launch(f"ft_prefill_attention_d{D}", ((T + 63) // 64, nh), 128,
                          [self.pq_bf, kc, vc, self.state, T, nh, nkv, self.ctx, 1.0 / math.sqrt(D),
                           self.pxn_hi, lo], smem)
            else:
                self.attention_split(self.pq_f32, T, i, 1, self.pp_acc, self.pp_ml)
                cu.launch("ft_attention_combine", (nh, T), 128,
                          [self.pp_acc, self.pp_ml, nh, D, 1, None, self.pxn_hi, lo])
            gemm(cu, "add", self.pxn_hi, lo, T, lw["o"], None, None, H, 0, H, qd, self.px, H, None, None)
            cu.launch("ft_rmsnorm_rows", (T,), 256, [self.px, lw["post_norm"], H, c["eps"], self.pxn_hi, lo])
            gemm(cu, "swiglu", self.pxn_hi, lo, T, lw["gate"], lw["up"], None, I, 0, 2 * I, H, None, 0,
                 self.pact_hi, self.pact_lo)
            gemm(cu, "add", self.pact_hi, self.pact_lo, T, lw["down"], None, None, H, 0, H, I, self.px, H,
                 None, None)
        parts = self.lm_head(self.px[T - 1])
        self.commit_argmax(parts, T)
