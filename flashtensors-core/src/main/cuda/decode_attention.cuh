// The attention of one decode step in one launch (head_dim 128, every Qwen3): q/k RMSNorm and RoPE,
// the KV-cache write of the new position, attention over the cache split across blocks
// (flash-decoding), and the merge of the splits by the last block to finish.
//
// Grid: x = kv head x q-head group (up to MAXG q heads sharing one kv head), y = split. Position
// and length come from state[0] (device memory), so a captured graph replays for every step.
// - Every non-empty block normalises and rotates its group's q heads into shared memory; the one
//   block whose share of the sequence holds the new position also normalises and rotates k and
//   writes k and v into the cache, then reads them back like any other position (other blocks
//   never touch that position, so there is no race).
// - Positions stream in sub-tiles: each group of LPG lanes owns one position per step and loads
//   its K and V rows with 16-byte loads (4 positions in flight per group); scores go to shared
//   memory, one warp per head runs the online softmax over the sub-tile, then every group adds
//   p * V into its registers.
// - Each block writes an unnormalised partial; the block that takes the last ticket of the group's
//   counter merges the partials into out [nh][128] and resets the counter for the next launch.
//   Partials are laid out [nh][gridDim.y][128]; a sequence shorter than 64 x gridDim.y positions
//   uses fewer splits, and a single split (up to 64 positions) writes out directly.
#pragma once
#include "common.cuh"

namespace ft {

constexpr int DA_THREADS = 128;
constexpr int DA_D = 128;
constexpr int DA_PPG = 4;  // positions a lane group holds per sub-tile
constexpr int DA_MIN_CHUNK = 64;  // fewest positions worth a split of their own

template <typename KV> struct KvVec;
template <> struct KvVec<uint16_t> {
  static constexpr int N = 8;
  static __device__ __forceinline__ void unpack(uint4 w, float* f) {
    f[0] = bf16_lo(w.x); f[1] = bf16_hi(w.x); f[2] = bf16_lo(w.y); f[3] = bf16_hi(w.y);
    f[4] = bf16_lo(w.z); f[5] = bf16_hi(w.z); f[6] = bf16_lo(w.w); f[7] = bf16_hi(w.w);
  }
};
template <> struct KvVec<float> {
  static constexpr int N = 4;
  static __device__ __forceinline__ void unpack(uint4 w, float* f) {
    f[0] = __uint_as_float(w.x); f[1] = __uint_as_float(w.y);
    f[2] = __uint_as_float(w.z); f[3] = __uint_as_float(w.w);
  }
};

// RMSNorm (weight nw) and RoPE of one 128-wide head by one warp; each lane owns dims j and j + 64
// for j = lane, lane + 32. Calls emit(dim, value) for all 128 outputs.
template <typename Emit>
__device__ __forceinline__ void norm_rope_head(const float* src, const uint16_t* nw, float eps,
                                               const float* cs, const float* sn, int lane,
                                               Emit emit) {
  float a[2], b[2], ss = 0.f;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    a[i] = src[lane + 32 * i];
    b[i] = src[lane + 32 * i + 64];
    ss = fmaf(a[i], a[i], fmaf(b[i], b[i], ss));
  }
  const float r = rsqrtf(warp_sum(ss) / (float)DA_D + eps);
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int j = lane + 32 * i;
    const float x = (a[i] * r) * bf16_to_float(nw[j]);
    const float y = (b[i] * r) * bf16_to_float(nw[j + 64]);
    emit(j, x * cs[j] - y * sn[j]);
    emit(j + 64, y * cs[j] + x * sn[j]);
  }
}

