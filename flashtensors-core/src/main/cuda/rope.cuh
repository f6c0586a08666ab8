// Per-head RMSNorm of q and k (Qwen3's q_norm / k_norm), rotary position embedding (NeoX pairing:
// dimension j with j + D/2) and the write of k and v into the KV cache, for T tokens at positions
// *pos + t. One warp handles one head of one token.
//
// qkv holds, per token, nh q heads, then nkv k heads, then nkv v heads (D floats each). cos/sin
// come from tables [max_pos][D/2] computed on the host in double precision. q goes to q_out
// ([T][nh][D], float32 for the decode attention or bf16 for the tensor-core prefill attention);
// k and v go to the cache, laid out [nkv][max_pos][D] for one layer.
#pragma once
#include "common.cuh"

namespace ft {

constexpr int ROPE_MAX_PAIRS = 4;  // head_dim up to 256

template <typename QT, typename KV>
__device__ __forceinline__ void qk_norm_rope_body(const float* __restrict__ qkv, int T, int nh,
                                                  int nkv, int D,
                                                  const uint16_t* __restrict__ q_norm_w,
                                                  const uint16_t* __restrict__ k_norm_w, float eps,
                                                  const float* __restrict__ rope_cos,
                                                  const float* __restrict__ rope_sin,
                                                  const int* __restrict__ pos_ptr, int max_pos,
                                                  QT* q_out, KV* k_cache, KV* v_cache) {
  const int lane = threadIdx.x % WARP;
  const int heads = nh + nkv;
  const int item = blockIdx.x * (blockDim.x / WARP) + threadIdx.x / WARP;
  if (item >= T * heads) return;
  const int t = item / heads, h = item % heads;
  const int pos = *pos_ptr + t;
  const int half = D / 2;
  const size_t stride = (size_t)(nh + 2 * nkv) * D;
  const float* src = qkv + t * stride + (size_t)h * D;
  const bool is_q = h < nh;
  const uint16_t* nw = is_q ? q_norm_w : k_norm_w;

  float x1[ROPE_MAX_PAIRS], x2[ROPE_MAX_PAIRS];
  float ss = 0.f;
#pragma unroll
  for (int i = 0; i < ROPE_MAX_PAIRS; ++i) {
    const int j = lane + i * WARP;
    x1[i] = 0.f;
    x2[i] = 0.f;
    if (j < half) {
      x1[i] = src[j];
      x2[i] = src[j + half];
      ss = fmaf(x1[i], x1[i], ss);
      ss = fmaf(x2[i], x2[i], ss);
    }
  }
  const float r = rsqrtf(warp_sum(ss) / (float)D + eps);
  const float* cs = rope_cos + (size_t)pos * half;
  const float* sn = rope_sin + (size_t)pos * half;
  const int kvh = h - nh;
  const size_t cache_row = ((size_t)kvh * max_pos + pos) * D;
#pragma unroll
  for (int i = 0; i < ROPE_MAX_PAIRS; ++i) {
    const int j = lane + i * WARP;
    if (j < half) {
      const float a = (x1[i] * r) * bf16_to_float(nw[j]);
      const float b = (x2[i] * r) * bf16_to_float(nw[j + half]);
      const float c = cs[j], s = sn[j];
      const float o1 = a * c - b * s;
      const float o2 = b * c + a * s;
      if (is_q) {
        QT* dst = q_out + ((size_t)t * nh + h) * D;
        Kv<QT>::store(dst + j, o1);
        Kv<QT>::store(dst + j + half, o2);
      } else {
        Kv<KV>::store(k_cache + cache_row + j, o1);
        Kv<KV>::store(k_cache + cache_row + j + half, o2);
      }
    }
  }
  if (!is_q) {
    const float* vsrc = qkv + t * stride + (size_t)(nh + nkv + kvh) * D;
    for (int j = lane; j < D; j += WARP) Kv<KV>::store(v_cache + cache_row + j, vsrc[j]);
  }
}

}  // namespace ft

#define FT_ROPE(name, QT, KV)                                                                  \
  FT_KERNEL void name(const float* qkv, int T, int nh, int nkv, int D, const uint16_t* qnw,    \
                      const uint16_t* knw, float eps, const float* cs, const float* sn,        \
                      const int* pos, int max_pos, QT* q_out, KV* kc, KV* vc) {                \
    ft::qk_norm_rope_body<QT, KV>(qkv, T, nh, nkv, D, qnw, knw, eps, cs, sn, pos, max_pos,     \
                                  q_out, kc, vc);                                              \
  }

FT_ROPE(ft_qk_norm_rope_qf32_kvbf16, float, uint16_t)
FT_ROPE(ft_qk_norm_rope_qf32_kvf32, float, float)
FT_ROPE(ft_qk_norm_rope_qbf16_kvbf16, uint16_t, uint16_t)
