// Causal attention of a whole prompt on tensor cores (FlashAttention-2 style), bf16 q and bf16 KV
// cache, float32 softmax and accumulation.
//
// Grid: x = tile of 64 queries, y = q head. 4 warps, each owning 16 query rows. K/V tiles of 64
// positions stream through double-buffered shared memory (cp.async); S = Q K^T and O += P V run on
// mma.sync m16n8k16, with P reused from the S accumulators in registers. Query t is at position
// *pos + t and sees keys [0, *pos + t]. GQA: q head h reads kv head h / (nh / nkv).
// The output (normalised) goes to bf16 hi (and lo, when given) [T][nh * D], the A operand of o_proj.
#pragma once
#include "mma.cuh"

namespace ft {

constexpr int FA_BM = 64, FA_BN = 64, FA_THREADS = 128;

template <int D>
__device__ __forceinline__ uint32_t fa_swz(int r, int c) {  // byte offset, chunk c of row r
  return (uint32_t)(r * D * 2 + ((c ^ (r & 7)) << 4));
}

template <int D>
__device__ __forceinline__ void fa_load(uint32_t dst, const uint16_t* src, size_t row_stride,
                                        int row0, int rows_valid, int tid) {
  constexpr int CHUNKS = D / 8;
  for (int e = tid; e < FA_BM * CHUNKS; e += FA_THREADS) {
    const int r = e / CHUNKS, c = e % CHUNKS;
    const bool ok = row0 + r < rows_valid;
    cp_async16(dst + fa_swz<D>(r, c), src + (size_t)(ok ? row0 + r : 0) * row_stride + c * 8,
               ok ? 16 : 0);
  }
}

template <int D>
__device__ __forceinline__ void prefill_attention_body(
    const uint16_t* __restrict__ q, const uint16_t* __restrict__ k_cache,
    const uint16_t* __restrict__ v_cache, const int* __restrict__ pos_ptr, int T, int nh, int nkv,
    int max_pos, float scale, uint16_t* out_hi, uint16_t* out_lo) {
  extern __shared__ __align__(128) uint8_t fa_smem[];
  constexpr int TILE = FA_BM * D * 2;
  const uint32_t sq = smem_addr(fa_smem);
  // Stage b of K at sq + (1 + 2b) * TILE, of V right after it.
  auto sk = [&](int b) { return sq + (uint32_t)((1 + 2 * b) * TILE); };
  const int tid = threadIdx.x, warp = tid / WARP, lane = tid % WARP;
  const int q0 = blockIdx.x * FA_BM, h = blockIdx.y;
  const int kvh = h / (nh / nkv);
  const int start = *pos_ptr;
  const int kend = start + min(q0 + FA_BM, T);  // keys this block needs: [0, kend)
  const int ntiles = (kend + FA_BN - 1) / FA_BN;
  const uint16_t* kb = k_cache + (size_t)kvh * max_pos * D;
  const uint16_t* vb = v_cache + (size_t)kvh * max_pos * D;

  fa_load<D>(sq, q + (size_t)h * D, (size_t)nh * D, q0, T, tid);
  fa_load<D>(sk(0), kb, D, 0, kend, tid);
  fa_load<D>(sk(0) + TILE, vb, D, 0, kend, tid);
  cp_async_commit();

  constexpr int KS = D / 16;  // k16 steps over the head dimension
  uint32_t qf[KS][4];
  float o[D / 8][4];
#pragma unroll
  for (int i = 0; i < D / 8; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.f;
  float m_r[2] = {-INFINITY, -INFINITY}, l_r[2] = {0.f, 0.f};
  const float sl2 = scale * 1.4426950408889634f;  // softmax in base 2
  const int row_a = q0 + warp * 16 + (lane >> 2);  // query rows of this thread: row_a, row_a + 8

  for (int j = 0; j < ntiles; ++j) {
    if (j + 1 < ntiles) {
      fa_load<D>(sk((j + 1) & 1), kb, D, (j + 1) * FA_BN, kend, tid);
      fa_load<D>(sk((j + 1) & 1) + TILE, vb, D, (j + 1) * FA_BN, kend, tid);
    }
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    if (j == 0) {
#pragma unroll
      for (int kk = 0; kk < KS; ++kk)
        ldmatrix_x4(sq + fa_swz<D>(warp * 16 + (lane & 15), kk * 2 + (lane >> 4)), qf[kk][0],
                    qf[kk][1], qf[kk][2], qf[kk][3]);
    }
    const uint32_t k_s = sk(j & 1), v_s = k_s + TILE;
    float s[FA_BN / 8][4];
#pragma unroll
    for (int i = 0; i < FA_BN / 8; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < KS; ++kk) {
#pragma unroll
      for (int np = 0; np < FA_BN / 16; ++np) {
        uint32_t b0, b1, b2, b3;
        ldmatrix_x4(k_s + fa_swz<D>(np * 16 + (lane & 7) + ((lane >> 4) << 3),
                                    kk * 2 + ((lane >> 3) & 1)),
                    b0, b1, b2, b3);
        mma_bf16(s[2 * np], qf[kk], b0, b1);
        mma_bf16(s[2 * np + 1], qf[kk], b2, b3);
      }
    }
    // Mask, online softmax (rows row_a and row_a + 8).
    float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int nt = 0; nt < FA_BN / 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int key = j * FA_BN + nt * 8 + (lane & 3) * 2 + (e & 1);
        const int limit = start + row_a + (e >> 1) * 8;  // last key this query sees
        const float v = (key <= limit && key < kend) ? s[nt][e] * sl2 : -INFINITY;
        s[nt][e] = v;
        mx[e >> 1] = fmaxf(mx[e >> 1], v);
      }
    }
    float corr[2], mnew[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
      mnew[r] = fmaxf(m_r[r], mx[r]);
      corr[r] = mnew[r] == -INFINITY ? 1.f : exp2f(m_r[r] - mnew[r]);
      m_r[r] = mnew[r];
      l_r[r] *= corr[r];
    }
#pragma unroll
    for (int nt = 0; nt < FA_BN / 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const float mr = mnew[e >> 1];
        const float p = mr == -INFINITY ? 0.f : exp2f(s[nt][e] - mr);
        s[nt][e] = p;
        l_r[e >> 1] += p;
      }
    }
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      o[dt][0] *= corr[0];
      o[dt][1] *= corr[0];
      o[dt][2] *= corr[1];
      o[dt][3] *= corr[1];
    }