template <typename KV, int MAXG>
__device__ __forceinline__ void decode_attention_body(
    const float* __restrict__ qkv, const uint16_t* __restrict__ q_norm_w,
    const uint16_t* __restrict__ k_norm_w, float eps, const float* __restrict__ rope_cos,
    const float* __restrict__ rope_sin, const int* __restrict__ state, KV* k_cache, KV* v_cache,
    int nh, int nkv, int max_pos, float scale, float* part_acc, float* part_ml, int* counters,
    float* out) {
  constexpr int D = DA_D;
  constexpr int VEC = KvVec<KV>::N;
  constexpr int LPG = D / VEC;             // lanes per position
  constexpr int NG = DA_THREADS / LPG;     // position groups per block
  constexpr int TP = NG * DA_PPG;          // positions per sub-tile (<= 32)
  __shared__ float q_s[MAXG][D];
  __shared__ float sc[MAXG][TP];
  __shared__ float m_s[MAXG], l_s[MAXG], corr_s[MAXG];
  __shared__ float red[NG][MAXG][D];
  __shared__ int last_block;

  const int tid = threadIdx.x, warp = tid / WARP, lane = tid % WARP;
  const int G = nh / nkv;
  const int gpk = (G + MAXG - 1) / MAXG;
  const int kvh = blockIdx.x / gpk;
  const int h0 = kvh * G + (blockIdx.x % gpk) * MAXG;
  const int ng = min(MAXG, kvh * G + G - h0);
  const int split = blockIdx.y;
  const int pos = state[0];
  const int L = pos + 1;
  // Short sequences use fewer splits (at least DA_MIN_CHUNK positions each): the grid is sized for
  // the longest, the rest of its blocks leave at once, and one split writes its result directly.
  const int nsplit = min((int)gridDim.y, max(1, (L + DA_MIN_CHUNK - 1) / DA_MIN_CHUNK));
  if (split >= nsplit) return;
  const int chunk = (L + nsplit - 1) / nsplit;
  const int begin = split * chunk;
  const int end = min(L, begin + chunk);
  const float* cs = rope_cos + (size_t)pos * (D / 2);
  const float* sn = rope_sin + (size_t)pos * (D / 2);
  KV* kb = k_cache + (size_t)kvh * max_pos * D;
  KV* vb = v_cache + (size_t)kvh * max_pos * D;

  if (begin < end) {
    for (int g = warp; g < ng; g += DA_THREADS / WARP)
      norm_rope_head(qkv + (size_t)(h0 + g) * D, q_norm_w, eps, cs, sn, lane,
                     [&](int d, float v) { q_s[g][d] = v * scale; });
    if (begin <= pos && pos < end) {  // (with several q-head groups per kv head, each writes the same bytes)
      if (warp == 0) {
        norm_rope_head(qkv + (size_t)(nh + kvh) * D, k_norm_w, eps, cs, sn, lane,
                       [&](int d, float v) { Kv<KV>::store(kb + (size_t)pos * D + d, v); });
      } else if (warp == 1) {
        const float* vsrc = qkv + (size_t)(nh + nkv + kvh) * D;
        for (int d = lane; d < D; d += WARP) Kv<KV>::store(vb + (size_t)pos * D + d, vsrc[d]);
      }
    }
  }
  if (tid < MAXG) {
    m_s[tid] = -INFINITY;
    l_s[tid] = 0.f;
  }
  __syncthreads();

  const int lg = tid / LPG, sl = tid % LPG;
  float qr[MAXG][VEC], acc[MAXG][VEC];
#pragma unroll
  for (int g = 0; g < MAXG; ++g)
#pragma unroll
    for (int e = 0; e < VEC; ++e) {
      qr[g][e] = g < ng ? q_s[g][sl * VEC + e] : 0.f;
      acc[g][e] = 0.f;
    }
  // Read the cache through L2 (ld.global.cg): the new position was written by this very block, and
  // its stores are visible to it after the barrier above, but not through the read-only path.
  for (int p0 = begin; p0 < end; p0 += TP) {
    uint4 kr[DA_PPG], vr[DA_PPG];
#pragma unroll
    for (int j = 0; j < DA_PPG; ++j) {
      const int p = p0 + lg + NG * j;
      kr[j] = make_uint4(0, 0, 0, 0);
      vr[j] = make_uint4(0, 0, 0, 0);
      if (p < end) {
        kr[j] = __ldcg(reinterpret_cast<const uint4*>(kb + (size_t)p * D + sl * VEC));
        vr[j] = __ldcg(reinterpret_cast<const uint4*>(vb + (size_t)p * D + sl * VEC));
      }
    }
#pragma unroll
    for (int j = 0; j < DA_PPG; ++j) {
      float kf[VEC];
      KvVec<KV>::unpack(kr[j], kf);
      const int p = p0 + lg + NG * j;
#pragma unroll
      for (int g = 0; g < MAXG; ++g) {
        if (g < ng) {
          float s = 0.f;
#pragma unroll
          for (int e = 0; e < VEC; ++e) s = fmaf(qr[g][e], kf[e], s);
#pragma unroll
          for (int o = LPG / 2; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
          if (sl == 0) sc[g][lg + NG * j] = p < end ? s : -INFINITY;
        }
      }
    }
    __syncthreads();
    for (int g = warp; g < ng; g += DA_THREADS / WARP) {
      const float v = lane < TP ? sc[g][lane] : -INFINITY;
      const float mo = m_s[g];
      const float mn = fmaxf(mo, warp_max(v));  // finite: position p0 is valid
      const float e = lane < TP ? expf(v - mn) : 0.f;
      const float sum = warp_sum(e);
      if (lane < TP) sc[g][lane] = e;
      if (lane == 0) {
        const float c = expf(mo - mn);
        corr_s[g] = c;
        l_s[g] = l_s[g] * c + sum;
        m_s[g] = mn;
      }
    }
    __syncthreads();
#pragma unroll
    for (int g = 0; g < MAXG; ++g) {
      if (g < ng) {
        const float c = corr_s[g];
#pragma unroll
        for (int e = 0; e < VEC; ++e) acc[g][e] *= c;
#pragma unroll
        for (int j = 0; j < DA_PPG; ++j) {
          float vf[VEC];
          KvVec<KV>::unpack(vr[j], vf);
          const float pj = sc[g][lg + NG * j];
#pragma unroll
          for (int e = 0; e < VEC; ++e) acc[g][e] = fmaf(pj, vf[e], acc[g][e]);
        }
      }
    }
    __syncthreads();
  }

  // This block's partial.
#pragma unroll
  for (int g = 0; g < MAXG; ++g)
    if (g < ng)
#pragma unroll
      for (int e = 0; e < VEC; ++e) red[lg][g][sl * VEC + e] = acc[g][e];
  __syncthreads();
  if (nsplit == 1) {  // the whole sequence in this block: normalise and write the output
    for (int i = tid; i < ng * D; i += DA_THREADS) {
      const int g = i / D, d = i % D;
      float a = 0.f;
#pragma unroll
      for (int k = 0; k < NG; ++k) a += red[k][g][d];
      out[(size_t)(h0 + g) * D + d] = a / l_s[g];
    }
    return;
  }
  for (int i = tid; i < ng * D; i += DA_THREADS) {
    const int g = i / D, d = i % D;
    float a = 0.f;
#pragma unroll
    for (int k = 0; k < NG; ++k) a += red[k][g][d];
    const size_t slot = (size_t)(h0 + g) * gridDim.y + split;
    part_acc[slot * D + d] = a;
    if (d == 0) {
      part_ml[slot * 2] = m_s[g];
      part_ml[slot * 2 + 1] = l_s[g];
    }
  }
  __threadfence();
  __syncthreads();
  if (tid == 0) last_block = atomicAdd(&counters[blockIdx.x], 1) == nsplit - 1;
  __syncthreads();
  if (!last_block) return;
  __threadfence();

  // The last block merges the splits of all its heads at once: running maxima, weights, sums.
  float* wts = &red[0][0][0];  // [ng][nsplit]
  __shared__ float lsum[MAXG];
  for (int i = tid; i < ng * nsplit; i += DA_THREADS) {
    const int g = i / nsplit, sp = i % nsplit;
    wts[i] = __ldcg(part_ml + ((size_t)(h0 + g) * gridDim.y + sp) * 2);
  }
  __syncthreads();
  for (int g = warp; g < ng; g += DA_THREADS / WARP) {
    float mx = -INFINITY;
    for (int sp = lane; sp < nsplit; sp += WARP) mx = fmaxf(mx, wts[g * nsplit + sp]);
    mx = warp_max(mx);
    float ls = 0.f;
    for (int sp = lane; sp < nsplit; sp += WARP) {
      const float m = wts[g * nsplit + sp];
      const float w = m == -INFINITY ? 0.f : expf(m - mx);
      if (w > 0.f) ls = fmaf(w, __ldcg(part_ml + ((size_t)(h0 + g) * gridDim.y + sp) * 2 + 1), ls);
      wts[g * nsplit + sp] = w;
    }
    ls = warp_sum(ls);
    if (lane == 0) lsum[g] = ls;
  }
  __syncthreads();
  for (int i = tid; i < ng * D; i += DA_THREADS) {
    const int g = i / D, d = i % D;
    const size_t base = (size_t)(h0 + g) * gridDim.y;
    float a = 0.f;
    for (int sp = 0; sp < nsplit; ++sp) {
      const float w = wts[g * nsplit + sp];
      if (w > 0.f) a = fmaf(w, __ldcg(part_acc + (base + sp) * D + d), a);
    }
    out[(size_t)(h0 + g) * D + d] = a / lsum[g];
  }
  if (tid == 0) counters[blockIdx.x] = 0;
}

}  // namespace ft

