// Decode-time matrix-vector products: out[n] = W[n, K] . x[K], bf16 weights in PyTorch's
// [out, in] layout, float32 activations and accumulation.
//
// One warp computes one output row (or 1/KSPLIT of it, reduced through shared memory), each lane
// streaming 16 bytes of weights per load with four loads in flight. Variants fuse the neighbours
// of the product so that activations do not make extra round trips:
//  - NORM: RMSNorm of x (weight norm_w) is recomputed by every block into shared memory, so the
//    norm costs no launch of its own;
//  - GEMV_STORE / GEMV_ADD: plain store, or += into out (the residual stream);
//  - GEMV_SWIGLU: the warp computes gate row r (w0) and up row r (w1) together and writes
//    silu(gate) * up, so the MLP's intermediate never exists in memory.
// Rows may come from up to three matrices (q, k and v projections): rows [0, n0) from w0,
// [n0, n0 + n1) from w1, the rest from w2. The grid strides over row groups, so a small grid
// amortises the norm prologue over many rows (the LM head has 151,936 of them).
#pragma once
#include "common.cuh"

namespace ft {

enum GemvMode { GEMV_STORE = 0, GEMV_ADD = 1, GEMV_SWIGLU = 2 };

constexpr int GEMV_THREADS = 256;
constexpr int GEMV_WARPS = GEMV_THREADS / WARP;
constexpr int GEMV_UNROLL = 4;
constexpr int GEMV_CHUNK = WARP * 8;  // elements a warp covers with one 16-byte load per lane

// RMSNorm of x[0, K) into shared memory: xs[i] = x[i] * rsqrt(mean(x^2) + eps) * w[i].
__device__ __forceinline__ void rmsnorm_to_shared(const float* __restrict__ x,
                                                  const uint16_t* __restrict__ w, int K,
                                                  float eps, float* xs, float* red) {
  float ss = 0.f;
  for (int i = threadIdx.x * 4; i < K; i += blockDim.x * 4) {
    float4 v = *reinterpret_cast<const float4*>(x + i);
    ss = fmaf(v.x, v.x, ss);
    ss = fmaf(v.y, v.y, ss);
    ss = fmaf(v.z, v.z, ss);
    ss = fmaf(v.w, v.w, ss);
  }
  ss = warp_sum(ss);
  const int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
  if (lane == 0) red[warp] = ss;
  __syncthreads();
  if (warp == 0) {
    float t = lane < (int)(blockDim.x / WARP) ? red[lane] : 0.f;
    t = warp_sum(t);
    if (lane == 0) red[0] = rsqrtf(t / (float)K + eps);
  }
  __syncthreads();
  const float s = red[0];
  for (int i = threadIdx.x; i < K; i += blockDim.x) xs[i] = (x[i] * s) * bf16_to_float(w[i]);
  __syncthreads();
}

template <int MODE, bool NORM, int KSPLIT>
__device__ __forceinline__ void gemv_body(const uint16_t* __restrict__ w0,
                                          const uint16_t* __restrict__ w1,
                                          const uint16_t* __restrict__ w2, int n0, int n1, int n,
                                          int K, const float* __restrict__ x,
                                          const uint16_t* __restrict__ norm_w, float eps,
                                          float* out) {
  extern __shared__ float4 gemv_smem[];
  __shared__ float red[2][GEMV_WARPS];
  const int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
  const float* xin = x;
  if (NORM) {
    float* xs = reinterpret_cast<float*>(gemv_smem);
    rmsnorm_to_shared(x, norm_w, K, eps, xs, red[0]);
    xin = xs;
  }
  constexpr int ROWS = GEMV_WARPS / KSPLIT;
  const int kw = warp % KSPLIT;
  const int nchunks = (K + GEMV_CHUNK - 1) / GEMV_CHUNK;
  const int groups = (n + ROWS - 1) / ROWS;
  for (int g = blockIdx.x; g < groups; g += gridDim.x) {
    const int r = g * ROWS + warp / KSPLIT;
    float acc = 0.f, acc2 = 0.f;
    if (r < n) {
      const uint16_t* wa;
      const uint16_t* wb = nullptr;
      if (MODE == GEMV_SWIGLU) {
        wa = w0 + (size_t)r * K;
        wb = w1 + (size_t)r * K;
      } else if (r < n0) {
        wa = w0 + (size_t)r * K;
      } else if (r < n0 + n1) {
        wa = w1 + (size_t)(r - n0) * K;
      } else {
        wa = w2 + (size_t)(r - n0 - n1) * K;
      }
      for (int c0 = kw; c0 < nchunks; c0 += KSPLIT * GEMV_UNROLL) {
        uint4 va[GEMV_UNROLL], vb[GEMV_UNROLL];
#pragma unroll
        for (int u = 0; u < GEMV_UNROLL; ++u) {
          const int idx = (c0 + u * KSPLIT) * GEMV_CHUNK + lane * 8;
          va[u] = make_uint4(0, 0, 0, 0);
          vb[u] = make_uint4(0, 0, 0, 0);
          if (idx < K) {
            va[u] = load_stream16(wa + idx);
            if (MODE == GEMV_SWIGLU) vb[u] = load_stream16(wb + idx);
          }
        }
#pragma unroll
        for (int u = 0; u < GEMV_UNROLL; ++u) {
          const int idx = (c0 + u * KSPLIT) * GEMV_CHUNK + lane * 8;
          if (idx < K) {
            const float4 a = *reinterpret_cast<const float4*>(xin + idx);
            const float4 b = *reinterpret_cast<const float4*>(xin + idx + 4);
            acc = dot8(va[u], a, b, acc);
            if (MODE == GEMV_SWIGLU) acc2 = dot8(vb[u], a, b, acc2);
          }
        }
      }
    }
    acc = warp_sum(acc);
    if (MODE == GEMV_SWIGLU) acc2 = warp_sum(acc2);
    if (KSPLIT > 1) {
      if (lane == 0) {
        red[0][warp] = acc;
        red[1][warp] = acc2;
      }
      __syncthreads();
      if (kw == 0 && lane == 0) {
        acc = 0.f;
        acc2 = 0.f;
#pragma unroll
        for (int s = 0; s < KSPLIT; ++s) {
          acc += red[0][warp + s];
          acc2 += red[1][warp + s];
        }
      }
      __syncthreads();
    }
    if (r < n && kw == 0 && lane == 0) {
      if (MODE == GEMV_STORE) {
        out[r] = acc;
      } else if (MODE == GEMV_ADD) {
        out[r] += acc;
      } else {
        out[r] = acc / (1.f + expf(-acc)) * acc2;
      }
    }
  }
}

}  // namespace ft