#pragma unroll
    for (int kk = 0; kk < FA_BN / 16; ++kk) {
      uint32_t pa[4];
      pa[0] = pack_bf16(s[2 * kk][0], s[2 * kk][1]);
      pa[1] = pack_bf16(s[2 * kk][2], s[2 * kk][3]);
      pa[2] = pack_bf16(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      pa[3] = pack_bf16(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
      for (int dp = 0; dp < D / 16; ++dp) {
        uint32_t b0, b1, b2, b3;
        ldmatrix_x4_trans(v_s + fa_swz<D>(kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3),
                                          dp * 2 + (lane >> 4)),
                          b0, b1, b2, b3);
        mma_bf16(o[2 * dp], pa, b0, b1);
        mma_bf16(o[2 * dp + 1], pa, b2, b3);
      }
    }
    __syncthreads();  // the next iteration's prefetch overwrites this stage
  }
  cp_async_wait<0>();
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l_r[r] += __shfl_xor_sync(0xffffffffu, l_r[r], 1);
    l_r[r] += __shfl_xor_sync(0xffffffffu, l_r[r], 2);
  }
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int t = row_a + r * 8;
    if (t >= T) continue;
    const float inv = 1.f / l_r[r];
    const size_t base = ((size_t)t * nh + h) * D;
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) {
      const int d = dt * 8 + (lane & 3) * 2;
      store_split(out_hi, out_lo, base + d, o[dt][r * 2] * inv);
      store_split(out_hi, out_lo, base + d + 1, o[dt][r * 2 + 1] * inv);
    }
  }
}

}  // namespace ft

// Dynamic shared memory: 5 tiles of 64 x D bf16 (q, and k/v double-buffered).
#define FT_PREFILL_ATTENTION(name, D)                                                           \
  FT_KERNEL void __launch_bounds__(ft::FA_THREADS)                                              \
      name(const uint16_t* q, const uint16_t* kc, const uint16_t* vc, const int* pos, int T,    \
           int nh, int nkv, int max_pos, float scale, uint16_t* out_hi, uint16_t* out_lo) {     \
    ft::prefill_attention_body<D>(q, kc, vc, pos, T, nh, nkv, max_pos, scale, out_hi, out_lo);  \
  }

FT_PREFILL_ATTENTION(ft_prefill_attention_d64, 64)
FT_PREFILL_ATTENTION(ft_prefill_attention_d128, 128)