#define FT_DECODE_ATTENTION(name, KV, MAXG)                                                     \
  FT_KERNEL void __launch_bounds__(ft::DA_THREADS)                                              \
      name(const float* qkv, const uint16_t* qnw, const uint16_t* knw, float eps,               \
           const float* cs, const float* sn, const int* state, KV* kc, KV* vc, int nh, int nkv, \
           int max_pos, float scale, float* part_acc, float* part_ml, int* counters,            \
           float* out) {                                                                        \
    ft::decode_attention_body<KV, MAXG>(qkv, qnw, knw, eps, cs, sn, state, kc, vc, nh, nkv,     \
                                        max_pos, scale, part_acc, part_ml, counters, out);      \
  }

FT_DECODE_ATTENTION(ft_decode_attention_kvbf16_g2, uint16_t, 2)
FT_DECODE_ATTENTION(ft_decode_attention_kvbf16_g4, uint16_t, 4)
FT_DECODE_ATTENTION(ft_decode_attention_kvbf16_g8, uint16_t, 8)
FT_DECODE_ATTENTION(ft_decode_attention_kvf32_g2, float, 2)
FT_DECODE_ATTENTION(ft_decode_attention_kvf32_g4, float, 4)
FT_DECODE_ATTENTION(ft_decode_attention_kvf32_g8, float, 8)
