// Prompt-time matrix products on tensor cores: C[M, N] = A[M, K] . B[N, K]^T with A the bf16
// activations of M prompt tokens and B the bf16 weights in PyTorch's [out, in] layout (both
// K-contiguous), float32 accumulation (mma.sync m16n8k16).
//
// Block tile 128 x 128 x 32, 8 warps of 64 x 32, a 4-stage cp.async pipeline, XOR-swizzled shared
// memory so that ldmatrix reads are free of bank conflicts.
// - A may come as hi + lo (two bf16 arrays whose sum is the float32 activation): the product then
//   runs over K twice (hi . B + lo . B), giving float32-grade results at twice the tensor work.
// - B rows come from up to three matrices (q/k/v: rows [0, n0) of b0, [n0, n0+n1) of b1, then
//   b2), or, in GATE_UP mode, interleaved by 8 from b0 (gate) and b1 (up) so that a thread holds
//   gate and up of the same output and writes silu(gate) * up directly.
// Epilogues: store float32, add into float32 (the residual stream), or SwiGLU to bf16 hi/lo.
#pragma once
#include "mma.cuh"

namespace ft {

enum GemmEpilogue { EPI_STORE = 0, EPI_ADD = 1, EPI_SWIGLU = 2 };

constexpr int GEMM_BM = 128, GEMM_BN = 128, GEMM_BK = 32, GEMM_STAGES = 4;
constexpr int GEMM_THREADS = 256;
constexpr int GEMM_STAGE_ELEMS = (GEMM_BM + GEMM_BN) * GEMM_BK;
constexpr int GEMM_SMEM_BYTES = GEMM_STAGES * GEMM_STAGE_ELEMS * 2;

// Byte offset of 16-byte chunk c (0..3) of row r in a [rows][32] bf16 tile.
__device__ __forceinline__ uint32_t gemm_swz(int r, int c) {
  return (uint32_t)(r * 64 + ((c ^ ((r >> 1) & 3)) << 4));
}

template <int EPI>
__device__ __forceinline__ const uint16_t* gemm_b_row(const uint16_t* b0, const uint16_t* b1,
                                                      const uint16_t* b2, int n0, int n1, int n,
                                                      int K) {
  if (EPI == EPI_SWIGLU) {
    const int real = (n >> 4) * 8 + (n & 7);
    return ((n >> 3) & 1 ? b1 : b0) + (size_t)real * K;
  }
  if (n < n0) return b0 + (size_t)n * K;
  if (n < n0 + n1) return b1 + (size_t)(n - n0) * K;
  return b2 + (size_t)(n - n0 - n1) * K;
}

template <int EPI>
__device__ __forceinline__ void gemm_body(const uint16_t* __restrict__ a_hi,
                                          const uint16_t* __restrict__ a_lo, int M,
                                          const uint16_t* __restrict__ b0,
                                          const uint16_t* __restrict__ b1,
                                          const uint16_t* __restrict__ b2, int n0, int n1, int N,
                                          int K, float* c, int ldc, uint16_t* c_hi,
                                          uint16_t* c_lo) {
  extern __shared__ __align__(128) uint8_t gemm_smem[];
  const int tid = threadIdx.x, warp = tid / WARP, lane = tid % WARP;
  const int m0 = blockIdx.x * GEMM_BM, nb0 = blockIdx.y * GEMM_BN;
  const int k_total = a_lo != nullptr ? 2 * K : K;
  const int ktiles = (k_total + GEMM_BK - 1) / GEMM_BK;
  const uint32_t smem = smem_addr(gemm_smem);

  // Each thread copies 2 chunks of A and 2 of B per stage: rows tid/4 and tid/4 + 64, chunk tid%4.
  const int lrow = tid >> 2, lchunk = tid & 3;
  const uint16_t* a_rows[2];
  const uint16_t* b_rows[2];
  bool a_ok[2], b_ok[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const int m = m0 + lrow + 64 * i, n = nb0 + lrow + 64 * i;
    a_ok[i] = m < M;
    b_ok[i] = n < N;
    a_rows[i] = a_hi + (size_t)(a_ok[i] ? m : 0) * K;
    b_rows[i] = b_ok[i] ? gemm_b_row<EPI>(b0, b1, b2, n0, n1, n, K) : b0;
  }
  auto load_tile = [&](int kt, int stage) {
    const uint32_t sa = smem + stage * GEMM_STAGE_ELEMS * 2;
    const uint32_t sb = sa + GEMM_BM * GEMM_BK * 2;
    const int k = kt * GEMM_BK + lchunk * 8;  // in [0, k_total)
    const bool k_ok = k < k_total;
    const bool second = k >= K;                // lo half of A
    const int kk = second ? k - K : k;
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int r = lrow + 64 * i;
      const uint16_t* asrc =
          (second ? a_lo + (a_rows[i] - a_hi) : a_rows[i]) + (k_ok ? kk : 0);
      cp_async16(sa + gemm_swz(r, lchunk), asrc, (a_ok[i] && k_ok) ? 16 : 0);
      cp_async16(sb + gemm_swz(r, lchunk), b_rows[i] + (k_ok ? kk : 0), (b_ok[i] && k_ok) ? 16 : 0);
    }
  };

