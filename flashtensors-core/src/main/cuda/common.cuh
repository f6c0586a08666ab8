// Shared helpers of the flashtensors kernels: bf16 unpacking, warp reductions, streaming loads.
#pragma once
#include <cuda_bf16.h>
#include <stdint.h>

#define FT_KERNEL extern "C" __global__

namespace ft {

constexpr int WARP = 32;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// bf16 is the top half of a float: widening is a shift.
__device__ __forceinline__ float bf16_lo(uint32_t w) { return __uint_as_float(w << 16); }
__device__ __forceinline__ float bf16_hi(uint32_t w) { return __uint_as_float(w & 0xffff0000u); }
__device__ __forceinline__ float bf16_to_float(uint16_t h) { return __uint_as_float(((uint32_t)h) << 16); }

// Round to nearest even, as torch does.
__device__ __forceinline__ uint16_t float_to_bf16(float f) {
  return __bfloat16_as_ushort(__float2bfloat16_rn(f));
}

// Weights are read once per token: a 16-byte read-only load that does not allocate in L1.
__device__ __forceinline__ uint4 load_stream16(const void* p) {
  uint4 r;
  asm volatile("ld.global.nc.L1::no_allocate.v4.u32 {%0,%1,%2,%3}, [%4];"
               : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
               : "l"(p));
  return r;
}

// Dot product of 8 bf16 weights (one 16-byte word) with 8 floats.
__device__ __forceinline__ float dot8(uint4 w, const float4 a, const float4 b, float acc) {
  acc = fmaf(bf16_lo(w.x), a.x, acc);
  acc = fmaf(bf16_hi(w.x), a.y, acc);
  acc = fmaf(bf16_lo(w.y), a.z, acc);
  acc = fmaf(bf16_hi(w.y), a.w, acc);
  acc = fmaf(bf16_lo(w.z), b.x, acc);
  acc = fmaf(bf16_hi(w.z), b.y, acc);
  acc = fmaf(bf16_lo(w.w), b.z, acc);
  acc = fmaf(bf16_hi(w.w), b.w, acc);
  return acc;
}

// Element types a KV cache may hold.
template <typename T> struct Kv;
template <> struct Kv<float> {
  static __device__ __forceinline__ float load(const float* p) { return *p; }
  static __device__ __forceinline__ void store(float* p, float v) { *p = v; }
};
template <> struct Kv<uint16_t> {
  static __device__ __forceinline__ float load(const uint16_t* p) { return bf16_to_float(*p); }
  static __device__ __forceinline__ void store(uint16_t* p, float v) { *p = float_to_bf16(v); }
};

// Writes an activation that feeds a tensor-core GEMM as bf16, and, when `lo` is given, the rounding
// error as a second bf16 so that hi + lo carries about 16 bits of mantissa (float32-grade products).
__device__ __forceinline__ void store_split(uint16_t* hi, uint16_t* lo, size_t i, float v) {
  uint16_t h = float_to_bf16(v);
  hi[i] = h;
  if (lo != nullptr) lo[i] = float_to_bf16(v - bf16_to_float(h));
}

}  // namespace ft
