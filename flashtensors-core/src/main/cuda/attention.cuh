// Attention over the KV cache with the sequence split across blocks (flash-decoding), used for
// every decode step and, for prompts, whenever the tensor-core prefill kernel does not apply
// (float32 KV cache, unusual head sizes).
//
// Grid: x = kv head x q-head group (a group is up to ATT_MAXG q heads sharing one kv head, so K
// and V are read once per group), y = split of the sequence, z = query token t. Query t sits at
// position *pos + t and sees keys [0, *pos + t] (causal). Each block takes its share of the
// positions (the share follows the length read from device memory, so a captured graph stays valid
// as the sequence grows); each of its warps runs an online softmax over every 4th position with
// lanes across the head dimension. The block merges its warps and writes an unnormalised partial
// (accumulator, running max, running sum); ft_attention_combine merges the splits.
#pragma once
#include "common.cuh"

namespace ft {

constexpr int ATT_THREADS = 128;
constexpr int ATT_WARPS = ATT_THREADS / WARP;
constexpr int ATT_MAXG = 8;

template <typename KV, int ATT_MAXDI>
__device__ __forceinline__ void attention_split_body(
    const float* __restrict__ q, const KV* __restrict__ k_cache, const KV* __restrict__ v_cache,
    const int* __restrict__ pos_ptr, int nh, int nkv, int D, int max_pos, float scale,
    float* __restrict__ part_acc, float* __restrict__ part_ml) {
  __shared__ float s_acc[ATT_WARPS][ATT_MAXG][ATT_MAXDI * WARP];
  __shared__ float s_m[ATT_WARPS][ATT_MAXG], s_l[ATT_WARPS][ATT_MAXG];
  const int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
  const int G = nh / nkv;
  const int groups_per_kv = (G + ATT_MAXG - 1) / ATT_MAXG;
  const int kvh = blockIdx.x / groups_per_kv;
  const int h0 = kvh * G + (blockIdx.x % groups_per_kv) * ATT_MAXG;
  const int ng = min(ATT_MAXG, kvh * G + G - h0);
  const int nsplit = gridDim.y, split = blockIdx.y, t = blockIdx.z;
  const int L = *pos_ptr + t + 1;
  const int chunk = (L + nsplit - 1) / nsplit;
  const int begin = split * chunk;
  const int end = min(L, begin + chunk);

  float qr[ATT_MAXG][ATT_MAXDI], acc[ATT_MAXG][ATT_MAXDI], m[ATT_MAXG], l[ATT_MAXG];
#pragma unroll
  for (int g = 0; g < ATT_MAXG; ++g) {
    m[g] = -INFINITY;
    l[g] = 0.f;
#pragma unroll
    for (int i = 0; i < ATT_MAXDI; ++i) {
      const int d = lane + i * WARP;
      acc[g][i] = 0.f;
      qr[g][i] = (g < ng && d < D) ? q[((size_t)t * nh + h0 + g) * D + d] * scale : 0.f;
    }
  }
  const KV* kbase = k_cache + (size_t)kvh * max_pos * D;
  const KV* vbase = v_cache + (size_t)kvh * max_pos * D;
  for (int p = begin + warp; p < end; p += ATT_WARPS) {
    float kd[ATT_MAXDI], vd[ATT_MAXDI];
#pragma unroll
    for (int i = 0; i < ATT_MAXDI; ++i) {
      const int d = lane + i * WARP;
      kd[i] = d < D ? Kv<KV>::load(kbase + (size_t)p * D + d) : 0.f;
      vd[i] = d < D ? Kv<KV>::load(vbase + (size_t)p * D + d) : 0.f;
    }
#pragma unroll
    for (int g = 0; g < ATT_MAXG; ++g) {
      if (g < ng) {
        float s = 0.f;
#pragma unroll
        for (int i = 0; i < ATT_MAXDI; ++i) s = fmaf(qr[g][i], kd[i], s);
        s = warp_sum(s);
        const float mn = fmaxf(m[g], s);
        const float corr = expf(m[g] - mn);
        const float e = expf(s - mn);
        l[g] = l[g] * corr + e;
#pragma unroll
        for (int i = 0; i < ATT_MAXDI; ++i) acc[g][i] = fmaf(acc[g][i], corr, e * vd[i]);
        m[g] = mn;
      }
    }
  }
  // Merge the warps of the block.
#pragma unroll
  for (int g = 0; g < ATT_MAXG; ++g) {
    if (lane == 0) {
      s_m[warp][g] = m[g];
      s_l[warp][g] = l[g];
    }
#pragma unroll
    for (int i = 0; i < ATT_MAXDI; ++i) s_acc[warp][g][lane + i * WARP] = acc[g][i];
  }
  __syncthreads();
  for (int e = threadIdx.x; e < ng * D; e += blockDim.x) {
    const int g = e / D, d = e % D;
    float mx = -INFINITY;
    for (int w = 0; w < ATT_WARPS; ++w) mx = fmaxf(mx, s_m[w][g]);
    float a = 0.f, ls = 0.f;
    if (mx != -INFINITY) {
      for (int w = 0; w < ATT_WARPS; ++w) {
        const float f = expf(s_m[w][g] - mx);
        a = fmaf(s_acc[w][g][d], f, a);
        ls = fmaf(s_l[w][g], f, ls);
      }
    }
    const size_t slot = ((size_t)t * nh + h0 + g) * nsplit + split;
    part_acc[slot * D + d] = a;
    if (d == 0) {
      part_ml[slot * 2] = mx;
      part_ml[slot * 2 + 1] = ls;
    }
  }
}

}  // namespace ft