#define FT_GEMV(name, MODE, NORM, KS)                                                          \
  FT_KERNEL void __launch_bounds__(ft::GEMV_THREADS)                                           \
      name(const uint16_t* w0, const uint16_t* w1, const uint16_t* w2, int n0, int n1, int n,  \
           int K, const float* x, const uint16_t* norm_w, float eps, float* out) {             \
    ft::gemv_body<MODE, NORM, KS>(w0, w1, w2, n0, n1, n, K, x, norm_w, eps, out);              \
  }
#define FT_GEMV_ALL_SPLITS(base, MODE, NORM) \
  FT_GEMV(base##_k1, MODE, NORM, 1)          \
  FT_GEMV(base##_k2, MODE, NORM, 2)          \
  FT_GEMV(base##_k4, MODE, NORM, 4)          \
  FT_GEMV(base##_k8, MODE, NORM, 8)

FT_GEMV_ALL_SPLITS(ft_gemv_store, ft::GEMV_STORE, false)
FT_GEMV_ALL_SPLITS(ft_gemv_store_norm, ft::GEMV_STORE, true)
FT_GEMV_ALL_SPLITS(ft_gemv_add, ft::GEMV_ADD, false)
FT_GEMV_ALL_SPLITS(ft_gemv_swiglu_norm, ft::GEMV_SWIGLU, true)

// The LM head: final RMSNorm, logits, and each block's (max, index) for greedy choice
// (ft_argmax_commit merges the gridDim.x partials).
