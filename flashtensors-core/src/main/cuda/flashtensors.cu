// The one translation unit of the flashtensors kernels: nvcc compiles it into the fatbin that ships
// in flashtensors-core (resource io/flashtensors/cuda/flashtensors.fatbin). Every kernel is
// extern "C" so the engine finds it by name with cuModuleGetFunction.
#include "gemv.cuh"
#include "rope.cuh"
#include "attention.cuh"
#include "decode_attention.cuh"
#include "gemm.cuh"
#include "prefill_attention.cuh"
#include "elementwise.cuh"
#include "sampling.cuh"
