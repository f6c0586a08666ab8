// Kernels for the CUDA layer's GPU tests: module loading from a fatbin and a launch.
// Rebuild: nvcc -fatbin -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
//   -gencode arch=compute_90,code=compute_90 -o ../resources/kernels/test_kernels.fatbin test_kernels.cu
#include <stdint.h>

// out[i] = i * multiplier + offset, so every element is distinct and nothing passes by accident.
extern "C" __global__ void iota_u32(uint32_t* out, uint32_t n, uint32_t multiplier, uint32_t offset) {
  uint32_t i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    out[i] = i * multiplier + offset;
  }
}
