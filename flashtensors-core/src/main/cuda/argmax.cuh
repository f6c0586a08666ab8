// Block-wide (max, index) reduction shared by the LM head and the samplers.
#pragma once
#include "common.cuh"

namespace ft {

constexpr int ARGMAX_THREADS = 256;

// Larger value wins; equal values go to the smaller index (as a first-max scan does).
__device__ __forceinline__ void argmax_merge(float& v, int& i, float ov, int oi) {
  if (ov > v || (ov == v && oi < i)) {
    v = ov;
    i = oi;
  }
}

__device__ __forceinline__ void block_argmax(float& v, int& i) {
  __shared__ float sv[32];
  __shared__ int si[32];
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float ov = __shfl_xor_sync(0xffffffffu, v, o);
    const int oi = __shfl_xor_sync(0xffffffffu, i, o);
    argmax_merge(v, i, ov, oi);
  }
  const int warp = threadIdx.x / WARP, lane = threadIdx.x % WARP;
  if (lane == 0) {
    sv[warp] = v;
    si[warp] = i;
  }
  __syncthreads();
  if (warp == 0) {
    v = lane < (int)(blockDim.x / WARP) ? sv[lane] : -INFINITY;
    i = lane < (int)(blockDim.x / WARP) ? si[lane] : 0x7fffffff;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float ov = __shfl_xor_sync(0xffffffffu, v, o);
      const int oi = __shfl_xor_sync(0xffffffffu, i, o);
      argmax_merge(v, i, ov, oi);
    }
  }
}

}  // namespace ft