// One kernel per KV element type and head-size bound (head_dim <= 32 * DI), so that the per-lane
// arrays have compile-time sizes and stay in registers.
#define FT_ATTENTION_SPLIT(name, KV, DI)                                                       \
  FT_KERNEL void __launch_bounds__(ft::ATT_THREADS)                                           \
      name(const float* q, const KV* kc, const KV* vc, const int* pos, int nh, int nkv, int D, \
           int max_pos, float scale, float* part_acc, float* part_ml) {                       \
    ft::attention_split_body<KV, DI>(q, kc, vc, pos, nh, nkv, D, max_pos, scale, part_acc,    \
                                     part_ml);                                                \
  }

FT_ATTENTION_SPLIT(ft_attention_split_kvbf16_d32, uint16_t, 1)
FT_ATTENTION_SPLIT(ft_attention_split_kvbf16_d64, uint16_t, 2)
FT_ATTENTION_SPLIT(ft_attention_split_kvbf16_d128, uint16_t, 4)
FT_ATTENTION_SPLIT(ft_attention_split_kvbf16_d256, uint16_t, 8)
FT_ATTENTION_SPLIT(ft_attention_split_kvf32_d32, float, 1)
FT_ATTENTION_SPLIT(ft_attention_split_kvf32_d64, float, 2)
FT_ATTENTION_SPLIT(ft_attention_split_kvf32_d128, float, 4)
FT_ATTENTION_SPLIT(ft_attention_split_kvf32_d256, float, 8)

// Merges the splits of ft_attention_split_*: grid (nh, T). Writes float32 (decode: the input of
// the o_proj GEMV) and/or bf16 hi/lo (prompt: the A operand of the o_proj GEMM); either may be null.
FT_KERNEL void ft_attention_combine(const float* part_acc, const float* part_ml, int nh, int D,
                                    int nsplit, float* out, uint16_t* out_hi, uint16_t* out_lo) {
  const int h = blockIdx.x, t = blockIdx.y;
  const size_t base = ((size_t)t * nh + h) * nsplit;
  float mx = -INFINITY;
  for (int s = 0; s < nsplit; ++s) mx = fmaxf(mx, part_ml[(base + s) * 2]);
  float ls = 0.f;
  for (int s = 0; s < nsplit; ++s) {
    const float m = part_ml[(base + s) * 2];
    if (m != -INFINITY) ls = fmaf(part_ml[(base + s) * 2 + 1], expf(m - mx), ls);
  }
  const float inv = 1.f / ls;
  for (int d = threadIdx.x; d < D; d += blockDim.x) {
    float a = 0.f;
    for (int s = 0; s < nsplit; ++s) {
      const float m = part_ml[(base + s) * 2];
      if (m != -INFINITY) a = fmaf(part_acc[(base + s) * D + d], expf(m - mx), a);
    }
    const float v = a * inv;
    const size_t o = ((size_t)t * nh + h) * D + d;
    if (out != nullptr) out[o] = v;
    if (out_hi != nullptr) ft::store_split(out_hi, out_lo, o, v);
  }
}
