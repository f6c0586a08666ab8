// Small per-token kernels: embedding lookup, RMSNorm of prompt rows to bf16 (the A operand of the
// prompt GEMMs) and SwiGLU for shapes the fused GEMM epilogue does not take.
#pragma once
#include "common.cuh"

// x[t][i] = embed[ids[t]][i] for t < T. ids live in device memory (the decode step reads the
// token the previous step's sampler wrote there).
FT_KERNEL void ft_embed(const uint16_t* embed, const int* ids, int T, int H, float* x) {
  const int t = blockIdx.y;
  const uint16_t* row = embed + (size_t)ids[t] * H;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < H; i += gridDim.x * blockDim.x)
    x[(size_t)t * H + i] = ft::bf16_to_float(row[i]);
}

// One block per row: out = RMSNorm(x[t]) * w, as bf16 hi (+ lo when given).
FT_KERNEL void ft_rmsnorm_rows(const float* x, const uint16_t* w, int H, float eps, uint16_t* hi,
                               uint16_t* lo) {
  __shared__ float red[32];
  const int t = blockIdx.x;
  const float* row = x + (size_t)t * H;
  float ss = 0.f;
  for (int i = threadIdx.x; i < H; i += blockDim.x) ss = fmaf(row[i], row[i], ss);
  ss = ft::warp_sum(ss);
  const int warp = threadIdx.x / ft::WARP, lane = threadIdx.x % ft::WARP;
  if (lane == 0) red[warp] = ss;
  __syncthreads();
  if (warp == 0) {
    float v = lane < (int)(blockDim.x / ft::WARP) ? red[lane] : 0.f;
    v = ft::warp_sum(v);
    if (lane == 0) red[0] = rsqrtf(v / (float)H + eps);
  }
  __syncthreads();
  const float s = red[0];
  for (int i = threadIdx.x; i < H; i += blockDim.x)
    ft::store_split(hi, lo, (size_t)t * H + i, (row[i] * s) * ft::bf16_to_float(w[i]));
}

// gu holds per token I gate values then I up values; out = silu(gate) * up as bf16 hi (+ lo).
FT_KERNEL void ft_swiglu_rows(const float* gu, int T, int I, uint16_t* hi, uint16_t* lo) {
  const size_t n = (size_t)T * I;
  for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < n;
       e += (size_t)gridDim.x * blockDim.x) {
    const size_t t = e / I, i = e % I;
    const float g = gu[t * 2 * I + i], u = gu[t * 2 * I + I + i];
    ft::store_split(hi, lo, e, g / (1.f + expf(-g)) * u);
  }
}

// RoPE tables [n_pos][half] exactly as the CPU engine's Rope.cosSin builds them: the angle is the
// float32 product position * inv_freq[j], cos/sin are taken in double precision, rounded to float
// and multiplied by the attention scaling (1 except for YaRN).
FT_KERNEL void ft_rope_table(const float* inv_freq, int half, int n_pos, float scaling, float* cos_t,
                             float* sin_t) {
  const size_t n = (size_t)n_pos * half;
  for (size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x; e < n;
       e += (size_t)gridDim.x * blockDim.x) {
    const int p = (int)(e / half), j = (int)(e % half);
    const float angle = __fmul_rn((float)p, inv_freq[j]);
    cos_t[e] = __fmul_rn((float)cos((double)angle), scaling);
    sin_t[e] = __fmul_rn((float)sin((double)angle), scaling);
  }
}