  const int wm = warp / 4, wn = warp % 4;  // warp tile: rows wm*64.., cols wn*32..
  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

#pragma unroll
  for (int s = 0; s < GEMM_STAGES - 1; ++s) {
    if (s < ktiles) load_tile(s, s);
    cp_async_commit();
  }
  for (int kt = 0; kt < ktiles; ++kt) {
    cp_async_wait<GEMM_STAGES - 2>();
    __syncthreads();
    const int pf = kt + GEMM_STAGES - 1;
    if (pf < ktiles) load_tile(pf, pf % GEMM_STAGES);
    cp_async_commit();

    const uint32_t sa = smem + (kt % GEMM_STAGES) * GEMM_STAGE_ELEMS * 2;
    const uint32_t sb = sa + GEMM_BM * GEMM_BK * 2;
#pragma unroll
    for (int ks = 0; ks < 2; ++ks) {
      uint32_t af[4][4], bf[4][2];
#pragma unroll
      for (int mt = 0; mt < 4; ++mt) {
        const int r = wm * 64 + mt * 16 + (lane & 15);
        ldmatrix_x4(sa + gemm_swz(r, ks * 2 + (lane >> 4)), af[mt][0], af[mt][1], af[mt][2],
                    af[mt][3]);
      }
#pragma unroll
      for (int np = 0; np < 2; ++np) {
        const int r = wn * 32 + np * 16 + (lane & 7) + ((lane >> 4) << 3);
        ldmatrix_x4(sb + gemm_swz(r, ks * 2 + ((lane >> 3) & 1)), bf[2 * np][0], bf[2 * np][1],
                    bf[2 * np + 1][0], bf[2 * np + 1][1]);
      }
#pragma unroll
      for (int mt = 0; mt < 4; ++mt)
#pragma unroll
        for (int nt = 0; nt < 4; ++nt) mma_bf16(acc[mt][nt], af[mt], bf[nt][0], bf[nt][1]);
    }
  }
  cp_async_wait<0>();

#pragma unroll
  for (int mt = 0; mt < 4; ++mt) {
#pragma unroll
    for (int half = 0; half < 2; ++half) {
      const int row = m0 + wm * 64 + mt * 16 + (lane >> 2) + half * 8;
      if (row >= M) continue;
#pragma unroll
      for (int nt = 0; nt < 4; ++nt) {
        const int col = nb0 + wn * 32 + nt * 8 + (lane & 3) * 2;
        const float v0 = acc[mt][nt][half * 2], v1 = acc[mt][nt][half * 2 + 1];
        if (EPI == EPI_SWIGLU) {
          if ((nt & 1) == 0 && col < N) {
            // nt holds gate, nt + 1 up, of the same 8 outputs.
            const int I = N / 2;
            const int j = ((nb0 + wn * 32 + nt * 8) >> 4) * 8 + (lane & 3) * 2;
            const float u0 = acc[mt][nt + 1][half * 2], u1 = acc[mt][nt + 1][half * 2 + 1];
            store_split(c_hi, c_lo, (size_t)row * I + j, v0 / (1.f + expf(-v0)) * u0);
            store_split(c_hi, c_lo, (size_t)row * I + j + 1, v1 / (1.f + expf(-v1)) * u1);
          }
        } else {
          float* dst = c + (size_t)row * ldc + col;
          if (col + 1 < N) {
            if (EPI == EPI_ADD) {
              dst[0] += v0;
              dst[1] += v1;
            } else {
              dst[0] = v0;
              dst[1] = v1;
            }
          } else if (col < N) {
            if (EPI == EPI_ADD) dst[0] += v0;
            else dst[0] = v0;
          }
        }
      }
    }
  }
}

}  // namespace ft

#define FT_GEMM(name, EPI)                                                                      \
  FT_KERNEL void __launch_bounds__(ft::GEMM_THREADS)                                            \
      name(const uint16_t* a_hi, const uint16_t* a_lo, int M, const uint16_t* b0,               \
           const uint16_t* b1, const uint16_t* b2, int n0, int n1, int N, int K, float* c,      \
           int ldc, uint16_t* c_hi, uint16_t* c_lo) {                                           \
    ft::gemm_body<EPI>(a_hi, a_lo, M, b0, b1, b2, n0, n1, N, K, c, ldc, c_hi, c_lo);            \
  }

FT_GEMM(ft_gemm_store, ft::EPI_STORE)
FT_GEMM(ft_gemm_add, ft::EPI_ADD)
FT_GEMM(ft_gemm_swiglu, ft::EPI_SWIGLU)
